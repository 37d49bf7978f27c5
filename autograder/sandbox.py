"""Run one command on untrusted files inside a bubblewrap sandbox with resource limits.

The sandbox sees: /usr (system libraries), the base Python, a *view* of site-packages
holding only the allowed distributions, the harness, the grader's inputs (read-only),
an output folder, and a size-capped scratch folder with a read-only copy of the
student's files. No network, its own PID namespace (every process dies with it),
limits on address space, CPU time, file size and process count, and a wall clock.

As root the sandboxed process is switched to an unprivileged uid per parallel slot
(``setpriv``), so ``RLIMIT_NPROC`` counts only that sandbox's processes; as a normal
user, bubblewrap's user namespace gives the same isolation.
"""
from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from .spec import Limits

BWRAP = "/usr/bin/bwrap"
SANDBOX_VENV = "/sandbox/venv"
SUBMISSION_DIR = "/submission"
GRADER_IN = "/grader/in"
GRADER_OUT = "/grader/out"
HARNESS = Path(__file__).with_name("harness.py")
PROBES = Path(__file__).with_name("probes.py")  # helpers the harness may call on model classes
SLOT_UID_BASE = 61000  # root mode: sandbox slot k runs as uid/gid 61000 + k


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


def _runs_as_root() -> bool:
    return os.geteuid() == 0


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # real-time signals have no name
        return str(number)


@dataclass
class RunResult:
    """How the sandboxed process ended."""

    returncode: int
    timed_out: bool
    seconds: float

    def describe(self, limits: Limits) -> str:
        """A short, student-safe sentence on why the run ended early ('' if it did not)."""
        if self.timed_out:
            return f"the notebook ran longer than the {limits.wall_seconds:g} s limit and was stopped"
        if self.returncode == 0:
            return ""
        # Popen reports a signal as -N; bubblewrap passes its child's death by signal on as 128 + N
        sig = -self.returncode if self.returncode < 0 else self.returncode - 128
        if 0 < sig < signal.NSIG:
            why = {
                signal.SIGXCPU: f"used more than {limits.cpu_seconds} s of CPU time",
                signal.SIGXFSZ: "wrote a file or output larger than the size limit",
                signal.SIGKILL: "was killed (out of memory or time)",
                signal.SIGSEGV: "crashed (segmentation fault)",
            }.get(sig, f"was killed by signal {_signal_name(sig)}")
            return f"the notebook's process {why}"
        return f"the notebook's process exited early with status {self.returncode}"


