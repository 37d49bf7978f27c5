"""What runs on a cluster worker: the readiness check and the sandbox task.

A worker is started with Dask's own command, ``dask worker ADDRESS --nthreads 1
--resources "SANDBOX=1"`` (``GPU=1`` too on a GPU machine). Before it gets any work of a
grading run, ``ReadinessCheck`` (a Dask worker plugin, run on every worker, those that
join later included) compares it with the instructor's machine: the course package's
version, the autograder's worker-side code, Python, the versions of the packages the
sandbox shows to students, and the sandbox's prerequisites (``bwrap``, ``prlimit``,
``setpriv``, a writable memory cgroup). A worker that matches is given the run's
resource (``Expectation.resource``), which every task of the run asks for; one that does
not never gets it, and says why in an event that the instructor's terminal prints. So a
worker that would grade differently refuses the work instead.
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin
from packaging.version import InvalidVersion, Version

from autograder.cluster import wire
from autograder.sandbox.run import ALLOW_NO_CGROUP, Sandbox, cgroup_base, run_harness
from autograder.spec import Limits

EVENTS = "autograder-workers"  # the Dask event topic the instructor's client reads
SLOTS = "SANDBOX"  # the resource a worker advertises: how many sandboxes it runs at once
GPU = "GPU"
PACKAGE = Path(__file__).resolve().parent.parent
# the autograder's code that a worker runs: a difference here is a difference in grading
WORKER_CODE = ("inside", "sandbox", "cluster/worker.py", "cluster/wire.py", "spec.py")
log = logging.getLogger(__name__)


def course_version() -> str:
    import cnncourse

    return getattr(cnncourse, "__version__", "unknown")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over the worker-side files of the autograder (names and contents)."""
    digest = hashlib.sha256()
    for entry in WORKER_CODE:
        path = PACKAGE / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(PACKAGE).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def package_version(name: str) -> str:
    """The installed version without its local label (``2.13.0+cu126`` and ``2.13.0+cpu`` agree)."""
    try:
        text = metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
    try:
        return Version(text).public
    except InvalidVersion:
        return text


@dataclass(frozen=True)
class Expectation:
    """What a worker must match to grade one assignment, as found on the instructor's machine."""

    assignment: str
    course_version: str
    code_digest: str
    python: str
    packages: tuple  # ((distribution, version), ...) of the sandbox's allowed packages
    limits: Limits
    gpu: bool
    # the autograder's rule (README, "Residual risks"), waived only by the instructor's own
    # AUTOGRADER_ALLOW_NO_CGROUP=1: the instructor's machine itself needs no sandbox
    needs_memory_cgroup: bool = True

    @classmethod
    def here(cls, spec) -> "Expectation":
        return cls(spec.name, course_version(), code_digest(), f"{sys.version_info.major}.{sys.version_info.minor}",
                   tuple((name, package_version(name)) for name in spec.packages), spec.limits, spec.gpu,
                   os.environ.get(ALLOW_NO_CGROUP) != "1")

    @property
    def resource(self) -> str:
        """The resource name that fit workers get: one per distinct expectation."""
        return "autograder-" + hashlib.sha256(repr(self).encode()).hexdigest()[:16]

    def task_resources(self) -> dict:
        return {SLOTS: 1, self.resource: 1, **({GPU: 1} if self.gpu else {})}


def problems(expect: Expectation) -> list:
    """Why this machine would not grade as the instructor's does ([] when it would)."""
    found = []
    if course_version() != expect.course_version:
        found.append(f"cnncourse {course_version()} is installed here, the instructor grades with "
                     f"{expect.course_version}")
    elif code_digest() != expect.code_digest:
        found.append("the autograder's sandbox code here differs from the instructor's (same version, "
                     "other files): install the instructor's copy of cnncourse")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    if python != expect.python:
        found.append(f"Python {python} here, {expect.python} on the instructor's machine")
    for name, version in expect.packages:
        if package_version(name) != version:
            found.append(f"{name} {package_version(name)} here, {version} on the instructor's machine")
    try:
        Sandbox(expect.limits, tuple(name for name, _ in expect.packages), expect.gpu)
    except (OSError, RuntimeError, ValueError) as err:
        found.append(str(err))
    else:
        if expect.needs_memory_cgroup and cgroup_base() is None:
            found.append(f"no memory cgroup here ({ALLOW_NO_CGROUP}=1): its sandboxes would be bounded more "
                         f"weakly than the instructor's run requires")
    return found


def notes(expect: Expectation, slots: float, gpus: float) -> list:
    """Why a matching worker takes none, or not all, of the run's work (not a refusal)."""
    if slots < 1:
        return [f"takes no work: it advertises no {SLOTS} resource (start it with --resources \"{SLOTS}=1\")"]
    if expect.gpu and gpus < 1:
        return [f"takes no work of {expect.assignment}, which needs a GPU: it advertises none "
                f"(--resources \"{SLOTS}=1,{GPU}=1\" on a GPU machine)"]
    if expect.gpu and not list(Path("/dev").glob("nvidia[0-9]*")):
        return ["advertises a GPU but has no /dev/nvidia* device: the GPU assignment runs on its CPU"]
    return []


class ReadinessCheck(WorkerPlugin):
    """Gives a worker the run's resource if it can grade the assignment, and tells the
    instructor (event ``EVENTS``) either way."""

    def __init__(self, expect: Expectation, run_id: str):
        self.expect, self.run_id = expect, run_id

    async def setup(self, worker):
        slots = worker.state.total_resources.get(SLOTS, 0)
        gpus = worker.state.total_resources.get(GPU, 0)
        found = await asyncio.to_thread(problems, self.expect)
        await worker.set_resources(**{self.expect.resource: 0 if found else slots})
        if found:
            log.warning("refusing to grade %s: %s", self.expect.assignment, "; ".join(found))
        worker.log_event(EVENTS, {"run": self.run_id, "worker": worker.address, "name": str(worker.name),
                                  "ready": not found, "problems": found,
                                  "notes": [] if found else notes(self.expect, slots, gpus)})


def run_job(job_tar: bytes, limits: Limits, packages: tuple, gpu: bool) -> dict:
    """The task: rebuild the job folder in the worker's own scratch space (Dask removes
    the folders of dead workers), run the sandbox, send back the raw result."""
    worker = get_worker()
    with tempfile.TemporaryDirectory(prefix="autograder-", dir=worker.local_directory) as tmp:
        job = Path(tmp)
        wire.unpack_job(job_tar, job)
        run = run_harness(job, limits, packages, gpu)
    return wire.run_to_wire(run, worker.address)
