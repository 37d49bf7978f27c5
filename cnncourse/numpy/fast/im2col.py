"""Sliding windows as matrices: the trick that turns convolution into one matmul.

``im2col`` copies every receptive field of a padded NCHW batch into a column, so a
convolution becomes ``weight_matrix @ columns``. ``col2im`` is its adjoint: it adds each
column back onto the window it came from (overlaps sum up), which is what the input
gradient of a convolution, and a transposed convolution, need.

The columns of a block of ``n`` images are ``(n, C*kH*kW, H_out*W_out)``: for each image,
row ``(c, i, j)``, column ``(p, q)``, built by one strided copy of the whole block. One
stacked matmul multiplies every image's columns by the weight matrix and writes the
products ``(n, C_out, H_out*W_out)`` straight into the NCHW output. The block is as many
images as fit in about :data:`BLOCK_BYTES` of columns, so the columns stay in the cache
between the copy that writes them and the product that reads them (for 64 channels and a
3x3 kernel the columns of one 32x32 image are 2.4 MB, nine times the image).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnncourse.numpy.fast import parallel
from cnncourse.numpy.fast.layout import pad2d
from cnncourse.numpy.fast.scratch import scratch

__all__ = ["window_slices", "col2im", "Columns", "BLOCK_BYTES"]

# Columns per block, in bytes: about half a core's L2 cache. Fewer, larger blocks make
# larger matrix products but leave the cache before they are read (on the 2-core AMD EPYC
# of the course, 1-2 MB blocks were 10-40 % faster than one block for the whole batch).
BLOCK_BYTES = 1 << 20
# The backward passes multiply over the positions of a block (the weight gradient sums
# over them): larger blocks make those products less thin.
BACKWARD_BLOCK_BYTES = 4 << 20


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


def images_per_block(rows, positions, itemsize, count, budget=None):
    """How many images' columns (``rows x positions`` each) make one block of about
    ``budget`` bytes (:data:`BLOCK_BYTES` by default)."""
    budget = BLOCK_BYTES if budget is None else budget
    return int(min(count, max(1, budget // (rows * positions * itemsize))))


def _by_channel(y, name):
    """NCHW ``y`` as ``(C, N, H*W)`` in the scratch buffer ``name``: the images of each
    channel side by side, as the columns of a block lay out their positions."""
    n, c = y.shape[:2]
    rows = scratch(name, (c, n, y.shape[2] * y.shape[3]), y.dtype)
    np.copyto(rows, y.reshape(n, c, -1).transpose(1, 0, 2))
    return rows


class Columns:
    """Explicit im2col by blocks of images: columns copied, then one matmul per block.

    Built from an input and its windows; ``forward`` and ``weight_grad`` pad each block of
    images, build its columns and multiply them, ``adjoint`` needs no input. Keeping the
    input, not the columns, keeps the cache small: rebuilding a block's columns from it
    costs less than reading them back from memory.
    """

    impl = "im2col"

    def __init__(self, input, win, groups, scratch_name=None):
        self.input, self.win, self.groups = input, win, groups
        n, c = input.shape[:2]
        self.rows = c * win.kernel[0] * win.kernel[1]
        self.positions = win.out_size[0] * win.out_size[1]
        self.block_size = images_per_block(self.rows, self.positions, input.itemsize, n)
        self.backward_block_size = images_per_block(self.rows, self.positions, input.itemsize, n,
                                                    BACKWARD_BLOCK_BYTES)
        self.macs_per_output_channel = n * self.rows // groups * self.positions

    def _columns(self, start, stop, images_first=True):
        """The columns of images ``start:stop``, a scratch buffer (valid until the next
        block), from one copy of a strided view of the padded images,
        ``view[n, c, i, j, p, q] = x[n, c, p*sH + i*dH, q*sW + j*dW]``: for the forward,
        ``(n, G, C/G*kH*kW, H_out*W_out)``, one matrix per image; with ``images_first=False``
        (the weight gradient) ``(G, C/G*kH*kW, n*H_out*W_out)``, one matrix for the block, so
        that one product also sums over the block's images."""
        x, (kh, kw), (sh, sw), (dh, dw) = (self._padded(start, stop), self.win.kernel, self.win.stride,
                                           self.win.dilation)
        n, c = x.shape[:2]
        sn, sc, srow, scol = x.strides
        shape = (n, c, kh, kw) + self.win.out_size
        view = as_strided(x, shape, (sn, sc, dh * srow, dw * scol, sh * srow, sw * scol), writeable=False)
        if not images_first:
            view = view.transpose(1, 2, 3, 0, 4, 5)  # (c, i, j, n, p, q)
        cols = scratch("columns", view.shape, x.dtype)
        np.copyto(cols, view)
        if images_first:
            return cols.reshape(n, self.groups, -1, self.positions)
        return cols.reshape(self.groups, -1, n * self.positions)

    def _padded(self, start, stop):
        """Images ``start:stop`` zero-padded by the windows' padding: a scratch buffer (a
        negative bottom/right padding crops rows no window reads)."""
        x, ((top, bottom), (left, right)) = self.input[start:stop], self.win.padding
        x = x[:, :, :x.shape[2] + min(bottom, 0), :x.shape[3] + min(right, 0)]
        if top == left == max(bottom, 0) == max(right, 0) == 0:
            return x
        n, c, h, w = x.shape
        block = scratch("padded block", (n, c, h + top + max(bottom, 0), w + left + max(right, 0)), x.dtype)
        block[:, :, :top], block[:, :, top + h:] = 0, 0
        block[:, :, :, :left], block[:, :, :, left + w:] = 0, 0
        block[:, :, top:top + h, left:left + w] = x
        return block

    def forward(self, weight, bias=None):
        g, c_out = self.groups, weight.shape[0]
        w = weight.reshape(g, c_out // g, -1)
        out = np.empty((self.input.shape[0], c_out) + self.win.out_size, weight.dtype)

        def block(start, stop):  # images start:stop, into out[start:stop]
            n = stop - start
            np.matmul(w, self._columns(start, stop), out=out[start:stop].reshape(n, g, c_out // g, -1))
            if bias is not None:
                out[start:stop] += bias[:, None, None]

        parallel.over_images(self.input.shape[0], self.block_size, block, c_out * self.macs_per_output_channel)
        return out

    def weight_grad(self, grad_output, weight_shape):
        # The correlation of the input with the output gradient: each weight meets the
        # input values it multiplied, i.e. the columns, summed over positions and images.
        g, c_out = self.groups, weight_shape[0]
        partials = np.zeros((parallel.threads(), g, c_out // g, self.rows // g), grad_output.dtype)

        def block(start, stop):  # this block's share of the sum
            rows = _by_channel(grad_output[start:stop], "im2col grad rows")  # as the block's columns
            cols = self._columns(start, stop, images_first=False)
            partials[parallel.worker()] += np.matmul(rows.reshape(g, c_out // g, -1), cols.transpose(0, 2, 1))

        parallel.over_images(self.input.shape[0], self.backward_block_size, block,
                             c_out * self.macs_per_output_channel)
        return partials.sum(axis=0).reshape(weight_shape)

    @staticmethod
    def adjoint(y, weight, win, groups, full_size):
        """The transposed convolution of ``y`` onto a zero image of ``full_size`` (the
        padded input), cropped by ``win.padding``: a contiguous NCHW array."""
        # Every value of y scales its kernels: one matmul per block forms all those
        # copies as columns, and col2im adds each back onto the window it came from.
        g, (c_y, in_per_group, kh, kw) = groups, weight.shape
        n, positions = y.shape[0], y.shape[2] * y.shape[3]
        w_t = weight.reshape(g, c_y // g, -1).transpose(0, 2, 1)  # (G, C/G*kH*kW, Cy/G)
        image = np.zeros((n, g * in_per_group) + tuple(full_size), y.dtype)
        rows = g * in_per_group * kh * kw

        def block(start, stop):  # the images start:stop of the result
            rows = _by_channel(y[start:stop], "adjoint rows").reshape(g, c_y // g, -1)
            cols = np.matmul(w_t, rows, out=scratch("adjoint columns", w_t.shape[:2] + rows.shape[2:], y.dtype))
            cols = cols.reshape((g * in_per_group, kh, kw, stop - start) + y.shape[2:])
            col2im(cols.transpose(3, 0, 1, 2, 4, 5), full_size, win.stride, win.dilation,
                   image=image[start:stop])

        size = images_per_block(rows, positions, y.itemsize, n, BACKWARD_BLOCK_BYTES)
        parallel.over_images(n, size, block, n * c_y * rows // g * positions)
        return np.ascontiguousarray(pad2d(image, tuple((-a, -b) for a, b in win.padding)))
