"""Output-size, parameter and cost formulas for convolutional layers, on plain ints.

One formula lives in one place: the NumPy layers call these functions to size
their outputs, and the book calls them to explain the sizes. Every size argument
takes an int or an ``(height, width)`` pair; the result is an int when every size
argument was an int, otherwise a pair. Bad arguments raise ``ValueError`` naming
the argument, as PyTorch would reject the same layer.
"""
import numbers

__all__ = [
    "conv2d_output_size",
    "pool2d_output_size",
    "conv_transpose2d_output_size",
    "conv_transpose_output_padding",
    "same_padding",
    "conv2d_parameters",
    "linear_parameters",
    "batch_norm_parameters",
    "separable_conv2d_parameters",
    "conv2d_flops",
]


# --- argument checks (re-exported by cnncourse.numpy.functional._validate) ---

def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _pair(value, name):
    """Return ``(a, b)`` for an int or a pair of ints, as torch's ``_pair`` does."""
    if _is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")


def check_positive(value, name):
    """Require an int (or every int of a pair) >= 1; return it unchanged."""
    values = value if isinstance(value, (tuple, list)) else (value,)
    if not all(_is_int(v) and v >= 1 for v in values):
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return value


def check_nonnegative(value, name):
    """Require an int (or every int of a pair) >= 0; return it unchanged."""
    values = value if isinstance(value, (tuple, list)) else (value,)
    if not all(_is_int(v) and v >= 0 for v in values):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


_MAY_BE_ZERO = ("padding", "output_padding")


def _pairs(**named):
    """Turn each named int-or-pair into a pair and check it (paddings >= 0, every other
    size, kernel, stride and dilation >= 1); also say whether any was a pair."""
    pairs = {}
    for name, value in named.items():
        pairs[name] = _pair(value, name)
        (check_nonnegative if name in _MAY_BE_ZERO else check_positive)(value, name)
    return any(not _is_int(v) for v in named.values()), pairs


def _result(any_pair, values):
    return tuple(values) if any_pair else values[0]


