"""A whole convolutional layer on small arrays: every input channel, every kernel, every map.

:func:`cnncourse.diagrams.operations.channel_sum` takes one kernel apart; this picture shows
the layer: ``C_out`` kernels of ``C_in`` slices each, every kernel making one output map as
the sum over the input channels, and the maps stacked into the output. The values are
computed by :func:`cnncourse.numpy.functional.conv2d` when the figure is drawn.

Taught in: chapter 2 (channels in and out).
"""
from __future__ import annotations

import numpy as np

from cnncourse.diagrams.grids import EMPTY, RESULT, colour_cells, draw_grid, new_figure, operator
from cnncourse.numpy import functional as F

# One colour per input channel: a slice is drawn in its channel's colour.
CHANNEL_COLOURS = ("#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4")


def layer_channels(x, weight):
    """Input channels on top; below, one row per kernel: its slices, then the map it makes.

    Args:
        x: the input, ``(C_in, H, W)``, at most 4 channels.
        weight: the layer's kernels, ``(C_out, C_in, k_h, k_w)``, at most 4 of them.

    Returns:
        A ``Figure`` with ``C_out + 1`` rows of grids. Row 0: the input channels, each in its
        own colour. Row ``o + 1``: kernel ``o``'s slices (slice ``c`` in channel ``c``'s
        colour), and output map ``o`` = the sum over ``c`` of channel ``c`` correlated with
        slice ``c``.
    """
    x, weight = np.asarray(x, float), np.asarray(weight, float)
    if x.ndim != 3 or weight.ndim != 4:
        raise ValueError(f"need x (C_in, H, W) and weight (C_out, C_in, k, k); got {x.shape}, {weight.shape}")
    c_out, c_in = weight.shape[:2]
    if x.shape[0] != c_in:
        raise ValueError(f"x has {x.shape[0]} channels but the kernels have {c_in} slices")
    if c_in > len(CHANNEL_COLOURS) or c_out > 4:
        raise ValueError(f"at most {len(CHANNEL_COLOURS)} input channels and 4 kernels, got {c_in} and {c_out}")
    out = F.conv2d(x[None], weight)[0]
    ratios = [x.shape[2]] * c_in + [1.4, out.shape[2]]
    fig = new_figure(6.4, 1.5 * (c_out + 1) + 0.5)
    axes = fig.subplots(c_out + 1, c_in + 2, gridspec_kw={"width_ratios": ratios})
    for c in range(c_in):
        draw_grid(axes[0, c], x[c], title=f"input channel {c}",
                  colours=colour_cells(x[c].shape, np.s_[:, :], CHANNEL_COLOURS[c]))
    operator(axes[0, c_in], "")
    operator(axes[0, c_in + 1], f"{c_out} kernels\n→ {c_out} maps", fontsize=11)
    for o in range(c_out):
        row = axes[o + 1]
        for c in range(c_in):
            draw_grid(row[c], weight[o, c], title=f"kernel {o}, slice {c}",
                      colours=colour_cells(weight[o, c].shape, np.s_[:, :], CHANNEL_COLOURS[c]))
        operator(row[c_in], "Σ\n→", fontsize=14)
        draw_grid(row[c_in + 1], out[o], title=f"output map {o}",
                  colours=colour_cells(out[o].shape, np.s_[:, :], RESULT, EMPTY))
    fig.suptitle(f"input {tuple(x.shape)}, weight {tuple(weight.shape)} → output {tuple(out.shape)}",
                 fontsize=11)
    return fig
