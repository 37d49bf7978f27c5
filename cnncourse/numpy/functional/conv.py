"""2-D convolution and transposed convolution with their gradients, written as the sums.

Layouts and arguments follow ``torch.nn.functional``: input NCHW, ``conv2d`` weight
``(C_out, C_in/groups, kH, kW)``, ``conv_transpose2d`` weight ``(C_in, C_out/groups, kH, kW)``.
Like PyTorch, "convolution" here is cross-correlation (the kernel is not flipped). With
stride ``s``, dilation ``d`` and the input zero-padded, output ``(p, q)`` of channel ``o``
reads the receptive field ``x[n, c, p*s + i*d, q*s + j*d]``:

    forward:        y[n, o, p, q] = b[o] + sum_{c,i,j} x[n, c, p*s + i*d, q*s + j*d] * w[o, c, i, j]
    weight grad:    dw[o, c, i, j] = sum_{n,p,q} dy[n, o, p, q] * x[n, c, p*s + i*d, q*s + j*d]
    input grad:     every dy[n, o, p, q] adds dy * w[o] onto the receptive field it came from

Each function below is that sum, one output position at a time, in a loop a student can
read next to the formula. The switch to the fast engine is the first line of each:

- ``impl="loops"``: these sums (slow; for reading and for checking).
- ``impl="im2col"``: every receptive field copied into a column, one matrix product per
  block of images (:mod:`cnncourse.numpy.fast.im2col`); ``"im2col_batch_last"``: the same
  for the whole batch at once, stored batch-last, for layers with few input channels
  (:mod:`cnncourse.numpy.fast.batch_last`).
- ``impl="winograd"``: Winograd's F(4x4, 3x3), 3x3 stride-1 layers only, 4x fewer
  multiplications (:mod:`cnncourse.numpy.fast.winograd`).
- ``impl="implicit"``: implicit GEMM, the windows read in place, one product per kernel row
  (:mod:`cnncourse.numpy.fast.implicit`).
- ``impl="auto"`` (default): the rule of :func:`cnncourse.numpy.fast.choose`.

A transposed convolution is the adjoint of a convolution (its input gradient), so it is
written with the convolution's functions instead of new sums.

Taught in: chapter 2 (the operation), chapter 3 (loops and im2col), chapter 5 (the
gradients), chapter 9 (transposed convolution).
"""
from collections import namedtuple

import numpy as np

from cnncourse import shapes, validate
from cnncourse.numpy import fast

__all__ = ["conv2d", "conv2d_weight", "conv2d_input", "conv2d_backward", "conv2d_with_cache",
           "conv2d_input_grad_full", "conv_transpose2d", "conv_transpose2d_backward"]

IMPLS = ("auto", "loops", "im2col", "im2col_batch_last", "implicit", "winograd")

# What conv2d_with_cache hands to conv2d_backward: the forward's input and arguments (to
# check the cache is used with them), the implementation that ran, and its lowered input.
ConvCache = namedtuple("ConvCache", "input args impl lowered")


# ----------------------------------------------------------------------------- checks
def _check_layer(input, weight, bias, groups, impl, transposed=False):
    """Validate ranks, dtypes, channels and groups; return the number of output channels."""
    validate.choice(impl, IMPLS, "impl")
    validate.floating(validate.ndim(input, 4, "input", "(N, C, H, W)"), "input")
    layout = "(C_in, C_out/groups, kH, kW)" if transposed else "(C_out, C_in/groups, kH, kW)"
    validate.floating(validate.ndim(weight, 4, "weight", layout), "weight")
    validate.same_dtype(weight, input.dtype, "weight", "input")
    validate.positive(groups, "groups")
    channels = input.shape[1]
    if transposed:
        if weight.shape[0] != channels:
            raise ValueError(f"input has {channels} channels but weight of shape "
                             f"{weight.shape} expects {weight.shape[0]} (weight.shape[0])")
        out_channels, split = weight.shape[1] * groups, channels
    else:
        if weight.shape[1] * groups != channels:
            raise ValueError(f"input has {channels} channels but weight of shape "
                             f"{weight.shape} with groups={groups} expects "
                             f"{weight.shape[1] * groups}")
        out_channels = split = weight.shape[0]
    if channels % groups or split % groups:
        raise ValueError(f"groups={groups} must divide the input channels ({channels}) "
                         f"and the output channels ({out_channels})")
    if bias is not None:
        validate.floating(validate.ndim(bias, 1, "bias", "(C_out,)"), "bias")
        if bias.shape[0] != out_channels or bias.dtype != input.dtype:
            raise ValueError(f"bias must have shape ({out_channels},) and dtype {input.dtype}, "
                             f"got {bias.shape} {bias.dtype}")
    return out_channels


