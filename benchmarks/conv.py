"""NumPy conv2d against a classic NumPy formulation and against torch: times and ratios.

    .venv/bin/python benchmarks/conv.py [--isa native|avx2] [--repeats 12] [--no-check]

Three contestants on each layer shape, float32, two threads each (OpenBLAS and torch):

- **ours**: ``cnncourse.numpy.functional.conv2d`` with its default ``impl="auto"`` (the fast
  engine, :mod:`cnncourse.numpy.fast`: as many worker threads as BLAS has, each with a
  one-thread BLAS); forward+backward reuses the forward's cache, as ``nn.Conv2d`` trains.
- **classic** (the named peer): the formulation that NumPy course code ships, written
  here after CS231n's ``conv_forward_strides``: pad, an ``as_strided`` view of every window
  copied into ``(C*kH*kW, N*H_out*W_out)`` columns, one GEMM, transpose back; backward: two
  GEMMs on the kept columns and a col2im that adds one kernel tap at a time.
- **torch**: ``torch.nn.functional.conv2d`` (+ autograd).

Numerics of ours and of the peer are checked against torch first. Each contestant runs in
its own blocks (50 ms of warm-up calls, then three timed calls); a round is one block of each, in an
order that rotates from round to round, with a 0.3 s pause between blocks so that the other
library's threads have stopped spinning. The times shown are each contestant's best call;
the ratios are the median over rounds of each round's ratio of best calls. The machine is
shared: a slow spell (seconds long, up to 2x, measured) slows whichever contestants it
falls on, so ratios of blocks timed within a second of each other are steadier than ratios
of the overall bests.

``--isa native`` (the default) lets each library choose its vector kernels for this CPU
(OpenBLAS's ``OPENBLAS_CORETYPE`` is removed from the environment: the course machines set
it to Haswell, which held NumPy to AVX2 while torch ran AVX-512); ``--isa avx2`` holds both
to AVX2 (``OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``), as
on an AVX2-only CPU. The first line printed names the CPU and the kernels that ran.

Bars (exit status 1 when one is missed; ``--no-check`` only reports): ours at least as fast
as the peer on every shape and pass (classic/ours >= 1), and within 2x of torch on the
64-channel shapes (ours/torch <= 2).

FLOPs: 2 per multiply-add (``cnncourse.shapes.conv2d_flops`` counts multiply-adds);
forward+backward counts three convolutions' worth (output, weight and input gradients).
"""
import argparse
import os
import sys
import time

# Vector kernels: each library's own choice for this CPU, or both held to AVX2 (as on an
# AVX2-only machine, the other x86 vendor's of the course). Environment variables, so they
# are set before NumPy and torch load their libraries (the script runs itself again).
ISA_ENVIRONMENTS = {
    # OPENBLAS_CORETYPE removed: some machine images pin OpenBLAS to older kernels
    # (this course's set it to Haswell, AVX2) while torch runs AVX-512 beside it
    "native": {"OPENBLAS_CORETYPE": None, "ATEN_CPU_CAPABILITY": None, "ONEDNN_MAX_CPU_ISA": None},
    "avx2": {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
}


def _isa_from_argv(argv):
    for i, arg in enumerate(argv):
        if arg == "--isa" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--isa="):
            return arg.split("=", 1)[1]
    return "native"


def _run_with_isa(isa):
    """Run this script again unless the environment already holds ``isa``'s variables."""
    wanted = ISA_ENVIRONMENTS.get(isa)
    if wanted is None or all(os.environ.get(k) == v for k, v in wanted.items()):
        return
    env = {k: v for k, v in os.environ.items() if k not in wanted}
    env.update({k: v for k, v in wanted.items() if v is not None})
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    _run_with_isa(_isa_from_argv(sys.argv[1:]))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/machine.py)
from numpy.lib.stride_tricks import as_strided  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from cnncourse.numpy.functional import conv2d, conv2d_backward, conv2d_with_cache  # noqa: E402
from cnncourse.shapes import conv2d_flops  # noqa: E402

