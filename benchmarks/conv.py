"""NumPy im2col conv2d vs torch.nn.functional.conv2d: time, GFLOP/s and ratios.

    .venv/bin/python benchmarks/conv.py [--repeats 7] [--no-check]

Float32, two threads for both libraries (OpenBLAS and torch). Numerics are checked
against torch first. Each library runs in its own blocks (a warm-up call, then
timed calls), the blocks alternate, and a 0.3 s pause separates them so the other
library's threads have stopped spinning (after 0.05 s they had not: torch's forward
then ran at half speed on a core OpenBLAS still held, and the ratios flattered NumPy
by 2x); the table shows medians. Exits 1 if a NumPy/torch ratio exceeds its bar
(``--no-check`` only reports).

FLOPs: 2 per multiply-add (``cnncourse.shapes.conv2d_flops`` counts multiply-adds);
forward+backward counts three convolutions' worth (output, weight and input grads).
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from cnncourse.numpy.functional import conv2d, conv2d_backward, conv2d_with_cache  # noqa: E402
from cnncourse.shapes import conv2d_flops  # noqa: E402

# (name, input shape, out channels, kernel, stride, padding, bar on the NumPy/torch ratio)
SHAPES = [
    ("LeNet conv1", (128, 1, 28, 28), 6, 5, 1, 2, 3.0),
    ("LeNet conv2", (128, 6, 14, 14), 16, 5, 1, 0, 3.0),
    ("64->64 3x3", (32, 64, 32, 32), 64, 3, 1, 1, 2.0),
    ("64->128 3x3 s2", (32, 64, 32, 32), 128, 3, 2, 1, 2.0),
]


def _time_block(fn, calls):
    fn()  # warm-up: page in buffers, wake this library's threads
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _interleaved_medians(fns, repeats, calls=3, pause=0.3):
    """Median seconds per call of each function, timed in alternating blocks."""
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, sample in zip(fns, samples):
            time.sleep(pause)  # let the other library's threads stop spinning
            sample.extend(_time_block(fn, calls))
    return [float(np.median(s)) for s in samples]


def _workloads(shape, out_channels, kernel, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = (rng.standard_normal((out_channels, shape[1], kernel, kernel), dtype=np.float32)
         / float(np.sqrt(shape[1] * kernel * kernel)))
    b = rng.standard_normal(out_channels, dtype=np.float32)
    layer = dict(stride=stride, padding=padding)
    y = conv2d(x, w, b, **layer)
    dy = rng.standard_normal(y.shape, dtype=np.float32)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dyt = torch.from_numpy(dy)

    def numpy_forward():
        return conv2d(x, w, b, **layer)

    def numpy_train():  # as nn.Conv2d trains: the backward reuses the forward's columns
        _, cache = conv2d_with_cache(x, w, b, **layer)
        return conv2d_backward(dy, x, w, b, **layer, cache=cache)

    def torch_forward():
        with torch.no_grad():
            return F.conv2d(xt, wt, bt, **layer)

    def torch_train():
        out = F.conv2d(xt, wt, bt, **layer)
        return torch.autograd.grad(out, (xt, wt, bt), dyt)

    return (numpy_forward, numpy_train, torch_forward, torch_train)


def _check_numerics(fns):
    numpy_forward, numpy_train, torch_forward, torch_train = fns
    pairs = [("output", numpy_forward(), torch_forward())]
    pairs += list(zip(("grad_input", "grad_weight", "grad_bias"), numpy_train(), torch_train()))
    for name, ours, theirs in pairs:
        theirs = theirs.detach().numpy()
        scale = np.abs(theirs).max()
        if ours.dtype != np.float32 or not np.allclose(ours, theirs, rtol=1e-3,
                                                       atol=1e-4 * scale):
            raise SystemExit(f"numerics differ from torch in {name}: max abs error "
                             f"{np.abs(ours - theirs).max():.3g} (scale {scale:.3g}), "
                             f"dtype {ours.dtype}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="alternating blocks per library")
    parser.add_argument("--no-check", action="store_true", help="report without enforcing bars")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    header = (f"{'shape':<15} {'pass':<9} {'numpy ms':>9} {'torch ms':>9} {'numpy GF/s':>10} "
              f"{'torch GF/s':>10} {'ratio':>6} {'bar':>5}")
    print(f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, torch threads "
          f"{torch.get_num_threads()}, float32, median of {args.repeats} x 3 calls")
    print(header)
    print("-" * len(header))
    failures = []
    for name, shape, out_channels, kernel, stride, padding, bar in SHAPES:
        fns = _workloads(shape, out_channels, kernel, stride, padding)
        _check_numerics(fns)
        flops = 2 * conv2d_flops(shape[2:], shape[1], out_channels, kernel, stride, padding,
                                 batch_size=shape[0])
        numpy_fwd, numpy_train, torch_fwd, torch_train = _interleaved_medians(fns, args.repeats)
        for label, ours, theirs, work in (("forward", numpy_fwd, torch_fwd, flops),
                                          ("fwd+bwd", numpy_train, torch_train, 3 * flops)):
            ratio = ours / theirs
            print(f"{name:<15} {label:<9} {ours * 1e3:9.2f} {theirs * 1e3:9.2f} "
                  f"{work / ours / 1e9:10.1f} {work / theirs / 1e9:10.1f} {ratio:6.2f} {bar:5.1f}")
            if ratio > bar:
                failures.append(f"{name} {label}: ratio {ratio:.2f} > {bar}")
    if failures and not args.no_check:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("all ratios within their bars" if not failures else "ratios over bar (not checked): "
          + "; ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
