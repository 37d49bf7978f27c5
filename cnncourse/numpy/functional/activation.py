"""Element-wise activations and softmax, with their backward passes.

Each backward takes ``(grad_output, <forward arguments>)`` and recomputes what it
needs from the input: these functions are cheap, so caching would only add state.
"""
import numpy as np

from cnncourse import validate

__all__ = [
    "relu", "relu_backward",
    "sigmoid", "sigmoid_backward",
    "tanh", "tanh_backward",
    "softmax", "softmax_backward",
    "log_softmax", "log_softmax_backward",
]


def _canonical_dim(dim, ndim, name="dim"):
    """Turn a possibly negative ``dim`` into an index in ``[0, ndim)``, as torch does."""
    if not validate.is_int(dim):
        raise ValueError(f"{name} must be an int, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise ValueError(f"{name}={dim} is out of range for a {ndim}-D input")
    return dim % ndim


def _check_grad(grad_output, input):
    validate.floating(input, "input")
    validate.floating(grad_output, "grad_output")
    validate.shape(grad_output, input.shape, "grad_output")


def relu(input):
    """max(input, 0)."""
    validate.floating(input, "input")
    return np.maximum(input, 0)


def relu_backward(grad_output, input):
    """Pass the gradient where the input was positive (torch also uses 0 at exactly 0)."""
    _check_grad(grad_output, input)
    return np.where(input > 0, grad_output, 0).astype(grad_output.dtype, copy=False)


def sigmoid(input):
    """1 / (1 + exp(-input)), computed without overflow for large |input|."""
    validate.floating(input, "input")
    # exp of a non-positive number never overflows; mirror it for negative inputs.
    e = np.exp(-np.abs(input))
    return np.where(input >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(grad_output, input):
    """d sigmoid = s * (1 - s)."""
    _check_grad(grad_output, input)
    s = sigmoid(input)
    return grad_output * s * (1 - s)


def tanh(input):
    """Hyperbolic tangent."""
    validate.floating(input, "input")
    return np.tanh(input)


def tanh_backward(grad_output, input):
    """d tanh = 1 - tanh**2."""
    _check_grad(grad_output, input)
    t = np.tanh(input)
    return grad_output * (1 - t * t)


def log_softmax(input, dim):
    """log(softmax(input)) along ``dim``, shifted by the max so exp never overflows."""
    validate.floating(input, "input")
    dim = _canonical_dim(dim, input.ndim)
    shifted = input - input.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def softmax(input, dim):
    """exp(input) normalized to sum to 1 along ``dim``."""
    return np.exp(log_softmax(input, dim))


def softmax_backward(grad_output, input, dim):
    """Jacobian-vector product of softmax: s * (g - sum(g * s))."""
    _check_grad(grad_output, input)
    s = softmax(input, dim)
    dim = _canonical_dim(dim, input.ndim)
    return s * (grad_output - (grad_output * s).sum(axis=dim, keepdims=True))


def log_softmax_backward(grad_output, input, dim):
    """Jacobian-vector product of log_softmax: g - softmax * sum(g)."""
    _check_grad(grad_output, input)
    s = softmax(input, dim)
    dim = _canonical_dim(dim, input.ndim)
    return grad_output - s * grad_output.sum(axis=dim, keepdims=True)
