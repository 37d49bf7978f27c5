"""How a ``DataLoader`` turns a dataset into mini-batches, drawn from the batches it produced.

Taught in: chapter 7 (LeNet-5: datasets and loaders).
"""
from __future__ import annotations

from matplotlib import colormaps
from matplotlib.patches import Rectangle

from cnncourse.diagrams.grids import EDGE, new_figure

GAP = 0.35  # space between two batches, in cells


def check_epochs(epochs, n):
    """Each epoch's batches must hold every index ``0 .. n-1`` exactly once."""
    if n < 1:
        raise ValueError(f"n: need a dataset of at least one example, got {n}")
    if not epochs:
        raise ValueError("epochs: need at least one epoch of batches")
    for e, batches in enumerate(epochs):
        drawn = sorted(int(i) for batch in batches for i in batch)
        if drawn != list(range(n)):
            raise ValueError(f"epoch {e + 1}: the batches must hold each index 0..{n - 1} once, "
                             f"got {drawn}")


def minibatches(epochs, n, fontsize=12):
    """One row per epoch: the dataset indices in the order a loader drew them, cut into batches.

    Args:
        epochs: for each epoch, the list of index batches a loader produced, e.g.
            ``[[b.tolist() for b in loader] for _ in range(2)]`` for a ``DataLoader`` over
            ``range(n)``.
        n: the number of examples in the dataset.
        fontsize: size of the indices and labels.

    Returns:
        A matplotlib ``Figure``; each cell holds a dataset index, coloured by its batch
        (batches are separated by a gap, so a short last batch shows).
    """
    check_epochs(epochs, n)
    most = max(len(batches) for batches in epochs)
    colours = colormaps["Pastel1"].resampled(max(most, 2))
    width = n + GAP * (most - 1)
    fig = new_figure(min(10.0, 0.45 * width + 1.4), 0.55 * len(epochs) + 0.5)
    ax = fig.add_subplot()
    for row, batches in enumerate(epochs):
        x = 0.0
        for b, batch in enumerate(batches):
            for index in batch:
                ax.add_patch(Rectangle((x, row), 1, 0.8, facecolor=colours(b), edgecolor=EDGE,
                                       linewidth=0.8))
                ax.text(x + 0.5, row + 0.4, str(int(index)), ha="center", va="center",
                        fontsize=fontsize)
                x += 1
            x += GAP
        ax.text(-0.3, row + 0.4, f"epoch {row + 1}", ha="right", va="center", fontsize=fontsize)
    ax.set_xlim(-0.05, width + 0.05)
    ax.set_ylim(len(epochs) - 0.15, -0.05)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig
