"""Build a throw-away copy of the course and synthetic submissions (tests, benchmarks, dry runs).

A submission starts from the *released* notebook, as a student's would, and fills
its answer cells: with the instructor's solution, with given code, or not at all.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

COURSE = Path(__file__).resolve().parent.parent / "assignments"


def source_path(assignment: str, course: Path = COURSE) -> Path:
    """The instructor's notebook of ``assignment`` in ``course`` (the repository's by default)."""
    return Path(course) / "source" / assignment / f"{assignment}.ipynb"


SOLUTION_LINE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def copy_course(dest: Path) -> Path:
    """Copy the course's config and sources (nothing generated) to ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(COURSE / "nbgrader_config.py", dest)
    shutil.copytree(COURSE / "source", dest / "source")
    return dest


def nbgrader_api(course: Path):
    """An ``NbGraderAPI`` configured by the course's ``nbgrader_config.py``."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader runs the `alembic` command when it creates a gradebook
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return NbGraderAPI(config=config)


def generated_course(dest: Path, *assignments: str):
    """``(course, api)``: a course copy at ``dest`` with ``assignments`` generated (gradebook
    and release), as an instructor starts a term."""
    course = copy_course(dest)
    api = nbgrader_api(course)
    for assignment in assignments:
        result = api.generate_assignment(assignment)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('error')}")
    return course, api


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def solutions(course: Path, assignment: str) -> dict:
    """``{grade_id: source}`` of the instructor's answer cells, delimiters removed: the
    solution code and the model answers of the questions graded by hand."""
    source = next((Path(course) / "source" / assignment).glob("*.ipynb"))
    nb = nbformat.read(source, as_version=4)
    return {_grade_id(c): SOLUTION_LINE.sub("", c.source) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def make_submission(course: Path, assignment: str, student: str, answers: dict | None = None,
                    first_cells: tuple = (), files: dict | None = None, name: str | None = None) -> Path:
    """Write ``submitted/<student>/<assignment>/`` from the released notebook.

    ``answers`` maps answer-cell grade ids to code (missing ids stay unanswered);
    ``first_cells`` are extra code cells run before everything; ``files`` are extra files
    of the submission folder; ``name`` renames the notebook file.
    """
    release = next((Path(course) / "release" / assignment).glob("*.ipynb"))
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        if _grade_id(cell) in (answers or {}):
            cell.source = answers[_grade_id(cell)]
    nb.cells[:0] = [nbformat.v4.new_code_cell(code) for code in first_cells]
    folder = Path(course) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / (name or release.name))
    for filename, text in (files or {}).items():
        (folder / filename).write_text(text)
    return folder


def run_solution_notebook(assignment: str, folder: Path, batches: int, timeout: int) -> None:
    """Run the instructor's notebook of ``assignment`` in a Jupyter kernel, as a student
    would, with ``folder`` as its working folder and training cut to ``batches`` batches
    (``CNNCOURSE_TRAIN_BATCHES``; 0 trains the whole budget). Raises if a cell fails."""
    from nbclient import NotebookClient

    notebook = nbformat.read(source_path(assignment), as_version=4)
    env = {key: os.environ.get(key) for key in ("CNNCOURSE_TRAIN_BATCHES", "CNNCOURSE_GRADING")}
    os.environ["CNNCOURSE_TRAIN_BATCHES"] = str(batches)
    os.environ.pop("CNNCOURSE_GRADING", None)  # a student's run trains; grading does not
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value



def grade_by_hand(course: Path, assignment: str, student: str, points: dict | None = None) -> dict:
    """Give the questions graded by hand their points, as a grader does in the formgrader
    (``points``: ``{grade_id: points}``; missing ids get full credit, the formgrader's
    *Full credit* button). Returns ``{grade_id: points given}``."""
    from nbgrader.api import Gradebook

    given = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", "cnncourse") as gb:
        for notebook in gb.find_submission(assignment, student).notebooks:
            by_hand = {cell.name for cell in notebook.notebook.solution_cells}
            for grade in notebook.grades:
                if grade.name in by_hand:
                    grade.manual_score = (points or {}).get(grade.name, grade.max_score)
                    given[grade.name] = grade.manual_score
        gb.db.commit()
    return given


def exported_scores(course: Path, assignment: str) -> dict:
    """``{student: (raw score, max score)}`` from nbgrader's own CLI export (an in-process
    gradebook read can see stale rows)."""
    import csv

    from autograder.__main__ import nbgrader

    if nbgrader(Path(course), "export", f"--assignment=['{assignment}']", "--to=grades.csv") != 0:
        raise RuntimeError("nbgrader export failed")
    with open(Path(course) / "grades.csv") as f:
        return {row["student_id"]: (float(row["raw_score"]), float(row["max_score"])) for row in csv.DictReader(f)
                if row["assignment"] == assignment}
