"""Drawing small arrays as grids of numbered cells: the building brick of the operation diagrams."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

HIGHLIGHT = "#f4a582"   # the cells an operation reads right now
RESULT = "#92c5de"      # the cell it writes
EMPTY = "#f7f7f7"       # not computed yet / padding
EDGE = "#555555"


def new_figure(width, height):
    """A white figure (it stays legible on the book's dark theme too)."""
    return Figure(figsize=(width, height), layout="constrained", facecolor="white")


def number(value) -> str:
    """A cell's text: integers without a point, other values with up to two decimals."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0")


def draw_grid(ax, values, title=None, colours=None, blank=None, fontsize=11):
    """Draw a 2-D array as a table of cells with their values.

    ``colours``: an array of the same shape of cell colours (None: all white); ``blank``: a
    boolean array of cells to leave without text (not computed yet).
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"values: need a 2-D array, got shape {values.shape}")
    rows, cols = values.shape
    for (r, c), value in np.ndenumerate(values):
        colour = "white" if colours is None else colours[r, c]
        ax.add_patch(Rectangle((c, r), 1, 1, facecolor=colour, edgecolor=EDGE, linewidth=0.8))
        if blank is None or not blank[r, c]:
            ax.text(c + 0.5, r + 0.5, number(value), ha="center", va="center", fontsize=fontsize)
    ax.set_xlim(-0.05, cols + 0.05)
    ax.set_ylim(rows + 0.05, -0.05)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=fontsize)


def colour_cells(shape, cells, colour, base="white"):
    """A colour array of ``shape``: ``colour`` on ``cells`` (an index or slice pair), ``base`` elsewhere."""
    colours = np.full(shape, base, dtype=object)
    colours[cells] = colour
    return colours


def operator(ax, text, fontsize=16):
    """An axis that only shows an operator sign between two grids (⋆, =, +, →)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=fontsize)
    ax.set_axis_off()
