"""im2col on a small image: the receptive fields become columns, the convolution one product.

The columns are filled the way the package's fast engine fills them
(:func:`cnncourse.numpy.fast.im2col.window_slices`: one strided copy of the input per
kernel tap, i.e. one *row* of the matrix at a time), and the output is checked against
:func:`cnncourse.numpy.functional.conv2d` before anything is drawn.

Taught in: chapter 3 (im2col: convolution as one matrix product).
"""
from __future__ import annotations

import numpy as np

from cnncourse import shapes
from cnncourse.diagrams.grids import EMPTY, HIGHLIGHT, RESULT, colour_cells, draw_grid, new_figure, operator
from cnncourse.numpy import functional as F
from cnncourse.numpy.fast.im2col import window_slices


def columns(x, k):
    """The im2col matrix of one single-channel image for a ``k`` x ``k`` kernel, stride 1.

    Args:
        x: a 2-D image ``(H, W)``; k: the kernel side.

    Returns:
        ``(k * k, H_out * W_out)``: row ``u * k + v`` holds the input value that kernel tap
        ``(u, v)`` meets at every output position, in row-major order of the positions.
    """
    x = np.asarray(x, float)
    if x.ndim != 2:
        raise ValueError(f"x: need a 2-D image (one channel), got shape {x.shape}")
    out = (shapes.conv2d_output_size(x.shape[0], k), shapes.conv2d_output_size(x.shape[1], k))
    cols = np.empty((k * k, out[0] * out[1]))
    for (u, v), window in window_slices((k, k), (1, 1), (1, 1), out):
        cols[u * k + v] = x[window].ravel()   # tap (u, v) at every position: one strided copy
    return cols


def im2col_product(x, kernel, position=0):
    """Image, im2col matrix and product, top to bottom, with one receptive field followed through.

    Args:
        x: a 2-D image (at most 5 x 5 so that every number stays legible on a phone).
        kernel: a square 2-D kernel.
        position: the output position (row-major index) whose window, column and value are
            highlighted.

    Returns:
        A ``Figure``: the image with window ``position`` and the kernel; the matrix with that
        window's column; the kernel as a row times the matrix, giving the output as a row
        and reshaped to its map.
    """
    x, kernel = np.asarray(x, float), np.asarray(kernel, float)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"kernel: need a square 2-D kernel, got shape {kernel.shape}")
    if x.ndim != 2 or max(x.shape) > 5:
        raise ValueError(f"x: need a 2-D image of at most 5 x 5, got shape {x.shape}")
    k = kernel.shape[0]
    cols = columns(x, k)
    row = kernel.ravel()[None] @ cols
    out = F.conv2d(x[None, None], kernel[None, None])[0, 0]
    if not np.allclose(row.reshape(out.shape), out):   # the picture must show the package's output
        raise AssertionError("im2col product and conv2d disagree")
    if not 0 <= position < cols.shape[1]:
        raise ValueError(f"position: need 0 <= position < {cols.shape[1]}, got {position}")
    i, j = divmod(position, out.shape[1])
    fig = new_figure(5.0, 5.6)   # narrow: shown at about 3/4 of its size on a 390 px phone
    top, middle, bottom = fig.subfigures(3, 1, height_ratios=[1.3, 1.35, 0.8])
    a, b, c, d, e = top.subplots(1, 5, gridspec_kw={"width_ratios": [x.shape[1], 1.4, k, 1.2, out.shape[1]]})
    draw_grid(a, x, title=f"image {x.shape[0]}×{x.shape[1]}",
              colours=colour_cells(x.shape, np.s_[i:i + k, j:j + k], HIGHLIGHT))
    operator(b, f"window {position}\n↓\ncolumn {position}", fontsize=10)
    draw_grid(c, kernel, title=f"kernel {k}×{k}")
    operator(d, "→", fontsize=12)
    draw_grid(e, out, title="output map", colours=colour_cells(out.shape, (i, j), RESULT, EMPTY))
    m = middle.subplots()
    draw_grid(m, cols, colours=colour_cells(cols.shape, np.s_[:, position], HIGHLIGHT),
              title=f"im2col: {k * k} rows (kernel taps) × {cols.shape[1]} columns (windows)")
    for r in range(k * k):
        m.text(-0.15, r + 0.5, f"tap {r}", ha="right", va="center", fontsize=10)
    m.set_xlim(-1.5, cols.shape[1] + 0.05)
    f, g, h = bottom.subplots(1, 3, gridspec_kw={"width_ratios": [k * k, 2.2, cols.shape[1]]})
    draw_grid(f, kernel.ravel()[None], title="kernel as a row")
    operator(g, "@ matrix\n=", fontsize=10)
    draw_grid(h, row, title="= output, as a row",
              colours=colour_cells(row.shape, (0, position), RESULT, EMPTY))
    return fig
