"""cnncourse.diagrams: the pictures show what the code computes and what the network does."""
import numpy as np
import pytest

from cnncourse import shapes
from cnncourse.diagrams import network_diagram
from cnncourse.diagrams import operations as ops
from cnncourse.numpy import functional as F

torch = pytest.importorskip("torch")
import cnncourse.torch.models as tm  # noqa: E402
from cnncourse.torch.models.googlenet import INCEPTION_CHANNELS  # noqa: E402


def texts(ax):
    return [t.get_text() for t in ax.texts]


# ----------------------------------------------------------------------------- networks
def box(diagram, first_line):
    matches = [i for i, (lines, _) in enumerate(diagram.boxes) if lines[0] == first_line]
    assert len(matches) == 1, (first_line, diagram.boxes)
    return matches[0]


def test_a_projection_block_is_drawn_with_its_two_paths_meeting_at_the_addition():
    diagram = network_diagram(tm.BasicBlock(64, 128, stride=2), (64, 16, 16))
    add = box(diagram, "+")
    into_add = [a for a, b in diagram.edges if b == add]
    assert sorted(diagram.boxes[i][0][0] for i in into_add) == ["conv 1×1, 128, /2", "conv 3×3, 128"]
    assert diagram.boxes[box(diagram, "conv 3×3, 128, /2")] == (["conv 3×3, 128, /2", "batch norm", "ReLU"],
                                                                 "128×8×8")
    assert diagram.boxes[-1] == (["ReLU"], "128×8×8")
    assert diagram.png().startswith(b"\x89PNG")


def test_an_identity_shortcut_is_an_edge_from_the_input_to_the_addition():
    diagram = network_diagram(tm.BasicBlock(64, 64), (64, 8, 8))
    assert (box(diagram, "input"), box(diagram, "+")) in diagram.edges
    assert not any("1×1" in lines[0] for lines, _ in diagram.boxes)


def test_inception_concatenates_four_branches_into_the_sum_of_their_channels():
    c_in, c1, (_, c2), (_, c3), c4 = INCEPTION_CHANNELS["inception3a"]
    diagram = network_diagram(tm.InceptionBlock(*INCEPTION_CHANNELS["inception3a"]), (c_in, 28, 28))
    cat = box(diagram, "concatenate")
    assert len([a for a, b in diagram.edges if b == cat]) == 4
    assert diagram.boxes[cat][1] == f"{c1 + c2 + c3 + c4}×28×28"
    assert sum(a == box(diagram, "input") for a, _ in diagram.edges) == 4


def test_a_whole_network_with_blocks_as_boxes():
    diagram = network_diagram(tm.resnet18(num_classes=10, input_size=32), (3, 32, 32), leaves=(tm.BasicBlock,))
    blocks = [lines[0] for lines, _ in diagram.boxes if lines[0].startswith("BasicBlock")]
    assert blocks.count("BasicBlock") == 5 and blocks.count("BasicBlock, /2") == 3
    assert diagram.boxes[-1] == (["dense 10"], "10")
    assert repr(diagram) == f"<network diagram: {len(diagram.boxes)} boxes>"


def test_lenet5_layers_in_order():
    diagram = network_diagram(tm.lenet5("modern"), (1, 28, 28))
    assert [lines[0] for lines, _ in diagram.boxes] == [
        "input", "conv 5×5, 6", "max pool 2×2, /2", "conv 5×5, 16", "max pool 2×2, /2", "flatten",
        "dense 120", "dense 84", "dense 10"]
    assert diagram.boxes[3] == (["conv 5×5, 16", "ReLU"], "16×10×10")


# ----------------------------------------------------------------------------- operations
def test_the_sliding_window_shows_the_package_s_sums():
    x, kernel = np.arange(9.0).reshape(3, 3), np.arange(4.0).reshape(2, 2)
    fig = ops.sliding_window(x, kernel)
    last_output = fig.axes[-1]
    expected = F.conv2d(x[None, None], kernel[None, None])[0, 0]
    assert sorted(texts(last_output)) == sorted(str(int(v)) for v in expected.ravel())  # 19 25 37 43
    assert len(fig.axes) == 7 * expected.size
    assert "sum 19" in texts(fig.axes[5])


