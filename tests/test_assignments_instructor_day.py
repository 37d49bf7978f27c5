"""The instructor's day for a1, with a roster of three named students: import the roster,
grade with the instructor's command (progress bar, one nbgrader run, a summary in
points), grade the questions by hand against the model answers, write the feedback, and
export grades that Canvas imports and a per-question breakdown."""
import contextlib
import csv
import io
import subprocess
import sys

import pytest
from a1_answers import INDEPENDENT
from course_copy import generated_course, grade_by_hand, make_submission, solutions

import autograder.__main__
from autograder.__main__ import nbgrader
from autograder.scoring import assignment_points

ASSIGNMENT = "a1-convolution"
ROSTER = [  # nbgrader's roster columns; lms_user_id is the Canvas user id
    {"id": "alice", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org", "lms_user_id": "101"},
    {"id": "bob", "first_name": "Blaise", "last_name": "Pascal", "email": "blaise@example.org", "lms_user_id": "102"},
    {"id": "carol", "first_name": "Caroline", "last_name": "Herschel", "email": "caro@example.org",
     "lms_user_id": "103"},
]
IM2COL_POINTS = 4  # the test cell of im2col + conv2d_im2col
BOB_WROTE = {"pooling_question": "The maximum is 3.", "speed_question": "Matrix products are fast."}
BY_HAND = {"alice": {}, "bob": {"pooling_question": 1.0, "speed_question": 0.0},
           "carol": {"pooling_question": 2.0, "speed_question": 1.5}}  # {}: full credit for every question


def run_command(*args) -> tuple:
    """``(status, stdout, stderr)`` of ``python -m autograder ...`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = autograder.__main__.main(list(args))
    return status, out.getvalue(), err.getvalue()


def export(course, exporter, name) -> list:
    assert nbgrader(course, "export", f"--exporter=autograder.exporters.{exporter}", f"--to={name}") == 0
    with open(course / name, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    course, api = generated_course(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    roster = course / "roster.csv"
    with open(roster, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(ROSTER[0]))
        writer.writeheader()
        writer.writerows(ROSTER)
    assert nbgrader(course, "db", "student", "import", str(roster)) == 0
    answers = solutions(course, ASSIGNMENT)  # the solution code and the model answers
    make_submission(course, ASSIGNMENT, "alice", answers)
    make_submission(course, ASSIGNMENT, "bob", {**answers, **BOB_WROTE, "conv2d_im2col_answer": ""})
    make_submission(course, ASSIGNMENT, "carol", INDEPENDENT)
    status, out, err = run_command("autograde", ASSIGNMENT, "--course", str(course), "--jobs", "2")
    assert status == 0, out + err
    for student, points in BY_HAND.items():
        grade_by_hand(course, ASSIGNMENT, student, points)
    assert api.generate_feedback(ASSIGNMENT)["success"]
    return dict(course=course, api=api, out=out, err=err,
                canvas=export(course, "CanvasCsv", "canvas.csv"),
                questions=export(course, "PerQuestionCsv", "questions.csv"))


def expected_totals(course) -> dict:
    """Automatic points from which checks each answer fails, plus the points given by hand."""
    worth = assignment_points(course, ASSIGNMENT)[ASSIGNMENT]
    auto = {"alice": worth.automatic, "bob": worth.automatic - IM2COL_POINTS, "carol": worth.automatic}
    full_by_hand = {"pooling_question": 2.0, "speed_question": 2.0}
    return {s: auto[s] + sum({**full_by_hand, **BY_HAND[s]}.values()) for s in auto}


def test_the_summary_lists_points_for_each_student_and_the_max(day):
    worth = assignment_points(day["course"], ASSIGNMENT)[ASSIGNMENT]
    maximum = f"{worth.automatic:g}"
    lines = {line.split()[0]: line for line in day["out"].splitlines() if line.split()}
    assert lines["student"].split()[:2] == ["student", "points"]
    assert f" {maximum} / {maximum} " in lines["alice"] and lines["alice"].split()[4] == "-"
    bob = lines["bob"]
    assert f" {worth.automatic - IM2COL_POINTS:g} / {maximum} " in bob
    assert "im2col, conv2d_im2col" in bob and "im2col is not defined in your notebook" in bob
    assert f" {maximum} / {maximum} " in lines["carol"]
    assert "4 more are graded by hand" in day["out"]


def test_the_run_can_be_watched_and_nbgrader_output_goes_to_a_log(day):
    assert "grading a1-convolution: 100%" in day["err"] and "3/3" in day["err"]  # tqdm, one step per submission
    assert "[AutogradeApp" not in day["out"] + day["err"] and "SAWarning" not in day["out"] + day["err"]
    log_line = next(line for line in day["out"].splitlines() if "its output is in" in line)
    log = log_line.rsplit("its output is in ", 1)[1]
    text = open(log).read()
    assert "[AutogradeApp | INFO]" in text and "SAWarning" not in text
    # the table is the last thing printed, after nbgrader's step
    assert day["out"].rstrip().splitlines()[-1].startswith("(automatic points only")


def test_two_students_are_recorded_by_one_nbgrader_run(day):
    course = day["course"]
    logs_before = set((course / ".autograder" / "logs").iterdir())
    status, out, err = run_command("autograde", ASSIGNMENT, "--course", str(course), "--student", "bob",
                                   "--student", "carol")
    assert status == 0, out + err
    new_logs = set((course / ".autograder" / "logs").iterdir()) - logs_before
    assert len(new_logs) == 1
    text = new_logs.pop().read_text()
    assert text.count("Creating/updating student with ID 'bob'") == 1
    assert text.count("Creating/updating student with ID 'carol'") == 1 and "'alice'" not in text
    assert [line.split()[0] for line in out.splitlines()[-4:-1]] == ["student", "bob", "carol"]


def test_an_unknown_student_is_named(day):
    status, out, err = run_command("autograde", ASSIGNMENT, "--course", str(day["course"]), "--student", "zed")
    assert status == 2 and "no submission of a1-convolution for zed" in err


def test_the_roster_fills_the_names(day):
    listing = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "list"], cwd=day["course"],
                             capture_output=True, text=True).stdout
    assert "alice (Lovelace, Ada)" in listing and "None, None" not in listing


def test_the_canvas_csv_has_the_required_columns_names_and_exact_scores(day):
    header, possible, *rows = day["canvas"]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert possible[0].strip() == "Points Possible" and float(possible[5]) == 20
    totals = expected_totals(day["course"])
    assert {row[3]: (row[0], row[1], float(row[5])) for row in rows} == {
        "alice": ("Lovelace, Ada", "101", totals["alice"]),
        "bob": ("Pascal, Blaise", "102", totals["bob"]),
        "carol": ("Herschel, Caroline", "103", totals["carol"])}
    assert totals["alice"] == 20  # the solution, its model answers graded: full marks


def test_the_per_question_csv_sums_to_the_total(day):
    header, *rows = day["questions"]
    assert header[:8] == ["student_id", "last_name", "first_name", "assignment", "notebook", "question", "kind",
                          "points"]
    canvas = {row[3]: float(row[5]) for row in day["canvas"][2:]}
    sums = {}
    for row in rows:
        sums[row[0]] = sums.get(row[0], 0.0) + float(row[7])
        assert 0 <= float(row[7]) <= float(row[8])
    assert sums == canvas
    kinds = {row[5]: row[6] for row in rows}
    assert kinds["pooling_question"] == "by hand" and kinds["test_conv2d_loops"] == "automatic"
    assert len(rows) == 3 * 7  # three students, five test cells and two questions each


def test_feedback_never_shows_the_model_answers(day):
    course = day["course"]
    for student in ("bob", "carol"):  # their answers are their own; the model answers stay in source/
        html = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert "Model answer" not in html and "For the grader" not in html
        assert "cdnjs" not in html and "MathJax.Hub.Configured()" in html  # math renders offline
