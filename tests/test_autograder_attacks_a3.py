"""Hostile files and probes of a3 (``tests/attacks/a3/``), graded in one run of the
instructor's command next to an honest student: a saved ``lenet5.pt`` that is a zip bomb,
or holds sparse or quantized tensors, is refused with a reason and never inflated; the
fixed architecture probe gives neither error sizes nor the reference's shapes; the
grader's memory stays bounded."""
import contextlib
import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from attack_suite import ATTACKS, load_attack, submit_attack  # noqa: E402
from course_copy import generated_course, make_submission, solutions  # noqa: E402

import autograder.__main__  # noqa: E402
from autograder.checks import a3_lenet  # noqa: E402
from autograder.grade import cache_path  # noqa: E402

ASSIGNMENT = "a3-lenet"
FULL, SAVED_MODEL, ARCHITECTURE, AGREEMENT = 13.0, 4.0, 3.0, 4.0
EXPECTED = {
    "lena": FULL - SAVED_MODEL,  # honest, with untrained weights (training is not what is tested here)
    "zip_bomb": FULL - SAVED_MODEL, "sparse_tensor": FULL - SAVED_MODEL, "qint8_tensor": FULL - SAVED_MODEL,
    "wrong_architecture": FULL - SAVED_MODEL - ARCHITECTURE - AGREEMENT,
}
BOMB_BYTES = 1200 * 2**20  # what the bomb's compressed entry inflates to (1.2 MB compressed)


def untrained(path: Path) -> None:
    torch.save(a3_lenet.reference().state_dict(), path)


def zip_bomb(path: Path) -> None:
    """A real torch.save archive whose first storage is replaced by a deflated run of zeros."""
    untrained(path)
    with zipfile.ZipFile(path) as original:
        entries = [(info, original.read(info)) for info in original.infolist()]
    with zipfile.ZipFile(path, "w") as bomb:
        for info, data in entries:
            if info.filename.endswith("/data/0"):
                inflated = zipfile.ZipInfo(info.filename)
                inflated.compress_type = zipfile.ZIP_DEFLATED
                with bomb.open(inflated, "w") as entry:
                    chunk = bytes(2**24)
                    for _ in range(BOMB_BYTES // len(chunk)):
                        entry.write(chunk)
            else:
                bomb.writestr(info, data)


def _with_one_tensor(path: Path, change) -> None:
    state = a3_lenet.reference().state_dict()
    key = next(iter(state))
    state[key] = change(state[key])
    torch.save(state, path)


BUILDERS = {
    "untrained": untrained, "zip_bomb": zip_bomb,
    "sparse_tensor": lambda path: _with_one_tensor(path, lambda t: t.to_sparse()),
    "qint8_tensor": lambda path: _with_one_tensor(path, lambda t: torch.quantize_per_tensor(t, 0.01, 0, torch.qint8)),
}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    course, _ = generated_course(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    answers = solutions(course, ASSIGNMENT)
    untrained(make_submission(course, ASSIGNMENT, "lena", answers) / a3_lenet.SAVED_MODEL)
    for path in sorted((ATTACKS / "a3").glob("*.py")):
        sections = load_attack(path.stem, course, folder=ATTACKS / "a3")
        folder = submit_attack(course, ASSIGNMENT, path.stem, sections, answers)
        BUILDERS[sections["saved-weights"].strip()](folder / a3_lenet.SAVED_MODEL)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        autograder.__main__.main(["autograde", ASSIGNMENT, "--course", str(course), "--jobs", "2"])
    verdicts = {s: json.loads(cache_path(course, ASSIGNMENT, s, ASSIGNMENT).read_text()) for s in EXPECTED}
    assert autograder.__main__.nbgrader(course, "export", f"--assignment=['{ASSIGNMENT}']", "--to=grades.csv") == 0
    with open(course / "grades.csv") as f:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    return dict(course=course, verdicts=verdicts, scores=scores, summary=out.getvalue())


@pytest.mark.parametrize("student", list(EXPECTED))
def test_score_is_only_what_was_earned(attacked, student):
    assert attacked["scores"][student] == EXPECTED[student], attacked["verdicts"][student]


def _reason(attacked, student, check):
    return attacked["verdicts"][student]["checks"][check]["reason"]


def test_hostile_saved_files_are_refused_with_reasons(attacked):
    assert "compressed entries" in _reason(attacked, "zip_bomb", "saved_model_accuracy")
    assert "not a plain dense tensor" in _reason(attacked, "sparse_tensor", "saved_model_accuracy")
    assert "not a plain dense tensor" in _reason(attacked, "qint8_tensor", "saved_model_accuracy")
    assert "needs 0.85" in _reason(attacked, "lena", "saved_model_accuracy")  # the honest file is judged


def test_fixed_probe_reasons_give_no_sizes_or_reference_shapes(attacked):
    architecture = _reason(attacked, "wrong_architecture", "architecture")
    agreement = _reason(attacked, "wrong_architecture", "reference_agreement")
    assert "not the expected shape" in architecture or "wrong values" in architecture
    assert "max abs error" not in architecture and "expected (" not in architecture
    assert "(100, 400)" in agreement  # the student's own tensor is named ...
    assert "(120, 400)" not in agreement and "(120," not in agreement  # ... the reference's never


BOMB_RSS = """
import resource, sys
from pathlib import Path
from autograder.checks import a3_lenet
inspect = a3_lenet.SPEC.check("saved_model_accuracy").inspect
a3_lenet.reference()  # torch and the model are loaded before measuring
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reason = inspect(Path(sys.argv[1]), 0)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(reason)
print(before, after)
"""


def test_the_zip_bomb_never_inflates_in_the_grader(tmp_path):
    """Peak RSS of a fresh grader process judging the bomb (stock torch.load: about +1 GB)."""
    zip_bomb(tmp_path / a3_lenet.SAVED_MODEL)
    assert (tmp_path / a3_lenet.SAVED_MODEL).stat().st_size < 2 * 2**20
    run = subprocess.run([sys.executable, "-c", BOMB_RSS, str(tmp_path)], capture_output=True, text=True, check=True)
    reason, sizes = run.stdout.strip().splitlines()[-2:]
    before_kib, after_kib = map(int, sizes.split())
    assert "compressed entries" in reason
    assert after_kib - before_kib < 64 * 1024, f"grader grew from {before_kib} to {after_kib} KiB"
