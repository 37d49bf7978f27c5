"""NumPy activations and softmax against torch (float64, forward and backward), plus edge cases.

Also home of the small torch helpers the other ``test_numpy_*`` files import.
"""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import cnncourse.numpy.functional as F
from cnncourse.numpy.gradcheck import gradcheck

TOL = dict(rtol=1e-8, atol=1e-10)


def torch_vjp(fn, inputs, grad_output=None, seed=0):
    """Run ``fn`` on float64 torch copies of ``inputs``; return ``(output, grads, grad_output)``.

    ``grad_output`` defaults to a random array shaped like the output, so every element of
    the gradient is exercised. Inputs that are ``None`` stay ``None`` and get ``None`` grads.
    """
    tensors = [None if a is None else torch.tensor(a, requires_grad=a.dtype.kind == "f")
               for a in inputs]
    out = fn(*tensors)
    if grad_output is None:
        grad_output = np.random.default_rng(seed).normal(size=tuple(out.shape))
    out.backward(torch.as_tensor(grad_output, dtype=out.dtype))
    grads = [None if t is None or t.grad is None else t.grad.numpy() for t in tensors]
    return out.detach().numpy(), grads, np.asarray(grad_output, dtype=np.float64)


def assert_close(actual, expected):
    """Compare arrays, or tuples that may hold ``None`` for missing gradients."""
    if isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close(a, e)
    elif expected is None:
        assert actual is None
    else:
        np.testing.assert_allclose(actual, expected, **TOL)


def assert_gradcheck(forward, backward, arrays, seed=0):
    """Central differences of ``forward(*arrays)`` must match ``backward(g, *arrays)``.

    ``backward`` returns one gradient or a tuple whose first ``len(arrays)`` entries
    belong to ``arrays`` (extra entries, e.g. a bias gradient, are ignored).
    """
    g = np.random.default_rng(seed).normal(size=np.shape(forward(*arrays)))
    grads = backward(g, *arrays)
    grads = grads if isinstance(grads, tuple) else (grads,)
    gradcheck(forward, list(arrays), g, list(grads[:len(arrays)]))


@st.composite
def float_arrays(draw, min_dims=1, max_dims=4, max_side=5):
    """Random float64 arrays: shapes from hypothesis, values from a seeded generator.

    Values are rounded to halves at unit scale so exact zeros (ReLU's kink) occur, and
    occasionally scaled to +-1e3 to probe overflow.
    """
    shape = tuple(draw(st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 30.0, 1e3]))
    x = rng.normal(size=shape) * scale
    return np.round(x * 2) / 2 if scale == 1.0 else x


ELEMENTWISE = [
    (F.relu, F.relu_backward, torch.relu),
    (F.sigmoid, F.sigmoid_backward, torch.sigmoid),
    (F.tanh, F.tanh_backward, torch.tanh),
]


@pytest.mark.parametrize("forward, backward, reference", ELEMENTWISE,
                         ids=[f[0].__name__ for f in ELEMENTWISE])
@given(x=float_arrays())
def test_elementwise_match_torch(forward, backward, reference, x):
    expected, (grad,), g = torch_vjp(reference, [x])
    assert_close(forward(x), expected)
    assert_close(backward(g, x), grad)


SOFTMAXES = [
    (F.softmax, F.softmax_backward, torch.softmax),
    (F.log_softmax, F.log_softmax_backward, torch.log_softmax),
]


@pytest.mark.parametrize("forward, backward, reference", SOFTMAXES,
                         ids=[f[0].__name__ for f in SOFTMAXES])
@given(x=float_arrays(), data=st.data())
def test_softmax_match_torch(forward, backward, reference, x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    expected, (grad,), g = torch_vjp(lambda t: reference(t, dim), [x])
    assert_close(forward(x, dim), expected)
    assert_close(backward(g, x, dim), grad)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "log_softmax"])
def test_gradcheck(name):
    x = np.random.default_rng(1).normal(size=(3, 4)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink, where the difference quotient lies
    extra = (1,) if "softmax" in name else ()
    forward, backward = getattr(F, name), getattr(F, name + "_backward")
    assert_gradcheck(lambda x: forward(x, *extra), lambda g, x: backward(g, x, *extra), [x])


def test_stable_for_huge_logits():
    x = np.array([[1000.0, 0.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # overflow or nan would raise
        np.testing.assert_allclose(F.softmax(x, 1), [[1.0, 0.0, 0.0]])
        np.testing.assert_allclose(F.log_softmax(x, 1), [[0.0, -1000.0, -2000.0]])
        np.testing.assert_allclose(F.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


def test_float32_stays_float32():
    x = np.ones((2, 3), dtype=np.float32)
    for fn in (F.relu, F.sigmoid, F.tanh):
        assert fn(x).dtype == np.float32
        assert getattr(F, fn.__name__ + "_backward")(x, x).dtype == np.float32
    assert F.softmax(x, 1).dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: F.relu(np.array([1, 2])), "input must have a floating dtype"),
    (lambda: F.sigmoid([1.0, 2.0]), "input must be a numpy.ndarray"),
    (lambda: F.tanh_backward(np.ones(3), np.ones(4)), "grad_output has shape"),
    (lambda: F.softmax(np.ones((2, 3)), 2), "dim=2 is out of range for a 2-D input"),
    (lambda: F.log_softmax(np.ones((2, 3)), None), "dim must be an int"),
])
def test_bad_input_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()
