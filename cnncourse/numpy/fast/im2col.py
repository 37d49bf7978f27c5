"""Sliding windows as matrices: the trick that turns convolution into one matmul.

``im2col`` copies every receptive field of a padded NCHW batch into a column, so a
convolution becomes ``weight_matrix @ columns``. ``col2im`` is its adjoint: it adds each
column back onto the window it came from (overlaps sum up), which is what the input
gradient of a convolution, and a transposed convolution, need.

The columns of a block of ``n`` images are ``(C*kH*kW, n*H_out*W_out)``: row ``(c, i, j)``,
column ``(image, p, q)``. Each kernel tap ``(i, j)`` fills a band of rows with one strided
copy of the whole block, the product with the weight matrix is ``(C_out, n, H_out*W_out)``,
and each image's slice of it is already that image's NCHW output. The block is as many
images as fit in about :data:`BLOCK_BYTES` of columns, so the columns stay in the cache
between the copy that writes them and the product that reads them (for 64 channels and a
3x3 kernel the columns of one 32x32 image are 2.4 MB, nine times the image).
"""
import numpy as np

from cnncourse.numpy.fast.layout import pad2d
from cnncourse.numpy.fast.scratch import scratch

__all__ = ["window_slices", "col2im", "Columns", "BLOCK_BYTES"]

# Columns per block, in bytes: about the size of a core's L2 cache. Fewer, larger blocks
# make larger matrix products but leave the cache before they are read (measured in
# benchmarks/conv.py; 1-4 MB are within a few % of each other on the course machines).
BLOCK_BYTES = 2 << 20


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


def images_per_block(rows, positions, itemsize, count):
    """How many images' columns (``rows x positions`` each) make one block."""
    return int(min(count, max(1, BLOCK_BYTES // (rows * positions * itemsize))))


def _blocks(count, size):
    return [(start, min(start + size, count)) for start in range(0, count, size)]


class Columns:
    """Explicit im2col by blocks of images: columns copied, then one matmul per block.

    Built from an input and its windows (the input is "lowered": padded once); ``forward``
    and ``weight_grad`` build each block's columns and multiply them, ``adjoint`` needs no
    input. Keeping the padded input, not the columns, keeps the cache small: rebuilding a
    block's columns from it costs less than reading them back from memory.
    """

    impl = "im2col"

    def __init__(self, input, win, groups, scratch_name=None):
        self.win, self.groups = win, groups
        self.padded = pad2d(input, win.padding)  # (N, C, H + pads, W + pads)
        n, c = input.shape[:2]
        self.rows = c * win.kernel[0] * win.kernel[1]
        self.positions = win.out_size[0] * win.out_size[1]
        self.blocks = _blocks(n, images_per_block(self.rows, self.positions, input.itemsize, n))

    def _columns(self, start, stop):
        """The columns of images ``start:stop``: ``(G, C/G*kH*kW, n*H_out*W_out)``, a scratch
        buffer (valid until the next block)."""
        x, (kh, kw) = self.padded[start:stop], self.win.kernel
        n, c = x.shape[:2]
        cols = scratch("columns", (c, kh, kw, n) + self.win.out_size, x.dtype)
        for (i, j), where in window_slices(*self._geometry()):
            cols[:, i, j] = x[where].transpose(1, 0, 2, 3)  # one tap, all images of the block
        return cols.reshape(self.groups, -1, n * self.positions)

    def _geometry(self):
        return self.win.kernel, self.win.stride, self.win.dilation, self.win.out_size

    def forward(self, weight, bias=None):
        g, c_out = self.groups, weight.shape[0]
        w = weight.reshape(g, c_out // g, -1)
        out = np.empty((self.padded.shape[0], c_out) + self.win.out_size, weight.dtype)
        for start, stop in self.blocks:
            if stop - start == 1:  # one image: the product is its output, written in place
                np.matmul(w, self._columns(start, stop), out=out[start].reshape(g, c_out // g, -1))
                continue
            product = np.matmul(w, self._columns(start, stop))  # (G, O/G, n * Ho*Wo)
            product = product.reshape(c_out, stop - start, self.positions)
            out[start:stop].reshape(stop - start, c_out, self.positions)[...] = product.transpose(1, 0, 2)
        if bias is not None:
            out += bias[:, None, None]
        return out

    def weight_grad(self, grad_output, weight_shape):
        # The correlation of the input with the output gradient: each weight meets the
        # input values it multiplied, i.e. the columns, summed over positions and images.
        g, c_out = self.groups, weight_shape[0]
        grad = np.zeros((g, c_out // g, self.rows // g), grad_output.dtype)
        for start, stop in self.blocks:
            dy = grad_output[start:stop].reshape(stop - start, c_out, self.positions)
            dy = np.ascontiguousarray(dy.transpose(1, 0, 2)).reshape(g, c_out // g, -1)
            grad += np.matmul(dy, self._columns(start, stop).transpose(0, 2, 1))
        return grad.reshape(weight_shape)

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
        for start, stop in _blocks(n, images_per_block(rows, positions, y.itemsize, n)):
            dy = y[start:stop].reshape(stop - start, c_y, positions).transpose(1, 0, 2)
            dy = np.ascontiguousarray(dy).reshape(g, c_y // g, -1)
            cols = np.matmul(w_t, dy).reshape((g * in_per_group, kh, kw, stop - start) + y.shape[2:])
            col2im(cols.transpose(3, 0, 1, 2, 4, 5), full_size, win.stride, win.dilation,
                   image=image[start:stop])
        return np.ascontiguousarray(pad2d(image, tuple((-a, -b) for a, b in win.padding)))
