"""The instructor's side of a cluster run: connect, check the workers, send the jobs.

``Cluster.connect(address)`` reaches the scheduler (or says clearly why not) before
anything is graded or written. ``Cluster.runner(spec)`` registers the run's
``ReadinessCheck`` on every worker, prints what the workers say about themselves and
waits until at least one can take the assignment's tasks. ``Runner.run(spec, job)`` is
``grade.run_here`` on a worker: the job folder goes out as a tar, one task per notebook,
asking for the run's resources (``SANDBOX``, the readiness resource, ``GPU`` for a GPU
assignment); the result comes back through ``wire.run_from_wire``.

Faults: Dask's scheduler re-runs the task of a worker that died on another worker
(``distributed.scheduler.allowed-failures`` times, then ``KilledWorker``, which becomes
that submission's verdict); the client receives one result per task, so each submission
is judged and recorded once. A sandbox timeout is an ordinary result. Losing the
scheduler, or having no worker able to take the tasks for ``patience`` seconds, stops
the run (``GradingStopped``): nothing more is written.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import uuid
from pathlib import Path

import dask.config

from autograder.cluster import address as addresses
from autograder.cluster import wire
from autograder.cluster.worker import EVENTS, GPU, SLOTS, Expectation, ReadinessCheck, run_job
from autograder.grade import GradingStopped
from autograder.sandbox.run import RunResult
from autograder.spec import AssignmentSpec

CONNECT_SECONDS = 10
PATIENCE_SECONDS = 120  # how long the run waits for a worker that can take its tasks
POLL_SECONDS = 1.0


class Cluster:
    """A connection to a Dask scheduler, refused where it would be unsafe."""

    def __init__(self, client, address: str, plain_network_allowed: bool, on_message):
        self.client, self.address = client, address
        self.plain_network_allowed, self.on_message = plain_network_allowed, on_message

    @classmethod
    def connect(cls, address: str, plain_network_allowed: bool = False, on_message=print,
                timeout: float = CONNECT_SECONDS) -> "Cluster":
        from distributed import Client

        security = addresses.security_for(address, plain_network_allowed)
        try:
            client = Client(address, security=security, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise GradingStopped(f"cannot reach the Dask scheduler at {address} ({_short(err)}); "
                                 f"nothing was graded") from None
        cluster = cls(client, address, plain_network_allowed, on_message)
        try:
            info = client.scheduler_info()
            addresses.check_members([info["address"], *info["workers"]], plain_network_allowed)
        except BaseException:
            client.close()
            raise
        return cluster

    def runner(self, spec: AssignmentSpec, patience: float = PATIENCE_SECONDS) -> "Runner":
        return Runner(self, spec, patience)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class Runner:
    """One assignment's tasks on a cluster; ``run`` is called from many grading threads."""

    def __init__(self, cluster: Cluster, spec: AssignmentSpec, patience: float):
        self.cluster, self.client, self.spec, self.patience = cluster, cluster.client, spec, patience
        self.expect, self.run_id = Expectation.here(spec), uuid.uuid4().hex
        # each task carries its job folder by design (an a4 job is about 90 MiB: the submitted
        # model and the reference weights its agreement check loads); no warning per task
        dask.config.set({"distributed.admin.large-graph-warning-threshold": "1GiB"})
        self.resources = self.expect.task_resources()
        self._lock, self._seen_events, self._last_poll = threading.Lock(), 0, 0.0
        self._stopped, self._slots, self._since_slots = "", 0, time.monotonic()
        try:
            self.client.register_plugin(ReadinessCheck(self.expect, self.run_id), name=self.expect.resource)
        except Exception as err:  # noqa: BLE001 - a worker whose autograder cannot even load the check
            cluster.on_message(f"a worker could not run the readiness check ({_short(err)}); it gets no work")
        self._wait_for_slots()

    # -- the cluster's state ------------------------------------------------------
    def slots(self) -> int:
        """Sandbox slots of the workers that can take this run's tasks now."""
        total = 0
        for worker in self.client.scheduler_info()["workers"].values():
            have = worker.get("resources") or {}
            total += int(min(have.get(name, 0) for name in self.resources))  # each task takes one of each
        return total

    def default_in_flight(self) -> int:
        return max(2, 2 * self._slots)

    def _report_events(self) -> None:
        events = self.client.get_events(EVENTS)
        for _, event in list(events)[self._seen_events:]:
            if isinstance(event, dict) and event.get("run") == self.run_id:
                for line in _describe(event, self.spec.name):
                    self.cluster.on_message(line)
        self._seen_events = len(events)

    def _poll(self, force: bool = False) -> None:
        """At most once a second, for all threads: print new worker events, count slots,
        stop the run when the scheduler is gone or no worker could take a task for too long."""
        with self._lock:
            if self._stopped:
                raise GradingStopped(self._stopped)
            if not force and time.monotonic() - self._last_poll < POLL_SECONDS:
                return
            self._last_poll = time.monotonic()
            try:
                if self.client.status not in ("running", "connecting", "newly-created"):
                    raise OSError(f"the client is {self.client.status}")
                self._report_events()
                self._slots = self.slots()
            except (OSError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as err:
                self._stopped = f"lost the Dask scheduler at {self.cluster.address} ({_short(err)})"
                raise GradingStopped(self._stopped) from None
            if self._slots:
                self._since_slots = time.monotonic()
            elif time.monotonic() - self._since_slots > self.patience:
                self._stopped = (f"no worker of {self.cluster.address} could take {self.spec.name}'s tasks for "
                                 f"{self.patience:g} s (needs {_needs(self.resources, self.expect)})")
                raise GradingStopped(self._stopped)

    def _wait_for_slots(self) -> None:
        self._since_slots = time.monotonic()
        while True:
            self._poll(force=True)
            if self._slots:
                self.cluster.on_message(f"{self.cluster.address}: {self._slots} sandbox slot(s) ready for "
                                        f"{self.spec.name}")
                return
            time.sleep(POLL_SECONDS)

    # -- one job ----------------------------------------------------------------------
    def run(self, spec: AssignmentSpec, job: Path) -> RunResult:
        """``grade.run_here``, on a worker."""
        from distributed.client import FutureCancelledError

        future = self.client.submit(run_job, wire.pack_job(job), spec.limits, spec.packages, spec.gpu,
                                    key=f"autograder-sandbox-{uuid.uuid4().hex}", pure=False,
                                    resources=self.resources, retries=0)
        # Waited for through a callback, not future.result(timeout=...): with a timeout,
        # distributed 2026.8's sync() can lose a result that arrives as the timeout fires
        # (UnboundLocalError), which would become a wrong verdict.
        finished = threading.Event()
        future.add_done_callback(lambda _: finished.set())
        try:
            while not finished.wait(POLL_SECONDS):
                self._poll()
            try:
                return wire.run_from_wire(future.result())
            except (FutureCancelledError, concurrent.futures.CancelledError, asyncio.CancelledError) as err:
                self._poll(force=True)  # the scheduler's loss explains it, if that is what happened
                raise GradingStopped(f"the cluster cancelled a task ({_short(err)})") from None
        finally:
            future.release()

    def close(self) -> None:
        with self._lock:
            self._stopped = self._stopped or "the run is over"

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _needs(resources: dict, expect: Expectation) -> str:
    asks = [f"{SLOTS}=1"] + ([f"{GPU}=1"] if expect.gpu else [])
    return f"a worker started with --resources \"{','.join(asks)}\" that passes the readiness check"


def _describe(event: dict, assignment: str) -> list:
    worker = f"worker {str(event.get('worker'))[:100]}"
    if not event.get("ready"):
        return [f"{worker} refuses to grade {assignment}: {'; '.join(map(str, event.get('problems', [])))[:1000]}"]
    return [f"{worker}: {str(note)[:300]}" for note in event.get("notes", [])]
