"""cnncourse.convert: layout helpers, torch <-> Keras pairing by name, NumPy state dicts."""
from collections import OrderedDict

import keras
import numpy as np
import pytest
import torch
from models_helpers import assert_scaled_close, copy_and_compare, random_images, randomize_batchnorm
from torch import nn

from cnncourse import convert
from cnncourse.numpy import models as numpy_models
from cnncourse.torch.models import lenet5

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("forward,backward,axes", [
    (convert.nchw_to_nhwc, convert.nhwc_to_nchw, (0, 2, 3, 1)),
    (convert.oihw_to_hwio, convert.hwio_to_oihw, (2, 3, 1, 0)),
])
def test_layout_helpers_move_axes_and_round_trip(forward, backward, axes):
    x = RNG.standard_normal((2, 3, 4, 5))
    y = forward(x)
    np.testing.assert_array_equal(y, np.transpose(x, axes))
    assert y.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(backward(y), x)
    t = torch.from_numpy(x)
    np.testing.assert_array_equal(forward(t).numpy(), y)  # torch tensors stay tensors
    with pytest.raises(ValueError, match=r"rank-4.*shape \(3, 4\)"):
        forward(np.zeros((3, 4)))


class FunctionalFlatten(nn.Module):
    """A torch model that flattens with torch.flatten inside forward (no nn.Flatten module)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 4 * 5, 4)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.bn(self.conv(x))), 1))


def keras_functional_flatten():
    inp = keras.Input((6, 7, 2))
    x = keras.layers.Conv2D(3, 3, name="conv")(inp)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(epsilon=1e-5, name="bn")(x))
    return keras.Model(inp, keras.layers.Dense(4, name="fc")(keras.layers.Flatten()(x)))


def test_flatten_order_is_permuted_for_a_non_square_map():
    torch.manual_seed(0)
    torch_model, keras_model = FunctionalFlatten(), keras_functional_flatten()
    copy_and_compare(torch_model, keras_model, (2, 6, 7))
    # the permutation is real: a plain transpose of the torch kernel differs from Keras'
    plain = torch_model.fc.weight.detach().numpy().T
    assert not np.allclose(plain, keras_model.get_layer("fc").kernel.numpy())


class KerasBlock(keras.layers.Layer):
    """A subclassed Keras block whose sublayers carry the torch names."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.depthwise = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                                      name=f"{self.name}.dw")
        self.transposed = keras.layers.Conv2DTranspose(5, 2, strides=2, name=f"{self.name}.up")
        self.pointwise = keras.layers.Conv2D(4, 1, use_bias=False, name=f"{self.name}.pw")

    def call(self, x):
        return self.pointwise(self.transposed(self.depthwise(x)))


def test_subclassed_block_with_depthwise_transposed_and_1x1_convolutions():
    torch.manual_seed(1)
    block = nn.Sequential(OrderedDict(dw=nn.Conv2d(3, 6, 3, padding=1, groups=3),
                                      up=nn.ConvTranspose2d(6, 5, 2, stride=2),
                                      pw=nn.Conv2d(5, 4, 1, bias=False)))
    keras_model = keras.Sequential([keras.Input((5, 5, 3)), KerasBlock(name="block")])
    copy_and_compare(nn.Sequential(OrderedDict(block=block)), keras_model, (3, 5, 5))


def test_grouped_and_separable_convolutions():
    from cnncourse.torch.layers import DepthwiseSeparableConv2d

    torch.manual_seed(2)
    torch_model = nn.Sequential(OrderedDict(g=nn.Conv2d(4, 6, 3, groups=2),
                                            s=DepthwiseSeparableConv2d(6, 5, 3, depth_multiplier=2)))
    keras_model = keras.Sequential([keras.Input((9, 9, 4)), keras.layers.Conv2D(6, 3, groups=2, name="g"),
                                    keras.layers.SeparableConv2D(5, 3, depth_multiplier=2, name="s")])
    copy_and_compare(torch_model, keras_model, (4, 9, 9))


def test_round_trip_torch_keras_torch_is_exact():
    torch.manual_seed(3)
    source = randomize_batchnorm(lenet5("batchnorm"), seed=3)
    from cnncourse.tensorflow.models import lenet5 as keras_lenet5

    target = convert.keras_to_torch(convert.torch_to_keras(source, keras_lenet5("batchnorm")), lenet5("batchnorm"))
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        if not name.endswith("num_batches_tracked"):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_batchnorm_hyperparameters_follow_the_source():
    torch_model = nn.Sequential(nn.BatchNorm2d(3, eps=1e-3, momentum=0.25))
    keras_model = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.BatchNormalization(name="0")])
    convert.torch_to_keras(torch_model, keras_model)
    layer = keras_model.get_layer("0")
    assert layer.epsilon == pytest.approx(1e-3) and layer.momentum == pytest.approx(0.75)
    layer.momentum, layer.epsilon = 0.9, 1e-4
    convert.keras_to_torch(keras_model, torch_model)
    assert torch_model[0].momentum == pytest.approx(0.1) and torch_model[0].eps == pytest.approx(1e-4)
    torch_model[0].momentum = None
    with pytest.raises(ValueError, match="momentum=None"):
        convert.torch_to_keras(torch_model, keras_model)


def test_mismatches_are_all_reported():
    torch_model = nn.Sequential(OrderedDict(a=nn.Conv2d(1, 2, 3), b=nn.Conv2d(2, 2, 3)))
    keras_model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3, name="a"),
                                    keras.layers.Conv2D(2, 3, name="c"), keras.layers.LayerNormalization(name="n")])
    with pytest.raises(ValueError) as info:
        convert.torch_to_keras(torch_model, keras_model)
    message = str(info.value)
    assert "shape mismatch at 'a.weight'" in message
    assert "no torch tensor 'c.weight'" in message
    assert "'n' (LayerNormalization) has no supported torch counterpart" in message
    assert "torch tensor 'b.weight' has no Keras counterpart" in message


def test_subclassed_keras_model_needs_input_size_for_dense_layers():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.flat, self.fc = keras.layers.Flatten(), keras.layers.Dense(2, name="1")

        def call(self, x):
            return self.fc(self.flat(x))

    torch.manual_seed(4)
    torch_model, keras_model = nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), Net()
    keras_model(np.zeros((1, 2, 3, 2), np.float32))
    with pytest.raises(ValueError, match="input_size"):
        convert.torch_to_keras(torch_model, keras_model)
    x = random_images(2, (2, 2, 3))
    convert.torch_to_keras(torch_model, keras_model, input_size=(2, 2, 3))
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    assert_scaled_close(np.asarray(keras_model(convert.nchw_to_nhwc(x))), expected)


def test_numpy_state_dicts_round_trip_and_mismatches_raise():
    torch.manual_seed(5)
    source = randomize_batchnorm(lenet5("batchnorm"), seed=5)
    numpy_model = convert.torch_to_numpy(source, numpy_models.lenet5("batchnorm"))
    back = convert.numpy_to_torch(numpy_model, lenet5("batchnorm"))
    for (name, a), b in zip(source.state_dict().items(), back.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    with pytest.raises(ValueError, match="missing keys"):
        convert.torch_to_numpy(lenet5("modern"), numpy_models.lenet5("batchnorm"))
    with pytest.raises(ValueError, match="shape mismatches"):
        convert.numpy_to_torch(numpy_models.lenet5("modern", num_classes=3), lenet5("modern"))
