"""Layers as modules: each wraps a forward/backward pair from :mod:`cnncourse.numpy.functional`.

Constructor arguments and defaults are torch's. Weights start like torch's defaults
(``kaiming_uniform_(a=sqrt(5))``, i.e. ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, and the same
bound for biases) drawn from ``rng``, a ``numpy.random.Generator`` or seed, so a model is
reproducible. ``dtype`` defaults to float32 as in torch; call ``.double()`` for gradient checks.

A layer names its two functions (``forward_fn, backward_fn = F.relu, F.relu_backward``):
``forward`` keeps the input, ``backward`` passes it back to ``backward_fn`` with the same
options, which recomputes what it needs (the convention of :mod:`cnncourse.numpy.functional`).

Taught in: chapter 7 (LeNet-5 built from these modules and trained in NumPy).
"""
import math

import numpy as np

from cnncourse import validate
from cnncourse.numpy import functional as F
from cnncourse.numpy.nn.module import Module, Parameter

__all__ = [
    "Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d",
    "ReLU", "Sigmoid", "Tanh", "Flatten", "MaxPool2d", "AvgPool2d", "Dropout",
    "CrossEntropyLoss",
]


def _uniform_parameter(rng, shape, fan_in, dtype):
    """``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``: what torch's default initialization reduces to."""
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))


# ---------------------------------------------------------------- layers with weights
class _WeightedLayer(Module):
    """A weight, an optional bias, and ``forward_fn(input, weight, bias, **options)`` with
    ``backward_fn(grad_output, input, weight, bias, **options) -> (grad_input,
    grad_weight, grad_bias)``."""

    forward_fn = backward_fn = None  # set by each subclass (as staticmethods)

    def __init__(self, weight_shape, fan_in, bias_size, bias, rng, dtype, **options):
        super().__init__()
        self.options = options
        rng = np.random.default_rng(rng)
        self.weight = _uniform_parameter(rng, weight_shape, fan_in, dtype)
        self.bias = _uniform_parameter(rng, (bias_size,), fan_in, dtype) if bias else None

    def _bias_data(self):
        return None if self.bias is None else self.bias.data

    def forward(self, input):
        self._input = input
        return self.forward_fn(input, self.weight.data, self._bias_data(), **self.options)

    def _backward_extras(self):
        """Extra keyword arguments for the functional backward (e.g. a forward cache)."""
        return {}

    def backward(self, grad_output):
        grad_input, grad_weight, grad_bias = self.backward_fn(
            grad_output, self._cached("_input"), self.weight.data, self._bias_data(),
            **self.options, **self._backward_extras())
        self.weight.accumulate(grad_weight)
        if self.bias is not None:
            self.bias.accumulate(grad_bias)
        return grad_input

    def extra_repr(self):
        options = ", ".join(f"{k}={v}" for k, v in self.options.items())
        return f"weight={self.weight.shape}, bias={self.bias is not None}" + (
            f", {options}" if options else "")


class Linear(_WeightedLayer):
    """``y = x W^T + b`` with ``W`` of shape ``(out_features, in_features)``."""

    forward_fn, backward_fn = staticmethod(F.linear), staticmethod(F.linear_backward)

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float32):
        validate.positive(in_features, "in_features")
        validate.positive(out_features, "out_features")
        super().__init__((out_features, in_features), in_features, out_features, bias, rng, dtype)


def _check_groups(in_channels, out_channels, groups):
    validate.positive(groups, "groups")
    for value, name in ((in_channels, "in_channels"), (out_channels, "out_channels")):
        validate.positive(value, name)
        if value % groups:
            raise ValueError(f"{name}={value} must be divisible by groups={groups}")


