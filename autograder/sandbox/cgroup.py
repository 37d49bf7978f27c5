"""One memory + pids cgroup per sandbox: the kernel-enforced bound on everything it holds.

``RLIMIT_AS`` bounds each process's address space, not the memory the sandbox holds:
``memfd_create``, tmpfs files and shared memory are not mapped, and 32 processes each
get their own limit. A memory cgroup charges all of them (anonymous memory, page cache,
shmem, tmpfs) to one counter; the kernel's OOM killer stops the sandbox at its limit,
and ``pids.max`` bounds its processes, whatever uid they run as. Every process of the
sandbox stays in the cgroup (an unprivileged process cannot move itself out), so
killing the cgroup's members ends the whole sandbox.

Both kernel interfaces are supported: cgroup v2 (one hierarchy, controllers enabled in
``cgroup.subtree_control``) and v1 (a ``memory`` and a ``pids`` hierarchy). The
sandboxes' cgroups live under one ``autograder`` folder below the grader's own cgroup
(v1) or below the first v2 folder where the grader may enable the controllers; see
``find_cgroup_base``. ``AUTOGRADER_CGROUP`` names that v2 folder explicitly (for a
delegated subtree, e.g. a systemd unit with ``Delegate=yes``).
"""
from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids")
_names = itertools.count()
_lock = threading.Lock()


@dataclass(frozen=True)
class CgroupBase:
    """Where sandbox cgroups are made: one folder (v2) or one per controller (v1)."""

    version: int
    folders: tuple  # v2: (folder,); v1: (memory folder, pids folder)

    def describe(self) -> str:
        return f"cgroup v{self.version} ({', '.join(str(f) for f in self.folders)})"


def _mounts(mountinfo: str) -> list:
    """``(mount point, fs type, super options)`` of each cgroup mount."""
    found = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], tail[0], set(tail[2].split(","))))
    return found


def _own_paths(proc_cgroup: str) -> dict:
    """``{controller or '' (v2): path}`` of this process, from ``/proc/self/cgroup``."""
    paths = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _enable_controllers(folder: Path) -> None:
    """Let ``folder``'s children have memory and pids controllers (v2)."""
    enabled = (folder / "cgroup.subtree_control").read_text().split()
    missing = [c for c in CONTROLLERS if c not in enabled]
    if missing:
        (folder / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))


def _v2_base(mount: Path, own: str) -> CgroupBase | None:
    available = (mount / "cgroup.controllers").read_text().split()
    if not all(c in available for c in CONTROLLERS):
        return None
    explicit = os.environ.get("AUTOGRADER_CGROUP")
    own_folder = mount / own.lstrip("/")
    candidates = [Path(explicit)] if explicit else [own_folder.parent, mount]
    for parent in candidates:
        try:
            _enable_controllers(parent)  # fails where the folder holds processes itself
            folder = parent / "autograder"
            folder.mkdir(exist_ok=True)
            _enable_controllers(folder)
            return CgroupBase(2, (folder,))
        except OSError:
            continue
    return None


def _v1_base(mounts: list, own: dict) -> CgroupBase | None:
    folders = []
    for controller in CONTROLLERS:
        mount = next((Path(m) for m, kind, opts in mounts if kind == "cgroup" and controller in opts), None)
        if mount is None:
            return None
        folder = mount / own.get(controller, "/").lstrip("/") / "autograder"
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            return None
        folders.append(folder)
    return CgroupBase(1, tuple(folders))


def find_cgroup_base(mountinfo: str | None = None, proc_cgroup: str | None = None) -> CgroupBase | None:
    """The place for sandbox cgroups on this machine, or ``None`` where none can be made."""
    try:
        mountinfo = mountinfo if mountinfo is not None else Path("/proc/self/mountinfo").read_text()
        proc_cgroup = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    except OSError:
        return None
    mounts, own = _mounts(mountinfo), _own_paths(proc_cgroup)
    for mount, kind, _ in mounts:
        if kind == "cgroup2" and "" in own:
            try:
                base = _v2_base(Path(mount), own[""])
            except OSError:
                base = None
            if base:
                return base
    return _v1_base(mounts, own)


