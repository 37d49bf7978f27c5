"""The sandbox itself, run directly: what a notebook can see and write, what it can leave
behind for the next one, and the uids and cgroups it runs under."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.sandbox import run as sandbox_module
from autograder.sandbox.run import Sandbox, cgroup_base
from autograder.sandbox.uids import leased_uid
from autograder.spec import Limits

LIMITS = Limits(wall_seconds=30, tmp_size=8 * 2**20)
LOOK_AROUND = r"""
import json, os, sys
facts = {"uid": os.getuid(), "top": sorted(os.listdir("/")), "writable": [], "imports": []}
for line in open("/proc/self/mountinfo"):
    fields, fs = line.split(" - ")[0].split(), line.split(" - ")[1].split()
    if "rw" in fields[5].split(","):
        facts["writable"].append([fields[4], fs[0], fs[2]])
sys.path += ["/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages"]
for name in ("yaml", "cryptography", "pip", "cnncourse", "torch", "numpy"):
    try:
        __import__(name)
        facts["imports"].append(name)
    except ImportError:
        pass
facts["cmdline"] = open("/proc/1/cmdline").read()
try:
    facts["environ"] = open("/proc/1/environ").read()
except OSError:
    facts["environ"] = ""
print("FACTS" + json.dumps(facts))
"""


def run_python(code: str, limits: Limits = LIMITS, packages=("numpy", "ipython")) -> tuple:
    """``(RunResult, printed text)`` of ``code`` run by the sandbox's Python on an empty job."""
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp)
        (job / "in").mkdir()
        (job / "work").mkdir()
        result = Sandbox(limits, packages).run(job, ["python", "-I", "-c", code], 2**20)
    return result, result.log_tail


def facts_of(log: str) -> dict:
    return json.loads(log.split("FACTS", 1)[1])


@pytest.fixture(scope="module")
def facts():
    result, log = run_python(LOOK_AROUND)
    assert result.returncode == 0, log
    return facts_of(log)


def test_only_the_allowed_packages_are_importable(facts):
    assert facts["imports"] == ["numpy"]  # not the system's yaml, cryptography or pip either


def test_the_sandbox_sees_only_its_own_folders(facts):
    base_top = Path(sys.base_prefix).parts[1]  # the base interpreter's path is rebuilt inside
    assert set(facts["top"]) <= {"usr", "lib", "lib64", "bin", "sbin", "proc", "dev", "tmp", "sandbox", "grader",
                                 "submission", base_top}
    assert {"etc", "home", "work", "var", "run"}.isdisjoint(facts["top"])


def test_process_one_shows_no_host_paths_or_environment(facts):
    assert "--ro-bind" not in facts["cmdline"] and "site-packages" not in facts["cmdline"]
    assert tempfile.gettempdir() + "/" not in facts["cmdline"]
    variables = [item.split("=", 1)[0] for item in facts["environ"].split("\0") if item]
    assert set(variables) <= {"PATH"}  # the grader's own environment never reaches the sandbox


def test_every_writable_place_is_a_size_capped_tmpfs(facts):
    writable = {point: (fs, options) for point, fs, options in facts["writable"]
                if fs not in ("proc", "devpts", "devtmpfs")}  # /proc/self, ptys, /dev/null and friends
    assert set(writable) == {"/tmp", "/dev/shm", "/submission"}
    for point, (fs, options) in writable.items():
        assert fs == "tmpfs" and f"size={LIMITS.tmp_size // 1024}k" in options.split(","), point


def test_no_kernel_keyring_outlives_a_sandbox():
    """Two notebooks in a row, under the same uid: the first cannot leave a key for the second."""
    plant = ("import ctypes, os; libc = ctypes.CDLL(None, use_errno=True)\n"
             "r = libc.syscall(248, b'user', b'marker-key', b'answers', 7, -4)\n"
             "print('PLANT', os.getuid(), r, ctypes.get_errno())")
    harvest = ("import ctypes, os; libc = ctypes.CDLL(None, use_errno=True)\n"
               "r = libc.syscall(249, b'user', b'marker-key', None, -4)\n"
               "print('HARVEST', os.getuid(), r)")
    _, planted = run_python(plant)
    _, harvested = run_python(harvest)
    uid_a, result, err = planted.split("PLANT", 1)[1].split()
    uid_b, found = harvested.split("HARVEST", 1)[1].split()
    assert result == "-1" and err == "1"  # EPERM: the filter refuses keyrings
    assert found == "-1"
    if os.geteuid() == 0:
        assert uid_a == uid_b  # the same leased uid: a key would have been found


def test_a_new_user_namespace_is_refused():
    _, log = run_python("import ctypes; libc = ctypes.CDLL(None, use_errno=True)\n"
                        "print('UNSHARE', libc.unshare(0x10000000), ctypes.get_errno())")
    assert log.split("UNSHARE", 1)[1].split() == ["-1", "1"]


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are leased in root mode only")
def test_leased_uids_are_unique_and_skip_uids_in_use():
    with leased_uid() as first, leased_uid() as second:
        assert first != second
        busy = subprocess.Popen(["setpriv", f"--reuid={first + 100}", f"--regid={first + 100}", "--clear-groups",
                                 "sleep", "30"])
        try:
            with leased_uid() as third:
                assert third not in (first, second)
        finally:
            busy.kill()
            busy.wait()


def test_the_run_leaves_no_cgroup_behind():
    base = cgroup_base()
    if base is None:
        pytest.skip("no cgroup on this machine")
    run_python("print('hello')")
    mine = [p for folder in base.folders for p in folder.glob(f"sandbox-{os.getpid()}-*")]
    assert mine == []


def test_without_a_cgroup_grading_refuses_to_start_unless_allowed(monkeypatch):
    monkeypatch.setattr(sandbox_module, "cgroup_base", lambda: None)
    monkeypatch.delenv(sandbox_module.ALLOW_NO_CGROUP, raising=False)
    with pytest.raises(RuntimeError, match="grading needs a memory cgroup"):
        Sandbox(LIMITS, ("numpy",))
    monkeypatch.setenv(sandbox_module.ALLOW_NO_CGROUP, "1")
    assert Sandbox(LIMITS, ("numpy",)).cgroups is None
