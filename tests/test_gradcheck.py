"""The gradient checker itself, and the hand-written backward passes checked with it.

The torch comparisons in test_numpy_conv.py / test_numpy_pooling.py test against a
reference; these test against the definition of a derivative, independently of torch.
"""
import numpy as np
import pytest

from cnncourse.numpy.functional import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv_transpose2d,
    conv_transpose2d_backward,
    interpolate,
    interpolate_backward,
    max_pool2d,
    max_pool2d_backward,
)
from cnncourse.numpy.gradcheck import assert_close, gradcheck, numerical_gradient, relative_error

rng = np.random.default_rng(2024)


def test_numerical_gradient_of_known_functions():
    x = rng.standard_normal((3, 4))
    # d/dx sum(x**3 * g) = 3 x**2 g; central differences are exact up to eps**2 * x
    g = rng.standard_normal((3, 4))
    assert_close(numerical_gradient(lambda v: v ** 3, x, g), 3 * x ** 2 * g, rtol=1e-7,
                 atol=1e-7)
    # default grad_output: the gradient of sum(f(x))
    assert_close(numerical_gradient(np.sin, x), np.cos(x), rtol=1e-7, atol=1e-7)


def test_numerical_gradient_restores_x_even_when_f_fails():
    x = rng.standard_normal(5)
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return v * 2

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("x, message", [
    (np.zeros(3, np.float32), r"x must be a float64 numpy array"),
    ([0.0, 1.0], r"x must be a float64 numpy array"),
    (np.zeros((3, 4)).T, r"C-contiguous"),
])
def test_numerical_gradient_rejects_unusable_x(x, message):
    with pytest.raises(ValueError, match=message):
        numerical_gradient(np.sin, x)


def test_relative_error():
    assert relative_error(np.ones(3), np.ones(3)) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert relative_error(1e-20, 0.0) == pytest.approx(1e-12)  # floor keeps it finite
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.ones(2), np.ones(3))


def _conv_case():
    x, w, b = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((6, 2, 3, 2)), \
        rng.standard_normal(6)
    layer = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    return x, w, b, layer


def test_gradcheck_detects_a_wrong_gradient_and_says_where():
    x, w, b, layer = _conv_case()
    dy = rng.standard_normal(conv2d(x, w, b, **layer).shape)
    gx, gw, gb = conv2d_backward(dy, x, w, b, **layer)
    wrong = gw.copy()
    wrong[3, 1, 2, 0] += 0.5  # one bad entry
    with pytest.raises(AssertionError) as failure:
        gradcheck(lambda *a: conv2d(*a, **layer), {"x": x, "weight": w, "bias": b}, dy,
                  [gx, wrong, gb])
    message = str(failure.value)
    assert "WRONG weight" in message and "(3, 1, 2, 0)" in message
    assert "ok    x" in message and "ok    bias" in message
    # without raising, the report says the same
    report = gradcheck(lambda *a: conv2d(*a, **layer), [x, w, b], dy, [None, wrong, None],
                       raise_on_failure=False)
    assert not report and len(report.comparisons) == 1
    assert report.comparisons[0].worst_index == (3, 1, 2, 0)
    assert report.comparisons[0].max_relative_error > 0.01


def test_gradcheck_detects_a_transposed_gradient():
    """A classic bug: the right numbers in the wrong places (a kernel not flipped)."""
    x, w = rng.standard_normal((1, 1, 5, 5)), rng.standard_normal((1, 1, 3, 3))
    dy = rng.standard_normal((1, 1, 3, 3))
    gx, gw, _ = conv2d_backward(dy, x, w)
    with pytest.raises(AssertionError, match="WRONG input 1"):
        gradcheck(conv2d, [x, w], dy, [gx, gw[:, :, ::-1, ::-1]])


def test_gradcheck_rejects_mismatched_arguments():
    x = rng.standard_normal(3)
    with pytest.raises(ValueError, match="analytic_grads has 2 entries for 1 inputs"):
        gradcheck(np.sin, [x], np.ones(3), [np.cos(x), None])
    with pytest.raises(ValueError, match=r"analytic gradient of x has shape \(2,\)"):
        gradcheck(np.sin, {"x": x}, np.ones(3), [np.ones(2)])


def test_conv2d_backward_passes_gradcheck():
    x, w, b, layer = _conv_case()
    dy = rng.standard_normal(conv2d(x, w, b, **layer).shape)
    for impl in ("im2col", "loops"):
        grads = conv2d_backward(dy, x, w, b, **layer, impl=impl)
        assert gradcheck(lambda *a: conv2d(*a, **layer), {"x": x, "weight": w, "bias": b},
                         dy, grads)


def test_conv_transpose2d_backward_passes_gradcheck():
    x, w, b = rng.standard_normal((2, 4, 3, 4)), rng.standard_normal((4, 2, 3, 2)), \
        rng.standard_normal(4)
    layer = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2,
                 dilation=(1, 2))
    dy = rng.standard_normal(conv_transpose2d(x, w, b, **layer).shape)
    for impl in ("im2col", "loops"):
        grads = conv_transpose2d_backward(dy, x, w, b, **layer, impl=impl)
        assert gradcheck(lambda *a: conv_transpose2d(*a, **layer),
                         {"x": x, "weight": w, "bias": b}, dy, grads)


@pytest.mark.parametrize("forward, backward, args", [
    (max_pool2d, max_pool2d_backward, dict(kernel_size=3, stride=2, padding=1,
                                           ceil_mode=True)),
    (max_pool2d, max_pool2d_backward, dict(kernel_size=(2, 3), stride=1, dilation=(2, 1))),
    (avg_pool2d, avg_pool2d_backward, dict(kernel_size=3, stride=2, padding=1,
                                           ceil_mode=True, count_include_pad=False)),
    (adaptive_avg_pool2d, adaptive_avg_pool2d_backward, dict(output_size=(4, 3))),
    (interpolate, interpolate_backward, dict(scale_factor=(1.5, 2))),
])
def test_pool_backward_passes_gradcheck(forward, backward, args):
    x = rng.standard_normal((2, 2, 7, 6))  # distinct values: no ties for the max to break
    dy = rng.standard_normal(forward(x, **args).shape)
    assert gradcheck(lambda v: forward(v, **args), {"x": x}, dy, [backward(dy, x, **args)])
