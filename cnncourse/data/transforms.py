"""NumPy image transforms on batches in NHWC layout (no torchvision needed).

Random transforms take a ``numpy.random.Generator`` so that a training run is reproducible
from its seed, and draw one choice per image, vectorised over the batch.
"""
import numpy as np

from cnncourse.validate import nonnegative, probability


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _check_nhwc(images):
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, C), got shape {images.shape}")
    return images


class Compose:
    """Apply transforms in order: ``Compose([f, g])(x, rng) == g(f(x, rng), rng)``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, images, rng=None):
        rng = _rng(rng)
        for transform in self.transforms:
            images = transform(images, rng)
        return images

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class normalize:  # noqa: N801 - lower-case like torchvision's functional names
    """``(x / 255 - mean) / std`` per channel for uint8 input (x as is for float input)."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if self.mean.shape != self.std.shape or np.any(self.std <= 0):
            raise ValueError(f"std must be positive, one value per mean entry; "
                             f"got mean {self.mean} std {self.std}")

    def __call__(self, images, rng=None):
        images = _check_nhwc(images)
        if self.mean.size not in (1, images.shape[-1]):
            raise ValueError(f"images has {images.shape[-1]} channels, but {self.mean.size} means")
        x = images.astype(np.float32)
        if images.dtype == np.uint8:
            x /= 255.0
        return (x - self.mean) / self.std


class random_crop:  # noqa: N801
    """Zero-pad by ``padding`` and cut a random window of the original size from each image."""

    def __init__(self, padding):
        self.padding = int(nonnegative(padding, "padding"))

    def __call__(self, images, rng=None):
        images = _check_nhwc(images)
        p = self.padding
        if p == 0:
            return images
        n, h, w, _ = images.shape
        padded = np.pad(images, ((0, 0), (p, p), (p, p), (0, 0)))
        dy, dx = _rng(rng).integers(0, 2 * p + 1, size=(2, n))
        rows = dy[:, None] + np.arange(h)  # (N, H) source rows of each image
        cols = dx[:, None] + np.arange(w)
        return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


class random_horizontal_flip:  # noqa: N801
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = probability(p, "p")

    def __call__(self, images, rng=None):
        images = _check_nhwc(images)
        flip = _rng(rng).random(len(images)) < self.p
        out = images.copy()
        out[flip] = images[flip, :, ::-1]
        return out


def to_float_nchw(images, mean=0.5, std=0.5):
    """uint8 NHWC -> float32 NCHW scaled as ``(x/255 - mean)/std`` (PyTorch's layout)."""
    x = normalize(mean, std)(images)
    # A fresh array, not np.ascontiguousarray: for one channel that would keep the
    # transpose's channel stride (NumPy ignores strides of length-1 axes), and torch
    # then reads the batch as channels-last too, whose batch-norm kernels were 5-10x
    # slower here (LeNet trained at half speed).
    out = np.empty((x.shape[0], x.shape[3]) + x.shape[1:3], np.float32)
    out[...] = x.transpose(0, 3, 1, 2)
    return out


def augmentation(name):
    """Named augmentation recipes used by the training loops: None, "flip", "crop", "light"."""
    recipes = {
        None: None,
        "none": None,
        "flip": Compose([random_horizontal_flip()]),
        "crop": Compose([random_crop(2)]),
        "light": Compose([random_crop(2), random_horizontal_flip()]),
    }
    if callable(name) and not isinstance(name, str):
        return name
    if name not in recipes:
        raise ValueError(f"augment must be None, 'flip', 'crop', 'light' or a callable, got {name!r}")
    return recipes[name]