def test_channel_sum_adds_the_per_channel_correlations():
    x = np.stack([np.arange(9.0), np.arange(1.0, 10.0)]).reshape(2, 3, 3)
    weight = np.stack([np.arange(4.0), np.arange(1.0, 5.0)]).reshape(2, 2, 2)
    fig = ops.channel_sum(x, weight)
    assert sorted(texts(fig.axes[-1])) == ["104", "120", "56", "72"]
    with pytest.raises(ValueError, match="share C_in"):
        ops.channel_sum(x, weight[:1])


def test_transposed_convolution_stamps_sum_to_the_package_s_output():
    x, kernel = np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((3, 3))
    fig = ops.transposed_convolution(x, kernel)
    expected = F.conv_transpose2d(x[None, None], kernel[None, None], stride=2)[0, 0]
    total = fig.axes[-1]
    assert total.get_title() == "sum of the stamps = output"
    assert [float(t) for t in texts(total)] == list(expected.ravel())


def test_pooling_and_window_positions_count_what_the_formulas_count():
    x = np.arange(16.0).reshape(4, 4)
    fig = ops.pooling_windows(x, 2)
    assert sorted(map(float, texts(fig.axes[-1]))) == sorted(F.max_pool2d(x[None, None], 2)[0, 0].ravel())
    with pytest.raises(ValueError, match="mode"):
        ops.pooling_windows(x, mode="median")
    ax = fig.axes[0]
    for args, kwargs in (((5, 3), {"padding": ((1, 1), (2, 2))}), ((5, (3, 2)), {"stride": (2, 1)}),
                         ((7, 3), {"dilation": 2})):
        h, w = ops.window_positions(ax, *args, **kwargs)
        n, k = args
        kh, kw = (k, k) if np.isscalar(k) else k
        pad = kwargs.get("padding", ((0, 0), (0, 0)))
        stride = kwargs.get("stride", (1, 1))
        d = kwargs.get("dilation", 1)
        assert h == (n + sum(pad[0]) - d * (kh - 1) - 1) // stride[0] + 1
        assert w == (n + sum(pad[1]) - d * (kw - 1) - 1) // stride[1] + 1


def test_receptive_field_formula():
    # The picture is cnncourse.diagrams.receptive (tests/test_diagrams_layers.py).
    assert shapes.receptive_field([(3, 1)] * 3) == 7
    assert shapes.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == 15
    assert shapes.receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)]) == 16
    with pytest.raises(ValueError):
        shapes.receptive_field([(0, 1)])


def test_depthwise_separable_counts():
    fig = ops.depthwise_separable(3, 4, 3)
    assert "= 108 weights" in fig.axes[0].get_title()
    assert "27 + 12 = 39 weights" in fig.axes[1].get_title()


# ----------------------------------------------------------------------------- backward passes (chapter 5)
from cnncourse.diagrams import backprop  # noqa: E402


def numbers(ax):
    return [float(t) for t in texts(ax)]


def test_weight_gradient_rows_sum_to_conv2d_backward_s_gradient():
    x = np.array([[1., 2., 0.], [0., 1., 3.], [2., 1., 1.]])
    grad_out = np.array([[-1., 4.], [1., 1.]])
    fig = backprop.weight_gradient(x, grad_out, 2)
    _, grad_w, _ = F.conv2d_backward(grad_out[None, None], x[None, None], np.zeros((1, 1, 2, 2)))
    assert len(fig.axes) == 7 * 4                        # one row per weight
    last = fig.axes[-1]
    assert sorted(numbers(last)) == sorted(grad_w[0, 0].ravel())  # 8 2 7 13: the whole dL/dw at the end
    assert "sum 8" in texts(fig.axes[5]) and "w00" in texts(fig.axes[5])
    assert len(texts(fig.axes[6])) == 1                 # after the first row only dL/dw00 is known


