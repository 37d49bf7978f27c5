"""Keras (NHWC) building blocks that follow PyTorch's conventions, and convolution variants.

Keras pads with ``"valid"``/``"same"`` while torch pads an integer number of pixels on
every side; :func:`conv2d` bridges the two so models match their torch twins exactly.
Keras has dilated convolutions (``dilation_rate``) and ``SeparableConv2D``; what it
lacks is a transposed convolution with a requested output size, which
:class:`ConvTranspose2dTo` adds by computing ``output_padding``.
"""
import keras

from ..convert import (SMALL_INPUT_MAX, is_imagenet_sized, check_channels, check_input_size,  # noqa: F401
                       conv_output_size, transposed_output_padding)

__all__ = [
    "check_channels", "check_input_size", "conv_output_size", "transposed_output_padding",
    "numbered", "from_torch_spec", "conv2d", "batch_norm", "pointwise_conv2d", "dilated_conv2d",
    "DepthwiseSeparableConv2d", "ConvTranspose2dTo",
]


def numbered(prefix, *makers):
    """Call each ``maker(name=...)`` with names ``prefix0, prefix1, ...`` - the indices an
    ``nn.Sequential`` gives the same layers, so the converter can pair them."""
    return [make(name=f"{prefix}{i}") for i, make in enumerate(makers)]


def _torch_padded(make, kernel_size, stride, padding, dilation, name):
    """A Keras convolution made by ``make(padding=...)`` with torch's symmetric integer padding."""
    if padding == 0:
        return make(padding="valid", name=name)
    if stride == 1 and 2 * padding == dilation * (kernel_size - 1):
        return make(padding="same", name=name)  # stride 1: "same" pads symmetrically too
    return keras.Sequential([keras.layers.ZeroPadding2D(padding), make(padding="valid", name=name)],
                            name=f"{name}.padded")


def conv2d(filters, kernel_size, stride=1, padding=0, dilation=1, groups=1, use_bias=True, name=None):
    """The Keras equivalent of ``nn.Conv2d(in, filters, kernel_size, stride, padding, dilation, groups)``."""
    def make(**kw):
        return keras.layers.Conv2D(filters, kernel_size, strides=stride, dilation_rate=dilation,
                                   groups=groups, use_bias=use_bias, **kw)
    return _torch_padded(make, kernel_size, stride, padding, dilation, name)


def batch_norm(name=None):
    """BatchNormalization with torch's defaults: eps 1e-5 and torch momentum 0.1 (Keras 0.9)."""
    return keras.layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=name)


def pointwise_conv2d(in_channels, out_channels, bias=True, name=None):
    """A 1x1 convolution (``in_channels`` is checked only, Keras infers it)."""
    check_channels(in_channels=in_channels, out_channels=out_channels)
    return keras.layers.Conv2D(out_channels, 1, use_bias=bias, name=name)


def dilated_conv2d(in_channels, out_channels, kernel_size=3, dilation=2, bias=True, name=None):
    """A size-preserving dilated convolution, the twin of the torch helper."""
    check_channels(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size, dilation=dilation)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd to preserve the size, got {kernel_size}")
    return keras.layers.Conv2D(out_channels, kernel_size, dilation_rate=dilation, padding="same",
                               use_bias=bias, name=name)


def DepthwiseSeparableConv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
                             depth_multiplier=1, bias=True, name=None):
    """Keras ``SeparableConv2D`` with torch-style arguments (it is one layer in Keras)."""
    check_channels(in_channels=in_channels, out_channels=out_channels, depth_multiplier=depth_multiplier)

    def make(**kw):
        return keras.layers.SeparableConv2D(out_channels, kernel_size, strides=stride,
                                            depth_multiplier=depth_multiplier, use_bias=bias, **kw)
    return _torch_padded(make, kernel_size, stride, padding, 1, name)


class ConvTranspose2dTo(keras.layers.Conv2DTranspose):
    """``Conv2DTranspose`` with torch's integer ``padding`` that always yields ``output_size``.

    The full ("valid") transposed output is grown by ``output_padding`` (chosen at build
    time from the input size, as torch does for ``forward(x, output_size=...)``) and then
    ``padding`` pixels are cropped from every side, which is what torch's padding means.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, *, output_size, **kwargs):
        check_channels(in_channels=in_channels, out_channels=out_channels)
        super().__init__(out_channels, kernel_size, strides=stride, padding="valid", **kwargs)
        self.in_channels, self.crop = in_channels, padding
        self.target_size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)

    def build(self, input_shape):
        if input_shape[-1] != self.in_channels:
            raise ValueError(f"{self.name}: expected {self.in_channels} input channels, got {input_shape[-1]}")
        self.output_padding = tuple(
            transposed_output_padding(input_shape[1 + i], self.target_size[i], self.kernel_size[i],
                                      self.strides[i], self.crop) for i in range(2))
        super().build(input_shape)

    def call(self, inputs):
        out, p = super().call(inputs), self.crop
        return out[:, p:p + self.target_size[0], p:p + self.target_size[1], :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.target_size, self.filters)


def _pool(keras_class):
    def make(name, kernel_size, stride=None):
        return keras_class(kernel_size, stride or kernel_size, name=name)
    return make


# torch layer class name -> maker(name, **torch_kwargs) of the equivalent Keras layer
_KERAS_TWINS = {
    "Conv2d": lambda name, in_channels, out_channels, kernel_size, stride=1, padding=0: conv2d(
        out_channels, kernel_size, stride, padding, name=name),
    "Linear": lambda name, in_features, out_features: keras.layers.Dense(out_features, name=name),
    "BatchNorm1d": lambda name, num_features: batch_norm(name),
    "BatchNorm2d": lambda name, num_features: batch_norm(name),
    "ReLU": lambda name: keras.layers.ReLU(name=name),
    "Sigmoid": lambda name: keras.layers.Activation("sigmoid", name=name),
    "Tanh": lambda name: keras.layers.Activation("tanh", name=name),
    "Flatten": lambda name: keras.layers.Flatten(name=name),
    "Dropout": lambda name, p=0.5: keras.layers.Dropout(p, name=name),
    "MaxPool2d": _pool(keras.layers.MaxPooling2D),
    "AvgPool2d": _pool(keras.layers.AveragePooling2D),
}


def from_torch_spec(spec, prefix=""):
    """Keras layers for a ``[(torch_class_name, torch_kwargs), ...]`` list, named ``prefix + index``.

    The same list builds a torch ``nn.Sequential`` with ``getattr(nn, name)(**kwargs)``;
    an option this translation does not cover raises instead of being ignored.
    """
    layers = []
    for i, (cls, kwargs) in enumerate(spec):
        if cls not in _KERAS_TWINS:
            raise ValueError(f"layer {i}: no Keras twin for torch {cls}; known: {sorted(_KERAS_TWINS)}")
        try:
            layers.append(_KERAS_TWINS[cls](f"{prefix}{i}", **kwargs))
        except TypeError as err:
            raise ValueError(f"layer {i} ({cls}{kwargs}): unsupported arguments: {err}") from None
    return layers
