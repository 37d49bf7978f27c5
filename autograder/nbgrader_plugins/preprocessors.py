"""nbgrader preprocessors: trusted verdicts instead of executing the notebook.

``TrustedVerdicts`` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``.
For each autograded test cell it reads the check names written in the cell (restored
from the gradebook by ``OverwriteCells``, so students cannot change them), and sets the
cell's outputs from the verdicts: nothing on success, an ``error`` output with a safe
reason on failure. nbgrader's own ``SaveAutoGrades`` then records the scores.

A notebook the grader refused as a copy of the instructor's (it holds solution or
hidden-test markers) also has its answer cells blanked here, so that the autograded
notebook, the formgrader and the feedback never show the instructor's solutions.

``HideCheckNames`` (feedback) drops the hidden-test region of test cells.
"""
from __future__ import annotations

import re
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.grade import cached_verdict, is_instructor_copy
from autograder.judge.notebook import INSTRUCTOR_MARKER
from autograder.scoring import failed_checks, is_autograded_test, referenced_checks

HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.DOTALL | re.MULTILINE)


def cell_outputs(names: list, verdict: dict) -> list:
    """Outputs that make nbgrader score the cell: none when every named check passed."""
    failed = failed_checks(names, verdict)
    if failed:
        return [_error("; ".join(failed))]
    return [new_output("stream", name="stdout", text=f"passed: {', '.join(names)}\n")]


def _error(reason: str):
    return new_output("error", ename="CheckFailed", evalue=reason, traceback=[f"CheckFailed: {reason}"])


BLANKED = "removed by the autograder: this notebook is a copy of the instructor's, not the student's work"


def blank_instructor_content(nb) -> None:
    """Empty every answer cell, and any unlocked cell carrying the instructor's markers
    (locked cells were restored from the gradebook and are the released ones)."""
    for cell in nb.cells:
        if utils.is_solution(cell) or (not utils.is_locked(cell) and INSTRUCTOR_MARKER.search(cell.source)):
            cell.source = f"# {BLANKED}" if cell.cell_type == "code" else BLANKED
            if cell.cell_type == "code":
                cell.outputs = []


class TrustedVerdicts(NbGraderPreprocessor):
    """Score autograded test cells from the sandboxed grader's verdicts."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        course = Path(CourseDirectory(config=self.config).root)
        verdict = cached_verdict(course, info["assignment"], info["student"], info["notebook"])
        if verdict.get("stopped"):
            self.log.warning("%s/%s: %s", info["student"], info["notebook"], verdict["stopped"])
        if is_instructor_copy(verdict):
            blank_instructor_content(nb)
        for cell in nb.cells:
            if is_autograded_test(cell):
                cell.outputs = cell_outputs(referenced_checks(cell.source), verdict)
                cell.execution_count = None
        return nb, resources


class HideCheckNames(NbGraderPreprocessor):
    """Feedback: remove the hidden-test region of each test cell (it only names checks)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            cell.source = HIDDEN_REGION.sub("", cell.source)
        return cell, resources
