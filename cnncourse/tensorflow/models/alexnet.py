"""AlexNet in Keras, twin of :mod:`cnncourse.torch.models.alexnet` (same stems and names)."""
from functools import partial

import keras
from keras import layers as L

from ...convert import stem_and_downsampling
from ..layers import check_channels, conv2d, numbered

__all__ = ["alexnet"]


def alexnet(num_classes=1000, in_channels=3, input_size=224):
    """AlexNet; ``input_size`` picks the stem (the other convolutions keep the size)."""
    check_channels(num_classes=num_classes, in_channels=in_channels)
    imagenet = stem_and_downsampling(input_size, [(11, 4, 2)], [(3, 2, 0)] * 3, "alexnet")
    stem = (11, 4, 2) if imagenet else (3, 1, 1)
    pool = partial(L.MaxPooling2D, 3, 2)
    features = numbered(
        "features.", partial(conv2d, 64, stem[0], stem[1], stem[2]), L.ReLU, pool,
        partial(conv2d, 192, 5, padding=2), L.ReLU, pool,
        partial(conv2d, 384, 3, padding=1), L.ReLU, partial(conv2d, 256, 3, padding=1), L.ReLU,
        partial(conv2d, 256, 3, padding=1), L.ReLU, pool)
    classifier = numbered(
        "classifier.", partial(L.Dropout, 0.5), partial(L.Dense, 4096), L.ReLU,
        partial(L.Dropout, 0.5), partial(L.Dense, 4096), L.ReLU, partial(L.Dense, num_classes))
    return keras.Sequential([keras.Input((input_size, input_size, in_channels)), *features,
                             L.AdaptiveAveragePooling2D(6, name="avgpool"), L.Flatten(name="flatten"),
                             *classifier], name="alexnet")
