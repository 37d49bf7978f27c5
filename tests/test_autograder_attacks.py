"""Cheating and hostile submissions of a1 (``tests/attacks/``), collected and graded in one
run of the instructor's command next to honest students: no attack earns a point it did
not earn, none changes anything outside its own sandbox or harms another student, the run
ends with a summary, every process it starts is gone afterwards and nothing is left on
disk."""
import contextlib
import csv
import dataclasses
import datetime
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from attack_suite import (
    ATTACKS,
    Listener,
    exchange_settings,
    leftover_processes,
    load_attack,
    submit_attack,
    submit_through_exchange,
)
from course_copy import generated_course, make_submission, solutions, source_path

import autograder.__main__
import autograder.checks.a1_convolution as a1
from autograder.__main__ import nbgrader
from autograder.grade import cache_path, grade_all
from autograder.sandbox.run import cgroup_base

ASSIGNMENT = "a1-convolution"
FULL, IM2COL, LOOPS = 16.0, 4.0, 4.0
EXPECTED = {
    "alice": FULL, "bob": FULL - IM2COL,  # honest students graded in the same run
    "daemon": FULL,  # honest, through the exchange, and the target of exchange_impersonation
    "noop_asserts": 0, "ipython_hooks": 0, "fake_error_display": 0, "ndarray_subclass": 0,
    "read_source": 0, "link_to_source": 0, "import_reference": 0, "rewrite_gradebook": 0, "overwrite_other": 0,
    "background_editor": 0, "planted_numpy": 0, "ignore_timeout": 0,
    "custom_eq": 0, "kernel_death": 0, "segfault": 0, "invalid_json": 0, "renamed_notebook": 0,
    "copied_source_notebook": 0, "keyring_harvest": 0, "look_outside": 0, "xss_answer": 0, "memfd_hoard": 0,
    "deep_json": 0, "source_not_text": 0, "forged_frames": 0,
    "loops_by_einsum": FULL - LOOPS - IM2COL, "im2col_unused": FULL - IM2COL,
    # refused folders: graded zero, kept out of nbgrader's run (which would follow or hang on them)
    "nested_submission": 0, "many_files": 0, "fifo_in_submission": 0,
    # hostile but honest answers: the attack fails, the earned points stay
    "network": FULL, "allocate_8gib": FULL, "fork_bomb": FULL, "huge_output": FULL, "huge_raw_output": FULL,
    "stderr_noise": FULL, "infinite_loop": FULL - LOOPS, "keyring_plant": FULL, "fill_disk": FULL,
    "nested_folders": FULL, "results_symlink": FULL,
}
REFUSED_AT_COLLECT = ("bin", "sys", "sync")  # links through the exchange, and the impersonator
ROOT_SECRET = "marker-root-only-4242"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _temp_leftovers() -> set:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir()
            if p.name.startswith(("autograder-", "nbgrader-collect-"))}


def _cgroup_leftovers() -> list:
    base = cgroup_base()
    return [p.name for folder in (base.folders if base else ()) for p in folder.iterdir()
            if p.is_dir() and p.name.startswith(f"sandbox-{os.getpid()}-")]


