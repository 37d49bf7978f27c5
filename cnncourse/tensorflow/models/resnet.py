"""ResNet-18/34/50 in Keras 3 (NHWC), the twin of ``cnncourse.torch.models.resnet``.

Blocks are subclassed layers, networks are functional models. Every layer holding weights
is named after its torch counterpart (``layer1.0.conv1``, ``layer2.0.downsample.0``, ``fc``),
which is how ``cnncourse.convert`` pairs them.

Taught in: chapter 10 (residual networks).
"""
import keras
from keras import layers

from cnncourse.architectures import RESNET_CONFIGS, RESNET_WIDTHS, resnet_stem
from cnncourse.tensorflow.layers import MaxPool2d, batch_norm, child, conv2d, serializable
from cnncourse.validate import positive_ints

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50"]


class ResidualBlock(layers.Layer):
    """Shared part of both blocks: the projection shortcut and the final add + ReLU."""

    def __init__(self, in_channels, out_channels, stride, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.relu = layers.ReLU()
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = [conv2d(out_channels, 1, stride, use_bias=False,
                                      name=child(name, "downsample.0")),
                               batch_norm(child(name, "downsample.1"))]

    def shortcut(self, x, training):
        if x.shape[-1] != self.in_channels:
            raise ValueError(f"{self.name} expects {self.in_channels} input channels (NHWC), "
                             f"got input shape {tuple(x.shape)}")
        if self.downsample is None:
            return x
        conv, bn = self.downsample
        return bn(conv(x), training=training)


@serializable
class BasicBlock(ResidualBlock):
    """Two 3x3 convs plus a shortcut (identity, or 1x1 conv + BN when the shape changes)."""

    expansion = 1

    def __init__(self, in_channels, out_channels, stride=1, name=None, **kwargs):
        positive_ints(in_channels=in_channels, out_channels=out_channels, stride=stride)
        super().__init__(in_channels, out_channels, stride, name=name, **kwargs)
        self.conv1 = conv2d(out_channels, 3, stride, 1, use_bias=False, name=child(name, "conv1"))
        self.bn1 = batch_norm(child(name, "bn1"))
        self.conv2 = conv2d(out_channels, 3, 1, 1, use_bias=False, name=child(name, "conv2"))
        self.bn2 = batch_norm(child(name, "bn2"))

    def call(self, x, training=None):
        identity = self.shortcut(x, training)
        out = self.relu(self.bn1(self.conv1(x), training=training))
        out = self.bn2(self.conv2(out), training=training)
        return self.relu(out + identity)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "stride": self.stride}


@serializable
class Bottleneck(ResidualBlock):
    """1x1 reduce -> 3x3 (with the stride) -> 1x1 expand to ``mid_channels * expansion``."""

    def __init__(self, in_channels, mid_channels, stride=1, expansion=4, name=None, **kwargs):
        positive_ints(in_channels=in_channels, mid_channels=mid_channels, stride=stride,
                      expansion=expansion)
        super().__init__(in_channels, mid_channels * expansion, stride, name=name, **kwargs)
        self.mid_channels, self.expansion = mid_channels, expansion
        self.conv1 = conv2d(mid_channels, 1, use_bias=False, name=child(name, "conv1"))
        self.bn1 = batch_norm(child(name, "bn1"))
        self.conv2 = conv2d(mid_channels, 3, stride, 1, use_bias=False, name=child(name, "conv2"))
        self.bn2 = batch_norm(child(name, "bn2"))
        self.conv3 = conv2d(self.out_channels, 1, use_bias=False, name=child(name, "conv3"))
        self.bn3 = batch_norm(child(name, "bn3"))

    def call(self, x, training=None):
        identity = self.shortcut(x, training)
        out = self.relu(self.bn1(self.conv1(x), training=training))
        out = self.relu(self.bn2(self.conv2(out), training=training))
        out = self.bn3(self.conv3(out), training=training)
        return self.relu(out + identity)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "mid_channels": self.mid_channels, "stride": self.stride,
                "expansion": self.expansion}


def ResNet(block, blocks_per_stage, num_classes=1000, in_channels=3, input_size=224,
           name="resnet"):
    """Functional ResNet: stem, four stages (widths 64-512), global average pool, fc.

    The input is ``(None, None, in_channels)``: any size that survives the downsampling works;
    ``input_size`` only picks the stem (ImageNet above 64 px, CIFAR otherwise).
    """
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    if len(blocks_per_stage) != 4:
        raise ValueError(f"blocks_per_stage must list 4 stages, got {blocks_per_stage!r}")
    positive_ints(**{f"blocks_per_stage[{i}]": n for i, n in enumerate(blocks_per_stage)})
    conv, pool = resnet_stem(input_size)
    inputs = keras.Input((None, None, in_channels))
    x = conv2d(RESNET_WIDTHS[0], *conv, use_bias=False, name="conv1")(inputs)
    x = layers.ReLU()(batch_norm("bn1")(x))
    if pool is not None:
        x = MaxPool2d(*pool)(x)
    channels = RESNET_WIDTHS[0]
    for stage, (width, num_blocks) in enumerate(zip(RESNET_WIDTHS, blocks_per_stage)):
        for i in range(num_blocks):
            stride = 2 if stage > 0 and i == 0 else 1
            unit = block(channels, width, stride, name=f"layer{stage + 1}.{i}")
            x, channels = unit(x), unit.out_channels
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="fc")(x), name=name)


def _config(name):
    """``(block class, blocks per stage)`` of ``RESNET_CONFIGS[name]``."""
    block, blocks_per_stage = RESNET_CONFIGS[name]
    return {"BasicBlock": BasicBlock, "Bottleneck": Bottleneck}[block], blocks_per_stage


def resnet18(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-18: BasicBlocks [2, 2, 2, 2]; 11,689,512 trainable weights for ImageNet."""
    return ResNet(*_config("resnet18"), num_classes, in_channels, input_size, "resnet18")


def resnet34(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-34: BasicBlocks [3, 4, 6, 3]; 21,797,672 trainable weights for ImageNet."""
    return ResNet(*_config("resnet34"), num_classes, in_channels, input_size, "resnet34")


def resnet50(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-50: Bottlenecks [3, 4, 6, 3]; 25,557,032 trainable weights for ImageNet."""
    return ResNet(*_config("resnet50"), num_classes, in_channels, input_size, "resnet50")
