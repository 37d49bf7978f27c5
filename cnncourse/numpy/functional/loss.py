"""Cross-entropy on logits with class-index targets, as ``torch.nn.functional.cross_entropy``.

Shapes: ``input`` is ``(N, C)`` or ``(N, C, d1, ...)`` (or unbatched ``(C,)``), ``target``
holds integers of shape ``(N,)`` / ``(N, d1, ...)`` (or a 0-d array).

Taught in: chapter 4 (the head and its loss), chapter 5 (its gradient, softmax minus one-hot).
"""
import numpy as np

from cnncourse import validate
from cnncourse.numpy.functional.activation import log_softmax, log_softmax_backward

__all__ = ["cross_entropy", "cross_entropy_backward"]

_REDUCTIONS = ("none", "mean", "sum")


def _prepare(input, target, weight, reduction, label_smoothing, ignore_index):
    """Check the arguments; return batched input/target, the valid mask and per-class weights."""
    validate.floating(input, "input")
    validate.array(target, "target")
    validate.choice(reduction, _REDUCTIONS, "reduction")
    validate.probability(label_smoothing, "label_smoothing")
    if not np.issubdtype(target.dtype, np.integer):
        raise ValueError(f"target must hold class indices (an integer array), got dtype {target.dtype}")
    if input.ndim == 1:  # unbatched: one sample
        input, target = input[None], target[None]
    if input.ndim < 2 or target.shape != input.shape[:1] + input.shape[2:]:
        raise ValueError(
            f"target shape {target.shape} does not match input shape {input.shape}: "
            "expected input (N, C, ...) and target (N, ...)"
        )
    num_classes = input.shape[1]
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= num_classes))
    if bad.any():
        raise ValueError(
            f"target values must be in [0, {num_classes}) (or ignore_index={ignore_index}), "
            f"got {target[bad].ravel()[0]}"
        )
    if weight is None:
        class_weight = np.ones(num_classes, dtype=input.dtype)
    else:
        class_weight = validate.shape(weight, (num_classes,), "weight")
    return input, np.where(valid, target, 0), valid, class_weight


def _reduce_scale(reduction, target_weight):
    """What each sample's loss is multiplied by in the reduction (1, or 1 / total weight)."""
    if reduction == "mean":
        total = target_weight.sum()
        return np.nan if total == 0 else 1 / total  # all targets ignored: nan, as torch
    return 1


def cross_entropy(input, target, weight=None, reduction="mean", label_smoothing=0.0,
                  ignore_index=-100):
    """Softmax cross-entropy of logits ``input`` against class indices ``target``.

    Args:
        input: logits, one row of ``C`` scores per sample.
        target: the true class of each sample (integers in ``[0, C)`` or ``ignore_index``).
        weight: one weight per class, or None.
        reduction: ``"mean"`` (divided by the summed weights of the targets, so
            class-weighted losses average like torch's), ``"sum"`` or ``"none"``.
        label_smoothing: ``eps``: the target distribution puts ``1 - eps + eps/C`` on the
            true class and ``eps/C`` on the others.
        ignore_index: a target value that contributes nothing.

    Shape:
        - input: ``(N, C)`` or ``(N, C, d1, ...)`` or ``(C,)``
        - target: ``(N,)`` or ``(N, d1, ...)`` or ``()``
        - output: a number, or the target's shape with ``reduction="none"``

    Examples::

        >>> float(cross_entropy(np.array([[0.0, 0.0]]), np.array([1])))  # log 2
        0.6931471805599453

    Taught in: chapter 5 (softmax and cross-entropy).
    """
    unbatched = input.ndim == 1
    input, target, valid, class_weight = _prepare(
        input, target, weight, reduction, label_smoothing, ignore_index)
    num_classes = input.shape[1]
    logp = log_softmax(input, dim=1)
    target_weight = class_weight[target] * valid
    nll = -np.take_along_axis(logp, target[:, None], axis=1)[:, 0] * target_weight
    # Class weights broadcast along dim 1, whatever the number of trailing dims.
    w = class_weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    smooth = -(logp * w).sum(axis=1) * valid
    loss = (1 - label_smoothing) * nll + (label_smoothing / num_classes) * smooth
    if reduction == "none":
        return loss[0] if unbatched else loss
    return loss.sum() * _reduce_scale(reduction, target_weight)


def cross_entropy_backward(grad_output, input, target, weight=None, reduction="mean",
                           label_smoothing=0.0, ignore_index=-100):
    """Gradient of :func:`cross_entropy` with respect to the logits ``input``: for the mean
    without smoothing or weights, ``(softmax(input) - one_hot(target)) / N``. Arguments as
    the forward's; ``grad_output`` has the loss's shape. Returns an array of ``input``'s shape."""
    unbatched = input.ndim == 1
    batched_input, target, valid, class_weight = _prepare(
        input, target, weight, reduction, label_smoothing, ignore_index)
    num_classes = batched_input.shape[1]
    grad_output = np.asarray(grad_output, dtype=input.dtype)
    loss_shape = target.shape if reduction == "none" else ()
    if reduction == "none" and unbatched:
        grad_output = grad_output.reshape(loss_shape) if grad_output.ndim == 0 else grad_output
    validate.shape(grad_output, loss_shape, "grad_output")
    target_weight = class_weight[target] * valid
    # Per-sample upstream gradient with the class axis restored for broadcasting; ignored
    # samples get exactly 0 (torch's gradient stays finite even when the mean loss is nan).
    g = np.where(valid, grad_output * _reduce_scale(reduction, target_weight), 0)[:, None]
    w = class_weight.reshape((1, -1) + (1,) * (batched_input.ndim - 2))
    # d loss / d log p: the smoothing part touches every class, the nll part the target only.
    grad_logp = -(label_smoothing / num_classes) * w * g
    onehot_grad = np.zeros_like(grad_logp)
    np.put_along_axis(onehot_grad, target[:, None], (target_weight[:, None] * g), axis=1)
    grad_logp -= (1 - label_smoothing) * onehot_grad
    grad_input = log_softmax_backward(grad_logp.astype(input.dtype, copy=False), batched_input, dim=1)
    return grad_input[0] if unbatched else grad_input