class SandboxCgroup:
    """The cgroup of one sandbox run: limits set at creation, removed by ``remove``."""

    def __init__(self, base: CgroupBase, memory_bytes: int, processes: int):
        with _lock:
            name = f"sandbox-{os.getpid()}-{next(_names)}"
        self.base = base
        self.folders = [folder / name for folder in base.folders]
        for folder in self.folders:
            folder.mkdir()
        try:
            self._set_limits(memory_bytes, processes)
        except OSError:
            self.remove()
            raise

    @classmethod
    def existing(cls, base: CgroupBase, name: str) -> "SandboxCgroup":
        """The cgroup ``name`` made earlier (by another grader process), to kill and remove."""
        cgroup = cls.__new__(cls)
        cgroup.base, cgroup.folders = base, [folder / name for folder in base.folders]
        return cgroup

    def _file(self, controller: str, v2_name: str, v1_name: str) -> Path:
        if self.base.version == 2:
            return self.folders[0] / v2_name
        return self.folders[CONTROLLERS.index(controller)] / v1_name

    def _set_limits(self, memory_bytes: int, processes: int) -> None:
        self._file("memory", "memory.max", "memory.limit_in_bytes").write_text(str(memory_bytes))
        swap = self._file("memory", "memory.swap.max", "memory.memsw.limit_in_bytes")
        if swap.exists():  # no swap beyond the limit (v1: memory + swap together)
            swap.write_text("0" if self.base.version == 2 else str(memory_bytes))
        self._file("pids", "pids.max", "pids.max").write_text(str(processes))

    @property
    def procs_files(self) -> list:
        """The ``cgroup.procs`` files a process writes its pid to, to join."""
        return [folder / "cgroup.procs" for folder in self.folders]

    def _read(self, controller: str, v2_name: str, v1_name: str) -> str:
        try:
            return self._file(controller, v2_name, v1_name).read_text()
        except OSError:
            return ""

    def peak_memory(self) -> int:
        """Most memory the sandbox held at once (bytes; 0 where the kernel does not say)."""
        text = self._read("memory", "memory.peak", "memory.max_usage_in_bytes").strip()
        return int(text) if text.isdigit() else 0

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the sandbox for exceeding its memory."""
        text = self._read("memory", "memory.events", "memory.oom_control")
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return counts.get("oom_kill", "0") != "0"

    def members(self) -> list:
        pids = set()
        for procs in self.procs_files:
            try:
                pids.update(int(p) for p in procs.read_text().split())
            except OSError:
                pass
        return sorted(pids)

    def kill(self, grace_seconds: float = 5.0) -> None:
        """SIGKILL every member until the cgroup is empty (a fork bomb is bounded by pids.max)."""
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline:
            members = self.members()
            if not members:
                return
            if self.base.version == 2 and (self.folders[0] / "cgroup.kill").exists():
                (self.folders[0] / "cgroup.kill").write_text("1")
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)

    def remove(self, grace_seconds: float = 5.0) -> None:
        """Kill what is left and delete the cgroup folders (a folder busy past the grace stays)."""
        self.kill(grace_seconds)
        deadline = time.monotonic() + grace_seconds
        for folder in self.folders:
            while folder.exists():
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    break
                except OSError:  # members still exiting
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(base: CgroupBase) -> list:
    """Remove the cgroups of sandboxes whose grader process is gone; return their names.

    A grader killed mid-run (a cluster worker, SIGKILL) cannot remove its sandbox's
    cgroup; bubblewrap's ``--die-with-parent`` ends the sandbox itself, and what
    might remain of it is killed here before the folders go.
    """
    names = set()
    for folder in base.folders:
        for child in folder.glob("sandbox-*-*"):
            pid = child.name.split("-")[1]
            if child.is_dir() and pid.isdigit() and not _process_exists(int(pid)):
                names.add(child.name)
    removed = []
    for name in sorted(names):
        try:
            SandboxCgroup.existing(base, name).remove(grace_seconds=1.0)
            removed.append(name)
        except OSError:
            continue  # still busy: the next grader tries again
    return removed
