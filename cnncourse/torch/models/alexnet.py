"""AlexNet (Krizhevsky et al., 2012) with torchvision's single-GPU layer sizes and names.

Inputs above 64 px use the ImageNet stem (11x11 stride-4 convolution); smaller ones a
3x3 stride-1 stem so 32x32 images keep a feature map. Adaptive average pooling to 6x6
makes the head independent of the input size: 61,100,840 parameters at 1000 classes.
"""
from collections import OrderedDict

from torch import nn

from ..layers import is_imagenet_sized, check_channels, check_input_size

__all__ = ["alexnet"]


def _stem(input_size):
    """(kernel, stride, padding) of the first convolution for this input size."""
    return (11, 4, 2) if is_imagenet_sized(input_size) else (3, 1, 1)


def alexnet_windows(input_size):
    """The downsampling windows of AlexNet's feature extractor, for size checks."""
    pool = (3, 2, 0)
    return [_stem(input_size), pool, (5, 1, 2), pool, (3, 1, 1), (3, 1, 1), (3, 1, 1), pool]


def alexnet(num_classes=1000, in_channels=3, input_size=224):
    check_channels(num_classes=num_classes, in_channels=in_channels)
    check_input_size(input_size, alexnet_windows(input_size), "alexnet")
    k, s, p = _stem(input_size)
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
