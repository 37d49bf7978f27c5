"""``python -m autograder``: the instructor's commands.

``autograde ASSIGNMENT``: sandbox-grade the submissions in parallel (a progress bar as
each finishes), record the points with one ``nbgrader autograde`` run (its output goes
to a log file unless ``--verbose``), then print one table in points.

``autograde ASSIGNMENT --cluster ADDRESS``: the same, each sandbox run a task on a Dask
cluster's workers (``autograder/cluster/``); the address may also come from Dask's
configuration (key ``autograder.cluster``, or the variable ``DASK_AUTOGRADER__CLUSTER``).

``similarity ASSIGNMENT``: pairs of submissions whose answers are suspiciously alike
(see ``autograder/similarity.py``).

``cluster-certificates DIR``: a CA, certificates for the cluster's scheduler, workers and
this client, and the Dask configuration naming them.

Run it from the course folder (``assignments/``) or pass ``--course``.
"""
from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

from autograder.cluster.address import PLAIN_OPT_OUT
from autograder.grade import GradingStopped, grade_all, submitted_students
from autograder.scoring import assignment_points
from autograder.summary import summary

LOG_DIR = ".autograder/logs"
# nbgrader 0.9.6 triggers SQLAlchemy 2's "Object of type <...> not in session" SAWarning
# three times per submission; -W options cannot name sqlalchemy's category at start-up, so
# the filter matches the start of that message.
QUIET_WARNINGS = "ignore:Object of type"


def nbgrader(course: Path, *args: str, log=None) -> int:
    """Run one nbgrader command in the course folder with this interpreter's tools on PATH;
    its output goes to ``log`` (an open file) when given, else to this terminal."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # nbgrader calls alembic
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), QUIET_WARNINGS]))
    out = {"stdout": log, "stderr": subprocess.STDOUT} if log is not None else {}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, **out).returncode


def folders_refused(results: dict) -> dict:
    """``{student: reason}`` for submissions whose folder the grader refused (a link, a
    FIFO, too many files): nbgrader's own copying would follow the link or hang, so they
    are left out of its run and the instructor is told."""
    refused = {}
    for student, notebooks in results.items():
        for verdict in notebooks.values():
            if verdict.get("folder_refused"):
                refused[student] = verdict["stopped"]
    return refused


def _progress(total: int, assignment: str):
    """A tqdm bar on stderr, one step per finished submission; returns ``(bar, on_done)``."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=f"grading {assignment}", unit="submission", file=sys.stderr, mininterval=0.2)

    def on_done(student: str, results: dict) -> None:
        bar.set_postfix_str(student, refresh=False)
        bar.update(1)

    return bar, on_done


def _log_path(course: Path, assignment: str) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = course / LOG_DIR / f"autograde-{assignment}-{stamp}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def record_with_nbgrader(course: Path, assignment: str, results: dict, everyone: list, verbose: bool) -> int:
    """One ``nbgrader autograde`` for the graded students (all others and refused folders
    excluded); returns its exit status."""
    refused = folders_refused(results)
    for student, reason in sorted(refused.items()):
        print(f"not passed to nbgrader autograde: {student}: {reason}", flush=True)
    excluded = sorted((set(everyone) - set(results)) | set(refused))
    args = ["autograde", assignment, "--force"]
    if excluded:
        args.append(f"--CourseDirectory.student_id_exclude={','.join(excluded)}")
    if verbose:
        log, path = None, None
    else:
        path = _log_path(course, assignment)
        log = path.open("w")
    try:
        for student in sorted(refused):  # a row for each, so that the export shows the zero
            nbgrader(course, "db", "student", "add", student, log=log)
        status = nbgrader(course, *args, log=log)
    finally:
        if log is not None:
            log.close()
    where = f"; its output is in {path}" if path else ""
    print(f"nbgrader autograde {assignment}: {'done' if status == 0 else f'failed (status {status})'}{where}",
          flush=True)
    return status


def cluster_address(args) -> str | None:
    """``--cluster``, else Dask's configuration key ``autograder.cluster`` (``None``: grade here)."""
    if args.cluster:
        return args.cluster
    try:
        import dask.config
    except ImportError:
        return None
    return dask.config.get("autograder.cluster", None)


def _tell(text: str) -> None:
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr)  # above the progress bar, not through it


