"""2-D convolution and transposed convolution in NumPy, with their gradients.

Layouts and arguments follow ``torch.nn.functional``: input NCHW, ``conv2d`` weight
``(C_out, C_in/groups, kH, kW)``, ``conv_transpose2d`` weight ``(C_in, C_out/groups, kH, kW)``.
Like PyTorch, "convolution" here is cross-correlation (the kernel is not flipped).

Two implementations, chosen with ``impl=``:

- ``"loops"``: the textbook sums, one output value (or one input pixel) at a time.
  Slow; written to be read next to the formulas.
- ``"im2col"`` (default): every receptive field copied into a column, then one
  batched matrix product. The backward pass is two more products on the same pieces,
  which ARE the convolutions the texts derive: ``grad_output @ columns.T`` is the
  correlation of the input with the output gradient (the weight gradient), and
  ``weight.T @ grad_output`` followed by ``col2im`` is the transposed convolution of
  the output gradient, i.e. the "full" convolution with the 180-degree-rotated
  kernels (:func:`conv2d_input_grad_full` spells that version out; tests check
  that both agree). :func:`conv2d_with_cache` keeps the forward's columns so the
  weight gradient need not build them again. With 8 or more input channels per group
  (``IMPLICIT_MIN_CHANNELS``) the columns are never copied: in a flat layout of the
  input the columns of one kernel row are a strided view, and the one matrix product
  becomes ``kH`` products summed (implicit im2col, :class:`_im2col.Taps`); the stride-1
  input gradient is then computed as the texts write it, a forward "full" convolution
  with the rotated kernels. Same numbers, 2-3x faster there.

A transposed convolution is the adjoint of a convolution, so each is written with
the other's parts instead of new code.
"""
from collections import namedtuple

import numpy as np

from cnncourse import shapes
from ._im2col import Taps, batch_first, batch_last, col2im, im2col, pad2d, pad_batch_last
from ._validate import (_pair, check_float, check_ndim, check_nonnegative, check_positive,
                        check_shape)

__all__ = ["conv2d", "conv2d_backward", "conv2d_with_cache", "conv2d_input_grad_full",
           "conv_transpose2d", "conv_transpose2d_backward"]

IMPLS = ("im2col", "loops")

# How the windows of a (padded) convolution input are laid out: enough to run
# a convolution, its weight gradient, or its adjoint.
Windows = namedtuple("Windows", "kernel stride dilation groups out_size")

# What conv2d_with_cache hands to conv2d_backward: the forward's input and arguments
# (to check the cache is used with them) and the lowered input (its columns).
ConvCache = namedtuple("ConvCache", "input args lowered")


# --- argument checks --------------------------------------------------------

def _check_operands(input, weight, bias, groups, impl, transposed):
    """Validate ranks, dtypes, channels and groups; return ``(C_in_per_group, C_out)``."""
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    check_float(check_ndim(input, 4, "input", "(N, C, H, W)"), "input")
    check_float(check_ndim(weight, 4, "weight", "(C_out, C_in/groups, kH, kW)"), "weight")
    if weight.dtype != input.dtype:
        raise ValueError(f"weight dtype {weight.dtype} differs from input dtype {input.dtype}")
    check_positive(groups, "groups")
    channels = input.shape[1]
    if transposed:  # weight (C_in, C_out/groups, kH, kW)
        if weight.shape[0] != channels:
            raise ValueError(f"input has {channels} channels but weight of shape "
                             f"{weight.shape} expects {weight.shape[0]} (weight.shape[0])")
        out_channels = weight.shape[1] * groups
        split = channels
    else:  # weight (C_out, C_in/groups, kH, kW)
        if weight.shape[1] * groups != channels:
            raise ValueError(f"input has {channels} channels but weight of shape "
                             f"{weight.shape} with groups={groups} expects "
                             f"{weight.shape[1] * groups}")
        out_channels = weight.shape[0]
        split = out_channels
    if channels % groups or split % groups:
        raise ValueError(f"groups={groups} must divide the input channels ({channels}) "
                         f"and the output channels ({out_channels})")
    if bias is not None:
        check_float(check_ndim(bias, 1, "bias", "(C_out,)"), "bias")
        if bias.shape[0] != out_channels or bias.dtype != input.dtype:
            raise ValueError(f"bias must have shape ({out_channels},) and dtype {input.dtype}, "
                             f"got {bias.shape} {bias.dtype}")
    return out_channels


