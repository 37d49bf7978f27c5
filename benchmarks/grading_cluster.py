"""``benchmarks/grading.py --cluster``: the same submissions graded here and through a
two-worker Dask cluster on this machine, in one run (see ``benchmarks/README.md``)."""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' course and cluster helpers
from course_copy import generated_course, make_submission, solutions  # noqa: E402
from dask_cluster import LocalCluster  # noqa: E402

from autograder.cluster.client import Cluster  # noqa: E402
from autograder.grade import grade_all  # noqa: E402

SEED = 15


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def timed_grading(course: Path, assignment: str, cluster: Cluster | None) -> tuple:
    """``(seconds, verdicts)`` of one grading run, here (2 sandboxes) or on the cluster."""
    start = time.perf_counter()
    verdicts = grade_all(course, assignment, seed=SEED, jobs=2 if cluster is None else None, cluster=cluster)
    return time.perf_counter() - start, verdicts


def _sandbox_seconds(verdicts: dict) -> list:
    return [v.get("seconds", 0.0) for notebooks in verdicts.values() for v in notebooks.values()]


def _row(label: str, seconds: float, verdicts: dict) -> str:
    count = len(verdicts)
    return (f"{label:<34} {seconds:7.1f} s  {seconds / count:6.2f} s/submission  "
            f"sandbox median {statistics.median(_sandbox_seconds(verdicts)):5.2f} s")


def compare_one(course: Path, assignment: str, address: str, rounds: int) -> None:
    """``rounds`` times: grade here, then on the cluster (alternating evens out the load
    of the machine); print each run and the mean overhead per submission."""
    overheads = []
    for round_ in range(1, rounds + 1):
        here_s, here = timed_grading(course, assignment, None)
        start = time.perf_counter()
        with Cluster.connect(address, on_message=lambda text: None) as cluster:
            connect_s = time.perf_counter() - start
            there_s, there = timed_grading(course, assignment, cluster)
        agree = all(here[s][n]["checks"] == there[s][n]["checks"] for s in here for n in here[s])
        overheads.append((there_s - here_s) / len(here))
        print(_row(f"{assignment} #{round_}, here (--jobs 2)", here_s, here))
        print(_row(f"{assignment} #{round_}, cluster (2 workers)", there_s, there))
        print(f"    connect {connect_s:.2f} s (not in the times above; the readiness check is); "
              f"ratio cluster / here {there_s / here_s:.2f}; verdicts {'identical' if agree else 'DIFFERENT'}",
              flush=True)
    print(f"{assignment}: overhead per submission {statistics.mean(overheads):+.3f} s "
          f"(runs: {', '.join(f'{o:+.3f}' for o in overheads)})", flush=True)


def a4_submissions(course: Path, count: int) -> None:
    """``count`` a4 solutions, each with an (untrained) ResNet-18 state_dict: the same
    bytes to ship and the same work to judge as a trained one."""
    import torch

    from autograder.checks import a4_resnet

    answers = solutions(course, "a4-resnet")
    for k in range(count):
        folder = make_submission(course, "a4-resnet", f"a4student{k:02d}", answers)
        torch.save(a4_resnet.reference().state_dict(), folder / a4_resnet.SAVED_MODEL)


def judge_seconds(course: Path) -> float:
    """The instructor's machine's share of one a4 submission: judging its saved file
    (300 held-out images through ResNet-18, here, never on a worker)."""
    from autograder.spec import load_spec

    check = load_spec("a4-resnet").check("trained_accuracy")
    folder = course / "submitted" / "a4student00" / "a4-resnet"
    start = time.perf_counter()
    check.inspect(folder, SEED)
    return time.perf_counter() - start


def compare(answer_mix, students: int, a4: int, rounds: int = 2) -> int:
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f} (1 min)",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="grading-cluster-bench-") as tmp:
        assignments = ["a1-convolution"] + (["a4-resnet"] if a4 else [])
        course, _ = generated_course(Path(tmp) / "course", *assignments)
        mix = answer_mix(solutions(course, "a1-convolution"))
        for k in range(students):
            make_submission(course, "a1-convolution", f"student{k:02d}", mix[k % len(mix)])
        if a4:
            a4_submissions(course, a4)
        cluster = LocalCluster(Path(tmp) / "cluster")
        try:
            for name in ("w0", "w1"):  # "GPU" too: a4 asks for one, and runs on a CPU as well
                cluster.add_worker(name, "SANDBOX=1,GPU=1")
            for assignment in assignments:
                compare_one(course, assignment, cluster.address, rounds)
            if a4:
                print(f"a4-resnet: judging one saved file on the instructor's machine: {judge_seconds(course):.2f} s")
        finally:
            cluster.close()
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    return 0
