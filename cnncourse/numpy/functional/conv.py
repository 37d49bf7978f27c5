"""2-D convolution and transposed convolution in NumPy, with their gradients.

Layouts and arguments follow ``torch.nn.functional``: input NCHW, ``conv2d`` weight
``(C_out, C_in/groups, kH, kW)``, ``conv_transpose2d`` weight ``(C_in, C_out/groups, kH, kW)``.
Like PyTorch, "convolution" here is cross-correlation (the kernel is not flipped).

Two implementations, chosen with ``impl=``:

- ``"loops"``: the textbook sums, one output value (or one input pixel) at a time.
  Slow; written to be read next to the formulas.
- ``"im2col"`` (default): every receptive field copied into a column, then one
  batched matrix product. The backward pass reuses the same pieces, as the texts
  derive it: the weight gradient correlates the input with the output gradient,
  and the input gradient is a transposed convolution of the output gradient (a
  "full" convolution with the 180-degree-rotated kernels).

A transposed convolution is the adjoint of a convolution, so each is written with
the other's parts instead of new code.
"""
from collections import namedtuple

import numpy as np

from cnncourse import shapes
from ._im2col import col2im, im2col, pad2d
from ._validate import (_pair, check_float, check_ndim, check_nonnegative, check_positive,
                        check_shape)

__all__ = ["conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward"]

IMPLS = ("im2col", "loops")

# How the windows of a (padded) convolution input are laid out: enough to run
# a convolution, its weight gradient, or its adjoint.
Windows = namedtuple("Windows", "kernel stride dilation groups out_size")


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
    """Check everything once; return the padded input, its windows and the padding."""
    _check_operands(input, weight, bias, groups, impl, transposed=False)
    kernel = weight.shape[2:]
    out_size = shapes.conv2d_output_size(input.shape[2:], kernel, stride, padding, dilation)
    pads = _padding_pairs(padding, kernel, dilation)
    win = Windows(kernel, _pair(stride, "stride"), _pair(dilation, "dilation"), groups,
                  tuple(out_size))
    return pad2d(input, pads), win, pads


def _add_bias(out, bias):
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


def _forward_im2col(x, weight, win):
    n, o = x.shape[0], weight.shape[0]
    cols = im2col(x, win.groups, win.kernel, win.stride, win.dilation, win.out_size)
    w = weight.reshape(win.groups, o // win.groups, -1)        # (G, O/G, C/G*kH*kW)
    return np.matmul(w, cols).reshape((n, o) + win.out_size)   # (N, G, O/G, L) is NCHW


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


def _weight_grad_im2col(grad_output, x, weight_shape, win):
    # The correlation of the input with the output gradient: each weight meets the
    # input values it multiplied, i.e. the im2col columns. Batched matmul + sum over
    # the batch is much faster than one tensordot over (N, L).
    n, g = x.shape[0], win.groups
    cols = im2col(x, g, win.kernel, win.stride, win.dilation, win.out_size)  # (N, G, K, L)
    dy = grad_output.reshape(n, g, weight_shape[0] // g, -1)                 # (N, G, O/G, L)
    return np.matmul(dy, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight_shape)


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


def _flipped_kernels(weight, groups):
    """Transposed-conv weight ``(C_in, C_out/G, kH, kW)`` as a conv weight
    ``(C_out, C_in/G, kH, kW)``, rotated by 180 degrees."""
    c_in, out_per_group, kh, kw = weight.shape
    w = weight.reshape(groups, c_in // groups, out_per_group, kh, kw).swapaxes(1, 2)
    return w.reshape(groups * out_per_group, c_in // groups, kh, kw)[:, :, ::-1, ::-1]


def _adjoint_im2col(y, weight, win, full_size):
    h, w = y.shape[2:]
    if win.stride == (1, 1):
        # Stride 1: a "full" convolution with the rotated kernels. Pad so every kernel
        # overlap counts; extra bottom/right rows cover output padding.
        (kh, kw), (dh, dw) = win.kernel, win.dilation
        pads = ((dh * (kh - 1), full_size[0] - h), (dw * (kw - 1), full_size[1] - w))
        flipped = Windows(win.kernel, (1, 1), win.dilation, win.groups, tuple(full_size))
        return _forward_im2col(pad2d(y, pads), _flipped_kernels(weight, win.groups), flipped)
    # Strided: a full convolution would multiply mostly inserted zeros, so instead
    # form every scaled kernel copy with one matmul and add them back (col2im).
    n, g = y.shape[0], win.groups
    c_in, out_per_group, kh, kw = weight.shape
    w_t = weight.reshape(g, c_in // g, -1).transpose(0, 2, 1)     # (G, O/G*kH*kW, C/G)
    cols = np.matmul(w_t, y.reshape(n, g, c_in // g, h * w))      # (N, G, O/G*kH*kW, L)
    cols = cols.reshape(n, g * out_per_group, kh, kw, h, w)
    return col2im(cols, full_size, win.stride, win.dilation)


_KERNELS = {
    "loops": (_forward_loops, _weight_grad_loops, _adjoint_loops),
    "im2col": (_forward_im2col, _weight_grad_im2col, _adjoint_im2col),
}


# --- public API ---------------------------------------------------------------

def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           impl="im2col"):
    """2-D convolution (cross-correlation) of an NCHW batch, like ``F.conv2d``.

    ``padding`` is an int, a pair, ``'valid'`` or ``'same'`` (stride 1 only; an odd
    total puts the extra row/column at the bottom/right, as PyTorch does).
    """
    x, win, _ = _conv2d_setup(input, weight, bias, stride, padding, dilation, groups, impl)
    forward = _KERNELS[impl][0]
    return _add_bias(forward(x, weight, win), bias)


def conv2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1, *, impl="im2col"):
    """Gradients of :func:`conv2d`: ``(grad_input, grad_weight, grad_bias)``.

    ``grad_bias`` is ``None`` when ``bias`` is. The input gradient is the transposed
    convolution of ``grad_output``, sized back to the padded input and then cropped.
    """
    x, win, pads = _conv2d_setup(input, weight, bias, stride, padding, dilation, groups, impl)
    _check_grad_output(grad_output, (input.shape[0], weight.shape[0]) + win.out_size,
                       input.dtype)
    _, weight_grad, adjoint = _KERNELS[impl]
    grad_weight = weight_grad(grad_output, x, weight.shape, win)
    grad_padded = adjoint(grad_output, weight, win, x.shape[2:])
    grad_input = pad2d(grad_padded, tuple((-a, -b) for a, b in pads))
    return grad_input, grad_weight, _bias_grad(grad_output, bias)


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
    full = _KERNELS[impl][2](input, weight, win, full_size)
    return _add_bias(pad2d(full, ((-ph, -ph), (-pw, -pw))), bias)


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
    forward, weight_grad, _ = _KERNELS[impl]
    padded = pad2d(grad_output, ((ph, ph), (pw, pw)))
    # A transposed-conv weight (C_in, C_out/G, kH, kW) read as a conv2d weight maps the
    # C_out channels back onto the C_in ones: exactly the adjoint we need.
    grad_input = forward(padded, weight, win)
    grad_weight = weight_grad(input, padded, weight.shape, win)
    return grad_input, grad_weight, _bias_grad(grad_output, bias)
