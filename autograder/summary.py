"""The closing table of a grading run: points per student, as nbgrader will record them.

One row per student: automatic points earned / the assignment's automatic maximum, the
checks that failed and the first reason (a refused folder or a stopped notebook gives
its own reason). Points graded by hand come later, in the formgrader; the footer says
how many.
"""
from __future__ import annotations

from dataclasses import dataclass

from autograder.scoring import failed_checks

REASON_WIDTH = 90
MAX_NAMED_CHECKS = 3


@dataclass(frozen=True)
class Row:
    student: str
    points: float
    max_points: float
    failed: tuple  # names of the checks that failed, in the notebook's order
    first_reason: str


def student_row(student: str, notebooks: dict, points: dict) -> Row:
    """``notebooks``: ``{notebook: verdict}`` of one student; ``points``: ``{notebook: NotebookPoints}``."""
    earned, failed, reasons = 0.0, [], []
    for name, worth in points.items():
        verdict = notebooks.get(name) or {"checks": {}, "stopped": f"{name}.ipynb was not graded"}
        earned += worth.earned(verdict)
        if verdict.get("stopped"):
            reasons.append(verdict["stopped"])
        for cell in worth.tests:
            for problem in failed_checks(list(cell.checks), verdict):
                check = problem.split(":", 1)[0]
                failed += [] if check in failed else [check]
                reasons.append(problem)
    maximum = sum(worth.automatic for worth in points.values())
    return Row(student, earned, maximum, tuple(failed), next(iter(reasons), ""))


def _failed_column(row: Row, points: dict) -> str:
    """The failed checks by name, or how many of how many when there are more than three."""
    if len(row.failed) <= MAX_NAMED_CHECKS:
        return ", ".join(row.failed) or "-"
    total = len({name for worth in points.values() for cell in worth.tests for name in cell.checks})
    return f"{len(row.failed)} of {total}"


def _number(value: float) -> str:
    return f"{value:g}"


def format_table(rows: list, points: dict) -> str:
    """The table as text, widths fitted to the names, reasons cut to one line."""
    header = ("student", "points", "checks failed", "first reason")
    cells = [(r.student, f"{_number(r.points)} / {_number(r.max_points)}", _failed_column(r, points),
              r.first_reason.replace("\n", " ")) for r in rows]
    widths = [max(len(header[i]), *(len(c[i]) for c in cells)) if cells else len(header[i]) for i in range(3)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header[:3], widths)) + "  " + header[3]]
    for c in cells:
        reason = c[3] if len(c[3]) <= REASON_WIDTH else c[3][:REASON_WIDTH - 3] + "..."
        lines.append(f"{c[0].ljust(widths[0])}  {c[1].rjust(widths[1])}  {c[2].ljust(widths[2])}  {reason}".rstrip())
    by_hand = sum(worth.by_hand for worth in points.values())
    if by_hand:
        lines.append(f"(automatic points only: {_number(by_hand)} more are graded by hand in the formgrader)")
    return "\n".join(lines)


def summary(results: dict, points: dict) -> str:
    """``results``: ``{student: {notebook: verdict}}`` of a run; ``points``: the assignment's."""
    rows = [student_row(student, notebooks, points) for student, notebooks in sorted(results.items())]
    return format_table(rows, points) if rows else "no submissions found"
