"""Network in Network in Keras, twin of :mod:`cnncourse.torch.models.nin`.

:class:`NiNBlock` is a subclassed layer; its convolutions are named ``<block>.0``,
``<block>.2``, ``<block>.4`` like the torch ``nn.Sequential`` indices.
"""
import keras
from keras import layers as L

from ...convert import stem_and_downsampling
from ..layers import check_channels, conv2d, pointwise_conv2d

__all__ = ["NiNBlock", "nin"]


class NiNBlock(keras.layers.Layer):
    """conv k x k -> ReLU -> 1x1 conv -> ReLU -> 1x1 conv -> ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, **kwargs):
        super().__init__(**kwargs)
        check_channels(in_channels=in_channels, out_channels=out_channels)
        self.in_channels = in_channels
        self.conv = conv2d(out_channels, kernel_size, stride, padding, name=f"{self.name}.0")
        self.mlp1 = pointwise_conv2d(out_channels, out_channels, name=f"{self.name}.2")
        self.mlp2 = pointwise_conv2d(out_channels, out_channels, name=f"{self.name}.4")

    def build(self, input_shape):
        if input_shape[-1] != self.in_channels:
            raise ValueError(f"{self.name}: expected {self.in_channels} input channels, got {input_shape[-1]}")

    def call(self, x):
        relu = keras.ops.relu
        return relu(self.mlp2(relu(self.mlp1(relu(self.conv(x))))))


def nin(num_classes=10, in_channels=1, input_size=224):
    """NiN for 1-channel 224x224 inputs by default (the text's resized Fashion-MNIST)."""
    check_channels(num_classes=num_classes, in_channels=in_channels)
    imagenet = stem_and_downsampling(input_size, [(11, 4, 0)], [(3, 2, 0)] * 3, "nin")
    stem = (11, 4, 0) if imagenet else (3, 1, 1)
    return keras.Sequential([
        keras.Input((input_size, input_size, in_channels)),
        NiNBlock(in_channels, 96, *stem, name="block1"), L.MaxPooling2D(3, 2, name="pool1"),
        NiNBlock(96, 256, 5, 1, 2, name="block2"), L.MaxPooling2D(3, 2, name="pool2"),
        NiNBlock(256, 384, 3, 1, 1, name="block3"), L.MaxPooling2D(3, 2, name="pool3"),
        L.Dropout(0.5, name="dropout"),
        NiNBlock(384, num_classes, 3, 1, 1, name="block4"),
        L.GlobalAveragePooling2D(name="gap"),
    ], name="nin")
