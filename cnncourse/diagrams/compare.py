"""Network diagrams side by side in one matplotlib figure (a network beside its twin).

Taught in: chapter 10 (ResNet-18 beside its plain twin).
"""
from __future__ import annotations

import io


def side_by_side(diagrams, titles=None, width=8.0):
    """One figure with each :class:`~cnncourse.diagrams.NetworkDiagram` in its own panel.

    Args:
        diagrams: a list of ``NetworkDiagram`` (from ``network_diagram``).
        titles: one caption per diagram, or None.
        width: the figure's width in inches; the height follows the tallest diagram.

    Returns:
        A matplotlib ``Figure``; the panels are drawn top-aligned at one common scale, so
        boxes have the same size in every panel.
    """
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    diagrams = list(diagrams)
    if not diagrams:
        raise ValueError("side_by_side needs at least one diagram")
    if titles is not None and len(titles) != len(diagrams):
        raise ValueError(f"got {len(titles)} titles for {len(diagrams)} diagrams")
    images = [mpimg.imread(io.BytesIO(d.png()), format="png") for d in diagrams]
    total_width = sum(image.shape[1] for image in images)
    tallest = max(image.shape[0] for image in images)
    height = width * tallest / total_width + (0.4 if titles else 0.0)
    fig, axes = plt.subplots(1, len(images), figsize=(width, height),
                             gridspec_kw={"width_ratios": [image.shape[1] for image in images]})
    axes = [axes] if len(images) == 1 else list(axes)
    for i, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(image, interpolation="lanczos")
        ax.set_xlim(-0.5, image.shape[1] - 0.5)
        ax.set_ylim(tallest - 0.5, -0.5)  # top-aligned, one scale for all panels
        ax.axis("off")
        if titles:
            ax.set_title(titles[i], fontsize=12)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.0, top=1 - 0.4 / height if titles else 1.0,
                        wspace=0.04)
    return fig
