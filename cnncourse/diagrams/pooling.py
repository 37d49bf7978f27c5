"""Pooling step by step: each window on the input, the value it keeps, the output filling up.

:func:`cnncourse.diagrams.operations.pooling_windows` colours all the windows of a pooling
that tiles its input; this picture walks windows that may overlap (stride smaller than the
window), one output value per row. The values come from
:func:`cnncourse.numpy.functional.max_pool2d` / ``avg_pool2d``.

Taught in: chapter 4 (max and average pooling).
"""
from __future__ import annotations

import numpy as np

from cnncourse.diagrams.grids import HIGHLIGHT, RESULT, colour_cells, draw_grid, new_figure, number, operator
from cnncourse.numpy import functional as F

_POOLS = {"max": F.max_pool2d, "avg": F.avg_pool2d}


def pooling_steps(x, kernel_size, stride=None, mode="max", steps=None):
    """One row per output value: the input with its window, the value kept, the output so far.

    Args:
        x: a 2-D input (one channel).
        kernel_size: the side of the square window.
        stride: the step between windows (default: ``kernel_size``).
        mode: ``'max'`` or ``'avg'``.
        steps: how many output values to show (default: all of them).

    Returns:
        A ``Figure`` whose row ``r`` shows window ``r`` (row-major order) highlighted on the
        input, the window's maximum or mean, and the output with the first ``r + 1`` values.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x: need a 2-D array (one channel), got shape {x.shape}")
    if mode not in _POOLS:
        raise ValueError(f"mode: must be 'max' or 'avg', got {mode!r}")
    stride = kernel_size if stride is None else stride
    out = _POOLS[mode](x[None, None], kernel_size, stride)[0, 0]
    positions = list(np.ndindex(out.shape))[:steps] if steps else list(np.ndindex(out.shape))
    fig = new_figure(5.6, 1.45 * len(positions) + 0.3)
    axes = np.atleast_2d(fig.subplots(len(positions), 3, gridspec_kw={"width_ratios": [x.shape[1], 2.2,
                                                                                         out.shape[1]]}))
    for row, (i, j) in zip(axes, positions):
        window = np.s_[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
        done = np.zeros(out.shape, bool)
        done.flat[:np.ravel_multi_index((i, j), out.shape) + 1] = True
        draw_grid(row[0], x, colours=colour_cells(x.shape, window, HIGHLIGHT))
        operator(row[1], f"{mode} → {number(out[i, j])}", fontsize=12)
        draw_grid(row[2], out, colours=colour_cells(out.shape, (i, j), RESULT), blank=~done)
    axes[0, 0].set_title("input", fontsize=11)
    axes[0, 1].set_title(f"{kernel_size}×{kernel_size} window, stride {stride}", fontsize=11)
    axes[0, 2].set_title("output", fontsize=11)
    return fig
