"""NumPy pooling and nearest resizing against torch in float64, forward and backward."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from cnncourse import shapes
from cnncourse.numpy.functional import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    interpolate,
    interpolate_backward,
    max_pool2d,
    max_pool2d_backward,
)
from cnncourse.numpy.gradcheck import assert_close

torch.set_num_threads(1)


def _pool_ok(size, kernel, stride, padding, dilation, ceil_mode):
    """Torch accepts the layer, and no window lies wholly in the padding (torch then
    returns -inf with an index outside the input, which no gradient can follow)."""
    try:
        out = shapes.pool2d_output_size(size, kernel, stride, padding, dilation, ceil_mode)
    except ValueError:
        return False  # torch refuses it too (tests/test_shapes.py)
    return all(any(0 <= o * s - p + i * d < n for i in range(k))
               for n, k, s, p, d, o_max in zip(size, kernel, stride, padding, dilation, out)
               for o in range(o_max))


@st.composite
def pool_layers(draw, dilated=True):
    """Pooling arguments torch accepts (padding at most half the kernel; the kernel fits,
    or overhangs by less than a stride with ceil_mode) and an input shape."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([None, (draw(st.integers(1, 5)), draw(st.integers(1, 3)))]))
    steps = kernel if stride is None else stride  # includes stride > kernel
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    ceil_mode = draw(st.booleans())
    size = []
    for k, p, d, s in zip(kernel, padding, dilation, steps):
        # With ceil_mode torch lets the kernel overhang a small input by up to s - 1.
        smallest = max(1, d * (k - 1) + 1 - 2 * p - (s - 1 if ceil_mode else 0))
        size.append(draw(st.integers(smallest, smallest + 6)))
    assume(_pool_ok(size, kernel, steps, padding, dilation, ceil_mode))
    args = dict(kernel_size=kernel, stride=stride,
                padding=padding, ceil_mode=ceil_mode)
    if dilated:
        args["dilation"] = dilation
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + tuple(size)
    return args, shape, draw(st.integers(0, 2**32 - 1))


def _torch_pair(torch_fn, x, seed, **args):
    """Torch output, the upstream gradient used, and the input gradient."""
    xt = torch.tensor(x, requires_grad=True)
    y = torch_fn(xt, **args)
    dy = np.random.default_rng(seed + 1).standard_normal(tuple(y.shape))
    y.backward(torch.from_numpy(dy))
    return y.detach().numpy(), dy, xt.grad.numpy()


def _check(ours, ours_backward, torch_fn, x, seed, **args):
    expected, dy, expected_grad = _torch_pair(torch_fn, x, seed, **args)
    assert_close(ours(x, **args), expected, name="output")
    assert_close(ours_backward(dy, x, **args), expected_grad, name="grad_input")


@given(pool_layers())
def test_max_pool2d_matches_torch(case):
    args, shape, seed = case
    x = np.random.default_rng(seed).standard_normal(shape)
    _check(max_pool2d, max_pool2d_backward, F.max_pool2d, x, seed, **args)
    values, indices = max_pool2d(x, **args, return_indices=True)
    torch_values, torch_indices = F.max_pool2d(torch.from_numpy(x), **args, return_indices=True)
    assert_close(values, torch_values.numpy())
    np.testing.assert_array_equal(indices, torch_indices.numpy())


@given(pool_layers(dilated=False), st.booleans(), st.sampled_from([None, 1, 3, -2]))
def test_avg_pool2d_matches_torch(case, count_include_pad, divisor_override):
    args, shape, seed = case
    x = np.random.default_rng(seed).standard_normal(shape)
    _check(avg_pool2d, avg_pool2d_backward, F.avg_pool2d, x, seed, **args,
           count_include_pad=count_include_pad, divisor_override=divisor_override)


def test_max_pool_ties_go_to_the_first_maximum_like_torch():
    x = np.ones((1, 1, 4, 4))
    dy = np.arange(4.0).reshape(1, 1, 2, 2) + 1
    _check(max_pool2d, max_pool2d_backward, F.max_pool2d, x, 0, kernel_size=2)
    grad = max_pool2d_backward(dy, x, 2)
    assert grad[0, 0, 0, 0] == 1 and grad[0, 0, 2, 2] == 4 and np.count_nonzero(grad) == 4


