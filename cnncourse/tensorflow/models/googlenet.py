"""GoogLeNet / Inception v1 in Keras 3 (NHWC), the twin of ``cnncourse.torch.models.googlenet``.

Same layout as the torch file: conv-BN(eps 1e-3)-ReLU units, the paper's 5x5 third branch
(``branch3_kernel=3`` for torchvision's layout), ceil-mode stem pools, no auxiliary
classifiers. Layers holding weights carry the torch names (``inception3a.branch2.1.conv``)
so ``cnncourse.convert`` can pair them.

Taught in: chapter 8 (GoogLeNet).
"""
import keras
from keras import layers, ops

from cnncourse.architectures import GOOGLENET_STEM, INCEPTION_CHANNELS, check_inception_channels, stem_and_downsampling
from cnncourse.tensorflow.layers import MaxPool2d, child, conv2d, serializable
from cnncourse.validate import positive_ints

__all__ = ["ConvBNReLU", "InceptionBlock", "GoogLeNet", "googlenet"]


@serializable
class ConvBNReLU(layers.Layer):
    """Padded bias-free conv, BN (eps 1e-3), ReLU; sublayers ``<name>.conv`` and ``<name>.bn``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = kernel_size, stride
        self.conv = conv2d(out_channels, kernel_size, stride, kernel_size // 2, use_bias=False,
                           name=child(name, "conv"))
        # torchvision's GoogLeNet uses eps 1e-3, not the usual 1e-5.
        self.bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3, name=child(name, "bn"))

    def call(self, x, training=None):
        return ops.relu(self.bn(self.conv(x), training=training))

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "kernel_size": self.kernel_size,
                "stride": self.stride}


@serializable
class InceptionBlock(layers.Layer):
    """Four parallel paths (1x1 | 1x1-3x3 | 1x1-kxk, k = ``branch3_kernel`` | pool-1x1)
    concatenated on channels."""

    def __init__(self, in_channels, c1, c2, c3, c4, branch3_kernel=5, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        check_inception_channels(in_channels, c1, c2, c3, c4, branch3_kernel)
        self.channels = (in_channels, c1, tuple(c2), tuple(c3), c4)
        self.branch3_kernel = branch3_kernel
        self.out_channels = c1 + c2[1] + c3[1] + c4

        def unit(path, cin, cout, kernel):
            return ConvBNReLU(cin, cout, kernel, name=child(name, path))

        self.branch1 = [unit("branch1", in_channels, c1, 1)]
        self.branch2 = [unit("branch2.0", in_channels, c2[0], 1), unit("branch2.1", *c2, 3)]
        self.branch3 = [unit("branch3.0", in_channels, c3[0], 1), unit("branch3.1", *c3, branch3_kernel)]
        self.branch4 = [MaxPool2d(3, 1, 1), unit("branch4.1", in_channels, c4, 1)]

    def call(self, x, training=None):
        if x.shape[-1] != self.channels[0]:
            raise ValueError(f"{self.name} expects {self.channels[0]} input channels (NHWC), "
                             f"got input shape {tuple(x.shape)}")
        outputs = []
        for branch in (self.branch1, self.branch2, self.branch3, self.branch4):
            y = x
            for layer in branch:
                y = layer(y, training=training)
            outputs.append(y)
        return ops.concatenate(outputs, axis=-1)

    def get_config(self):
        in_channels, c1, c2, c3, c4 = self.channels
        return {**super().get_config(), "in_channels": in_channels, "c1": c1, "c2": c2,
                "c3": c3, "c4": c4, "branch3_kernel": self.branch3_kernel}


def GoogLeNet(num_classes=1000, in_channels=3, input_size=224, branch3_kernel=5, name="googlenet"):
    """Functional GoogLeNet v1; ``input_size`` <= 64 picks the stride-1 stem without pools.

    The input is ``(None, None, in_channels)``: any size that survives the pooling works.
    """
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    imagenet_stem = stem_and_downsampling(input_size, GOOGLENET_STEM["imagenet"],
                                          GOOGLENET_STEM["downsampling"], "GoogLeNet")

    def stem_pool(x):
        return MaxPool2d(3, 2, ceil_mode=True)(x) if imagenet_stem else x

    inputs = keras.Input((None, None, in_channels))
    x = ConvBNReLU(in_channels, 64, *((7, 2) if imagenet_stem else (3, 1)), name="conv1")(inputs)
    x = stem_pool(x)
    x = ConvBNReLU(64, 64, 1, name="conv2")(x)
    x = stem_pool(ConvBNReLU(64, 192, 3, name="conv3")(x))
    for block_name, channels in INCEPTION_CHANNELS.items():
        if block_name in ("inception4a", "inception5a"):  # maxpool3 and maxpool4
            x = MaxPool2d(*((3, 2) if block_name == "inception4a" else (2, 2)), ceil_mode=True)(x)
        x = InceptionBlock(*channels, branch3_kernel=branch3_kernel, name=block_name)(x)
    x = layers.Dropout(0.2)(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, layers.Dense(num_classes, name="fc")(x), name=name)


def googlenet(num_classes=1000, in_channels=3, input_size=224, branch3_kernel=5):
    """GoogLeNet v1 without auxiliary classifiers: 7,005,832 trainable weights for ImageNet
    (6,624,904 with torchvision's ``branch3_kernel=3``)."""
    return GoogLeNet(num_classes, in_channels, input_size, branch3_kernel)
