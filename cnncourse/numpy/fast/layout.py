"""Padding and memory layouts for the fast engine: copies arranged so they run fast.

The explicit-columns convolution keeps its padded input *batch-last* in memory,
``(C, H, W, N)``, seen through an NCHW view (:func:`pad_batch_last`): then a window row of
all N images is one contiguous run, and building the columns copies long runs.
"""
import numpy as np

__all__ = ["pad2d", "transpose2d", "batch_last", "batch_first", "pad_batch_last"]


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


def transpose2d(a, block_elements=8192):
    """C-contiguous copy of ``a.T`` for a 2-D ``a``. A tall ``a`` is copied in blocks of
    rows that stay in cache: NumPy's plain copy of a tall transposed array is 2-7x slower
    (for a wide one, NumPy's own copy is the fastest)."""
    rows, cols = a.shape
    if rows <= cols:
        return np.ascontiguousarray(a.T)
    out = np.empty((cols, rows), a.dtype)
    step = max(8, block_elements // max(cols, 1))
    for start in range(0, rows, step):
        out[:, start:start + step] = a[start:start + step].T
    return out


def batch_last(x):
    """Contiguous ``(C, H, W, N)`` copy of NCHW ``x`` (any array with the batch first)."""
    x = np.ascontiguousarray(x)
    return transpose2d(x.reshape(x.shape[0], -1)).reshape(x.shape[1:] + x.shape[:1])


def batch_first(x):
    """Inverse of :func:`batch_last`: contiguous ``(N, C, H, W)`` from ``(C, H, W, N)``."""
    x = np.ascontiguousarray(x)
    return transpose2d(x.reshape(-1, x.shape[-1])).reshape(x.shape[-1:] + x.shape[:-1])


def pad_batch_last(x, pads):
    """Zero-padded copy of NCHW ``x`` stored as ``(C, H, W, N)``, returned as an NCHW view.

    ``pads`` is ``((top, bottom), (left, right))``, all >= 0.
    """
    n, c, h, w = x.shape
    (top, bottom), (left, right) = pads
    memory = batch_last(x)
    if top or bottom or left or right:
        padded = np.zeros((c, h + top + bottom, w + left + right, n), x.dtype)
        padded[:, top:top + h, left:left + w] = memory  # runs of W*N: a fast copy
        memory = padded
    return memory.transpose(3, 0, 1, 2)
