"""``make_grid``: tile a batch of images into one image (torchvision's, without torchvision)."""
import numpy as np


def make_grid(images, nrow=8, padding=2, pad_value=0):
    """Tile (N, H, W, C) images into one (rows*(H+p)+p, nrow*(W+p)+p, C) image, row by row."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be 4-D (N, H, W, C), got shape {images.shape}")
    if int(nrow) < 1 or int(padding) < 0:
        raise ValueError(f"nrow/padding: need nrow >= 1 and padding >= 0, got {nrow}, {padding}")
    n, h, w, c = images.shape
    ncol = min(int(nrow), n)
    rows = -(-n // ncol)
    p = int(padding)
    grid = np.full((rows * (h + p) + p, ncol * (w + p) + p, c), pad_value, dtype=images.dtype)
    for i, image in enumerate(images):
        top, left = p + (i // ncol) * (h + p), p + (i % ncol) * (w + p)
        grid[top:top + h, left:left + w] = image
    return grid
