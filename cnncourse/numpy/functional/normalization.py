"""Batch, layer, group and instance normalization, with their backward passes.

All four standardize ``x`` over some axes, ``x_hat = (x - mean) / sqrt(var + eps)`` with the
biased variance, then apply a learned scale and shift. They differ only in which axes
the statistics are taken over, so they share one forward and one backward core. Each
backward returns ``(grad_input, grad_weight, grad_bias)`` shaped like ``input``, ``weight``
and ``bias`` (None for a parameter not given).

Taught in: chapter 6 (batch normalization; layer, instance and group normalization).
"""
import numpy as np

from cnncourse import validate

__all__ = [
    "batch_norm", "batch_norm_backward",
    "layer_norm", "layer_norm_backward",
    "group_norm", "group_norm_backward",
    "instance_norm", "instance_norm_backward",
]


# ---------------------------------------------------------------- shared core
def _check_eps(eps):
    validate.number(eps, "eps", above=0)


def _check_momentum(momentum):
    validate.number(momentum, "momentum", at_least=0, at_most=1)


def _standardize(x, axes, eps):
    """Return ``(x_hat, inv_std, mean, biased_var)`` with statistics over ``axes``."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    return (x - mean) * inv_std, inv_std, mean, var


def _standardize_backward(grad_xhat, x_hat, inv_std, axes):
    """Backward through ``x_hat`` when mean and variance depend on ``x`` too.

    The two subtracted means are the paths through the mean and through the variance.
    """
    mean_g = grad_xhat.mean(axis=axes, keepdims=True)
    mean_gx = (grad_xhat * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (grad_xhat - mean_g - x_hat * mean_gx)


def _check_param(param, shape, name):
    if param is not None:
        validate.floating(param, name)
        validate.shape(param, shape, name)


def _affine(x_hat, weight, bias, param_shape):
    """``x_hat * weight + bias`` with the parameters reshaped to broadcast (None skips one)."""
    out = x_hat if weight is None else x_hat * weight.reshape(param_shape)
    return out if bias is None else out + bias.reshape(param_shape)


def _affine_backward(grad_output, x_hat, weight, bias, param_shape, param_axes):
    """Return ``(grad_x_hat, grad_weight, grad_bias)``; a missing parameter gets ``None``."""
    grad_weight = None if weight is None else (grad_output * x_hat).sum(axis=param_axes)
    grad_bias = None if bias is None else grad_output.sum(axis=param_axes)
    grad_xhat = grad_output if weight is None else grad_output * weight.reshape(param_shape)
    return grad_xhat, grad_weight, grad_bias


def _channel_layout(input, name="input"):
    """For ``(N, C, *)`` input: channel count, the non-channel axes, a broadcast shape for (C,)."""
    validate.floating(input, name)
    if input.ndim < 2:
        raise ValueError(f"{name} must be at least 2-D (N, C, ...), got shape {input.shape}")
    axes = (0,) + tuple(range(2, input.ndim))
    return input.shape[1], axes, (1, -1) + (1,) * (input.ndim - 2)


# ---------------------------------------------------------------- batch norm
def _batch_norm_setup(input, running_mean, running_var, weight, bias, training, eps):
    """Check arguments and standardize; returns ``(x_hat, inv_std, batch_var, axes, shape)``."""
    channels, axes, shape = _channel_layout(input)
    _check_eps(eps)
    for stat, name in ((running_mean, "running_mean"), (running_var, "running_var")):
        if stat is not None:
            validate.shape(stat, (channels,), name)
        elif not training:
            raise ValueError(f"{name} is required in evaluation mode (training=False)")
    _check_param(weight, (channels,), "weight")
    _check_param(bias, (channels,), "bias")
    if training:
        count = input.size // channels
        if count <= 1:
            raise ValueError(
                f"input shape {input.shape} has 1 value per channel: batch statistics need more"
            )
        x_hat, inv_std, mean, var = _standardize(input, axes, eps)
        return x_hat, inv_std, mean, var, axes, shape
    inv_std = 1 / np.sqrt(running_var.reshape(shape) + eps)
    x_hat = (input - running_mean.reshape(shape)) * inv_std
    return x_hat, inv_std, None, None, axes, shape


def _update_running(running, batch_value, momentum):
    """In place: ``running = (1 - momentum) * running + momentum * batch`` (torch's convention)."""
    if running is not None:
        running *= 1 - momentum
        running += momentum * batch_value.astype(running.dtype, copy=False)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel of ``(N, C, *)`` input with batch or running statistics,
    like ``F.batch_norm``.

    Args:
        input: the batch.
        running_mean, running_var: per-channel running statistics (updated in place in
            training, required in evaluation), or None.
        weight, bias: the learned per-channel scale and shift, or None.
        training: use (and record) the batch statistics instead of the running ones.
        momentum: ``running = (1 - momentum) * running + momentum * batch``, where the
            running variance gets the *unbiased* batch variance. Keras'
            ``BatchNormalization(momentum=m)`` weights the old value instead:
            ``keras_momentum = 1 - torch_momentum`` (0.99 <-> 0.01).
        eps: added to the variance before the square root.

    Shape:
        - input and output: ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)``
        - running_mean, running_var, weight, bias: ``(C,)``

    Taught in: chapter 6 (batch normalization).
    """
    _check_momentum(momentum)
    x_hat, _, mean, var, axes, shape = _batch_norm_setup(
        input, running_mean, running_var, weight, bias, training, eps)
    if training:
        count = input.size // input.shape[1]
        _update_running(running_mean, mean.ravel(), momentum)
        _update_running(running_var, var.ravel() * count / (count - 1), momentum)
    return _affine(x_hat, weight, bias, shape)


def batch_norm_backward(grad_output, input, running_mean, running_var, weight=None, bias=None,
                        training=False, momentum=0.1, eps=1e-5):
    """Gradients of :func:`batch_norm`: ``(grad_input, grad_weight, grad_bias)``; the
    running statistics are left untouched.

    In training mode the gradient flows through the batch mean and variance; in evaluation
    mode they are constants and the layer is a per-channel affine map.
    """
    validate.shape(grad_output, input.shape, "grad_output")
    x_hat, inv_std, _, _, axes, shape = _batch_norm_setup(
        input, running_mean, running_var, weight, bias, training, eps)
    grad_xhat, grad_weight, grad_bias = _affine_backward(grad_output, x_hat, weight, bias, shape, axes)
    if training:
        grad_input = _standardize_backward(grad_xhat, x_hat, inv_std, axes)
    else:
        grad_input = grad_xhat * inv_std
    return grad_input, grad_weight, grad_bias


# ---------------------------------------------------------------- layer norm
def _layer_norm_setup(input, normalized_shape, weight, bias, eps):
    validate.floating(input, "input")
    _check_eps(eps)
    normalized_shape = (normalized_shape,) if validate.is_int(normalized_shape) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.shape[input.ndim - k:] != normalized_shape or input.ndim < k:
        raise ValueError(
            f"normalized_shape {normalized_shape} must match the trailing dimensions of "
            f"input shape {input.shape}"
        )
    _check_param(weight, normalized_shape, "weight")
    _check_param(bias, normalized_shape, "bias")
    norm_axes = tuple(range(input.ndim - k, input.ndim))
    x_hat, inv_std, _, _ = _standardize(input, norm_axes, eps)
    return x_hat, inv_std, norm_axes, tuple(range(input.ndim - k)), normalized_shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over its trailing ``normalized_shape`` dimensions, like
    ``F.layer_norm`` (``weight`` and ``bias`` of ``normalized_shape``: an element-wise affine).

    Shape: input and output ``(*, *normalized_shape)``.

    Taught in: chapter 6 (layer, instance and group normalization).
    """
    x_hat, _, _, _, shape = _layer_norm_setup(input, normalized_shape, weight, bias, eps)
    return _affine(x_hat, weight, bias, shape)


