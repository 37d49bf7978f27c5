"""VGG in Keras, twin of :mod:`cnncourse.torch.models.vgg`: blocks are nested
``keras.Sequential`` s named ``features.<block>``, their layers ``features.<block>.<i>``.

Taught in: chapter 8 (VGG), chapter 11 (VGG13 on CIFAR-10).
"""
from functools import partial

import keras
from keras import layers as L

from cnncourse.architectures import VGG13_CIFAR_CLASSIFIER, VGG_CLASSIFIER, VGG_CONFIGS
from cnncourse.shapes import feature_map_size
from cnncourse.tensorflow.layers import MaxPool2d, conv2d, numbered
from cnncourse.tensorflow.layers import batch_norm as bn_layer
from cnncourse.validate import positive_ints

__all__ = ["vgg_block", "vgg11", "vgg13", "vgg16", "vgg19", "vgg13_cifar"]


def vgg_block(num_convs, in_channels, out_channels, batch_norm=False, name=None):
    """``num_convs`` x (3x3 conv, [batch norm], ReLU), then a 2x2 max pool, as one ``keras.Sequential``."""
    positive_ints(num_convs=num_convs, in_channels=in_channels, out_channels=out_channels)
    unit = [partial(conv2d, out_channels, 3, padding=1), *([bn_layer] if batch_norm else []), L.ReLU]
    prefix = f"{name}." if name else ""  # unnamed: "0", "1", ... as in a lone nn.Sequential
    return keras.Sequential(numbered(prefix, *unit * num_convs, partial(MaxPool2d, 2)), name=name)


def _features(config, in_channels, batch_norm):
    channels = (in_channels,) + tuple(c for _, c in config)
    return [vgg_block(n, channels[i], c, batch_norm, name=f"features.{i}") for i, (n, c) in enumerate(config)]


def _vgg(name, num_classes, in_channels, input_size, batch_norm):
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    feature_map_size(input_size, [(2, 2, 0)] * 5, name)
    h1, h2 = VGG_CLASSIFIER
    classifier = numbered(
        "classifier.", partial(L.Dense, h1), L.ReLU, partial(L.Dropout, 0.5),
        partial(L.Dense, h2), L.ReLU, partial(L.Dropout, 0.5), partial(L.Dense, num_classes))
    return keras.Sequential([keras.Input((input_size, input_size, in_channels)),
                             *_features(VGG_CONFIGS[name], in_channels, batch_norm),
                             L.AdaptiveAveragePooling2D(7, name="avgpool"), L.Flatten(name="flatten"),
                             *classifier], name=name)


def vgg11(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration A (132,863,336 parameters at 1000 classes)."""
    return _vgg("vgg11", num_classes, in_channels, input_size, batch_norm)


def vgg13(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration B (133,047,848 parameters)."""
    return _vgg("vgg13", num_classes, in_channels, input_size, batch_norm)


def vgg16(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration D (138,357,544 parameters)."""
    return _vgg("vgg16", num_classes, in_channels, input_size, batch_norm)


def vgg19(num_classes=1000, in_channels=3, input_size=224, batch_norm=False):
    """Configuration E (143,667,240 parameters)."""
    return _vgg("vgg19", num_classes, in_channels, input_size, batch_norm)


def vgg13_cifar(num_classes=10, in_channels=3):
    """Long and Zeng's (2022, 10.10) VGG13 for 32x32 inputs (its 'same'-padded pools equal these on
    even sizes); 9,570,506 parameters, not the text's "about 950,000"."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    h1, h2 = VGG13_CIFAR_CLASSIFIER
    classifier = numbered("classifier.", partial(L.Dense, h1), L.ReLU, partial(L.Dense, h2), L.ReLU,
                          partial(L.Dense, num_classes))
    return keras.Sequential([keras.Input((32, 32, in_channels)),
                             *_features(VGG_CONFIGS["vgg13"], in_channels, batch_norm=False),
                             L.Flatten(name="flatten"), *classifier], name="vgg13_cifar")
