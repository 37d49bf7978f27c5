"""Network in Network (Lin et al., 2013) as seed 003 (section 4.3.4) presents it.

Each :class:`NiNBlock` is one spatial convolution followed by two 1x1 convolutions (a
per-pixel MLP across channels). No dense layers: the last block outputs one channel per
class and global average pooling turns each map into a logit. Inputs above 64 px use
the ImageNet-sized first block (11x11, stride 4); smaller ones a 3x3 stride-1 block.
"""
from collections import OrderedDict

from torch import nn

from ...convert import stem_and_downsampling
from ..layers import check_channels, pointwise_conv2d

__all__ = ["NiNBlock", "nin"]


class NiNBlock(nn.Sequential):
    """conv k x k -> ReLU -> 1x1 conv -> ReLU -> 1x1 conv -> ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        check_channels(in_channels=in_channels, out_channels=out_channels)
        super().__init__(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(inplace=True),
                         pointwise_conv2d(out_channels, out_channels), nn.ReLU(inplace=True),
                         pointwise_conv2d(out_channels, out_channels), nn.ReLU(inplace=True))


def nin(num_classes=10, in_channels=1, input_size=224):
    """NiN for 1-channel 224x224 inputs by default (the text's resized Fashion-MNIST)."""
    check_channels(num_classes=num_classes, in_channels=in_channels)
    imagenet = stem_and_downsampling(input_size, [(11, 4, 0)], [(3, 2, 0)] * 3, "nin")
    k, s, p = (11, 4, 0) if imagenet else (3, 1, 1)
    return nn.Sequential(OrderedDict([
        ("block1", NiNBlock(in_channels, 96, k, s, p)), ("pool1", nn.MaxPool2d(3, 2)),
        ("block2", NiNBlock(96, 256, 5, 1, 2)), ("pool2", nn.MaxPool2d(3, 2)),
        ("block3", NiNBlock(256, 384, 3, 1, 1)), ("pool3", nn.MaxPool2d(3, 2)),
        ("dropout", nn.Dropout(0.5)),
        ("block4", NiNBlock(384, num_classes, 3, 1, 1)),
        ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
    ]))
