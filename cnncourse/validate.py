"""Argument checks for the whole package, and the one style of their messages.

An argument error is a ``ValueError`` whose message starts with the argument's name, says
what the argument must be, and what it got::

    stride must be >= 1, got 0
    input must be 4-D (N, C, H, W), got shape (4, 8, 8)
    schedule must be one of (None, 'onecycle', 'cosine', 'step'), got 'linear'

so a student sees *which* argument is wrong and how to fix it. (Errors about the content
of a file, such as a truncated download, start with the file's name and a colon instead,
as Unix tools write them.) Every check returns its argument, so it can be used inline:
``kernel = pair(positive(kernel_size, "kernel_size"), "kernel_size")``.

Pure Python and NumPy: the torch and Keras models use the same checks without either
framework importing the other.
"""
import numbers

import numpy as np

__all__ = [
    "is_int", "pair", "positive", "nonnegative", "positive_ints", "number", "probability",
    "choice", "array", "floating", "ndim", "shape", "same_dtype",
]


# ----------------------------------------------------------------------------- numbers
def is_int(value):
    """True for Python and NumPy integers, False for ``bool`` (``True`` is not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def pair(value, name):
    """``(a, b)`` for an int or a pair of ints, as torch's ``_pair`` does."""
    if is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")


def _ints_at_least(value, low, name):
    values = value if isinstance(value, (tuple, list)) else (value,)
    if not all(is_int(v) and v >= low for v in values):
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return value


def positive(value, name):
    """Require an int (or every int of a pair) >= 1; return it unchanged."""
    return _ints_at_least(value, 1, name)


def nonnegative(value, name):
    """Require an int (or every int of a pair) >= 0; return it unchanged."""
    return _ints_at_least(value, 0, name)


def positive_ints(**counts):
    """Require every named count (channels, classes, blocks, ...) to be an int >= 1."""
    for name, value in counts.items():
        if not is_int(value) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def number(value, name, *, at_least=None, above=None, at_most=None, below=None):
    """Require a real number (not a bool) within the given bounds; return it as a float.

    ``number(lr, "lr", at_least=0)`` says "lr must be a number >= 0"; both a lower and an
    upper bound give an interval: ``number(p, "p", at_least=0, at_most=1)`` -> "in [0, 1]".
    """
    low = (at_least, "[") if at_least is not None else (above, "(")
    high = (at_most, "]") if at_most is not None else (below, ")")
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and (low[0] is None or value > low[0] or (low[1] == "[" and value == low[0]))
    ok = ok and (high[0] is None or value < high[0] or (high[1] == "]" and value == high[0]))
    if ok:
        return float(value)
    if low[0] is not None and high[0] is not None:
        what = f"in {low[1]}{low[0]}, {high[0]}{high[1]}"
    elif low[0] is not None:
        what = f"{'>=' if low[1] == '[' else '>'} {low[0]}"
    else:
        what = f"{'<=' if high[1] == ']' else '<'} {high[0]}"
    raise ValueError(f"{name} must be a number {what}, got {value!r}")


def probability(p, name="p"):
    """Require a real number in [0, 1] (dropout rates, label smoothing)."""
    return number(p, name, at_least=0, at_most=1)


def choice(value, options, name):
    """Require ``value`` to be one of ``options`` (a tuple, shown in the message)."""
    if not any(value is option or (value == option and type(value) is type(option))
               for option in options):
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


# ----------------------------------------------------------------------------- arrays
def array(x, name):
    """Require a NumPy array (not a list or a torch tensor, which would be copied silently)."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    return x


def floating(x, name):
    """Require a floating-point array: integer images would be truncated by the arithmetic."""
    array(x, name)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must have a floating dtype (float32/float64), got {x.dtype}")
    return x


def ndim(x, rank, name, layout=None):
    """Require ``x.ndim`` to be ``rank`` (an int or a tuple of allowed ranks)."""
    array(x, name)
    allowed = rank if isinstance(rank, tuple) else (rank,)
    if x.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        hint = f" {layout}" if layout else ""
        raise ValueError(f"{name} must be {want}{hint}, got shape {x.shape}")
    return x


def shape(x, expected, name):
    """Require ``x.shape == expected`` (gradients must match the forward output exactly)."""
    array(x, name)
    if tuple(x.shape) != tuple(expected):
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected {tuple(expected)}")
    return x


def same_dtype(x, dtype, name, other):
    """Require ``x`` to have the dtype of the array named ``other`` (no silent casts)."""
    if x.dtype != dtype:
        raise ValueError(f"{name} dtype {x.dtype} differs from {other} dtype {np.dtype(dtype)}")
    return x
