"""The convolution variants of the course as layers: torch and Keras agree after conversion.

1x1 (pointwise), dilated, depthwise separable and transposed-to-a-given-size convolutions,
each built in both frameworks with the same arguments, weights copied torch -> Keras by
name, outputs compared; plus the parameter counts (against :mod:`cnncourse.shapes`), the
output sizes the layers promise, and the errors for arguments they cannot honour.
"""
from collections import OrderedDict

import keras
import numpy as np
import pytest
import torch
from models_helpers import copy_and_compare, count_keras, count_torch, random_images
from torch import nn

import cnncourse.tensorflow.layers as KL
import cnncourse.torch.layers as TL
from cnncourse import shapes
from cnncourse.convert import nchw_to_nhwc


def pair(torch_layer, keras_layer, input_size):
    """The two layers wrapped so that both carry the name ``"v"`` and Keras knows its input."""
    keras_model = keras.Sequential([keras.Input((*input_size[1:], input_size[0])), keras_layer])
    return nn.Sequential(OrderedDict(v=torch_layer)), keras_model


# id: (constructor name, args, kwargs, NCHW input, expected parameter count)
CASES = {
    "pointwise": ("pointwise_conv2d", (5, 7), {}, (5, 6, 6), shapes.conv2d_parameters(5, 7, 1)),
    "pointwise-no-bias": ("pointwise_conv2d", (4, 3), dict(bias=False), (4, 5, 5),
                          shapes.conv2d_parameters(4, 3, 1, bias=False)),
    "dilated-3x3-d2": ("dilated_conv2d", (3, 4), {}, (3, 9, 9), shapes.conv2d_parameters(3, 4, 3)),
    "dilated-5x5-d3": ("dilated_conv2d", (2, 3, 5, 3), {}, (2, 13, 13), shapes.conv2d_parameters(2, 3, 5)),
    # Keras "same" padding (stride 1, padding = k // 2), a ZeroPadding2D + "valid" pair
    # (stride 2), and no padding at all: the three ways the Keras twin is assembled.
    "separable-same": ("DepthwiseSeparableConv2d", (3, 5, 3), dict(padding=1), (3, 7, 7),
                       shapes.separable_conv2d_parameters(3, 5, 3)),
    "separable-strided": ("DepthwiseSeparableConv2d", (4, 6, 3), dict(stride=2, padding=1, depth_multiplier=2),
                          (4, 9, 9), shapes.separable_conv2d_parameters(4, 6, 3, depth_multiplier=2)),
    "separable-valid-no-bias": ("DepthwiseSeparableConv2d", (2, 3, 5), dict(bias=False), (2, 8, 8),
                                shapes.separable_conv2d_parameters(2, 3, 5, bias=False)),
    # stride 2, kernel 3, padding 1 from 5 px reaches 9 or 10: both, and a non-square target.
    # A transposed conv has as many weights as a conv from in to out channels (bias: out).
    "transposed-9": ("ConvTranspose2dTo", (3, 4, 3, 2, 1), dict(output_size=9), (3, 5, 5),
                     shapes.conv2d_parameters(3, 4, 3)),
    "transposed-10": ("ConvTranspose2dTo", (3, 4, 3, 2, 1), dict(output_size=10), (3, 5, 5),
                      shapes.conv2d_parameters(3, 4, 3)),
    "transposed-rect": ("ConvTranspose2dTo", (2, 3, 4, 3), dict(output_size=(15, 17)), (2, 4, 5),
                        shapes.conv2d_parameters(2, 3, 4)),
}


@pytest.mark.parametrize("case", CASES)
def test_torch_and_keras_layers_agree(case):
    name, args, kwargs, input_size, expected_count = CASES[case]
    torch.manual_seed(0)
    torch_model, keras_model = pair(getattr(TL, name)(*args, **kwargs),
                                    getattr(KL, name)(*args, name="v", **kwargs), input_size)
    assert count_torch(torch_model) == count_keras(keras_model) == expected_count
    copy_and_compare(torch_model, keras_model, input_size)


