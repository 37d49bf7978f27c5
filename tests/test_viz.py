"""Figures: each function returns a matplotlib Figure with the expected content (Agg, headless)."""
import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from cnncourse import viz
from cnncourse.data.synthetic import bar_images
from cnncourse.history import History

matplotlib.use("Agg")


def test_plot_history_two_panels_train_and_test(tmp_path):
    h = History()
    for e in range(3):
        h.append(train_loss=1 / (e + 1), train_accuracy=0.5 + e / 10, test_loss=1.0,
                 test_accuracy=0.4 + e / 10, seconds=1, lr=1e-3)
    fig = viz.plot_history(h, title="run")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_axes = fig.axes[0]
    assert [line.get_label() for line in loss_axes.lines] == ["train", "test"]
    np.testing.assert_allclose(loss_axes.lines[0].get_ydata(), h.train_loss)
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="history must record at least one epoch"):
        viz.plot_history(History())


def test_show_images_titles_and_wrong_predictions_in_red():
    images, labels = bar_images(5, size=8)
    predictions = labels.copy()
    predictions[1] = (labels[1] + 1) % 10
    fig = viz.show_images(images, labels, classes=[f"c{i}" for i in range(10)], nrow=3,
                          predictions=predictions)
    assert len(fig.axes) == 5  # the sixth grid cell is removed
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith(f"c{labels[0]}")
    assert fig.axes[1].title.get_color() == "red" and fig.axes[0].title.get_color() == "black"
    with pytest.raises(ValueError, match="labels has 2 labels for 5 images"):
        viz.show_images(images, labels[:2])


def test_kernels_feature_maps_and_confusion():
    weight = np.random.default_rng(0).normal(size=(6, 1, 5, 5))
    fig = viz.show_kernels(weight)
    assert fig.axes[0].get_title() == "6 kernels 5x5"
    assert len(viz.show_feature_maps(np.ones((1, 4, 6, 6)), nrow=2).axes) == 4
    cm = np.array([[3, 1], [0, 4]])
    fig = viz.plot_confusion_matrix(cm, classes=["a", "b"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["0.75", "0.25", "0.00", "1.00"]  # rows normalised to recall
    with pytest.raises(ValueError, match="cm must be a square matrix"):
        viz.plot_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"weight must be 4-D \(out, in, kh, kw\)"):
        viz.show_kernels(np.ones((3, 3)))
