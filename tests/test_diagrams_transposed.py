"""cnncourse.diagrams.transposed: the zero-insertion picture shows conv_transpose2d's output."""
import numpy as np
import pytest

from cnncourse import shapes
from cnncourse.diagrams.transposed import zero_insertion
from cnncourse.numpy import functional as F


def texts(ax):
    return [float(t.get_text()) for t in ax.texts]


@pytest.mark.parametrize("n, k, stride, padding", [(2, 3, 2, 0), (3, 3, 2, 1), (2, 2, 3, 0)])
def test_the_picture_s_output_is_the_package_s_transposed_convolution(n, k, stride, padding):
    x = np.arange(1.0, n * n + 1).reshape(n, n)
    kernel = np.arange(1.0, k * k + 1).reshape(k, k)
    fig = zero_insertion(x, kernel, stride=stride, padding=padding)
    output_axis = fig.axes[-1]
    expected = F.conv_transpose2d(x[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
    assert texts(output_axis) == list(expected.ravel())
    side = shapes.conv_transpose2d_output_size(n, k, stride=stride, padding=padding)
    assert output_axis.get_title() == f"output {side}×{side}"
    padded_axis = fig.axes[2]
    padded_side = (n - 1) * stride + 1 + 2 * (k - padding - 1)
    assert len(padded_axis.texts) == padded_side ** 2
    assert sorted(v for v in texts(padded_axis) if v) == sorted(x.ravel())  # only the input's values


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="square 2-D kernel"):
        zero_insertion(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="padding"):
        zero_insertion(np.ones((2, 2)), np.ones((3, 3)), padding=3)
