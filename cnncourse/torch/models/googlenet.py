"""GoogLeNet / Inception v1 (Szegedy et al., 2014) in PyTorch, torchvision-style layout.

Like torchvision, every convolution is followed by batch norm (eps 1e-3) and ReLU, and the
stem max-pools round up (``ceil_mode=True``). Unlike torchvision we keep the paper's 5x5
convolution in the third Inception branch (torchvision uses 3x3 there, a known slip), so
the ImageNet model has 7,005,832 parameters instead of torchvision's 6,624,904; the test
derives both from the channel table. The two auxiliary classifiers used only in training
are left out. ``input_size`` <= 64 swaps the stride-16 ImageNet stem for 3x3 stride-1
convolutions without pooling, so 32x32 and 28x28 images end in an 8x8 / 7x7 map.
"""
import torch
from torch import nn

from cnncourse.torch.layers import SMALL_INPUT_MAX, check_channels, check_input_size

__all__ = ["ConvBNReLU", "InceptionBlock", "GoogLeNet", "googlenet", "INCEPTION_CHANNELS"]

# name: (in_channels, c1, (c2 reduce, c2), (c3 reduce, c3), c4) -- Table 1 of the paper.
INCEPTION_CHANNELS = {
    "inception3a": (192, 64, (96, 128), (16, 32), 32),
    "inception3b": (256, 128, (128, 192), (32, 96), 64),
    "inception4a": (480, 192, (96, 208), (16, 48), 64),
    "inception4b": (512, 160, (112, 224), (24, 64), 64),
    "inception4c": (512, 128, (128, 256), (24, 64), 64),
    "inception4d": (512, 112, (144, 288), (32, 64), 64),
    "inception4e": (528, 256, (160, 320), (32, 128), 128),
    "inception5a": (832, 256, (160, 320), (32, 128), 128),
    "inception5b": (832, 384, (192, 384), (48, 128), 128),
}


class ConvBNReLU(nn.Module):
    """Bias-free conv, BN, ReLU (torchvision's ``BasicConv2d``); stride 1 keeps the size."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                              bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


def check_inception_channels(in_channels, c1, c2, c3, c4):
    """Raise ValueError unless c2 and c3 are (reduce, out) pairs and every width is an int >= 1."""
    for name, pair in (("c2", c2), ("c3", c3)):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{name} must be a pair (1x1 reduce channels, output channels), "
                             f"got {pair!r}")
    check_channels(in_channels=in_channels, c1=c1, c2_reduce=c2[0], c2_out=c2[1],
                        c3_reduce=c3[0], c3_out=c3[1], c4=c4)


class InceptionBlock(nn.Module):
    """Four parallel paths concatenated on channels; the output has c1 + c2[1] + c3[1] + c4.

    branch1: 1x1 conv. branch2: 1x1 reduce to c2[0], then 3x3. branch3: 1x1 reduce to c3[0],
    then 5x5. branch4: 3x3 stride-1 max-pool, then 1x1. The 1x1 reductions are what keep
    the wide kernels affordable.
    """

    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        check_inception_channels(in_channels, c1, c2, c3, c4)
        self.out_channels = c1 + c2[1] + c3[1] + c4
        self.branch1 = ConvBNReLU(in_channels, c1, 1)
        self.branch2 = nn.Sequential(ConvBNReLU(in_channels, c2[0], 1), ConvBNReLU(c2[0], c2[1], 3))
        self.branch3 = nn.Sequential(ConvBNReLU(in_channels, c3[0], 1), ConvBNReLU(c3[0], c3[1], 5))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), ConvBNReLU(in_channels, c4, 1))

    def forward(self, x):
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([branch(x) for branch in branches], dim=1)


class GoogLeNet(nn.Module):
    """Stem, Inception 3a-3b, pool, 4a-4e, pool, 5a-5b, global average pool, dropout, fc."""

    def __init__(self, num_classes=1000, in_channels=3, input_size=224):
        super().__init__()
        check_channels(num_classes=num_classes, in_channels=in_channels)
        check_input_size(input_size, [], "GoogLeNet")  # an int >= 1
        imagenet_stem = input_size > SMALL_INPUT_MAX
        stem = [(7, 2, 3), (3, 2, 0), (3, 2, 0)] if imagenet_stem else []
        # (kernel, stride, padding); the floor-mode check is slightly stricter than ceil_mode.
        check_input_size(input_size, stem + [(3, 2, 0), (2, 2, 0)], "GoogLeNet")
        # ceil_mode rounds odd sizes up, as torchvision does (224 -> 112 -> 56 -> 28 -> 14 -> 7).
        pool = (lambda: nn.MaxPool2d(3, 2, ceil_mode=True)) if imagenet_stem else nn.Identity
        self.conv1 = ConvBNReLU(in_channels, 64, *((7, 2) if imagenet_stem else (3, 1)))
        self.maxpool1 = pool()
        self.conv2 = ConvBNReLU(64, 64, 1)
        self.conv3 = ConvBNReLU(64, 192, 3)
        self.maxpool2 = pool()
        for name, channels in INCEPTION_CHANNELS.items():
            self.add_module(name, InceptionBlock(*channels))
        self.maxpool3 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.maxpool4 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for name in ("inception4a", "inception4b", "inception4c", "inception4d", "inception4e"):
            x = getattr(self, name)(x)
        x = self.inception5b(self.inception5a(self.maxpool4(x)))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


def googlenet(num_classes=1000, in_channels=3, input_size=224):
    """GoogLeNet v1 without auxiliary classifiers (see the module docstring for the count)."""
    return GoogLeNet(num_classes, in_channels, input_size)
