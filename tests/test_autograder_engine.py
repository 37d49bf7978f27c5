"""Fast unit tests of the grading engine's trusted parts (no sandbox, no nbgrader run)."""
import json
import os

import numpy as np
import pytest

from autograder.grade import grade_all, read_code_cells
from autograder.judge import compare, judge_case, read_statuses
from autograder.nbgrader_plugin import HIDDEN_REGION, cell_outputs, referenced_checks
from autograder.sandbox import RunResult, copy_submission, site_packages_view
from autograder.spec import Case, Limits, load_spec


def test_copy_submission_leaves_links_out_and_refuses_big_folders(tmp_path):
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "a1.ipynb").write_text("{}")
    (src / "data" / "x.npy").write_bytes(b"0" * 10)
    os.symlink("/etc", src / "etc")
    os.symlink("/etc/passwd", src / "data" / "passwd")
    copy_submission(src, tmp_path / "copy", max_bytes=1000)
    assert sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*")) == [
        "a1.ipynb", "data", "data/x.npy"]
    with pytest.raises(ValueError, match="over the 5-byte limit"):
        copy_submission(src, tmp_path / "copy2", max_bytes=5)


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


def test_judge_reads_only_plain_arrays(tmp_path):
    case = Case("conv", np.ones(3), label="hidden input 1")
    np.save(tmp_path / "r0_0.npy", np.array([object()], dtype=object), allow_pickle=True)
    reason = judge_case(case, "r0", {"status": "ok"}, tmp_path, "")
    assert reason.startswith("hidden input 1: result is not a plain numeric array")
    assert "no result (it crashed)" in judge_case(case, "r9", None, tmp_path, "it crashed")
    assert judge_case(case, "r1", {"status": "missing"}, tmp_path, "") == "conv is not defined in your notebook"


def test_first_status_line_counts(tmp_path):
    lines = [{"id": "r0", "status": "error", "error": "boom"}, "garbage", {"id": "r0", "status": "ok"}]
    (tmp_path / "results.jsonl").write_text("\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines))
    assert read_statuses(tmp_path) == {"r0": lines[0]}


def test_broken_notebooks_are_reported(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [')
    with pytest.raises(ValueError, match="bad.ipynb is not valid notebook JSON"):
        read_code_cells(bad)
    bad.write_text('{"cells": 3}')
    with pytest.raises(ValueError, match="no list of cells"):
        read_code_cells(bad)
    bad.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["a = 1\n", "b = 2"]},
                                         {"cell_type": "markdown", "source": "text"}]}))
    assert read_code_cells(bad) == ["a = 1\nb = 2"]


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
