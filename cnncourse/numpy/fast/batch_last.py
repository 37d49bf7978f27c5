"""im2col with the batch last in memory, ``(C, H, W, N)``: for layers with few input channels.

With few channels (LeNet's 1 and 6) one image's product ``(C_out x C*kH*kW) @ (C*kH*kW x
H_out*W_out)`` is too thin for BLAS, and on a 10x10 map a window row of one image is 10
values, too short a run for NumPy's copy loops. Stored batch-last, the same window row of
*all* N images is one contiguous run of ``W_out * N`` values: the columns ``(C*kH*kW, H_out*W_out*N)`` of the
whole batch are built by long copies, and each pass of the convolution is ONE large
matmul. The price is a transposed copy of the input and of the output (a blocked
transpose, :func:`transpose2d`), which are much smaller than the columns.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnncourse.numpy.fast.im2col import col2im
from cnncourse.numpy.fast.layout import pad2d
from cnncourse.numpy.fast.scratch import scratch

__all__ = ["BatchLastColumns", "transpose2d", "batch_last", "batch_first"]


def transpose2d(a, block_elements=8192):
    """C-contiguous copy of ``a.T`` for a 2-D ``a``. A tall ``a`` is copied in blocks of
    rows that stay in cache: NumPy's plain copy of a tall transposed array is 2-7x slower
    (for a wide one, NumPy's own copy is the fastest)."""
    rows, cols = a.shape
    if rows <= cols:
        return np.ascontiguousarray(a.T)
    out = np.empty((cols, rows), a.dtype)
    step = max(8, block_elements // max(cols, 1))
    for start in range(0, rows, step):
        out[:, start:start + step] = a[start:start + step].T
    return out


def batch_last(x):
    """Contiguous ``(C, H, W, N)`` copy of NCHW ``x`` (any array with the batch first)."""
    x = np.ascontiguousarray(x)
    return transpose2d(x.reshape(x.shape[0], -1)).reshape(x.shape[1:] + x.shape[:1])


def batch_first(x):
    """Inverse of :func:`batch_last`: contiguous ``(N, C, H, W)`` from ``(C, H, W, N)``."""
    x = np.ascontiguousarray(x)
    return transpose2d(x.reshape(-1, x.shape[-1])).reshape(x.shape[-1:] + x.shape[:-1])


def _pad_batch_last(x, pads):
    """Zero-padded copy of NCHW ``x`` stored as ``(C, H, W, N)``, returned as an NCHW view."""
    (top, bottom), (left, right) = pads
    x = x[:, :, :x.shape[2] + min(bottom, 0), :x.shape[3] + min(right, 0)]  # rows no window reads
    bottom, right, (n, c, h, w) = max(bottom, 0), max(right, 0), x.shape
    memory = batch_last(x)
    if top or bottom or left or right:  # a scratch buffer: only the columns are kept
        padded = scratch("batch-last padded", (c, h + top + bottom, w + left + right, n), x.dtype)
        padded.fill(0)
        padded[:, top:top + h, left:left + w] = memory  # runs of W*N: a fast copy
        memory = padded
    return memory.transpose(3, 0, 1, 2)


def _im2col(x, groups, kernel_size, stride, dilation, output_size, scratch_name=None):
    """Columns ``(groups, C/groups * kH * kW, H_out * W_out * N)`` of a batch-last ``x``:
    row ``(c, i, j)``, column ``(p, q, n)``; in a scratch buffer if ``scratch_name``.

    One copy from a strided view of the input, ``view[c, i, j, p, q, n] =
    source[c, p*sH + i*dH, q*sW + j*dW, n]``: at stride 1, runs of ``W_out * N`` values.
    """
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel_size, stride, dilation, output_size
    source = x.transpose(1, 2, 3, 0)  # (C, H, W, N): contiguous, x is batch-last
    sc, srow, scol, sn = source.strides
    shape = (c, kh, kw, ho, wo, n)
    view = as_strided(source, shape, (sc, dh * srow, dw * scol, sh * srow, sw * scol, sn), writeable=False)
    cols = np.empty(shape, x.dtype) if scratch_name is None else scratch(scratch_name, shape, x.dtype)
    np.copyto(cols, view)
    return cols.reshape(groups, -1, ho * wo * n)


def _to_rows(y, groups):
    """NCHW ``y`` as ``(groups, C/groups, H*W*N)``: the layout of the columns."""
    return batch_last(y).reshape(groups, y.shape[1] // groups, -1)


class BatchLastColumns:
    """Explicit im2col of the whole batch in the batch-last layout, one matmul per pass."""

    impl = "im2col_batch_last"

    def __init__(self, input, win, groups, scratch_name=None):
        self.win, self.groups = win, groups
        self.cols = _im2col(_pad_batch_last(input, win.padding), groups, win.kernel, win.stride,
                            win.dilation, win.out_size, scratch_name)  # (G, C/G*kH*kW, Ho*Wo*N)

    def forward(self, weight, bias=None):
        w = weight.reshape(self.groups, weight.shape[0] // self.groups, -1)
        rows = np.matmul(w, self.cols)  # (G, O/G, Ho*Wo*N)
        out = batch_first(rows.reshape((weight.shape[0],) + self.win.out_size + (-1,)))
        if bias is not None:
            out += bias[:, None, None]
        return out

    def weight_grad(self, grad_output, weight_shape):
        dy = _to_rows(grad_output, self.groups)  # (G, O/G, Ho*Wo*N)
        return np.matmul(dy, self.cols.transpose(0, 2, 1)).reshape(weight_shape)

    @staticmethod
    def adjoint(y, weight, win, groups, full_size):
        """The transposed convolution of ``y`` onto a zero image of ``full_size`` (the
        padded input), cropped by ``win.padding``: a contiguous NCHW array."""
        g, (c_y, in_per_group, kh, kw) = groups, weight.shape
        w_t = weight.reshape(g, c_y // g, -1).transpose(0, 2, 1)  # (G, C/G*kH*kW, Cy/G)
        rows = _to_rows(y, g)
        cols = np.matmul(w_t, rows, out=scratch("adjoint columns", (g, w_t.shape[1], rows.shape[2]), y.dtype))
        cols = cols.reshape((g * in_per_group, kh, kw) + y.shape[2:] + y.shape[:1])  # (G, C/G*kH*kW, H*W*N)
        image = scratch("adjoint image", (g * in_per_group,) + tuple(full_size) + y.shape[:1], y.dtype)
        image.fill(0)
        col2im(cols.transpose(5, 0, 1, 2, 3, 4), full_size, win.stride, win.dilation,
               image=image.transpose(3, 0, 1, 2))  # sums into batch-last memory, runs of W*N
        return np.ascontiguousarray(pad2d(batch_first(image), tuple((-a, -b) for a, b in win.padding)))
