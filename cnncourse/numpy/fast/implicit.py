"""Implicit im2col ("implicit GEMM", as in cuDNN): the columns of one kernel row as a
shifted view of the input, so the convolution is ``kH`` matrix products summed.

With many input channels, copying every receptive field into a column costs the most (for
64 channels and a 3x3 kernel the columns are 9x the input). :class:`Taps` never builds
them: in a suitable flat layout the columns of one kernel row are a *contiguous range* of
the input, which a matmul reads in place. The stride-1 input gradient is then computed as
the texts write it, a forward "full" convolution with the rotated kernels.
"""
import numpy as np

from cnncourse.numpy.fast.scratch import scratch

__all__ = ["Taps", "ImplicitColumns"]


class Taps:
    """Implicit im2col: the columns of one kernel *row* as a shifted view of the input.

    The padded input ``(N, C, H, W)`` is split into ``sH * sW`` stride phases (phase
    ``(a, b)`` holds rows ``a, a + sH, ...`` and columns ``b, b + sW, ...``), each stored
    ``(C, Hq, N, Wq)`` (the images' rows interleaved) and flattened per channel: pixel
    ``(u, n, v)`` at ``(u*N + n) * Wq + v``. Output ``(p, n, q)`` under tap ``(i, j)``
    reads phase ``(i*dH % sH, j*dW % sW)`` at that index plus
    ``(i*dH // sH) * N*Wq + j*dW // sW``: for all outputs at once, a contiguous range of
    every channel row, shifted by the tap.

    For each kernel column ``j`` the matrix keeps a copy of the phase it reads, already
    shifted by ``j*dW // sW``, as rows ``(j, c)`` of one block: then the columns of all
    ``kW`` taps of kernel row ``i`` are ONE strided matrix ``(kW*C, positions)`` that BLAS
    reads in place, and a convolution is ``kH`` matrix products summed (the explicit
    columns would be ``kH``x bigger still; one product per tap would mean ``kH*kW``
    thin products and as many sums). Outputs at ``q >= W_out`` read across a row end:
    they are junk, cut away from outputs and zero in gradients (for a 3x3 "same" layer
    on 32x32 images, 6 % extra work).

    Built from the padded shape, so that it serves a forward pass (:meth:`load` an
    input) and an adjoint (:meth:`unload` a gradient) alike. Matrices are
    ``(row phases, G, kW * C/G, row)``; output rows ``(G, O/G, H_out*N*Wq)``.
    """

    def __init__(self, shape, dtype, groups, kernel_size, stride, dilation, output_size):
        n, c, hp, wp = shape
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel_size, stride, dilation, output_size
        reach_h, self.reach_w = (kh - 1) * dh // sh, (kw - 1) * dw // sw
        hq, wq = max(-(-hp // sh), ho + reach_h), max(-(-wp // sw), wo + self.reach_w)
        self.shape, self.dtype, self.groups, self.kw = tuple(shape), dtype, groups, kw
        self.stride, self.out_size, self.grid = (sh, sw), (ho, wo), (hq, n, wq)
        self.length = ho * n * wq                        # the outputs' flat range
        self.row = hq * n * wq + self.reach_w            # a matrix row, with the longest shift
        # kernel row i: (row phase, start of its columns); kernel column j: (column
        # phase, where its shifted copy of the phase starts in a row)
        self.rows = [(i * dh % sh, self.reach_w + (i * dh // sh) * n * wq) for i in range(kh)]
        self.cols = [(j * dw % sw, self.reach_w - j * dw // sw) for j in range(kw)]
        self.matrix = None

    def _empty(self, name=None):
        """An uninitialized matrix; from the scratch pool under ``name`` if given."""
        shape = (self.stride[0], self.groups, self.kw * self.shape[1] // self.groups, self.row)
        return np.empty(shape, self.dtype) if name is None else scratch(name, shape, self.dtype)

    def zeros(self, name=None):
        """An all-zero matrix: ``(row phases, G, kW * C/G, row)``."""
        matrix = self._empty(name)
        matrix[...] = 0
        return matrix

    def _block(self, matrix, a, j):
        """The rows of kernel column ``j`` in row phase ``a``: ``(G, C/G, row)``, a view."""
        g, cg = self.groups, self.shape[1] // self.groups
        return matrix[a].reshape(g, self.kw, cg, self.row)[:, j]

    def _images(self, block, j):
        """A block from :meth:`_block` as the phase images ``(G, C/G, Hq, N, Wq)``."""
        start, size = self.cols[j][1], self.grid[0] * self.grid[1] * self.grid[2]
        return block[..., start:start + size].reshape(block.shape[:2] + self.grid)

    def _copies(self):
        """Kernel columns that read the same column phase hold the same images, shifted:
        ``(j, first j of that phase, shift)``, where ``block_j[m] == block_first[m + shift]``."""
        first = {}
        for j, (b, start) in enumerate(self.cols):
            j0 = first.setdefault(b, j)
            yield j, j0, self.cols[j0][1] - start

    def _interior(self, pads, size):
        """Per row phase ``a`` and column phase (named by its first kernel column ``j``):
        the part of the phase image that holds input pixels (not padding), and where in
        the unpadded input those pixels are (strided slices)."""
        (top, _), (left, _) = pads
        (sh, sw), (hp, wp) = self.stride, self.shape[2:]
        for a in range(sh):
            rows = range(a, hp, sh)
            r = [u for u, pr in enumerate(rows) if 0 <= pr - top < size[0]]
            for j, j0, _ in self._copies():
                cols = range(self.cols[j][0], wp, sw)
                q = [v for v, pc in enumerate(cols) if 0 <= pc - left < size[1]]
                if j == j0 and r and q:  # (negative pads crop: the slices stop with the block)
                    first_row, first_col = rows[r[0]] - top, cols[q[0]] - left
                    yield (a, j, slice(r[0], r[-1] + 1), slice(q[0], q[-1] + 1),
                           slice(first_row, first_row + (len(r) - 1) * sh + 1, sh),
                           slice(first_col, first_col + (len(q) - 1) * sw + 1, sw))

    def _by_group(self, x):
        """NCHW ``x`` as ``(G, C/G, H, N, W)`` (a view)."""
        n, c, h, w = x.shape
        return x.transpose(1, 2, 0, 3).reshape(self.groups, c // self.groups, h, n, w)

    def load(self, x, pads=((0, 0), (0, 0)), scratch_name=None):
        """Store ``x`` (NCHW), padded by ``pads`` (negative: cropped), in the matrix (a
        scratch buffer if ``scratch_name`` is given); returns self."""
        matrix, source = self._empty(scratch_name), self._by_group(x)
        for a in range(self.stride[0]):
            for j, j0, _ in self._copies():
                if j == j0:
                    self._block(matrix, a, j)[...] = 0  # padding and junk stay zero
        for a, j, u, v, rows, cols in self._interior(pads, x.shape[2:]):
            self._images(self._block(matrix, a, j), j)[..., u, :, v] = source[..., rows, :, cols]
        for a in range(self.stride[0]):
            for j, j0, shift in self._copies():
                if j != j0:  # one flat copy instead of another strided one
                    block = self._block(matrix, a, j)
                    block[..., :self.row - shift] = self._block(matrix, a, j0)[..., shift:]
                    block[..., self.row - shift:] = 0
        self.matrix = matrix
        return self

    def unload(self, matrix, pads=((0, 0), (0, 0))):
        """Adjoint of :meth:`load`: the input's gradient, a contiguous NCHW array (the
        padding's share is dropped). ``matrix`` is summed into in place."""
        (top, bottom), (left, right) = pads
        n, c, hp, wp = self.shape
        size = (hp - top - bottom, wp - left - right)
        for a in range(self.stride[0]):
            for j, j0, shift in self._copies():
                if j != j0:
                    self._block(matrix, a, j0)[..., shift:] += \
                        self._block(matrix, a, j)[..., :self.row - shift]
        image = np.zeros((n, c) + size, self.dtype)
        target = self._by_group(image)
        for a, j, u, v, rows, cols in self._interior(pads, size):
            target[..., rows, :, cols] += self._images(self._block(matrix, a, j), j)[..., u, :, v]
        return image

    def columns(self, i):
        """The columns of kernel row ``i``, ``(G, kW*C/G, length)``: a view, no copy."""
        return self.window(self.matrix, i)

    def window(self, matrix, i):
        """Where the columns of kernel row ``i`` are in ``matrix`` (to add gradients into)."""
        a, start = self.rows[i]
        return matrix[a, :, :, start:start + self.length]

    def to_grid(self, y):
        """NCHW ``y`` (``N, O, Ho, Wo``) as rows ``(G, O/G, length)``, junk zero: a
        scratch buffer."""
        (ho, wo), (n, o) = self.out_size, y.shape[:2]
        rows = scratch("grid", (o, ho, n, self.grid[2]), y.dtype)
        rows[..., :wo] = y.transpose(1, 2, 0, 3)
        rows[..., wo:] = 0
        return rows.reshape(self.groups, o // self.groups, -1)

    def empty_rows(self, name, channels):
        """Scratch output rows ``(G, channels/G, length)``."""
        return scratch(name, (self.groups, channels // self.groups, self.length), self.dtype)

    def from_grid(self, rows, bias=None):
        """Rows ``(G, O/G, length)`` as a new contiguous NCHW array (junk dropped), plus
        ``bias`` per channel if given: one pass over the memory for both."""
        (ho, wo), o = self.out_size, rows.shape[0] * rows.shape[1]
        images = rows.reshape(o, ho, self.grid[1], self.grid[2])[..., :wo].transpose(2, 0, 1, 3)
        if bias is None:
            return np.ascontiguousarray(images)
        return np.add(images, bias[:, None, None], out=np.empty(images.shape, images.dtype))


def _taps(padded_shape, dtype, win, groups):
    return Taps(padded_shape, dtype, groups, win.kernel, win.stride, win.dilation, win.out_size)


class ImplicitColumns:
    """Implicit im2col (:class:`Taps`): one matmul per kernel row on a view of the input,
    summed. The columns are never built: with many channels they would cost the most."""

    impl = "implicit"

    def __init__(self, input, win, groups, scratch_name=None):
        (top, bottom), (left, right) = win.padding
        n, c, h, w = input.shape
        self.win, self.groups = win, groups
        self.taps = _taps((n, c, h + top + bottom, w + left + right), input.dtype, win, groups)
        self.taps.load(input, win.padding, scratch_name)

    def forward(self, weight, bias=None):
        taps, g = self.taps, self.groups
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
    def adjoint(y, weight, win, groups, full_size):
        """The transposed convolution of ``y`` onto a zero image of ``full_size`` (the
        padded input), cropped by ``win.padding``: a contiguous NCHW array."""
        if win.stride == (1, 1):
            return _full_convolution(y, weight, win, groups, full_size)
        # Each kernel row's share of the input gradient, w_row^T @ dy, lands on the
        # place its columns were read from (places overlap: they add up).
        in_per_group = weight.shape[1]
        taps = _taps((y.shape[0], groups * in_per_group) + tuple(full_size), y.dtype, win, groups)
        dy, matrix = taps.to_grid(y), taps.zeros("gradient matrix")
        part = taps.empty_rows("part", groups * in_per_group * win.kernel[1])
        for i in range(win.kernel[0]):
            w_t = _kernel_row(weight, i, groups).transpose(0, 2, 1)
            window = taps.window(matrix, i)
            if i == 0:
                np.matmul(w_t, dy, out=window)  # the matrix is still all zero
            else:
                window += np.matmul(w_t, dy, out=part)
        return taps.unload(matrix, win.padding)


def flipped_kernels(weight, groups):
    """Conv weight ``(C_out, C_in/G, kH, kW)`` as the weight of the convolution that maps
    back, ``(C_in, C_out/G, kH, kW)``, with each kernel rotated by 180 degrees."""
    c_out, in_per_group, kh, kw = weight.shape
    w = weight.reshape(groups, c_out // groups, in_per_group, kh, kw).swapaxes(1, 2)
    return np.ascontiguousarray(w.reshape(groups * in_per_group, c_out // groups, kh, kw)[:, :, ::-1, ::-1])


def _full_convolution(y, weight, win, groups, full_size):
    """Stride 1: the adjoint as the texts derive it, a "full" convolution of ``y`` (padded
    by ``d*(k-1)``) with the 180-degree-rotated kernels, input and output channels
    swapped. It is computed as a forward pass, the fastest one; the padding that
    ``win.padding`` removes is simply not padded (or ``y`` is cropped instead)."""
    pads = []
    for axis, (k, d, (top, bottom)) in enumerate(zip(win.kernel, win.dilation, win.padding)):
        reach = d * (k - 1)
        extra = full_size[axis] - (y.shape[2 + axis] + reach)  # rows no window reached
        pads.append((reach - top, reach - bottom + extra))
    size = tuple(n - a - b for n, (a, b) in zip(full_size, win.padding))
    back = win._replace(stride=(1, 1), padding=tuple(pads), out_size=size)
    flipped = flipped_kernels(weight, groups)
    return ImplicitColumns(y, back, groups, scratch_name="gradient matrix").forward(flipped)


def _kernel_row(weight, i, groups):
    """Row ``i`` of every kernel as ``(G, O/G, kW * C/G)`` matrices, columns ``(j, c)``:
    the order of the rows of :meth:`Taps.columns`."""
    o, cg, _, kw = weight.shape
    return weight[:, :, i, :].transpose(0, 2, 1).reshape(groups, o // groups, kw * cg)
