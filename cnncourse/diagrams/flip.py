"""Cross-correlation beside true convolution on a small image: the kernel as is, and flipped.

Each kernel weight keeps its colour in both rows, so the picture shows where every weight
lands once the kernel is rotated by 180 degrees. The outputs come from
:func:`cnncourse.numpy.functional.conv2d` (a cross-correlation, as in every deep learning
library), applied to the kernel and to its rotation.

Taught in: chapter 2 (convolution and cross-correlation).
"""
from __future__ import annotations

import numpy as np

from cnncourse.diagrams.grids import HIGHLIGHT, RESULT, colour_cells, draw_grid, new_figure, operator
from cnncourse.numpy import functional as F

# One light colour per kernel weight (at most 9), in the kernel's row-major order.
WEIGHT_COLOURS = ("#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec",
                  "#d9d9d9")


def correlation_and_convolution(x, kernel):
    """Two rows: ``x`` correlated with ``kernel``, then with the kernel rotated by 180 degrees.

    Args:
        x: a 2-D input (one channel).
        kernel: a 2-D kernel of at most 9 weights.

    Returns:
        A ``Figure``. Row 0: the input with its first window, the kernel, the
        cross-correlation. Row 1: the same input, the rotated kernel (each weight in its
        colour of row 0), the true convolution (``mode='valid'``).
    """
    x, kernel = np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"x and kernel: need 2-D arrays, got shapes {x.shape} and {kernel.shape}")
    if kernel.size > len(WEIGHT_COLOURS):
        raise ValueError(f"kernel: at most {len(WEIGHT_COLOURS)} weights can be told apart, got {kernel.size}")
    colours = np.array(WEIGHT_COLOURS[:kernel.size], dtype=object).reshape(kernel.shape)
    flipped = kernel[::-1, ::-1]
    rows = (("cross-correlation (what CNN layers compute)", kernel, colours, "kernel as is"),
            ("convolution (the kernel rotated by 180°)", flipped, colours[::-1, ::-1], "kernel rotated"))
    kh, kw = kernel.shape
    fig = new_figure(5.2, 4.4)
    for sub, (title, k, k_colours, k_title) in zip(fig.subfigures(2, 1), rows):
        row = sub.subplots(1, 5, gridspec_kw={"width_ratios": [x.shape[1], 0.7, kw, 0.7, x.shape[1] - kw + 1]})
        out = F.conv2d(x[None, None], k[None, None])[0, 0]
        draw_grid(row[0], x, colours=colour_cells(x.shape, np.s_[:kh, :kw], HIGHLIGHT), title="input")
        operator(row[1], "⋆")
        draw_grid(row[2], k, colours=k_colours, title=k_title)
        operator(row[3], "=")
        draw_grid(row[4], out, colours=colour_cells(out.shape, (0, 0), RESULT), title="output")
        sub.suptitle(title, fontsize=11)
    return fig
