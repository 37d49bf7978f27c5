"""Inverted dropout: zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

Scaling during training (not at test time) keeps the expected activation unchanged, so the
evaluation-mode layer is the identity.

Taught in: chapter 8 (dropout in AlexNet and VGG).
"""
import numpy as np

from cnncourse import validate

__all__ = ["dropout", "dropout_backward"]


def dropout(input, p=0.5, training=True, rng=None):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    Args:
        input: a float array of any shape.
        p: the probability of dropping an element, in [0, 1].
        training: False makes the function the identity (evaluation mode).
        rng: a ``numpy.random.Generator`` (or a seed), so runs are repeatable.

    Returns:
        ``(output, mask)``, both of ``input``'s shape, ``output = input * mask``. ``mask``
        already holds the scale (``0`` or ``1/(1-p)``) and is what :func:`dropout_backward`
        needs; it is ``None`` when nothing is dropped (evaluation mode or ``p == 0``).

    Taught in: chapter 8 (dropout in AlexNet and VGG).
    """
    validate.floating(input, "input")
    p = validate.probability(p, "p")
    if not training or p == 0.0:
        return input, None
    if p == 1.0:  # every unit dropped; avoids 0 * inf
        mask = np.zeros_like(input)
    else:
        rng = np.random.default_rng(rng)
        keep = rng.random(input.shape) >= p
        mask = keep.astype(input.dtype) / input.dtype.type(1 - p)
    return input * mask, mask


def dropout_backward(grad_output, mask):
    """Gradient of :func:`dropout`: the mask is a constant multiplier, so the gradient is
    masked and scaled the same way. Receives the forward's ``mask`` (randomness cannot be
    recomputed); returns an array of ``grad_output``'s shape."""
    validate.floating(grad_output, "grad_output")
    if mask is None:
        return grad_output
    validate.shape(grad_output, mask.shape, "grad_output")
    return grad_output * mask
