"""What a sandbox sees: bubblewrap's mount, environment and namespace options.

Read-only: ``/usr`` with every other Python installation's packages hidden, the base
Python, a *view* of site-packages holding only the allowed distributions, the files of
``autograder/inside/`` (at ``/grader/<file>``), the grader's inputs and a copy of the
student's folder. Writable: size-capped tmpfs mounts (``/tmp``, ``/submission``,
``/dev/shm``) that vanish with the sandbox. ``autograder/README.md`` ("What the sandbox
sees") describes the result; ``tests/test_autograder_sandbox.py`` checks it.
"""
from __future__ import annotations

import functools
import os
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from autograder.spec import Limits

SANDBOX_VENV = "/sandbox/venv"
SUBMISSION_DIR = "/submission"  # a capped tmpfs; the harness copies the student's files in
SUBMISSION_COPY = "/grader/submission"  # the grader's copy of the student's folder, read-only
GRADER_IN = "/grader/in"
INSIDE = Path(__file__).resolve().parent.parent / "inside"  # the code that runs in the sandbox
# Other Python installations under /usr: `sys.path.append` would reach their packages
HIDDEN_UNDER_USR = ("lib/python3*/dist-packages", "lib/python3*/site-packages", "local/lib/python3*/*-packages",
                    "share/python-wheels")


def inside_files() -> list:
    """The files of ``autograder/inside/`` that the sandbox runs (its package marker aside)."""
    return sorted(p for p in INSIDE.glob("*.py") if p.name != "__init__.py")


def _dependencies(dist: metadata.Distribution) -> list:
    """Names of the distributions ``dist`` needs on this platform (extras skipped)."""
    names = []
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(req.name)
    return names


@functools.lru_cache(maxsize=None)
def site_packages_view(packages: tuple) -> tuple:
    """``(name, host_path)`` of every top-level entry the allowed distributions install.

    The closure over dependencies is taken from the installed metadata, so the view
    follows the environment without a hand-kept list. ``.pth`` files and
    ``__pycache__`` are left out: nothing outside the allowed set can be imported.
    """
    seen, todo, entries = set(), list(packages), {}
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise ValueError(f"allowed package {name!r} is not installed in the grader's environment") from None
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        root = Path(dist.locate_file(""))
        for file in dist.files or []:
            top = file.parts[0]
            if top == ".." or top == "__pycache__" or top.endswith(".pth"):
                continue
            entries[top] = str(root / top)
        todo.extend(_dependencies(dist))
    return tuple(sorted(entries.items()))


def _parents(path: str) -> list:
    """``--dir`` for each missing ancestor of ``path``, world-readable (bwrap's default is 0700)."""
    args = []
    for parent in reversed(Path(path).parents[:-1]):
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


class SandboxView:
    """bubblewrap's options for one assignment's limits, packages and devices."""

    def __init__(self, limits: Limits, packages: tuple, gpu: bool = False):
        self.limits, self.packages, self.gpu = limits, tuple(packages), gpu

    def system(self, empty: Path) -> list:
        args = ["--ro-bind", "/usr", "/usr"]
        for pattern in HIDDEN_UNDER_USR:
            for hidden in sorted(Path("/usr").glob(pattern)):
                if hidden.is_dir() and not str(Path(sys.base_prefix)).startswith(str(hidden)):
                    args += ["--ro-bind", str(empty), str(hidden)]
        for top in ("lib", "lib64", "bin", "sbin"):
            path = Path("/") / top
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        size = str(self.limits.tmp_size)
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", size, "--tmpfs", "/dev/shm",
                 "--remount-ro", "/dev", "--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
        if self.gpu:
            for dev in sorted(Path("/dev").glob("nvidia*")):
                args += ["--dev-bind", str(dev), str(dev)]
        return args

    def python(self, job: Path, empty: Path) -> list:
        """The base interpreter plus a venv whose site-packages is the allowed view."""
        base = sys.base_prefix
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        real_python = os.path.realpath(sys.executable)
        (job / "pyvenv.cfg").write_text(
            f"home = {os.path.dirname(real_python)}\ninclude-system-site-packages = false\n")
        site = f"{SANDBOX_VENV}/lib/{version}/site-packages"
        args = _parents(base) + ["--ro-bind", base, base]
        base_site = sysconfig.get_paths(vars={"base": base, "platbase": base})["purelib"]
        if Path(base_site).is_dir():  # the base interpreter's own packages stay hidden
            args += ["--ro-bind", str(empty), base_site]
        if not real_python.startswith(base + os.sep):
            args += ["--ro-bind", real_python, real_python]
        args += _parents(f"{SANDBOX_VENV}/bin/python") + ["--symlink", real_python, f"{SANDBOX_VENV}/bin/python",
                 "--ro-bind", str(job / "pyvenv.cfg"), f"{SANDBOX_VENV}/pyvenv.cfg", "--tmpfs", site]
        for name, host_path in site_packages_view(self.packages):
            args += ["--ro-bind", host_path, f"{site}/{name}"]
        return args + ["--remount-ro", site]

    def files(self, job: Path) -> list:
        """The code of ``autograder/inside/``, the grader's inputs and the student's copy, all read-only."""
        args = _parents(GRADER_IN)
        for path in inside_files():
            args += ["--ro-bind", str(path), f"/grader/{path.name}"]
        return args + [
            "--ro-bind", str(job / "in"), GRADER_IN, "--ro-bind", str(job / "work"), SUBMISSION_COPY,
            "--perms", "0777", "--size", str(self.limits.tmp_size), "--tmpfs", SUBMISSION_DIR,
            "--chdir", SUBMISSION_DIR]

    @staticmethod
    def environment() -> list:
        env = {
            "PATH": f"{SANDBOX_VENV}/bin:/usr/bin:/bin",
            "HOME": "/tmp", "IPYTHONDIR": "/tmp/.ipython", "MPLCONFIGDIR": "/tmp/.matplotlib",
            "MPLBACKEND": "Agg", "LANG": "C.UTF-8",
            # notebooks skip their long training cells: the saved model file is graded
            "CNNCOURSE_GRADING": "1",
            # one BLAS thread: parallel submissions already fill the cores, and each
            # extra thread reserves address space against the memory limit
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        }
        args = ["--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        return args

    def options(self, job: Path, uid: int | None, seccomp_fd: int) -> tuple:
        """bubblewrap's options (passed through ``--args FD``: they name host paths that the
        sandbox would otherwise read in ``/proc/1/cmdline``), and the uid switch before the command."""
        empty = job / "empty"
        empty.mkdir(mode=0o555, exist_ok=True)
        if uid is not None:
            namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                          "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        else:
            namespaces, drop = ["--unshare-all", "--unshare-user"], []
        return (["--die-with-parent", "--new-session"] + namespaces + self.system(empty)
                + self.python(job, empty) + self.files(job) + ["--remount-ro", "/"] + self.environment()
                + ["--seccomp", str(seccomp_fd)]), drop
