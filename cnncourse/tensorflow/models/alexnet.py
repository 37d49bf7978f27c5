"""AlexNet in Keras, twin of :mod:`cnncourse.torch.models.alexnet` (same stems and names).

Taught in: chapter 8 (AlexNet).
"""
from functools import partial

import keras
from keras import layers as L

from cnncourse.architectures import ALEXNET_CONVS, alexnet_stem
from cnncourse.tensorflow.layers import MaxPool2d, conv2d, numbered
from cnncourse.validate import positive_ints

__all__ = ["alexnet"]


def alexnet(num_classes=1000, in_channels=3, input_size=224):
    """AlexNet; ``input_size`` picks the stem (the other convolutions keep the size)."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    conv1, conv2, conv3, conv4, conv5 = (partial(conv2d, *c) for c in (alexnet_stem(input_size), *ALEXNET_CONVS))
    pool = partial(MaxPool2d, 3, 2)
    features = numbered("features.", conv1, L.ReLU, pool, conv2, L.ReLU, pool,
                        conv3, L.ReLU, conv4, L.ReLU, conv5, L.ReLU, pool)
    classifier = numbered(
        "classifier.", partial(L.Dropout, 0.5), partial(L.Dense, 4096), L.ReLU,
        partial(L.Dropout, 0.5), partial(L.Dense, 4096), L.ReLU, partial(L.Dense, num_classes))
    return keras.Sequential([keras.Input((input_size, input_size, in_channels)), *features,
                             L.AdaptiveAveragePooling2D(6, name="avgpool"), L.Flatten(name="flatten"),
                             *classifier], name="alexnet")
