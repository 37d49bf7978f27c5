"""Keras (NHWC) building blocks that follow PyTorch's conventions, and convolution variants.

Keras pads with ``"valid"``/``"same"`` while torch pads an integer number of pixels on
every side; :func:`conv2d` bridges the two so models match their torch twins exactly.
Layers that exist in both frameworks carry torch's names and arguments here
(:class:`MaxPool2d`, :class:`DepthwiseSeparableConv2d`, :class:`ConvTranspose2dTo`), and
:func:`from_torch_spec` builds Keras layers from a list of torch class names and arguments
(:mod:`cnncourse.architectures`). Every layer holding weights is named after its torch
counterpart (:func:`child` builds such names), which is how :mod:`cnncourse.convert` pairs
them.

Taught in: chapter 9 (convolution variants), chapter 10 (blocks as subclassed layers).
"""
import keras
from keras import ops

from cnncourse.shapes import conv_transpose_output_padding
from cnncourse.validate import is_int, pair, positive_ints

__all__ = [
    "serializable", "child", "numbered", "from_torch_spec", "conv2d", "batch_norm", "MaxPool2d",
    "pointwise_conv2d", "dilated_conv2d", "DepthwiseSeparableConv2d", "ConvTranspose2dTo",
]

# Registered so that saved models load without custom_objects.
serializable = keras.saving.register_keras_serializable(package="cnncourse")


def child(name, suffix):
    """The torch-style qualified name of a sublayer: ``child("layer1.0", "conv1")``."""
    return f"{name}.{suffix}" if name else suffix


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


@serializable
class MaxPool2d(keras.layers.Layer):
    """``nn.MaxPool2d(kernel_size, stride=None, padding=0, ceil_mode=False)`` in Keras:
    torch's output size and windows (``stride`` defaults to the kernel size).

    ``padding`` pads both sides with -inf; ``ceil_mode`` (only with padding 0) adds
    ``stride - 1`` of -inf on the far side so the last partial window is kept.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, **kwargs):
        super().__init__(**kwargs)
        if ceil_mode and padding:
            raise ValueError("ceil_mode must be False when padding is not 0 (not supported)")
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode

    def call(self, x):
        after = self.padding + (self.stride - 1 if self.ceil_mode else 0)
        if self.padding or after:
            pads = [(0, 0), (self.padding, after), (self.padding, after), (0, 0)]
            x = ops.pad(x, pads, constant_values=float("-inf"))
        return ops.max_pool(x, self.kernel_size, self.stride, padding="valid")

    def compute_output_shape(self, input_shape):
        def size(n):
            if n is None:
                return None
            span = n + 2 * self.padding - self.kernel_size
            return (-(-span // self.stride) if self.ceil_mode else span // self.stride) + 1
        return (input_shape[0], size(input_shape[1]), size(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "ceil_mode": self.ceil_mode}


def pointwise_conv2d(in_channels, out_channels, bias=True, name=None):
    """A 1x1 convolution (``in_channels`` is checked only, Keras infers it)."""
    positive_ints(in_channels=in_channels, out_channels=out_channels)
    return keras.layers.Conv2D(out_channels, 1, use_bias=bias, name=name)


def dilated_conv2d(in_channels, out_channels, kernel_size=3, dilation=2, bias=True, name=None):
    """A size-preserving dilated convolution, the twin of the torch helper."""
    positive_ints(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
                  dilation=dilation)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd to preserve the size, got {kernel_size}")
    return keras.layers.Conv2D(out_channels, kernel_size, dilation_rate=dilation, padding="same",
                               use_bias=bias, name=name)


def _check_input_channels(layer, input_shape):
    if input_shape[-1] != layer.in_channels:
        raise ValueError(f"{layer.name}: expected {layer.in_channels} input channels, "
                         f"got {input_shape[-1]}")


@serializable
class DepthwiseSeparableConv2d(keras.layers.SeparableConv2D):
    """``SeparableConv2D`` with the torch twin's arguments: a depthwise k x k convolution
    (``depth_multiplier`` maps per input channel) then a pointwise 1x1 one, torch's
    symmetric integer ``padding`` (zeros on every side), the bias on the pointwise part."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 depth_multiplier=1, bias=True, **kwargs):
        positive_ints(in_channels=in_channels, out_channels=out_channels,
                      depth_multiplier=depth_multiplier)
        super().__init__(out_channels, kernel_size, strides=stride, padding="valid",
                         depth_multiplier=depth_multiplier, use_bias=bias, **kwargs)
        self.in_channels, self.torch_padding = in_channels, pair(padding, "padding")
        self.torch_args = dict(in_channels=in_channels, out_channels=out_channels,
                               kernel_size=kernel_size, stride=stride, padding=padding,
                               depth_multiplier=depth_multiplier, bias=bias)

    def _padded(self, input_shape):
        (ph, pw), (n, h, w, c) = self.torch_padding, input_shape
        return (n, None if h is None else h + 2 * ph, None if w is None else w + 2 * pw, c)

    def build(self, input_shape):
        _check_input_channels(self, input_shape)
        super().build(self._padded(input_shape))

    def call(self, inputs):
        ph, pw = self.torch_padding
        if ph or pw:
            inputs = ops.pad(inputs, [(0, 0), (ph, ph), (pw, pw), (0, 0)])
        return super().call(inputs)

    def compute_output_shape(self, input_shape):
        return super().compute_output_shape(self._padded(input_shape))

    def get_config(self):
        base = keras.layers.Layer.get_config(self)
        return {**{k: base[k] for k in ("name", "trainable", "dtype") if k in base},
                **self.torch_args}


