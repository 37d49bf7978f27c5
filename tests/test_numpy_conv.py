"""NumPy conv2d / conv_transpose2d (the reference loops and each fast implementation)
against torch in float64.

Hypothesis builds only valid layers (kernel fits the padded input, groups divide
the channels, output_padding below stride or dilation), so every drawn case is
compared, forward and backward, with ``torch.nn.functional`` and autograd.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnncourse.numpy.functional import (
    conv2d,
    conv2d_backward,
    conv2d_with_cache,
    conv_transpose2d,
    conv_transpose2d_backward,
)
from cnncourse.numpy.gradcheck import assert_close
from cnncourse.shapes import conv_transpose_output_padding

torch.set_num_threads(1)  # tiny tensors: threads only add overhead
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


@st.composite
def conv_layers(draw, max_size=6, transposed=False, winograd=False):
    """A random valid layer: a dict of conv arguments plus the array shapes (``winograd``:
    the layers Winograd F(4x4, 3x3) computes: 3x3 kernels, stride 1, dilation 1)."""
    groups = draw(st.integers(1, 3))
    depthwise = draw(st.booleans())  # depthwise: one input channel per group
    in_per_group = 1 if depthwise else draw(st.integers(1, 2))
    out_per_group = draw(st.integers(1, 2))
    kernel = (3, 3) if winograd else (draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    dilation = (1, 1) if winograd else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding_kind = draw(st.sampled_from(["int", "pair", "same", "valid"]
                                        if not transposed else ["int", "pair"]))
    stride = (1, 1) if padding_kind == "same" or winograd else (draw(st.integers(1, 5)),
                                                                draw(st.integers(1, 3)))
    padding = {"int": draw(st.integers(0, 2)), "pair": (draw(st.integers(0, 2)),
                                                         draw(st.integers(0, 1))),
               "same": "same", "valid": "valid"}[padding_kind]
    pads = padding if isinstance(padding, tuple) else (
        (padding, padding) if isinstance(padding, int) else (0, 0))
    size = []
    for k, d, p in zip(kernel, dilation, pads):
        smallest = max(1, d * (k - 1) + 1 - (0 if transposed else 2 * p))
        size.append(draw(st.integers(smallest, smallest + max_size - 1)))
    layer = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if transposed:
        layer["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                        for s, d in zip(stride, dilation))
        weight = (groups * in_per_group, out_per_group) + kernel
        for i, k, s, p, d, a in zip(size, kernel, stride, pads, dilation,
                                    layer["output_padding"]):
            assume((i - 1) * s - 2 * p + d * (k - 1) + a + 1 >= 1)  # torch's size rule
    else:
        weight = (groups * out_per_group, in_per_group) + kernel
    input_shape = (draw(st.integers(1, 3)), groups * in_per_group) + tuple(size)
    bias = draw(st.booleans())
    return layer, input_shape, weight, bias, draw(st.integers(0, 2**32 - 1))


def _arrays(input_shape, weight_shape, bias_size, has_bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape)
    w = rng.standard_normal(weight_shape)
    b = rng.standard_normal(bias_size) if has_bias else None
    return x, w, b


def _torch_forward_backward(torch_fn, x, w, b, layer, rng_seed):
    """Output and (grad_input, grad_weight, grad_bias) from autograd, plus the upstream grad."""
    leaves = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = torch_fn(*leaves, **layer)
    dy = np.random.default_rng(rng_seed + 1).standard_normal(tuple(y.shape))
    y.backward(torch.from_numpy(dy))
    grads = [None if t is None else t.grad.numpy() for t in leaves]
    return y.detach().numpy(), dy, grads


FAST_IMPLS = ["im2col", "im2col_batch_last", "implicit"]  # each fast implementation, forced (no "auto" rule)


def _check_against_torch(ours, ours_backward, torch_fn, case, out_channels, impls):
    layer, input_shape, weight_shape, has_bias, seed = case
    x, w, b = _arrays(input_shape, weight_shape, out_channels(weight_shape, layer), has_bias,
                      seed)
    expected, dy, expected_grads = _torch_forward_backward(torch_fn, x, w, b, layer, seed)
    for impl in impls:
        assert_close(ours(x, w, b, **layer, impl=impl), expected, name=f"output ({impl})")
        grads = ours_backward(dy, x, w, b, **layer, impl=impl)
        for name, got, want in zip(("grad_input", "grad_weight", "grad_bias"), grads,
                                   expected_grads):
            if want is None:
                assert got is None, f"{name} should be None without a bias"
            else:
                assert_close(got, want, name=f"{name} ({impl})")


def _conv_out_channels(weight_shape, layer):
    return weight_shape[0]


def _transpose_out_channels(weight_shape, layer):
    return weight_shape[1] * layer["groups"]


@given(conv_layers())
def test_conv2d_fast_implementations_match_torch(case):
    _check_against_torch(conv2d, conv2d_backward, F.conv2d, case, _conv_out_channels, FAST_IMPLS)


@given(conv_layers(max_size=9, winograd=True))
def test_conv2d_winograd_matches_torch(case):
    _check_against_torch(conv2d, conv2d_backward, F.conv2d, case, _conv_out_channels, ["winograd"])


@given(conv_layers(max_size=9, transposed=True, winograd=True))
def test_conv_transpose2d_winograd_matches_torch(case):
    _check_against_torch(conv_transpose2d, conv_transpose2d_backward, F.conv_transpose2d, case,
                         _transpose_out_channels, ["winograd"])


@settings(max_examples=15)
@given(conv_layers(max_size=4))
def test_conv2d_loops_matches_torch(case):
    _check_against_torch(conv2d, conv2d_backward, F.conv2d, case, _conv_out_channels, ["loops"])


@given(conv_layers(transposed=True))
def test_conv_transpose2d_fast_implementations_match_torch(case):
    _check_against_torch(conv_transpose2d, conv_transpose2d_backward, F.conv_transpose2d, case,
                         _transpose_out_channels, FAST_IMPLS)


@settings(max_examples=15)
@given(conv_layers(max_size=4, transposed=True))
def test_conv_transpose2d_loops_matches_torch(case):
    _check_against_torch(conv_transpose2d, conv_transpose2d_backward, F.conv_transpose2d, case,
                         _transpose_out_channels, ["loops"])


@pytest.mark.parametrize("impl", ["auto", "im2col", "implicit", "loops"])
@pytest.mark.parametrize("stride", [1, 2])
def test_float32_stays_float32(impl, stride):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    b = np.zeros(6, np.float32)
    y = conv2d(x, w, b, stride=stride, padding=1, groups=2, impl=impl)
    grads = conv2d_backward(np.ones_like(y), x, w, b, stride=stride, padding=1, groups=2,
                            impl=impl)
    assert y.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    t = conv_transpose2d(x, w.reshape(4, 3, 3, 3), stride=stride, impl=impl)
    assert t.dtype == np.float32


@pytest.mark.parametrize("impl", FAST_IMPLS)
def test_float32_stays_float32_in_every_fast_implementation(impl):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 7, 6)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    y = conv2d(x, w, stride=2, padding=1, groups=2, impl=impl)
    grads = conv2d_backward(np.ones_like(y), x, w, stride=2, padding=1, groups=2, impl=impl)
    t = conv_transpose2d(x, w.reshape(4, 3, 3, 3), stride=2, impl=impl)
    assert y.dtype == t.dtype == np.float32 and all(g is None or g.dtype == np.float32
                                                    for g in grads)


@pytest.mark.parametrize("impl", FAST_IMPLS)
def test_backward_with_the_forward_cache_equals_backward_without(impl):
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s) for s in ((2, 4, 7, 6), (6, 2, 3, 3), (6,)))
    layer = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2, impl=impl)
    out, cache = conv2d_with_cache(x, w, b, **layer)
    dy = rng.standard_normal(out.shape)
    with_cache = conv2d_backward(dy, x, w, b, **layer, cache=cache)
    without = conv2d_backward(dy, x, w, b, **layer)
    assert_close(out, conv2d(x, w, b, **layer), name="output")
    for name, got, want in zip(("grad_input", "grad_weight", "grad_bias"), with_cache,
                               without):
        assert_close(got, want, name=name)
    layer.pop("impl")
    with pytest.raises(ValueError, match="cache must come from conv2d_with_cache"):
        conv2d_backward(dy, x.copy(), w, b, **layer, cache=cache)  # another input array
    with pytest.raises(ValueError, match="cache must come from conv2d_with_cache"):
        conv2d_backward(dy, x, w, b, **layer, impl="loops", cache=cache)


def test_worked_example_of_seed_000_transposed_convolution():
    """Section 10.11.2 of the TF text: 5x5 input 1..25, 3x3 kernel, stride 2, no padding.
    The convolution gives 2x2; transposing it back gives a 5x5 that is not the input."""
    x = np.arange(1.0, 26.0).reshape(1, 1, 5, 5)
    w = np.array([[-1.0, 2, -3], [4, -5, 6], [-7, 8, -9]]).reshape(1, 1, 3, 3)
    out = conv2d(x, w, stride=2)
    np.testing.assert_array_equal(out[0, 0], [[-67, -77], [-117, -127]])
    back = conv_transpose2d(out, w, stride=2)
    assert back.shape == x.shape and not np.allclose(back, x)
    assert_close(back, F.conv_transpose2d(torch.from_numpy(out), torch.from_numpy(w),
                                          stride=2).numpy())
    assert back[0, 0, 2, 2] == 1620 and back[0, 0, 4, 4] == 1143  # as printed in the text
    # A 6x6 input maps to the same 2x2; output_padding a = (6 - 3) % 2 = 1 recovers 6x6.
    assert conv_transpose2d(out, w, stride=2, output_padding=1).shape == (1, 1, 6, 6)


def test_transposed_convolution_is_the_adjoint_of_convolution():
    """<conv(x), y> == <x, conv_transpose(y)> for the same weights and arguments."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 2, 3, 2))
    layer = dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), groups=2)
    y = rng.standard_normal(conv2d(x, w, **layer).shape)
    extra = conv_transpose_output_padding((9, 8), (3, 2), layer["stride"], layer["padding"],
                                          layer["dilation"])
    a = conv_transpose2d(y, w, output_padding=extra, **layer)  # back to 9x8
    assert a.shape == x.shape
    assert np.isclose(np.sum(conv2d(x, w, **layer) * y), np.sum(x * a), rtol=1e-10)


