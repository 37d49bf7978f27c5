"""Sliding windows as matrices: the trick that turns convolution into one matmul.

``im2col`` copies every receptive field of a padded NCHW batch into a column, so a
convolution becomes ``weight_matrix @ columns``. ``col2im`` is its adjoint: it adds
each column back onto the window it came from (overlaps sum up), which is what a
transposed convolution and the input gradient of a convolution need.

The padded input is kept *batch-last* in memory, ``(C, H, W, N)``, seen through an NCHW
view (:func:`cnncourse.numpy.fast.layout.pad_batch_last`). Then the columns are
``(C*kH*kW, H_out*W_out*N)``: one matrix for the whole batch, built by copying long runs
(a window row of all N images is contiguous), and each convolution pass is ONE large
matmul instead of N small ones. The price is a transposed copy of the input and output,
which are much smaller than the columns.
"""
import numpy as np

from cnncourse.numpy.fast.layout import batch_first, batch_last, pad2d, pad_batch_last

__all__ = ["window_slices", "im2col", "col2im", "Columns"]


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
    """Columns ``(groups, C/groups * kH * kW, H_out * W_out * N)``, contiguous.

    Row ``(c, i, j)`` holds ``x[n, c, p*sH + i*dH, q*sW + j*dW]`` at column
    ``(p, q, n)``, so ``weight (groups, O/groups, C/groups*kH*kW) @ columns`` is the
    whole convolution, ``(O, H_out, W_out, N)``. Fast when ``x`` is batch-last in
    memory (:func:`pad_batch_last`); correct for any NCHW array.
    """
    n, c = x.shape[:2]
    (kh, kw), (ho, wo) = kernel_size, output_size
    cols = np.empty((c, kh, kw, ho, wo, n), x.dtype)
    source = x.transpose(1, 2, 3, 0)  # (C, H, W, N): contiguous when x is batch-last
    for (i, j), where in window_slices(kernel_size, stride, dilation, output_size):
        cols[:, i, j] = source[where + (slice(None),)]  # one tap: runs of W_out*N values
    return cols.reshape(groups, -1, ho * wo * n)


def col2im(cols, padded_size, stride, dilation, image=None):
    """Adjoint of the windows: sum ``cols (N, C, kH, kW, H_out, W_out)`` into an
    ``(N, C, *padded_size)`` image, each value onto the pixel it was read from.

    ``image``: a zeroed NCHW array (or view) to sum into; a new one by default.
    """
    n, c, kh, kw, ho, wo = cols.shape
    if image is None:
        image = np.zeros((n, c) + tuple(padded_size), dtype=cols.dtype)
    for (i, j), where in window_slices((kh, kw), stride, dilation, (ho, wo)):
        image[where] += cols[:, :, i, j]
    return image


def _to_nchw(rows, size):
    """Matmul result ``(C, H*W*N)`` as a contiguous NCHW array."""
    return batch_first(rows.reshape((-1,) + tuple(size) + (rows.shape[-1] // (size[0] * size[1]),)))


def to_rows(y, groups):
    """NCHW ``y`` as ``(groups, C/groups, H*W*N)``: the layout of im2col's columns."""
    return batch_last(y).reshape(groups, y.shape[1] // groups, -1)


def add_bias(out, bias):
    """``out + bias`` per channel, as a C-contiguous NCHW array (``out`` may be a view)."""
    out = np.ascontiguousarray(out)
    if bias is not None:
        out += bias[:, None, None]
    return out


def cropped(image, crop):
    """``image`` without ``crop = ((top, bottom), (left, right))``, C-contiguous."""
    return np.ascontiguousarray(pad2d(image, tuple((-a, -b) for a, b in crop)))


class Columns:
    """Explicit im2col: every receptive field copied into a column, then one matmul.

    Built from an input and its windows (the input is "lowered" once); ``forward`` and
    ``weight_grad`` are products with the columns, ``adjoint`` needs no input.
    """

    impl = "im2col"

    def __init__(self, input, win, groups, scratch_name=None):
        self.win, self.groups = win, groups
        self.cols = im2col(pad_batch_last(input, win.padding), groups, win.kernel, win.stride,
                           win.dilation, win.out_size)  # (G, C/G*kH*kW, Ho*Wo*N)

    def forward(self, weight, bias=None):
        w = weight.reshape(self.groups, weight.shape[0] // self.groups, -1)
        return add_bias(_to_nchw(np.matmul(w, self.cols), self.win.out_size), bias)

    def weight_grad(self, grad_output, weight_shape):
        # The correlation of the input with the output gradient: each weight meets the
        # input values it multiplied, i.e. the columns, summed over positions and batch.
        dy = to_rows(grad_output, self.groups)  # (G, O/G, Ho*Wo*N)
        return np.matmul(dy, self.cols.transpose(0, 2, 1)).reshape(weight_shape)

    @staticmethod
    def adjoint(y, weight, win, groups, full_size):
        """The transposed convolution of ``y`` onto a zero image of ``full_size`` (the
        padded input), cropped by ``win.padding``: a contiguous NCHW array."""
        # Every value of y scales its kernels: one matmul forms all those copies as
        # columns, and col2im adds each back onto the window it came from.
        g, (c_out, in_per_group, kh, kw) = groups, weight.shape
        w_t = weight.reshape(g, c_out // g, -1).transpose(0, 2, 1)  # (G, C/G*kH*kW, O/G)
        cols = np.matmul(w_t, to_rows(y, g))                        # (G, C/G*kH*kW, H*W*N)
        cols = cols.reshape((g * in_per_group, kh, kw) + y.shape[2:] + y.shape[:1])
        image = np.zeros((g * in_per_group,) + tuple(full_size) + y.shape[:1], y.dtype)
        col2im(cols.transpose(5, 0, 1, 2, 3, 4), full_size, win.stride, win.dilation,
               image=image.transpose(3, 0, 1, 2))  # sums into batch-last memory, runs of W*N
        return cropped(batch_first(image), win.padding)
