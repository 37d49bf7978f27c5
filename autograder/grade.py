"""Grade submissions: sandbox-run each notebook, judge its raw results, cache the verdicts.

Flow for one notebook: read the submitted JSON here (never executed here), write the
code cells and the hidden inputs to a job folder, run ``harness.py`` in the sandbox,
then judge every case in this process. Verdicts are cached under
``<course>/.autograder/verdicts/<assignment>/<student>/<notebook>.json`` keyed by the
notebook's SHA-256, where ``nbgrader autograde`` (see ``nbgrader_plugins/preprocessors.py``) picks them up.

One submission never stops the others: whatever goes wrong while grading it (a refused
file, a crash of the grader's own code on a hostile input) becomes that submission's
verdict, with a reason, and its job folder (hidden inputs included) is always removed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.judge.notebook import INSTRUCTOR_CONTENT, MAX_NOTEBOOK_BYTES, instructor_content, read_notebook
from autograder.judge.results import judge_case, read_cells, read_statuses
from autograder.judge.tree_copy import TreeLimits, copy_tree
from autograder.judge.untrusted import Refused, read_regular
from autograder.sandbox.run import RunResult, Sandbox, run_harness
from autograder.spec import AssignmentSpec, Limits, load_spec

CACHE_DIR = ".autograder/verdicts"
SUBMISSION_LIMITS = TreeLimits(max_bytes=50 * 2**20, max_entries=1000, max_depth=16)
log = logging.getLogger(__name__)


class GradingStopped(RuntimeError):
    """The grading machinery failed, not a submission (the cluster's scheduler went away,
    no worker can take the tasks): the run stops, and no verdict is written for what is
    left. Verdicts already written stay valid."""


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


def _all_failed(spec: AssignmentSpec, reason: str) -> dict:
    return {check.name: {"passed": False, "reason": reason} for check in spec.checks}


def copy_submission(src: Path, dest: Path, limits: TreeLimits = SUBMISSION_LIMITS) -> None:
    """The grader's working copy of a student's folder: regular files and folders only.

    The copy is read by trusted code too (``Check.inspect``), where a link could reach
    the instructor's files; links, FIFOs and oversized trees refuse the submission.
    """
    copy_tree(src, dest, limits)


def run_here(spec: AssignmentSpec, job: Path) -> RunResult:
    """The sandbox run of a prepared job folder on this machine (``--cluster`` runs it on a worker)."""
    return run_harness(job, spec.limits, spec.packages, spec.gpu)


def grade_notebook(spec: AssignmentSpec, hidden: HiddenCases, notebook: Path, submission: Path,
                   run_sandbox=run_here) -> dict:
    """Verdicts for one submitted notebook (file may be missing, broken or hostile).

    ``run_sandbox(spec, job)`` runs the prepared job folder and returns its ``RunResult``;
    everything else (reading, refusing, judging) happens in this process.
    """
    record = {"assignment": spec.name, "notebook": notebook.name, "seed": hidden.seed, "cells": [],
              "stopped": "", "sha256": None}

    def refused(reason: str, **extra) -> dict:
        return {**record, **extra, "stopped": reason, "checks": _all_failed(spec, reason)}

    if not notebook.exists() and not notebook.is_symlink():
        found = sorted(p.name for p in submission.glob("*.ipynb"))
        return refused(f"{notebook.name} is missing from the submission (found: {', '.join(found) or 'no notebooks'})")
    if notebook.is_symlink():  # read here or by nbgrader, a link could reach the instructor's files
        return refused(f"{notebook.name} is a symbolic link, not a notebook file", folder_refused=True)
    try:
        parsed = read_notebook(notebook)
    except Refused as err:
        return refused(str(err))
    record["sha256"] = parsed.sha256
    copied = instructor_content(parsed, notebook.name)
    if copied:
        return refused(copied, instructor_content=True)
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        job = Path(tmp)
        try:
            copy_submission(submission, job / "work")
        except Refused as err:  # nbgrader's own copy would follow or hang on it too
            return refused(str(err), folder_refused=True)
        return {**record, **_run_and_judge(spec, hidden, parsed.code_cells, job, run_sandbox)}


def _run_and_judge(spec: AssignmentSpec, hidden: HiddenCases, cells: tuple, job: Path, run_sandbox) -> dict:
    (job / "in").mkdir()
    (job / "in" / "cells.json").write_text(json.dumps(list(cells)))
    index = hidden.write_requests(job / "in", spec.limits)
    run = run_sandbox(spec, job)
    stopped = run.describe(spec.limits)
    statuses = read_statuses(run.frames)
    checks = {}
    for rid, (check_name, case) in index.items():
        if checks.get(check_name, {}).get("passed") is False:
            continue  # the first failing case is the reason
        reason = judge_case(case, rid, statuses.get(rid), run.frames, stopped)
        checks[check_name] = {"passed": not reason, "reason": reason}
    for check in spec.checks:  # how it is written, judged on the code as text
        if check.method is not None and checks.get(check.name, {}).get("passed", True):
            reason = check.method(list(cells))
            checks[check.name] = {"passed": not reason, "reason": reason}
    for check in spec.checks:  # submitted files (a saved state_dict), judged here, never run
        if check.inspect is not None and checks.get(check.name, {}).get("passed", True):
            reason = check.inspect(job / "work", hidden.seed)
            checks[check.name] = {"passed": not reason, "reason": reason}
    where = {"worker": run.worker} if run.worker else {}
    return {"stopped": stopped, "seconds": round(run.seconds, 2), "checks": checks, "cells": read_cells(run.frames),
            "log_tail": run.log_tail, "peak_memory": run.peak_memory, "channel_problem": run.frames.problem, **where}


def cache_path(course: Path, assignment: str, student: str, notebook: str) -> Path:
    return Path(course) / CACHE_DIR / assignment / student / f"{notebook}.json"


def source_notebooks(course: Path, assignment: str) -> list:
    """Names (no suffix) of the notebooks the instructor's version of the assignment has."""
    folder = Path(course) / "source" / assignment
    names = sorted(p.stem for p in folder.glob("*.ipynb"))
    if not names:
        raise FileNotFoundError(f"no notebooks in {folder}")
    return names


