"""The classic networks of chapters 7-10, scaled to 1x28x28 Fashion-MNIST so that a CPU trains
all of them in a few minutes (chapter 10, "The classic networks side by side").

Each network keeps its design -- its layer pattern, built from this package's own blocks
(``vgg_block``, ``NiNBlock``, ``InceptionBlock``, ``BasicBlock``, ``DenseBlock``,
``Transition``) and the layer tables of :mod:`cnncourse.architectures` -- and is scaled in two
ways, the same for all:

- **narrower**: every width of the paper divided by ``narrow`` (8 by default; at least one
  channel), DenseNet's growth rate by ``narrow // 2`` (32 / 8 would leave 4 channels per layer);
- **small-input stems**: the 3x3 stride-1 stems the package uses for inputs of 64 px or less.
  GoogLeNet, ResNet and DenseNet, the three networks whose ImageNet stem downsamples by 4
  before the first block, keep a factor of 2 of it (a 3x3 stride-2 stem convolution), so
  their blocks run on 14x14 maps; VGG keeps four of its five blocks, since five 2x2 pools
  would shrink 28 px to nothing (28 -> 14 -> 7 -> 3 -> 1 -> 0), and DenseNet three of
  ``densenet_cifar``'s four dense blocks (a fourth would run on 1x1 maps).

LeNet-5 is built for 28x28 inputs already and is used as it is. ``plain_resnet18`` is the
ResNet without its shortcuts (``PlainBlock``), for the plain-versus-residual comparison.

Taught in: chapter 10 (the classic networks side by side).
"""
from collections import OrderedDict

import torch
from torch import nn

from cnncourse.architectures import (
    ALEXNET_CONVS,
    DENSENET_CONFIGS,
    INCEPTION_CHANNELS,
    RESNET_CONFIGS,
    RESNET_WIDTHS,
    VGG_CLASSIFIER,
    VGG_CONFIGS,
    alexnet_stem,
    nin_blocks,
)
from cnncourse.torch.models.densenet import DenseBlock, Transition
from cnncourse.torch.models.googlenet import ConvBNReLU, InceptionBlock
from cnncourse.torch.models.lenet import lenet5
from cnncourse.torch.models.nin import NiNBlock
from cnncourse.torch.models.resnet import BasicBlock
from cnncourse.torch.models.vgg import vgg_block
from cnncourse.validate import positive_ints

__all__ = ["FASHION_MODELS", "PlainBlock", "alexnet_fashion", "densenet_fashion", "googlenet_fashion",
           "lenet5_fashion", "nin_fashion", "plain_resnet18_fashion", "resnet18_fashion", "vgg11_fashion"]

INPUT_SIZE = 28


def _scale(width, narrow):
    """``width`` divided by ``narrow``, at least 1."""
    return max(1, width // narrow)


def lenet5_fashion(narrow=8, num_classes=10):
    """LeNet-5 as chapter 7 trains it ("modern" variant, 28x28); ``narrow`` is ignored."""
    return lenet5("modern", num_classes=num_classes, in_channels=1)


def alexnet_fashion(narrow=8, num_classes=10):
    """AlexNet's five convolutions and three 3x3 stride-2 pools (28 -> 13 -> 6 -> 2), its
    two dropout-dense layers, all widths / ``narrow``."""
    positive_ints(narrow=narrow, num_classes=num_classes)
    specs = [alexnet_stem(INPUT_SIZE), *ALEXNET_CONVS]
    layers, channels = [], 1
    for i, (width, *window) in enumerate(specs):
        layers += [nn.Conv2d(channels, _scale(width, narrow), *window), nn.ReLU(inplace=True)]
        channels = _scale(width, narrow)
        if i in (0, 1, 4):
            layers.append(nn.MaxPool2d(3, 2))
    hidden = _scale(4096, narrow)
    classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(channels * 2 * 2, hidden), nn.ReLU(inplace=True),
                               nn.Dropout(0.5), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
                               nn.Linear(hidden, num_classes))
    return nn.Sequential(OrderedDict([("features", nn.Sequential(*layers)), ("flatten", nn.Flatten()),
                                      ("classifier", classifier)]))