@serializable
class ConvTranspose2dTo(keras.layers.Conv2DTranspose):
    """``Conv2DTranspose`` with torch's integer ``padding`` that always yields ``output_size``.

    The full ("valid") transposed output is grown by ``output_padding`` (chosen at build
    time from the input size, as torch does for ``forward(x, output_size=...)``) and then
    ``padding`` pixels are cropped from every side, which is what torch's padding means.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, *, output_size, **kwargs):
        positive_ints(in_channels=in_channels, out_channels=out_channels)
        super().__init__(out_channels, kernel_size, strides=stride, padding="valid", **kwargs)
        self.in_channels, self.crop = in_channels, padding
        self.target_size = (output_size, output_size) if is_int(output_size) else tuple(output_size)

    def build(self, input_shape):
        _check_input_channels(self, input_shape)
        self.output_padding = conv_transpose_output_padding(
            self.target_size, self.kernel_size, self.strides, self.crop,
            input_size=tuple(input_shape[1:3]))
        super().build(input_shape)

    def call(self, inputs):
        out, p = super().call(inputs), self.crop
        return out[:, p:p + self.target_size[0], p:p + self.target_size[1], :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.target_size, self.filters)


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
    "MaxPool2d": lambda name, kernel_size, stride=None: MaxPool2d(kernel_size, stride, name=name),
    "AvgPool2d": lambda name, kernel_size, stride=None: keras.layers.AveragePooling2D(
        kernel_size, stride or kernel_size, name=name),
}


def from_torch_spec(spec, prefix=""):
    """Keras layers for a ``[(torch_class_name, torch_kwargs), ...]`` list, named ``prefix + index``.

    The same list builds a torch ``nn.Sequential`` with ``getattr(nn, name)(**kwargs)``;
    an option this translation does not cover raises instead of being ignored.
    """
    layers = []
    for i, (cls, kwargs) in enumerate(spec):
        if cls not in _KERAS_TWINS:
            raise ValueError(f"spec[{i}] has no Keras twin for torch {cls}; known: {sorted(_KERAS_TWINS)}")
        try:
            layers.append(_KERAS_TWINS[cls](f"{prefix}{i}", **kwargs))
        except TypeError as err:
            raise ValueError(f"spec[{i}] ({cls}{kwargs}) has unsupported arguments: {err}") from None
    return layers
