"""Cheating and hostile submissions of a1 (``tests/attacks/``), graded in one run next to
two honest students: no attack earns a point it did not earn, none changes anything
outside its own sandbox, and every process it starts is gone afterwards."""
import csv
import dataclasses
import hashlib
import os
import re
import socket
import threading
from pathlib import Path

import pytest

import autograder.checks.a1_convolution as a1
from autograder.__main__ import nbgrader
from autograder.course import copy_course, make_submission, nbgrader_api, solutions
from autograder.grade import grade_all

ASSIGNMENT = "a1-convolution"
ATTACKS = Path(__file__).parent / "attacks"
FULL, IM2COL, LOOPS = 16.0, 4.0, 4.0
EXPECTED = {
    "alice": FULL, "bob": FULL - IM2COL,  # honest students graded in the same run
    "noop_asserts": 0, "ipython_hooks": 0, "fake_error_display": 0, "ndarray_subclass": 0,
    "read_source": 0, "link_to_source": 0, "import_reference": 0, "rewrite_gradebook": 0, "overwrite_other": 0,
    "background_editor": 0, "planted_numpy": 0, "ignore_timeout": 0,
    "custom_eq": 0, "kernel_death": 0, "segfault": 0, "invalid_json": 0, "renamed_notebook": 0,
    # hostile but honest answers: the attack fails, the earned points stay
    "network": FULL, "allocate_8gib": FULL, "fork_bomb": FULL, "huge_output": FULL, "huge_raw_output": FULL,
    "stderr_noise": FULL, "infinite_loop": FULL - LOOPS,
}
LEFTOVER_MARKERS = ("/grader/harness.py", "3600.4242", "marker-background-editor")


def parse_attack(text: str) -> dict:
    """Split a ``# %% <directive>`` file into ``{directive: body}``."""
    parts = re.split(r"^# %% (.+)\n", text, flags=re.MULTILINE)
    return {directive.strip(): body for directive, body in zip(parts[1::2], parts[2::2])}


def submit_attack(course: Path, name: str, answers: dict, port: int) -> None:
    text = (ATTACKS / f"{name}.py").read_text()
    text = text.replace("__COURSE__", str(course)).replace("__PORT__", str(port))
    sections = parse_attack(text)
    chosen = dict(answers) if "solution" in sections else {}
    files, rename, first = {}, None, ()
    for directive, body in sections.items():
        if directive == "first":
            first = (body,)
        elif directive.startswith("file:"):
            files[directive[5:]] = body
        elif directive.startswith("rename:"):
            rename = directive[7:]
        elif directive not in ("solution", "notebook-text", "notebook-link"):
            chosen[directive] = body
    folder = make_submission(course, ASSIGNMENT, name, chosen, first, files, rename)
    if "notebook-text" in sections:
        (folder / f"{ASSIGNMENT}.ipynb").write_text(sections["notebook-text"])
    if "notebook-link" in sections:
        (folder / f"{ASSIGNMENT}.ipynb").unlink()
        (folder / f"{ASSIGNMENT}.ipynb").symlink_to(sections["notebook-link"].strip())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftover_processes() -> list:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and any(m in cmdline for m in LEFTOVER_MARKERS):
            found.append(cmdline)
    return found