# --- bad input: ValueError naming the argument or the shapes at fault ---------

X = np.zeros((2, 4, 8, 8))
W = np.zeros((6, 4, 3, 3))


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(X, np.zeros((6, 3, 3, 3))), r"input has 4 channels but weight of shape"),
    (lambda: conv2d(X, np.zeros((6, 4, 11, 3))), r"kernel_size 11 .* larger than the padded"),
    (lambda: conv2d(X, W, stride=0), r"stride must be >= 1"),
    (lambda: conv2d(X, W, dilation=(1, 0)), r"dilation must be >= 1"),
    (lambda: conv2d(X, W, padding=-1), r"padding must be >= 0"),
    (lambda: conv2d(X, W, padding="full"), r"padding must be an int, a pair, 'valid' or"),
    (lambda: conv2d(X[0], W), r"input must be 4-D \(N, C, H, W\), got shape \(4, 8, 8\)"),
    (lambda: conv2d(X, W[0]), r"weight must be 4-D"),
    (lambda: conv2d(X, np.zeros((6, 1, 3, 3)), groups=3), r"groups=3 .*expects 3"),
    (lambda: conv2d(X, np.zeros((5, 2, 3, 3)), groups=2), r"groups=2 must divide"),
    (lambda: conv2d(X, W, stride=2, padding="same"), r"padding='same' requires stride 1"),
    (lambda: conv2d(X.astype(int), W), r"input must have a floating dtype"),
    (lambda: conv2d(X, W.astype(np.float32)), r"weight dtype float32 differs"),
    (lambda: conv2d(X, W, bias=np.zeros(5)), r"bias must have shape \(6,\)"),
    (lambda: conv2d(X, W, impl="fft"), r"impl must be one of"),
    (lambda: conv2d_backward(np.zeros((2, 6, 5, 5)), X, W), r"grad_output has shape"),
    (lambda: conv_transpose2d(X, np.zeros((3, 2, 3, 3))), r"weight.shape\[0\]"),
    (lambda: conv_transpose2d(X, np.zeros((4, 2, 3, 3)), stride=2, output_padding=2),
     r"output_padding 2 must be smaller than either stride 2 or dilation 1"),
    (lambda: conv_transpose2d(X, np.zeros((4, 2, 3, 3)), padding=6), r"padding 6 is too large"),
    (lambda: conv_transpose2d_backward(np.zeros((2, 2, 9, 9)), X, np.zeros((4, 2, 3, 3))),
     r"grad_output has shape \(2, 2, 9, 9\), expected \(2, 2, 10, 10\)"),
])
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()
