"""Grading a1 on a real Dask cluster on 127.0.0.1 (``dask scheduler`` and ``dask worker``
processes, as an instructor starts them): the same verdicts as grading here, with TLS
too, after a worker is SIGKILLed mid-task, GPU assignments only on the GPU worker, a
worker with another course version refused, and the errors that come before anything is
written."""
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import dask.config
import pytest
import yaml
from attack_suite import load_attack, submit_attack
from course_copy import generated_course, make_submission, solutions
from dask_cluster import LocalCluster

import autograder.checks.a1_convolution as a1
import autograder.grade
from autograder.cluster.address import PLAIN_OPT_OUT
from autograder.cluster.certificates import write_certificates
from autograder.cluster.client import Cluster
from autograder.grade import GradingStopped, grade_all
from autograder.scoring import assignment_points
from autograder.summary import student_row

pytestmark = pytest.mark.slow
ASSIGNMENT, SEED, FULL = "a1-convolution", 20260915, 16.0
CHEATS = ("noop_asserts", "ndarray_subclass", "forged_frames")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The solution, the blank release, a partly wrong answer and three cheats."""
    course, _ = generated_course(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    answers = solutions(course, ASSIGNMENT)
    make_submission(course, ASSIGNMENT, "solution", answers)
    make_submission(course, ASSIGNMENT, "blank")
    make_submission(course, ASSIGNMENT, "partial", {**answers, "hand_outputs_answer": "Y0 = Y1 = Y2 = np.ones((3, 3))"})
    for cheat in CHEATS:
        submit_attack(course, ASSIGNMENT, cheat, load_attack(cheat, course), answers)
    return course


def points(course, verdicts) -> dict:
    worth = assignment_points(course, ASSIGNMENT)
    return {student: student_row(student, notebooks, worth).points for student, notebooks in verdicts.items()}


def checks(verdicts) -> dict:
    """What decides the grade: every check's outcome and reason, per student."""
    return {student: notebooks[ASSIGNMENT]["checks"] for student, notebooks in verdicts.items()}


def workers_used(verdicts) -> Counter:
    return Counter(notebooks[ASSIGNMENT].get("worker") for notebooks in verdicts.values())


