"""Winograd's minimal filtering F(4x4, 3x3): a 3x3, stride-1 convolution with 4x fewer
multiplications (Lavin and Gray, *Fast Algorithms for Convolutional Neural Networks*, 2016).

The output is cut into 4x4 tiles; each needs a 6x6 tile of the input. With
``BT`` (6x6), ``G`` (6x3) and ``AT`` (4x6) below, one tile of one channel pair is

    Y = AT [ (G w G^T) * (BT d BT^T) ] AT^T          (* element by element)

so summed over input channels, the 36 element positions of the transformed tiles are 36
independent matrix products ``U[e] (C_out x C_in) @ V[e] (C_in x tiles)``: 36 * C_out * C_in
multiplications per 16 outputs instead of 9 * 16 * C_out * C_in. The transforms are small
matrix products too (``kron(BT, BT)`` on the 36 values of each input tile, ``kron(AT, AT)``
on each output tile). The price is rounding: in float32 the result differs from a direct
convolution by about 1e-5 of the output's scale (1e-6 for the direct sum); in float64 by
about 1e-13.

Only the forward pass (and, as its "full" convolution with rotated kernels, the stride-1
input gradient) goes this way; the weight gradient is a correlation with the large output
gradient as its "kernel", computed with explicit columns.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnncourse.numpy.fast import parallel
from cnncourse.numpy.fast.im2col import Columns
from cnncourse.numpy.fast.scratch import scratch

__all__ = ["Winograd", "applies"]

BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], np.float64)
M, R = 4, 3          # output tile side, kernel side
A = M + R - 1        # input tile side (6)

# Transformed tiles per block, in bytes (the 36 x C_in x tiles matrix of one block).
BLOCK_BYTES = 2 << 20


def applies(kernel, stride, dilation):
    """Winograd F(4x4, 3x3) computes exactly these convolutions."""
    return tuple(kernel) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)


def _kernels(weight, groups):
    """``U[e] = (G w G^T)[e]`` for every kernel: ``(36, G, C_out/G, C_in/G)``."""
    c_out, in_per_group = weight.shape[:2]
    rows = np.tensordot(G, weight.astype(np.float64), axes=(1, 2))  # (6, O, C, 3): G w
    u = np.tensordot(rows, G, axes=(3, 1)).transpose(0, 3, 1, 2)    # (6, 6, O, C): G w G^T
    return np.ascontiguousarray(u.reshape(A * A, groups, c_out // groups, in_per_group), weight.dtype)


_TRANSFORMS = {}


def _transforms(dtype):
    """``kron(BT, BT)`` (36 x 36, on the 36 values of an input tile) and ``kron(AT, AT).T``
    (36 x 16, from a transformed tile to a 4x4 output tile), in ``dtype``."""
    key = np.dtype(dtype)
    if key not in _TRANSFORMS:
        _TRANSFORMS[key] = (np.kron(BT, BT).astype(key), np.ascontiguousarray(np.kron(AT, AT).T, key))
    return _TRANSFORMS[key]


class Winograd:
    """A 3x3 stride-1 convolution by Winograd F(4x4, 3x3), image block by image block."""

    impl = "winograd"

    def __init__(self, input, win, groups, scratch_name=None):
        if not applies(win.kernel, win.stride, win.dilation):
            raise ValueError(f"impl='winograd' needs a 3x3 kernel, stride 1 and dilation 1, got "
                             f"kernel_size={win.kernel}, stride={win.stride}, dilation={win.dilation}")
        self.input, self.win, self.groups = input, win, groups
        n, c = input.shape[:2]
        self.tiles = tuple(-(-o // M) for o in win.out_size)  # tile rows and columns
        per_image = A * A * c * self.tiles[0] * self.tiles[1] * input.itemsize
        self.block_size = int(min(n, max(1, BLOCK_BYTES // per_image)))  # images per block
        self._columns = None

    def _padded_block(self, start, stop):
        """Images ``start:stop``, zero-padded to cover every 6x6 input tile: a scratch buffer."""
        x, ((top, _), (left, _)) = self.input[start:stop], self.win.padding
        th, tw = self.tiles
        shape = x.shape[:2] + (M * th + R - 1, M * tw + R - 1)
        block = scratch("winograd input", shape, x.dtype)
        rows, cols = min(x.shape[2], shape[2] - top), min(x.shape[3], shape[3] - left)
        block[:, :, :top] = 0
        block[:, :, top + rows:] = 0
        block[:, :, :, :left] = 0
        block[:, :, :, left + cols:] = 0
        block[:, :, top:top + rows, left:left + cols] = x[:, :, :rows, :cols]
        return block

    def _tiles(self, block):
        """The input tiles ``d`` of a padded block as ``(C * tiles, 36)`` rows: a copy."""
        n, c = block.shape[:2]
        (th, tw), s = self.tiles, block.strides
        view = as_strided(block, (c, n, th, tw, A, A), (s[1], s[0], M * s[2], M * s[3], s[2], s[3]))
        tiles = scratch("winograd tiles", view.shape, block.dtype)
        np.copyto(tiles, view)
        return tiles.reshape(-1, A * A)

    def forward(self, weight, bias=None):
        g, c_out, dtype = self.groups, weight.shape[0], weight.dtype
        u, (th, tw), (ho, wo) = _kernels(weight, g), self.tiles, self.win.out_size
        input_transform, output_transform = _transforms(dtype)
        out = np.empty((self.input.shape[0], c_out, ho, wo), dtype)
        c_in = self.input.shape[1]

        def block(start, stop):  # images start:stop, into out[start:stop]
            n = stop - start
            count = n * th * tw  # tiles in this block
            tiles = self._tiles(self._padded_block(start, stop))                    # (C*T, 36)
            v = np.matmul(input_transform, tiles.T, out=scratch("winograd V", (A * A, c_in * count), dtype))
            m = np.matmul(u, v.reshape(A * A, g, -1, count),
                          out=scratch("winograd M", (A * A, g, c_out // g, count), dtype))
            y = np.matmul(m.reshape(A * A, -1).T, output_transform,
                          out=scratch("winograd Y", (c_out * count, M * M), dtype))
            tiled = y.reshape(c_out, n, th, tw, M, M).transpose(1, 0, 2, 4, 3, 5)  # (n, O, a, r, b, s)
            if (ho, wo) == (M * th, M * tw):
                out[start:stop].reshape(n, c_out, th, M, tw, M)[...] = tiled
            else:  # the last tiles reach past the output: crop them
                out[start:stop] = tiled.reshape(n, c_out, M * th, M * tw)[:, :, :ho, :wo]
            if bias is not None:
                out[start:stop] += bias[:, None, None]

        macs = self.input.shape[0] * c_out * c_in // g * R * R * ho * wo  # as a direct convolution
        parallel.over_images(self.input.shape[0], self.block_size, block, macs)
        return out

    def weight_grad(self, grad_output, weight_shape):
        if self._columns is None:
            self._columns = Columns(self.input, self.win, self.groups)
        return self._columns.weight_grad(grad_output, weight_shape)

    @staticmethod
    def adjoint(y, weight, win, groups, full_size):
        """The input gradient as the texts derive it: the "full" convolution of ``y``
        (padded by 2) with the 180-degree-rotated kernels, a forward pass; the padding
        that ``win.padding`` crops off is simply not padded (or ``y`` is cropped)."""
        pads = []
        for axis, (top, bottom) in enumerate(win.padding):
            extra = full_size[axis] - (y.shape[2 + axis] + R - 1)  # rows no window reached
            pads.append((R - 1 - top, R - 1 - bottom + extra))
        size = tuple(n - a - b for n, (a, b) in zip(full_size, win.padding))
        if min(a for pair in pads for a in pair) < 0:  # padding beyond the kernel: crop y
            y = y[:, :, max(-pads[0][0], 0):y.shape[2] - max(-pads[0][1], 0),
                  max(-pads[1][0], 0):y.shape[3] - max(-pads[1][1], 0)]
            pads = [(max(a, 0), max(b, 0)) for a, b in pads]
        back = win._replace(padding=tuple(pads), out_size=size)
        return Winograd(y, back, groups).forward(_flipped(weight, groups))


def _flipped(weight, groups):
    """Conv weight ``(C_out, C_in/G, 3, 3)`` as the weight of the convolution that maps
    back, ``(C_in, C_out/G, 3, 3)``, each kernel rotated by 180 degrees."""
    c_out, in_per_group, kh, kw = weight.shape
    w = weight.reshape(groups, c_out // groups, in_per_group, kh, kw).swapaxes(1, 2)
    return np.ascontiguousarray(w.reshape(groups * in_per_group, c_out // groups, kh, kw)[:, :, ::-1, ::-1])
