"""Fast unit tests of the grading engine's trusted parts (no sandbox, no nbgrader run)."""
import json
import os

import numpy as np
import pytest

from autograder.grade import copy_submission, grade_all
from autograder.judge.notebook import parse_notebook
from autograder.judge.results import compare, judge_case, read_statuses
from autograder.judge.tree_copy import TreeLimits
from autograder.judge.untrusted import Refused
from autograder.nbgrader_plugins.preprocessors import HIDDEN_REGION, cell_outputs
from autograder.sandbox.channel import Frames
from autograder.sandbox.run import RunResult
from autograder.sandbox.view import site_packages_view
from autograder.scoring import referenced_checks
from autograder.spec import Case, Limits, load_spec


def _frames(*frames):
    """A ``Frames`` fed with ``(kind, name, payload)`` as the harness sends them."""
    collected = Frames(2**20)
    for kind, name, payload in frames:
        collected.feed(f"AGR1 {kind} {name} {len(payload)}\n".encode() + payload)
    return collected


def test_copy_submission_copies_plain_trees_and_refuses_the_rest(tmp_path):
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "a1.ipynb").write_text("{}")
    (src / "data" / "x.npy").write_bytes(b"0" * 10)
    copy_submission(src, tmp_path / "copy", TreeLimits(max_bytes=1000))
    assert sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*")) == [
        "a1.ipynb", "data", "data/x.npy"]
    assert (tmp_path / "copy" / "data" / "x.npy").read_bytes() == b"0" * 10
    with pytest.raises(Refused, match="more than 5 bytes"):
        copy_submission(src, tmp_path / "copy2", TreeLimits(max_bytes=5))
    with pytest.raises(Refused, match="more than 2 files and folders"):
        copy_submission(src, tmp_path / "copy3", TreeLimits(max_entries=2))
    os.symlink("/etc/passwd", src / "data" / "passwd")
    with pytest.raises(Refused, match="src/data/passwd is a symbolic link"):
        copy_submission(src, tmp_path / "copy4")
    os.unlink(src / "data" / "passwd")
    os.mkfifo(src / "pipe")
    with pytest.raises(Refused, match="src/pipe is a FIFO"):
        copy_submission(src, tmp_path / "copy5")


@pytest.mark.parametrize("code, timed_out, words", [
    (0, False, ""), (3, False, "exited early with status 3"), (139, False, "segmentation fault"),
    (-9, False, "killed (out of memory or time)"), (128 + 25, False, "larger than the size limit"),
    (-9, True, "longer than the 60 s limit"),
])
def test_run_result_reasons(code, timed_out, words):
    reason = RunResult(code, timed_out, 1.0).describe(Limits())
    assert (words in reason) if words else reason == ""


def test_reasons_never_show_expected_values():
    expected = np.array([[1234.5, -6.25]])
    called = Case("f", expected)
    assert compare(called, expected.copy(), expected) == ""
    assert compare(called, expected.astype(np.float32), expected) == ""
    assert compare(called, np.zeros((2, 1)), expected) == "shape (2, 1), expected (1, 2)"
    assert compare(called, np.array([["a", "b"]]), expected).startswith("result has dtype")
    assert compare(called, np.full((1, 2), np.nan), expected) == "result contains NaN or infinity"
    assert compare(called, np.zeros((1, 2)), expected) == "wrong values (max abs error 1.2e+03)"
    # a fixed answer (a variable) gets no error size: zeros would otherwise reveal it
    assert compare(Case("x", expected, call=False), np.zeros((1, 2)), expected) == "wrong values"


def _npy(array, allow_pickle=False):
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_judge_reads_only_plain_arrays():
    case = Case("conv", np.ones(3), label="hidden input 1")
    frames = _frames(("array", "r0_0", _npy(np.array([object()], dtype=object), allow_pickle=True)),
                     ("array", "r2_0", _npy(np.ones(3))))
    reason = judge_case(case, "r0", {"status": "ok"}, frames, "")
    assert reason.startswith("hidden input 1: result is not a plain numeric array")
    assert judge_case(case, "r2", {"status": "ok"}, frames, "") == ""
    assert "no result (it crashed)" in judge_case(case, "r9", None, frames, "it crashed")
    assert judge_case(case, "r1", {"status": "missing"}, frames, "") == "conv is not defined in your notebook"


