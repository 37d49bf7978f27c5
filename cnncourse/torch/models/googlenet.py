"""GoogLeNet / Inception v1 (Szegedy et al., 2014) in PyTorch, torchvision-style layout.

Like torchvision, every convolution is followed by batch norm (eps 1e-3) and ReLU, and the
stem max-pools round up (``ceil_mode=True``). By default the third Inception branch has the
paper's 5x5 convolution: 7,005,832 parameters for ImageNet. torchvision uses 3x3 there (a
known slip it keeps for its weights); ``branch3_kernel=3`` builds that layout, whose
6,624,904 parameters are torchvision's published count. The two auxiliary classifiers used
only in training are left out. ``input_size`` <= 64 swaps the stride-16 ImageNet stem for
3x3 stride-1 convolutions without pooling, so 32x32 and 28x28 images end in an 8x8 / 7x7 map.
The Inception widths are :mod:`cnncourse.architectures`' ``INCEPTION_CHANNELS``.

Taught in: chapter 8 (GoogLeNet).
"""
import torch
from torch import nn

from cnncourse.architectures import GOOGLENET_STEM, INCEPTION_CHANNELS, check_inception_channels, stem_and_downsampling
from cnncourse.validate import positive_ints

__all__ = ["ConvBNReLU", "InceptionBlock", "GoogLeNet", "googlenet"]


class ConvBNReLU(nn.Module):
    """Bias-free conv, BN, ReLU (torchvision's ``BasicConv2d``); stride 1 keeps the size."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                              bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class InceptionBlock(nn.Module):
    """Four parallel paths concatenated on channels; the output has c1 + c2[1] + c3[1] + c4.

    branch1: 1x1 conv. branch2: 1x1 reduce to c2[0], then 3x3. branch3: 1x1 reduce to c3[0],
    then ``branch3_kernel`` (5x5 in the paper). branch4: 3x3 stride-1 max-pool, then 1x1.
    The 1x1 reductions are what keep the wide kernels affordable.
    """

    def __init__(self, in_channels, c1, c2, c3, c4, branch3_kernel=5):
        super().__init__()
        check_inception_channels(in_channels, c1, c2, c3, c4, branch3_kernel)
        self.out_channels = c1 + c2[1] + c3[1] + c4
        self.branch1 = ConvBNReLU(in_channels, c1, 1)
        self.branch2 = nn.Sequential(ConvBNReLU(in_channels, c2[0], 1), ConvBNReLU(c2[0], c2[1], 3))
        self.branch3 = nn.Sequential(ConvBNReLU(in_channels, c3[0], 1),
                                     ConvBNReLU(c3[0], c3[1], branch3_kernel))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), ConvBNReLU(in_channels, c4, 1))

    def forward(self, x):
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([branch(x) for branch in branches], dim=1)


class GoogLeNet(nn.Module):
    """Stem, Inception 3a-3b, pool, 4a-4e, pool, 5a-5b, global average pool, dropout, fc."""

    def __init__(self, num_classes=1000, in_channels=3, input_size=224, branch3_kernel=5):
        super().__init__()
        positive_ints(num_classes=num_classes, in_channels=in_channels)
        # (kernel, stride, padding); the floor-mode check is slightly stricter than ceil_mode.
        imagenet_stem = stem_and_downsampling(input_size, GOOGLENET_STEM["imagenet"],
                                              GOOGLENET_STEM["downsampling"], "GoogLeNet")
        # ceil_mode rounds odd sizes up, as torchvision does (224 -> 112 -> 56 -> 28 -> 14 -> 7).
        pool = (lambda: nn.MaxPool2d(3, 2, ceil_mode=True)) if imagenet_stem else nn.Identity
        self.conv1 = ConvBNReLU(in_channels, 64, *((7, 2) if imagenet_stem else (3, 1)))
        self.maxpool1 = pool()
        self.conv2 = ConvBNReLU(64, 64, 1)
        self.conv3 = ConvBNReLU(64, 192, 3)
        self.maxpool2 = pool()
        for name, channels in INCEPTION_CHANNELS.items():
            self.add_module(name, InceptionBlock(*channels, branch3_kernel=branch3_kernel))
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


def googlenet(num_classes=1000, in_channels=3, input_size=224, branch3_kernel=5):
    """GoogLeNet v1 without auxiliary classifiers (see the module docstring for the counts)."""
    return GoogLeNet(num_classes, in_channels, input_size, branch3_kernel)
