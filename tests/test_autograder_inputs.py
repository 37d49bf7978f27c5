"""The grader's readers of student-controlled bytes: strict .npy arrays, race-free folder
copies, files opened without following links, and the seccomp program's shape."""
import io
import os

import numpy as np
import pytest

from autograder.judge import npy
from autograder.judge.tree_copy import copy_tree
from autograder.judge.untrusted import Refused, read_regular
from autograder.sandbox import seccomp


def npy_bytes(header: str, data: bytes = b"") -> bytes:
    raw = header.encode("latin1")
    return b"\x93NUMPY\x01\x00" + len(raw).to_bytes(2, "little") + raw + data


@pytest.mark.parametrize("array", [np.arange(6.0).reshape(2, 3), np.asfortranarray(np.ones((2, 3), np.float32)),
                                   np.array(True), np.zeros((0, 4), np.int16), np.arange(3, dtype=">i8")])
def test_plain_arrays_round_trip(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    decoded = npy.decode(buffer.getvalue())
    assert decoded.dtype == array.dtype and decoded.shape == array.shape and np.array_equal(decoded, array)


@pytest.mark.parametrize("data, words", [
    (npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }", bytes(8)), "shape is not a tuple"),
    (npy_bytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", bytes(8)), "not bool, int"),
    (npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", bytes(8)), "not bool, int"),
    (npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", bytes(16)), "not bool, int"),
    (npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", bytes(8)), "does not match its shape"),
    (npy_bytes("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }", bytes(8)), "not a plain array's"),
    (npy_bytes("(" * 3000 + ")" * 3000), "too long"),
    (npy_bytes("[" * 1000 + "]" * 1000), "not readable"),
    (b"not an array", "not a .npy array"),
])
def test_anything_else_is_refused_with_a_reason(data, words):
    with pytest.raises(Refused, match=words):
        npy.decode(data)


def test_reads_refuse_links_fifos_and_oversized_files(tmp_path):
    (tmp_path / "file").write_bytes(b"x" * 10)
    os.symlink(tmp_path / "file", tmp_path / "link")
    os.mkfifo(tmp_path / "fifo")
    assert read_regular(tmp_path / "file", 10) == b"x" * 10
    with pytest.raises(Refused, match="a symbolic link"):
        read_regular(tmp_path / "link", 100)
    with pytest.raises(Refused, match="not a regular file"):
        read_regular(tmp_path / "fifo", 100)  # and it did not block
    with pytest.raises(Refused, match="over the 9-byte limit"):
        read_regular(tmp_path / "file", 9)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs to give a file to another uid")
def test_copy_refuses_entries_owned_by_someone_else(tmp_path):
    src = tmp_path / "bob+a1"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "answers.ipynb").write_text("{}")
    copy_tree(src, tmp_path / "ok", owner=0)
    os.chown(src / "sub" / "answers.ipynb", 4242, 4242)
    with pytest.raises(Refused, match="bob\\+a1/sub/answers.ipynb is owned by uid 4242, not by the student"):
        copy_tree(src, tmp_path / "refused", owner=0)


def test_copy_refuses_trees_nested_too_deep(tmp_path):
    deep = tmp_path / "src"
    for _ in range(5):
        deep = deep / "d"
    deep.mkdir(parents=True)
    from autograder.judge.tree_copy import TreeLimits

    with pytest.raises(Refused, match="nested more than 3 deep"):
        copy_tree(tmp_path / "src", tmp_path / "copy", TreeLimits(max_depth=3))


def test_the_seccomp_program_is_whole_instructions_for_known_machines_only():
    for machine in seccomp.ARCHES:
        program = seccomp.program(machine, seccomp.blocked_calls(without_cgroup=True))
        assert len(program) % 8 == 0 and len(program) // 8 < 64
    with pytest.raises(ValueError, match="no seccomp filter for machine 'sparc'"):
        seccomp.program("sparc", seccomp.blocked_calls(without_cgroup=False))
