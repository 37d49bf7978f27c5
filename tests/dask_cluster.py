"""A real Dask cluster on 127.0.0.1 for the tests: ``dask scheduler`` and ``dask worker``
processes started with Dask's own commands, as an instructor starts them, and ended
(with everything they started) when the test is done."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = str(Path(sys.executable).with_name("dask"))
START_SECONDS = 60


class LocalCluster:
    """One scheduler and its workers, each in its own process group."""

    def __init__(self, folder: Path, env: dict | None = None, scheme: str = "tcp"):
        self.folder, self.env, self.scheme = Path(folder), dict(os.environ, **(env or {})), scheme
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workers, self.address = {}, None
        scheduler_file = self.folder / "scheduler.json"
        self.scheduler = self._start("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                                   "--no-dashboard", "--protocol", scheme,
                                                   "--scheduler-file", str(scheduler_file)])
        deadline = time.monotonic() + START_SECONDS
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            self._check_alive(self.scheduler, "scheduler", deadline)
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]

    def _start(self, name: str, command: list, env: dict | None = None) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env or self.env, start_new_session=True, cwd=self.folder)

    def _check_alive(self, proc: subprocess.Popen, name: str, deadline: float) -> None:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"dask {name} did not start:\n{self.log(name)[-3000:]}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def add_worker(self, name: str, resources: str = "SANDBOX=1", env: dict | None = None) -> subprocess.Popen:
        """``dask worker ADDRESS --nthreads 1 --resources RESOURCES``, waited for until it is registered."""
        command = [DASK, "worker", self.address, "--nthreads", "1", "--resources", resources, "--name", name,
                   "--no-dashboard", "--local-directory", str(self.folder / f"scratch-{name}")]
        self.workers[name] = self._start(name, command, dict(self.env, **(env or {})))
        deadline = time.monotonic() + START_SECONDS
        while "Registered to:" not in self.log(name):
            self._check_alive(self.workers[name], name, deadline)
            time.sleep(0.1)
        return self.workers[name]

    def worker_pids(self, name: str) -> set:
        """The processes of one ``dask worker`` command (its nanny and the worker)."""
        group = self.workers[name].pid
        return {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _pgid(p) == group}

    def kill_worker(self, name: str) -> None:
        """SIGKILL the whole ``dask worker`` command: a machine that dies, nothing cleaned up."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait()

    def close(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers.values(), self.scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _pgid(proc_dir: Path) -> int | None:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None
