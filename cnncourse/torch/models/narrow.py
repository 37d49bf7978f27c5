"""Narrow CIFAR VGG13 and ResNet-18: the chapter-11 networks with every width scaled down.

``width`` is the number of channels of the first convolution (64 in the published
networks); every later layer keeps its ratio to it, so ``width=64`` rebuilds
:func:`~cnncourse.torch.models.vgg.vgg13_cifar` and the CIFAR
:func:`~cnncourse.torch.models.resnet.resnet18` exactly (same layers, names and parameter
counts). Arithmetic per image falls with the square of the width, which is how the book
trains both networks for real on a CPU.

Taught in: chapter 11 (training VGG13 and ResNet-18).
"""
from collections import OrderedDict

import torch
from torch import nn

from cnncourse.architectures import RESNET_WIDTHS, VGG13_CIFAR_CLASSIFIER, VGG_CONFIGS
from cnncourse.torch.models.resnet import BasicBlock
from cnncourse.torch.models.vgg import vgg_block
from cnncourse.validate import positive_ints

__all__ = ["scaled", "vgg13_cifar_narrow", "CifarResNet", "resnet18_narrow"]


def scaled(channels, width):
    """``channels`` (a published width, relative to 64) scaled to a first width of ``width``."""
    positive_ints(width=width)
    if width % 8:
        raise ValueError(f"width must be a multiple of 8 (every layer keeps its ratio to it), got {width}")
    return channels * width // 64


def vgg13_cifar_narrow(width=16, num_classes=10, in_channels=3):
    """VGG13 for 32x32 images with ``width`` channels in its first unit (64 in the original).

    Five units of two 3x3 convolutions and a 2x2 max pool (``width`` x 1, 2, 4, 8, 8
    channels), then dense layers of ``width`` x 4 and ``width`` x 2 units, then the classes.
    """
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    blocks, channels = [], in_channels
    for num_convs, published in VGG_CONFIGS["vgg13"]:
        blocks.append(vgg_block(num_convs, channels, scaled(published, width)))
        channels = scaled(published, width)
    h1, h2 = (scaled(h, width) for h in VGG13_CIFAR_CLASSIFIER)
    classifier = nn.Sequential(nn.Linear(channels, h1), nn.ReLU(inplace=True), nn.Linear(h1, h2),
                               nn.ReLU(inplace=True), nn.Linear(h2, num_classes))
    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(*blocks)), ("flatten", nn.Flatten()), ("classifier", classifier)]))


class CifarResNet(nn.Module):
    """A ResNet for 32x32 images: a 3x3 stride-1 stem, four stages of ``block``, pool, fc.

    Stage ``s`` has ``widths[s]`` channels; stages 2-4 open with a stride-2 block.
    """

    def __init__(self, block, blocks_per_stage, widths, num_classes=10, in_channels=3):
        super().__init__()
        positive_ints(num_classes=num_classes, in_channels=in_channels, **{
            f"widths[{i}]": w for i, w in enumerate(widths)})
        if len(blocks_per_stage) != 4 or len(widths) != 4:
            raise ValueError(f"blocks_per_stage and widths must list 4 stages, got "
                             f"{blocks_per_stage!r} and {widths!r}")
        channels = widths[0]
        self.conv1 = nn.Conv2d(in_channels, channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity()  # the CIFAR stem has no pool
        for stage, (width, num_blocks) in enumerate(zip(widths, blocks_per_stage)):
            blocks = []
            for i in range(num_blocks):
                blocks.append(block(channels, width, 2 if stage > 0 and i == 0 else 1))
                channels = blocks[-1].out_channels
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18_narrow(width=16, num_classes=10, in_channels=3):
    """The CIFAR ResNet-18 (BasicBlocks [2, 2, 2, 2]) with stage widths ``width`` x 1, 2, 4, 8."""
    widths = [scaled(w, width) for w in RESNET_WIDTHS]
    return CifarResNet(BasicBlock, (2, 2, 2, 2), widths, num_classes, in_channels)
