"""AlexNet (Krizhevsky et al., 2012) with torchvision's single-GPU layer sizes and names.

Inputs above 64 px use the ImageNet stem (11x11 stride-4 convolution); smaller ones a
3x3 stride-1 stem so 32x32 images keep a feature map (:mod:`cnncourse.architectures`'
``ALEXNET_*`` tables). Adaptive average pooling to 6x6 makes the head independent of
the input size: 61,100,840 parameters at 1000 classes.

Taught in: chapter 8 (AlexNet).
"""
from collections import OrderedDict

from torch import nn

from cnncourse.architectures import ALEXNET_CONVS, alexnet_stem
from cnncourse.validate import positive_ints

__all__ = ["alexnet"]


def alexnet(num_classes=1000, in_channels=3, input_size=224):
    """AlexNet; ``input_size`` picks the stem (the other convolutions keep the size)."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    (c1, *k1), (c2, *k2), (c3, *k3), (c4, *k4), (c5, *k5) = (alexnet_stem(input_size), *ALEXNET_CONVS)
    features = nn.Sequential(
        nn.Conv2d(in_channels, c1, *k1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(c1, c2, *k2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(c2, c3, *k3), nn.ReLU(inplace=True),
        nn.Conv2d(c3, c4, *k4), nn.ReLU(inplace=True),
        nn.Conv2d(c4, c5, *k5), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
    classifier = nn.Sequential(
        nn.Dropout(0.5), nn.Linear(c5 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, num_classes))
    return nn.Sequential(OrderedDict([("features", features), ("avgpool", nn.AdaptiveAvgPool2d(6)),
                                      ("flatten", nn.Flatten()), ("classifier", classifier)]))