def same_padding(kernel_size, dilation=1):
    """Padding ``((top, bottom), (left, right))`` that keeps the size at stride 1.

    Like PyTorch, an even effective kernel puts the extra row/column at the bottom/right.
    """
    k = _pair(check_positive(kernel_size, "kernel_size"), "kernel_size")
    d = _pair(check_positive(dilation, "dilation"), "dilation")
    totals = [di * (ki - 1) for ki, di in zip(k, d)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _too_large(size, kernel, padding, dilation):
    extent = dilation * (kernel - 1) + 1
    return ValueError(
        f"kernel_size {kernel} (extent {extent} with dilation {dilation}) is larger than the "
        f"padded input size {size + padding} (input_size {size} + padding {padding})")


def _check_fits(size, kernel, padding, dilation):
    """Effective kernel extent; raise if it does not fit in the padded input."""
    extent = dilation * (kernel - 1) + 1
    if extent > size + padding:
        raise _too_large(size, kernel, padding, dilation)
    return extent


def conv2d_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Spatial output size of ``conv2d``: ``floor((i + 2p - d(k-1) - 1) / s) + 1``.

    ``padding`` may also be ``'valid'`` (no padding) or ``'same'`` (output = input,
    stride 1 only, as in PyTorch).
    """
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if _pair(check_positive(stride, "stride"), "stride") != (1, 1):
                raise ValueError(f"padding='same' requires stride 1, got stride={stride!r}")
            any_pair, a = _pairs(input_size=input_size, kernel_size=kernel_size,
                                 dilation=dilation)
            for i, k, d, p in zip(*a.values(), same_padding(kernel_size, dilation)):
                _check_fits(i, k, sum(p), d)
            return _result(any_pair, a["input_size"])
        else:
            raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    any_pair, a = _pairs(input_size=input_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation)
    out = []
    for i, k, s, p, d in zip(*a.values()):
        extent = _check_fits(i, k, 2 * p, d)
        out.append((i + 2 * p - extent) // s + 1)
    return _result(any_pair, out)


def pool2d_output_size(input_size, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode=False):
    """Spatial output size of ``max_pool2d``/``avg_pool2d`` (``stride`` defaults to the kernel).

    With ``ceil_mode`` the last, partial window is kept, unless it would start in the
    right/bottom padding (PyTorch's rule; so with ``ceil_mode`` a kernel may overhang
    a small input). Padding may be at most half the kernel.
    """
    stride = kernel_size if stride is None else stride
    any_pair, a = _pairs(input_size=input_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation)
    out = []
    for i, k, s, p, d in zip(*a.values()):
        if p > k // 2:
            raise ValueError(f"padding {p} must be at most half of kernel_size {k}")
        span = i + 2 * p - (d * (k - 1) + 1)
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= i + p:
            o -= 1  # the last window would start inside the padding
        if o < 1:
            raise _too_large(i, k, 2 * p, d)
        out.append(o)
    return _result(any_pair, out)


def _check_output_padding(output_padding, stride, dilation):
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(
                f"output_padding {op} must be smaller than either stride {s} or dilation {d}")


def conv_transpose2d_output_size(input_size, kernel_size, stride=1, padding=0,
                                 output_padding=0, dilation=1):
    """Spatial output size of ``conv_transpose2d``: ``(i-1)s - 2p + d(k-1) + a + 1``.

    ``a`` is ``output_padding``: the extra rows/columns that pick one of the ``s`` input
    sizes a strided convolution maps to the same output size.
    """
    any_pair, a = _pairs(input_size=input_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, output_padding=output_padding, dilation=dilation)
    _check_output_padding(a["output_padding"], a["stride"], a["dilation"])
    out = []
    for i, k, s, p, op, d in zip(*a.values()):
        o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        if o < 1:
            raise ValueError(
                f"padding {p} is too large: the output size would be {o} for input_size {i}, "
                f"kernel_size {k}, stride {s}")
        out.append(o)
    return _result(any_pair, out)


def conv_transpose_output_padding(output_size, kernel_size, stride=1, padding=0, dilation=1):
    """The ``a = (o + 2p - k) % s`` term: output padding that makes a transposed
    convolution produce ``output_size`` (the ``o`` of the texts, i.e. the input size of
    the strided convolution it undoes). With dilation, ``k`` is the extent ``d(k-1)+1``.
    """
    any_pair, a = _pairs(output_size=output_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation)
    out = []
    for o, k, s, p, d in zip(*a.values()):
        extent = _check_fits(o, k, 2 * p, d)
        out.append((o + 2 * p - extent) % s)
    return _result(any_pair, out)


# --- parameter counts -------------------------------------------------------

def conv2d_parameters(in_channels, out_channels, kernel_size, bias=True, groups=1):
    """Weights ``out * (in / groups) * kH * kW`` plus ``out`` biases."""
    check_positive(in_channels, "in_channels")
    check_positive(out_channels, "out_channels")
    check_positive(groups, "groups")
    kh, kw = _pair(check_positive(kernel_size, "kernel_size"), "kernel_size")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups {groups} must divide in_channels {in_channels} "
                         f"and out_channels {out_channels}")
    return out_channels * (in_channels // groups) * kh * kw + (out_channels if bias else 0)


def linear_parameters(in_features, out_features, bias=True):
    """Weights ``in * out`` plus ``out`` biases (e.g. 784 -> 256: 200,960)."""
    check_positive(in_features, "in_features")
    check_positive(out_features, "out_features")
    return in_features * out_features + (out_features if bias else 0)


def batch_norm_parameters(num_features, affine=True):
    """Trainable scale and shift per channel: ``2 * C``.

    The running mean and variance (another ``2 * C`` numbers) are buffers, not
    parameters: PyTorch's ``parameters()`` skips them, Keras counts them as
    non-trainable.
    """
    check_positive(num_features, "num_features")
    return 2 * num_features if affine else 0


def separable_conv2d_parameters(in_channels, out_channels, kernel_size, depth_multiplier=1,
                                bias=True):
    """Depthwise ``in * m * kH * kW`` + pointwise ``in * m * out`` (+ ``out`` biases),
    as Keras ``SeparableConv2D`` counts it (bias only on the pointwise part).
    """
    check_positive(depth_multiplier, "depth_multiplier")
    depthwise = conv2d_parameters(in_channels, in_channels * depth_multiplier, kernel_size,
                                  bias=False, groups=in_channels)
    pointwise = conv2d_parameters(in_channels * depth_multiplier, out_channels, 1, bias=bias)
    return depthwise + pointwise


def conv2d_flops(input_size, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, batch_size=1):
    """Multiply-adds of one ``conv2d`` forward: ``N * C_out * H_out * W_out * (C_in/g) * kH * kW``.

    Convention: one multiply-add counts once (the "FLOPs" of most CNN papers and
    tables); double it for floating-point operations (as GFLOP/s in the benchmarks
    does). The bias addition is not counted.
    """
    check_positive(batch_size, "batch_size")
    ho, wo = _pair(conv2d_output_size(input_size, kernel_size, stride, padding, dilation),
                   "output size")
    # Each output value costs one multiply-add per weight of its filter.
    weights = conv2d_parameters(in_channels, out_channels, kernel_size, bias=False,
                                groups=groups)
    return batch_size * ho * wo * weights


def receptive_field(layers):
    """Side of the input patch one output unit of a stack of convolutions/poolings depends on.

    ``layers``: ``[(kernel_size, stride)]`` or ``[(kernel_size, stride, dilation)]``, input
    side first. Each layer widens the field by ``dilation * (kernel_size - 1)`` units of its
    own input, and a unit of its input is the product of the strides below apart in pixels:
    ``r = 1 + sum_l d_l (k_l - 1) * prod_{i<l} s_i``. Taught in: chapters 2 and 4.

    Examples::

        >>> receptive_field([(3, 1)] * 3)            # three 3x3 layers see 7x7
        7
        >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])   # LeNet-5's last maps
        16
    """
    field, jump = 1, 1
    for layer in layers:
        kernel_size, stride, dilation = (tuple(layer) + (1,))[:3]
        check_positive(kernel_size, "kernel_size")
        check_positive(stride, "stride")
        check_positive(dilation, "dilation")
        field += dilation * (kernel_size - 1) * jump
        jump *= stride
    return field