class Sandbox:
    """Builds and runs the bubblewrap command for one assignment's limits and packages."""

    def __init__(self, limits: Limits, packages: tuple, gpu: bool = False):
        if not Path(BWRAP).exists():
            raise FileNotFoundError(f"bubblewrap is required for grading: {BWRAP} not found (apt-get install bubblewrap)")
        self.limits = limits
        self.packages = tuple(packages)
        self.gpu = gpu

    # -- pieces of the command line ------------------------------------------------
    def _system(self) -> list:
        args = ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
        for top in ("lib", "lib64", "bin", "sbin"):
            path = Path("/") / top
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        args += ["--perms", "1777", "--size", str(self.limits.tmp_size), "--tmpfs", "/tmp"]
        if self.gpu:
            for dev in sorted(Path("/dev").glob("nvidia*")):
                args += ["--dev-bind", str(dev), str(dev)]
        return args

    def _python(self, job: Path) -> list:
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
            args += ["--tmpfs", base_site]
        if not real_python.startswith(base + os.sep):
            args += ["--ro-bind", real_python, real_python]
        args += _parents(f"{SANDBOX_VENV}/bin/python") + ["--symlink", real_python, f"{SANDBOX_VENV}/bin/python",
                 "--ro-bind", str(job / "pyvenv.cfg"), f"{SANDBOX_VENV}/pyvenv.cfg", "--tmpfs", site]
        for name, host_path in site_packages_view(self.packages):
            args += ["--ro-bind", host_path, f"{site}/{name}"]
        return args

    def _files(self, job: Path, work: Path) -> list:
        """Grader files plus the student's copy, read-only inside a size-capped folder."""
        args = _parents(GRADER_IN) + ["--ro-bind", str(HARNESS), "/grader/harness.py",
                "--ro-bind", str(PROBES), "/grader/probes.py",
                "--ro-bind", str(job / "in"), GRADER_IN, "--bind", str(job / "out"), GRADER_OUT,
                "--perms", "0777", "--size", str(self.limits.tmp_size), "--tmpfs", SUBMISSION_DIR]
        for entry in sorted(work.iterdir()):  # a copy without links (copy_submission)
            args += ["--ro-bind", str(entry), f"{SUBMISSION_DIR}/{entry.name}"]
        return args + ["--chdir", SUBMISSION_DIR]

    def _environment(self) -> list:
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

    def command(self, job: Path, work: Path, argv: list, slot: int = 0) -> list:
        """The full ``prlimit ... bwrap ... -- argv`` command line."""
        lim = self.limits
        prlimit = ["prlimit", f"--as={lim.address_space}", f"--cpu={lim.cpu_seconds}",
                   f"--fsize={lim.file_size}", f"--nproc={lim.processes}", "--core=0", "--nofile=256", "--"]
        if _runs_as_root():
            uid = str(SLOT_UID_BASE + slot)
            namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                          "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        else:
            namespaces, drop = ["--unshare-all"], []
        return (prlimit + [BWRAP, "--die-with-parent", "--new-session"] + namespaces
                + self._system() + self._python(job) + self._files(job, work) + self._environment()
                + ["--"] + drop + argv)

    def prepare(self, job: Path, slot: int = 0) -> None:
        """Create ``job/in`` and ``job/out``; in root mode give ``out`` to the slot's uid."""
        (job / "in").mkdir(parents=True, exist_ok=True)
        out = job / "out"
        out.mkdir(parents=True, exist_ok=True)
        if _runs_as_root():
            os.chown(out, SLOT_UID_BASE + slot, SLOT_UID_BASE + slot)

    def run(self, job: Path, work: Path, argv: list, slot: int = 0) -> RunResult:
        """Run ``argv`` sandboxed; its stdout and stderr go to ``job/log.txt``."""
        cmd = self.command(job, work, argv, slot)
        start = time.monotonic()
        with open(job / "log.txt", "wb") as log:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                code = proc.wait(timeout=self.limits.wall_seconds)
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                code = proc.wait()
                timed_out = True
        # bwrap's PID-namespace init stays in our process group; killing the group tears the
        # namespace down, so nothing the submission started outlives its grading
        _kill_group(proc.pid)
        return RunResult(code, timed_out, time.monotonic() - start)


def _live_members(pgid: int) -> list:
    """PIDs in process group ``pgid`` that are still running (zombies excluded)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _kill_group(pgid: int, grace_seconds: float = 5.0) -> None:
    """SIGKILL process group ``pgid`` and wait until none of its members still runs."""
    deadline = time.monotonic() + grace_seconds
    while _live_members(pgid) and time.monotonic() < deadline:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def _links(folder: str, names: list) -> list:
    return [name for name in names if os.path.islink(os.path.join(folder, name))]


def copy_submission(src: Path, dest: Path, max_bytes: int) -> None:
    """Copy the student's folder without its symbolic links, and refuse oversized ones.

    The copy is read by trusted code too (``Check.inspect``), where a link could reach
    the instructor's files; a student's own files need no links.
    """
    total = sum(p.stat().st_size for p in src.rglob("*") if p.is_file() and not p.is_symlink())
    if total > max_bytes:
        raise ValueError(f"submission folder {src} holds {total} bytes, over the {max_bytes}-byte limit")
    shutil.copytree(src, dest, ignore=_links)
