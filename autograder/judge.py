"""Trusted comparison of the raw results a sandbox wrote with the reference values.

Only plain data crosses the boundary: JSON status lines and ``.npy`` files loaded with
``allow_pickle=False`` (always a plain ``ndarray``, whatever subclass the student
returned). Reasons name shapes, dtypes and error sizes, never expected values.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .spec import Case

MAX_RESULT_BYTES = 64 * 2**20
MAX_STATUS_BYTES = 4 * 2**20


def read_statuses(out_dir: Path) -> dict:
    """``{request id: status dict}`` from ``results.jsonl``; garbage lines are ignored."""
    path = out_dir / "results.jsonl"
    if not path.is_file() or path.stat().st_size > MAX_STATUS_BYTES:
        return {}
    statuses = {}
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("status"), str):
            statuses.setdefault(entry["id"], entry)  # first word counts: later lines are not the harness's
    return statuses


def _load(path: Path):
    if not path.is_file() or path.is_symlink():
        return None, "no array was saved"
    if path.stat().st_size > MAX_RESULT_BYTES:
        return None, "result is too large"
    try:
        return np.load(path, allow_pickle=False), ""
    except (ValueError, OSError, EOFError) as err:
        return None, f"result is not a plain numeric array ({type(err).__name__})"


def compare(case: Case, got: np.ndarray, expected) -> str:
    """'' when ``got`` matches ``expected``, else a reason that does not reveal it."""
    expected = np.asarray(expected)
    if got.dtype.kind not in "biuf":
        return f"result has dtype {got.dtype}, expected numbers"
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        return "result contains NaN or infinity"
    error = np.abs(got - expected.astype(np.float64))
    if np.all(error <= case.atol + case.rtol * np.abs(expected)):
        return ""
    if not case.call:  # a fixed answer: the size of the error would give it away
        return "wrong values"
    return f"wrong values (max abs error {error.max():.1e})"


def judge_case(case: Case, request_id: str, status, out_dir: Path, stopped: str) -> str:
    """'' if the case passed, else a student-safe reason."""
    what = case.label or case.target
    if status is None:
        return f"{what}: no result ({stopped or 'the notebook stopped before it was evaluated'})"
    if status["status"] == "missing":
        return f"{case.target} is not defined in your notebook"
    if status["status"] != "ok":
        return f"{what}: {str(status.get('error', 'failed'))[:300]}"
    expected = case.expected if isinstance(case.expected, tuple) else (case.expected,)
    for k, want in enumerate(expected):
        got, problem = _load(out_dir / f"{request_id}_{k}.npy")
        problem = problem or compare(case, got, want)
        if problem:
            part = f" (result {k + 1} of {len(expected)})" if len(expected) > 1 else ""
            return f"{what}{part}: {problem}"
    return ""