@pytest.mark.parametrize("kernel_size, dilation", [(3, 1), (3, 2), (5, 3)])
def test_dilated_convolution_keeps_the_size_and_spreads_the_kernel(kernel_size, dilation):
    """Size preserved; one output pixel sees exactly d*(k-1)+1 input pixels per axis."""
    conv = TL.dilated_conv2d(1, 1, kernel_size, dilation, bias=False)
    size = 2 * dilation * (kernel_size - 1) + 1
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    out = conv(x)
    assert out.shape == x.shape
    out[0, 0, size // 2, size // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    assert int(rows.max() - rows.min()) + 1 == dilation * (kernel_size - 1) + 1
    assert len(rows) == kernel_size  # k taps, with d - 1 skipped pixels between them


def test_depthwise_separable_is_depthwise_then_pointwise():
    """The module equals torch's grouped conv followed by a 1x1 conv with the same weights."""
    torch.manual_seed(1)
    layer = TL.DepthwiseSeparableConv2d(3, 4, 3, padding=1, depth_multiplier=2)
    x = torch.randn(2, 3, 6, 6)
    dw = nn.functional.conv2d(x, layer.depthwise.weight, padding=1, groups=3)
    expected = nn.functional.conv2d(dw, layer.pointwise.weight, layer.pointwise.bias)
    torch.testing.assert_close(layer(x), expected)
    assert layer.depthwise.weight.shape == (6, 1, 3, 3)


def test_transposed_to_size_equals_torch_with_the_computed_output_padding():
    """torch can do it per call; the layer fixes the size and computes output_padding itself."""
    torch.manual_seed(2)
    layer = TL.ConvTranspose2dTo(3, 2, 3, stride=3, padding=1, output_size=(13, 15))
    x = torch.randn(1, 3, 5, 5)
    pads = [shapes.conv_transpose_output_padding(o, 3, 3, 1, input_size=5) for o in (13, 15)]
    assert pads == [0, 2]
    # the same numbers as the texts' a = (o + 2p - k) % s, from the shapes module
    assert tuple(pads) == shapes.conv_transpose_output_padding((13, 15), 3, 3, 1)
    expected = nn.functional.conv_transpose2d(x, layer.weight, layer.bias, stride=3, padding=1,
                                              output_padding=tuple(pads))
    torch.testing.assert_close(layer(x), expected)
    torch.testing.assert_close(layer(x), nn.ConvTranspose2d.forward(layer, x, output_size=[13, 15]))


def test_transposed_convolution_undoes_the_shape_of_a_strided_one():
    """Every size a stride-2 conv maps to 3 px comes back through the transposed layer."""
    for size in (7, 8):
        conv = nn.Conv2d(2, 2, 3, stride=2)
        assert conv(torch.zeros(1, 2, size, size)).shape[-1] == 3
        up = KL.ConvTranspose2dTo(2, 2, 3, 2, output_size=size)
        assert tuple(up(np.zeros((1, 3, 3, 2), np.float32)).shape) == (1, size, size, 2)
        assert up.compute_output_shape((None, 3, 3, 2)) == (None, size, size, 2)


@pytest.mark.parametrize("framework", [TL, KL], ids=["torch", "keras"])
def test_bad_arguments_raise_value_error(framework):
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        framework.dilated_conv2d(3, 3, kernel_size=4)
    with pytest.raises(ValueError, match="out_channels"):
        framework.DepthwiseSeparableConv2d(3, 0, 3)
    with pytest.raises(ValueError, match="depth_multiplier"):
        framework.DepthwiseSeparableConv2d(3, 4, 3, depth_multiplier=0)
    with pytest.raises(ValueError, match="in_channels"):
        framework.ConvTranspose2dTo(-1, 4, 3, output_size=8)
    with pytest.raises(ValueError, match="out_channels"):
        framework.pointwise_conv2d(3, 0)


def test_unreachable_output_size_raises_in_both_frameworks():
    # stride 2, kernel 3, no padding from 4 px: only 9 or 10 are reachable
    with pytest.raises(ValueError, match=r"output_size=12 is unreachable.*\[9, 10\]"):
        TL.ConvTranspose2dTo(1, 1, 3, 2, output_size=12)(torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"output_size=8 is unreachable.*\[9, 10\]"):
        KL.ConvTranspose2dTo(1, 1, 3, 2, output_size=8)(np.zeros((1, 4, 4, 1), np.float32))


def test_keras_layers_check_the_input_channels():
    layer = KL.ConvTranspose2dTo(3, 2, 3, output_size=6, name="up")
    with pytest.raises(ValueError, match="up: expected 3 input channels, got 4"):
        layer(nchw_to_nhwc(random_images(1, (4, 4, 4))))
