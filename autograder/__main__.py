"""``python -m autograder autograde ASSIGNMENT``: sandbox-grade all submissions in parallel,
then let ``nbgrader autograde`` record the scores from the cached verdicts.

Run it from the course folder (``assignments/``) or pass ``--course``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from autograder.grade import grade_all


def nbgrader(course: Path, *args: str) -> int:
    """Run one nbgrader command in the course folder with this interpreter's tools on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # nbgrader calls alembic
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env).returncode


def summary(results: dict) -> str:
    """One line per student and notebook: checks passed and, if any, the first reason."""
    lines = []
    for student, notebooks in sorted(results.items()):
        for name, verdict in notebooks.items():
            checks = verdict["checks"]
            passed = sum(c["passed"] for c in checks.values())
            first = next((f"{k}: {c['reason']}" for k, c in checks.items() if not c["passed"]), "")
            note = verdict.get("stopped") or first
            lines.append(f"{student:<20} {name:<24} {passed}/{len(checks)} checks  {note}"[:200])
    return "\n".join(lines)


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("autograde", help="grade submitted/*/ASSIGNMENT in sandboxes, then run nbgrader autograde")
    grade.add_argument("assignment")
    grade.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: current folder)")
    grade.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="parallel sandboxes")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--no-nbgrader", action="store_true", help="only fill the verdict cache")
    args = parser.parse_args(argv)

    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        parser.error(f"--course {course} has no nbgrader_config.py")
    results = grade_all(course, args.assignment, students=args.student, jobs=args.jobs)
    print(summary(results) or "no submissions found", flush=True)
    if args.no_nbgrader:
        return 0
    extra = [f"--student={s}" for s in args.student] if args.student and len(args.student) == 1 else []
    refused = folders_refused(results)
    for student, reason in sorted(refused.items()):
        print(f"not passed to nbgrader autograde: {student}: {reason}", flush=True)
        nbgrader(course, "db", "student", "add", student)  # so that the export shows the zero
    if refused:
        extra.append(f"--CourseDirectory.student_id_exclude={','.join(sorted(refused))}")
    return nbgrader(course, "autograde", args.assignment, "--force", *extra)


if __name__ == "__main__":
    sys.exit(main())
