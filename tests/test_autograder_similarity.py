"""``python -m autograder similarity``: a copy with renamed variables and reordered helpers is
flagged, two independent honest solutions are not, and the instructor's given code and
the released stubs count for nothing. Every submission here is a real one: the answers
of both solutions earn every automatic point, so the pairs compare working code."""
import contextlib
import io

import pytest
from a1_answers import DISGUISED, INDEPENDENT
from course_copy import generated_course, make_submission, solutions

import autograder.__main__
from autograder.grade import grade_all
from autograder.similarity import DEFAULT_THRESHOLD, compare

ASSIGNMENT = "a1-convolution"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course, _ = generated_course(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    make_submission(course, ASSIGNMENT, "instructor_like", solutions(course, ASSIGNMENT))
    make_submission(course, ASSIGNMENT, "original", INDEPENDENT)
    make_submission(course, ASSIGNMENT, "disguised", DISGUISED)
    make_submission(course, ASSIGNMENT, "blank")  # the released notebook as fetched
    return course


@pytest.fixture(scope="module")
def scores(course):
    pairs, unread = compare(course, ASSIGNMENT)
    assert unread == {}
    return {frozenset((p.first, p.second)): p.similarity for p in pairs}


def test_the_compared_solutions_are_real_ones(course):
    verdicts = grade_all(course, ASSIGNMENT, students=["instructor_like", "original", "disguised"], jobs=2)
    for student, notebooks in verdicts.items():
        assert all(c["passed"] for c in notebooks[ASSIGNMENT]["checks"].values()), student


def test_a_disguised_copy_is_flagged(scores):
    assert scores[frozenset(("original", "disguised"))] >= DEFAULT_THRESHOLD


def test_independent_solutions_are_not_flagged(scores):
    for other in ("original", "disguised"):
        assert scores[frozenset(("instructor_like", other))] < DEFAULT_THRESHOLD


def test_given_code_and_stubs_count_for_nothing(scores):
    """The blank notebook is all release: nothing of it is the student's, so it matches no one."""
    for other in ("instructor_like", "original", "disguised"):
        assert scores[frozenset(("blank", other))] == 0.0


def test_the_command_prints_one_line_per_flagged_pair_and_writes_a_report(course, tmp_path, scores):
    out = io.StringIO()
    report = tmp_path / "report.html"
    with contextlib.redirect_stdout(out):
        status = autograder.__main__.main(["similarity", ASSIGNMENT, "--course", str(course), "--out", str(report)])
    assert status == 0
    lines = out.getvalue().splitlines()
    flagged = [line.split() for line in lines[:-1]]
    assert flagged == [["disguised", "original", f"{scores[frozenset(('original', 'disguised'))]:.2f}"]]
    assert "1 of 6 pairs" in lines[-1] and "hint for a human" in lines[-1]
    html = report.read_text()
    assert "disguised" in html and "original" in html and "autograder-similarity-" not in html
    assert "highlight-red" in html  # the copied code is marked in the side-by-side view


def test_a_link_in_place_of_a_notebook_is_named_not_followed(course, tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_text('{"cells": [{"cell_type": "code", "source": "marker-secret-4242 = 1"}]}')
    link = course / "submitted" / "linker" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    try:
        pairs, unread = compare(course, ASSIGNMENT)
    finally:
        link.unlink()
        link.parent.rmdir()
        link.parent.parent.rmdir()
    assert "symbolic link" in unread["linker"]
    assert all("linker" not in (p.first, p.second) for p in pairs)
