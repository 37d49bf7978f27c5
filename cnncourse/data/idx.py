"""Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).

An IDX file is a 4-byte magic number ``0 0 <dtype code> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in C order. Every check below names the file, because a
truncated download is the usual cause and the reader should know which file to delete.
"""
import gzip
import os
import zlib

import numpy as np

# dtype codes of the IDX specification; multi-byte values are big-endian.
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path):
    """The file's bytes, decompressed when it starts with the gzip magic."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip stream ({exc})") from None


def parse_idx(data, name="<bytes>"):
    """Parse IDX ``data`` (bytes) into a NumPy array in native byte order."""
    if len(data) < 4:
        raise ValueError(f"{name}: {len(data)} bytes is too short for an IDX header")
    zero1, zero2, code, ndim = data[:4]
    if zero1 or zero2:
        raise ValueError(f"{name}: bad IDX magic number {data[:4].hex()} (must start with 0000)")
    if code not in IDX_DTYPES:
        raise ValueError(f"{name}: unknown IDX dtype code 0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated IDX header ({len(data)} bytes, need {header})")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: IDX file {kind}: {len(data)} bytes, shape {shape} needs {expected}"
        )
    values = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path):
    """Read an IDX file (gzipped or raw) into a NumPy array."""
    path = os.fspath(path)
    return parse_idx(_read_bytes(path), name=path)


def write_idx(path, array):
    """Write ``array`` as an IDX file, gzipped when ``path`` ends with ``.gz`` (used by tests)."""
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): c for c, dt in IDX_DTYPES.items()}
    if array.dtype not in codes:
        raise ValueError(f"array dtype {array.dtype} has no IDX code")
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += np.asarray(array.shape, ">u4").tobytes()
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + body)
