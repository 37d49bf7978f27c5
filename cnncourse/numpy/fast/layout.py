"""Padding for the fast engine, by copying into a filled array (faster than ``np.pad``)."""
import numpy as np

__all__ = ["pad2d"]


def pad2d(x, pads, value=0.0):
    """Pad (or, for negative amounts, crop) the last two axes.

    ``pads`` is ``((top, bottom), (left, right))``. Cropping is needed where a
    transposed convolution's padding exceeds the rows a kernel adds, or where the last
    rows of a pooled input fall in no window. Filling a new array and copying ``x`` into
    it is ~3x faster than ``np.pad``.
    """
    crop = tuple(slice(max(-a, 0), x.shape[axis] - max(-b, 0))
                 for axis, (a, b) in zip((-2, -1), pads))
    x = x[..., crop[0], crop[1]]
    (top, bottom), (left, right) = ((max(a, 0), max(b, 0)) for a, b in pads)
    if top == bottom == left == right == 0:
        return x
    h, w = x.shape[-2:]
    shape = x.shape[:-2] + (h + top + bottom, w + left + right)
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[..., top:top + h, left:left + w] = x
    return out
