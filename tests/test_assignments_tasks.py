"""The assignments as a student reads them: no traps. Every name the grader reads is stated
in its task, test cells say they are tests and what they are worth, the points in the
headings add up, and every question graded by hand has a model answer that the release
does not show."""
import re

import nbformat
import numpy as np
import pytest
from course_copy import COURSE, source_path
from nbgrader.preprocessors import ClearSolutions

from autograder.scoring import is_autograded_test, is_graded_by_hand, referenced_checks
from autograder.spec import load_spec

ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
NEEDS_TORCH = {"a3-lenet", "a4-resnet"}
HEADING = re.compile(r"^(#{1,6}) (.*)$", re.MULTILINE)
POINTS_IN_HEADING = re.compile(r"\(([^()]*\bpoints?\b[^()]*)\)")
TEST_LABEL = re.compile(r"^# TEST CELL \((\d+) points?, graded automatically\)")
TOTALS = re.compile(r"Points: (\d+) automatic, (\d+) graded by hand\.")


def source_notebook(assignment):
    return nbformat.read(source_path(assignment), as_version=4)


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def task_markdown(nb, index):
    """The markdown of the task a cell belongs to: its ``#``/``##`` section, up to the cell."""
    start = 0
    for i in range(index, -1, -1):
        cell = nb.cells[i]
        if cell.cell_type == "markdown" and re.match(r"#{1,2} ", cell.source):
            start = i
            break
    return "\n".join(c.source for c in nb.cells[start:index] if c.cell_type == "markdown")


def names_read(check):
    """Every notebook name and submitted file a check reads (its cases' targets, its files)."""
    return {case.target for case in check.make_cases(np.random.default_rng(0))} | set(check.files)


def stated(name, text):
    """``name`` appears as code: `name` or a call signature `name(...)`."""
    return re.search(rf"`{re.escape(name)}[`(]", text) is not None


def needs(assignment):
    if assignment in NEEDS_TORCH:
        pytest.importorskip("torch")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_name_the_grader_reads_is_stated_in_its_task(assignment):
    needs(assignment)
    spec, nb = load_spec(assignment), source_notebook(assignment)
    missing = []
    for index, cell in enumerate(nb.cells):
        if not is_autograded_test(cell):
            continue
        task = task_markdown(nb, index)
        for check_name in referenced_checks(cell.source):
            missing += [(nbgrader_meta(cell)["grade_id"], name) for name in sorted(names_read(spec.check(check_name)))
                        if not stated(name, task)]
    assert missing == [], "names the hidden checks read but the task does not state (test cell, name)"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_test_cells_say_they_are_tests_and_what_they_are_worth(assignment):
    for cell in source_notebook(assignment).cells:
        if is_autograded_test(cell):
            label = TEST_LABEL.match(cell.source)
            assert label, f"{nbgrader_meta(cell)['grade_id']} does not start with its TEST CELL label"
            assert int(label[1]) == nbgrader_meta(cell)["points"], nbgrader_meta(cell)["grade_id"]


def _heading_spans(nb):
    """``[(heading text, points it states, points of the graded cells until the next heading)]``."""
    spans, current = [], None
    for cell in nb.cells:
        is_text = cell.cell_type == "markdown" and not nbgrader_meta(cell).get("solution")  # answers are not headings
        headings = HEADING.findall(cell.source) if is_text else []
        if headings:
            current = [headings[-1][1], None, 0]
            stated = POINTS_IN_HEADING.search(headings[-1][1])
            if stated:
                current[1] = sum(int(n) for n in re.findall(r"\d+", stated[1]))
            spans.append(current)
        elif nbgrader_meta(cell).get("grade"):
            assert current is not None and current[1] is not None, \
                f"{nbgrader_meta(cell)['grade_id']} is worth points under no heading that states them"
            current[2] += nbgrader_meta(cell)["points"]
    return [tuple(span) for span in spans if span[1] is not None]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_points_stated_add_up(assignment):
    nb = source_notebook(assignment)
    for heading, stated, graded in _heading_spans(nb):
        assert stated == graded, f"{assignment}: '{heading}' states {stated} points, its cells are worth {graded}"
    auto = sum(nbgrader_meta(c)["points"] for c in nb.cells if is_autograded_test(c))
    by_hand = sum(nbgrader_meta(c)["points"] for c in nb.cells if is_graded_by_hand(c))
    totals = TOTALS.search(nb.cells[0].source)
    assert totals, f"{assignment}'s header does not state 'Points: N automatic, M graded by hand.'"
    assert (int(totals[1]), int(totals[2])) == (auto, by_hand)
    readme = (COURSE / "README.md").read_text()
    row = re.search(rf"^\| `{assignment}` \|[^|]*\| (\d+) \| (\d+) \|$", readme, re.MULTILINE)
    assert row and (int(row[1]), int(row[2])) == (auto, by_hand), "assignments/README.md's table"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hand_graded_question_has_a_model_answer_the_release_hides(assignment):
    nb = source_notebook(assignment)
    questions = [c for c in nb.cells if is_graded_by_hand(c)]
    assert questions, f"{assignment} has no question graded by hand"
    answers = {}
    for cell in questions:
        region = re.search(r"### BEGIN SOLUTION\n(.*)\n### END SOLUTION", cell.source, re.DOTALL)
        assert region and "Model answer" in region[1], f"{nbgrader_meta(cell)['grade_id']} has no model answer"
        assert "YOUR ANSWER HERE" not in region[1]
        answers[nbgrader_meta(cell)["grade_id"]] = region[1]
    released, _ = ClearSolutions().preprocess(nb, {})  # what `nbgrader generate_assignment` does to answers
    for cell in released.cells:
        if nbgrader_meta(cell).get("grade_id") in answers:
            assert cell.source == "YOUR ANSWER HERE"
    text = nbformat.writes(released)
    assert "Model answer" not in text and "For the grader" not in text