def _conv2d_windows(input, weight, bias, stride, padding, dilation, groups, impl):
    """Check a conv2d's operands; return its :class:`cnncourse.shapes.Windows`."""
    _check_layer(input, weight, bias, groups, impl)
    return shapes.conv2d_windows(input.shape[2:], weight.shape[2:], stride, padding, dilation)


def _check_grad_output(grad_output, shape, dtype):
    validate.shape(grad_output, shape, "grad_output")
    validate.same_dtype(grad_output, dtype, "grad_output", "input")


def _shape_only(shape, dtype, name):
    """A zero-cost array of ``shape`` (no memory): the gradient functions are given only the
    shape of the input or weight, and check it like an array."""
    if len(tuple(shape)) != 4 or not all(validate.is_int(n) and n >= 0 for n in shape):
        raise ValueError(f"{name} must be a shape of 4 sizes, got {shape!r}")
    return np.broadcast_to(np.zeros((), dtype), tuple(shape))


# ----------------------------------------------------------------------------- helpers
def _pad(x, padding):
    """Zero-pad the last two axes by ``((top, bottom), (left, right))``."""
    return np.pad(x, ((0, 0), (0, 0)) + tuple(padding))


def _crop(x, padding):
    """Undo :func:`_pad`: cut ``((top, bottom), (left, right))`` off the last two axes."""
    (top, bottom), (left, right) = padding
    return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]


def _receptive_field(x, p, q, win):
    """The window of padded ``x`` that output ``(p, q)`` reads: ``(N, C, kH, kW)``, a view."""
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    rows = slice(p * sh, p * sh + dh * (kh - 1) + 1, dh)
    cols = slice(q * sw, q * sw + dw * (kw - 1) + 1, dw)
    return x[:, :, rows, cols]


def _channel_groups(weight_shape, groups):
    """``(input channels, output channels)`` of each group, as slices: a group's outputs
    see only its own inputs (``groups=1``: one group with all channels)."""
    out_per_group, in_per_group = weight_shape[0] // groups, weight_shape[1]
    return [(slice(g * in_per_group, (g + 1) * in_per_group),
             slice(g * out_per_group, (g + 1) * out_per_group)) for g in range(groups)]


