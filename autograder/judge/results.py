"""Trusted comparison of the raw results a sandbox sent with the reference values.

Only plain data crosses the boundary: JSON status entries and ``.npy`` bytes decoded by
the strict reader of ``npy.py`` (always a plain numeric ``ndarray``, whatever the student
returned). Reasons name the student's own shapes and dtypes and, for calls on random
inputs, the size of the error; never expected values, and for a fixed answer (a
variable, or a probe of the student's model on fixed inputs) neither the size of the
error nor the reference's shape, which would give the answer away.
"""
from __future__ import annotations

import numpy as np

from autograder.judge import npy
from autograder.judge.untrusted import Refused, parse_json
from autograder.sandbox.channel import MAX_RESULTS_BYTES, Frames  # noqa: F401 - the budget the judge reads under
from autograder.spec import Case

MAX_REASON = 300


def read_statuses(frames: Frames) -> dict:
    """``{request id: status dict}`` from the status frames; malformed entries are ignored."""
    statuses = {}
    for rid, payload in frames.frames["status"].items():
        try:
            entry = parse_json(payload, f"status {rid}")
        except Refused:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("status"), str):
            statuses[rid] = entry
    return statuses


def read_cells(frames: Frames) -> list:
    """Per-cell errors the harness logged (instructor diagnostics; student-written text)."""
    entries = []
    for name in sorted(frames.frames["cell"], key=lambda n: (len(n), n)):
        try:
            entry = parse_json(frames.frames["cell"][name], f"cell log {name}")
        except Refused:
            continue
        if isinstance(entry, dict):
            entries.append({"cell": entry.get("cell"), "error": str(entry.get("error") or "")[:MAX_REASON] or None})
    return entries


def _load(frames: Frames, name: str):
    payload = frames.frames["array"].get(name)
    if payload is None:
        return None, "no array was saved"
    try:
        return npy.decode(payload), ""
    except Refused as err:
        return None, f"result is not a plain numeric array ({err})"


def compare(case: Case, got: np.ndarray, expected) -> str:
    """'' when ``got`` matches ``expected``, else a reason that does not reveal it."""
    expected = np.asarray(expected)
    if got.dtype.kind not in "biuf":
        return f"result has dtype {str(got.dtype)[:40]}, expected numbers"
    if got.shape != expected.shape:
        if case.answer_is_fixed:  # the reference's shape is part of the answer
            return f"shape {_short_shape(got.shape)} is not the expected shape"
        return f"shape {_short_shape(got.shape)}, expected {expected.shape}"
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        return "result contains NaN or infinity"
    error = np.abs(got - expected.astype(np.float64))
    if np.all(error <= case.atol + case.rtol * np.abs(expected)):
        return ""
    if case.answer_is_fixed:  # the size of the error would give the answer away
        return "wrong values"
    return f"wrong values (max abs error {error.max():.1e})"


def _short_shape(shape: tuple) -> str:
    text = str(shape)
    return text if len(text) <= 60 else text[:57] + "...)"


def judge_case(case: Case, request_id: str, status, frames: Frames, stopped: str) -> str:
    """'' if the case passed, else a student-safe reason."""
    what = case.label or case.target
    if status is None:
        why = stopped or frames.problem or "the notebook stopped before it was evaluated"
        return f"{what}: no result ({why})"
    if status["status"] == "missing":
        return f"{case.target} is not defined in your notebook"
    if status["status"] != "ok":
        return f"{what}: {str(status.get('error', 'failed'))[:MAX_REASON]}"
    expected = case.expected if isinstance(case.expected, tuple) else (case.expected,)
    for k, want in enumerate(expected):
        got, problem = _load(frames, f"{request_id}_{k}")
        problem = problem or compare(case, got, want)
        if problem:
            part = f" (result {k + 1} of {len(expected)})" if len(expected) > 1 else ""
            return f"{what}{part}: {problem}"
    return ""
