"""What crosses the network between the instructor's machine and a worker.

To the worker: one tar of the job folder's ``in/`` (code cells, ``requests.json``, the
hidden inputs as ``.npy``) and ``work/`` (the grader's copy of the student's folder:
regular files and folders only, ``judge/tree_copy.py``). No check, no expected value.

Back: the ``RunResult`` as plain values, the frames re-encoded as the byte stream the
sandbox wrote. The client checks every field's type and reads the frames again with
``channel.Frames`` under the same budget as a local pipe, so a result from a worker is
bounded and parsed exactly like one from this machine's sandbox.
"""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

from autograder.sandbox.channel import MAX_RESULTS_BYTES, Frames
from autograder.sandbox.run import LOG_TAIL, RunResult

JOB_PARTS = ("in", "work")
MAX_TEXT = 2000
FIELDS = {"returncode": int, "timed_out": bool, "seconds": float, "frames": bytes, "problem": str,
          "log_tail": str, "peak_memory": int, "out_of_memory": bool, "worker": str}


class WireError(ValueError):
    """A message from a worker that is not a sandbox result."""


def pack_job(job: Path) -> bytes:
    """``job/in`` and ``job/work`` as one uncompressed tar (hidden inputs hardly compress)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for part in JOB_PARTS:
            tar.add(job / part, arcname=part)  # links are never followed; there are none in a job
    return buffer.getvalue()


def unpack_job(data: bytes, job: Path) -> None:
    """Rebuild ``job/in`` and ``job/work`` on the worker (tarfile's ``data`` filter: no
    links out, no devices, no absolute paths, no set-id bits)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar.getmembers():
            if member.name.split("/", 1)[0] not in JOB_PARTS:
                raise WireError(f"a job holds only {' and '.join(JOB_PARTS)}/, not {member.name[:100]!r}")
        tar.extractall(job, filter="data")
    for part in JOB_PARTS:
        (job / part).mkdir(exist_ok=True)


def run_to_wire(run: RunResult, worker: str) -> dict:
    return {"returncode": run.returncode, "timed_out": run.timed_out, "seconds": float(run.seconds),
            "frames": run.frames.encode(), "problem": run.frames.problem, "log_tail": run.log_tail,
            "peak_memory": run.peak_memory, "out_of_memory": run.out_of_memory, "worker": worker}


def run_from_wire(message) -> RunResult:
    """The ``RunResult`` a worker sent, checked field by field."""
    if not isinstance(message, dict) or set(message) != set(FIELDS):
        raise WireError("a worker sent something that is not a sandbox result")
    for name, kind in FIELDS.items():
        if type(message[name]) is not kind:
            raise WireError(f"a worker sent a sandbox result whose {name} is not {kind.__name__}")
    frames = Frames(MAX_RESULTS_BYTES)
    frames.feed(message["frames"])
    frames.problem = frames.problem or message["problem"][:MAX_TEXT]
    return RunResult(message["returncode"], message["timed_out"], message["seconds"], frames,
                     message["log_tail"][-LOG_TAIL:], message["peak_memory"], message["out_of_memory"],
                     message["worker"][:MAX_TEXT])