# (name, input shape, out channels, kernel, stride, padding, bar on ours/torch or None)
SHAPES = [
    ("LeNet conv1", (128, 1, 28, 28), 6, 5, 1, 2, None),
    ("LeNet conv2", (128, 6, 14, 14), 16, 5, 1, 0, None),
    ("64->64 3x3", (32, 64, 32, 32), 64, 3, 1, 1, 2.0),
    ("64->128 3x3 s2", (32, 64, 32, 32), 128, 3, 2, 1, 2.0),
]
PEER_BAR = 1.0  # classic / ours: ours must be at least as fast


# ----------------------------------------------------------------------------- the peer
def classic_forward(x, w, b, stride, pad):
    """CS231n-style strided im2col: returns the output and the columns (kept for backward)."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h, wd = h + 2 * pad, wd + 2 * pad
    ho, wo = (h - kh) // stride + 1, (wd - kw) // stride + 1
    s = xp.strides
    view = as_strided(xp, (c, kh, kw, n, ho, wo),
                      (s[1], s[2], s[3], s[0], stride * s[2], stride * s[3]))
    cols = np.ascontiguousarray(view).reshape(c * kh * kw, n * ho * wo)
    out = w.reshape(f, -1) @ cols + b[:, None]
    return np.ascontiguousarray(out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3)), cols


def classic_backward(dout, x, w, cols, stride, pad):
    """Gradients from the kept columns: ``dW = dY @ cols.T``, ``dcols = W.T @ dY``, col2im."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    dy = dout.transpose(1, 0, 2, 3).reshape(f, -1)
    dw = (dy @ cols.T).reshape(w.shape)
    dcols = (w.reshape(f, -1).T @ dy).reshape(c, kh, kw, n, ho, wo)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), x.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += \
                dcols[:, i, j].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, db


# ----------------------------------------------------------------------------- timing
def _time_block(fn, calls, warm_up=0.05):
    """Seconds of ``calls`` calls of ``fn`` in steady state, as in a training loop: first
    ``fn`` runs for ``warm_up`` seconds (at least once) to page in its buffers and wake
    its threads (after a pause, a parked thread on an idle virtual CPU wakes slowly)."""
    start = time.perf_counter()
    fn()
    while time.perf_counter() - start < warm_up:
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _interleaved(fns, repeats, calls=3, pause=0.3):
    """``(repeats, len(fns))`` array: each function's best seconds per call in each round.
    A round times every function in one block; the order rotates from round to round."""
    best = np.empty((repeats, len(fns)))
    for r in range(repeats):
        for k in range(len(fns)):
            i = (k + r) % len(fns)
            time.sleep(pause)  # let the other library's threads stop spinning
            best[r, i] = min(_time_block(fns[i], calls))
    return best


