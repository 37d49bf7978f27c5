"""Grade submissions: sandbox-run each notebook, judge its raw results, cache the verdicts.

Flow for one notebook: read the submitted JSON here (never executed here), write the
code cells and the hidden inputs to a job folder, run ``harness.py`` in the sandbox,
then judge every case in this process. Verdicts are cached under
``<course>/.autograder/verdicts/<assignment>/<student>/<notebook>.json`` keyed by the
notebook's SHA-256, where ``nbgrader autograde`` (see ``nbgrader_plugin``) picks them up.
"""
from __future__ import annotations

import hashlib
import json
import queue
import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .judge import judge_case, read_statuses
from .sandbox import Sandbox, copy_submission
from .spec import AssignmentSpec, Limits, load_spec

CACHE_DIR = ".autograder/verdicts"
MAX_SUBMISSION_BYTES = 50 * 2**20
MAX_NOTEBOOK_BYTES = 20 * 2**20


@dataclass
class HiddenCases:
    """The cases of every check, generated once per grading run from a fresh seed."""

    seed: int
    by_check: dict

    @classmethod
    def generate(cls, spec: AssignmentSpec, seed: int | None = None) -> "HiddenCases":
        seed = secrets.randbits(63) if seed is None else seed
        rng = np.random.default_rng(seed)
        return cls(seed, {check.name: list(check.make_cases(rng)) for check in spec.checks})

    def write_requests(self, in_dir: Path, limits: Limits) -> dict:
        """Save input arrays and ``requests.json``; return ``{request id: (check, case)}``."""
        index, requests = {}, []
        for check_name, cases in self.by_check.items():
            for k, case in enumerate(cases):
                rid = f"r{len(requests)}"
                args = [_encode(a, in_dir, f"{rid}_a{i}") for i, a in enumerate(case.args)]
                kwargs = {key: _encode(v, in_dir, f"{rid}_k{key}") for key, v in case.kwargs.items()}
                requests.append({"id": rid, "target": case.target, "call": case.call, "probe": case.probe,
                                 "args": args, "kwargs": kwargs, "n_outputs": case.n_outputs})
                index[rid] = (check_name, case)
        (in_dir / "requests.json").write_text(json.dumps({"cell_seconds": limits.cell_seconds,
                                                          "requests": requests}))
        return index


def _encode(value, in_dir: Path, name: str):
    if isinstance(value, np.ndarray):
        np.save(in_dir / f"{name}.npy", value, allow_pickle=False)
        return {"npy": f"{name}.npy"}
    if isinstance(value, tuple):
        return [_encode(v, in_dir, f"{name}_{i}") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"case argument {name} has unsupported type {type(value).__name__}")


def read_code_cells(path: Path) -> list:
    """Sources of the code cells of a notebook file, or ``ValueError`` saying what is wrong."""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES} bytes")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path.name} is not valid notebook JSON ({type(err).__name__})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{path.name} has no list of cells")
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            sources.append("".join(src) if isinstance(src, list) else str(src))
    return sources


def _all_failed(spec: AssignmentSpec, reason: str) -> dict:
    return {check.name: {"passed": False, "reason": reason} for check in spec.checks}


