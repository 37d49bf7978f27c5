"""a4-resnet on the safe autograder: the instructor's whole loop on a copy of the course
(BasicBlock, ResNet-18, shapes, the file the solution notebook trains at its CPU budget) and
the solution notebook run as a student would run it (training cut to a few batches)."""
import csv
import hashlib

import pytest

torch = pytest.importorskip("torch")

import course_copy  # noqa: E402  (the tests' course copies and submissions)

from autograder.__main__ import nbgrader  # noqa: E402
from autograder.checks import a4_resnet  # noqa: E402
from autograder.grade import grade_all  # noqa: E402

ASSIGNMENT = "a4-resnet"
FULL = 16  # automatic points: block 4, architecture 3, outputs 4, shapes 2, trained file 3

# forgets the strides and counts batch-norm buffers as parameters: loses the 2 shape points
WRONG_SHAPES = "stage_shapes = [(64, 32, 32), (128, 32, 32), (256, 32, 32), (512, 32, 32)]\n" \
               "num_parameters = sum(t.numel() for t in ResNet18().state_dict().values())\n"
# the right layers, but forward ignores them: passes the visible checks (finite, repeatable)
VISIBLE_ONLY = '''
class ResNet18(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64)
        widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
        for i, (c_in, c_out, stride) in enumerate(widths, 1):
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock(c_in, c_out, stride), BasicBlock(c_out, c_out)))
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return x.mean((1, 2, 3))[:, None].repeat(1, 10)
'''


def cpu_budget_resnet(cache_dir, tmp_path_factory):
    """The ResNet-18 that the solution notebook trains at its CPU budget (one pass over 2,000
    Fashion-MNIST images at 32x32x3, batch 32, 1cycle), run in a kernel as a student runs it.

    About a minute on two cores, so the state_dict is kept in pytest's cache, keyed by the
    notebook's bytes and torch's version.
    """
    digest = hashlib.sha256(course_copy.source_path(ASSIGNMENT).read_bytes()).hexdigest()[:12]
    path = cache_dir / f"resnet18-cpu-budget-{digest}-torch{torch.__version__}.pt"
    model = a4_resnet.reference()
    if path.is_file():
        model.load_state_dict(torch.load(path, weights_only=True))
        return model
    from cnncourse.data import load_dataset, pad_to_rgb32
    from cnncourse.torch.training import evaluate

    folder = tmp_path_factory.mktemp("a4-student")
    course_copy.run_solution_notebook(ASSIGNMENT, folder, batches=0, timeout=900)  # 0: the whole budget
    model.load_state_dict(torch.load(folder / a4_resnet.SAVED_MODEL, weights_only=True))
    # The honest submissions' full scores rest on this model passing the grader's mark on its
    # random held-out images, and the notebook's table promises "about 0.75": check both on
    # 1,000 test images (+-0.1; a constant learning rate gave 0.41-0.76 here, 1cycle 0.76-0.80).
    test = load_dataset(a4_resnet.DATASET, "test").take(1000)
    accuracy = evaluate(model, pad_to_rgb32(test.images), test.labels).accuracy
    assert a4_resnet.THRESHOLD + 0.1 <= 0.65 <= accuracy <= 0.85, f"the notebook's model reached {accuracy:.3f}"
    torch.save(model.state_dict(), path)
    return model


@pytest.fixture(scope="module")
def graded(tmp_path_factory, pytestconfig):
    """Five submissions of a4, sandbox-graded, autograded by nbgrader and exported."""
    course = course_copy.copy_course(tmp_path_factory.mktemp("course"))
    api = course_copy.nbgrader_api(course)
    assert api.generate_assignment(ASSIGNMENT)["success"]
    answers = course_copy.solutions(course, ASSIGNMENT)
    cache = getattr(pytestconfig, "cache", None)  # absent under -p no:cacheprovider: train into a temporary folder
    cache_dir = cache.mkdir("cnncourse-a4") if cache is not None else tmp_path_factory.mktemp("a4")
    good = cpu_budget_resnet(cache_dir, tmp_path_factory).state_dict()
    submissions = {
        "solution": ({}, good),
        "partial": ({"shapes_answer": WRONG_SHAPES}, a4_resnet.reference().state_dict()),
        "visible_only": ({"resnet_answer": VISIBLE_ONLY}, good),
        "whole_module": ({}, a4_resnet.reference()),
    }
    course_copy.make_submission(course, ASSIGNMENT, "blank")
    for student, (changes, saved) in submissions.items():
        folder = course_copy.make_submission(course, ASSIGNMENT, student, {**answers, **changes})
        torch.save(saved, folder / a4_resnet.SAVED_MODEL)
    verdicts = grade_all(course, ASSIGNMENT, jobs=2)
    assert api.autograde(ASSIGNMENT, "*")["success"]
    assert nbgrader(course, "export", f"--assignment=['{ASSIGNMENT}']", "--to=grades.csv") == 0
    with open(course / "grades.csv") as f:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    return course, api, verdicts, scores


def test_scores(graded):
    course, api, verdicts, scores = graded
    assert scores == {"solution": FULL, "blank": 0, "partial": FULL - 2 - 3, "visible_only": FULL - 4,
                      "whole_module": FULL - 3}


def test_the_solution_earns_full_marks_once_its_model_answers_are_graded(graded):
    course, api, verdicts, scores = graded
    given = course_copy.grade_by_hand(course, ASSIGNMENT, "solution")
    assert sorted(given) == ["question_shortcut"]
    raw, maximum = course_copy.exported_scores(course, ASSIGNMENT)["solution"]
    assert raw == maximum == FULL + sum(given.values())


def test_reasons_and_feedback(graded):
    course, api, verdicts, scores = graded
    checks = {student: v[ASSIGNMENT]["checks"] for student, v in verdicts.items()}
    assert "refused" in checks["whole_module"]["trained_accuracy"]["reason"]
    assert f"needs {a4_resnet.THRESHOLD:.2f}" in checks["partial"]["trained_accuracy"]["reason"]
    assert checks["visible_only"]["architecture"]["passed"]
    assert "wrong values" in checks["visible_only"]["reference_agreement"]["reason"]
    assert api.generate_feedback(ASSIGNMENT)["success"]
    html = (course / "feedback" / "partial" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "CheckFailed" in html and "stage_shapes" in html
    assert "BEGIN HIDDEN TESTS" not in html and "autograder-check" not in html


def test_solution_notebook_trains_and_saves(tmp_path):
    """The instructor's notebook, run in a kernel as a student would (2 training batches)."""
    course_copy.run_solution_notebook(ASSIGNMENT, tmp_path, batches=2, timeout=600)
    saved = torch.load(tmp_path / a4_resnet.SAVED_MODEL, weights_only=True)
    assert [t.shape for t in saved.values()] == [t.shape for t in a4_resnet.reference().state_dict().values()]
