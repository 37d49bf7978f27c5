"""From verdicts to points, the way nbgrader will count them.

A test cell of the source notebook names its checks in a hidden region
(``# autograder-check: NAME``) and is worth its nbgrader ``points``; it scores them when
every check it names passed. ``TrustedVerdicts`` turns that rule into cell outputs for
nbgrader; the command's summary uses the same rule to print points before nbgrader has
recorded them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CHECK_REFERENCE = re.compile(r"^\s*#\s*autograder-check:\s*([\w.-]+)\s*$", re.MULTILINE)


def referenced_checks(source: str) -> list:
    """Check names a test cell asks for (``# autograder-check: NAME`` lines)."""
    return CHECK_REFERENCE.findall(source)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_autograded_test(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_graded_by_hand(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def failed_checks(names: list, verdict: dict) -> list:
    """``"check: reason"`` for each named check that did not pass (all of them count)."""
    if not names:
        return ["this test cell names no autograder check; ask your instructor"]
    checks, failed = verdict.get("checks", {}), []
    for name in names:
        result = checks.get(name)
        if result is None:
            failed.append(f"{name}: not graded ({verdict.get('stopped') or 'unknown check'})")
        elif not result["passed"]:
            failed.append(f"{name}: {result['reason']}")
    return failed


@dataclass(frozen=True)
class TestCell:
    grade_id: str
    points: float
    checks: tuple


@dataclass(frozen=True)
class NotebookPoints:
    """What one notebook of the source is worth: automatic test cells and points graded by hand."""

    tests: tuple
    by_hand: float

    @property
    def automatic(self) -> float:
        return sum(cell.points for cell in self.tests)

    def earned(self, verdict: dict) -> float:
        return sum(cell.points for cell in self.tests if not failed_checks(list(cell.checks), verdict))


def notebook_points(path: Path) -> NotebookPoints:
    """The test cells and hand-graded points of a source notebook (read as plain JSON: the
    instructor's own file)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    tests = tuple(TestCell(_nbgrader(c)["grade_id"], float(_nbgrader(c)["points"]), tuple(referenced_checks(c.source)))
                  for c in nb.cells if is_autograded_test(c))
    by_hand = sum(float(_nbgrader(c)["points"]) for c in nb.cells if is_graded_by_hand(c))
    return NotebookPoints(tests, by_hand)


def assignment_points(course: Path, assignment: str) -> dict:
    """``{notebook name: NotebookPoints}`` for the source notebooks of ``assignment``."""
    folder = Path(course) / "source" / assignment
    points = {path.stem: notebook_points(path) for path in sorted(folder.glob("*.ipynb"))}
    if not points:
        raise FileNotFoundError(f"no notebooks in {folder}")
    return points