def _check_grad_output(grad_output, shape, dtype):
    check_shape(grad_output, shape, "grad_output")
    if grad_output.dtype != dtype:
        raise ValueError(f"grad_output dtype {grad_output.dtype} differs from input dtype {dtype}")


def _padding_pairs(padding, kernel, dilation):
    """``((top, bottom), (left, right))`` for an int, a pair, 'valid' or 'same'."""
    if padding == "same":
        return shapes.same_padding(kernel, dilation)
    if padding == "valid":
        return ((0, 0), (0, 0))
    ph, pw = _pair(check_nonnegative(padding, "padding"), "padding")
    return ((ph, ph), (pw, pw))


def _conv2d_setup(input, weight, bias, stride, padding, dilation, groups, impl):
    """Check everything once; return the windows and the padding."""
    _check_operands(input, weight, bias, groups, impl, transposed=False)
    kernel = weight.shape[2:]
    out_size = shapes.conv2d_output_size(input.shape[2:], kernel, stride, padding, dilation)
    pads = _padding_pairs(padding, kernel, dilation)
    win = Windows(kernel, _pair(stride, "stride"), _pair(dilation, "dilation"), groups,
                  tuple(out_size))
    return win, pads


def _add_bias(out, bias):
    """``out + bias`` per channel, as a C-contiguous NCHW array (``out`` may be a view)."""
    out = np.ascontiguousarray(out)
    if bias is not None:
        out += bias[:, None, None]
    return out


def _bias_grad(grad_output, bias):
    return None if bias is None else grad_output.sum(axis=(0, 2, 3))


# --- the three kernels of every convolution, in two implementations ----------
# forward:        out[n, o, p, q] = sum_{c,i,j} x[n, c, p*s + i*d, q*s + j*d] * w[o, c, i, j]
# weight grad:    dw[o, c, i, j]  = sum_{n,p,q} dy[n, o, p, q] * x[n, c, p*s + i*d, q*s + j*d]
# adjoint (input grad / transposed conv): scatter dy[n, o, p, q] * w[o, c, :, :] back
#                 onto the window of x it came from.

def _window(x, p, q, win):
    """The receptive field of output position ``(p, q)`` in padded ``x``: ``(N, C, kH, kW)``."""
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    return x[:, :, p * sh:p * sh + dh * (kh - 1) + 1:dh, q * sw:q * sw + dw * (kw - 1) + 1:dw]


def _forward_loops(x, weight, win):
    out_channels, in_per_group = weight.shape[:2]
    out_per_group = out_channels // win.groups
    out = np.zeros((x.shape[0], out_channels) + win.out_size, dtype=x.dtype)
    for o in range(out_channels):
        first = o // out_per_group * in_per_group  # the input channels of o's group
        for p in range(win.out_size[0]):
            for q in range(win.out_size[1]):
                field = _window(x, p, q, win)[:, first:first + in_per_group]
                out[:, o, p, q] = np.sum(field * weight[o], axis=(1, 2, 3))
    return out


def _weight_grad_loops(grad_output, x, weight_shape, win):
    out_channels, in_per_group = weight_shape[:2]
    out_per_group = out_channels // win.groups
    grad_weight = np.zeros(weight_shape, dtype=x.dtype)
    for o in range(out_channels):
        first = o // out_per_group * in_per_group
        for p in range(win.out_size[0]):
            for q in range(win.out_size[1]):
                field = _window(x, p, q, win)[:, first:first + in_per_group]
                grad_weight[o] += np.tensordot(grad_output[:, o, p, q], field, axes=(0, 0))
    return grad_weight


def _adjoint_loops(y, weight, win, full_size):
    """Each value of ``y`` stamps its kernels, scaled, onto the window it came from."""
    in_channels, out_per_group = weight.shape[:2]
    in_per_group = in_channels // win.groups
    out = np.zeros((y.shape[0], out_per_group * win.groups) + tuple(full_size), dtype=y.dtype)
    for c in range(in_channels):
        first = c // in_per_group * out_per_group  # the output channels of c's group
        for p in range(y.shape[2]):
            for q in range(y.shape[3]):
                target = _window(out, p, q, win)[:, first:first + out_per_group]
                target += y[:, c, p, q, None, None, None] * weight[c]
    return out


