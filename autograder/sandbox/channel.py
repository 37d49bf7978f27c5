"""The one way results leave a sandbox: framed messages on a pipe, read with bounds.

The sandbox has no folder on the grading machine's disk to write into. The harness
sends each result as a frame ``AGR1 <kind> <name> <length>\\n`` followed by ``length``
bytes on an inherited pipe; the grader's reader thread keeps the first frame of each
name, up to a total byte budget, and drains (and drops) everything after a malformed
frame so that the writer never blocks. Student code can write frames too; they are as
untrusted as everything else and judged the same way (see ``judge.py``). Printed output
goes through another pipe, of which only the last bytes are kept.
"""
from __future__ import annotations

import os
import re
import threading

FRAME_HEADER = re.compile(rb"AGR1 (status|array|cell) ([A-Za-z0-9_]{1,40}) (\d{1,12})\n")
MAX_HEADER = 80
MAX_RESULTS_BYTES = 64 * 2**20  # everything one sandbox may send back
MAX_JSON_FRAME = 64 * 2**10  # a status or cell entry: a short message
MAX_FRAMES = 10_000
READ_CHUNK = 1 << 16


class Frames:
    """Collects frames from a byte stream: ``frames[kind][name]`` is a payload (bytes)."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.received = max_bytes, 0
        self.frames = {"status": {}, "array": {}, "cell": {}}
        self.problem = ""
        self._buffer, self._pending, self._count = bytearray(), None, 0

    def _stop(self, problem: str) -> None:
        self.problem = self.problem or problem
        self._buffer.clear()

    def feed(self, chunk: bytes) -> None:
        if self.problem:
            return  # drained and dropped
        self._buffer += chunk
        while not self.problem and self._take_one():
            pass

    def _take_one(self) -> bool:
        """Consume one header or payload from the buffer; False when more bytes are needed."""
        if self._pending is None:
            end = self._buffer.find(b"\n", 0, MAX_HEADER)
            if end < 0:
                if len(self._buffer) >= MAX_HEADER:
                    self._stop("the results channel carried something that is not a result")
                return False
            match = FRAME_HEADER.fullmatch(bytes(self._buffer[:end + 1]))
            del self._buffer[:end + 1]
            if not match:
                self._stop("the results channel carried something that is not a result")
                return False
            kind, name, length = match[1].decode(), match[2].decode(), int(match[3])
            self._count += 1
            limit = MAX_JSON_FRAME if kind != "array" else self.max_bytes
            if length > limit or self.received + length > self.max_bytes or self._count > MAX_FRAMES:
                self._stop(f"the results were larger than the {self.max_bytes}-byte limit")
                return False
            self.received += length
            self._pending = (kind, name, length)
            return True
        kind, name, length = self._pending
        if len(self._buffer) < length:
            return False
        payload = bytes(self._buffer[:length])
        del self._buffer[:length]
        self.frames[kind].setdefault(name, payload)  # the first word counts
        self._pending = None
        return True

    def encode(self) -> bytes:
        """The frames kept, as the stream they came from (a cluster worker sends them back
        this way, and the grader reads them with ``feed`` under the same bounds)."""
        return b"".join(f"AGR1 {kind} {name} {len(payload)}\n".encode() + payload
                        for kind, named in self.frames.items() for name, payload in named.items())


class Tail:
    """Keeps the last ``keep`` bytes of a stream and counts the rest."""

    def __init__(self, keep: int):
        self.keep, self.total, self._data = keep, 0, bytearray()

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self._data += chunk
        if len(self._data) > 2 * self.keep:
            del self._data[:-self.keep]

    def text(self) -> str:
        return bytes(self._data[-self.keep:]).decode(errors="replace")


def drain(fd: int, sink) -> threading.Thread:
    """A thread that reads ``fd`` to its end into ``sink.feed`` and then closes it."""

    def run():
        try:
            while chunk := os.read(fd, READ_CHUNK):
                sink.feed(chunk)
        finally:
            os.close(fd)

    thread = threading.Thread(target=run, daemon=True, name=f"drain-fd{fd}")
    thread.start()
    return thread