def test_first_status_frame_counts():
    frames = _frames(("status", "r0", b'{"status": "error", "error": "boom"}'), ("status", "r1", b"garbage"),
                     ("status", "r0", b'{"status": "ok"}'))
    assert read_statuses(frames) == {"r0": {"status": "error", "error": "boom"}}


def test_a_malformed_frame_stops_the_channel_but_keeps_what_came_before():
    frames = _frames(("status", "r0", b'{"status": "ok"}'))
    frames.feed(b"not a frame header at all, and long enough to be sure of it" * 3)
    frames.feed(b"AGR1 status r1 16\n" + b'{"status": "ok"}')
    assert read_statuses(frames) == {"r0": {"status": "ok"}}
    assert "not a result" in frames.problem
    oversized = Frames(100)
    oversized.feed(b"AGR1 array r0_0 101\n")
    assert "larger than the 100-byte limit" in oversized.problem


@pytest.mark.parametrize("text, words", [
    ('{"cells": [', "bad.ipynb is not valid notebook JSON"),
    ('{"cells": 3}', "no list of cells"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"cells": [{"cell_type": "code", "source": [1]}]}', "cell 0 has a source that is not text"),
    ('{"cells": [7]}', "cell 0 is not a notebook cell"),
])
def test_broken_notebooks_are_refused_with_reasons(text, words):
    with pytest.raises(Refused, match=words):
        parse_notebook(text.encode(), "bad.ipynb")


def test_notebook_cells_are_read_from_the_json():
    nb = parse_notebook(json.dumps({"cells": [{"cell_type": "code", "source": ["a = 1\n", "b = 2"]},
                                               {"cell_type": "markdown", "source": "text"}]}).encode(), "a.ipynb")
    assert nb.code_cells == ("a = 1\nb = 2",) and nb.sources == ("a = 1\nb = 2", "text")


def test_bad_arguments_raise_value_errors(tmp_path):
    with pytest.raises(ValueError, match="assignment must look like"):
        load_spec("../etc")
    with pytest.raises(ValueError, match="no checks for assignment 'a9-nothing'"):
        load_spec("a9-nothing")
    with pytest.raises(ValueError, match="Limits.wall_seconds must be positive"):
        Limits(wall_seconds=0)
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        grade_all(tmp_path, "a1-convolution", jobs=0)


def test_reference_packages_are_not_in_the_sandbox_view():
    names = {name for name, _ in site_packages_view(load_spec("a1-convolution").packages)}
    assert {"numpy", "IPython", "matplotlib"} <= names
    assert not names & {"cnncourse", "autograder", "torch", "tensorflow", "nbgrader", "scipy"}


def test_test_cells_pass_only_when_every_named_check_passed():
    source = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\n# autograder-check: a\n# autograder-check: b\n### END HIDDEN TESTS\n"
    names = referenced_checks(source)
    assert names == ["a", "b"]
    assert HIDDEN_REGION.sub("", source) == "assert f(1) == 2\n"
    verdict = {"checks": {"a": {"passed": True, "reason": ""}, "b": {"passed": False, "reason": "shape (2,)"}}}
    [failed] = cell_outputs(names, verdict)
    assert failed.output_type == "error" and failed.evalue == "b: shape (2,)"
    verdict["checks"]["b"] = {"passed": True, "reason": ""}
    assert cell_outputs(names, verdict)[0].output_type == "stream"
    assert cell_outputs([], verdict)[0].output_type == "error"
    assert "not graded" in cell_outputs(["c"], verdict)[0].evalue


def test_assignments_readme_states_the_notebooks_points():
    """The instructor's table of points is the source notebooks' own (nbgrader metadata)."""
    import re
    from pathlib import Path

    course = Path(__file__).resolve().parents[1] / "assignments"
    table = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(
        r"^\| `(a\d-[a-z]+)` \|[^|]*\| (\d+) \| (\d+) \|$", (course / "README.md").read_text(), re.M)}
    found = {}
    for notebook in sorted((course / "source").glob("*/*.ipynb")):
        auto = by_hand = 0
        for cell in json.loads(notebook.read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                if meta.get("solution"):
                    by_hand += meta["points"]
                else:
                    auto += meta["points"]
        found[notebook.parent.name] = (auto, by_hand)
    assert table == found
