"""Fully connected layer and flatten, laid out like torch (weight is ``(out_features, in_features)``).

Taught in: chapter 4 (the classifier head), chapter 5 (their gradients).
"""
import numpy as np

from cnncourse import validate
from cnncourse.numpy.functional.activation import _canonical_dim

__all__ = ["linear", "linear_backward", "flatten", "flatten_backward"]


def _check_linear(input, weight, bias):
    validate.floating(input, "input")
    validate.ndim(weight, 2, "weight", "(out_features, in_features)")
    if input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"input has shape {input.shape} but weight {weight.shape} expects "
            f"in_features={weight.shape[1]} in the last dimension"
        )
    if bias is not None:
        validate.shape(bias, (weight.shape[0],), "bias")


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last dimension of ``input``, like ``F.linear``.

    Args:
        input: features, any leading dimensions.
        weight: one row of weights per output feature.
        bias: one number per output feature, or None.

    Shape:
        - input: ``(*, in_features)``
        - weight: ``(out_features, in_features)``
        - bias: ``(out_features,)``
        - output: ``(*, out_features)``

    Taught in: chapter 4 (the head: fully connected layers).
    """
    _check_linear(input, weight, bias)
    out = input @ weight.T
    return out if bias is None else out + bias


def linear_backward(grad_output, input, weight, bias=None):
    """Gradients of :func:`linear`: ``(grad_input, grad_weight, grad_bias)``, shaped like
    ``input``, ``weight`` and ``bias``; ``grad_bias`` is None without a bias.

    ``grad_input = grad_output @ weight``; ``grad_weight = grad_output.T @ input`` summed
    over every leading dimension; ``grad_bias`` the sum of ``grad_output`` over them.
    """
    _check_linear(input, weight, bias)
    validate.shape(grad_output, input.shape[:-1] + (weight.shape[0],), "grad_output")
    # Fold every leading dimension into one batch so the weight gradient is one matmul.
    g2 = grad_output.reshape(-1, weight.shape[0])
    x2 = input.reshape(-1, weight.shape[1])
    grad_input = grad_output @ weight
    grad_weight = g2.T @ x2
    grad_bias = None if bias is None else g2.sum(axis=0)
    return grad_input, grad_weight, grad_bias


def _flat_shape(shape, start_dim, end_dim):
    ndim = max(len(shape), 1)  # torch treats a scalar as 1-D here
    start = _canonical_dim(start_dim, ndim, "start_dim")
    end = _canonical_dim(end_dim, ndim, "end_dim")
    if start > end:
        raise ValueError(f"start_dim={start_dim} comes after end_dim={end_dim} for shape {shape}")
    if not shape:
        return (1,)
    return shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]


def flatten(input, start_dim=1, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one (the defaults of ``nn.Flatten``).

    Shape: ``(N, C, H, W)`` -> ``(N, C*H*W)`` with the defaults; in general the product of
    the merged sizes replaces them. Returns a view when NumPy can make one.

    Taught in: chapter 4 (the head: flatten).
    """
    validate.floating(input, "input")
    return input.reshape(_flat_shape(input.shape, start_dim, end_dim))


def flatten_backward(grad_output, input, start_dim=1, end_dim=-1):
    """Gradient of :func:`flatten`: flattening moves no numbers, so the gradient is only
    reshaped back to the input's shape."""
    validate.shape(grad_output, _flat_shape(input.shape, start_dim, end_dim), "grad_output")
    return grad_output.reshape(input.shape)