# ----------------------------------------------------------------------------- conv2d
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, impl="auto"):
    """2-D convolution (cross-correlation) of an NCHW batch, like ``F.conv2d``.

    Args:
        input: the batch, float32 or float64.
        weight: the kernels, one ``(C_in/groups, kH, kW)`` stack per output channel.
        bias: one number per output channel, or None.
        stride, dilation: an int or an ``(h, w)`` pair, >= 1.
        padding: zeros around the input: an int, a pair, ``'valid'`` (none) or ``'same'``
            (stride 1 only; an odd total puts the extra row/column at the bottom/right,
            as PyTorch does).
        groups: split the channels into this many independent convolutions.
        impl: ``"auto"``, ``"loops"`` or a fast implementation (see the module).

    Shape:
        - input: ``(N, C_in, H, W)``
        - weight: ``(C_out, C_in / groups, kH, kW)``
        - bias: ``(C_out,)``
        - output: ``(N, C_out, H_out, W_out)``, ``H_out = floor((H + 2p - d(kH - 1) - 1) / s) + 1``
          (:func:`cnncourse.shapes.conv2d_output_size`)

    Returns:
        The output, a new C-contiguous array of the input's dtype.

    Examples::

        >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
        >>> conv2d(x, np.array([[[[0.0, 1], [2, 3]]]]), impl="loops")
        array([[[[19., 25.],
                 [37., 43.]]]])

    Taught in: chapter 2 (the operation), chapter 3 (loops and im2col).
    """
    win = _conv2d_windows(input, weight, bias, stride, padding, dilation, groups, impl)
    if impl != "loops":  # the fast engine: the same sums as matrix products
        return fast.conv2d(input, weight, bias, win, groups, impl)
    x = _pad(input, win.padding)
    out = np.zeros((input.shape[0], weight.shape[0]) + win.out_size, dtype=input.dtype)
    for cin, cout in _channel_groups(weight.shape, groups):
        for p in range(win.out_size[0]):
            for q in range(win.out_size[1]):
                field = _receptive_field(x, p, q, win)[:, cin]  # (N, C_in/G, kH, kW)
                out[:, cout, p, q] = np.tensordot(field, weight[cout], axes=([1, 2, 3], [1, 2, 3]))
    return out if bias is None else out + bias[:, None, None]


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                  impl="auto", cache=None):
    """The gradient of :func:`conv2d` with respect to its weight, like ``torch.nn.grad.conv2d_weight``.

    Each weight met the input values it multiplied: the gradient is the correlation of
    the (padded) input with the output gradient, summed over the batch.

    Args:
        input: the forward's input.
        weight_size: the weight's shape ``(C_out, C_in/groups, kH, kW)``.
        grad_output: the gradient of the loss with respect to the forward's output.
        stride, padding, dilation, groups: the forward's arguments.
        impl: as in :func:`conv2d`.
        cache: from :func:`conv2d_with_cache` on this same ``input``: the fast engine then
            reuses the forward's lowered input instead of building it again.

    Shape:
        - input: ``(N, C_in, H, W)``
        - grad_output: ``(N, C_out, H_out, W_out)``
        - returned: ``weight_size``

    Taught in: chapter 5 (the weight gradient is a correlation).
    """
    weight = _shape_only(weight_size, getattr(input, "dtype", np.float64), "weight_size")
    win = _conv2d_windows(input, weight, None, stride, padding, dilation, groups, impl)
    _check_grad_output(grad_output, (input.shape[0], weight.shape[0]) + win.out_size, input.dtype)
    lowered = _cached_lowering(cache, input, (stride, padding, dilation, groups), impl)
    if impl != "loops":  # the fast engine: one matrix product with the columns
        return fast.conv2d_weight(input, weight.shape, grad_output, win, groups, impl, lowered)
    x = _pad(input, win.padding)
    grad_weight = np.zeros(weight.shape, dtype=input.dtype)
    for cin, cout in _channel_groups(weight.shape, groups):
        for p in range(win.out_size[0]):
            for q in range(win.out_size[1]):
                field = _receptive_field(x, p, q, win)[:, cin]  # (N, C_in/G, kH, kW)
                grad_weight[cout] += np.tensordot(grad_output[:, cout, p, q], field, axes=(0, 0))
    return grad_weight


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                 impl="auto"):
    """The gradient of :func:`conv2d` with respect to its input, like ``torch.nn.grad.conv2d_input``.

    Every output gradient adds its kernels, scaled, back onto the receptive field it came
    from; the padding's share is dropped. This is the transposed convolution of
    ``grad_output``, and, for stride 1, the "full" convolution with the 180-degree-rotated
    kernels that the texts derive (:func:`conv2d_input_grad_full` spells that out).

    Args:
        input_size: the forward input's shape ``(N, C_in, H, W)``.
        weight: the forward's weight.
        grad_output: the gradient of the loss with respect to the forward's output.
        stride, padding, dilation, groups: the forward's arguments.
        impl: as in :func:`conv2d`.

    Shape:
        - weight: ``(C_out, C_in/groups, kH, kW)``
        - grad_output: ``(N, C_out, H_out, W_out)``
        - returned: ``input_size``

    Taught in: chapter 5 (the input gradient is a full convolution with rotated kernels).
    """
    input = _shape_only(input_size, getattr(weight, "dtype", np.float64), "input_size")
    win = _conv2d_windows(input, weight, None, stride, padding, dilation, groups, impl)
    _check_grad_output(grad_output, (input.shape[0], weight.shape[0]) + win.out_size, weight.dtype)
    if impl != "loops":  # the fast engine: a matrix product, then col2im
        return fast.conv2d_input(input.shape, weight, grad_output, win, groups, impl)
    padded = _pad(np.zeros(input.shape, dtype=weight.dtype), win.padding)
    for cin, cout in _channel_groups(weight.shape, groups):
        for p in range(win.out_size[0]):
            for q in range(win.out_size[1]):
                field = _receptive_field(padded, p, q, win)[:, cin]  # a view: += writes through
                field += np.tensordot(grad_output[:, cout, p, q], weight[cout], axes=(1, 0))
    return np.ascontiguousarray(_crop(padded, win.padding))


