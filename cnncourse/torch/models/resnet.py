"""ResNet-18/34/50 (He et al., 2015) in PyTorch, with torchvision's v1.5 layout.

Module names equal torchvision's (``conv1``, ``layer1.0.conv1``, ``layer2.0.downsample.0``,
``fc``), so a torchvision state dict loads as is and the Keras twin in
``cnncourse.tensorflow.models.resnet`` can be paired layer by layer by name.

``input_size`` picks the stem: above 64 px the ImageNet stem (7x7 stride-2 conv and a
3x3 stride-2 max-pool, total stride 32); at 64 px or less the CIFAR stem (one 3x3
stride-1 conv, no pool, total stride 8), the usual choice for 32x32 images. The widths,
stems and blocks per stage are :mod:`cnncourse.architectures`' ``RESNET_*`` tables.

Taught in: chapter 10 (residual networks).
"""
import torch
from torch import nn

from cnncourse.architectures import RESNET_CONFIGS, RESNET_WIDTHS, resnet_stem
from cnncourse.validate import positive_ints

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50"]


def projection(in_channels, out_channels, stride):
    """The projection shortcut: a strided 1x1 conv and BN, matching the residual's shape."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                         nn.BatchNorm2d(out_channels))


class BasicBlock(nn.Module):
    """Two 3x3 convs with a shortcut: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).

    The shortcut is the identity when shapes agree, otherwise a 1x1 conv + BN projection
    (option B of the paper) that matches the stride and the channel count.
    """

    expansion = 1

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        positive_ints(in_channels=in_channels, out_channels=out_channels, stride=stride)
        self.out_channels = out_channels
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        needs_projection = stride != 1 or in_channels != out_channels
        self.downsample = projection(in_channels, out_channels, stride) if needs_projection else None

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (carries the stride, as in torchvision's v1.5) -> 1x1 expand, + shortcut.

    ``mid_channels`` is the narrow width; the block outputs ``mid_channels * expansion``.
    """

    def __init__(self, in_channels, mid_channels, stride=1, expansion=4):
        super().__init__()
        positive_ints(in_channels=in_channels, mid_channels=mid_channels, stride=stride,
                      expansion=expansion)
        out_channels = mid_channels * expansion
        self.out_channels = out_channels
        self.conv1 = nn.Conv2d(in_channels, mid_channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.conv2 = nn.Conv2d(mid_channels, mid_channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.conv3 = nn.Conv2d(mid_channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        needs_projection = stride != 1 or in_channels != out_channels
        self.downsample = projection(in_channels, out_channels, stride) if needs_projection else None

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """Stem, four stages of ``block`` (widths 64-128-256-512, stride 2 from stage 2), pool, fc."""

    def __init__(self, block, blocks_per_stage, num_classes=1000, in_channels=3, input_size=224):
        super().__init__()
        positive_ints(num_classes=num_classes, in_channels=in_channels)
        if len(blocks_per_stage) != 4:
            raise ValueError(f"blocks_per_stage must list 4 stages, got {blocks_per_stage!r}")
        positive_ints(**{f"blocks_per_stage[{i}]": n for i, n in enumerate(blocks_per_stage)})
        conv, pool = resnet_stem(input_size)
        channels = RESNET_WIDTHS[0]
        self.conv1 = nn.Conv2d(in_channels, channels, *conv, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if pool is None else nn.MaxPool2d(*pool)
        for stage, (width, num_blocks) in enumerate(zip(RESNET_WIDTHS, blocks_per_stage)):
            blocks = []
            for i in range(num_blocks):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(block(channels, width, stride))
                channels = blocks[-1].out_channels
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _config(name):
    """``(block class, blocks per stage)`` of ``RESNET_CONFIGS[name]``."""
    block, blocks_per_stage = RESNET_CONFIGS[name]
    return {"BasicBlock": BasicBlock, "Bottleneck": Bottleneck}[block], blocks_per_stage


def resnet18(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-18: BasicBlocks [2, 2, 2, 2]; 11,689,512 parameters for the ImageNet config."""
    return ResNet(*_config("resnet18"), num_classes, in_channels, input_size)


def resnet34(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-34: BasicBlocks [3, 4, 6, 3]; 21,797,672 parameters for the ImageNet config."""
    return ResNet(*_config("resnet34"), num_classes, in_channels, input_size)


def resnet50(num_classes=1000, in_channels=3, input_size=224):
    """ResNet-50: Bottlenecks [3, 4, 6, 3]; 25,557,032 parameters for the ImageNet config."""
    return ResNet(*_config("resnet50"), num_classes, in_channels, input_size)