def vgg11_fashion(narrow=8, num_classes=10):
    """The first four VGG-11 blocks (28 -> 14 -> 7 -> 3 -> 1) and VGG's two hidden dense
    layers, widths / ``narrow``."""
    positive_ints(narrow=narrow, num_classes=num_classes)
    blocks, channels = [], 1
    for num_convs, width in VGG_CONFIGS["vgg11"][:4]:
        blocks.append(vgg_block(num_convs, channels, _scale(width, narrow)))
        channels = _scale(width, narrow)
    head, size = [nn.Flatten()], channels
    for hidden in VGG_CLASSIFIER:
        head += [nn.Linear(size, _scale(hidden, narrow)), nn.ReLU(inplace=True), nn.Dropout(0.5)]
        size = _scale(hidden, narrow)
    return nn.Sequential(OrderedDict([("features", nn.Sequential(*blocks)),
                                      ("classifier", nn.Sequential(*head, nn.Linear(size, num_classes)))]))


def nin_fashion(narrow=8, num_classes=10):
    """NiN's four blocks with 3x3 stride-2 pools between them (28 -> 13 -> 6 -> 2), the last
    block with one map per class, global average pooling; widths / ``narrow``."""
    positive_ints(narrow=narrow, num_classes=num_classes)
    specs = nin_blocks(INPUT_SIZE, num_classes)
    layers, channels = OrderedDict(), 1
    for i, (width, *window) in enumerate(specs):
        width = width if i == len(specs) - 1 else _scale(width, narrow)
        layers[f"block{i + 1}"] = NiNBlock(channels, width, *window)
        channels = width
        if i < len(specs) - 1:
            layers[f"pool{i + 1}"] = nn.MaxPool2d(3, 2)
    layers["gap"], layers["flatten"] = nn.AdaptiveAvgPool2d(1), nn.Flatten()
    return nn.Sequential(layers)


def _inception(name, in_channels, narrow):
    """``INCEPTION_CHANNELS[name]`` / ``narrow``, reading ``in_channels`` from the block before."""
    _, c1, c2, c3, c4 = INCEPTION_CHANNELS[name]
    return InceptionBlock(in_channels, _scale(c1, narrow), tuple(_scale(c, narrow) for c in c2),
                          tuple(_scale(c, narrow) for c in c3), _scale(c4, narrow))


def googlenet_fashion(narrow=8, num_classes=10):
    """GoogLeNet's stem (3x3 stride 2 here), its nine Inception blocks with the two pools
    between stages (14 -> 7 -> 4), global average pooling and one dense layer; widths / ``narrow``."""
    positive_ints(narrow=narrow, num_classes=num_classes)
    layers = OrderedDict([("conv1", ConvBNReLU(1, _scale(64, narrow), 3, stride=2)),
                          ("conv2", ConvBNReLU(_scale(64, narrow), _scale(64, narrow), 1)),
                          ("conv3", ConvBNReLU(_scale(64, narrow), _scale(192, narrow), 3))])
    channels = _scale(192, narrow)
    for name in INCEPTION_CHANNELS:
        if name in ("inception4a", "inception5a"):
            layers[f"pool{name[-2]}"] = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        layers[name] = _inception(name, channels, narrow)
        channels = layers[name].out_channels
    layers["gap"], layers["flatten"] = nn.AdaptiveAvgPool2d(1), nn.Flatten()
    layers["dropout"], layers["fc"] = nn.Dropout(0.2), nn.Linear(channels, num_classes)
    return nn.Sequential(layers)


