"""Finding where sandbox cgroups go, from /proc's own text, on cgroup v1 and v2 layouts."""
import pytest

from autograder.sandbox import cgroup

V1_MOUNTS = """31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / {root}/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / {root}/pids rw,relatime - cgroup cgroup rw,pids
"""
V2_MOUNTS = "31 23 0:28 / {root} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"


def test_v1_base_is_below_the_graders_own_cgroups(tmp_path):
    for controller in ("memory", "pids"):
        (tmp_path / controller / "course-grader").mkdir(parents=True)
    base = cgroup.find_cgroup_base(V1_MOUNTS.format(root=tmp_path),
                                   "4:memory:/course-grader\n8:pids:/course-grader\n0::/\n")
    assert base.version == 1
    assert base.folders == (tmp_path / "memory" / "course-grader" / "autograder",
                            tmp_path / "pids" / "course-grader" / "autograder")


def test_v2_base_enables_the_controllers_beside_the_grader(tmp_path, monkeypatch):
    (tmp_path / "grading.slice" / "grader.scope").mkdir(parents=True)
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids io\n")
    (tmp_path / "grading.slice" / "cgroup.subtree_control").write_text("")
    real_write = cgroup.Path.write_text

    def subtree_write(path, text, *args, **kwargs):  # the kernel answers with the new state
        return real_write(path, text.replace("+", "") if path.name == "cgroup.subtree_control" else text)

    monkeypatch.setattr(cgroup.Path, "write_text", subtree_write)
    (tmp_path / "grading.slice" / "autograder").mkdir()
    (tmp_path / "grading.slice" / "autograder" / "cgroup.subtree_control").write_text("")
    base = cgroup.find_cgroup_base(V2_MOUNTS.format(root=tmp_path), "0::/grading.slice/grader.scope\n")
    assert base == cgroup.CgroupBase(2, (tmp_path / "grading.slice" / "autograder",))
    assert (tmp_path / "grading.slice" / "cgroup.subtree_control").read_text() == "memory pids"


def test_no_cgroup_mounts_means_none():
    assert cgroup.find_cgroup_base("22 1 0:21 / /proc rw - proc proc rw\n", "0::/\n") is None


@pytest.mark.skipif(cgroup.find_cgroup_base() is None, reason="no writable cgroup here")
def test_a_sandbox_cgroup_has_its_limits_and_goes_away():
    group = cgroup.SandboxCgroup(cgroup.find_cgroup_base(), 300 * 2**20, 7)
    try:
        limit = group._read("memory", "memory.max", "memory.limit_in_bytes").strip()
        assert int(limit) == 300 * 2**20
        assert group._read("pids", "pids.max", "pids.max").strip() == "7"
        assert group.members() == [] and not group.oom_killed()
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders)


@pytest.mark.skipif(cgroup.find_cgroup_base() is None, reason="no writable cgroup here")
def test_the_cgroup_of_a_killed_grader_is_removed_and_a_living_one_kept():
    """A cluster worker killed mid-run leaves its sandbox's cgroup behind; the next
    grader on the machine removes it, never the cgroup of a grader still running."""
    import subprocess
    import sys

    base = cgroup.find_cgroup_base()
    killed = subprocess.run([sys.executable, "-c", "import os\nfrom autograder.sandbox import cgroup\n"
                             "g = cgroup.SandboxCgroup(cgroup.find_cgroup_base(), 2**28, 4)\n"
                             "print(g.folders[0].name, flush=True)\nos.kill(os.getpid(), 9)"],
                            capture_output=True, text=True)
    name = killed.stdout.strip()
    assert killed.returncode == -9 and name.startswith("sandbox-")
    assert all((folder / name).is_dir() for folder in base.folders)
    living = cgroup.SandboxCgroup(base, 2**28, 4)
    try:
        removed = cgroup.remove_leftovers(base)
        assert name in removed and living.folders[0].name not in removed
        assert not any((folder / name).exists() for folder in base.folders)
        assert all(folder.is_dir() for folder in living.folders)
    finally:
        living.remove()
