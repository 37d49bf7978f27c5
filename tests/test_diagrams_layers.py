"""cnncourse.diagrams.channels and .im2col: the pictures show the package's numbers."""
import numpy as np
import pytest

from cnncourse.diagrams import channels, im2col
from cnncourse.numpy import functional as F


def numbers(ax):
    return [float(t.get_text()) for t in ax.texts]


def test_every_output_map_of_the_layer_is_the_package_s():
    x = np.stack([np.arange(9.0), np.arange(1.0, 10.0)]).reshape(2, 3, 3)
    base = np.stack([np.arange(4.0), np.arange(1.0, 5.0)]).reshape(1, 2, 2, 2)
    weight = np.concatenate([base, base + 1, base + 2])       # 3 kernels of 2 slices
    fig = channels.layer_channels(x, weight)
    grid = np.array(fig.axes).reshape(4, 4)                   # (1 + C_out) rows, C_in + 2 columns
    expected = F.conv2d(x[None], weight)[0]
    for o in range(3):
        assert grid[o + 1, -1].get_title() == f"output map {o}"
        assert numbers(grid[o + 1, -1]) == list(expected[o].ravel())
        assert numbers(grid[o + 1, 1]) == list(weight[o, 1].ravel())
    assert numbers(grid[1, -1])[0] == 56                       # chapter 2's hand computation: 19 + 37
    with pytest.raises(ValueError, match="slices"):
        channels.layer_channels(x[:1], weight)


def test_the_im2col_matrix_and_product_are_the_convolution():
    x, kernel = np.arange(16.0).reshape(4, 4), np.arange(4.0).reshape(2, 2)
    cols = im2col.columns(x, 2)
    assert cols.shape == (4, 9)
    assert list(cols[:, 4]) == [5, 6, 9, 10]                 # window 4 = rows 1-2, columns 1-2
    assert int((cols == 5).sum()) == 4                       # the centre value sits in four windows
    fig = im2col.im2col_product(x, kernel, position=4)
    expected = F.conv2d(x[None, None], kernel[None, None])[0, 0]
    assert numbers(fig.axes[-1]) == list(expected.ravel())   # the output row
    assert numbers(fig.axes[4]) == list(expected.ravel())    # the output map
    with pytest.raises(ValueError, match="position"):
        im2col.im2col_product(x, kernel, position=9)
    with pytest.raises(ValueError, match="at most 5"):
        im2col.im2col_product(np.zeros((6, 6)), kernel)


def test_pooling_steps_keep_the_package_s_values_window_by_window():
    from cnncourse.diagrams import pooling

    strip = np.array([[1, -1, 0, 2, 0], [-1, -2, 2, 3, 1]], dtype=float)
    fig = pooling.pooling_steps(strip, 2, stride=1)
    expected = F.max_pool2d(strip[None, None], 2, stride=1)[0, 0, 0]       # 1, 2, 3, 3
    assert [ax.texts[0].get_text() for ax in fig.axes[1::3]] == [f"max → {int(v)}" for v in expected]
    assert numbers(fig.axes[-1]) == list(expected)                          # the full output, last row
    average = pooling.pooling_steps(strip, 2, stride=1, mode="avg", steps=1)
    assert average.axes[1].texts[0].get_text() == "avg → -0.75"
    with pytest.raises(ValueError, match="mode"):
        pooling.pooling_steps(strip, 2, mode="median")


def test_the_receptive_field_picture_marks_what_the_formula_counts():
    from cnncourse import shapes
    from cnncourse.diagrams import receptive

    layers = [(3, 1), (2, 2), (3, 1), (2, 2)]
    fig = receptive.receptive_field_growth(layers, names=["conv", "pool", "conv", "pool"])
    ax = fig.axes[0]
    assert ax.get_title() == f"one unit of the last layer sees {shapes.receptive_field(layers)} input values"
    assert shapes.receptive_field(layers) == 10
    input_boxes = [p for p in ax.patches if p.get_y() == 0]
    marked = [p for p in input_boxes if p.get_facecolor()[:3] != (0.9686274509803922,) * 3]
    assert len(marked) == 10
    assert receptive.receptive_field_growth([(3, 1)] * 3).axes[0].get_title().endswith("sees 7 input values")
    with pytest.raises(ValueError, match="one per layer"):
        receptive.receptive_field_growth(layers, names=["conv"])


def test_the_convolution_row_is_the_correlation_with_the_rotated_kernel():
    from cnncourse.diagrams import flip

    x, kernel = np.arange(9.0).reshape(3, 3), np.arange(4.0).reshape(2, 2)
    fig = flip.correlation_and_convolution(x, kernel)
    correlation, convolution = fig.axes[4], fig.axes[9]
    assert numbers(correlation) == [19, 25, 37, 43]          # chapter 2's hand example
    expected = [sum(x[i + u, j + v] * kernel[1 - u, 1 - v] for u in range(2) for v in range(2))
                for i in range(2) for j in range(2)]           # the definition of a true convolution
    assert numbers(convolution) == expected
    assert numbers(fig.axes[7]) == [3, 2, 1, 0]                # the rotated kernel as drawn
    with pytest.raises(ValueError, match="at most 9"):
        flip.correlation_and_convolution(x, np.ones((4, 4)))