def grade_notebook(spec: AssignmentSpec, hidden: HiddenCases, notebook: Path, submission: Path,
                   slot: int = 0) -> dict:
    """Verdicts for one submitted notebook (file may be missing or broken)."""
    record = {"assignment": spec.name, "notebook": notebook.name, "seed": hidden.seed, "cells": [],
              "stopped": ""}
    if not notebook.is_file():
        found = sorted(p.name for p in submission.glob("*.ipynb"))
        reason = f"{notebook.name} is missing from the submission (found: {', '.join(found) or 'no notebooks'})"
        return {**record, "sha256": None, "stopped": reason, "checks": _all_failed(spec, reason)}
    if notebook.is_symlink():  # read here, a link could point at the instructor's files
        reason = f"{notebook.name} is a symbolic link, not a notebook file"
        return {**record, "sha256": None, "stopped": reason, "checks": _all_failed(spec, reason)}
    record["sha256"] = hashlib.sha256(notebook.read_bytes()).hexdigest()
    try:
        cells = read_code_cells(notebook)
    except ValueError as err:
        return {**record, "stopped": str(err), "checks": _all_failed(spec, str(err))}
    sandbox = Sandbox(spec.limits, spec.packages, spec.gpu)
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        job = Path(tmp)
        try:
            copy_submission(submission, job / "work", MAX_SUBMISSION_BYTES)
        except ValueError as err:
            return {**record, "stopped": str(err), "checks": _all_failed(spec, str(err))}
        sandbox.prepare(job, slot)
        (job / "in" / "cells.json").write_text(json.dumps(cells))
        index = hidden.write_requests(job / "in", spec.limits)
        run = sandbox.run(job, job / "work", ["python", "-I", "/grader/harness.py", "/grader/in", "/grader/out"],
                          slot)
        stopped = run.describe(spec.limits)
        statuses = read_statuses(job / "out")
        checks = {}
        for rid, (check_name, case) in index.items():
            if checks.get(check_name, {}).get("passed") is False:
                continue  # the first failing case is the reason
            reason = judge_case(case, rid, statuses.get(rid), job / "out", stopped)
            checks[check_name] = {"passed": not reason, "reason": reason}
        for check in spec.checks:  # submitted files (a saved state_dict), judged here, never run
            if check.inspect is not None and checks.get(check.name, {}).get("passed", True):
                reason = check.inspect(job / "work", hidden.seed)
                checks[check.name] = {"passed": not reason, "reason": reason}
        record.update(stopped=stopped, seconds=round(run.seconds, 2), checks=checks,
                      cells=_cell_log(job / "out" / "cells.jsonl"),
                      log_tail=(job / "log.txt").read_bytes()[-2000:].decode(errors="replace"))
    return record


def _cell_log(path: Path) -> list:
    """Per-cell errors the harness logged (instructor diagnostics; student-written text)."""
    if not path.is_file() or path.stat().st_size > 2**20:
        return []
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def cache_path(course: Path, assignment: str, student: str, notebook: str) -> Path:
    return Path(course) / CACHE_DIR / assignment / student / f"{notebook}.json"


def source_notebooks(course: Path, assignment: str) -> list:
    """Names (no suffix) of the notebooks the instructor's version of the assignment has."""
    folder = Path(course) / "source" / assignment
    names = sorted(p.stem for p in folder.glob("*.ipynb"))
    if not names:
        raise FileNotFoundError(f"no notebooks in {folder}")
    return names


def grade_student(course: Path, spec: AssignmentSpec, hidden: HiddenCases, student: str, slot: int = 0) -> dict:
    """Grade every notebook of one student's submission and cache each verdict."""
    submission = Path(course) / "submitted" / student / spec.name
    results = {}
    for name in source_notebooks(course, spec.name):
        verdict = grade_notebook(spec, hidden, submission / f"{name}.ipynb", submission, slot)
        verdict["student"] = student
        path = cache_path(course, spec.name, student, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(verdict, indent=1))
        results[name] = verdict
    return results


def cached_verdict(course: Path, assignment: str, student: str, notebook: str) -> dict:
    """The verdict for the notebook as submitted now: cached if its hash matches, else graded now."""
    path = cache_path(course, assignment, student, notebook)
    submitted = Path(course) / "submitted" / student / assignment / f"{notebook}.ipynb"
    if path.is_file() and submitted.is_file():
        verdict = json.loads(path.read_text())
        if verdict.get("sha256") == hashlib.sha256(submitted.read_bytes()).hexdigest():
            return verdict
    spec = load_spec(assignment)
    return grade_student(course, spec, HiddenCases.generate(spec), student)[notebook]


def grade_all(course: Path, assignment: str, students=None, jobs: int = 2, seed: int | None = None) -> dict:
    """Grade all (or the named) submissions in parallel; ``{student: {notebook: verdict}}``."""
    course = Path(course)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    spec = load_spec(assignment)
    submitted = course / "submitted"
    if students is None:
        students = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    hidden = HiddenCases.generate(spec, seed)
    slots = queue.SimpleQueue()  # each worker holds one slot: its own uid and process count
    for slot in range(jobs):
        slots.put(slot)

    def work(student):
        slot = slots.get()
        try:
            return student, grade_student(course, spec, hidden, student, slot)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(pool.map(work, students))