def test_weight_gradient_with_stride_uses_the_dilated_output_gradient():
    rng = np.random.default_rng(0)
    x, grad_out = rng.integers(-3, 4, (7, 7)).astype(float), rng.integers(-2, 3, (3, 3)).astype(float)
    fig = backprop.weight_gradient(x, grad_out, 3, stride=2, weights=[(0, 0), (1, 2)])
    assert len(fig.axes) == 7 * 2
    dilated = fig.axes[2]
    assert len(texts(dilated)) == 25 and numbers(dilated).count(0.0) >= 16   # 5x5: 16 inserted zeros
    _, grad_w, _ = F.conv2d_backward(grad_out[None, None], x[None, None], np.zeros((1, 1, 3, 3)), stride=2)
    assert f"sum {backprop.number(grad_w[0, 0, 1, 2])}" in texts(fig.axes[7 + 5])
    with pytest.raises(ValueError, match="must have that shape"):
        backprop.weight_gradient(x, grad_out[:2], 3, stride=2)
    with pytest.raises(ValueError, match="positions inside"):
        backprop.weight_gradient(x, grad_out, 3, stride=2, weights=[(3, 0)])


def test_input_gradient_is_the_full_correlation_with_the_rotated_kernel():
    grad_out, kernel = np.array([[-1., 4.], [1., 1.]]), np.array([[1., -1.], [2., 0.5]])
    fig = backprop.input_gradient(grad_out, kernel)
    grad_x, _, _ = F.conv2d_backward(grad_out[None, None], np.zeros((1, 1, 3, 3)), kernel[None, None])
    assert len(fig.axes) == 5 * 9
    assert sorted(numbers(fig.axes[-1])) == sorted(grad_x[0, 0].ravel())
    assert numbers(fig.axes[2]) == list(kernel[::-1, ::-1].ravel())     # rotated by 180 degrees
    assert len(texts(fig.axes[0])) == 16                                # 2x2 padded by 1 each side


def test_input_gradient_with_stride_two_dilates_then_pads():
    grad_out, kernel = np.arange(1.0, 10.0).reshape(3, 3), np.array([[1., 0., -1.], [2., 1., 0.], [0., 1., 1.]])
    fig = backprop.input_gradient(grad_out, kernel, stride=2, positions=[(0, 0), (3, 3), (6, 6)])
    assert len(texts(fig.axes[0])) == 81                                 # 3x3 -> 5x5 -> 9x9
    grad_x, _, _ = F.conv2d_backward(grad_out[None, None], np.zeros((1, 1, 7, 7)), kernel[None, None], stride=2)
    assert sorted(numbers(fig.axes[-1])) == sorted(grad_x[0, 0].ravel())  # the last position fills all 49
    assert "dilated (stride 2)" in fig.axes[0].get_title()


def test_max_pool_backward_routes_to_the_maxima_and_average_spreads():
    x = np.array([[1., 5., 2., 0.], [3., 4., 6., 1.], [0., 2., 1., 3.], [7., 1., 2., 8.]])
    grad_out = np.array([[1., 2.], [3., 4.]])
    fig = backprop.pool_backward(x, grad_out)
    bold = [t.get_text() for t in fig.axes[0].texts if t.get_fontweight() == "bold"]
    assert sorted(bold) == ["5", "6", "7", "8"]
    assert numbers(fig.axes[3]) == list(F.max_pool2d_backward(grad_out[None, None], x[None, None], 2).ravel())
    avg = backprop.pool_backward(x, grad_out, mode="avg")
    assert numbers(avg.axes[3]) == list(F.avg_pool2d_backward(grad_out[None, None], x[None, None], 2).ravel())
    with pytest.raises(ValueError, match="overlap"):
        backprop.pool_backward(np.zeros((5, 5)), np.zeros((2, 2)), 3, stride=2)
    with pytest.raises(ValueError, match="pooled shape"):
        backprop.pool_backward(x, np.zeros((3, 3)))