def conv2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1, *, impl="auto", cache=None):
    """Gradients of :func:`conv2d`: ``(grad_input, grad_weight, grad_bias)``.

    The input gradient is :func:`conv2d_input`, the weight gradient :func:`conv2d_weight`
    (which reuses ``cache`` from :func:`conv2d_with_cache`), the bias gradient the sum of
    ``grad_output`` over everything but the channels; ``None`` when ``bias`` is.

    Taught in: chapter 5 (backpropagation in CNNs).
    """
    _check_layer(input, weight, bias, groups, impl)
    args = (stride, padding, dilation, groups)
    grad_weight = conv2d_weight(input, weight.shape, grad_output, *args, impl=impl, cache=cache)
    grad_input = conv2d_input(input.shape, weight, grad_output, *args, impl=impl)
    grad_bias = None if bias is None else grad_output.sum(axis=(0, 2, 3))
    return grad_input, grad_weight, grad_bias


def conv2d_with_cache(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
                      impl="auto"):
    """:func:`conv2d` that also returns a cache for :func:`conv2d_backward`.

    ``output, cache = conv2d_with_cache(x, w, b)`` then
    ``conv2d_backward(dy, x, w, b, cache=cache)``: the weight gradient is a matrix product
    with the forward's (explicit or implicit) columns, so keeping them saves building them
    twice. ``input`` must not be changed in between. (The loops keep nothing.)

    Args: as :func:`conv2d`. Shape: as :func:`conv2d`.

    Returns:
        ``(output, cache)``: the output of :func:`conv2d` and a :class:`ConvCache`.

    Taught in: chapter 7 (the NumPy LeNet-5 trains with it).
    """
    win = _conv2d_windows(input, weight, bias, stride, padding, dilation, groups, impl)
    args = (stride, padding, dilation, groups)
    if impl == "loops":
        return conv2d(input, weight, bias, *args, impl="loops"), ConvCache(input, args, impl, None)
    lowered = fast.lower(input, weight.shape, win, groups, impl)
    return lowered.forward(weight, bias), ConvCache(input, args, lowered.impl, lowered)


def _cached_lowering(cache, input, args, impl):
    if cache is None:
        return None
    if not isinstance(cache, ConvCache) or cache.input is not input or cache.args != args \
            or impl not in ("auto", cache.impl):
        raise ValueError("cache must come from conv2d_with_cache called with this same input "
                         "array, the same stride, padding, dilation and groups, and this impl")
    return cache.lowered