def _submit_all(course: Path, answers: dict, port: int) -> dict:
    """Every attack file as a submission; returns the exchange folders submitted late."""
    later, when = {}, datetime.datetime.now(datetime.timezone.utc)
    for path in sorted(ATTACKS.glob("*.py")):
        sections = load_attack(path.stem, course, port)
        settings = exchange_settings(sections)
        if not settings:
            submit_attack(course, ASSIGNMENT, path.stem, sections, answers)
        elif settings.get("later"):
            later[path.stem] = sections
        else:
            submit_through_exchange(course, ASSIGNMENT, path.stem, sections, answers, when)
    return later


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    # short limits keep the timeouts quick; everything else as in production
    mp.setattr(a1, "SPEC", dataclasses.replace(
        a1.SPEC, limits=dataclasses.replace(a1.SPEC.limits, wall_seconds=20, cell_seconds=3, cpu_seconds=40)))
    course, api = generated_course(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    assert api.release_assignment(ASSIGNMENT)["success"]
    answers = solutions(course, ASSIGNMENT)
    make_submission(course, ASSIGNMENT, "alice", answers)
    make_submission(course, ASSIGNMENT, "bob", {**answers, "conv2d_im2col_answer": ""})
    secret = course / ".root-only-secret"
    secret.write_text(ROOT_SECRET)
    secret.chmod(0o600)
    listener = Listener()
    later = _submit_all(course, answers, listener.port)
    collected = api.collect(ASSIGNMENT)
    honest_inbound = next((course / "exchange" / "cnncourse" / "inbound").glob("daemon+*"))
    for name, sections in later.items():  # newer folders, collected with --update
        submit_through_exchange(course, ASSIGNMENT, name, sections, answers,
                                datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1))
    updated = api.collect(ASSIGNMENT, update=True)
    protected = [course / "gradebook.db", source_path(ASSIGNMENT, course),
                 course / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]
    before, after = {p: digest(p) for p in protected}, {}

    def grade_and_look(*args, **kwargs):  # the gradebook is nbgrader's to change, after the sandboxes
        results = grade_all(*args, **kwargs)
        after.update({p: digest(p) for p in protected})
        return results

    mp.setattr(autograder.__main__, "grade_all", grade_and_look)
    temp_before = _temp_leftovers()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # the instructor's command: grade, then nbgrader autograde
        returncode = autograder.__main__.main(["autograde", ASSIGNMENT, "--course", str(course), "--jobs", "2"])
    students = sorted(p.name for p in (course / "submitted").iterdir())
    verdicts = {s: json.loads(cache_path(course, ASSIGNMENT, s, ASSIGNMENT).read_text()) for s in students}
    source = protected[1]
    after_nbgrader = {source: digest(source)}
    assert nbgrader(course, "export", "--to=grades.csv") == 0
    with open(course / "grades.csv") as f:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    yield dict(course=course, api=api, verdicts=verdicts, scores=scores, before=before, after=after,
               after_nbgrader=after_nbgrader,
               leftovers=leftover_processes(), listener=listener, summary=out.getvalue(), returncode=returncode,
               collect_log=collected.get("log", "") + updated.get("log", ""), honest_inbound=honest_inbound,
               temp_before=temp_before, temp_after=_temp_leftovers(), cgroups_after=_cgroup_leftovers())
    mp.undo()


def _verdict(attacked, student):
    return attacked["verdicts"][student]


def _first_cell_error(attacked, student):
    return _verdict(attacked, student)["cells"][0]["error"] or ""


def _reasons(attacked, student) -> str:
    return json.dumps({k: c["reason"] for k, c in _verdict(attacked, student)["checks"].items()})


@pytest.mark.parametrize("student", list(EXPECTED))
def test_score_is_only_what_was_earned(attacked, student):
    # every student graded has a row, even when nbgrader could not read the notebook (score 0)
    assert attacked["scores"][student] == EXPECTED[student], attacked["verdicts"].get(student)


def test_the_run_completes_with_a_summary(attacked):
    summary = attacked["summary"]
    for student in EXPECTED:
        assert f"\n{student} " in f"\n{summary}", student
    for student in ("nested_submission", "many_files", "fifo_in_submission"):
        assert f"not passed to nbgrader autograde: {student}:" in summary


def test_nothing_outside_the_sandbox_changed(attacked):
    assert attacked["after"] == attacked["before"]
    source = next(p for p in attacked["after_nbgrader"])
    assert attacked["after_nbgrader"][source] == attacked["before"][source]  # nbgrader's step either
    assert all(c["passed"] for c in _verdict(attacked, "alice")["checks"].values())


def test_nothing_is_left_on_disk_or_running(attacked):
    assert attacked["temp_after"] == attacked["temp_before"], "a job folder (hidden inputs) was left behind"
    assert attacked["cgroups_after"] == []
    assert attacked["leftovers"] == []
    assert attacked["listener"].connections == []


def test_the_exchange_refuses_links_and_impersonation(attacked):
    course = attacked["course"]
    for student in REFUSED_AT_COLLECT:
        assert not (course / "submitted" / student).exists() and student not in attacked["scores"]
    log = attacked["collect_log"]
    assert "Refused submission bin+" in log and "is a symbolic link" in log
    assert "Refused submission sys+" in log
    assert "Refused submission daemon+" in log and "not by daemon" in log
    kept = course / "submitted" / "daemon" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert kept.read_bytes() == (attacked["honest_inbound"] / f"{ASSIGNMENT}.ipynb").read_bytes()


