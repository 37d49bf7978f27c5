"""cnncourse.diagrams.compare: diagrams side by side, at one scale."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")
import cnncourse.torch.models as tm  # noqa: E402
from cnncourse.diagrams import network_diagram  # noqa: E402
from cnncourse.diagrams.compare import side_by_side  # noqa: E402
from cnncourse.torch.models.fashion import PlainBlock  # noqa: E402


def test_one_panel_per_diagram_with_its_title_and_the_pixels_of_its_png():
    residual = network_diagram(tm.BasicBlock(8, 16, stride=2), (8, 8, 8))
    plain = network_diagram(PlainBlock(8, 16, stride=2), (8, 8, 8))
    fig = side_by_side([residual, plain], ["residual", "plain"], width=6)
    try:
        assert [ax.get_title() for ax in fig.axes] == ["residual", "plain"]
        heights = [ax.images[0].get_array().shape[0] for ax in fig.axes]
        # the plain block has no addition and no projection: a shorter picture,
        # drawn at the same scale (both panels span the taller one's height)
        assert heights[1] < heights[0]
        assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
        assert fig.get_size_inches()[0] == 6
    finally:
        plt.close(fig)


def test_bad_arguments_are_named():
    diagram = network_diagram(tm.BasicBlock(8, 8), (8, 4, 4))
    with pytest.raises(ValueError, match="at least one diagram"):
        side_by_side([])
    with pytest.raises(ValueError, match="2 titles for 1 diagrams"):
        side_by_side([diagram], ["a", "b"])