sizes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9))


@given(sizes, st.tuples(st.one_of(st.none(), st.integers(1, 10)), st.integers(1, 10)),
       st.integers(0, 2**32 - 1))
def test_adaptive_avg_pool2d_matches_torch(shape, output_size, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    _check(adaptive_avg_pool2d, adaptive_avg_pool2d_backward, F.adaptive_avg_pool2d, x, seed,
           output_size=output_size)


@given(sizes, st.one_of(
    st.fixed_dictionaries({"size": st.one_of(st.integers(1, 12),
                                             st.tuples(st.integers(1, 12), st.integers(1, 12)))}),
    st.fixed_dictionaries({"scale_factor": st.one_of(
        st.sampled_from([0.5, 1.5, 2, 3, 1.7, 2.5]),
        st.tuples(st.sampled_from([1, 2, 0.75]), st.sampled_from([3, 1.25, 0.6])))})),
    st.integers(0, 2**32 - 1))
def test_interpolate_nearest_matches_torch(shape, how, seed):
    if "scale_factor" in how:
        factors = how["scale_factor"]
        factors = factors if isinstance(factors, tuple) else (factors, factors)
        assume(all(int(n * f) >= 1 for n, f in zip(shape[2:], factors)))  # else empty
    x = np.random.default_rng(seed).standard_normal(shape)
    _check(interpolate, interpolate_backward, F.interpolate, x, seed, mode="nearest", **how)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pools_keep_the_input_dtype(dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(dtype)
    outs = [max_pool2d(x, 2), avg_pool2d(x, 3, 2, 1), adaptive_avg_pool2d(x, 4),
            interpolate(x, scale_factor=2)]
    grads = [max_pool2d_backward(outs[0], x, 2), avg_pool2d_backward(outs[1], x, 3, 2, 1),
             adaptive_avg_pool2d_backward(outs[2], x, 4),
             interpolate_backward(outs[3], x, scale_factor=2)]
    assert all(a.dtype == dtype for a in outs + grads)


X = np.zeros((2, 3, 6, 6))


@pytest.mark.parametrize("call, message", [
    (lambda: max_pool2d(X[0], 2), r"input must be 4-D \(N, C, H, W\), got shape \(3, 6, 6\)"),
    (lambda: max_pool2d(X.astype(np.int32), 2), r"input must have a floating dtype"),
    (lambda: max_pool2d(X, 3, padding=2), r"padding 2 must be at most half of kernel_size 3"),
    (lambda: max_pool2d(X, 7), r"kernel_size 7 .* larger than the padded input size 6"),
    (lambda: max_pool2d(X, 2, stride=0), r"stride must be >= 1"),
    (lambda: max_pool2d(X, 2, dilation=0), r"dilation must be >= 1"),
    (lambda: max_pool2d(X, 2, padding=-1), r"padding must be >= 0"),
    (lambda: max_pool2d(X, 0), r"kernel_size must be >= 1"),
    (lambda: max_pool2d_backward(np.zeros((2, 3, 2, 2)), X, 2),
     r"grad_output has shape \(2, 3, 2, 2\), expected \(2, 3, 3, 3\)"),
    (lambda: avg_pool2d(X, 2, divisor_override=0), r"divisor_override must be a nonzero int"),
    (lambda: avg_pool2d_backward(np.zeros((2, 3, 3, 3), np.float32), X, 2),
     r"grad_output dtype float32 differs"),
    (lambda: adaptive_avg_pool2d(X, (2, 0)), r"output_size must be >= 1"),
    (lambda: adaptive_avg_pool2d(X, (1, 2, 3)), r"output_size must be an int or a pair"),
    (lambda: interpolate(X, size=4, mode="bilinear"), r"mode must be 'nearest'"),
    (lambda: interpolate(X, size=4, scale_factor=2), r"exactly one of size and scale_factor"),
    (lambda: interpolate(X), r"exactly one of size and scale_factor"),
    (lambda: interpolate(X, scale_factor=-1), r"scale_factor must be a positive"),
    (lambda: interpolate(X, scale_factor=0.1), r"output size \(input size \* scale_factor\)"),
])
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()
