"""Sliding windows as matrices: the trick that turns convolution into one matmul.

``im2col`` copies every receptive field of a padded NCHW batch into a column, so a
convolution becomes ``weight_matrix @ columns``. ``col2im`` is its adjoint: it adds
each column back onto the window it came from (overlaps sum up), which is what a
transposed convolution and the input gradient of a convolution need.

The convolution keeps its padded input *batch-last* in memory, ``(C, H, W, N)``, seen
through an NCHW view (:func:`pad_batch_last`). Then the columns are ``(C*kH*kW,
H_out*W_out*N)``: one matrix for the whole batch, built by copying long runs (a window
row of all N images is contiguous), and each convolution pass is ONE large matmul
instead of N small ones. That is ~2x faster than per-image columns for LeNet's small
planes and no slower for 64 channels; the price is a transposed copy of the input and
output, which are much smaller than the columns.

With many input channels even that one copy is too dear (for 64 channels and a 3x3
kernel the columns are 9x the input). :class:`Taps` then never builds them: in a
suitable flat layout the columns of one kernel tap are a *contiguous range* of the
input, which a matmul reads in place ("implicit im2col", as in cuDNN's implicit GEMM),
so the convolution is ``kH * kW`` matmuls summed.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._scratch import scratch

__all__ = []  # private helpers


def pad2d(x, pads, value=0.0):
    """Pad (or, for negative amounts, crop) the last two axes.

    ``pads`` is ``((top, bottom), (left, right))``. Cropping is needed where a
    transposed convolution's padding exceeds the rows a kernel adds. Filling a new
    array and copying ``x`` into it is ~3x faster than ``np.pad``.
    """
    crop = tuple(slice(max(-a, 0), x.shape[axis] - max(-b, 0))
                 for axis, (a, b) in zip((-2, -1), pads))
    x = x[..., crop[0], crop[1]]
    (top, bottom), (left, right) = ((max(a, 0), max(b, 0)) for a, b in pads)
    if top == bottom == left == right == 0:
        return x
    h, w = x.shape[-2:]
    shape = x.shape[:-2] + (h + top + bottom, w + left + right)
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[..., top:top + h, left:left + w] = x
    return out


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


def pad_batch_last(x, pads):
    """Zero-padded copy of NCHW ``x`` stored as ``(C, H, W, N)``, returned as an NCHW view.

    ``pads`` is ``((top, bottom), (left, right))``, all >= 0.
    """
    n, c, h, w = x.shape
    (top, bottom), (left, right) = pads
    memory = batch_last(x)
    if top or bottom or left or right:
        padded = np.zeros((c, h + top + bottom, w + left + right, n), x.dtype)
        padded[:, top:top + h, left:left + w] = memory  # runs of W*N: a fast copy
        memory = padded
    return memory.transpose(3, 0, 1, 2)


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
    """Adjoint of :func:`windows`: sum ``cols (N, C, kH, kW, H_out, W_out)`` into
    an ``(N, C, *padded_size)`` image, each value onto the pixel it was read from.

    ``image``: a zeroed NCHW array (or view) to sum into; a new one by default.
    """
    n, c, kh, kw, ho, wo = cols.shape
    if image is None:
        image = np.zeros((n, c) + tuple(padded_size), dtype=cols.dtype)
    for (i, j), where in window_slices((kh, kw), stride, dilation, (ho, wo)):
        image[where] += cols[:, :, i, j]
    return image


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
