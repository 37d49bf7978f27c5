"""Run one command on untrusted files inside a bubblewrap sandbox with kernel-enforced bounds.

What the sandbox sees is ``view.py``'s. No network, its own PID, IPC and UTS
namespaces, no file on the grading machine's disk to write to: results leave through a
pipe (``channel.py``), printed output through another.

Bounds: a memory + pids cgroup per run (``cgroup.py``: charges tmpfs and ``memfd`` too),
``prlimit`` (address space, CPU seconds, file size, processes, open files), a seccomp
filter (``seccomp.py``: no keyrings, no new user namespaces), and a wall clock. As root
the notebook runs as a uid leased for this run only (``uids.py``); as a normal user,
bubblewrap's user namespace gives the same isolation.
"""
from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox import seccomp
from autograder.sandbox.cgroup import SandboxCgroup, find_cgroup_base, remove_leftovers
from autograder.sandbox.channel import MAX_RESULTS_BYTES, Frames, Tail, drain
from autograder.sandbox.uids import leased_uid
from autograder.sandbox.view import SandboxView
from autograder.spec import Limits

BWRAP = "/usr/bin/bwrap"
TOOLS_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"  # where the sandbox's command line finds prlimit and setpriv
LOG_TAIL = 2000  # bytes of printed output kept for the instructor
HARNESS = ("python", "-I", "/grader/harness.py", "/grader/in", "{results_fd}")
ALLOW_NO_CGROUP = "AUTOGRADER_ALLOW_NO_CGROUP"
NO_CGROUP = (f"grading needs a memory cgroup (cgroup v2 with the memory and pids controllers, or v1 memory "
             f"and pids hierarchies, writable by the grader) and none was found; run the grader as root or in a "
             f"delegated cgroup (AUTOGRADER_CGROUP), or set {ALLOW_NO_CGROUP}=1 to grade with the weaker bounds "
             f"described in autograder/README.md")


@functools.lru_cache(maxsize=1)
def cgroup_base():
    base = find_cgroup_base()
    if base is not None:  # the sandboxes of a grader that was killed (a cluster worker) left their folders
        remove_leftovers(base)
    return base


def missing_tools() -> list:
    """The commands of the sandbox's command line that this machine lacks (util-linux)."""
    needed = ["prlimit"] + (["setpriv"] if _runs_as_root() else [])
    return [f"{tool} not found in {TOOLS_PATH} (apt-get install util-linux)" for tool in needed
            if shutil.which(tool, path=TOOLS_PATH) is None]


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
    worker: str = ""  # the cluster worker that ran it ('' on this machine)

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
        if missing_tools():
            raise FileNotFoundError(f"grading needs {'; '.join(missing_tools())}")
        self.limits = limits
        self.view = SandboxView(limits, packages, gpu)
        self.cgroups = cgroup_base()
        if self.cgroups is None and os.environ.get(ALLOW_NO_CGROUP) != "1":
            raise RuntimeError(NO_CGROUP)

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
            options, drop = self.view.options(job, uid, seccomp_fd)
            args_fd = _args_file(options)
            fds.append(args_fd)
            readers = [drain(results_r, frames), drain(log_r, log)]
            start = time.monotonic()
            # the command itself cannot come from --args; it names no host path
            proc = subprocess.Popen(self._prefix(cgroup) + [BWRAP, "--args", str(args_fd), "--"] + drop + argv,
                                    stdin=subprocess.DEVNULL, stdout=log_w, stderr=log_w, pass_fds=tuple(fds),
                                    start_new_session=True, env={"PATH": TOOLS_PATH})
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


def run_harness(job: Path, limits: Limits, packages: tuple, gpu: bool) -> RunResult:
    """The grading run of one notebook: ``inside/harness.py`` on ``job/in`` and ``job/work``.

    The same call on this machine and on a cluster worker (``autograder/cluster/worker.py``).
    """
    return Sandbox(limits, packages, gpu).run(job, list(HARNESS), MAX_RESULTS_BYTES)


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
