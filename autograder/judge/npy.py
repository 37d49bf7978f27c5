"""A strict reader of the ``.npy`` bytes a sandbox sends: plain numeric arrays only.

``np.load`` trusts more of the header than the grader should: a shape of ``(True,)``, a
structured dtype with a megabyte of field names, a header nested a thousand deep, or
data that does not match the shape each fail in their own way (some not as
``ValueError``). Here the header must be exactly ``{'descr', 'fortran_order',
'shape'}`` with a numeric dtype (bool, int, uint, float), a tuple of plain non-negative
ints and a data part of exactly the size they imply; anything else is ``Refused``.
"""
from __future__ import annotations

import ast
import math
import re
import struct

import numpy as np

from autograder.judge.untrusted import Refused

MAGIC = b"\x93NUMPY"
MAX_HEADER = 4096  # numpy writes ~120 bytes for a plain array
MAX_DIMS = 32
NUMERIC_DESCR = re.compile(r"^[<>|=]?[biuf][1-8]$")


def _header(data: bytes) -> tuple:
    """``(header dict, offset of the data)``."""
    if not data.startswith(MAGIC) or len(data) < 10:
        raise Refused("not a .npy array")
    major = data[6]
    if major == 1:
        (length,), start = struct.unpack("<H", data[8:10]), 10
    elif major in (2, 3) and len(data) >= 12:
        (length,), start = struct.unpack("<I", data[8:12]), 12
    else:
        raise Refused("not a .npy array (unknown version)")
    if length > MAX_HEADER or start + length > len(data):
        raise Refused("the array's header is too long")
    try:
        header = ast.literal_eval(data[start:start + length].decode("latin1"))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise Refused("the array's header is not readable") from None
    return header, start + length


def decode(data: bytes) -> np.ndarray:
    """The plain numeric array in ``data`` (``.npy`` bytes), or ``Refused``."""
    header, offset = _header(data)
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise Refused("the array's header is not a plain array's")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or not NUMERIC_DESCR.match(descr):
        raise Refused("result is not a plain numeric array (its dtype is not bool, int or float)")
    try:
        dtype = np.dtype(descr)
    except TypeError:
        raise Refused("result is not a plain numeric array (unknown dtype)") from None
    if type(fortran) is not bool:
        raise Refused("the array's header is not a plain array's")
    if (type(shape) is not tuple or len(shape) > MAX_DIMS
            or not all(type(n) is int and n >= 0 for n in shape)):
        raise Refused("the array's shape is not a tuple of sizes")
    count = math.prod(shape)
    if count * dtype.itemsize != len(data) - offset:
        raise Refused("the array's data does not match its shape")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C")
