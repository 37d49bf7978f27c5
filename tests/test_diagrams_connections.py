"""cnncourse.diagrams.connections: chapter 1's pictures show the vector and counts the code computes."""
import numpy as np
import pytest

from cnncourse import shapes
from cnncourse.diagrams import connections


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_the_flattened_vector_holds_the_image_rows_end_to_end():
    image = np.arange(12).reshape(3, 4) * 10
    fig = connections.flattened_image(image)
    image_ax, vector_ax = fig.axes
    assert texts(image_ax) == [str(v) for v in image.ravel()]
    numbers = [t for t in texts(vector_ax) if t and not t.startswith("row")]
    assert numbers == [str(v) for v in image.ravel()]  # the order of np.ravel and torch.flatten
    assert [t for t in texts(vector_ax) if t.startswith("row")] == ["row 0", "row 1", "row 2"]
    with pytest.raises(ValueError, match="2-D"):
        connections.flattened_image(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="rows"):
        connections.flattened_image(np.zeros((9, 2)))


def test_the_wiring_titles_count_what_the_formulas_count():
    fig = connections.connection_patterns(n=5, k=3)
    dense, local, shared = (ax.get_title() for ax in fig.axes)
    assert f"{shapes.linear_parameters(25, 9, bias=False):,} weights" in dense  # 225
    assert "81 weights" in local                                                 # 9 windows x 9
    assert f"{shapes.conv2d_parameters(1, 1, 3, bias=False)} weights" in shared   # 9
    with pytest.raises(ValueError, match="k < n"):
        connections.connection_patterns(n=3, k=3)
