"""Run one command on untrusted files inside a bubblewrap sandbox with kernel-enforced bounds.

What the sandbox sees (``Sandbox.bwrap_args``): ``/usr`` with every other Python
installation's packages hidden, the base Python, a *view* of site-packages holding only
the allowed distributions, the harness and probes, the grader's inputs and a copy of the
student's folder (both read-only). It can write only to size-capped tmpfs mounts
(``/tmp``, ``/submission``, ``/dev/shm``), which vanish with it. No network, its own
PID, IPC and UTS namespaces, no file on the grading machine's disk to write to: results
leave through a pipe (``channel.py``), printed output through another.

Bounds: a memory + pids cgroup per run (``cgroup.py``: charges tmpfs and ``memfd`` too),
``prlimit`` (address space, CPU seconds, file size, processes, open files), a seccomp
filter (``seccomp.py``: no keyrings, no new user namespaces), and a wall clock. As root
the notebook runs as a uid leased for this run only (``uids.py``); as a normal user,
bubblewrap's user namespace gives the same isolation.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from . import seccomp
from .cgroup import SandboxCgroup, find_cgroup_base
from .channel import Frames, Tail, drain
from .spec import Limits
from .uids import leased_uid

BWRAP = "/usr/bin/bwrap"
SANDBOX_VENV = "/sandbox/venv"
SUBMISSION_DIR = "/submission"  # a capped tmpfs; the harness copies the student's files in
SUBMISSION_COPY = "/grader/submission"  # the grader's copy of the student's folder, read-only
GRADER_IN = "/grader/in"
HARNESS = Path(__file__).with_name("harness.py")
PROBES = Path(__file__).with_name("probes.py")  # helpers the harness may call on model classes
# Other Python installations under /usr: `sys.path.append` would reach their packages
HIDDEN_UNDER_USR = ("lib/python3*/dist-packages", "lib/python3*/site-packages", "local/lib/python3*/*-packages",
                    "share/python-wheels")
LOG_TAIL = 2000  # bytes of printed output kept for the instructor
ALLOW_NO_CGROUP = "AUTOGRADER_ALLOW_NO_CGROUP"
NO_CGROUP = (f"grading needs a memory cgroup (cgroup v2 with the memory and pids controllers, or v1 memory "
             f"and pids hierarchies, writable by the grader) and none was found; run the grader as root or in a "
             f"delegated cgroup (AUTOGRADER_CGROUP), or set {ALLOW_NO_CGROUP}=1 to grade with the weaker bounds "
             f"described in autograder/README.md")


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


@functools.lru_cache(maxsize=1)
def cgroup_base():
    return find_cgroup_base()


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
    """How the sandboxed process ended, and what it sent back."""

    returncode: int
    timed_out: bool
    seconds: float
    frames: Frames | None = None
    log_tail: str = ""
    peak_memory: int = 0
    out_of_memory: bool = False

    def describe(self, limits: Limits) -> str:
        """A short, student-safe sentence on why the run ended early ('' if it did not)."""
        if self.timed_out:
            return f"the notebook ran longer than the {limits.wall_seconds:g} s limit and was stopped"
        if self.out_of_memory:
            return f"the notebook used more than the {limits.memory // 2**20} MiB memory limit and was stopped"
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
        self.cgroups = cgroup_base()
        if self.cgroups is None and os.environ.get(ALLOW_NO_CGROUP) != "1":
            raise RuntimeError(NO_CGROUP)

    # -- what the sandbox sees -----------------------------------------------------
    def _system(self, empty: Path) -> list:
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

    def _python(self, job: Path, empty: Path) -> list:
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

    def _files(self, job: Path) -> list:
        """Grader files, the grader's inputs and the student's copy, all read-only."""
        return _parents(GRADER_IN) + [
            "--ro-bind", str(HARNESS), "/grader/harness.py", "--ro-bind", str(PROBES), "/grader/probes.py",
            "--ro-bind", str(job / "in"), GRADER_IN, "--ro-bind", str(job / "work"), SUBMISSION_COPY,
            "--perms", "0777", "--size", str(self.limits.tmp_size), "--tmpfs", SUBMISSION_DIR,
            "--chdir", SUBMISSION_DIR]

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

    def bwrap_args(self, job: Path, uid: int | None, seccomp_fd: int) -> tuple:
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
        return (["--die-with-parent", "--new-session"] + namespaces + self._system(empty)
                + self._python(job, empty) + self._files(job) + ["--remount-ro", "/"] + self._environment()
                + ["--seccomp", str(seccomp_fd)]), drop

    def _prefix(self, cgroup: SandboxCgroup | None) -> list:
        """Join the run's cgroup (a root shell that then becomes prlimit), then the rlimits."""
        lim = self.limits
        join = []
        if cgroup is not None:
            files = [str(p) for p in cgroup.procs_files]
            join = ["/bin/sh", "-c", 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; '
                    'shift; n=$((n - 1)); done; exec "$@"', "join-cgroup", str(len(files)), *files]
        return join + ["prlimit", f"--as={lim.address_space}", f"--cpu={lim.cpu_seconds}",
                       f"--fsize={lim.file_size}", f"--nproc={lim.processes}", "--core=0", "--nofile=256", "--"]

    # -- running -------------------------------------------------------------------
    def run(self, job: Path, argv: list, results_budget: int) -> RunResult:
        """Run ``argv`` sandboxed on ``job/in`` and ``job/work``; ``argv`` gets the results
        pipe's descriptor number through the ``{results_fd}`` placeholder."""
        if _runs_as_root():
            with leased_uid() as uid:
                return self._run(job, argv, uid, results_budget)
        return self._run(job, argv, None, results_budget)

    def _run(self, job: Path, argv: list, uid: int | None, results_budget: int) -> RunResult:
        cgroup = SandboxCgroup(self.cgroups, self.limits.memory, self.limits.processes) if self.cgroups else None
        fds, log_w, readers, frames, log = [], None, [], Frames(results_budget), Tail(LOG_TAIL)
        try:
            seccomp_fd = seccomp.filter_file(without_cgroup=cgroup is None)
            fds.append(seccomp_fd)
            results_r, results_w = os.pipe()
            log_r, log_w = os.pipe()
            fds.append(results_w)
            argv = [a.replace("{results_fd}", str(results_w)) for a in argv]
            options, drop = self.bwrap_args(job, uid, seccomp_fd)
            args_fd = _args_file(options)
            fds.append(args_fd)
            readers = [drain(results_r, frames), drain(log_r, log)]
            start = time.monotonic()
            # the command itself cannot come from --args; it names no host path
            proc = subprocess.Popen(self._prefix(cgroup) + [BWRAP, "--args", str(args_fd), "--"] + drop + argv,
                                    stdin=subprocess.DEVNULL, stdout=log_w, stderr=log_w, pass_fds=tuple(fds),
                                    start_new_session=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
            for fd in fds + [log_w]:  # the sandbox holds its own copies; EOF comes when it is gone
                os.close(fd)
            fds, log_w = [], None
            try:
                code, timed_out = proc.wait(timeout=self.limits.wall_seconds), False
            except subprocess.TimeoutExpired:
                code, timed_out = None, True
            seconds = time.monotonic() - start
            self._end(proc, cgroup)
            code = proc.wait() if code is None else code
            for reader in readers:
                reader.join(timeout=5)
            return RunResult(code, timed_out, seconds, frames, log.text(),
                             cgroup.peak_memory() if cgroup else 0, bool(cgroup and cgroup.oom_killed()))
        finally:
            for fd in fds + ([log_w] if log_w is not None else []):
                os.close(fd)
            if cgroup is not None:
                cgroup.remove()

    def _end(self, proc: subprocess.Popen, cgroup: SandboxCgroup | None) -> None:
        """Nothing the submission started outlives its grading: kill the cgroup's members
        (no process can leave it), then the process group of bubblewrap itself."""
        if cgroup is not None:
            cgroup.kill()
        _kill_group(proc.pid)


def _args_file(args: list) -> int:
    """A read-only descriptor of an unlinked file holding ``args`` NUL-separated."""
    fd, path = tempfile.mkstemp(prefix="autograder-bwrap-")
    try:
        os.write(fd, b"".join(os.fsencode(a) + b"\0" for a in args))
        os.lseek(fd, 0, os.SEEK_SET)
    finally:
        os.unlink(path)
    return fd


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
