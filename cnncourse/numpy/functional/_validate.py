"""Argument checks shared by the NumPy functional layers.

Every check raises ``ValueError`` whose message starts with the argument's name,
so a student sees *which* argument is wrong, not just that something is.
"""
import numbers

import numpy as np

# The int checks live with the shape formulas (pure Python); re-exported here.
from cnncourse.shapes import _is_int, _pair, check_nonnegative, check_positive  # noqa: F401

__all__ = []  # private helpers; import them by name


def check_probability(p, name="p"):
    """Require a real number in [0, 1] (dropout rates, label smoothing)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {p!r}")
    return float(p)


def check_array(x, name):
    """Require a NumPy array (not a list or a torch tensor, which would be copied silently)."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    return x


def check_float(x, name):
    """Require a floating-point array: integer images would be truncated by the arithmetic."""
    check_array(x, name)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must have a floating dtype (float32/float64), got {x.dtype}")
    return x


def check_ndim(x, ndim, name, layout=None):
    """Require ``x.ndim`` to be ``ndim`` (an int or a tuple of allowed ranks)."""
    check_array(x, name)
    allowed = ndim if isinstance(ndim, tuple) else (ndim,)
    if x.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        hint = f" {layout}" if layout else ""
        raise ValueError(f"{name} must be {want}{hint}, got shape {x.shape}")
    return x


def check_shape(x, shape, name):
    """Require ``x.shape == shape`` (gradients must match the forward output exactly)."""
    check_array(x, name)
    if tuple(x.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected {tuple(shape)}")
    return x


def check_same_shape(a, b, name_a, name_b):
    """Require two arrays to have the same shape (e.g. predictions and targets)."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{name_a} shape {np.shape(a)} differs from {name_b} shape {np.shape(b)}")
