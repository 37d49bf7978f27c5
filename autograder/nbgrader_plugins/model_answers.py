"""``ModelAnswers``: the formgrader shows the instructor's model answer under each question
graded by hand, so that whoever grades (an instructor, a TA) grades against it.

The model answers live in the source notebooks, inside nbgrader's solution regions
(``### BEGIN SOLUTION`` ... ``### END SOLUTION``), which ``nbgrader generate_assignment``
replaces by "YOUR ANSWER HERE" in the release. This preprocessor (``c.HTMLExporter.
preprocessors``) copies each one into the metadata of the matching cell of the submission
being shown (``metadata.autograder.model_answer``), and the course's formgrade template
renders it in its own panel. It acts only on formgrader pages (their resources carry a
``submission_id``): the feedback, rendered by the same exporter, never gets the answers.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader.coursedir import CourseDirectory

SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*$",
                             re.DOTALL | re.MULTILINE)


def model_answers(source: Path) -> dict:
    """``{grade_id: model answer}`` of the hand-graded cells of a source notebook."""
    answers = {}
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("solution"):
            regions = SOLUTION_REGION.findall(cell.source)
            if regions:
                answers[meta["grade_id"]] = "\n".join(region.strip("\n") for region in regions)
    return answers


class ModelAnswers(Preprocessor):
    """Formgrader pages only: attach the source notebook's model answers to the hand-graded cells."""

    def preprocess(self, nb, resources):
        if "submission_id" not in resources:  # feedback, or any other export: students must not see them
            return nb, resources
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", resources["assignment_id"]))
        path = source / f"{resources['notebook_id']}.ipynb"
        if not path.is_file():
            self.log.warning("no source notebook %s: no model answers shown", path)
            return nb, resources
        answers = model_answers(path)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.metadata.setdefault("autograder", {})["model_answer"] = answers[grade_id]
        return nb, resources