def _grader_failure(spec: AssignmentSpec, hidden: HiddenCases, name: str, err: BaseException) -> dict:
    """The verdict when the grader's own code failed on a submission: zero, and why."""
    log.error("grading %s failed:\n%s", name, "".join(traceback.format_exception(err)))
    reason = f"the grader could not grade this notebook ({type(err).__name__}); your instructor has the details"
    return {"assignment": spec.name, "notebook": f"{name}.ipynb", "seed": hidden.seed, "cells": [], "sha256": None,
            "stopped": reason, "grader_error": "".join(traceback.format_exception_only(err))[-2000:],
            "checks": _all_failed(spec, reason)}


def grade_student(course: Path, spec: AssignmentSpec, hidden: HiddenCases, student: str,
                  run_sandbox=run_here) -> dict:
    """Grade every notebook of one student's submission and cache each verdict."""
    submission = Path(course) / "submitted" / student / spec.name
    results = {}
    for name in source_notebooks(course, spec.name):
        try:
            verdict = grade_notebook(spec, hidden, submission / f"{name}.ipynb", submission, run_sandbox)
        except GradingStopped:
            raise  # not this submission's fault: no verdict
        except Exception as err:  # noqa: BLE001 - one submission never stops the run
            verdict = _grader_failure(spec, hidden, name, err)
        verdict["student"] = student
        path = cache_path(course, spec.name, student, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(verdict, indent=1))
        results[name] = verdict
    return results


def submitted_sha256(course: Path, assignment: str, student: str, notebook: str) -> str | None:
    """SHA-256 of the submitted notebook as it is now (``None`` if it cannot be read as one)."""
    path = Path(course) / "submitted" / student / assignment / f"{notebook}.ipynb"
    try:
        return hashlib.sha256(read_regular(path, MAX_NOTEBOOK_BYTES)).hexdigest()
    except Refused:
        return None


def cached_verdict(course: Path, assignment: str, student: str, notebook: str) -> dict:
    """The verdict for the notebook as submitted now: cached if its hash matches, else graded now."""
    path = cache_path(course, assignment, student, notebook)
    if path.is_file():
        verdict = json.loads(path.read_text())
        if verdict.get("sha256") == submitted_sha256(course, assignment, student, notebook):
            return verdict
    spec = load_spec(assignment)
    return grade_student(course, spec, HiddenCases.generate(spec), student)[notebook]


def is_instructor_copy(verdict: dict) -> bool:
    return bool(verdict.get("instructor_content")) or INSTRUCTOR_CONTENT in verdict.get("stopped", "")


def submitted_students(course: Path, assignment: str) -> list:
    """Students with a folder ``submitted/<student>/<assignment>/``, sorted."""
    return sorted(p.parent.name for p in (Path(course) / "submitted").glob(f"*/{assignment}") if p.is_dir())


def grade_all(course: Path, assignment: str, students=None, jobs: int | None = None, seed: int | None = None,
              on_done=None, cluster=None) -> dict:
    """Grade all (or the named) submissions in parallel; ``{student: {notebook: verdict}}``.

    ``on_done(student, results)`` is called in this thread as each submission finishes
    (a progress bar), in the order they finish. ``cluster``: a connected
    ``autograder.cluster.Cluster``; each sandbox run is then a task on one of its workers
    and ``jobs`` is the number of submissions in flight (default: twice the workers'
    sandbox slots); without it, ``jobs`` sandboxes run here (default: one per CPU).
    """
    course = Path(course)
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    spec = load_spec(assignment)
    if cluster is None:
        Sandbox(spec.limits, spec.packages, spec.gpu)  # no cgroup, no bwrap: say so before any work
        runner = None
    else:
        runner = cluster.runner(spec)  # no worker ready for it, or none at all: say so before any work
    if students is None:
        students = submitted_students(course, assignment)
    hidden = HiddenCases.generate(spec, seed)
    if runner is None:
        return _grade_in_pool(course, spec, hidden, students, jobs or os.cpu_count() or 1, on_done, run_here)
    with runner:
        return _grade_in_pool(course, spec, hidden, students, jobs or runner.default_in_flight(), on_done,
                              runner.run)


def _grade_in_pool(course: Path, spec: AssignmentSpec, hidden: HiddenCases, students: list, jobs: int, on_done,
                   run_sandbox) -> dict:
    results = {}
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_student, course, spec, hidden, s, run_sandbox): s for s in students}
        for future in as_completed(futures):
            student = futures[future]
            results[student] = future.result()
            if on_done is not None:
                on_done(student, results[student])
    except GradingStopped as err:
        pool.shutdown(wait=True, cancel_futures=True)
        left = len(students) - len(results)
        raise GradingStopped(f"{err} ({len(results)} of {len(students)} submission(s) graded; "
                             f"{left} not graded and not recorded)") from None
    pool.shutdown(wait=True)
    return {student: results[student] for student in students}
