"""DenseNet-BC (Huang et al., 2016) in PyTorch: DenseNet-121 and a small CIFAR DenseNet.

Names follow torchvision (``features.denseblock1.denselayer1.conv1``, ``features.transition1``,
``classifier``), so torchvision weights load into ``densenet121()`` and the Keras twin pairs
layer by layer. Every layer is pre-activation: BN -> ReLU -> conv.

``densenet_cifar`` is our choice of a small DenseNet for 32x32 images, after the d2l book's
model: growth rate 32 and four dense blocks of 4 layers, with transitions halving the
channels (64 -> 192 -> 96 -> 224 -> 112 -> 240 -> 120 -> 248). Unlike d2l it keeps
DenseNet-BC's 1x1 bottleneck (bn_size=4), so one ``DenseBlock`` serves both models, and it
uses the CIFAR stem (3x3 stride-1 conv, no pool), as every model here does at <= 64 px.
Both configurations are :mod:`cnncourse.architectures`' ``DENSENET_CONFIGS``.

Taught in: chapter 10 (dense networks).
"""
import torch
from torch import nn

from cnncourse.architectures import DENSENET_CONFIGS, densenet_stem
from cnncourse.validate import positive_ints

__all__ = ["DenseLayer", "DenseBlock", "Transition", "DenseNet", "densenet121", "densenet_cifar"]


class DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv to ``bn_size * growth_rate``, BN-ReLU-3x3 conv to ``growth_rate``."""

    def __init__(self, in_channels, growth_rate, bn_size=4):
        super().__init__()
        positive_ints(in_channels=in_channels, growth_rate=growth_rate, bn_size=bn_size)
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))


class DenseBlock(nn.ModuleDict):
    """``num_layers`` DenseLayers; each sees the concatenation of the input and all earlier
    outputs, and the block returns that concatenation: in_channels + num_layers * growth_rate.
    """

    def __init__(self, num_layers, in_channels, growth_rate, bn_size=4):
        super().__init__()
        positive_ints(num_layers=num_layers, in_channels=in_channels)
        for i in range(num_layers):
            layer = DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size)
            self.add_module(f"denselayer{i + 1}", layer)
        self.out_channels = in_channels + num_layers * growth_rate

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


class Transition(nn.Sequential):
    """BN-ReLU-1x1 conv to ``out_channels``, then 2x2 average pooling: halves height and width."""

    def __init__(self, in_channels, out_channels):
        positive_ints(in_channels=in_channels, out_channels=out_channels)
        super().__init__()
        self.out_channels = out_channels
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.pool = nn.AvgPool2d(2, 2)


class DenseNet(nn.Module):
    """Stem, dense blocks with halving transitions between them, BN-ReLU, global pool, classifier."""

    def __init__(self, growth_rate, block_config, num_init_features, bn_size=4, num_classes=1000,
                 in_channels=3, input_size=224):
        super().__init__()
        conv, pool = densenet_stem(block_config, num_init_features, num_classes, in_channels, input_size)
        features = nn.Sequential()
        features.add_module("conv0", nn.Conv2d(in_channels, num_init_features, *conv, bias=False))
        features.add_module("norm0", nn.BatchNorm2d(num_init_features))
        features.add_module("relu0", nn.ReLU(inplace=True))
        if pool is not None:
            features.add_module("pool0", nn.MaxPool2d(*pool))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, channels, growth_rate, bn_size)
            features.add_module(f"denseblock{i + 1}", block)
            channels = block.out_channels
            if i < len(block_config) - 1:
                features.add_module(f"transition{i + 1}", Transition(channels, channels // 2))
                channels //= 2
        features.add_module("norm5", nn.BatchNorm2d(channels))
        self.features = features
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = torch.relu(self.features(x))
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def densenet121(num_classes=1000, in_channels=3, input_size=224):
    """DenseNet-121: growth 32, blocks (6, 12, 24, 16), 64 stem features; 7,978,856 parameters."""
    return DenseNet(*DENSENET_CONFIGS["densenet121"], 4, num_classes, in_channels, input_size)


def densenet_cifar(num_classes=10, in_channels=3, input_size=32):
    """Small DenseNet-BC for 32x32 images: growth 32, blocks (4, 4, 4, 4), 64 stem features."""
    return DenseNet(*DENSENET_CONFIGS["densenet_cifar"], 4, num_classes, in_channels, input_size)