class Conv2d(_WeightedLayer):
    """2-D convolution with weight ``(out_channels, in_channels // groups, kH, kW)``."""

    forward_fn, backward_fn = staticmethod(F.conv2d), staticmethod(F.conv2d_backward)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, rng=None, dtype=np.float32):
        _check_groups(in_channels, out_channels, groups)
        kernel = validate.positive(validate.pair(kernel_size, "kernel_size"), "kernel_size")
        fan_in = in_channels // groups * kernel[0] * kernel[1]
        super().__init__((out_channels, in_channels // groups) + kernel, fan_in, out_channels,
                         bias, rng, dtype, stride=stride, padding=padding, dilation=dilation,
                         groups=groups)

    def forward(self, input):
        # In training, keep the im2col columns: the weight gradient reuses them.
        self._input, self._cache = input, None
        if not self.training:
            return F.conv2d(input, self.weight.data, self._bias_data(), **self.options)
        output, self._cache = F.conv2d_with_cache(input, self.weight.data, self._bias_data(),
                                                  **self.options)
        return output

    def _backward_extras(self):
        return {"cache": self.__dict__.get("_cache")}


class ConvTranspose2d(_WeightedLayer):
    """Transposed convolution with weight ``(in_channels, out_channels // groups, kH, kW)``."""

    forward_fn = staticmethod(F.conv_transpose2d)
    backward_fn = staticmethod(F.conv_transpose2d_backward)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, rng=None, dtype=np.float32):
        _check_groups(in_channels, out_channels, groups)
        kernel = validate.positive(validate.pair(kernel_size, "kernel_size"), "kernel_size")
        # torch takes fan_in from weight.shape[1], i.e. the *output* channels per group.
        fan_in = out_channels // groups * kernel[0] * kernel[1]
        super().__init__((in_channels, out_channels // groups) + kernel, fan_in, out_channels,
                         bias, rng, dtype, stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups, dilation=dilation)


# ---------------------------------------------------------------- batch normalization
class _BatchNorm(Module):
    """Per-channel normalization with learned scale/shift and running-statistics buffers.

    ``momentum=None`` averages all batches seen so far equally (torch's cumulative mode).
    """

    _input_ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=np.float32):
        super().__init__()
        validate.positive(num_features, "num_features")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def _functional_args(self):
        """The arguments after ``input`` of ``F.batch_norm`` for the current mode."""
        use_batch_stats = self.training or not self.track_running_stats
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked = self.num_batches_tracked + 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        stats = (self.running_mean, self.running_var) if self.track_running_stats else (None,) * 2
        params = (self.weight.data, self.bias.data) if self.affine else (None, None)
        return stats + params + (use_batch_stats, factor, self.eps)

    def forward(self, input):
        if getattr(input, "ndim", None) not in self._input_ranks:
            raise ValueError(f"{type(self).__name__} expects a {' or '.join(map(str, self._input_ranks))}"
                             f"-D input, got shape {np.shape(input)}")
        self._input, self._args = input, self._functional_args()
        return F.batch_norm(input, *self._args)

    def backward(self, grad_output):
        grad_input, grad_weight, grad_bias = F.batch_norm_backward(
            grad_output, self._cached("_input"), *self._cached("_args"))
        if self.affine:
            self.weight.accumulate(grad_weight)
            self.bias.accumulate(grad_bias)
        return grad_input

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm for ``(N, C)`` or ``(N, C, L)`` input (e.g. after a Linear layer)."""

    _input_ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm for ``(N, C, H, W)`` feature maps: statistics over N, H and W."""

    _input_ranks = (4,)


# ---------------------------------------------------------------- layers without weights
class _Stateless(Module):
    """``forward_fn(input, **options)`` and ``backward_fn(grad_output, input, **options)``."""

    forward_fn = backward_fn = None  # set by each subclass (as staticmethods)

    def __init__(self, **options):
        super().__init__()
        self.options = options

    def forward(self, input):
        self._input = input
        return self.forward_fn(input, **self.options)

    def backward(self, grad_output):
        return self.backward_fn(grad_output, self._cached("_input"), **self.options)

    def extra_repr(self):
        return ", ".join(f"{k}={v}" for k, v in self.options.items())


class ReLU(_Stateless):
    forward_fn, backward_fn = staticmethod(F.relu), staticmethod(F.relu_backward)


class Sigmoid(_Stateless):
    forward_fn, backward_fn = staticmethod(F.sigmoid), staticmethod(F.sigmoid_backward)


class Tanh(_Stateless):
    forward_fn, backward_fn = staticmethod(F.tanh), staticmethod(F.tanh_backward)


class Flatten(_Stateless):
    forward_fn, backward_fn = staticmethod(F.flatten), staticmethod(F.flatten_backward)

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__(start_dim=start_dim, end_dim=end_dim)


class MaxPool2d(_Stateless):
    forward_fn, backward_fn = staticmethod(F.max_pool2d), staticmethod(F.max_pool2d_backward)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size=kernel_size, stride=stride, padding=padding,
                         dilation=dilation, ceil_mode=ceil_mode)


class AvgPool2d(_Stateless):
    forward_fn, backward_fn = staticmethod(F.avg_pool2d), staticmethod(F.avg_pool2d_backward)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size=kernel_size, stride=stride, padding=padding,
                         ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                         divisor_override=divisor_override)


class Dropout(Module):
    """Inverted dropout in training mode, identity in evaluation mode."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        F.dropout(np.zeros(1), p, training=False)  # validates p now, not at the first batch
        self.p, self.rng = p, np.random.default_rng(rng)

    def forward(self, input):
        output, self._mask = F.dropout(input, self.p, self.training, self.rng)
        return output

    def backward(self, grad_output):
        return F.dropout_backward(grad_output, self.__dict__.get("_mask"))

    def extra_repr(self):
        return f"p={self.p}"


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits against class indices; ``backward()`` starts backprop."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        self.options = dict(weight=weight, ignore_index=ignore_index, reduction=reduction,
                            label_smoothing=label_smoothing)

    def forward(self, input, target):
        self._input, self._target = input, target
        loss = F.cross_entropy(input, target, **self.options)
        self._loss_shape = np.shape(loss)
        return loss

    def backward(self, grad_output=None):
        """Gradient for the logits; ``grad_output`` defaults to ones (d loss / d loss)."""
        input = self._cached("_input")
        if grad_output is None:
            grad_output = np.ones(self._loss_shape, dtype=input.dtype)
        return F.cross_entropy_backward(grad_output, input, self._target, **self.options)
