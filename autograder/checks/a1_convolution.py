"""Trusted checks of ``a1-convolution``: hand exercises, shapes, pooling, conv2d two ways.

Expected values come from ``cnncourse`` (the NumPy reference and ``cnncourse.shapes``),
computed at grading time in the grader's process.
"""
from __future__ import annotations

import numpy as np

from autograder.checks._cases import CONV_SETTINGS, labelled, random_conv, values
from autograder.judge.methods import MethodRule
from autograder.spec import AssignmentSpec, Case, Check

# The exercise data printed in the notebook (a cross on a 5x5 grid, three 3x3 filters).
CROSS = np.array([[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0]], float)
FILTERS = {
    "Y0": np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]], float),
    "Y1": np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]], float),
    "Y2": np.eye(3),
}
POOL_INPUT = np.array([
    [[1, 3, 2, 1, 0, 9], [2, 9, 1, 1, 1, 2], [1, 3, 2, 3, 5, 5],
     [5, 6, 1, 2, 2, 7], [9, 7, 4, 1, 8, 8], [1, 3, 7, 2, 1, 7]],
    [[4, 7, 2, 8, 3, 0], [2, 0, 1, 4, 1, 0], [8, 3, 8, 3, 7, 1],
     [4, 0, 1, 5, 2, 3], [8, 6, 4, 1, 5, 7], [1, 4, 0, 0, 0, 9]],
], float)
# (name, in_channels, size, out_channels, kernel, stride, padding); out_channels None = 2x2 max pool
LAYERS = [("a", 3, 64, 10, 6, 2, 1), ("b", 8, 17, 10, 5, 1, 0), ("c", 3, 24, None, 2, 2, 0)]


def hand_outputs(rng):
    from cnncourse.numpy.functional import conv2d
    return values({name: conv2d(CROSS[None, None], w[None, None])[0, 0] for name, w in FILTERS.items()})


def shapes_and_parameters(rng):
    from cnncourse import shapes
    expected = {}
    for name, c_in, size, c_out, k, s, p in LAYERS:
        if c_out is None:
            out = shapes.pool2d_output_size(size, k, s, p)
            expected[f"shape_{name}"], expected[f"params_{name}"] = (c_in, out, out), 0
        else:
            out = shapes.conv2d_output_size(size, k, s, p)
            expected[f"shape_{name}"] = (c_out, out, out)
            expected[f"params_{name}"] = shapes.conv2d_parameters(c_in, c_out, k)
    return values(expected, rtol=0, atol=0)


def pooling_by_hand(rng):
    from cnncourse.numpy.functional import avg_pool2d, max_pool2d
    x = POOL_INPUT[None]
    return values({"pool_max": max_pool2d(x, 2, 2)[0], "pool_avg": avg_pool2d(x, 2, 2)[0]})


def _conv_cases(target, rng, settings):
    from cnncourse.numpy.functional import conv2d
    cases = []
    for setting in settings:
        x, w, b, stride, padding = random_conv(rng, *setting)
        cases.append(Case(target, conv2d(x, w, b, stride=stride, padding=padding),
                          args=(x, w, b), kwargs={"stride": stride, "padding": padding}))
    return labelled(cases)


def conv2d_loops(rng):
    return _conv_cases("conv2d_loops", rng, CONV_SETTINGS)


def conv2d_im2col(rng):
    bigger = [(4, 3, 8, 16, 3, 1, 1), *CONV_SETTINGS]
    return _conv_cases("conv2d_im2col", rng, bigger)


def reference_im2col(x, k, stride, padding):
    """The layout the notebook prescribes: rows (channel, kernel row, kernel column), the
    order of ``weight.reshape(C_out, -1)``; columns the output positions, row by row."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out, w_out = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    cols = np.empty((n, c, k, k, h_out, w_out))
    for a in range(k):
        for d in range(k):
            cols[:, :, a, d] = padded[:, :, a:a + stride * h_out:stride, d:d + stride * w_out:stride]
    return cols.reshape(n, c * k * k, h_out * w_out)


def im2col(rng):
    cases = []
    for n, c_in, _, size, k, stride, padding in CONV_SETTINGS:
        x = rng.standard_normal((n, c_in, size, size))
        cases.append(Case("im2col", reference_im2col(x, k, stride, padding), args=(x, k),
                          kwargs={"stride": stride, "padding": padding}))
    return labelled(cases)


# What sections 4 and 5 prescribe, checked on the code (see autograder/judge/methods.py and the notebook)
SHORTCUTS = frozenset({"sliding_window_view", "as_strided", "convolve", "correlate", "fft", "rfft", "fft2",
                       "rfft2", "fftn", "rfftn"})
LOOPS_RULE = MethodRule("conv2d_loops", "the assignment asks for a loop over output positions",
                        forbidden=SHORTCUTS | {"im2col", "conv2d_im2col"}, must_loop=True)
IM2COL_RULE = MethodRule("conv2d_im2col", "the assignment asks for one matrix product on the columns of your im2col",
                         forbidden=SHORTCUTS | {"conv2d_loops"}, must_call=("im2col",), exempt=("im2col",))


SPEC = AssignmentSpec(
    name="a1-convolution",
    checks=(
        Check("hand_outputs", hand_outputs),
        Check("shapes_and_parameters", shapes_and_parameters),
        Check("pooling_by_hand", pooling_by_hand),
        Check("conv2d_loops", conv2d_loops, method=LOOPS_RULE),
        Check("im2col", im2col),
        Check("conv2d_im2col", conv2d_im2col, method=IM2COL_RULE),
    ),
)
