"""``python -m autograder similarity ASSIGNMENT``: pairs of submissions whose code is
suspiciously alike, for a human to look at. It never changes a grade.

Built on ``copydetect`` (winnowed fingerprints of the token stream, as in MOSS): names,
strings and function names are replaced by placeholders before fingerprinting, so
renaming variables changes nothing, and fingerprints are local, so reordering functions
changes little. Only what students wrote is compared: every code cell of the released
notebook (the instructor's given code, the stubs, the test cells) is *boilerplate*, and
fingerprints found in it are dropped from every submission.

Each pair gets the larger of its two similarities (the share of one submission's own
tokens found in the other), so a student who copied a part of a longer submission shows
up too. Pairs at or above the threshold are printed, one line each, and all are in the
HTML report (copydetect's: side by side, copied code highlighted).

Submitted notebooks are read with the grader's strict reader (no links, bounded size);
one that cannot be read is named and left out. Markdown answers are not compared.
"""
from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.grade import source_notebooks, submitted_students
from autograder.judge.notebook import read_notebook
from autograder.judge.untrusted import Refused

# From the measurements in tests/test_autograder_similarity.py on a1: a disguised copy
# scores above 0.9, independent correct solutions below 0.5 (they share idioms such as
# np.pad and the hand-computed answers).
DEFAULT_THRESHOLD = 0.6
NOISE_TOKENS = 25  # copydetect's k: shorter common runs are noise (idioms everyone writes)
GUARANTEE_TOKENS = 30  # copydetect's guarantee: runs this long are always found


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    similarity: float


def student_code(course: Path, assignment: str, student: str, notebooks: list) -> str:
    """The code cells of one student's notebooks, in order (``Refused`` if one cannot be read)."""
    folder = Path(course) / "submitted" / student / assignment
    return "\n\n".join(cell for name in notebooks for cell in read_notebook(folder / f"{name}.ipynb").code_cells)


def released_code(course: Path, assignment: str, notebooks: list) -> str:
    folder = Path(course) / "release" / assignment
    missing = [name for name in notebooks if not (folder / f"{name}.ipynb").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} has no {missing[0]}.ipynb: run nbgrader generate_assignment {assignment}")
    return "\n\n".join(cell for name in notebooks for cell in read_notebook(folder / f"{name}.ipynb").code_cells)


def detector(folder: Path, codes: dict, boilerplate: str, threshold: float):
    """A copydetect run over ``codes`` (``{student: code}``) written to ``folder``; its report
    shows the pairs at or above ``threshold`` side by side (and a histogram of all)."""
    from copydetect import CopyDetector

    run = CopyDetector(noise_t=NOISE_TOKENS, guarantee_t=GUARANTEE_TOKENS, display_t=max(threshold - 1e-9, 0.0),
                       autoopen=False,
                       silent=True)
    (folder / "boilerplate.py").write_text(boilerplate)
    run.add_file(str(folder / "boilerplate.py"), type="boilerplate")
    for student, code in codes.items():
        path = folder / "students" / f"{student}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(code)
        run.add_file(str(path))
    run.run()
    return run


def pair_scores(run, students: list) -> list:
    """Every pair once, with the larger of its two similarities, most similar first."""
    index = {Path(f).stem: i for i, f in enumerate(run.test_files)}
    pairs = []
    for a, b in itertools.combinations(students, 2):
        score = max(*run.similarity_matrix[index[a], index[b]], 0.0)  # (share of a's tokens, share of b's)
        pairs.append(Pair(a, b, float(score)))
    return sorted(pairs, key=lambda p: (-p.similarity, p.first, p.second))


def compare(course: Path, assignment: str, report: Path | None = None, threshold: float = DEFAULT_THRESHOLD) -> tuple:
    """``(pairs, unread)``: the scored pairs, and ``{student: reason}`` for notebooks left out.
    Writes copydetect's HTML report to ``report`` when given."""
    notebooks = source_notebooks(course, assignment)
    boilerplate = released_code(course, assignment, notebooks)
    codes, unread = {}, {}
    for student in submitted_students(course, assignment):
        try:
            codes[student] = student_code(course, assignment, student, notebooks)
        except Refused as err:
            unread[student] = str(err)
    if len(codes) < 2:
        return [], unread
    with tempfile.TemporaryDirectory(prefix="autograder-similarity-") as tmp:
        run = detector(Path(tmp), codes, boilerplate, threshold)
        pairs = pair_scores(run, sorted(codes))
        if report is not None:
            html = run.generate_html_report(output_mode="return")
            for student in codes:  # the report names students, not the scratch files compared
                html = html.replace(str(Path(tmp) / "students" / f"{student}.py"), student)
            Path(report).write_text(html)
    return pairs, unread


def report(course: Path, assignment: str, out: Path | None = None, threshold: float | None = None) -> int:
    """The command: print the flagged pairs, write the HTML report, return 0."""
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 <= threshold <= 1.0:
        raise SystemExit(f"error: --threshold must be between 0 and 1, got {threshold}")
    out = Path(out) if out else Path(course) / f"similarity-{assignment}.html"
    pairs, unread = compare(course, assignment, out, threshold)
    for student, reason in sorted(unread.items()):
        print(f"not compared: {student}: {reason}")
    flagged = [p for p in pairs if p.similarity >= threshold]
    for pair in flagged:
        print(f"{pair.first}  {pair.second}  {pair.similarity:.2f}")
    print(f"{len(flagged)} of {len(pairs)} pairs at or above {threshold:.2f}"
          + (f"; report: {out}" if pairs else "") + ". A flagged pair is a hint for a human, not a verdict.")
    return 0
