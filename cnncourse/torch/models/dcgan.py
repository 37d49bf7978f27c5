"""A DCGAN-style generator (Radford et al., 2016) for 28x28 images, in PyTorch.

A latent vector is viewed as a 1x1 map with ``latent_dim`` channels; four transposed
convolutions (:class:`cnncourse.torch.layers.ConvTranspose2dTo`, so every output size is
fixed) grow it to 4x4, 7x7, 14x14 and 28x28 while the channels fall from ``4 * width`` to
the image's. Batch norm and ReLU follow each layer but the last, which ends in tanh (pixels
in [-1, 1]); the convolutions before batch norm have no bias, as in the paper. The layer
table is :mod:`cnncourse.architectures`' ``DCGAN_GENERATOR_28``. Training it needs a
discriminator and the adversarial loop, which the course does not cover.

Taught in: chapter 9 (transposed convolution).
"""
from collections import OrderedDict

from torch import nn

from cnncourse.architectures import DCGAN_GENERATOR_28
from cnncourse.torch.layers import ConvTranspose2dTo
from cnncourse.validate import positive_ints

__all__ = ["dcgan_generator"]


def dcgan_generator(latent_dim=64, out_channels=1, width=32):
    """Latent vectors ``(N, latent_dim)`` -> images ``(N, out_channels, 28, 28)`` in [-1, 1]."""
    positive_ints(latent_dim=latent_dim, out_channels=out_channels, width=width)
    layers, channels = [("unflatten", nn.Unflatten(1, (latent_dim, 1, 1)))], latent_dim
    for i, (multiple, kernel, stride, padding, side) in enumerate(DCGAN_GENERATOR_28, start=1):
        last = multiple is None
        width_out = out_channels if last else multiple * width
        layers.append((f"up{i}", ConvTranspose2dTo(channels, width_out, kernel, stride, padding,
                                                   output_size=side, bias=last)))
        layers += [("tanh", nn.Tanh())] if last else [(f"bn{i}", nn.BatchNorm2d(width_out)),
                                                     (f"relu{i}", nn.ReLU(inplace=True))]
        channels = width_out
    return nn.Sequential(OrderedDict(layers))
