"""How a layer's outputs are wired to an image: flattened, dense, local, shared.

The pictures of chapter 1. The weight counts in their titles come from
:mod:`cnncourse.shapes`, the same formulas the chapter's code prints.

Taught in: chapter 1 (why convolutions: an image as a vector, dense vs locally connected vs
shared weights).
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from cnncourse import shapes
from cnncourse.diagrams.grids import EDGE, EMPTY, HIGHLIGHT, RESULT, draw_grid, new_figure

# One colour per image row (flattening) and per kernel tap (weights); light enough for the
# numbers on top of them to stay legible.
ROW_COLOURS = ("#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec")
TAP_COLOURS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a6761d", "#f781bf", "#666666",
               "#17becf")


def flattened_image(image):
    """A small image beside the vector a dense layer receives: its rows laid end to end.

    Args:
        image: a 2-D array (one channel), at most 8 rows (one colour per row).

    Returns:
        A ``Figure``: the image on the left, the flattened vector (``image.ravel()``, the
        order of ``torch.flatten`` and ``np.reshape``) as a column on the right, each value
        coloured by the row it came from.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image: need a 2-D array (one channel), got shape {image.shape}")
    rows, cols = image.shape
    if rows > len(ROW_COLOURS):
        raise ValueError(f"image: at most {len(ROW_COLOURS)} rows can be told apart, got {rows}")
    row_of = np.repeat(np.arange(rows), cols)   # the image row each vector entry comes from
    image_colours = np.array([[ROW_COLOURS[r]] * cols for r in range(rows)], dtype=object)
    vector = image.ravel()
    fig = new_figure(5.0, max(4.0, 0.34 * vector.size + 0.8))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [cols, 1.6]})
    draw_grid(left, image, title=f"image ({rows} × {cols})", colours=image_colours)
    draw_grid(right, vector[:, None], title=f"vector ({vector.size})", colours=image_colours.ravel()[:, None])
    for i, r in enumerate(row_of):
        right.text(1.12, i + 0.5, f"row {r}" if i % cols == 0 else "", va="center", fontsize=10)
    right.set_xlim(-0.05, 2.3)
    return fig


def connection_patterns(n=5, k=3):
    """One output map wired to an ``n`` x ``n`` input three ways, top to bottom.

    - **dense**: one output unit is connected to every input value (its lines drawn; all
      the others have as many);
    - **locally connected**: two output units, each connected to its own ``k`` x ``k``
      window, with weights of their own (two colour sets);
    - **shared weights**: the same two windows, wired with the same ``k * k`` weights
      (one colour per weight, the same at both positions): a convolution.

    The titles count the weights of a layer mapping the input to the ``n - k + 1`` square
    output map (no biases).
    """
    if not (isinstance(n, int) and isinstance(k, int) and 1 <= k < n <= 8):
        raise ValueError(f"need integers 1 <= k < n <= 8, got n={n!r}, k={k!r}")
    out = n - k + 1
    counts = {
        "dense": shapes.linear_parameters(n * n, out * out, bias=False),
        "local": k * k * out * out,   # one k x k weight set per output unit
        "shared": shapes.conv2d_parameters(1, 1, k, bias=False),
    }
    fig = new_figure(6.4, 9.6)
    axes = fig.subplots(3, 1)
    corner = (out - 1, out - 1)
    titles = (f"dense: each of the {out * out} outputs reads all {n * n} inputs\n"
              f"{n * n} × {out * out} = {counts['dense']:,} weights",
              f"locally connected: each output reads a {k}×{k} window, own weights\n"
              f"{k * k} × {out * out} = {counts['local']:,} weights",
              f"shared weights (a convolution): the same {k * k} weights at every window\n"
              f"{counts['shared']} weights, for any image size")
    for ax, kind, title in zip(axes, ("dense", "local", "shared"), titles):
        units = [(0, 0)] if kind == "dense" else [(0, 0), corner]
        _draw_wiring(ax, n, k, out, units, kind)
        ax.set_title(title, fontsize=10)
    return fig


def _draw_wiring(ax, n, k, out, units, kind):
    """Input grid on the left, output grid on the right, lines from ``units`` to what they read."""
    gap = 3.0  # horizontal space between the two grids
    x_out, y_out = n + gap, (n - out) / 2
    for r in range(n):
        for c in range(n):
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=EMPTY, edgecolor=EDGE, linewidth=0.6))
    for r in range(out):
        for c in range(out):
            filled = (r, c) in units
            ax.add_patch(Rectangle((x_out + c, y_out + r), 1, 1, facecolor=RESULT if filled else "white",
                                   edgecolor=EDGE, linewidth=0.6))
    for number, (i, j) in enumerate(units):
        end = (x_out + j + 0.5, y_out + i + 0.5)
        reads = [(r, c) for r in range(n) for c in range(n)] if kind == "dense" else \
                [(i + u, j + v) for u in range(k) for v in range(k)]
        for tap, (r, c) in enumerate(reads):
            if kind == "dense":
                colour, width = "0.35", 0.5
            elif kind == "local":  # a different weight on every line: shades of two hues
                colour, width = ("#d95f02", "#1b9e77")[number % 2], 0.9
            else:                  # the same weight at the same tap of every window
                colour, width = TAP_COLOURS[tap % len(TAP_COLOURS)], 1.2
            ax.plot([c + 0.5, end[0]], [r + 0.5, end[1]], color=colour, linewidth=width, alpha=0.85)
            if kind != "dense":
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=HIGHLIGHT, edgecolor=EDGE, linewidth=0.6,
                                       alpha=0.6, zorder=1.5))
    ax.text(n / 2, n + 0.25, "input", ha="center", va="top", fontsize=10)
    ax.text(x_out + out / 2, n + 0.25, "output map", ha="center", va="top", fontsize=10)
    ax.set_xlim(-0.2, x_out + out + 0.2)
    ax.set_ylim(n + 1.0, -0.2)
    ax.set_aspect("equal")
    ax.set_axis_off()
