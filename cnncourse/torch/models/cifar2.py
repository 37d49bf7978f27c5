"""The small CIFAR-2 (airplane vs bird) classifier of Stevens, Antiga and Viehmann,
*Deep Learning with PyTorch* (Manning, 2020), chapter 8, as the PyTorch textbook of the
course's sources reproduces it (section 8.6.2).

conv 3x3 (16) -> tanh -> max pool -> conv 3x3 (8) -> tanh -> max pool -> 512 -> 32 -> tanh -> 2,
for 32x32 RGB images: 18,090 parameters, as the text prints.

Taught in: chapter 11 (training on CIFAR images).
"""
from collections import OrderedDict

from torch import nn

from cnncourse.validate import positive_ints

__all__ = ["cifar2net"]


def cifar2net(num_classes=2, in_channels=3):
    """The text's ``Net`` written as a named ``nn.Sequential`` (conv1, conv2, fc1, fc2)."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 16, kernel_size=3, padding=1)), ("tanh1", nn.Tanh()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(16, 8, kernel_size=3, padding=1)), ("tanh2", nn.Tanh()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(8 * 8 * 8, 32)), ("tanh3", nn.Tanh()),
        ("fc2", nn.Linear(32, num_classes)),
    ]))
