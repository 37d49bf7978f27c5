"""Network in Network in Keras, twin of :mod:`cnncourse.torch.models.nin`.

:class:`NiNBlock` is a subclassed layer; its convolutions are named ``<block>.0``,
``<block>.2``, ``<block>.4`` like the torch ``nn.Sequential`` indices.

Taught in: chapter 8 (NiN).
"""
import keras
from keras import layers as L

from cnncourse.architectures import nin_blocks
from cnncourse.tensorflow.layers import MaxPool2d, conv2d, pointwise_conv2d, serializable
from cnncourse.validate import positive_ints

__all__ = ["NiNBlock", "nin"]


@serializable
class NiNBlock(keras.layers.Layer):
    """conv k x k -> ReLU -> 1x1 conv -> ReLU -> 1x1 conv -> ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, **kwargs):
        super().__init__(**kwargs)
        positive_ints(in_channels=in_channels, out_channels=out_channels)
        self.in_channels = in_channels
        self.args = (in_channels, out_channels, kernel_size, stride, padding)
        self.conv = conv2d(out_channels, kernel_size, stride, padding, name=f"{self.name}.0")
        self.mlp1 = pointwise_conv2d(out_channels, out_channels, name=f"{self.name}.2")
        self.mlp2 = pointwise_conv2d(out_channels, out_channels, name=f"{self.name}.4")

    def build(self, input_shape):
        if input_shape[-1] != self.in_channels:
            raise ValueError(f"{self.name}: expected {self.in_channels} input channels, got {input_shape[-1]}")

    def call(self, x):
        relu = keras.ops.relu
        return relu(self.mlp2(relu(self.mlp1(relu(self.conv(x))))))

    def get_config(self):
        names = ("in_channels", "out_channels", "kernel_size", "stride", "padding")
        return {**super().get_config(), **dict(zip(names, self.args))}


def nin(num_classes=10, in_channels=1, input_size=224):
    """NiN for 1-channel 224x224 inputs by default (the text's resized Fashion-MNIST)."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    (c1, *k1), (c2, *k2), (c3, *k3), (c4, *k4) = nin_blocks(input_size, num_classes)
    return keras.Sequential([
        keras.Input((input_size, input_size, in_channels)),
        NiNBlock(in_channels, c1, *k1, name="block1"), MaxPool2d(3, 2, name="pool1"),
        NiNBlock(c1, c2, *k2, name="block2"), MaxPool2d(3, 2, name="pool2"),
        NiNBlock(c2, c3, *k3, name="block3"), MaxPool2d(3, 2, name="pool3"),
        L.Dropout(0.5, name="dropout"),
        NiNBlock(c3, c4, *k4, name="block4"),
        L.GlobalAveragePooling2D(name="gap"),
    ], name="nin")
