"""VGG (Simonyan & Zisserman, 2015) configurations A, B, D, E and the CIFAR VGG13 of
Long and Zeng, *Beginning Deep Learning with TensorFlow* (Apress, 2022), section 10.10.

A network is a stack of :func:`vgg_block` s (3x3 convolutions keeping the size, then a
2x2 max pool halving it) and a classifier. The ImageNet models follow torchvision's
sizes (adaptive 7x7 average pooling, 4096-4096 head), so their parameter counts equal
the published ones; blocks nest, so names read ``features.<block>.<layer>``. The
configurations and head widths are :mod:`cnncourse.architectures`' ``VGG_*`` tables.

Taught in: chapter 8 (VGG), chapter 11 (VGG13 on CIFAR-10).
"""
from collections import OrderedDict

from torch import nn

from cnncourse.architectures import VGG13_CIFAR_CLASSIFIER, VGG_CLASSIFIER, VGG_CONFIGS
from cnncourse.shapes import feature_map_size
from cnncourse.validate import positive_ints

__all__ = ["vgg_block", "vgg11", "vgg13", "vgg16", "vgg19", "vgg13_cifar"]


def vgg_block(num_convs, in_channels, out_channels, batch_norm=False):
    """``num_convs`` x (3x3 conv, [batch norm], ReLU), then a 2x2 max pool."""
    positive_ints(num_convs=num_convs, in_channels=in_channels, out_channels=out_channels)
    layers = []
    for i in range(num_convs):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1))
        layers += [nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)] if batch_norm else [nn.ReLU(inplace=True)]
    return nn.Sequential(*layers, nn.MaxPool2d(2))


def _features(config, in_channels, batch_norm):
    blocks, channels = [], in_channels
    for num_convs, out_channels in config:
        blocks.append(vgg_block(num_convs, channels, out_channels, batch_norm))
        channels = out_channels
    return nn.Sequential(*blocks)


def _vgg(name, num_classes, in_channels, input_size, batch_norm):
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    feature_map_size(input_size, [(2, 2, 0)] * 5, name)
    (h1, h2), channels = VGG_CLASSIFIER, VGG_CONFIGS[name][-1][1]
    classifier = nn.Sequential(
        nn.Linear(channels * 7 * 7, h1), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(h1, h2), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(h2, num_classes))
    return nn.Sequential(OrderedDict([
        ("features", _features(VGG_CONFIGS[name], in_channels, batch_norm)),
        ("avgpool", nn.AdaptiveAvgPool2d(7)), ("flatten", nn.Flatten()), ("classifier", classifier)]))


def vgg11(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration A: 8 convolutions + 3 dense layers (132,863,336 parameters)."""
    return _vgg("vgg11", num_classes, in_channels, input_size, batch_norm)


def vgg13(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration B: 10 convolutions + 3 dense layers (133,047,848 parameters)."""
    return _vgg("vgg13", num_classes, in_channels, input_size, batch_norm)


def vgg16(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration D: 13 convolutions + 3 dense layers (138,357,544 parameters)."""
    return _vgg("vgg16", num_classes, in_channels, input_size, batch_norm)


def vgg19(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration E: 16 convolutions + 3 dense layers (143,667,240 parameters)."""
    return _vgg("vgg19", num_classes, in_channels, input_size, batch_norm)


def vgg13_cifar(num_classes=10, in_channels=3):
    """Long and Zeng (2022, 10.10): VGG13's convolutions on 32x32 images, then 512 -> 256 -> 128 -> classes.

    9,404,992 + 165,514 = 9,570,506 parameters; the text says "about 940,000" for the
    convolutions, "about 177,000" for the dense part and "about 950,000" in total.
    """
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    (h1, h2), channels = VGG13_CIFAR_CLASSIFIER, VGG_CONFIGS["vgg13"][-1][1]
    classifier = nn.Sequential(nn.Linear(channels, h1), nn.ReLU(inplace=True), nn.Linear(h1, h2),
                               nn.ReLU(inplace=True), nn.Linear(h2, num_classes))
    return nn.Sequential(OrderedDict([
        ("features", _features(VGG_CONFIGS["vgg13"], in_channels, batch_norm=False)),
        ("flatten", nn.Flatten()), ("classifier", classifier)]))
