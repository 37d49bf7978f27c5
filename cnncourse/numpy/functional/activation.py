"""Element-wise activations and softmax, with their backward passes.

Each backward takes ``(grad_output, <forward arguments>)`` and recomputes what it
needs from the input: these functions are cheap, so caching would only add state.
Every function takes and returns arrays of any shape (softmax along ``dim``); a
backward returns the gradient with respect to ``input``, of ``input``'s shape.

Taught in: chapter 5 (backpropagation through a small network by hand).
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
    """``max(input, 0)`` element-wise.

    Args:
        input: a float array of any shape.

    Returns:
        A new array of ``input``'s shape and dtype.

    Examples::

        >>> relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])

    Taught in: chapter 5 (a small network by hand).
    """
    validate.floating(input, "input")
    return np.maximum(input, 0)


def relu_backward(grad_output, input):
    """Gradient of :func:`relu`: ``grad_output`` where the input was positive, 0 elsewhere
    (torch also uses 0 at exactly 0). Shapes: ``grad_output`` and the result as ``input``."""
    _check_grad(grad_output, input)
    return np.where(input > 0, grad_output, 0).astype(grad_output.dtype, copy=False)


def sigmoid(input):
    """``1 / (1 + exp(-input))`` element-wise, computed without overflow for large ``|input|``.

    Args:
        input: a float array of any shape.

    Returns:
        A new array of ``input``'s shape, in (0, 1).

    Taught in: chapter 6 (saturation: why normalize), chapter 7 (the original LeNet-5).
    """
    validate.floating(input, "input")
    # exp of a non-positive number never overflows; mirror it for negative inputs.
    e = np.exp(-np.abs(input))
    return np.where(input >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(grad_output, input):
    """Gradient of :func:`sigmoid`: ``grad_output * s * (1 - s)`` with ``s = sigmoid(input)``.
    Shapes: ``grad_output`` and the result as ``input``."""
    _check_grad(grad_output, input)
    s = sigmoid(input)
    return grad_output * s * (1 - s)


def tanh(input):
    """The hyperbolic tangent element-wise.

    Args:
        input: a float array of any shape.

    Returns:
        A new array of ``input``'s shape, in (-1, 1).

    Taught in: chapter 4 (the CIFAR-2 classifier's activation).
    """
    validate.floating(input, "input")
    return np.tanh(input)


def tanh_backward(grad_output, input):
    """Gradient of :func:`tanh`: ``grad_output * (1 - tanh(input)**2)``, ``input``'s shape."""
    _check_grad(grad_output, input)
    t = np.tanh(input)
    return grad_output * (1 - t * t)


def log_softmax(input, dim):
    """``log(softmax(input))`` along ``dim``, shifted by the max so ``exp`` never overflows.

    Args:
        input: a float array (logits), e.g. ``(N, C)``.
        dim: the axis of the classes (negative counts from the end, as in torch).

    Returns:
        A new array of ``input``'s shape.

    Taught in: chapter 5 (softmax and cross-entropy).
    """
    validate.floating(input, "input")
    dim = _canonical_dim(dim, input.ndim)
    shifted = input - input.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def softmax(input, dim):
    """``exp(input)`` normalized to sum to 1 along ``dim``.

    Args:
        input: a float array (logits).
        dim: the axis to normalize along.

    Returns:
        A new array of ``input``'s shape whose slices along ``dim`` sum to 1.

    Examples::

        >>> softmax(np.array([0.0, np.log(3.0)]), dim=0)
        array([0.25, 0.75])

    Taught in: chapter 5 (softmax and cross-entropy).
    """
    return np.exp(log_softmax(input, dim))


def softmax_backward(grad_output, input, dim):
    """Gradient of :func:`softmax` (its Jacobian-vector product): ``s * (g - sum(g * s))``
    along ``dim``, with ``s = softmax(input, dim)``; ``input``'s shape."""
    _check_grad(grad_output, input)
    s = softmax(input, dim)
    dim = _canonical_dim(dim, input.ndim)
    return s * (grad_output - (grad_output * s).sum(axis=dim, keepdims=True))


def log_softmax_backward(grad_output, input, dim):
    """Gradient of :func:`log_softmax`: ``g - softmax(input) * sum(g)`` along ``dim``;
    ``input``'s shape."""
    _check_grad(grad_output, input)
    s = softmax(input, dim)
    dim = _canonical_dim(dim, input.ndim)
    return grad_output - s * grad_output.sum(axis=dim, keepdims=True)