def connect(args):
    """The cluster to grade on (``None`` without one); a ``GradingStopped`` says why not."""
    address = cluster_address(args)
    if address is None:
        return None
    from autograder.cluster.client import Cluster

    if args.plain_network:
        _tell(f"WARNING: {PLAIN_OPT_OUT}: anyone who can reach {address} can run code as root on the workers")
    return Cluster.connect(address, plain_network_allowed=args.plain_network, on_message=_tell)


def autograde(args) -> int:
    course = args.course
    everyone = submitted_students(course, args.assignment)
    students = sorted(set(args.student)) if args.student else everyone
    unknown = [s for s in students if s not in everyone]
    if unknown:
        print(f"error: no submission of {args.assignment} for {', '.join(unknown)} "
              f"(expected submitted/<student>/{args.assignment}/)", file=sys.stderr)
        return 2
    points = assignment_points(course, args.assignment)
    try:
        cluster = connect(args)
    except GradingStopped as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    start = time.monotonic()
    bar, on_done = _progress(len(students), args.assignment)
    try:
        results = grade_all(course, args.assignment, students=students, jobs=args.jobs, on_done=on_done,
                            cluster=cluster)
    except GradingStopped as err:
        bar.close()
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        bar.close()
        if cluster is not None:
            cluster.close()
    print(f"{args.assignment}: {len(results)} submission(s) graded in {time.monotonic() - start:.1f} s", flush=True)
    status = 0
    if results and not args.no_nbgrader:
        status = record_with_nbgrader(course, args.assignment, results, everyone, args.verbose)
    print(summary(results, points), flush=True)
    return status


def certificates(args) -> int:
    from autograder.cluster.certificates import write_certificates

    try:
        config = write_certificates(args.folder, args.days)
    except (FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote the cluster's certificates and {config}; see autograder/README.md, "
          f"'Grading on a cluster', for which file goes to which machine")
    return 0


def similarity(args) -> int:
    from autograder.similarity import report

    return report(args.course, args.assignment, args.out, args.threshold)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("autograde", help="grade submitted/*/ASSIGNMENT in sandboxes, then run nbgrader autograde")
    grade.add_argument("assignment")
    grade.add_argument("--jobs", "-j", type=int, default=None,
                       help="parallel sandboxes (default: one per CPU); with --cluster, submissions in flight "
                            "(default: twice the workers' sandbox slots)")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--no-nbgrader", action="store_true", help="only fill the verdict cache")
    grade.add_argument("--verbose", "-v", action="store_true", help="show nbgrader's output instead of logging it")
    grade.add_argument("--cluster", metavar="ADDRESS",
                       help="run each sandbox on a Dask cluster's workers, e.g. tls://head.example.edu:8786 "
                            "(default: Dask's configuration key autograder.cluster, if set)")
    grade.add_argument(PLAIN_OPT_OUT, dest="plain_network", action="store_true",
                       help="accept a scheduler on the network without TLS: anyone who can reach it can run "
                            "code as root on the workers")
    grade.set_defaults(run=autograde)
    similar = sub.add_parser("similarity", help="flag pairs of submissions whose answers are suspiciously alike")
    similar.add_argument("assignment")
    similar.add_argument("--out", type=Path, help="HTML report to write (default: <course>/similarity-ASSIGNMENT.html)")
    similar.add_argument("--threshold", type=float, default=None,
                         help="similarity (0-1) from which a pair is flagged (default: see autograder/similarity.py)")
    similar.set_defaults(run=similarity)
    certs = sub.add_parser("cluster-certificates", help="a CA and certificates for a grading cluster (Dask TLS)")
    certs.add_argument("folder", type=Path, help="an empty or new folder to write them to")
    certs.add_argument("--days", type=int, default=365, help="how long they stay valid (default: 365)")
    certs.set_defaults(run=certificates)
    for command in (grade, similar):
        command.add_argument("--course", type=Path, default=Path.cwd(),
                             help="course folder (default: current folder)")
    return parser


def main(argv=None) -> int:
    command_line = parser()
    args = command_line.parse_args(argv)
    if hasattr(args, "course"):
        args.course = args.course.resolve()
        if not (args.course / "nbgrader_config.py").is_file():
            command_line.error(f"--course {args.course} has no nbgrader_config.py")
    if (getattr(args, "jobs", None) or 1) < 1:
        command_line.error(f"--jobs must be at least 1, got {args.jobs}")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