def layer_norm_backward(grad_output, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Gradients of :func:`layer_norm`: ``(grad_input, grad_weight, grad_bias)``."""
    validate.shape(grad_output, input.shape, "grad_output")
    x_hat, inv_std, norm_axes, lead_axes, shape = _layer_norm_setup(
        input, normalized_shape, weight, bias, eps)
    grad_xhat, grad_weight, grad_bias = _affine_backward(
        grad_output, x_hat, weight, bias, shape, lead_axes)
    return _standardize_backward(grad_xhat, x_hat, inv_std, norm_axes), grad_weight, grad_bias


# ---------------------------------------------------------------- group norm
def _group_norm_setup(input, num_groups, weight, bias, eps):
    """Standardize over (channels of a group) x (spatial); returns arrays in group layout."""
    channels, param_axes, shape = _channel_layout(input)
    _check_eps(eps)
    if not validate.is_int(num_groups) or num_groups < 1 or channels % num_groups:
        raise ValueError(
            f"num_groups={num_groups!r} must be a positive divisor of the {channels} input channels"
        )
    _check_param(weight, (channels,), "weight")
    _check_param(bias, (channels,), "bias")
    grouped = input.reshape(input.shape[0], num_groups, -1)
    if grouped.shape[2] <= 1 and input.shape[0] > 0:
        raise ValueError(f"input shape {input.shape} has 1 value per group: nothing to normalize")
    x_hat, inv_std, _, _ = _standardize(grouped, (2,), eps)
    return x_hat, inv_std, param_axes, shape


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over groups of ``C // num_groups`` channels, like
    ``F.group_norm`` (``weight`` and ``bias`` per channel).

    Shape: input and output ``(N, C, *)``; ``weight`` and ``bias`` ``(C,)``.

    Taught in: chapter 6 (layer, instance and group normalization).
    """
    x_hat, _, _, shape = _group_norm_setup(input, num_groups, weight, bias, eps)
    return _affine(x_hat.reshape(input.shape), weight, bias, shape)


def group_norm_backward(grad_output, input, num_groups, weight=None, bias=None, eps=1e-5):
    """Gradients of :func:`group_norm`: ``(grad_input, grad_weight, grad_bias)``."""
    validate.shape(grad_output, input.shape, "grad_output")
    x_hat, inv_std, param_axes, shape = _group_norm_setup(input, num_groups, weight, bias, eps)
    grad_xhat, grad_weight, grad_bias = _affine_backward(
        grad_output, x_hat.reshape(input.shape), weight, bias, shape, param_axes)
    grad_xhat = grad_xhat.reshape(x_hat.shape)
    grad_input = _standardize_backward(grad_xhat, x_hat, inv_std, (2,))
    return grad_input.reshape(input.shape), grad_weight, grad_bias


# ---------------------------------------------------------------- instance norm
def _instance_channels(input):
    channels, _, _ = _channel_layout(input)
    if input.ndim < 3:
        raise ValueError(f"input must be at least 3-D (N, C, L...), got shape {input.shape}")
    return channels


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each (sample, channel) plane on its own, like ``F.instance_norm``: group
    norm with one channel per group.

    With ``use_input_stats`` the running statistics (if given) are updated in place with
    the per-instance statistics averaged over the batch, as torch does; without it the
    running statistics normalize, exactly like :func:`batch_norm` in evaluation mode.

    Shape: input and output ``(N, C, L)`` or ``(N, C, H, W)``; the rest ``(C,)``.

    Taught in: chapter 6 (layer, instance and group normalization).
    """
    channels = _instance_channels(input)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    _check_momentum(momentum)
    for stat, name in ((running_mean, "running_mean"), (running_var, "running_var")):
        if stat is not None:
            validate.shape(stat, (channels,), name)
    out = group_norm(input, channels, weight, bias, eps)
    spatial_axes = tuple(range(2, input.ndim))
    _update_running(running_mean, input.mean(axis=spatial_axes).mean(axis=0), momentum)
    _update_running(running_var, input.var(axis=spatial_axes, ddof=1).mean(axis=0), momentum)
    return out


def instance_norm_backward(grad_output, input, running_mean=None, running_var=None, weight=None,
                           bias=None, use_input_stats=True, momentum=0.1, eps=1e-5):
    """Gradients of :func:`instance_norm`: ``(grad_input, grad_weight, grad_bias)``."""
    channels = _instance_channels(input)
    if not use_input_stats:
        return batch_norm_backward(grad_output, input, running_mean, running_var, weight, bias,
                                   False, momentum, eps)
    return group_norm_backward(grad_output, input, channels, weight, bias, eps)