def _flipped_kernels(weight, groups):
    """Conv weight ``(C_out, C_in/G, kH, kW)`` as the weight of the convolution that maps
    back, ``(C_in, C_out/G, kH, kW)``, with each kernel rotated by 180 degrees."""
    c_out, in_per_group, kh, kw = weight.shape
    w = weight.reshape(groups, c_out // groups, in_per_group, kh, kw).swapaxes(1, 2)
    return np.ascontiguousarray(w.reshape(groups * in_per_group, c_out // groups, kh, kw)[:, :, ::-1, ::-1])


def conv2d_input_grad_full(grad_output, input_shape, weight, stride=1, padding=0, dilation=1,
                           groups=1):
    """The input gradient of :func:`conv2d` as the texts derive it: a "full" convolution
    of ``grad_output`` with the 180-degree-rotated kernels (input and output channels
    swapped). A stride first spreads ``grad_output`` out with ``stride - 1`` zeros.

    For teaching: :func:`conv2d_input` gets the same numbers without multiplying inserted
    zeros.

    Args: as :func:`conv2d_input` (``input_shape`` is its ``input_size``).

    Shape: as :func:`conv2d_input`; returned: ``input_shape``.

    Taught in: chapter 5 (the input gradient is a full convolution with rotated kernels).
    """
    input = _shape_only(input_shape, weight.dtype, "input_shape")
    win = _conv2d_windows(input, weight, None, stride, padding, dilation, groups, "auto")
    _check_grad_output(grad_output, (input.shape[0], weight.shape[0]) + win.out_size, weight.dtype)
    (sh, sw), (dh, dw), (kh, kw) = win.stride, win.dilation, win.kernel
    padded_size = [n + a + b for n, (a, b) in zip(input.shape[2:], win.padding)]
    spread = np.zeros(grad_output.shape[:2] + ((win.out_size[0] - 1) * sh + 1,
                                               (win.out_size[1] - 1) * sw + 1), grad_output.dtype)
    spread[:, :, ::sh, ::sw] = grad_output
    # Pad so every partial overlap counts; rows/columns the forward windows never
    # reached (bottom/right) get zero gradient.
    full = _pad(spread, ((dh * (kh - 1), padded_size[0] - spread.shape[2]),
                         (dw * (kw - 1), padded_size[1] - spread.shape[3])))
    grad_padded = conv2d(full, _flipped_kernels(weight, groups), dilation=dilation, groups=groups)
    return np.ascontiguousarray(_crop(grad_padded, win.padding))


# ----------------------------------------------------------------------------- transposed
def _transposed_windows(input, weight, bias, stride, padding, output_padding, groups, dilation,
                        impl):
    """Check a conv_transpose2d's operands; return the windows of the conv2d it is the
    adjoint of and the output size."""
    _check_layer(input, weight, bias, groups, impl, transposed=True)
    return shapes.conv_transpose2d_windows(input.shape[2:], weight.shape[2:], stride, padding,
                                           output_padding, dilation)


def _as_conv_output(y, win):
    """``y`` zero-padded at the bottom/right to the conv2d's output size ``win.out_size``:
    an ``output_padding`` of ``stride`` or more (possible with dilation) adds output rows
    that no input position reaches, and their windows just see zeros."""
    extra = [(0, o - n) for o, n in zip(win.out_size, y.shape[2:])]
    return _pad(y, extra) if any(b for _, b in extra) else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, impl="auto"):
    """Transposed convolution ("fractionally strided"), like ``F.conv_transpose2d``.

    It is the adjoint of ``conv2d`` with the same weight and arguments, i.e. that
    convolution's input gradient: every input value stamps a scaled copy of its kernels
    onto the output, ``stride`` apart. ``output_padding`` adds rows/columns at the
    bottom/right to reach one of the sizes a strided convolution maps to the same size.

    Shape:
        - input: ``(N, C_in, H, W)``
        - weight: ``(C_in, C_out / groups, kH, kW)``
        - output: ``(N, C_out, H_out, W_out)``, ``H_out = (H - 1)s - 2p + d(kH - 1) + a + 1``
          (:func:`cnncourse.shapes.conv_transpose2d_output_size`)

    Taught in: chapter 9 (transposed convolution).
    """
    _, out_size = _transposed_windows(input, weight, bias, stride, padding, output_padding,
                                      groups, dilation, impl)
    out_shape = (input.shape[0], weight.shape[1] * groups) + out_size
    conv_args = (stride, padding, dilation, groups)
    win = shapes.conv2d_windows(out_size, weight.shape[2:], stride, padding, dilation)
    output = conv2d_input(out_shape, weight, _as_conv_output(input, win), *conv_args, impl=impl)
    return output if bias is None else output + bias[:, None, None]


def conv_transpose2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1, *, impl="auto"):
    """Gradients of :func:`conv_transpose2d`: ``(grad_input, grad_weight, grad_bias)``.

    The adjoint of an adjoint is the convolution itself: ``grad_input`` is ``conv2d`` of
    ``grad_output`` with the same weight, and ``grad_weight`` is conv2d's weight gradient
    with the roles of input and output gradient swapped.

    Taught in: chapter 9 (transposed convolution).
    """
    _, out_size = _transposed_windows(input, weight, bias, stride, padding, output_padding,
                                      groups, dilation, impl)
    _check_grad_output(grad_output, (input.shape[0], weight.shape[1] * groups) + out_size,
                       input.dtype)
    conv_args = (stride, padding, dilation, groups)
    rows, cols = input.shape[2:]
    grad_input = conv2d(grad_output, weight, None, *conv_args, impl=impl)[:, :, :rows, :cols]
    win = shapes.conv2d_windows(out_size, weight.shape[2:], stride, padding, dilation)
    grad_weight = conv2d_weight(grad_output, weight.shape, _as_conv_output(input, win),
                                *conv_args, impl=impl)
    grad_bias = None if bias is None else grad_output.sum(axis=(0, 2, 3))
    return np.ascontiguousarray(grad_input), grad_weight, grad_bias
