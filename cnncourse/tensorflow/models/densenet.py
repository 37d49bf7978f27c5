"""DenseNet-BC in Keras 3 (NHWC), the twin of ``cnncourse.torch.models.densenet``.

DenseNet-121 and the small ``densenet_cifar`` (growth 32, blocks (4, 4, 4, 4)); see the torch
file for why. Layers holding weights carry torchvision's names
(``features.denseblock1.denselayer1.norm1``) so ``cnncourse.convert`` can pair them.

Taught in: chapter 10 (dense networks).
"""
import keras
from keras import layers, ops

from cnncourse.architectures import DENSENET_CONFIGS, densenet_stem
from cnncourse.tensorflow.layers import MaxPool2d, batch_norm, child, conv2d, serializable
from cnncourse.validate import positive_ints

__all__ = ["DenseLayer", "DenseBlock", "Transition", "DenseNet", "densenet121", "densenet_cifar"]


@serializable
class DenseLayer(layers.Layer):
    """BN-ReLU-1x1 conv to ``bn_size * growth_rate``, BN-ReLU-3x3 conv to ``growth_rate``."""

    def __init__(self, in_channels, growth_rate, bn_size=4, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        positive_ints(in_channels=in_channels, growth_rate=growth_rate, bn_size=bn_size)
        self.in_channels, self.growth_rate, self.bn_size = in_channels, growth_rate, bn_size
        self.norm1 = batch_norm(child(name, "norm1"))
        self.conv1 = conv2d(bn_size * growth_rate, 1, use_bias=False, name=child(name, "conv1"))
        self.norm2 = batch_norm(child(name, "norm2"))
        self.conv2 = conv2d(growth_rate, 3, 1, 1, use_bias=False, name=child(name, "conv2"))

    def call(self, x, training=None):
        x = self.conv1(ops.relu(self.norm1(x, training=training)))
        return self.conv2(ops.relu(self.norm2(x, training=training)))

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "growth_rate": self.growth_rate, "bn_size": self.bn_size}


@serializable
class DenseBlock(layers.Layer):
    """``num_layers`` DenseLayers, each fed the concatenation of the input and all earlier
    outputs; returns that concatenation (in_channels + num_layers * growth_rate channels).
    """

    def __init__(self, num_layers, in_channels, growth_rate, bn_size=4, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        positive_ints(num_layers=num_layers, in_channels=in_channels)
        self.num_layers, self.in_channels = num_layers, in_channels
        self.growth_rate, self.bn_size = growth_rate, bn_size
        self.dense_layers = [
            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size,
                       name=child(name, f"denselayer{i + 1}")) for i in range(num_layers)]
        self.out_channels = in_channels + num_layers * growth_rate

    def call(self, x, training=None):
        if x.shape[-1] != self.in_channels:
            raise ValueError(f"{self.name} expects {self.in_channels} input channels (NHWC), "
                             f"got input shape {tuple(x.shape)}")
        for layer in self.dense_layers:
            x = ops.concatenate([x, layer(x, training=training)], axis=-1)
        return x

    def get_config(self):
        return {**super().get_config(), "num_layers": self.num_layers,
                "in_channels": self.in_channels, "growth_rate": self.growth_rate,
                "bn_size": self.bn_size}


@serializable
class Transition(layers.Layer):
    """BN-ReLU-1x1 conv to ``out_channels``, then 2x2 average pooling (halves height and width)."""

    def __init__(self, in_channels, out_channels, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        positive_ints(in_channels=in_channels, out_channels=out_channels)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.norm = batch_norm(child(name, "norm"))
        self.conv = conv2d(out_channels, 1, use_bias=False, name=child(name, "conv"))
        self.pool = layers.AveragePooling2D(2)

    def call(self, x, training=None):
        return self.pool(self.conv(ops.relu(self.norm(x, training=training))))

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels}


def DenseNet(growth_rate, block_config, num_init_features, bn_size=4, num_classes=1000,
             in_channels=3, input_size=224, name="densenet"):
    """Functional DenseNet-BC: stem, dense blocks with halving transitions, BN-ReLU, pool, dense.

    The input is ``(None, None, in_channels)``; ``input_size`` only picks the stem.
    """
    conv, pool = densenet_stem(block_config, num_init_features, num_classes, in_channels, input_size)
    inputs = keras.Input((None, None, in_channels))
    x = conv2d(num_init_features, *conv, use_bias=False, name="features.conv0")(inputs)
    x = layers.ReLU()(batch_norm("features.norm0")(x))
    if pool is not None:
        x = MaxPool2d(*pool)(x)
    channels = num_init_features
    for i, num_layers in enumerate(block_config):
        block = DenseBlock(num_layers, channels, growth_rate, bn_size,
                           name=f"features.denseblock{i + 1}")
        x, channels = block(x), block.out_channels
        if i < len(block_config) - 1:
            x = Transition(channels, channels // 2, name=f"features.transition{i + 1}")(x)
            channels //= 2
    x = layers.ReLU()(batch_norm("features.norm5")(x))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="classifier")(x), name=name)


def densenet121(num_classes=1000, in_channels=3, input_size=224):
    """DenseNet-121: growth 32, blocks (6, 12, 24, 16), 64 stem features; 7,978,856 weights."""
    return DenseNet(*DENSENET_CONFIGS["densenet121"], 4, num_classes, in_channels, input_size,
                    "densenet121")


def densenet_cifar(num_classes=10, in_channels=3, input_size=32):
    """Small DenseNet-BC for 32x32 images: growth 32, blocks (4, 4, 4, 4), 64 stem features."""
    return DenseNet(*DENSENET_CONFIGS["densenet_cifar"], 4, num_classes, in_channels, input_size,
                    "densenet_cifar")
