"""Trusted checks of ``a2-backprop``: gradients of convolution, pooling and batch norm.

Expected gradients come from ``cnncourse.numpy.functional`` at grading time.
"""
from __future__ import annotations

import numpy as np

from autograder.checks._cases import CONV_SETTINGS, labelled, random_conv, values
from autograder.judge.methods import MethodRule
from autograder.spec import AssignmentSpec, Case, Check

# The worked example printed in the notebook: one 3x3 input, one 2x2 kernel.
HAND_X = np.array([[2, 0, 1], [1, 3, -1], [0, 2, 1]], float)
HAND_W = np.array([[1, -1], [2, 0]], float)
HAND_B = np.array([0.5])
HAND_GRAD = np.array([[1, -2], [0, 3]], float)
# (n, c, size, kernel, stride): non-overlapping 2x2 and 3x3, overlapping 3x3 stride 2
POOL_SETTINGS = [(2, 3, 6, 2, 2), (1, 2, 9, 3, 3), (2, 2, 7, 3, 2)]


def hand_gradients(rng):
    from cnncourse.numpy.functional import conv2d_backward
    gx, gw, gb = conv2d_backward(HAND_GRAD[None, None], HAND_X[None, None], HAND_W[None, None], HAND_B)
    return values({"grad_w_hand": gw[0, 0], "grad_b_hand": gb[0], "grad_x_hand": gx[0, 0]})


def _conv_backward_cases(rng, settings):
    from cnncourse.numpy.functional import conv2d, conv2d_backward
    cases = []
    for setting in settings:
        x, w, b, stride, padding = random_conv(rng, *setting)
        grad = rng.standard_normal(conv2d(x, w, b, stride=stride, padding=padding).shape)
        kwargs = {"stride": stride, "padding": padding}
        cases.append(Case("conv2d_backward", conv2d_backward(grad, x, w, b, **kwargs), args=(grad, x, w, b),
                          kwargs=kwargs))
    return labelled(cases)


def conv2d_backward_stride1(rng):
    return _conv_backward_cases(rng, [s for s in CONV_SETTINGS if s[5] == 1] + [(2, 2, 3, 5, 3, 1, 1)])


def conv2d_backward_strided(rng):
    return _conv_backward_cases(rng, [s for s in CONV_SETTINGS if s[5] > 1])


def dilate(rng):
    cases = []
    for shape, stride in [((2, 3, 3, 3), 2), ((1, 2, 4, 2), 3)]:
        grad = rng.standard_normal(shape)
        n, c, h, w = shape
        spread = np.zeros((n, c, (h - 1) * stride + 1, (w - 1) * stride + 1))
        spread[:, :, ::stride, ::stride] = grad
        cases.append(Case("dilate", spread, args=(grad, stride)))
    return labelled(cases)


def _pool_cases(target, reference, rng, inputs):
    from cnncourse.numpy import functional as F
    forward, backward = getattr(F, reference), getattr(F, reference + "_backward")
    cases = []
    for (n, c, size, k, s), x in zip(POOL_SETTINGS, inputs):
        grad = rng.standard_normal(forward(x, k, s).shape)
        cases.append(Case(target, backward(grad, x, k, s), args=(grad, x, k, s)))
    return labelled(cases)


def _random_inputs(rng, settings=POOL_SETTINGS):
    return [rng.standard_normal((n, c, size, size)) for n, c, size, _, _ in settings]


def max_pool2d_backward(rng):
    """Random inputs, then the same settings on small integers, where windows tie for the
    maximum: the first maximum in row-major order takes the gradient (PyTorch's rule, the
    notebook's and chapter 5's)."""
    ties = [rng.integers(0, 3, (n, c, size, size)).astype(float) for n, c, size, _, _ in POOL_SETTINGS]
    cases = _pool_cases("max_pool2d_backward", "max_pool2d", rng, _random_inputs(rng))
    tied = _pool_cases("max_pool2d_backward", "max_pool2d", rng, ties)
    return labelled(cases + tied)


def avg_pool2d_backward(rng):
    return _pool_cases("avg_pool2d_backward", "avg_pool2d", rng, _random_inputs(rng))


def batch_norm_backward(rng):
    from cnncourse.numpy.functional import batch_norm_backward as reference
    cases = []
    for shape in [(4, 3, 5, 5), (8, 2, 3, 3)]:
        x = rng.normal(1.0, 2.0, shape)
        gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
        grad = rng.standard_normal(shape)
        expected = reference(grad, x, None, None, weight=gamma, bias=beta, training=True, eps=1e-5)
        cases.append(Case("batch_norm_backward", tuple(expected), args=(grad, x, gamma), kwargs={"eps": 1e-5}))
    return labelled(cases)


def derived(target: str) -> MethodRule:
    """The notebook's backward passes are derived, not measured: the given
    ``numerical_gradient`` is for the visible checks only (see autograder/judge/methods.py)."""
    return MethodRule(target, "the assignment asks for the derived gradient, not a numerical one",
                      forbidden=frozenset({"numerical_gradient"}))


SPEC = AssignmentSpec(
    name="a2-backprop",
    checks=(
        Check("hand_gradients", hand_gradients),
        Check("conv2d_backward_stride1", conv2d_backward_stride1, method=derived("conv2d_backward")),
        Check("conv2d_backward_strided", conv2d_backward_strided, method=derived("conv2d_backward")),
        Check("dilate", dilate),
        Check("max_pool2d_backward", max_pool2d_backward, method=derived("max_pool2d_backward")),
        Check("avg_pool2d_backward", avg_pool2d_backward, method=derived("avg_pool2d_backward")),
        Check("batch_norm_backward", batch_norm_backward, method=derived("batch_norm_backward")),
    ),
)