@pytest.fixture(scope="module")
def local(course):
    """The verdicts of grading here, with the seed every cluster run uses."""
    verdicts = grade_all(course, ASSIGNMENT, seed=SEED, jobs=2)
    scores = points(course, verdicts)
    assert scores["solution"] == FULL and scores["blank"] == 0 and 0 < scores["partial"] < FULL
    assert all(scores[cheat] == 0 for cheat in CHEATS)
    return verdicts


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler, a CPU worker, a GPU worker and a worker whose course package is older."""
    folder = tmp_path_factory.mktemp("cluster")
    stale = folder / "stale-package" / "cnncourse"
    stale.mkdir(parents=True)
    (stale / "__init__.py").write_text('__version__ = "0.0.1"\n')
    started = LocalCluster(folder)
    try:
        started.add_worker("cpu")
        started.add_worker("gpu", "SANDBOX=1,GPU=1")
        started.add_worker("stale", env={"PYTHONPATH": str(stale.parent)})
        yield started
    finally:
        started.close()


def worker_address(cluster: LocalCluster, name: str) -> str:
    with Cluster.connect(cluster.address, on_message=lambda text: None) as connected:
        return next(addr for addr, info in connected.client.scheduler_info()["workers"].items()
                    if info["name"] == name)


def test_a1_on_two_workers_grades_as_here(course, local, cluster):
    messages, done = [], Counter()
    with Cluster.connect(cluster.address, on_message=messages.append) as connected:
        verdicts = grade_all(course, ASSIGNMENT, seed=SEED, cluster=connected,
                             on_done=lambda student, results: done.update([student]))
    assert checks(verdicts) == checks(local)
    assert points(course, verdicts) == points(course, local)
    assert done == Counter(local.keys())  # each submission reported once
    used = workers_used(verdicts)
    assert set(used) == {worker_address(cluster, "cpu"), worker_address(cluster, "gpu")}
    refusal = [m for m in messages if m.startswith(f"worker {worker_address(cluster, 'stale')} refuses")]
    assert refusal and "cnncourse 0.0.1 is installed here, the instructor grades with 0.1.0" in refusal[0]
    assert "refusing to grade a1-convolution: cnncourse 0.0.1" in cluster.log("stale")


def test_the_command_shows_progress_and_the_summary_as_here(course, local, cluster):
    done = subprocess.run([sys.executable, "-m", "autograder", "autograde", ASSIGNMENT, "--cluster", cluster.address,
                           "--no-nbgrader"], cwd=course, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"grading {ASSIGNMENT}: 100%" in done.stderr and f"{len(local)}/{len(local)}" in done.stderr
    assert "refuses to grade" in done.stderr and "2 sandbox slot(s) ready" in done.stderr
    rows = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines() if " / 16" in line}
    assert rows == {student: f"{score:g}" for student, score in points(course, local).items()}


def test_a_gpu_assignment_runs_only_on_the_gpu_worker_and_a_timeout_is_a_verdict(course, cluster, monkeypatch):
    """a1 flagged ``gpu=True`` (it runs on a CPU as well) with a 5 s wall clock, and a
    submission that spins past it: a verdict from one run, not a retry."""
    limits = dataclasses.replace(a1.SPEC.limits, wall_seconds=5, cell_seconds=3)
    monkeypatch.setattr(autograder.grade, "load_spec", lambda name: dataclasses.replace(a1.SPEC, gpu=True,
                                                                                         limits=limits))
    submit_attack(course, ASSIGNMENT, "zz_ignore_timeout", load_attack("ignore_timeout", course), {})
    students = ["solution", "blank", "partial", "zz_ignore_timeout"]
    messages = []
    try:
        with Cluster.connect(cluster.address, on_message=messages.append) as connected:
            start = time.monotonic()
            verdicts = grade_all(course, ASSIGNMENT, students=students, seed=SEED, cluster=connected)
            seconds = time.monotonic() - start
    finally:
        shutil.rmtree(course / "submitted" / "zz_ignore_timeout")
    assert set(workers_used(verdicts)) == {worker_address(cluster, "gpu")}
    assert any("takes no work of a1-convolution, which needs a GPU" in m for m in messages)
    assert any("no /dev/nvidia* device" in m for m in messages)
    stopped = verdicts["zz_ignore_timeout"][ASSIGNMENT]["stopped"]
    assert stopped == "the notebook ran longer than the 5 s limit and was stopped"
    assert seconds < 2 * 5 + 8, f"{seconds:.1f} s: the timed-out sandbox ran more than once"
    assert points(course, verdicts)["solution"] == FULL


def _descendants(pids: set) -> set:
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _sandboxes_of(cluster: LocalCluster, name: str) -> set:
    found = set()
    for pid in _descendants(cluster.worker_pids(name)):
        try:
            if Path(f"/proc/{pid}/exe").resolve().name == "bwrap":
                found.add(pid)
        except OSError:
            continue
    return found


def _student_of_job_left_by(scratch: Path, course: Path) -> str:
    """Whose notebook the killed worker was running: its job folder stays in its scratch space."""
    from autograder.judge.notebook import read_notebook

    jobs = [json.loads(p.read_text()) for p in scratch.rglob("autograder-*/in/cells.json")]
    assert len(jobs) == 1, f"{len(jobs)} job folders left by the killed worker"
    students = [p.parent.parent.name for p in (course / "submitted").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
                if list(read_notebook(p).code_cells) == jobs[0]]
    assert len(students) == 1
    return students[0]


def test_a_worker_killed_mid_task_loses_nothing(course, local, tmp_path):
    killed = LocalCluster(tmp_path / "cluster")
    try:
        killed.add_worker("doomed")
        killed.add_worker("survivor")
        doomed, survivor = worker_address(killed, "doomed"), worker_address(killed, "survivor")
        done, results, finished = Counter(), {}, {}

        def grade():
            with Cluster.connect(killed.address, on_message=lambda text: None) as connected:
                results.update(grade_all(course, ASSIGNMENT, seed=SEED, cluster=connected,
                                         on_done=lambda s, r: (done.update([s]), finished.setdefault(s, time.monotonic()))))

        grading = threading.Thread(target=grade)
        grading.start()
        deadline = time.monotonic() + 120
        while not (sandboxes := _sandboxes_of(killed, "doomed")):
            assert time.monotonic() < deadline and grading.is_alive(), "the worker never held a task"
            time.sleep(0.02)
        killed.kill_worker("doomed")
        killed_at = time.monotonic()
        interrupted = _student_of_job_left_by(killed.folder / "scratch-doomed", course)
        grading.join(timeout=300)
        assert not grading.is_alive()
    finally:
        killed.close()
    assert checks(results) == checks(local)
    assert done == Counter(local.keys())  # graded and reported once each
    assert results[interrupted][ASSIGNMENT]["worker"] == survivor  # re-run there, from the start
    on_doomed = [s for s, nb in results.items() if nb[ASSIGNMENT].get("worker") == doomed]
    assert all(finished[s] < killed_at for s in on_doomed)  # nothing after its death counts from it
    time.sleep(1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in sandboxes), "a sandbox outlived its worker"


def test_losing_the_scheduler_stops_the_run_and_writes_nothing_more(course, local, tmp_path):
    lost = LocalCluster(tmp_path / "cluster")
    try:
        lost.add_worker("one")
        graded = []
        with Cluster.connect(lost.address, on_message=lambda text: None) as connected:
            def on_done(student, results):
                graded.append(student)
                if len(graded) == 2:
                    os.killpg(lost.scheduler.pid, signal.SIGKILL)
            with pytest.raises(GradingStopped, match=rf"lost the Dask scheduler at {lost.address}.*"
                                                     rf"\(2 of {len(local)} submission\(s\) graded; "):
                grade_all(course, ASSIGNMENT, seed=SEED, cluster=connected, on_done=on_done, jobs=1)
    finally:
        lost.close()
    assert len(graded) == 2


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """Certificates from ``python -m autograder cluster-certificates``, a TLS scheduler
    and two workers reading them from Dask's configuration (``DASK_CONFIG``)."""
    folder = tmp_path_factory.mktemp("tls")
    config = write_certificates(folder / "certs")
    started = LocalCluster(folder, env={"DASK_CONFIG": str(config.parent)}, scheme="tls")
    try:
        started.add_worker("one")
        started.add_worker("two")
        yield started, config
    finally:
        started.close()


