"""Figures for the course: training curves, image grids, kernels, feature maps, confusion.

Every function builds a new ``matplotlib.figure.Figure`` (no pyplot state, so it works
headless under Agg and inside notebooks) and returns it; save with ``fig.savefig(path)``.
"""
import numpy as np
from matplotlib.figure import Figure

from cnncourse.data.grid import make_grid


def _history_dict(history):
    return history if isinstance(history, dict) else vars(history)


def plot_history(history, title=None):
    """Loss and accuracy per epoch, train and test, from a ``History`` (or its dict)."""
    h = _history_dict(history)
    if not h.get("train_loss"):
        raise ValueError("history must record at least one epoch, got none")
    epochs = np.arange(1, len(h["train_loss"]) + 1)
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    for ax, metric in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        for split, style in (("train", "-o"), ("test", "--s")):
            values = np.asarray(h.get(f"{split}_{metric}", []), dtype=float)
            if values.size and not np.all(np.isnan(values)):
                ax.plot(epochs, values, style, label=split, markersize=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def _as_nhwc(images):
    """Accept (N, H, W), (N, H, W, C) or (N, C, H, W) with C in {1, 3}; return NHWC."""
    images = np.asarray(images)
    if images.ndim == 3:
        return images[..., None]
    if images.ndim != 4:
        raise ValueError(f"images must be 3-D or 4-D, got shape {images.shape}")
    if images.shape[-1] not in (1, 3) and images.shape[1] in (1, 3):
        images = images.transpose(0, 2, 3, 1)
    return images


def _imshow(ax, image):
    """Show one HWC image: grey when it has one channel, scaled to its own range if float."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        low, high = float(image.min()), float(image.max())
        image = (image - low) / (high - low if high > low else 1.0)
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", interpolation="nearest")
    else:
        ax.imshow(image, interpolation="nearest")
    ax.set_axis_off()


def show_images(images, labels=None, classes=None, nrow=8, predictions=None):
    """A grid of images, one axes each, titled with class names (and predictions if given)."""
    images = _as_nhwc(images)
    n = len(images)
    if n == 0:
        raise ValueError("images must hold at least one image, got an empty batch")
    if labels is not None and len(labels) != n:
        raise ValueError(f"labels has {len(labels)} labels for {n} images")
    ncol = min(int(nrow), n)
    rows = -(-n // ncol)
    fig = Figure(figsize=(1.3 * ncol, 1.5 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, ncol, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        if i >= n:
            fig.delaxes(ax)
            continue
        _imshow(ax, images[i])
        if labels is not None:
            name = classes[labels[i]] if classes is not None else str(labels[i])
            if predictions is not None:
                guess = classes[predictions[i]] if classes is not None else str(predictions[i])
                ax.set_title(f"{name}\n→ {guess}", fontsize=7,
                             color="black" if predictions[i] == labels[i] else "red")
            else:
                ax.set_title(name, fontsize=8)
    return fig


def show_kernels(weight, max_kernels=64):
    """Convolution kernels (out, in, kh, kw) as one grid: RGB when in == 3, else channel 0."""
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 4:
        raise ValueError(f"weight must be 4-D (out, in, kh, kw), got shape {w.shape}")
    w = w[:max_kernels]
    tiles = w.transpose(0, 2, 3, 1) if w.shape[1] == 3 else w[:, :1].transpose(0, 2, 3, 1)
    low, high = tiles.min(), tiles.max()
    tiles = (tiles - low) / (high - low if high > low else 1.0)  # one scale for all kernels
    grid = make_grid(tiles, nrow=int(np.ceil(np.sqrt(len(tiles)))), padding=1, pad_value=1.0)
    fig = Figure(figsize=(4, 4), layout="constrained")
    ax = fig.subplots()
    _imshow(ax, grid)
    ax.set_title(f"{len(w)} kernels {w.shape[2]}x{w.shape[3]}")
    return fig


def show_feature_maps(activations, max_maps=32, nrow=8):
    """Channels of one activation (C, H, W) or a batch's first item (1, C, H, W), one axes each."""
    a = np.asarray(activations, dtype=np.float32)
    if a.ndim == 4:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"activations must be (C, H, W) or (N, C, H, W), got shape {np.shape(activations)}")
    return show_images(a[:max_maps, :, :, None], nrow=nrow)


def plot_confusion_matrix(cm, classes=None, normalize=True):
    """Heat map of ``cm[true, predicted]``; rows normalised to recall when ``normalize``."""
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square matrix, got shape {cm.shape}")
    k = cm.shape[0]
    classes = [str(i) for i in range(k)] if classes is None else list(classes)
    if len(classes) != k:
        raise ValueError(f"classes has {len(classes)} names for a {k}x{k} matrix")
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    fig = Figure(figsize=(1 + 0.55 * k, 0.8 + 0.5 * k), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shown, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=6,
                    color="white" if shown[i, j] > shown.max() / 2 else "black")
    return fig
