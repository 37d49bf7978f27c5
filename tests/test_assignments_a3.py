"""a3-lenet on the safe autograder: the instructor's whole loop on a copy of the course,
the saved-model checks (weights only, never executed), and the solution notebook run
as a student would run it (training cut to a few batches)."""
import csv
import pickle
import zipfile

import pytest

torch = pytest.importorskip("torch")

from course_copy import (  # noqa: E402
    copy_course,
    exported_scores,
    grade_by_hand,
    make_submission,
    nbgrader_api,
    run_solution_notebook,
    solutions,
)

from autograder.__main__ import nbgrader  # noqa: E402
from autograder.checks import a3_lenet  # noqa: E402
from autograder.grade import grade_all  # noqa: E402

ASSIGNMENT = "a3-lenet"
FULL = 13  # automatic points: architecture 3, outputs 4, parameter counts 2, saved model 4

# forgets the biases: loses the 2 points of the parameter counts
NO_BIASES = "layer_parameters = [6 * 25, 16 * 150, 120 * 400, 84 * 120, 10 * 84]\n" \
            "total_parameters = sum(layer_parameters)\n"
# the right layers, but forward only knows the answer of the visible test (equal scores)
VISIBLE_ONLY = '''
class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, num_classes)

    def forward(self, x):
        return torch.ones(len(x), 10) * x.mean()
'''


class RunsCode:
    """Unpickling this creates ``marker``: a saved 'model' that would execute code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def trained_lenet():
    """The reference LeNet-5 after two epochs of Fashion-MNIST (one-cycle Adam): about 0.89.

    The honest submissions' full scores rest on this model passing the grader's 0.85, so
    the margin is checked here, on the grader's own test split: a CPU that trains to a
    slightly different model must not turn this test into a coin toss.
    """
    from cnncourse.data import load_dataset
    from cnncourse.torch.training import evaluate, train

    model = a3_lenet.reference()
    train(model, load_dataset("fashion-mnist", "train"), epochs=2, batch_size=64, lr=3e-3, schedule="onecycle",
          device="cpu", progress=False, seed=0)
    test = load_dataset("fashion-mnist", "test")
    accuracy = evaluate(model, test.images, test.labels).accuracy
    assert accuracy >= a3_lenet.ACCURACY_THRESHOLD + 0.02, f"the honest model trained to only {accuracy:.3f}"
    return model


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Five submissions of a3, sandbox-graded, autograded by nbgrader and exported."""
    course = copy_course(tmp_path_factory.mktemp("course"))
    api = nbgrader_api(course)
    assert api.generate_assignment(ASSIGNMENT)["success"]
    answers = solutions(course, ASSIGNMENT)
    marker = tmp_path_factory.mktemp("cheat") / "code-ran"
    good, untrained = trained_lenet().state_dict(), a3_lenet.reference().state_dict()
    submissions = {
        "solution": ({}, good),
        "blank": None,
        "partial": ({"parameters_answer": NO_BIASES}, untrained),
        "visible_only": ({"lenet5_answer": VISIBLE_ONLY}, good),
        "code_in_file": ({}, RunsCode(marker)),
    }
    for student, submission in submissions.items():
        if submission is None:
            make_submission(course, ASSIGNMENT, student)
            continue
        changes, saved = submission
        folder = make_submission(course, ASSIGNMENT, student, {**answers, **changes})
        torch.save(saved, folder / a3_lenet.SAVED_MODEL)
    verdicts = grade_all(course, ASSIGNMENT, jobs=2)
    assert api.autograde(ASSIGNMENT, "*")["success"]
    assert nbgrader(course, "export", f"--assignment=['{ASSIGNMENT}']", "--to=grades.csv") == 0
    with open(course / "grades.csv") as f:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    return course, api, verdicts, scores, marker


def test_scores(graded):
    course, api, verdicts, scores, marker = graded
    assert scores == {"solution": FULL, "blank": 0, "partial": FULL - 2 - 4, "visible_only": FULL - 4,
                      "code_in_file": FULL - 4}


def test_the_solution_earns_full_marks_once_its_model_answers_are_graded(graded):
    course, api, verdicts, scores, marker = graded
    given = grade_by_hand(course, ASSIGNMENT, "solution")
    assert sorted(given) == ["question_parameters", "question_training"]
    raw, maximum = exported_scores(course, ASSIGNMENT)["solution"]
    assert raw == maximum == FULL + sum(given.values())


def test_reasons_and_refused_code(graded):
    course, api, verdicts, scores, marker = graded
    checks = {student: v[ASSIGNMENT]["checks"] for student, v in verdicts.items()}
    assert not marker.exists(), "the grader unpickled code from a submitted file"
    assert "refused" in checks["code_in_file"]["saved_model_accuracy"]["reason"]
    assert "needs 0.85" in checks["partial"]["saved_model_accuracy"]["reason"]
    assert checks["visible_only"]["architecture"]["passed"]
    assert "wrong values" in checks["visible_only"]["reference_agreement"]["reason"]
    assert "not submitted" in checks["blank"]["saved_model_accuracy"]["reason"]


def test_feedback_hides_the_checks(graded):
    course, api, verdicts, scores, marker = graded
    assert api.generate_feedback(ASSIGNMENT)["success"]
    html = (course / "feedback" / "partial" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "CheckFailed" in html and "needs 0.85" in html
    assert "BEGIN HIDDEN TESTS" not in html and "autograder-check" not in html


@pytest.mark.parametrize("write", [
    pytest.param(lambda path: torch.save(a3_lenet.reference(), path), id="whole-module"),
    pytest.param(lambda path: path.write_bytes(pickle.dumps(RunsCode(path.with_name("ran")))), id="plain-pickle"),
    pytest.param(lambda path: torch.save({"0.weight": torch.zeros(6, 1, 5, 5)}, path), id="too-few-tensors"),
    pytest.param(lambda path: torch.save([t for t in a3_lenet.reference().state_dict().values()], path),
                 id="list-not-dict"),
    pytest.param(lambda path: zipfile.ZipFile(path, "w").close(), id="empty-zip"),
])
def test_saved_file_refusals(tmp_path, write):
    """Files that are not a state_dict of LeNet-5 score 0 with a reason; nothing in them runs."""
    write(tmp_path / "lenet5.pt")
    inspect = a3_lenet.SPEC.check("saved_model_accuracy").inspect
    reason = inspect(tmp_path, 0)
    assert reason.startswith("lenet5.pt") and "accuracy" not in reason
    assert not (tmp_path / "ran").exists()


def test_solution_notebook_trains_and_saves(tmp_path):
    """The instructor's notebook, run in a kernel as a student would (3 batches per epoch)."""
    run_solution_notebook(ASSIGNMENT, tmp_path, batches=3, timeout=300)
    saved = torch.load(tmp_path / a3_lenet.SAVED_MODEL, weights_only=True)
    assert [t.shape for t in saved.values()] == [t.shape for t in a3_lenet.reference().state_dict().values()]