def _to_nchw(rows, size):
    """Matmul result ``(C, H*W*N)`` as a contiguous NCHW array."""
    return batch_first(rows.reshape((-1,) + tuple(size) + (rows.shape[-1] // (size[0] * size[1]),)))


def _to_rows(y, groups):
    """NCHW ``y`` as ``(groups, C/groups, H*W*N)``: the layout of im2col's columns."""
    return batch_last(y).reshape(groups, y.shape[1] // groups, -1)


# An input is "lowered" once for the forward pass (its receptive fields made into
# matrices); the weight gradient reuses the lowered input (conv2d_with_cache keeps it).

class _LoweredLoops:
    """The loops implementation keeps the padded input as it is."""

    def __init__(self, input, pads, win):
        self.x, self.win = pad2d(input, pads), win

    def forward(self, weight, bias=None):
        return _add_bias(_forward_loops(self.x, weight, self.win), bias)

    def weight_grad(self, grad_output, weight_shape):
        return _weight_grad_loops(grad_output, self.x, weight_shape, self.win)

    @staticmethod
    def adjoint(y, weight, win, full_size, crop):
        return _cropped(_adjoint_loops(y, weight, win, full_size), crop)


class _Columns:
    """Explicit im2col: every receptive field copied into a column, then one matmul."""

    def __init__(self, input, pads, win):
        self.win = win
        self.cols = im2col(pad_batch_last(input, pads), win.groups, win.kernel, win.stride,
                           win.dilation, win.out_size)  # (G, C/G*kH*kW, Ho*Wo*N)

    def forward(self, weight, bias=None):
        w = weight.reshape(self.win.groups, weight.shape[0] // self.win.groups, -1)
        return _add_bias(_to_nchw(np.matmul(w, self.cols), self.win.out_size), bias)

    def weight_grad(self, grad_output, weight_shape):
        # The correlation of the input with the output gradient: each weight meets the
        # input values it multiplied, i.e. the columns, summed over positions and batch.
        dy = _to_rows(grad_output, self.win.groups)  # (G, O/G, Ho*Wo*N)
        return np.matmul(dy, self.cols.transpose(0, 2, 1)).reshape(weight_shape)

    @staticmethod
    def adjoint(y, weight, win, full_size, crop):
        # Every value of y scales its kernels: one matmul forms all those copies as
        # columns, and col2im adds each back onto the window it came from.
        g, (c_in, out_per_group, kh, kw) = win.groups, weight.shape
        w_t = weight.reshape(g, c_in // g, -1).transpose(0, 2, 1)  # (G, O/G*kH*kW, C/G)
        cols = np.matmul(w_t, _to_rows(y, g))                      # (G, O/G*kH*kW, H*W*N)
        cols = cols.reshape((g * out_per_group, kh, kw) + y.shape[2:] + y.shape[:1])
        image = np.zeros((g * out_per_group,) + tuple(full_size) + y.shape[:1], y.dtype)
        col2im(cols.transpose(5, 0, 1, 2, 3, 4), full_size, win.stride, win.dilation,
               image=image.transpose(3, 0, 1, 2))  # sums into batch-last memory, runs of W*N
        return _cropped(batch_first(image), crop)


def _taps(padded_shape, dtype, win):
    return Taps(padded_shape, dtype, win.groups, win.kernel, win.stride, win.dilation,
                win.out_size)


class _ImplicitColumns:
    """Implicit im2col (:class:`Taps`): one matmul per kernel row on a view of the input,
    summed. The columns are never built: with many channels they would cost the most."""

    def __init__(self, input, pads, win, scratch_name=None):
        (top, bottom), (left, right) = pads
        n, c, h, w = input.shape
        self.win = win
        self.taps = _taps((n, c, h + top + bottom, w + left + right), input.dtype, win)
        self.taps.load(input, pads, scratch_name)

    def forward(self, weight, bias=None):
        taps, g = self.taps, self.win.groups
        acc, part = taps.empty_rows("sum", weight.shape[0]), None
        for i in range(self.win.kernel[0]):
            if i == 0:
                np.matmul(_kernel_row(weight, i, g), taps.columns(i), out=acc)
            else:
                part = taps.empty_rows("part", weight.shape[0]) if part is None else part
                acc += np.matmul(_kernel_row(weight, i, g), taps.columns(i), out=part)
        return taps.from_grid(acc, bias)

    def weight_grad(self, grad_output, weight_shape):
        dy = self.taps.to_grid(grad_output)  # (G, O/G, length), junk columns zero
        o, cg, kh, kw = weight_shape
        grad_weight = np.empty((o, kh, kw, cg), grad_output.dtype)
        for i in range(kh):
            # (G, kW*C/G, O/G): this orientation is the faster one for BLAS here
            rows = np.matmul(self.taps.columns(i), dy.transpose(0, 2, 1))
            grad_weight[:, i] = rows.transpose(0, 2, 1).reshape(o, kw, cg)
        return grad_weight.transpose(0, 3, 1, 2).copy()

    @staticmethod
    def adjoint(y, weight, win, full_size, crop):
        if win.stride == (1, 1):
            return _full_convolution(y, weight, win, full_size, crop)
        # Each kernel row's share of the input gradient, w_row^T @ dy, lands on the
        # place its columns were read from (places overlap: they add up).
        g, in_per_group = win.groups, weight.shape[1]
        taps = _taps((y.shape[0], g * in_per_group) + tuple(full_size), y.dtype, win)
        dy, matrix = taps.to_grid(y), taps.zeros("gradient matrix")
        part = taps.empty_rows("part", g * weight.shape[1] * win.kernel[1])
        for i in range(win.kernel[0]):
            w_t = _kernel_row(weight, i, g).transpose(0, 2, 1)
            window = taps.window(matrix, i)
            if i == 0:
                np.matmul(w_t, dy, out=window)  # the matrix is still all zero
            else:
                window += np.matmul(w_t, dy, out=part)
        return taps.unload(matrix, crop)


def _full_convolution(y, weight, win, full_size, crop):
    """Stride 1: the adjoint as the texts derive it, a "full" convolution of ``y`` (padded
    by ``d*(k-1)``) with the 180-degree-rotated kernels, input and output channels
    swapped. It is computed as a forward pass, the fastest one; the padding that
    ``crop`` removes is simply not padded (or ``y`` is cropped instead)."""
    pads = []
    for axis, (k, d, (top, bottom)) in enumerate(zip(win.kernel, win.dilation, crop)):
        reach = d * (k - 1)
        extra = full_size[axis] - (y.shape[2 + axis] + reach)  # rows no window reached
        pads.append((reach - top, reach - bottom + extra))
    size = tuple(n - a - b for n, (a, b) in zip(full_size, crop))
    flipped = np.ascontiguousarray(_flipped_kernels(weight, win.groups))
    back = Windows(win.kernel, (1, 1), win.dilation, win.groups, size)
    return _lower(y, tuple(pads), flipped.shape, back, "im2col",
                  scratch_name="gradient matrix").forward(flipped)


def _kernel_row(weight, i, groups):
    """Row ``i`` of every kernel as ``(G, O/G, kW * C/G)`` matrices, columns ``(j, c)``:
    the order of the rows of :meth:`Taps.columns`."""
    o, cg, _, kw = weight.shape
    return weight[:, :, i, :].transpose(0, 2, 1).reshape(groups, o // groups, kw * cg)


# From this many input channels per group on, implicit im2col is as fast as copying the
# columns or faster (2x for 32 channels, forward + backward; measured on the course
# machine for 3x3 and 5x5 kernels). With fewer, its per-row matmuls are too thin
# (LeNet's 6-channel layer: columns 25 % faster).
IMPLICIT_MIN_CHANNELS = 8


def _lowering(in_per_group, impl):
    if impl == "loops":
        return _LoweredLoops
    return _ImplicitColumns if in_per_group >= IMPLICIT_MIN_CHANNELS else _Columns


def _lower(input, pads, weight_shape, win, impl, scratch_name=None):
    """``input``'s receptive fields, padded by ``pads``, made ready for matrix products.

    ``scratch_name``: the lowered input only lives during this call (not cached), so
    implicit im2col may keep its matrix in a scratch buffer of that name.
    """
    kind = _lowering(weight_shape[1], impl)
    if kind is _ImplicitColumns:
        return kind(input, pads, win, scratch_name)
    return kind(input, pads, win)


def _adjoint(y, weight, win, full_size, crop, impl):
    """The transposed convolution of ``y`` onto a padded input of ``full_size``, with
    ``crop = ((top, bottom), (left, right))`` cut off: a contiguous NCHW array."""
    return _lowering(weight.shape[1], impl).adjoint(y, weight, win, full_size, crop)


def _cropped(image, crop):
    return np.ascontiguousarray(pad2d(image, tuple((-a, -b) for a, b in crop)))


# --- public API ---------------------------------------------------------------

def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           impl="im2col"):
    """2-D convolution (cross-correlation) of an NCHW batch, like ``F.conv2d``.

    ``padding`` is an int, a pair, ``'valid'`` or ``'same'`` (stride 1 only; an odd
    total puts the extra row/column at the bottom/right, as PyTorch does).
    """
    win, pads = _conv2d_setup(input, weight, bias, stride, padding, dilation, groups, impl)
    return _lower(input, pads, weight.shape, win, impl, "input matrix").forward(weight, bias)


def conv2d_with_cache(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """:func:`conv2d` (im2col) that also returns a cache for :func:`conv2d_backward`.

    ``output, cache = conv2d_with_cache(x, w, b)`` then
    ``conv2d_backward(dy, x, w, b, cache=cache)``: the weight gradient is a matmul with
    the forward's (explicit or implicit) columns, so keeping them saves building them
    twice. ``input`` must not be changed in between.
    """
    win, pads = _conv2d_setup(input, weight, bias, stride, padding, dilation, groups, "im2col")
    lowered = _lower(input, pads, weight.shape, win, "im2col")
    output = lowered.forward(weight, bias)
    return output, ConvCache(input, (stride, padding, dilation, groups), lowered)


def _cached_lowering(cache, input, args, impl):
    if cache is None:
        return None
    if not isinstance(cache, ConvCache) or impl != "im2col" or cache.input is not input \
            or cache.args != args:
        raise ValueError("cache must come from conv2d_with_cache called with this same input "
                         "array and the same stride, padding, dilation and groups")
    return cache.lowered


def conv2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1, *, impl="im2col", cache=None):
    """Gradients of :func:`conv2d`: ``(grad_input, grad_weight, grad_bias)``.

    ``grad_bias`` is ``None`` when ``bias`` is. The input gradient is the transposed
    convolution of ``grad_output``, sized back to the padded input and then cropped.
    ``cache`` (from :func:`conv2d_with_cache`) reuses the forward's columns.
    """
    win, pads = _conv2d_setup(input, weight, bias, stride, padding, dilation, groups, impl)
    _check_grad_output(grad_output, (input.shape[0], weight.shape[0]) + win.out_size,
                       input.dtype)
    lowered = _cached_lowering(cache, input, (stride, padding, dilation, groups), impl)
    if lowered is None:
        lowered = _lower(input, pads, weight.shape, win, impl, "input matrix")
    grad_weight = lowered.weight_grad(grad_output, weight.shape)
    padded_size = tuple(n + a + b for n, (a, b) in zip(input.shape[2:], pads))
    grad_input = _adjoint(grad_output, weight, win, padded_size, pads, impl)
    return grad_input, grad_weight, _bias_grad(grad_output, bias)


def _flipped_kernels(weight, groups):
    """Conv weight ``(C_out, C_in/G, kH, kW)`` as the weight of the convolution that maps
    back, ``(C_in, C_out/G, kH, kW)``, with each kernel rotated by 180 degrees."""
    c_out, in_per_group, kh, kw = weight.shape
    w = weight.reshape(groups, c_out // groups, in_per_group, kh, kw).swapaxes(1, 2)
    return w.reshape(groups * in_per_group, c_out // groups, kh, kw)[:, :, ::-1, ::-1]


def conv2d_input_grad_full(grad_output, input_shape, weight, stride=1, padding=0, dilation=1,
                           groups=1):
    """The input gradient of :func:`conv2d` as the texts derive it: a "full" convolution
    of ``grad_output`` with the 180-degree-rotated kernels (input and output channels
    swapped). A stride first spreads ``grad_output`` out with ``stride - 1`` zeros.

    For teaching: :func:`conv2d_backward` gets the same numbers without multiplying
    inserted zeros (a matmul and ``col2im``, or, for a stride of 1 and many channels,
    this very full convolution run on implicit columns).
    """
    dummy = np.empty(input_shape, dtype=weight.dtype)
    win, pads = _conv2d_setup(dummy, weight, None, stride, padding, dilation, groups, "im2col")
    padded_size = tuple(n + a + b for n, (a, b) in zip(input_shape[2:], pads))
    _check_grad_output(grad_output, (input_shape[0], weight.shape[0]) + win.out_size,
                       weight.dtype)
    (sh, sw), (dh, dw), (kh, kw) = win.stride, win.dilation, win.kernel
    ho, wo = win.out_size
    spread = np.zeros(grad_output.shape[:2] + ((ho - 1) * sh + 1, (wo - 1) * sw + 1),
                      grad_output.dtype)
    spread[:, :, ::sh, ::sw] = grad_output
    # Pad so every partial overlap counts; rows/columns the forward windows never
    # reached (bottom/right) get zero gradient.
    full = pad2d(spread, ((dh * (kh - 1), padded_size[0] - spread.shape[2]),
                          (dw * (kw - 1), padded_size[1] - spread.shape[3])))
    grad_padded = conv2d(full, np.ascontiguousarray(_flipped_kernels(weight, groups)),
                         dilation=dilation, groups=groups)
    return pad2d(grad_padded, tuple((-a, -b) for a, b in pads))


def _conv_transpose2d_setup(input, weight, bias, stride, padding, output_padding, groups,
                            dilation, impl):
    """Check everything once; return the windows the matching conv2d would use."""
    _check_operands(input, weight, bias, groups, impl, transposed=True)
    kernel = weight.shape[2:]
    out_size = shapes.conv_transpose2d_output_size(input.shape[2:], kernel, stride, padding,
                                                   output_padding, dilation)
    ph, pw = _pair(padding, "padding")
    # The matching conv2d reads the padded output; its windows are the input positions.
    win = Windows(kernel, _pair(stride, "stride"), _pair(dilation, "dilation"), groups,
                  tuple(input.shape[2:]))
    return win, (ph, pw), tuple(out_size)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, impl="im2col"):
    """Transposed convolution ("fractionally strided"), like ``F.conv_transpose2d``.

    It is the adjoint of ``conv2d`` with the same arguments: every input value stamps a
    scaled copy of its kernels onto the output, ``stride`` apart. ``output_padding``
    adds rows/columns at the bottom/right to reach one of the sizes a strided
    convolution maps to the same output size.
    """
    win, (ph, pw), out_size = _conv_transpose2d_setup(
        input, weight, bias, stride, padding, output_padding, groups, dilation, impl)
    full_size = (out_size[0] + 2 * ph, out_size[1] + 2 * pw)
    output = _adjoint(input, weight, win, full_size, ((ph, ph), (pw, pw)), impl)
    return _add_bias(output, bias)


def conv_transpose2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1, *, impl="im2col"):
    """Gradients of :func:`conv_transpose2d`: ``(grad_input, grad_weight, grad_bias)``.

    The adjoint of an adjoint is the convolution itself: ``grad_input`` is ``conv2d``
    of ``grad_output``, and ``grad_weight`` is conv2d's weight gradient with the roles
    of input and output gradient swapped.
    """
    win, (ph, pw), out_size = _conv_transpose2d_setup(
        input, weight, bias, stride, padding, output_padding, groups, dilation, impl)
    _check_grad_output(grad_output, (input.shape[0], weight.shape[1] * groups) + out_size,
                       input.dtype)
    # A transposed-conv weight (C_in, C_out/G, kH, kW) read as a conv2d weight maps the
    # C_out channels back onto the C_in ones: exactly the adjoint we need.
    lowered = _lower(grad_output, ((ph, ph), (pw, pw)), weight.shape, win, impl,
                     "input matrix")
    grad_input = np.ascontiguousarray(lowered.forward(weight))
    grad_weight = lowered.weight_grad(input, weight.shape)
    return grad_input, grad_weight, _bias_grad(grad_output, bias)
