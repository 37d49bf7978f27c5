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

from cnncourse.numpy.fast import parallel
from cnncourse.numpy.fast.im2col import col2im
from cnncourse.numpy.fast.layout import pad2d
from cnncourse.numpy.fast.scratch import scratch

__all__ = ["BatchLastColumns", "transpose2d", "batch_last", "batch_first"]


def transpose2d(a, block_elements=8192, out=None):
    """C-contiguous copy of ``a.T`` for a 2-D ``a`` (into ``out`` if given). A tall ``a`` is
    copied in blocks of rows that stay in cache: NumPy's plain copy of a tall transposed
    array is 2-7x slower (for a wide one, NumPy's own copy is the fastest)."""
    rows, cols = a.shape
    out = np.empty((cols, rows), a.dtype) if out is None else out
    if rows <= cols:
        np.copyto(out, a.T)
        return out
    step = max(8, block_elements // max(cols, 1))
    for start in range(0, rows, step):
        out[:, start:start + step] = a[start:start + step].T
    return out


def batch_last(x, out=None):
    """Contiguous ``(C, H, W, N)`` copy of NCHW ``x`` (any array with the batch first),
    into ``out`` if given."""
    x = np.ascontiguousarray(x)
    shape = x.shape[1:] + x.shape[:1]
    out = None if out is None else out.reshape(-1, x.shape[0])
    return transpose2d(x.reshape(x.shape[0], -1), out=out).reshape(shape)


def batch_first(x, out=None):
    """Inverse of :func:`batch_last`: contiguous ``(N, C, H, W)`` from ``(C, H, W, N)``,
    into ``out`` (a contiguous array of that shape) if given."""
    x = np.ascontiguousarray(x)
    shape = x.shape[-1:] + x.shape[:-1]
    out = None if out is None else out.reshape(x.shape[-1], -1)
    return transpose2d(x.reshape(-1, x.shape[-1]), out=out).reshape(shape)


def _pad_batch_last(x, pads):
    """Zero-padded copy of NCHW ``x`` stored as ``(C, H, W, N)``, returned as an NCHW view."""
    (top, bottom), (left, right) = pads
    x = x[:, :, :x.shape[2] + min(bottom, 0), :x.shape[3] + min(right, 0)]  # rows no window reads
    bottom, right, (n, c, h, w) = max(bottom, 0), max(right, 0), x.shape
    memory = batch_last(x, out=scratch("batch-last input", (c, h, w, n), x.dtype))
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


def _to_rows(y, groups, name):
    """NCHW ``y`` as ``(groups, C/groups, H*W*N)``, the layout of the columns: a scratch buffer."""
    rows = batch_last(y, out=scratch(name, y.shape[1:] + y.shape[:1], y.dtype))
    return rows.reshape(groups, y.shape[1] // groups, -1)


class BatchLastColumns:
    """Explicit im2col in the batch-last layout: one matmul per pass and worker.

    Each worker of :mod:`~cnncourse.numpy.fast.parallel` takes an equal share of the
    images, with its own batch-last columns; with one thread that is the whole batch.
    """

    impl = "im2col_batch_last"

    def __init__(self, input, win, groups, scratch_name=None):
        self.input, self.win, self.groups, self.scratch_name = input, win, groups, scratch_name
        self.cols = {}  # (start, stop) -> the columns of those images, kept for the backward

    def _columns(self, start, stop):
        """Columns ``(G, C/G*kH*kW, Ho*Wo*n)`` of images ``start:stop``: built once, kept
        unless they live in a scratch buffer (a forward-only call)."""
        cols = self.cols.get((start, stop))
        if cols is None:
            win = self.win
            cols = _im2col(_pad_batch_last(self.input[start:stop], win.padding), self.groups, win.kernel,
                           win.stride, win.dilation, win.out_size, self.scratch_name)
            if self.scratch_name is None:
                self.cols[(start, stop)] = cols
        return cols

    def _shares(self, work):
        n = self.input.shape[0]
        return parallel.over_images(n, n, work)  # one block per worker: the whole share

    def forward(self, weight, bias=None):
        w = weight.reshape(self.groups, weight.shape[0] // self.groups, -1)
        out = np.empty((self.input.shape[0], weight.shape[0]) + self.win.out_size, weight.dtype)

        def share(start, stop):
            cols = self._columns(start, stop)
            rows = np.matmul(w, cols, out=scratch("batch-last rows", w.shape[:2] + cols.shape[2:], w.dtype))
            batch_first(rows.reshape((weight.shape[0],) + self.win.out_size + (-1,)), out=out[start:stop])
            if bias is not None:
                out[start:stop] += bias[:, None, None]

        self._shares(share)
        return out

    def weight_grad(self, grad_output, weight_shape):
        g = self.groups
        partials = np.zeros((parallel.threads(), g, weight_shape[0] // g, int(np.prod(weight_shape[1:]))),
                            grad_output.dtype)

        def share(start, stop):
            dy = _to_rows(grad_output[start:stop], g, "batch-last grad rows")  # (G, O/G, Ho*Wo*n)
            partials[parallel.worker()] += np.matmul(dy, self._columns(start, stop).transpose(0, 2, 1))

        self._shares(share)
        return partials.sum(axis=0).reshape(weight_shape)

    @staticmethod
    def adjoint(y, weight, win, groups, full_size):
        """The transposed convolution of ``y`` onto a zero image of ``full_size`` (the
        padded input), cropped by ``win.padding``: a contiguous NCHW array."""
        g, (c_y, in_per_group, kh, kw) = groups, weight.shape
        w_t = weight.reshape(g, c_y // g, -1).transpose(0, 2, 1)  # (G, C/G*kH*kW, Cy/G)
        crop = tuple((-a, -b) for a, b in win.padding)
        out = np.empty((y.shape[0], g * in_per_group) + tuple(n - a - b for n, (a, b) in zip(full_size, win.padding)),
                       y.dtype)

        def share(start, stop):
            part = y[start:stop]
            rows = _to_rows(part, g, "batch-last adjoint rows")
            cols = np.matmul(w_t, rows, out=scratch("adjoint columns", (g, w_t.shape[1], rows.shape[2]), y.dtype))
            cols = cols.reshape((g * in_per_group, kh, kw) + part.shape[2:] + part.shape[:1])
            image = scratch("adjoint image", (g * in_per_group,) + tuple(full_size) + part.shape[:1], y.dtype)
            image.fill(0)
            col2im(cols.transpose(5, 0, 1, 2, 3, 4), full_size, win.stride, win.dilation,
                   image=image.transpose(3, 0, 1, 2))  # sums into batch-last memory, runs of W*N
            whole = batch_first(image, out=scratch("adjoint whole", part.shape[:1] + image.shape[:-1], y.dtype))
            out[start:stop] = pad2d(whole, crop)

        parallel.over_images(y.shape[0], y.shape[0], share)
        return out
