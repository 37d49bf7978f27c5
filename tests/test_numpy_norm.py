"""NumPy batch/layer/group/instance norm against torch (float64): outputs, gradients, running stats."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given
from hypothesis import strategies as st
from test_numpy_activations import assert_close, assert_gradcheck, torch_vjp

import cnncourse.numpy.functional as F

seeds = st.integers(0, 2**32 - 1)
eps_values = st.sampled_from([1e-5, 1e-3, 0.5])


def _affine_params(rng, shape, with_weight, with_bias):
    weight = rng.normal(size=shape) if with_weight else None
    bias = rng.normal(size=shape) if with_bias else None
    return weight, bias


@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       training=st.booleans(), track=st.booleans(), with_weight=st.booleans(),
       with_bias=st.booleans(), momentum=st.sampled_from([0.0, 0.1, 0.73, 1.0]), eps=eps_values)
def test_batch_norm_matches_torch(seed, shape, training, track, with_weight, with_bias, momentum,
                                  eps):
    assume(track or training)  # evaluation needs running statistics
    assume(not training or np.prod(shape) // shape[1] > 1)  # and training two values per channel
    rng = np.random.default_rng(seed)
    channels = shape[1]
    x = rng.normal(size=shape) * 3 + 1
    weight, bias = _affine_params(rng, channels, with_weight, with_bias)
    mean0 = rng.normal(size=channels) if track else None
    var0 = rng.uniform(0.5, 2.0, size=channels) if track else None
    stats = [None if s is None else s.copy() for s in (mean0, var0)]
    torch_stats = [None if s is None else torch.tensor(s) for s in (mean0, var0)]
    expected, grads, g = torch_vjp(
        lambda t, w, b: TF.batch_norm(t, *torch_stats, w, b, training, momentum, eps),
        [x, weight, bias])
    args = (x, *stats, weight, bias, training, momentum, eps)
    assert_close(F.batch_norm(*args), expected)
    assert_close(stats, [None if s is None else s.numpy() for s in torch_stats])
    updated = [None if s is None else s.copy() for s in stats]
    assert_close(F.batch_norm_backward(g, *args), grads)
    assert_close(stats, updated)  # backward must not touch the running statistics


@given(seed=seeds, lead=st.lists(st.integers(1, 3), max_size=2),
       normalized=st.lists(st.integers(1, 4), min_size=1, max_size=2),
       with_weight=st.booleans(), with_bias=st.booleans(), eps=eps_values)
def test_layer_norm_matches_torch(seed, lead, normalized, with_weight, with_bias, eps):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=tuple(lead) + tuple(normalized)) * 2
    weight, bias = _affine_params(rng, tuple(normalized), with_weight, with_bias)
    expected, grads, g = torch_vjp(
        lambda t, w, b: TF.layer_norm(t, normalized, w, b, eps), [x, weight, bias])
    assert_close(F.layer_norm(x, normalized, weight, bias, eps), expected)
    assert_close(F.layer_norm_backward(g, x, normalized, weight, bias, eps), grads)


@given(seed=seeds, n=st.integers(1, 3), groups=st.integers(1, 3), per_group=st.integers(1, 3),
       spatial=st.lists(st.integers(1, 3), max_size=2), affine=st.booleans(), eps=eps_values)
def test_group_norm_matches_torch(seed, n, groups, per_group, spatial, affine, eps):
    assume(per_group * np.prod(spatial) > 1)
    rng = np.random.default_rng(seed)
    channels = groups * per_group
    x = rng.normal(size=(n, channels) + tuple(spatial)) * 2
    # torch 2.13's group-norm backward fails for a bias without a weight: test both or none.
    weight, bias = _affine_params(rng, channels, affine, affine)
    expected, grads, g = torch_vjp(
        lambda t, w, b: TF.group_norm(t, groups, w, b, eps), [x, weight, bias])
    assert_close(F.group_norm(x, groups, weight, bias, eps), expected)
    assert_close(F.group_norm_backward(g, x, groups, weight, bias, eps), grads)


@given(seed=seeds, shape=st.lists(st.integers(1, 3), min_size=3, max_size=4),
       use_input_stats=st.booleans(), track=st.booleans(), with_weight=st.booleans(),
       momentum=st.sampled_from([0.1, 0.6]), eps=eps_values)
def test_instance_norm_matches_torch(seed, shape, use_input_stats, track, with_weight, momentum,
                                     eps):
    assume(track or use_input_stats)
    assume(not use_input_stats or np.prod(shape[2:]) > 1)
    rng = np.random.default_rng(seed)
    channels = shape[1]
    x = rng.normal(size=shape) * 2 - 1
    weight, bias = _affine_params(rng, channels, with_weight, with_weight)
    stats = [rng.normal(size=channels), rng.uniform(0.5, 2, size=channels)] if track else [None] * 2
    torch_stats = [None if s is None else torch.tensor(s) for s in stats]
    expected, grads, g = torch_vjp(
        lambda t, w, b: TF.instance_norm(t, *torch_stats, w, b, use_input_stats, momentum, eps),
        [x, weight, bias])
    args = (x, *stats, weight, bias, use_input_stats, momentum, eps)
    assert_close(F.instance_norm(*args), expected)
    assert_close(stats, [None if s is None else s.numpy() for s in torch_stats])
    assert_close(F.instance_norm_backward(g, *args), grads)


def _norm_case(name, *args, param_shape=(3,), **kwargs):
    """``(forward(x, w, b), backward(g, x, w, b), param_shape)`` for one normalization."""
    forward, backward = getattr(F, name), getattr(F, name + "_backward")
    return (lambda x, w, b: forward(x, *args, w, b, **kwargs),
            lambda g, x, w, b: backward(g, x, *args, w, b, **kwargs), param_shape)


GRADCHECK_CASES = {
    # Running statistics are None in training so that repeated forwards change nothing.
    "batch_norm_train": _norm_case("batch_norm", None, None, training=True),
    "batch_norm_eval": _norm_case("batch_norm", np.full(3, 0.2), np.full(3, 1.7)),
    "layer_norm": _norm_case("layer_norm", (3, 2, 2), param_shape=(3, 2, 2)),
    "group_norm": _norm_case("group_norm", 3),
    "instance_norm": _norm_case("instance_norm", None, None),
}


@pytest.mark.parametrize("case", GRADCHECK_CASES)
def test_gradcheck(case):
    forward, backward, param_shape = GRADCHECK_CASES[case]
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(4, 3, 2, 2)), rng.normal(size=param_shape), rng.normal(size=param_shape)
    assert_gradcheck(forward, backward, [x, w, b])


def test_batch_norm_keeps_float32():
    x = np.random.default_rng(0).normal(size=(4, 3, 2, 2)).astype(np.float32)
    mean, var = np.zeros(3, np.float32), np.ones(3, np.float32)
    out = F.batch_norm(x, mean, var, training=True)
    assert out.dtype == mean.dtype == var.dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: F.batch_norm(np.ones(3), None, None, training=True), "input must be at least 2-D"),
    (lambda: F.batch_norm(np.ones((2, 3)), np.zeros(4), np.ones(4)), "running_mean has shape"),
    (lambda: F.batch_norm(np.ones((2, 3)), None, None), "running_mean is required"),
    (lambda: F.batch_norm(np.ones((1, 3)), None, None, training=True), "1 value per channel"),
    (lambda: F.batch_norm(np.ones((2, 3)), None, None, np.ones(2), training=True), "weight has"),
    (lambda: F.batch_norm(np.ones((2, 3)), None, None, training=True, eps=0), "eps must be"),
    (lambda: F.batch_norm(np.ones((2, 3)), None, None, training=True, momentum=2), "momentum"),
    (lambda: F.layer_norm(np.ones((2, 3)), (2,)), "normalized_shape"),
    (lambda: F.layer_norm(np.ones((2, 3)), 3, np.ones(2)), "weight has shape"),
    (lambda: F.group_norm(np.ones((2, 6, 2)), 4), "num_groups=4 must be a positive divisor"),
    (lambda: F.instance_norm(np.ones((2, 3))), "input must be at least 3-D"),
    (lambda: F.batch_norm_backward(np.ones((2, 2)), np.ones((2, 3)), None, None, training=True),
     "grad_output has shape"),
])
def test_bad_input_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()