def test_a_copy_of_the_instructors_notebook_is_refused_and_blanked(attacked):
    assert "instructor's solution or hidden-test markers" in _verdict(attacked, "copied_source_notebook")["stopped"]
    course, api = attacked["course"], attacked["api"]
    autograded = (course / "autograded" / "copied_source_notebook" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert api.generate_feedback(ASSIGNMENT, "copied_source_notebook")["success"]
    feedback = (course / "feedback" / "copied_source_notebook" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    for text in (autograded, feedback):
        assert "BEGIN SOLUTION" not in text and "cols.reshape(n, c * k * k" not in text
        assert "removed by the autograder" in text


def test_student_html_is_inert_in_feedback_and_formgrader(attacked):
    from nbconvert.exporters import HTMLExporter
    from traitlets.config.loader import PyFileConfigLoader

    course, api = attacked["course"], attacked["api"]
    assert api.generate_feedback(ASSIGNMENT, "xss_answer")["success"]
    feedback = (course / "feedback" / "xss_answer" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    # the formgrader's exporter: the course's config (its templates first) and the template name it adds
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.HTMLExporter.template_name = "formgrade"
    notebook = course / "autograded" / "xss_answer" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "", "student": "xss_answer", "last_name": "", "first_name": "",
                 "notebook_path": str(notebook)}
    formgrader, _ = HTMLExporter(config=config).from_filename(str(notebook), resources=resources)
    assert "autograder-model-answer" in formgrader  # the course's formgrade page, model answers included
    for html in (feedback, formgrader):
        assert "The value should be 3." in html
        # the payloads as markup; the page's own scripts (the inlined MathJax) may use the words
        assert '<script>alert("marker-xss-4242")' not in html and 'onerror="alert(' not in html
        assert 'href="javascript:' not in html


def test_method_checks_refuse_loops_without_loops(attacked):
    reasons = _reasons(attacked, "loops_by_einsum")
    assert "conv2d_loops uses sliding_window_view" in reasons
    assert "conv2d_im2col must be written with def" in reasons
    unused = _verdict(attacked, "im2col_unused")["checks"]
    assert not unused["im2col"]["passed"] and not unused["conv2d_im2col"]["passed"]
    assert "does not call your im2col" in unused["conv2d_im2col"]["reason"]


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


def test_memory_held_outside_the_address_space_is_bounded(attacked):
    hoard = _verdict(attacked, "memfd_hoard")
    limit = a1.SPEC.limits.memory
    assert f"more than the {limit // 2**20} MiB memory limit" in hoard["stopped"]
    assert 0 < hoard["peak_memory"] <= limit
    fill = _verdict(attacked, "fill_disk")
    assert fill["stopped"] == "" and fill["peak_memory"] <= limit


def test_hostile_files_and_frames_get_reasons(attacked):
    assert "nested too deeply" in _verdict(attacked, "deep_json")["stopped"]
    assert "source that is not text" in _verdict(attacked, "source_not_text")["stopped"]
    assert "nested more than 16 deep" in _verdict(attacked, "nested_submission")["stopped"]
    assert "more than 1000 files and folders" in _verdict(attacked, "many_files")["stopped"]
    assert f"{ASSIGNMENT}/data.pipe is a FIFO" in _verdict(attacked, "fifo_in_submission")["stopped"]
    assert "no result" in _reasons(attacked, "forged_frames")


def test_nothing_from_a_link_or_a_root_only_file_reaches_anyone(attacked):
    everything = json.dumps(attacked["verdicts"]) + attacked["summary"]
    assert ROOT_SECRET not in everything
    assert "marker-keyring-4242" not in everything


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


def test_stderr_noise_keeps_the_points(attacked):
    verdict = _verdict(attacked, "stderr_noise")
    assert "marker-stderr-noise" in verdict["log_tail"] and verdict["stopped"] == ""


def test_fooling_comparisons_gives_wrong_values(attacked):
    for student in ("ndarray_subclass", "planted_numpy"):
        assert "wrong values" in _verdict(attacked, student)["checks"]["hand_outputs"]["reason"]
    custom = _verdict(attacked, "custom_eq")["checks"]
    assert "plain numeric array" in custom["hand_outputs"]["reason"] or "Object arrays" in custom["hand_outputs"]["reason"]
    assert "wrong values" in custom["shapes_and_parameters"]["reason"]