def _workloads(shape, out_channels, kernel, stride, padding):
    """``{contestant: (forward, forward+backward)}`` on one random layer."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = (rng.standard_normal((out_channels, shape[1], kernel, kernel), dtype=np.float32)
         / float(np.sqrt(shape[1] * kernel * kernel)))
    b = rng.standard_normal(out_channels, dtype=np.float32)
    layer = dict(stride=stride, padding=padding)
    dy = rng.standard_normal(conv2d(x, w, b, **layer).shape, dtype=np.float32)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dyt = torch.from_numpy(dy)

    def ours_train():  # as nn.Conv2d trains: the backward reuses the forward's cache
        out, cache = conv2d_with_cache(x, w, b, **layer)
        return (out,) + conv2d_backward(dy, x, w, b, **layer, cache=cache)

    def classic_train():
        out, cols = classic_forward(x, w, b, stride, padding)
        return (out,) + classic_backward(dy, x, w, cols, stride, padding)

    def torch_forward():
        with torch.no_grad():
            return F.conv2d(xt, wt, bt, **layer)

    def torch_train():
        out = F.conv2d(xt, wt, bt, **layer)
        return (out.detach(),) + torch.autograd.grad(out, (xt, wt, bt), dyt)

    return {
        "ours": (lambda: conv2d(x, w, b, **layer), ours_train),
        "classic": (lambda: classic_forward(x, w, b, stride, padding)[0], classic_train),
        "torch": (torch_forward, torch_train),
    }


def _check_numerics(workloads):
    expected = [t.detach().numpy() for t in workloads["torch"][1]()]
    for who in ("ours", "classic"):
        for name, got, want in zip(("output", "grad_input", "grad_weight", "grad_bias"),
                                   workloads[who][1](), expected):
            scale = np.abs(want).max()
            if got.dtype != np.float32 or not np.allclose(got, want, rtol=1e-3,
                                                          atol=1e-4 * scale):
                raise SystemExit(f"{who}: numerics differ from torch in {name}: max abs error "
                                 f"{np.abs(got - want).max():.3g} (scale {scale:.3g}), "
                                 f"dtype {got.dtype}")


def _measure(name, shape, out_channels, kernel, stride, padding, repeats):
    """Rows ``(pass, ours s, classic s, torch s, GFLOP, classic/ours, ours/torch)`` for one
    shape: best times, and the median over rounds of each round's ratio."""
    workloads = _workloads(shape, out_channels, kernel, stride, padding)
    _check_numerics(workloads)
    flops = 2 * conv2d_flops(shape[2:], shape[1], out_channels, kernel, stride, padding,
                             batch_size=shape[0])
    rows = []
    for k, (label, gflop) in enumerate((("forward", flops / 1e9), ("fwd+bwd", 3 * flops / 1e9))):
        rounds = _interleaved([workloads[who][k] for who in ("ours", "classic", "torch")], repeats)
        ours, classic, theirs = rounds.T
        rows.append((label, ours.min(), classic.min(), theirs.min(), gflop,
                     float(np.median(classic / ours)), float(np.median(ours / theirs))))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12, help="alternating blocks per contestant")
    parser.add_argument("--isa", choices=sorted(ISA_ENVIRONMENTS), default="native",
                        help="vector kernels: each library's own for this CPU (native), or AVX2 for both")
    parser.add_argument("--no-check", action="store_true", help="report without enforcing bars")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    print(describe())
    blas = ", ".join(f"{lib['internal_api']} {lib.get('architecture')}" for lib in threadpool_info()
                     if lib["user_api"] == "blas")
    print(f"--isa {args.isa}: NumPy's BLAS {blas} kernels, torch {torch.backends.cpu.get_cpu_capability()}; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, torch threads "
          f"{torch.get_num_threads()}, float32, best of {args.repeats} x 3 calls")
    header = (f"{'shape':<15} {'pass':<8} {'ours ms':>8} {'classic':>8} {'torch ms':>8} "
              f"{'ours GF/s':>9} {'classic/ours':>12} {'ours/torch':>10}")
    print(header)
    print("-" * len(header))
    failures = []
    for name, shape, out_channels, kernel, stride, padding, torch_bar in SHAPES:
        for label, ours, classic, theirs, gflop, vs_peer, vs_torch in _measure(
                name, shape, out_channels, kernel, stride, padding, args.repeats):
            print(f"{name:<15} {label:<8} {ours * 1e3:8.2f} {classic * 1e3:8.2f} "
                  f"{theirs * 1e3:8.2f} {gflop / ours:9.1f} {vs_peer:12.2f} {vs_torch:10.2f}")
            if vs_peer < PEER_BAR:
                failures.append(f"{name} {label}: classic/ours {vs_peer:.2f} < {PEER_BAR}")
            if torch_bar is not None and vs_torch > torch_bar:
                failures.append(f"{name} {label}: ours/torch {vs_torch:.2f} > {torch_bar}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if failures and not args.no_check:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("all bars met" if not failures else "bars missed (not checked): " + "; ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
