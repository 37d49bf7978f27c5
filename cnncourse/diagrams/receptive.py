"""Receptive fields of a stack of layers, drawn to scale along one axis of the input.

Every unit of every layer is drawn over the input positions its window starts at, one
box per unit, as wide as the layer's *jump* (the product of the strides below it), so a
unit sits above the part of the input it reads. The units one top unit depends on are
found by following the windows down, layer by layer, and their count at the input is
checked against :func:`cnncourse.shapes.receptive_field`.

Taught in: chapter 4 (pooling widens what later units see).
"""
from __future__ import annotations

from matplotlib.patches import Rectangle

from cnncourse import shapes
from cnncourse.diagrams.grids import EDGE, EMPTY, HIGHLIGHT, RESULT, new_figure


def _geometry(layers, top_units):
    """Input length, and per layer (input first): unit count, jump and receptive field."""
    jumps, fields = [1], [1]
    for k, s in layers:
        fields.append(fields[-1] + (k - 1) * jumps[-1])
        jumps.append(jumps[-1] * s)
    length = (top_units - 1) * jumps[-1] + fields[-1]
    counts = [length]
    for k, s in layers:
        counts.append((counts[-1] - k) // s + 1)
    return counts, jumps, fields


def receptive_field_growth(layers, names=None, top_units=3):
    """One row per layer, input at the bottom; one top unit and everything it depends on.

    Args:
        layers: ``(kernel_size, stride)`` per layer, input side first (no padding).
        names: a label per layer (default ``"k=3, s=1"`` and so on).
        top_units: how many units the last layer has in the picture.

    Returns:
        A ``Figure``. The middle unit of the last layer is blue; the units it depends on in
        every layer below are orange, and its title gives their number at the input.
    """
    layers = [(int(k), int(s)) for k, s in layers]
    if not layers or any(k < 1 or s < 1 for k, s in layers):
        raise ValueError(f"layers: need (kernel_size, stride) pairs of positive integers, got {layers!r}")
    names = names or [f"k={k}, s={s}" for k, s in layers]
    if len(names) != len(layers):
        raise ValueError(f"names: one per layer, got {len(names)} for {len(layers)} layers")
    counts, jumps, fields = _geometry(layers, top_units)
    needed = [{top_units // 2}]                       # top unit first, then each layer below
    for (k, s) in reversed(layers):
        needed.append({u * s + t for u in needed[-1] for t in range(k)})
    needed.reverse()                                  # input first, like counts
    field = shapes.receptive_field(layers)
    if len(needed[0]) != field:
        raise AssertionError(f"the picture finds {len(needed[0])} input values, the formula {field}")
    fig = new_figure(6.4, 0.62 * len(counts) + 0.7)
    ax = fig.subplots()
    for level, (count, jump, width) in enumerate(zip(counts, jumps, fields)):
        y = level
        for u in range(count):
            left = u * jump + (width - jump) / 2      # centred over the input values it reads
            colour = (RESULT if level == len(counts) - 1 else HIGHLIGHT) if u in needed[level] else EMPTY
            ax.add_patch(Rectangle((left + 0.06, y), jump - 0.12, 0.62, facecolor=colour, edgecolor=EDGE,
                                   linewidth=0.7))
        label = "input" if level == 0 else names[level - 1]
        ax.text(-0.4, y + 0.31, label, ha="right", va="center", fontsize=10)
    ax.set_xlim(-0.2, counts[0] + 0.2)
    ax.set_ylim(-0.2, len(counts))
    ax.set_axis_off()
    ax.set_title(f"one unit of the last layer sees {field} input values", fontsize=11)
    return fig