def _flat(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        flat.update(_flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return flat


def test_with_tls_the_verdicts_are_the_same(course, local, tls):
    cluster, config = tls
    assert cluster.address.startswith("tls://127.0.0.1:")
    with dask.config.set(_flat(yaml.safe_load(config.read_text()))):
        with Cluster.connect(cluster.address, on_message=lambda text: None) as connected:
            verdicts = grade_all(course, ASSIGNMENT, seed=SEED, cluster=connected)
    assert checks(verdicts) == checks(local)
    assert len(workers_used(verdicts)) == 2


def test_without_the_course_certificates_the_scheduler_cannot_be_used(tls, tmp_path):
    cluster, _ = tls
    plain = cluster.address.replace("tls://", "tcp://")
    with pytest.raises(GradingStopped, match=f"cannot reach the Dask scheduler at {plain}"):
        Cluster.connect(plain, timeout=3)
    other = write_certificates(tmp_path / "other-ca")
    with dask.config.set(_flat(yaml.safe_load(other.read_text()))):
        with pytest.raises(GradingStopped, match="cannot reach the Dask scheduler"):
            Cluster.connect(cluster.address, timeout=3)
    with pytest.raises(GradingStopped, match="names no distributed.comm.tls.ca-file"):
        Cluster.connect(cluster.address, timeout=3)


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize("options, words", [
    (["--cluster", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    (["--cluster", "tcp://192.0.2.10:8786"], "without TLS, anyone who can reach that scheduler can run any code"),
    (["--cluster", "tcp://192.0.2.10:8786", PLAIN_OPT_OUT], "cannot reach the Dask scheduler at tcp://192.0.2.10"),
    (["--cluster", "tls://127.0.0.1:9"], "names no distributed.comm.tls.ca-file"),
])
def test_no_usable_scheduler_is_an_error_before_anything_is_written(course, local, options, words):
    before = _tree(course)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    done = subprocess.run([sys.executable, "-m", "autograder", "autograde", ASSIGNMENT, *options], cwd=course,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and words in done.stderr, done.stderr[-2000:]
    assert _tree(course) == before


@pytest.mark.parametrize("where", ["variable", "file"])
def test_the_cluster_address_may_come_from_dask_configuration(course, local, tmp_path, where):
    """``DASK_AUTOGRADER__CLUSTER`` or ``autograder: {cluster: ...}`` in a Dask YAML file
    stands for ``--cluster``, with the same refusals (the opt-out has no such equivalent)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    if where == "variable":
        env["DASK_AUTOGRADER__CLUSTER"] = "tcp://192.0.2.10:8786"
        words = "refusing tcp://192.0.2.10:8786: without TLS"
    else:
        (tmp_path / "autograder.yaml").write_text("autograder:\n  cluster: tls://127.0.0.1:9\n")
        env["DASK_CONFIG"] = str(tmp_path)
        words = "tls://127.0.0.1:9 is a TLS address, but Dask's configuration names no"
    before = _tree(course)
    done = subprocess.run([sys.executable, "-m", "autograder", "autograde", ASSIGNMENT], cwd=course, check=False,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and words in done.stderr, done.stderr[-2000:]
    assert _tree(course) == before
