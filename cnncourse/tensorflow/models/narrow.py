"""Narrow CIFAR VGG13 and ResNet-18 in Keras, twins of :mod:`cnncourse.torch.models.narrow`.

``width`` is the number of channels of the first convolution (64 in the published
networks); ``width=64`` rebuilds ``vgg13_cifar`` and the CIFAR ``resnet18`` exactly. Layers
carry the torch twin's names.

Taught in: chapter 11 (training VGG13 and ResNet-18).
"""
from functools import partial

import keras
from keras import layers as L

from cnncourse.architectures import RESNET_WIDTHS, VGG13_CIFAR_CLASSIFIER, VGG_CONFIGS
from cnncourse.tensorflow.layers import batch_norm, conv2d, numbered
from cnncourse.tensorflow.models.resnet import BasicBlock
from cnncourse.tensorflow.models.vgg import vgg_block
from cnncourse.torch.models.narrow import scaled
from cnncourse.validate import positive_ints

__all__ = ["vgg13_cifar_narrow", "resnet18_narrow"]


def vgg13_cifar_narrow(width=16, num_classes=10, in_channels=3):
    """VGG13 for 32x32x``in_channels`` images (NHWC) with ``width`` channels in its first unit."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    blocks, channels = [], in_channels
    for i, (num_convs, published) in enumerate(VGG_CONFIGS["vgg13"]):
        blocks.append(vgg_block(num_convs, channels, scaled(published, width), name=f"features.{i}"))
        channels = scaled(published, width)
    h1, h2 = (scaled(h, width) for h in VGG13_CIFAR_CLASSIFIER)
    classifier = numbered("classifier.", partial(L.Dense, h1), L.ReLU, partial(L.Dense, h2), L.ReLU,
                          partial(L.Dense, num_classes))
    return keras.Sequential([keras.Input((32, 32, in_channels)), *blocks, L.Flatten(name="flatten"),
                             *classifier], name=f"vgg13_cifar_w{width}")


def resnet18_narrow(width=16, num_classes=10, in_channels=3):
    """The CIFAR ResNet-18 (3x3 stem, BasicBlocks [2, 2, 2, 2], widths ``width`` x 1, 2, 4, 8)."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    widths = [scaled(w, width) for w in RESNET_WIDTHS]
    inputs = keras.Input((None, None, in_channels))
    x = conv2d(widths[0], 3, 1, 1, use_bias=False, name="conv1")(inputs)
    x = L.ReLU()(batch_norm("bn1")(x))
    channels = widths[0]
    for stage, stage_width in enumerate(widths):
        for i in range(2):
            block = BasicBlock(channels, stage_width, 2 if stage > 0 and i == 0 else 1,
                               name=f"layer{stage + 1}.{i}")
            x, channels = block(x), block.out_channels
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, L.Dense(num_classes, name="fc")(x), name=f"resnet18_w{width}")
