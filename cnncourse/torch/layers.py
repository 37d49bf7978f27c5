"""Convolution variants for the PyTorch models.

PyTorch already has dilated (``nn.Conv2d(dilation=...)``), 1x1 and transposed
convolutions (``nn.ConvTranspose2d(...)(x, output_size=...)``); what it lacks as a
single module is the depthwise separable convolution, so it is written here. The
Keras twins in :mod:`cnncourse.tensorflow.layers` have the same names and arguments and
are tested against these.

Taught in: chapter 9 (convolution variants).
"""
from torch import nn

from cnncourse.shapes import conv_transpose_output_padding
from cnncourse.validate import is_int, positive_ints

__all__ = ["pointwise_conv2d", "dilated_conv2d", "DepthwiseSeparableConv2d", "ConvTranspose2dTo"]


def pointwise_conv2d(in_channels, out_channels, bias=True):
    """A 1x1 convolution: a per-pixel linear map across channels (NiN, GoogLeNet bottlenecks)."""
    positive_ints(in_channels=in_channels, out_channels=out_channels)
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=bias)


def dilated_conv2d(in_channels, out_channels, kernel_size=3, dilation=2, bias=True):
    """A size-preserving dilated convolution: receptive field d*(k-1)+1 with k*k weights."""
    positive_ints(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
                  dilation=dilation)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd to preserve the size, got {kernel_size}")
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=dilation * (kernel_size - 1) // 2,
                     dilation=dilation, bias=bias)


class DepthwiseSeparableConv2d(nn.Module):
    """Depthwise k x k convolution (``groups=in_channels``) followed by a pointwise 1x1 one.

    Costs ``C_in*M*k*k + C_in*M*C_out`` weights instead of ``C_in*C_out*k*k``; the bias
    sits on the pointwise part only, like Keras ``SeparableConv2D``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 depth_multiplier=1, bias=True):
        super().__init__()
        positive_ints(in_channels=in_channels, out_channels=out_channels,
                      depth_multiplier=depth_multiplier)
        mid = in_channels * depth_multiplier
        self.depthwise = nn.Conv2d(in_channels, mid, kernel_size, stride, padding, groups=in_channels, bias=False)
        self.pointwise = pointwise_conv2d(mid, out_channels, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class ConvTranspose2dTo(nn.ConvTranspose2d):
    """A transposed convolution that always produces ``output_size`` (an int or (H, W)).

    torch exposes this as a call argument (``forward(x, output_size=...)``); fixing it
    at construction lets the layer sit in an ``nn.Sequential``, like its Keras twin.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, *, output_size, **kwargs):
        positive_ints(in_channels=in_channels, out_channels=out_channels)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, **kwargs)
        self.target_size = (output_size, output_size) if is_int(output_size) else tuple(output_size)

    def forward(self, x):
        # a clear message before torch's own check
        conv_transpose_output_padding(self.target_size, self.kernel_size, self.stride, self.padding,
                                      self.dilation, input_size=tuple(x.shape[-2:]))
        return super().forward(x, output_size=list(self.target_size))
