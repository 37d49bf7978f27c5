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

from autograder.judge.untrusted import Refused, open_regular

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


def load_saved_weights(path: Path, reference) -> str:
    """Load a submitted ``state_dict`` file into ``reference``; '' or the reason it was refused.

    Weights only (``load_state_dict`` above): nothing in the file is inflated before its zip
    directory has been checked, and no code in it ever runs here. Tensors are matched to
    the reference's ``state_dict()`` by position, as in the agreement check; reasons name
    the student's tensors, never the reference's shapes or sizes.
    """
    name = path.name
    if path.is_symlink() or not path.exists():
        return f"{name} was not submitted: save torch.save(model.state_dict(), '{name}') next to the notebook"
    expected = reference.state_dict()
    budget = 2 * sum(t.numel() * t.element_size() for t in expected.values()) + 2**20
    try:
        state = load_state_dict(path, budget, len(expected))
    except Refused as err:
        return str(err)
    if len(state) != len(expected):
        return f"{name} has {len(state)} tensors, not as many as the model's state_dict()"
    mapped = {}
    for (key, want), (their_key, tensor) in zip(expected.items(), state.items()):
        if tuple(tensor.shape) != tuple(want.shape):
            return f"{name}: tensor {their_key!s:.60} has shape {tuple(tensor.shape)}, not the shape in that position"
        mapped[key] = tensor.to(want.dtype)
    reference.load_state_dict(mapped)
    return ""
