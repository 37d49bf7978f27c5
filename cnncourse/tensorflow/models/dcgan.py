"""A DCGAN-style generator in Keras, twin of :mod:`cnncourse.torch.models.dcgan`.

Same layer table (``DCGAN_GENERATOR_28``), same layer names (``up1``, ``bn1``, ...), so
:func:`cnncourse.convert.torch_to_keras` copies the weights; images come out NHWC,
``(N, 28, 28, out_channels)``.

Taught in: chapter 9 (transposed convolution).
"""
import keras
from keras import layers as L

from cnncourse.architectures import DCGAN_GENERATOR_28
from cnncourse.tensorflow.layers import ConvTranspose2dTo, batch_norm
from cnncourse.validate import positive_ints

__all__ = ["dcgan_generator"]


def dcgan_generator(latent_dim=64, out_channels=1, width=32):
    """Latent vectors ``(N, latent_dim)`` -> images ``(N, 28, 28, out_channels)`` in [-1, 1]."""
    positive_ints(latent_dim=latent_dim, out_channels=out_channels, width=width)
    layers, channels = [keras.Input((latent_dim,)), L.Reshape((1, 1, latent_dim), name="unflatten")], latent_dim
    for i, (multiple, kernel, stride, padding, side) in enumerate(DCGAN_GENERATOR_28, start=1):
        last = multiple is None
        width_out = out_channels if last else multiple * width
        layers.append(ConvTranspose2dTo(channels, width_out, kernel, stride, padding, output_size=side,
                                        use_bias=last, name=f"up{i}"))
        layers += [L.Activation("tanh", name="tanh")] if last else [batch_norm(f"bn{i}"), L.ReLU(name=f"relu{i}")]
        channels = width_out
    return keras.Sequential(layers, name="dcgan_generator")
