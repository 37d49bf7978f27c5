"""Runs INSIDE the sandbox: execute the student's cells, then answer the grader's questions.

It decides nothing. It sends raw results only - ``.npy`` arrays and JSON status
entries, framed on the results pipe (see ``channel.py``) - which the trusted grader
decodes strictly and judges in its own process. Whatever the student's code does to
this interpreter can only change the numbers sent here, never the verdict.

Usage: ``python -I harness.py IN_DIR RESULTS_FD`` with ``IN_DIR/cells.json`` (code cell
sources), ``IN_DIR/requests.json`` and the input arrays it names. The student's files
are copied from ``/grader/submission`` (read-only) into the working folder first.
"""
import io
import json
import os
import shutil
import signal
import sys

import numpy as np

OUTPUT_CAP = 1 << 20  # bytes of printed output kept per stream; the rest is dropped
MESSAGE_CAP = 300


class CappedStream:
    """A text stream that keeps the first ``OUTPUT_CAP`` bytes and drops the rest."""

    def __init__(self, stream):
        self._stream, self._left = stream, OUTPUT_CAP

    def write(self, text):
        text = str(text)
        if self._left > 0:
            kept = text[: self._left]
            self._left -= len(kept)
            self._stream.write(kept)
        return len(text)

    def flush(self):
        self._stream.flush()

    def isatty(self):
        return False


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise Timeout("time limit exceeded")


def _short(error):
    """``Type: message`` of an exception, or ``Type`` alone (the student's ``__str__`` may be empty or raise)."""
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not stop the harness
        message = ""
    name = type(error).__name__
    return (f"{name}: {message}" if message else name)[:MESSAGE_CAP]


def _decode(value, in_dir):
    """Arguments arrive as JSON; ``{"npy": name}`` stands for an input array."""
    if isinstance(value, dict) and set(value) == {"npy"}:
        return np.load(os.path.join(in_dir, os.path.basename(value["npy"])), allow_pickle=False)
    if isinstance(value, list):
        return tuple(_decode(v, in_dir) for v in value)
    return value


def _probes():
    """``autograder/inside/probes.py``, mounted next to this file (``-I`` keeps it off sys.path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("probes", os.path.join(os.path.dirname(__file__), "probes.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(seconds, fn, *args, **kwargs):
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class Channel:
    """Frames on the results pipe: ``AGR1 <kind> <name> <length>\\n`` then the payload."""

    def __init__(self, fd):
        self._fd = fd

    def send(self, kind, name, payload):
        view = memoryview(f"AGR1 {kind} {name} {len(payload)}\n".encode() + payload)
        while view:
            view = view[os.write(self._fd, view):]

    def send_json(self, kind, name, value):
        self.send(kind, name, json.dumps(value).encode())


def run_cells(shell, cells, seconds, channel):
    for index, source in enumerate(cells):
        try:
            result = _timed(seconds, shell.run_cell, source, store_history=False)
            error = result.error_before_exec or result.error_in_exec
        except BaseException as err:  # a Timeout raised outside the cell's own code
            error = err
        channel.send_json("cell", f"c{index}", {"cell": index, "error": _short(error) if error else None})


def _npy(value):
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(value), allow_pickle=False)
    return buffer.getvalue()


def answer(namespace, request, in_dir, channel, seconds):
    """Evaluate one request; send each output as array ``<id>_<k>``; return its status."""
    target = namespace.get(request["target"])
    if target is None:
        return {"status": "missing", "error": f"{request['target']} is not defined"}
    try:
        if request["call"]:
            if not callable(target):
                return {"status": "error", "error": f"{request['target']} is not a function"}
            args = _decode(request["args"], in_dir)
            kwargs = {k: _decode(v, in_dir) for k, v in request["kwargs"].items()}
            if request.get("probe"):  # a grader-written helper turns the target into numbers
                args, target = (target, *args), getattr(_probes(), request["probe"])
            result = _timed(seconds, target, *args, **kwargs)
        else:
            result = target
        outputs = [result] if request["n_outputs"] == 1 else list(result)
        if len(outputs) != request["n_outputs"]:
            return {"status": "error", "error": f"returned {len(outputs)} results, expected {request['n_outputs']}"}
        for k, value in enumerate(outputs):
            channel.send("array", f"{request['id']}_{k}", _npy(value))
    except BaseException as err:  # the student's exception is the answer, not our failure
        return {"status": "error", "error": _short(err)}
    return {"status": "ok"}


def copy_submission(src, dest):
    """The student's files into the working folder, a size-capped tmpfs, so that the notebook
    may write next to them (the tmpfs's own mode stays the grader's)."""
    for name in os.listdir(src):
        path = os.path.join(src, name)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(dest, name))
        else:
            shutil.copyfile(path, os.path.join(dest, name))


def main(in_dir, results_fd):
    with open(os.path.join(in_dir, "cells.json")) as f:
        cells = json.load(f)
    with open(os.path.join(in_dir, "requests.json")) as f:
        job = json.load(f)
    channel = Channel(int(results_fd))
    copy_submission("/grader/submission", os.getcwd())
    sys.stdout, sys.stderr = CappedStream(sys.stdout), CappedStream(sys.stderr)
    sys.path.append(os.getcwd())  # the student's own modules, after the real packages

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    run_cells(shell, cells, job["cell_seconds"], channel)
    for request in job["requests"]:
        status = answer(shell.user_ns, request, in_dir, channel, job["cell_seconds"])
        channel.send_json("status", request["id"], status)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
