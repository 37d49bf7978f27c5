"""NumPy linear, flatten and cross-entropy against torch (float64, forward and backward)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st
from test_numpy_activations import assert_close, assert_gradcheck, torch_vjp

import cnncourse.numpy.functional as F


@given(seed=st.integers(0, 2**32 - 1),
       lead=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       in_features=st.integers(1, 6), out_features=st.integers(1, 6), with_bias=st.booleans())
def test_linear_matches_torch(seed, lead, in_features, out_features, with_bias):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=tuple(lead) + (in_features,))
    w = rng.normal(size=(out_features, in_features))
    b = rng.normal(size=out_features) if with_bias else None
    expected, grads, g = torch_vjp(TF.linear, [x, w, b])
    assert_close(F.linear(x, w, b), expected)
    assert_close(F.linear_backward(g, x, w, b), grads)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=5), data=st.data())
def test_flatten_matches_torch(shape, data):
    x = np.random.default_rng(0).normal(size=shape)
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(-len(shape), len(shape) - 1))
    if start % len(shape) > end % len(shape):
        with pytest.raises(ValueError, match="start_dim"):
            F.flatten(x, start, end)
        return
    expected, (grad,), g = torch_vjp(lambda t: torch.flatten(t, start, end), [x])
    assert_close(F.flatten(x, start, end), expected)
    assert_close(F.flatten_backward(g, x, start, end), grad)


@st.composite
def classification_problems(draw):
    """Logits ``(N, C, *extra)``, class targets (some ignored), optional class weights."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    logits = rng.normal(size=(n, c) + extra) * draw(st.sampled_from([1.0, 50.0]))
    target = rng.integers(0, c, size=(n,) + extra)
    ignore_index = draw(st.sampled_from([-100, 0]))
    if draw(st.booleans()):  # ignore a random subset of the targets
        target = np.where(rng.random(target.shape) < 0.3, ignore_index, target)
    weight = rng.uniform(0.1, 2.0, size=c) if draw(st.booleans()) else None
    return logits, target, weight, ignore_index


@given(problem=classification_problems(),
       reduction=st.sampled_from(["mean", "sum", "none"]),
       label_smoothing=st.sampled_from([0.0, 0.1, 0.37, 1.0]))
def test_cross_entropy_matches_torch(problem, reduction, label_smoothing):
    logits, target, weight, ignore_index = problem
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing, ignore_index=ignore_index)
    w = None if weight is None else torch.tensor(weight)  # torch has no gradient for weight
    expected, grads, g = torch_vjp(
        lambda x, t: TF.cross_entropy(x, t, w, **kwargs), [logits, target])
    assert_close(F.cross_entropy(logits, target, weight, **kwargs), expected)
    assert_close(F.cross_entropy_backward(g, logits, target, weight, **kwargs), grads[0])


def test_gradcheck():
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4)), rng.normal(size=5)
    assert_gradcheck(F.linear, F.linear_backward, [x, w, b])
    assert_gradcheck(lambda x: F.flatten(x, 0, 1), lambda g, x: F.flatten_backward(g, x, 0, 1), [x])
    logits, target, weight = rng.normal(size=(4, 3, 2)), rng.integers(0, 3, (4, 2)), rng.random(3)
    kwargs = dict(weight=weight, label_smoothing=0.2)
    assert_gradcheck(lambda x: F.cross_entropy(x, target, **kwargs),
                     lambda g, x: F.cross_entropy_backward(g, x, target, **kwargs), [logits])


def test_cross_entropy_unbatched_and_all_ignored():
    logits, target = np.array([0.5, -1.0, 2.0]), np.array(2)
    expected, (grad, _), g = torch_vjp(lambda x, t: TF.cross_entropy(x, t), [logits, target])
    assert_close(F.cross_entropy(logits, target), expected)
    assert_close(F.cross_entropy_backward(g, logits, target), grad)
    ignored = np.full(2, -100)
    # torch returns nan (0 / 0) when every target is ignored; so do we, without warnings.
    with np.errstate(all="raise"):
        assert np.isnan(F.cross_entropy(np.zeros((2, 3)), ignored))


def test_cross_entropy_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4]])
    assert F.cross_entropy(logits, np.array([0])) == 0.0
    assert F.cross_entropy(logits, np.array([2])) == 2e4


@pytest.mark.parametrize("call, message", [
    (lambda: F.linear(np.ones((2, 3)), np.ones((4, 5))), r"input has shape \(2, 3\) but weight"),
    (lambda: F.linear(np.ones((2, 3)), np.ones(3)), "weight must be 2-D"),
    (lambda: F.linear(np.ones((2, 3)), np.ones((4, 3)), np.ones(3)), "bias has shape"),
    (lambda: F.linear_backward(np.ones((2, 3)), np.ones((2, 3)), np.ones((4, 3))), "grad_output"),
    (lambda: F.flatten(np.ones((2, 3)), 0, 5), "end_dim=5 is out of range"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0, 3])), r"target values must be in \[0, 3\)"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0])), "target must hold class indices"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0, 1, 2])), "target shape"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0, 1]), np.ones(2)), "weight has shape"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0, 1]), reduction="avg"), "reduction"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0, 1]), label_smoothing=1.5),
     "label_smoothing"),
])
def test_bad_input_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()
