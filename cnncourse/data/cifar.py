"""Reader for the CIFAR-10 "python version" batches, without trusting pickle.

The official batches are Python 2 ``cPickle`` files (protocol 2): a dict with keys
``b'data'`` (uint8 array, N x 3072, planes R, G, B of 32x32 each), ``b'labels'`` (list of
ints), ``b'batch_label'`` and ``b'filenames'``. Plain ``pickle.load`` would run any callable
a tampered file names, so :class:`SafeUnpickler` resolves only the three globals a NumPy
array needs and refuses everything else.
"""
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

try:  # NumPy >= 2 keeps the implementation in numpy._core; old pickles name numpy.core.
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct

ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle named a global outside the NumPy-array allow-list."""


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that builds dicts, lists, strings, numbers and NumPy arrays, nothing else."""

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load global {module}.{name}: CIFAR batches only contain NumPy arrays"
            ) from None


def parse_batch(data, name="<bytes>"):
    """Decode one batch's bytes into (images uint8 NHWC, labels int64)."""
    try:
        batch = SafeUnpickler(io.BytesIO(data), encoding="bytes").load()
    except UnsafePickleError as exc:
        raise ValueError(f"{name}: unsafe pickle ({exc})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"{name}: corrupt or truncated CIFAR batch ({exc!r})") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{name}: not a CIFAR batch (need a dict with b'data' and b'labels')")
    pixels = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if pixels.dtype != np.uint8 or pixels.ndim != 2 or pixels.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{name}: b'data' has dtype {pixels.dtype} shape {pixels.shape}, "
                         "expected uint8 (N, 3072)")
    if labels.shape != (len(pixels),):
        raise ValueError(f"{name}: {len(labels)} labels for {len(pixels)} images")
    images = pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # planar CHW -> NHWC
    return np.ascontiguousarray(images), labels


def _batch_reader(path):
    """A function name -> bytes over a ``cifar-10-batches-py`` folder or the ``.tar.gz`` archive."""
    path = Path(path)
    if path.is_dir():
        return lambda member: (path / member).read_bytes(), lambda: None
    try:
        archive = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: corrupt or truncated archive ({exc})") from None

    def read(member):
        try:
            return archive.extractfile(f"{FOLDER}/{member}").read()
        except KeyError:
            raise ValueError(f"{path}: archive has no {FOLDER}/{member}") from None
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt or truncated archive at {member} ({exc})") from None

    return read, archive.close


def read_cifar10(path, split="train"):
    """Images (N, 32, 32, 3) uint8 and labels int64 of ``split`` from a folder or archive."""
    members = {"train": TRAIN_BATCHES, "test": TEST_BATCHES}[split]
    read, close = _batch_reader(path)
    try:
        parts = [parse_batch(read(m), name=f"{os.fspath(path)}:{m}") for m in members]
    finally:
        close()
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class _Py2StylePickler(pickle._Pickler):
    """Pickles str and bytes as Python 2 byte strings and names NumPy as old NumPy did.

    This reproduces how the official batches were written (cPickle, protocol 2), so the
    tests exercise the reader on the real format rather than on a Python 3 pickle.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_string(self, obj):
        raw = obj.encode("latin-1") if isinstance(obj, str) else bytes(obj)
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + len(raw).to_bytes(4, "little") + raw)
        self.memoize(obj)

    dispatch[str] = _save_py2_string
    dispatch[bytes] = _save_py2_string

    def save_global(self, obj, name=None):
        if obj is _reconstruct:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def write_batch(path, images, labels, batch_label="batch"):
    """Write a CIFAR-10 batch file in the official format (used by tests and tiny fixtures)."""
    images = np.asarray(images, dtype=np.uint8)
    if images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise ValueError(f"images: shape {images.shape}, expected (N, 32, 32, 3)")
    batch = {
        "batch_label": batch_label,
        "labels": [int(x) for x in labels],
        "data": np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(len(images), -1)),
        "filenames": [f"image_{i:05d}.png" for i in range(len(images))],
    }
    buffer = io.BytesIO()
    _Py2StylePickler(buffer, protocol=2).dump(batch)
    Path(path).write_bytes(buffer.getvalue())
