"""Case builders shared by the assignments' checks (trusted side only)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from autograder.spec import Case


def random_conv(rng: np.random.Generator, n, c_in, c_out, size, k, stride, padding, bias=True):
    """A random float64 ``(input, weight, bias)`` in NCHW / OIHW layout."""
    x = rng.standard_normal((n, c_in, size, size))
    w = rng.standard_normal((c_out, c_in, k, k))
    b = rng.standard_normal(c_out) if bias else None
    return x, w, b, stride, padding


# (n, c_in, c_out, size, k, stride, padding): one plain, one strided, one padded + strided
CONV_SETTINGS = [(2, 3, 4, 7, 3, 1, 0), (1, 2, 3, 9, 3, 2, 0), (2, 3, 2, 6, 4, 2, 1)]


def labelled(cases):
    """Name the cases 'hidden input 1', 'hidden input 2', ... in order."""
    return [replace(case, label=f"hidden input {i}") for i, case in enumerate(cases, 1)]


def values(expected: dict, **tolerances):
    """Cases that read notebook variables: ``{variable name: expected value}``."""
    return [Case(target=name, expected=np.asarray(value), call=False, label=name, **tolerances)
            for name, value in expected.items()]
