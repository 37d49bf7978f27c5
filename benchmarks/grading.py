"""Autograde 40 submissions of a1-convolution: stock serial nbgrader vs this autograder.

    .venv/bin/python benchmarks/grading.py [--students 40] [--jobs N]
    .venv/bin/python benchmarks/grading.py --cluster [--students 40] [--a4 4]

Two throw-away copies of the course get the same 40 submissions (a mix of full,
partial and blank answers). The stock copy runs ``nbgrader autograde`` with nbgrader's
default preprocessors (each notebook executed in a Jupyter kernel, one after another);
the other runs ``python -m autograder autograde --jobs N`` (sandboxed runs in
parallel, then ``nbgrader autograde`` recording the verdicts). Both are the commands an
instructor types, timed from the shell's point of view in the same run; the score
totals are printed too, since stock nbgrader grades only the visible tests.

With ``--cluster``: the same submissions graded here (``--jobs 2``) and through a Dask
cluster on this machine (a ``dask scheduler`` and two ``dask worker --nthreads 1
--resources SANDBOX=1``), in one run, with the same seed (the verdicts must agree), and
the overhead per submission; then ``--a4`` submissions of a4-resnet the same two ways,
for the per-submission times behind the estimate in ``autograder/README.md``
(``benchmarks/grading_cluster.py``).
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' course-copy helpers
from course_copy import copy_course, make_submission, nbgrader_api, solutions  # noqa: E402

ASSIGNMENT = "a1-convolution"
STOCK_CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "cnncourse"
"""
NO_BIAS = '''
def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):
    return conv2d_loops(input, weight, None, stride, padding)
'''


def answer_mix(answers: dict) -> list:
    """Five kinds of student, cycled: full, no im2col, forgotten bias, wrong hand answers, blank."""
    return [
        answers,
        {k: v for k, v in answers.items() if k != "conv2d_im2col_answer"},
        {**answers, "conv2d_im2col_answer": answers["conv2d_im2col_answer"] + NO_BIAS},
        {**answers, "hand_outputs_answer": "Y0 = Y1 = Y2 = np.ones((3, 3))"},
        {},
    ]


def build_course(root: Path, students: int, stock: bool) -> Path:
    course = copy_course(root)
    if stock:  # nbgrader's defaults: execute each notebook in a kernel
        (course / "nbgrader_config.py").write_text(STOCK_CONFIG.format(root=str(course)))
    api = nbgrader_api(course)
    if not api.generate_assignment(ASSIGNMENT)["success"]:
        raise RuntimeError(f"nbgrader generate_assignment failed in {course}")
    mix = answer_mix(solutions(course, ASSIGNMENT))
    for k in range(students):
        make_submission(course, ASSIGNMENT, f"student{k:02d}", mix[k % len(mix)])
    return course


def timed(command: list, course: Path) -> float:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    start = time.perf_counter()
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return seconds


def total_score(course: Path) -> float:
    timed([sys.executable, "-m", "nbgrader", "export", "--to=grades.csv"], course)
    with open(course / "grades.csv") as f:
        return sum(float(row["raw_score"]) for row in csv.DictReader(f))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cluster", action="store_true", help="here vs a local two-worker Dask cluster")
    parser.add_argument("--a4", type=int, default=4, help="with --cluster: a4-resnet submissions to time")
    args = parser.parse_args()
    if args.students < 1 or args.jobs < 1 or args.a4 < 0:
        raise ValueError(f"--students and --jobs must be >= 1 and --a4 >= 0, got {args.students}, {args.jobs}, "
                         f"{args.a4}")
    if args.cluster:
        from grading_cluster import compare

        return compare(answer_mix, args.students, args.a4)
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        stock = build_course(Path(tmp) / "stock", args.students, stock=True)
        ours = build_course(Path(tmp) / "ours", args.students, stock=False)
        nbgrader_autograde = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT]
        stock_s = timed(nbgrader_autograde, stock)
        ours_s = timed([sys.executable, "-m", "autograder", "autograde", ASSIGNMENT, f"--jobs={args.jobs}"], ours)
        print(f"stock nbgrader autograde (serial, visible tests only): {stock_s:7.1f} s  "
              f"total score {total_score(stock):g}")
        print(f"autograder, {args.jobs} sandboxes + nbgrader recording:   {ours_s:7.1f} s  "
              f"total score {total_score(ours):g}")
        print(f"ratio autograder / stock: {ours_s / stock_s:.2f}  "
              f"({args.students} submissions; {ours_s / args.students:.2f} s vs {stock_s / args.students:.2f} s each)")
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
