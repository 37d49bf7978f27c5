"""Reusable scratch buffers for the large temporaries of the fast convolution.

A fresh array of tens of megabytes costs page faults on first touch (the C allocator
hands such blocks back to the operating system when they are freed), and in a training
step that cost was as large as a fifth of the arithmetic. A temporary that never leaves
the function that uses it can instead come from here: the last few buffers of each
name, shape and dtype are kept (per thread) and handed out again.

Never return a scratch buffer, or a view of one, to a caller: the next call with the
same name overwrites it.
"""
import threading
from collections import OrderedDict

import numpy as np

KEEP = 12  # buffers kept per thread (a LeNet needs ~8; a new shape evicts the oldest)
_local = threading.local()


def scratch(name, shape, dtype):
    """An uninitialized array of ``shape`` and ``dtype``, reused across calls by ``name``."""
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = OrderedDict()
    key = (name, tuple(shape), np.dtype(dtype))
    buffer = pool.pop(key, None)
    if buffer is None:
        buffer = np.empty(shape, dtype)
    pool[key] = buffer  # most recently used last
    while len(pool) > KEEP:
        pool.popitem(last=False)
    return buffer
