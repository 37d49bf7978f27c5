"""Sliding windows as matrices: the trick that turns convolution into one matmul.

``im2col`` copies every receptive field of a padded NCHW batch into a column, so a
convolution becomes ``weight_matrix @ columns``. ``col2im`` is its adjoint: it adds
each column back onto the window it came from (overlaps sum up), which is what a
transposed convolution and the input gradient of a convolution need.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = []  # private helpers


def pad2d(x, pads, value=0.0):
    """Pad (or, for negative amounts, crop) the last two axes.

    ``pads`` is ``((top, bottom), (left, right))``. Cropping is needed where a
    transposed convolution's padding exceeds the rows a kernel adds.
    """
    (top, bottom), (left, right) = pads
    crop = tuple(slice(max(-a, 0), x.shape[axis] - max(-b, 0))
                 for axis, (a, b) in zip((-2, -1), pads))
    x = x[..., crop[0], crop[1]]
    if max(top, bottom, left, right) <= 0:
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    return np.pad(x, widths, constant_values=value)


def windows(x, kernel_size, stride, dilation, output_size):
    """Read-only view ``(N, C, kH, kW, H_out, W_out)`` of every window of padded ``x``.

    ``view[n, c, i, j, p, q] == x[n, c, p*sH + i*dH, q*sW + j*dW]``: no data is copied.
    """
    n, c = x.shape[:2]
    sn, sc, sh, sw = x.strides
    (kh, kw), (strh, strw), (dh, dw), (ho, wo) = kernel_size, stride, dilation, output_size
    return as_strided(x, (n, c, kh, kw, ho, wo),
                      (sn, sc, dh * sh, dw * sw, strh * sh, strw * sw), writeable=False)


def window_slices(kernel_size, stride, dilation, output_size):
    """For each kernel offset ``(i, j)``, the strided slices of the padded input it touches.

    Looping over the few kernel offsets and doing whole-array work on each slice is
    far faster in NumPy than looping over the many output positions.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel_size, stride, dilation, output_size
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            yield (i, j), (Ellipsis, rows, cols)


def im2col(x, groups, kernel_size, stride, dilation, output_size):
    """Columns ``(N, groups, C/groups * kH * kW, H_out * W_out)``, contiguous.

    This layout lets ``weight (groups, O/groups, C/groups*kH*kW) @ columns`` be one
    batched matmul whose result is already NCHW: no transpose of the output.
    """
    n, c = x.shape[:2]
    view = windows(x, kernel_size, stride, dilation, output_size)
    rows = (c // groups) * kernel_size[0] * kernel_size[1]
    return view.reshape(n, groups, rows, output_size[0] * output_size[1])  # the one copy


def col2im(cols, padded_size, stride, dilation):
    """Adjoint of :func:`windows`: sum ``cols (N, C, kH, kW, H_out, W_out)`` into
    an ``(N, C, *padded_size)`` image, each value onto the pixel it was read from."""
    n, c, kh, kw, ho, wo = cols.shape
    image = np.zeros((n, c) + tuple(padded_size), dtype=cols.dtype)
    for (i, j), where in window_slices((kh, kw), stride, dilation, (ho, wo)):
        image[where] += cols[:, :, i, j]
    return image
