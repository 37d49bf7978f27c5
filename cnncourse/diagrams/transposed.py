"""A transposed convolution drawn as the ordinary convolution it equals: zero insertion,
padding, and a stride-1 convolution with the kernel rotated by 180 degrees.

Every value is computed by :mod:`cnncourse.numpy.functional` when the figure is drawn, and
the picture's output is checked against ``conv_transpose2d`` before it is returned.

Taught in: chapter 9 (transposed convolution).
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from cnncourse.diagrams.grids import EMPTY, HIGHLIGHT, RESULT, colour_cells, draw_grid, new_figure, operator
from cnncourse.numpy import functional as F

__all__ = ["zero_insertion"]


def _steps(x, kernel, stride, padding):
    """(zeros inserted, padded, rotated kernel, output) for one channel."""
    k = kernel.shape[0]
    border = k - padding - 1
    if border < 0:
        raise ValueError(f"padding: at most kernel_size - 1 = {k - 1} for this picture, got {padding}")
    spread = np.zeros(((x.shape[0] - 1) * stride + 1, (x.shape[1] - 1) * stride + 1))
    spread[::stride, ::stride] = x
    padded = np.pad(spread, border)
    rotated = kernel[::-1, ::-1]
    out = F.conv2d(padded[None, None], rotated[None, None])[0, 0]
    reference = F.conv_transpose2d(x[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
    if not np.allclose(out, reference):  # the picture must show what the package computes
        raise AssertionError("zero insertion disagrees with conv_transpose2d")
    return spread, padded, rotated, out


def zero_insertion(x, kernel, stride=2, padding=0):
    """Input, input with ``stride - 1`` zeros between values, that padded by ``k - p - 1``,
    then its stride-1 convolution with the rotated kernel: the transposed convolution's output.

    Args:
        x: a 2-D input (one channel); kernel: a square 2-D kernel.
        stride, padding: the transposed convolution's (torch's meaning of ``padding``).

    Returns:
        A ``Figure``: the first row shows the three inputs (original values coloured), the
        second the rotated kernel and the output, the first window and the value it gives marked.
    """
    x, kernel = np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)
    if x.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"need a 2-D input and a square 2-D kernel, got shapes {x.shape} and {kernel.shape}")
    spread, padded, rotated, out = _steps(x, kernel, stride, padding)
    k, border = kernel.shape[0], kernel.shape[0] - padding - 1
    fig = new_figure(7.2, 6.4)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1])
    a, b, c = top.subplots(1, 3, gridspec_kw={"width_ratios": [x.shape[1] + 1, spread.shape[1] + 1,
                                                                padded.shape[1]]})
    original = np.zeros(spread.shape, bool)
    original[::stride, ::stride] = True
    draw_grid(a, x, title="input", colours=colour_cells(x.shape, np.s_[:, :], HIGHLIGHT), fontsize=10)
    draw_grid(b, spread, title=f"{stride - 1} zero{'s' if stride > 2 else ''} between values", fontsize=10,
              colours=np.where(original, HIGHLIGHT, EMPTY).astype(object))
    padded_original = np.pad(original, border)
    draw_grid(c, padded, title=f"padded by k-p-1 = {border}", fontsize=10,
              colours=np.where(padded_original, HIGHLIGHT, EMPTY).astype(object))
    c.add_patch(Rectangle((0, 0), k, k, fill=False, edgecolor="tab:red", linewidth=2.5))
    d, e, f, g = bottom.subplots(1, 4, gridspec_kw={"width_ratios": [1, k, 1, out.shape[1]]})
    operator(d, "padded\n⋆", fontsize=13)
    draw_grid(e, rotated, title="kernel, rotated 180°", fontsize=10)
    operator(f, "=")
    draw_grid(g, out, title=f"output {out.shape[0]}×{out.shape[1]}", fontsize=10,
              colours=colour_cells(out.shape, (0, 0), RESULT))
    return fig
