"""The instructor's loop on a copy of the course, for a1 and a2: generate, submit,
sandbox-grade, nbgrader autograde, feedback, CSV export, and the scores that come out."""
import csv
import json

import pytest
from course_copy import exported_scores, generated_course, grade_by_hand, make_submission, solutions, source_path

from autograder.__main__ import nbgrader
from autograder.grade import grade_all
from autograder.spec import load_spec

WARNS = "import warnings\nwarnings.warn('a harmless warning on stderr')\n"
# One answer made wrong on purpose per assignment, and the test cell that loses its points.
WRONG = {
    "a1-convolution": ("conv2d_im2col_answer", "test_conv2d_im2col", '''
def im2col(input, kernel_size, stride=1, padding=0):
    raise NotImplementedError

def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):
    return conv2d_loops(input, weight, None, stride, padding)  # forgets the bias
'''),
    "a2-backprop": ("batch_norm_answer", "test_batch_norm_backward", '''
def batch_norm_backward(grad_output, input, weight, eps=1e-5):
    axes = (0, 2, 3)
    inv_std = 1 / np.sqrt(input.var(axis=axes, keepdims=True) + eps)
    x_hat = (input - input.mean(axis=axes, keepdims=True)) * inv_std
    # treats mean and variance as constants: wrong in training mode
    return grad_output * weight[None, :, None, None] * inv_std, (grad_output * x_hat).sum(axes), grad_output.sum(axes)
'''),
}


def points(api, assignment):
    """``{test cell grade_id: points}`` of the assignment's autograded tests."""
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        nb = gb.find_assignment(assignment).notebooks[0]
        return {c.name: c.max_score for c in nb.grade_cells if not c.cell_type == "markdown"}


def referenced(course, assignment):
    """``{test cell grade_id: check names}`` written in the source notebook's hidden regions."""
    import nbformat

    from autograder.scoring import is_autograded_test, referenced_checks

    nb = nbformat.read(source_path(assignment, course), as_version=4)
    return {c.metadata.nbgrader.grade_id: tuple(referenced_checks(c.source)) for c in nb.cells
            if is_autograded_test(c)}


@pytest.fixture(scope="module")
def course_api(tmp_path_factory):
    """One course copy with both assignments generated (creating a gradebook is slow)."""
    return generated_course(tmp_path_factory.mktemp("course"), *WRONG)


@pytest.fixture(scope="module", params=list(WRONG))
def graded(request, course_api):
    """Three submissions of one assignment, sandbox-graded and autograded by nbgrader."""
    assignment = request.param
    course, api = course_api
    answers = solutions(course, assignment)
    cell, test_cell, wrong_code = WRONG[assignment]
    first_answer = next(iter(answers))
    make_submission(course, assignment, "solution", answers)
    make_submission(course, assignment, "blank")
    make_submission(course, assignment, "partial",
                    {**answers, cell: wrong_code, first_answer: WARNS + answers[first_answer]})
    verdicts = grade_all(course, assignment, jobs=2)
    result = api.autograde(assignment, "*")
    assert result["success"], result.get("error")
    return assignment, course, api, verdicts


def test_scores_feedback_and_export(graded):
    assignment, course, api, verdicts = graded
    auto = points(api, assignment)
    full = sum(auto.values())
    lost = auto[WRONG[assignment][1]]
    named = referenced(course, assignment)
    assert set(named) == set(auto), "every autograded test cell names its checks"
    assert {n for names in named.values() for n in names} == {c.name for c in load_spec(assignment).checks}
    assert all(v["passed"] for v in verdicts["solution"][assignment]["checks"].values())

    # nbgrader's own CLI export (in-process gradebook reads can see stale rows)
    assert nbgrader(course, "export", f"--assignment=['{assignment}']", "--to=grades.csv") == 0
    with open(course / "grades.csv") as f:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)
                  if row["assignment"] == assignment and row["student_id"] in ("solution", "blank", "partial")}
    assert scores == {"solution": full, "blank": 0, "partial": full - lost}

    assert api.generate_feedback(assignment)["success"]
    html = (course / "feedback" / "partial" / assignment / f"{assignment}.html").read_text()
    assert "CheckFailed" in html and "hidden input 1" in html
    assert "BEGIN HIDDEN TESTS" not in html and "autograder-check" not in html


def test_the_solution_earns_full_marks_once_its_model_answers_are_graded(graded):
    """The solution submission carries the model answers; a grader who compares them with
    the model answers gives full credit, and the total is the assignment's maximum."""
    assignment, course, api, verdicts = graded
    given = grade_by_hand(course, assignment, "solution")
    assert given and all(points > 0 for points in given.values())
    raw, maximum = exported_scores(course, assignment)["solution"]
    assert raw == maximum == sum(points(api, assignment).values()) + sum(given.values())


def test_verdicts_do_not_carry_expected_values(graded):
    """The cache holds reasons, not reference numbers: a wrong answer's expected values
    appear nowhere in what is written for the instructor or the student."""
    assignment, course, api, verdicts = graded
    reasons = json.dumps(verdicts["partial"][assignment]["checks"])
    assert "wrong values" in reasons and "max abs error" in reasons
    assert "expected [" not in reasons and "array(" not in reasons


def test_release_and_collect_through_the_exchange(course_api, tmp_path):
    """Release, fetch, submit and collect a1 through the course's local exchange."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit
    from nbgrader.utils import get_username

    assignment = "a1-convolution"
    course, api = course_api
    assert api.release_assignment(assignment)["success"]
    assert (course / "exchange" / "cnncourse" / "outbound" / assignment).is_dir()
    home = tmp_path / "student"
    home.mkdir()
    config = api.config.copy()
    config.Exchange.assignment_dir = str(home)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    ExchangeFetchAssignment(coursedir=coursedir, authenticator=api.authenticator, config=config).start()
    fetched = home / assignment / f"{assignment}.ipynb"
    assert fetched.is_file()
    ExchangeSubmit(coursedir=coursedir, authenticator=api.authenticator, config=config).start()
    assert api.collect(assignment)["success"]
    student = get_username()  # who nbgrader says submitted
    collected = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    assert collected.read_bytes() == fetched.read_bytes()


@pytest.mark.parametrize("assignment", list(WRONG))
def test_instructor_notebook_passes_its_visible_tests(course_api, assignment):
    """``nbgrader validate`` (a real kernel) on the source: the visible tests agree with the solution."""
    from nbgrader.validator import Validator

    course, api = course_api
    notebook = source_path(assignment, course)
    assert Validator(config=api.config).validate(str(notebook)) == {}


def test_validate_prints_no_transport_warning(course_api):
    """``nbgrader validate`` from the course folder, as a student or the instructor types it:
    the kernel runs over local sockets (``c.KernelManager.transport``), so ipykernel's
    "running over TCP without encryption" warning never appears."""
    import subprocess
    import sys

    course, api = course_api
    notebook = course / "release" / "a1-convolution" / "a1-convolution.ipynb"
    run = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook)], cwd=course,
                         capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert "Validating" in output and "NotImplementedError" in output  # it ran the released notebook's cells
    assert "without encryption" not in output and "WARNING" not in output, output
