"""Output-size, parameter and cost formulas for convolutional layers, on plain ints.

One formula lives in one place: the NumPy layers call these functions to size and place
their windows, the torch and Keras models to check their input sizes, and the book to
explain the sizes. Every size argument takes an int or an ``(height, width)`` pair; the
result is an int when every size argument was an int, otherwise a pair. Bad arguments
raise ``ValueError`` naming the argument, as PyTorch would reject the same layer.

Taught in: chapter 2 (output sizes, padding, stride, dilation), chapter 1 and chapter 8
(parameter counts and costs), chapter 9 (transposed convolutions).
"""
from collections import namedtuple

from cnncourse.validate import is_int, nonnegative, pair, positive

__all__ = [
    "conv2d_output_size",
    "pool2d_output_size",
    "conv_transpose2d_output_size",
    "conv_transpose_output_padding",
    "same_padding",
    "feature_map_size",
    "Windows",
    "conv2d_windows",
    "pool2d_windows",
    "conv_transpose2d_windows",
    "avg_pool2d_window_sizes",
    "conv2d_parameters",
    "linear_parameters",
    "batch_norm_parameters",
    "separable_conv2d_parameters",
    "conv2d_flops",
]


_MAY_BE_ZERO = ("padding", "output_padding")


def _pairs(**named):
    """Turn each named int-or-pair into a pair and check it (paddings >= 0, every other
    size, kernel, stride and dilation >= 1); also say whether any was a pair."""
    pairs = {}
    for name, value in named.items():
        pairs[name] = pair(value, name)
        (nonnegative if name in _MAY_BE_ZERO else positive)(value, name)
    return any(not is_int(v) for v in named.values()), pairs


def _result(any_pair, values):
    return tuple(values) if any_pair else values[0]


def same_padding(kernel_size, dilation=1):
    """Padding ``((top, bottom), (left, right))`` that keeps the size at stride 1.

    Like PyTorch, an even effective kernel puts the extra row/column at the bottom/right.
    """
    k = pair(positive(kernel_size, "kernel_size"), "kernel_size")
    d = pair(positive(dilation, "dilation"), "dilation")
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
            if pair(positive(stride, "stride"), "stride") != (1, 1):
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


def conv_transpose_output_padding(output_size, kernel_size, stride=1, padding=0, dilation=1,
                                  input_size=None):
    """The ``a = (o + 2p - k) % s`` term: output padding that makes a transposed
    convolution produce ``output_size`` (the ``o`` of the texts, i.e. the input size of
    the strided convolution it undoes). With dilation, ``k`` is the extent ``d(k-1)+1``.

    ``input_size``: the transposed convolution's input size, when known. Then the result
    is ``o`` minus the smallest output that input can give, and an ``output_size`` no
    ``output_padding`` in ``[0, max(s, d))`` reaches raises (what torch's
    ``forward(x, output_size=...)`` checks).
    """
    any_pair, a = _pairs(output_size=output_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation)
    inputs = [None, None] if input_size is None else pair(positive(input_size, "input_size"),
                                                          "input_size")
    out = []
    for o, k, s, p, d, i in zip(*a.values(), inputs):
        extent = _check_fits(o, k, 2 * p, d)
        if i is None:
            out.append((o + 2 * p - extent) % s)
            continue
        smallest = (i - 1) * s - 2 * p + extent
        if not 0 <= o - smallest < max(s, d):
            raise ValueError(f"output_size={o} is unreachable from input size {i}: must lie in "
                             f"[{smallest}, {smallest + max(s, d) - 1}]")
        out.append(o - smallest)
    return _result(any_pair, out)


def feature_map_size(input_size, windows, model):
    """Follow a square ``input_size`` through ``windows`` = [(kernel, stride, padding), ...]
    (the downsampling layers of ``model``); raise if the map would vanish, naming ``model``.

    Returns the final side, so a model can size its head from it.
    """
    if not is_int(input_size) or input_size < 1:
        raise ValueError(f"input_size must be an int >= 1, got {input_size!r}")
    size = input_size
    for kernel, stride, padding in windows:
        try:
            size = conv2d_output_size(size, kernel, stride, padding)
        except ValueError:
            raise ValueError(f"input_size={input_size} is too small for {model}: a "
                             f"{kernel}x{kernel} stride-{stride} window would leave an empty "
                             "feature map") from None
    return size


# --- where the windows lie: what the NumPy layers loop over -------------------

# Every field a pair: ``padding`` is ``((top, bottom), (left, right))`` (a negative bottom
# or right amount crops rows no window reads); ``out_size`` is ``(H_out, W_out)``.
Windows = namedtuple("Windows", "kernel stride dilation padding out_size")


