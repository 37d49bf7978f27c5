"""Grades an LMS imports, as nbgrader export plugins (run from the course folder):

    nbgrader export --exporter autograder.exporters.CanvasCsv --to canvas.csv
    nbgrader export --exporter autograder.exporters.PerQuestionCsv --to questions.csv

``CanvasCsv`` writes Canvas' gradebook-import CSV: the columns ``Student``, ``ID``, ``SIS
User ID``, ``SIS Login ID``, ``Section``, then one column per assignment holding the
score after any late penalty (nbgrader's ``score``), and a ``Points Possible`` row as in
Canvas' own exports. Names and ids come from nbgrader's student table (``nbgrader db
student import roster.csv``); which field fills which id column is configurable, e.g.
``--CanvasCsv.sis_user_id_field=email``.

``PerQuestionCsv`` writes one row per student, assignment and graded cell (automatic
test cells and questions graded by hand) with its points and maximum; a student's rows
sum to nbgrader's raw score of the assignment (before late penalties).

Both honour nbgrader's ``--assignment`` and ``--student`` selections. A student without a
submission gets 0, as in nbgrader's own CSV.
"""
from __future__ import annotations

import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

STUDENT_FIELDS = ("", "id", "email", "lms_user_id")


def _number(value) -> str:
    return f"{float(value or 0.0):g}"


class _Selection(ExportPlugin):
    """The assignments and students nbgrader's ``--assignment`` / ``--student`` select."""

    default_file = "export.csv"

    def assignments(self, gradebook) -> list:
        wanted = {str(a) for a in self.assignment}
        return [a for a in gradebook.assignments if not wanted or a.name in wanted]

    def students(self, gradebook) -> list:
        wanted = {str(s) for s in self.student}
        return sorted((s for s in gradebook.students if not wanted or s.id in wanted), key=lambda s: s.id)

    def destination(self) -> str:
        return self.to or self.default_file

    def write(self, header: list, rows: list) -> None:
        with open(self.destination(), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
        self.log.info("Wrote %d rows to %s", len(rows), self.destination())


def _field(student, name: str) -> str:
    if name not in STUDENT_FIELDS:
        raise ValueError(f"a CanvasCsv id field must be one of {STUDENT_FIELDS}, got {name!r}")
    return str(getattr(student, name, "") or "") if name else ""


def display_name(student) -> str:
    """Canvas' ``Student`` column: "Last, First" (or whichever is known; else the id)."""
    parts = [p for p in (student.last_name, student.first_name) if p]
    return ", ".join(parts) or student.id


class CanvasCsv(_Selection):
    """Canvas gradebook-import CSV: one row per student, one column per assignment."""

    default_file = "canvas.csv"
    id_field = Unicode("lms_user_id", help="Student field that fills Canvas' 'ID' (Canvas user id).").tag(config=True)
    sis_user_id_field = Unicode("", help="Student field that fills 'SIS User ID' ('' leaves it empty).").tag(
        config=True)
    sis_login_id_field = Unicode("id", help="Student field that fills 'SIS Login ID' (nbgrader's id: the login).").tag(
        config=True)
    section = Unicode("", help="Value of the 'Section' column (nbgrader has no sections).").tag(config=True)

    def _score(self, gradebook, assignment, student) -> str:
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:
            return _number(0.0)
        return _number(max(0.0, submission.score - (submission.late_submission_penalty or 0.0)))

    def export(self, gradebook) -> None:
        assignments = self.assignments(gradebook)
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [a.name for a in assignments]
        rows = [["    Points Possible", "", "", "", ""] + [_number(a.max_score) for a in assignments]]
        for student in self.students(gradebook):
            ids = [_field(student, f) for f in (self.id_field, self.sis_user_id_field, self.sis_login_id_field)]
            rows.append([display_name(student), *ids, self.section]
                        + [self._score(gradebook, a, student) for a in assignments])
        self.write(header, rows)


class PerQuestionCsv(_Selection):
    """One row per student, assignment and graded cell: points and maximum."""

    default_file = "questions.csv"
    HEADER = ["student_id", "last_name", "first_name", "assignment", "notebook", "question", "kind", "points",
              "max_points", "needs_manual_grade"]

    def _rows(self, gradebook, assignment, student) -> list:
        identity = [student.id, student.last_name or "", student.first_name or "", assignment.name]
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:
            submission = None
        submitted = {nb.name: nb for nb in submission.notebooks} if submission is not None else {}
        rows = []
        for notebook in assignment.notebooks:
            by_hand = {cell.name for cell in notebook.solution_cells}
            grades = {g.name: g for g in submitted[notebook.name].grades} if notebook.name in submitted else {}
            for cell in notebook.grade_cells:
                grade = grades.get(cell.name)
                points = grade.score if grade is not None else 0.0
                pending = bool(grade.needs_manual_grade) if grade is not None else False
                rows.append(identity + [notebook.name, cell.name, "by hand" if cell.name in by_hand else "automatic",
                                        _number(points), _number(cell.max_score), str(pending).lower()])
        return rows

    def export(self, gradebook) -> None:
        rows = []
        for assignment in self.assignments(gradebook):
            for student in self.students(gradebook):
                rows += self._rows(gradebook, assignment, student)
        self.write(self.HEADER, rows)
