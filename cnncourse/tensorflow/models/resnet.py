"""ResNet-18/34/50 in Keras 3 (NHWC), the twin of ``cnncourse.torch.models.resnet``.

Blocks are subclassed layers, networks are functional models. Every layer holding weights
is named after its torch counterpart (``layer1.0.conv1``, ``layer2.0.downsample.0``, ``fc``),
which is how ``cnncourse.convert`` pairs them. ``child`` (sublayer names), ``MaxPool2d``
(torch's pooling windows) and ``serializable`` are shared with the GoogLeNet and DenseNet files.
"""
import keras
from keras import layers, ops

from cnncourse.convert import stem_and_downsampling
from cnncourse.tensorflow.layers import batch_norm, check_channels, conv2d

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "MaxPool2d"]


# Registered so that saved models load without custom_objects.
serializable = keras.saving.register_keras_serializable(package="cnncourse")


def child(name, suffix):
    """The torch-style qualified name of a sublayer: ``child("layer1.0", "conv1")``."""
    return f"{name}.{suffix}" if name else suffix


@serializable
class MaxPool2d(layers.Layer):
    """Max-pooling with torch's ``nn.MaxPool2d`` output size and windows.

    ``padding`` pads both sides with -inf; ``ceil_mode`` (only with padding 0) adds
    ``stride - 1`` of -inf on the far side so the last partial window is kept.
    """

    def __init__(self, kernel_size, stride, padding=0, ceil_mode=False, **kwargs):
        super().__init__(**kwargs)
        if ceil_mode and padding:
            raise ValueError("MaxPool2d supports ceil_mode only with padding=0")
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.ceil_mode = padding, ceil_mode

    def call(self, x):
        after = self.padding + (self.stride - 1 if self.ceil_mode else 0)
        if self.padding or after:
            pads = [(0, 0), (self.padding, after), (self.padding, after), (0, 0)]
            x = ops.pad(x, pads, constant_values=float("-inf"))
        return ops.max_pool(x, self.kernel_size, self.stride, padding="valid")

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "ceil_mode": self.ceil_mode}


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
        check_channels(in_channels=in_channels, out_channels=out_channels, stride=stride)
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
        check_channels(in_channels=in_channels, mid_channels=mid_channels, stride=stride,
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
    check_channels(num_classes=num_classes, in_channels=in_channels)
    if len(blocks_per_stage) != 4:
        raise ValueError(f"blocks_per_stage must list 4 stages, got {blocks_per_stage!r}")
    check_channels(**{f"blocks_per_stage[{i}]": n for i, n in enumerate(blocks_per_stage)})
    imagenet_stem = stem_and_downsampling(input_size, [(7, 2, 3), (3, 2, 1)], [(3, 2, 1)] * 3, "ResNet")
    inputs = keras.Input((None, None, in_channels))
    kernel, stride, padding = (7, 2, 3) if imagenet_stem else (3, 1, 1)
    x = conv2d(64, kernel, stride, padding, use_bias=False, name="conv1")(inputs)
    x = layers.ReLU()(batch_norm("bn1")(x))
    if imagenet_stem:
        x = MaxPool2d(3, 2, 1)(x)
    channels = 64
    for stage, num_blocks in enumerate(blocks_per_stage):
        for i in range(num_blocks):
            stride = 2 if stage > 0 and i == 0 else 1
            unit = block(channels, 64 * 2 ** stage, stride, name=f"layer{stage + 1}.{i}")
            x, channels = unit(x), unit.out_channels
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="fc")(x), name=name)


def resnet18(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-18: BasicBlocks [2, 2, 2, 2]; 11,689,512 trainable weights for ImageNet."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, input_size, "resnet18")


def resnet34(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-34: BasicBlocks [3, 4, 6, 3]; 21,797,672 trainable weights for ImageNet."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, input_size, "resnet34")


def resnet50(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-50: Bottlenecks [3, 4, 6, 3]; 25,557,032 trainable weights for ImageNet."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, input_size, "resnet50")
