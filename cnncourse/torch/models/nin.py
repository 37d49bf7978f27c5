"""Network in Network (Lin et al., 2014) as Zhang et al. (*Dive into Deep Learning*, 2023,
section 8.3) and the course's lecture notes (4.3.4) present it.

Each :class:`NiNBlock` is one spatial convolution followed by two 1x1 convolutions (a
per-pixel MLP across channels). No dense layers: the last block outputs one channel per
class and global average pooling turns each map into a logit. Inputs above 64 px use
the ImageNet-sized first block (11x11, stride 4); smaller ones a 3x3 stride-1 block
(:mod:`cnncourse.architectures`' ``NIN_*`` tables).

Taught in: chapter 8 (NiN).
"""
from collections import OrderedDict

from torch import nn

from cnncourse.architectures import nin_blocks
from cnncourse.torch.layers import pointwise_conv2d
from cnncourse.validate import positive_ints

__all__ = ["NiNBlock", "nin"]


class NiNBlock(nn.Sequential):
    """conv k x k -> ReLU -> 1x1 conv -> ReLU -> 1x1 conv -> ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        positive_ints(in_channels=in_channels, out_channels=out_channels)
        super().__init__(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(inplace=True),
                         pointwise_conv2d(out_channels, out_channels), nn.ReLU(inplace=True),
                         pointwise_conv2d(out_channels, out_channels), nn.ReLU(inplace=True))


def nin(num_classes=10, in_channels=1, input_size=224):
    """NiN for 1-channel 224x224 inputs by default (the text's resized Fashion-MNIST)."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    (c1, *k1), (c2, *k2), (c3, *k3), (c4, *k4) = nin_blocks(input_size, num_classes)
    return nn.Sequential(OrderedDict([
        ("block1", NiNBlock(in_channels, c1, *k1)), ("pool1", nn.MaxPool2d(3, 2)),
        ("block2", NiNBlock(c1, c2, *k2)), ("pool2", nn.MaxPool2d(3, 2)),
        ("block3", NiNBlock(c2, c3, *k3)), ("pool3", nn.MaxPool2d(3, 2)),
        ("dropout", nn.Dropout(0.5)),
        ("block4", NiNBlock(c3, c4, *k4)),
        ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
    ]))
