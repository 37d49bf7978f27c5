"""Runs INSIDE the sandbox: execute the student's cells, then answer the grader's questions.

It decides nothing. It writes raw results only - ``.npy`` arrays and JSON status
lines - which the trusted grader loads with ``allow_pickle=False`` and judges in its
own process. Whatever the student's code does to this interpreter can only change
the numbers written here, never the verdict.

Usage: ``python -I harness.py IN_DIR OUT_DIR`` with ``IN_DIR/cells.json`` (code cell
sources), ``IN_DIR/requests.json`` and the input arrays it names.
"""
import json
import os
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
    return f"{type(error).__name__}: {error}"[:MESSAGE_CAP]


def _decode(value, in_dir):
    """Arguments arrive as JSON; ``{"npy": name}`` stands for an input array."""
    if isinstance(value, dict) and set(value) == {"npy"}:
        return np.load(os.path.join(in_dir, os.path.basename(value["npy"])), allow_pickle=False)
    if isinstance(value, list):
        return tuple(_decode(v, in_dir) for v in value)
    return value


def _probes():
    """``autograder/probes.py``, mounted next to this file (``-I`` keeps it off sys.path)."""
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


def run_cells(shell, cells, seconds, log):
    for index, source in enumerate(cells):
        try:
            result = _timed(seconds, shell.run_cell, source, store_history=False)
            error = result.error_before_exec or result.error_in_exec
        except BaseException as err:  # a Timeout raised outside the cell's own code
            error = err
        log.write(json.dumps({"cell": index, "error": _short(error) if error else None}) + "\n")
        log.flush()


def answer(namespace, request, in_dir, out_dir, seconds):
    """Evaluate one request; save each output as ``<id>_<k>.npy``; return its status."""
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
            np.save(os.path.join(out_dir, f"{request['id']}_{k}.npy"), np.asarray(value), allow_pickle=False)
    except BaseException as err:  # the student's exception is the answer, not our failure
        return {"status": "error", "error": _short(err)}
    return {"status": "ok"}


def main(in_dir, out_dir):
    with open(os.path.join(in_dir, "cells.json")) as f:
        cells = json.load(f)
    with open(os.path.join(in_dir, "requests.json")) as f:
        job = json.load(f)
    sys.stdout, sys.stderr = CappedStream(sys.stdout), CappedStream(sys.stderr)
    sys.path.append(os.getcwd())  # the student's own modules, after the real packages

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    with open(os.path.join(out_dir, "cells.jsonl"), "w") as log:
        run_cells(shell, cells, job["cell_seconds"], log)
    with open(os.path.join(out_dir, "results.jsonl"), "w") as results:
        for request in job["requests"]:
            status = answer(shell.user_ns, request, in_dir, out_dir, job["cell_seconds"])
            results.write(json.dumps({"id": request["id"], **status}) + "\n")
            results.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