def conv2d_windows(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """The windows of ``conv2d``: output ``(p, q)`` reads rows ``p*s + i*d`` and columns
    ``q*s + j*d`` of the padded input. ``padding`` as in :func:`conv2d_output_size`."""
    out_size = pair(conv2d_output_size(input_size, kernel_size, stride, padding, dilation),
                    "output size")
    if padding == "same":
        pads = same_padding(kernel_size, dilation)
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        pads = tuple((p, p) for p in pair(padding, "padding"))
    return Windows(pair(kernel_size, "kernel_size"), pair(stride, "stride"),
                   pair(dilation, "dilation"), pads, out_size)


def pool2d_windows(input_size, kernel_size, stride=None, padding=0, dilation=1,
                   ceil_mode=False):
    """The windows of ``max_pool2d``/``avg_pool2d``; ``stride=None`` means the kernel.

    The bottom/right padding covers exactly the last window: more than ``padding`` with
    ``ceil_mode``, or negative (a crop) when the last rows fall in no window.
    """
    stride = kernel_size if stride is None else stride
    out_size = pair(pool2d_output_size(input_size, kernel_size, stride, padding, dilation,
                                       ceil_mode), "output size")
    kernel, stride, padding, dilation = (pair(kernel_size, "kernel_size"), pair(stride, "stride"),
                                         pair(padding, "padding"), pair(dilation, "dilation"))
    pads = []
    for size, k, s, p, d, o in zip(pair(input_size, "input_size"), kernel, stride, padding,
                                   dilation, out_size):
        needed = (o - 1) * s + d * (k - 1) + 1  # padded extent the windows read
        pads.append((p, needed - size - p))
    return Windows(kernel, stride, dilation, tuple(pads), out_size)


def avg_pool2d_window_sizes(input_size, windows, count_include_pad=True):
    """How many values each ``avg_pool2d`` window averages, per axis: ``(rows, cols)``,
    lists of ints whose outer product divides the window sums, as PyTorch does.

    A window is clipped to the padded input (``count_include_pad``, the zeros count) or to
    the input itself; the extra rows ``ceil_mode`` reads beyond the padding never count.
    """
    counts = []
    for size, k, s, (p, _), o in zip(pair(input_size, "input_size"), windows.kernel,
                                     windows.stride, windows.padding, windows.out_size):
        starts = [q * s - p for q in range(o)]
        ends = [min(start + k, size + p) for start in starts]
        if not count_include_pad:
            starts, ends = [max(a, 0) for a in starts], [min(b, size) for b in ends]
        counts.append([b - a for a, b in zip(starts, ends)])
    return tuple(counts)


def conv_transpose2d_windows(input_size, kernel_size, stride=1, padding=0, output_padding=0,
                             dilation=1):
    """``(windows, output_size)`` of ``conv_transpose2d``: the windows are those of the
    ``conv2d`` it is the adjoint of, over the output padded by ``padding`` (one window per
    input position), and ``output_size`` is :func:`conv_transpose2d_output_size`."""
    out_size = pair(conv_transpose2d_output_size(input_size, kernel_size, stride, padding,
                                                 output_padding, dilation), "output size")
    windows = Windows(pair(kernel_size, "kernel_size"), pair(stride, "stride"),
                      pair(dilation, "dilation"), tuple((p, p) for p in pair(padding, "padding")),
                      pair(input_size, "input_size"))
    return windows, out_size


# --- parameter counts -------------------------------------------------------

def conv2d_parameters(in_channels, out_channels, kernel_size, bias=True, groups=1):
    """Weights ``out * (in / groups) * kH * kW`` plus ``out`` biases."""
    positive(in_channels, "in_channels")
    positive(out_channels, "out_channels")
    positive(groups, "groups")
    kh, kw = pair(positive(kernel_size, "kernel_size"), "kernel_size")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups {groups} must divide in_channels {in_channels} "
                         f"and out_channels {out_channels}")
    return out_channels * (in_channels // groups) * kh * kw + (out_channels if bias else 0)


def linear_parameters(in_features, out_features, bias=True):
    """Weights ``in * out`` plus ``out`` biases (e.g. 784 -> 256: 200,960)."""
    positive(in_features, "in_features")
    positive(out_features, "out_features")
    return in_features * out_features + (out_features if bias else 0)


def batch_norm_parameters(num_features, affine=True):
    """Trainable scale and shift per channel: ``2 * C``.

    The running mean and variance (another ``2 * C`` numbers) are buffers, not
    parameters: PyTorch's ``parameters()`` skips them, Keras counts them as
    non-trainable.
    """
    positive(num_features, "num_features")
    return 2 * num_features if affine else 0


def separable_conv2d_parameters(in_channels, out_channels, kernel_size, depth_multiplier=1,
                                bias=True):
    """Depthwise ``in * m * kH * kW`` + pointwise ``in * m * out`` (+ ``out`` biases),
    as Keras ``SeparableConv2D`` counts it (bias only on the pointwise part).
    """
    positive(depth_multiplier, "depth_multiplier")
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
    positive(batch_size, "batch_size")
    ho, wo = pair(conv2d_output_size(input_size, kernel_size, stride, padding, dilation),
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
        positive(kernel_size, "kernel_size")
        positive(stride, "stride")
        positive(dilation, "dilation")
        field += dilation * (kernel_size - 1) * jump
        jump *= stride
    return field