class Listener:
    """A TCP server on the grading machine that records any connection."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.connections.append(self.sock.accept())
            except OSError:
                return


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    # short limits keep the timeouts quick; everything else as in production
    mp.setattr(a1, "SPEC", dataclasses.replace(
        a1.SPEC, limits=dataclasses.replace(a1.SPEC.limits, wall_seconds=20, cell_seconds=3, cpu_seconds=40)))
    course = copy_course(tmp_path_factory.mktemp("course"))
    api = nbgrader_api(course)
    assert api.generate_assignment(ASSIGNMENT)["success"]
    answers = solutions(course, ASSIGNMENT)
    make_submission(course, ASSIGNMENT, "alice", answers)
    make_submission(course, ASSIGNMENT, "bob", {**answers, "conv2d_im2col_answer": ""})
    listener = Listener()
    for name in EXPECTED:
        if name not in ("alice", "bob"):
            submit_attack(course, name, answers, listener.port)
    protected = [course / "gradebook.db", course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                 course / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]
    before = {p: digest(p) for p in protected}
    source_mode = protected[1].stat().st_mode
    verdicts = grade_all(course, ASSIGNMENT, jobs=2)
    after_sandboxes = {p: digest(p) for p in protected}
    leftovers = leftover_processes()
    api.autograde(ASSIGNMENT, "*")  # fails for invalid_json only; the others are graded
    source = protected[1]
    source_after_nbgrader = (digest(source), source.stat().st_mode)
    assert nbgrader(course, "export", "--to=grades.csv") == 0
    with open(course / "grades.csv") as f:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    yield dict(course=course, verdicts=verdicts, scores=scores, before=before, after=after_sandboxes,
               source_before=(before[source], source_mode), source_after=source_after_nbgrader,
               leftovers=leftovers, listener=listener)
    mp.undo()


@pytest.mark.parametrize("student", list(EXPECTED))
def test_score_is_only_what_was_earned(attacked, student):
    # every student has a row, even when nbgrader could not read the notebook (score 0)
    assert attacked["scores"][student] == EXPECTED[student], attacked["verdicts"][student]


def test_nothing_outside_the_sandbox_changed(attacked):
    assert attacked["after"] == attacked["before"]
    # nbgrader itself follows the linked notebook; it must not touch the source either
    assert attacked["source_after"] == attacked["source_before"]
    alice = attacked["verdicts"]["alice"][ASSIGNMENT]
    assert all(c["passed"] for c in alice["checks"].values())


def test_no_process_survives_grading(attacked):
    assert attacked["leftovers"] == []


def test_no_network(attacked):
    assert attacked["listener"].connections == []


def _verdict(attacked, student):
    return attacked["verdicts"][student][ASSIGNMENT]


def _first_cell_error(attacked, student):
    return _verdict(attacked, student)["cells"][0]["error"] or ""


def test_limits_stop_hostile_cells_with_reasons(attacked):
    assert _first_cell_error(attacked, "allocate_8gib").startswith("MemoryError")
    assert "Resource temporarily unavailable" in _first_cell_error(attacked, "fork_bomb")
    assert "time limit" in (_verdict(attacked, "infinite_loop")["checks"]["conv2d_loops"]["reason"]
                            + str(_verdict(attacked, "infinite_loop")["cells"]))
    assert "longer than the 20 s limit" in _verdict(attacked, "ignore_timeout")["stopped"]
    # printed output goes through a pipe that the grader drains: only its tail is kept
    raw = _verdict(attacked, "huge_raw_output")
    assert raw["log_tail"].endswith("y" * 100) and len(raw["log_tail"]) <= 2000
    assert "status 3" in _verdict(attacked, "kernel_death")["stopped"]
    assert "segmentation fault" in _verdict(attacked, "segfault")["stopped"]


def test_stderr_noise_keeps_the_points(attacked):
    verdict = _verdict(attacked, "stderr_noise")
    assert "marker-stderr-noise" in verdict["log_tail"] and verdict["stopped"] == ""


def test_broken_or_missing_notebooks_get_reasons(attacked):
    assert "not valid notebook JSON" in _verdict(attacked, "invalid_json")["stopped"]
    renamed = _verdict(attacked, "renamed_notebook")["stopped"]
    assert "missing" in renamed and "my-a1.ipynb" in renamed
    assert "symbolic link" in _verdict(attacked, "link_to_source")["stopped"]


def test_reference_code_is_not_importable(attacked):
    reasons = {k: c["reason"] for k, c in _verdict(attacked, "import_reference")["checks"].items()}
    assert "not defined" in reasons["conv2d_loops"] and "not defined" in reasons["conv2d_im2col"]
    errors = " ".join(str(c["error"]) for c in _verdict(attacked, "import_reference")["cells"])
    assert "No module named 'cnncourse'" in errors and "No module named 'torch'" in errors


def test_fooling_comparisons_gives_wrong_values(attacked):
    for student in ("ndarray_subclass", "planted_numpy"):
        assert "wrong values" in _verdict(attacked, student)["checks"]["hand_outputs"]["reason"]
    custom = _verdict(attacked, "custom_eq")["checks"]
    assert "plain numeric array" in custom["hand_outputs"]["reason"] or "Object arrays" in custom["hand_outputs"]["reason"]
    assert "wrong values" in custom["shapes_and_parameters"]["reason"]
