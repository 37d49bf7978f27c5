"""AlexNet (Krizhevsky et al., 2012) with torchvision's single-GPU layer sizes and names.

Inputs above 64 px use the ImageNet stem (11x11 stride-4 convolution); smaller ones a
3x3 stride-1 stem so 32x32 images keep a feature map. Adaptive average pooling to 6x6
makes the head independent of the input size: 61,100,840 parameters at 1000 classes.
"""
from collections import OrderedDict

from torch import nn

from ...convert import stem_and_downsampling
from ..layers import check_channels

__all__ = ["alexnet"]


def alexnet(num_classes=1000, in_channels=3, input_size=224):
    """AlexNet; ``input_size`` picks the stem (the other convolutions keep the size)."""
    check_channels(num_classes=num_classes, in_channels=in_channels)
    imagenet = stem_and_downsampling(input_size, [(11, 4, 2)], [(3, 2, 0)] * 3, "alexnet")
    k, s, p = (11, 4, 2) if imagenet else (3, 1, 1)
    features = nn.Sequential(
        nn.Conv2d(in_channels, 64, k, s, p), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
    classifier = nn.Sequential(
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, num_classes))
    return nn.Sequential(OrderedDict([("features", features), ("avgpool", nn.AdaptiveAvgPool2d(6)),
                                      ("flatten", nn.Flatten()), ("classifier", classifier)]))
