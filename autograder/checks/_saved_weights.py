"""Reading a submitted ``state_dict`` file in the grader's process: bounded before anything
inflates, weights only, plain dense float tensors only (trusted side, a3 and a4).

``torch.save`` writes a zip archive whose entries are *stored* (never compressed), so
the zip directory says exactly how many bytes loading will read. A compressed entry
(a 1.3 MB "zip bomb" that inflates to gigabytes inside ``torch.load``), more bytes than
the file, or more entries than a state_dict of the model needs is refused from the
directory alone. ``torch.load(weights_only=True)`` then refuses any pickled object but
tensors and plain containers, and each tensor must be dense (strided), unquantized and
real (batch norm's ``num_batches_tracked`` is an integer): a sparse or quantized tensor
would fail later, inside ``load_state_dict``.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..untrusted import Refused, open_regular

EXTRA_ENTRIES = 16  # data.pkl, version, byteorder, ... besides one entry per tensor


def check_archive(archive: zipfile.ZipFile, name: str, max_bytes: int, max_entries: int) -> None:
    """Refuse an archive whose directory promises more than a state_dict needs."""
    entries = archive.infolist()
    if len(entries) > max_entries:
        raise Refused(f"{name} refused: {len(entries)} entries, more than a state_dict of this model has")
    total = 0
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED or entry.file_size != entry.compress_size:
            raise Refused(f"{name} refused: compressed entries (torch.save never compresses)")
        total += entry.file_size
    if total > max_bytes:
        raise Refused(f"{name} refused: its entries hold more bytes than a state_dict of this model needs")


def load_state_dict(path: Path, max_bytes: int, max_tensors: int) -> dict:
    """The tensors of a submitted ``torch.save(model.state_dict())`` file, or ``Refused``."""
    import torch

    name = Path(path).name
    try:
        oversized = os.lstat(path).st_size > max_bytes
    except OSError:
        oversized = False  # open_regular says what is wrong
    if oversized:  # the budget itself is not named: it follows from the model's parameter count
        raise Refused(f"{name} is larger than a state_dict of this model needs")
    with open_regular(path, max_bytes, name) as file:
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise Refused(f"{name} refused: not a file written by torch.save (zip format)") from None
        check_archive(archive, name, max_bytes, max_tensors + EXTRA_ENTRIES)
        file.seek(0)
        try:
            state = torch.load(file, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - every refusal is a reason, never a crash
            raise Refused(f"{name} refused: not a plain state_dict ({type(err).__name__} when loading weights only)"
                          ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise Refused(f"{name} refused: it holds a {type(state).__name__}, not a state_dict of tensors")
    for key, tensor in state.items():
        if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_meta or tensor.is_complex():
            raise Refused(f"{name} refused: tensor {str(key)[:60]} is not a plain dense tensor")
    return state