class PlainBlock(BasicBlock):
    """A ``BasicBlock`` without its shortcut: relu(bn2(conv2(relu(bn1(conv1(x)))))).

    Same layers and initialisation as the residual block, minus the projection (a plain
    network has no shortcut to project).
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__(in_channels, out_channels, stride)
        self.downsample = None

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)))


def _resnet(block, narrow, num_classes):
    """Stem (3x3 stride 2), ResNet-18's four stages of ``block`` at widths / ``narrow``, pool, fc."""
    positive_ints(narrow=narrow, num_classes=num_classes)
    widths = [_scale(w, narrow) for w in RESNET_WIDTHS]
    channels = widths[0]
    layers = OrderedDict([("conv1", nn.Conv2d(1, channels, 3, 2, 1, bias=False)),
                          ("bn1", nn.BatchNorm2d(channels)), ("relu", nn.ReLU(inplace=True))])
    for stage, (width, num_blocks) in enumerate(zip(widths, RESNET_CONFIGS["resnet18"][1])):
        blocks = []
        for i in range(num_blocks):
            blocks.append(block(channels, width, 2 if stage > 0 and i == 0 else 1))
            channels = width
        layers[f"layer{stage + 1}"] = nn.Sequential(*blocks)
    layers["avgpool"], layers["flatten"] = nn.AdaptiveAvgPool2d(1), nn.Flatten()
    layers["fc"] = nn.Linear(channels, num_classes)
    return nn.Sequential(layers)


def resnet18_fashion(narrow=8, num_classes=10):
    """ResNet-18's layout (BasicBlocks 2, 2, 2, 2; stages 14 -> 7 -> 4 -> 2), widths / ``narrow``."""
    return _resnet(BasicBlock, narrow, num_classes)


def plain_resnet18_fashion(narrow=8, num_classes=10):
    """``resnet18_fashion`` with every BasicBlock replaced by a ``PlainBlock``: no shortcuts."""
    return _resnet(PlainBlock, narrow, num_classes)


class _DenseFeatures(nn.Sequential):
    def forward(self, x):
        return torch.relu(super().forward(x))


def densenet_fashion(narrow=8, num_classes=10):
    """DenseNet-BC: stem (3x3 stride 2), three dense blocks of 4 layers with two transitions
    (14 -> 7 -> 3), growth rate 32 / (``narrow`` // 2), stem width 64 / ``narrow``."""
    positive_ints(narrow=narrow, num_classes=num_classes)
    growth = _scale(DENSENET_CONFIGS["densenet_cifar"][0], max(1, narrow // 2))
    channels = _scale(DENSENET_CONFIGS["densenet_cifar"][2], narrow)
    features = _DenseFeatures(OrderedDict([("conv0", nn.Conv2d(1, channels, 3, 2, 1, bias=False))]))
    layers_per_block = DENSENET_CONFIGS["densenet_cifar"][1][:3]
    for i, num_layers in enumerate(layers_per_block):
        block = DenseBlock(num_layers, channels, growth)
        features.add_module(f"denseblock{i + 1}", block)
        channels = block.out_channels
        if i < len(layers_per_block) - 1:
            features.add_module(f"transition{i + 1}", Transition(channels, channels // 2))
            channels //= 2
    features.add_module("norm5", nn.BatchNorm2d(channels))
    return nn.Sequential(OrderedDict([("features", features), ("gap", nn.AdaptiveAvgPool2d(1)),
                                      ("flatten", nn.Flatten()), ("classifier", nn.Linear(channels, num_classes))]))


# The side-by-side comparison of chapter 10, in the order the chapters introduce them.
FASHION_MODELS = OrderedDict([
    ("LeNet-5", lenet5_fashion), ("AlexNet", alexnet_fashion), ("VGG-11", vgg11_fashion),
    ("NiN", nin_fashion), ("GoogLeNet", googlenet_fashion), ("ResNet-18", resnet18_fashion),
    ("plain ResNet-18", plain_resnet18_fashion), ("DenseNet", densenet_fashion),
])
