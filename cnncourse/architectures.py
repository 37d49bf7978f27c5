"""The numbers that define each network of the course, in one place, for every framework.

The PyTorch models (:mod:`cnncourse.torch.models`), their Keras twins
(:mod:`cnncourse.tensorflow.models`) and the NumPy LeNet-5 read their layer widths, kernel
sizes, stems and block counts from here, so the twins cannot drift apart, and the book draws
its diagrams from the same tables. Pure Python: no framework is imported.

Conventions: a *window* is ``(kernel, stride, padding)``, a *convolution* is
``(out_channels, kernel, stride, padding)``; layer lists use torch's class and argument
names (``("Conv2d", {"in_channels": 1, ...})``), which :func:`cnncourse.tensorflow.layers.from_torch_spec`
translates for Keras.

Taught in: chapter 7 (LeNet-5), chapter 8 (AlexNet, VGG, NiN, GoogLeNet), chapter 9 (a
DCGAN-style generator), chapter 10 (ResNet, DenseNet), chapter 11 (the small-input stems).

Besides the papers, the comments name the course's source texts: Long and Zeng (2022) is
L. Long, X. Zeng, *Beginning Deep Learning with TensorFlow*, Apress, 2022, chapter 10 (the
English edition of L. Long, *TensorFlow Deep Learning*, Tsinghua University Press, 2020);
Zhang et al. (2023) is A. Zhang, Z. C. Lipton, M. Li, A. J. Smola, *Dive into Deep
Learning*, Cambridge University Press, 2023; "the PyTorch textbook" is the course's copy
of a textbook chapter 8, *Convolutional Neural Networks* (its title page and authors are
not part of the copy); "the lecture notes" are the course's PyTorch lecture notes on CNNs
(sections 4.1-4.3), which follow Zhang et al.
"""
from cnncourse.shapes import feature_map_size
from cnncourse.validate import choice, is_int, positive_ints

__all__ = [
    "SMALL_INPUT_MAX", "is_imagenet_sized", "stem_and_downsampling",
    "LENET5_VARIANTS", "LENET5_INPUT_SIZE", "lenet5_spec",
    "ALEXNET_STEMS", "ALEXNET_CONVS", "ALEXNET_DOWNSAMPLING", "alexnet_stem",
    "VGG_CONFIGS", "VGG_CLASSIFIER", "VGG13_CIFAR_CLASSIFIER",
    "NIN_STEMS", "NIN_BLOCKS", "NIN_DOWNSAMPLING", "nin_blocks",
    "INCEPTION_CHANNELS", "GOOGLENET_STEM", "check_inception_channels",
    "RESNET_CONFIGS", "RESNET_WIDTHS", "RESNET_STEM", "resnet_stem",
    "DENSENET_CONFIGS", "DENSENET_STEM", "densenet_stem", "MODEL_NAMES",
    "DCGAN_GENERATOR_28",
]


# The whole networks of the course, the names ``cnncourse train --model`` takes: each
# framework's ``models.MODELS`` registry maps these names to its constructors.
MODEL_NAMES = ("lenet5", "cifar2net", "alexnet", "nin", "vgg11", "vgg13", "vgg16", "vgg19",
               "vgg13_cifar", "googlenet", "resnet18", "resnet34", "resnet50", "densenet121",
               "densenet_cifar")


# ----------------------------------------------------------------------------- stems
# Inputs up to 64 px get a CIFAR/MNIST-sized stem (a 3x3 stride-1 convolution, no pooling),
# larger ones the ImageNet stem of the paper: the usual choice for 32x32 images (ResNet).
SMALL_INPUT_MAX = 64


def is_imagenet_sized(input_size):
    """True when ``input_size`` (an int >= 1) calls for an ImageNet-sized stem."""
    if not is_int(input_size) or input_size < 1:
        raise ValueError(f"input_size must be an int >= 1, got {input_size!r}")
    return input_size > SMALL_INPUT_MAX


def stem_and_downsampling(input_size, imagenet_stem, downsampling, model):
    """Check that ``input_size`` survives the network; True when it gets the ImageNet stem.

    ``imagenet_stem`` and ``downsampling`` are lists of windows: the stem's (only for
    ImageNet-sized inputs) and those every input goes through.
    """
    imagenet = is_imagenet_sized(input_size)
    feature_map_size(input_size, (list(imagenet_stem) if imagenet else []) + list(downsampling),
                     model)
    return imagenet


# ----------------------------------------------------------------------------- LeNet-5
# Variants (the source each follows):
# - "original": LeCun et al. (1998), as the PyTorch textbook (8.3.3) and the lecture notes
#   (4.3.1) describe it: 32x32 input, 6@5x5 conv, sigmoid, 2x2 average pooling, 16@5x5
#   conv, sigmoid, average pooling, 120@5x5 conv (C5: a 1x1 map, i.e. a dense layer of
#   120), sigmoid, 84 sigmoid, 10. The paper's scaled tanh and Gaussian (RBF) output layer
#   are replaced by sigmoid and a linear layer, as both texts do. 61,706 parameters.
# - "modern": the PyTorch textbook (8.3.3): 28x28 input padded by 2, ReLU and max pooling instead of
#   sigmoid and averaging; flatten 16x5x5 = 400 -> 120 -> 84 -> 10. 61,706 parameters.
# - "small-kernel": Long and Zeng (2022, 10.4): 3x3 kernels without padding on 28x28 input,
#   each conv followed by 2x2 max pooling *then* ReLU: 28 -> 26 -> 13 -> 11 -> 5, so flatten
#   is again 400. Per-layer counts 60, 880, 48,120, 10,164, 850 as its Table 10.3 lists;
#   60,074 in all.
# - "batchnorm": "modern" with batch norm after every conv (BatchNorm2d, directly after the
#   conv as Long and Zeng (2022, 10.6) place it) and after the two hidden dense layers
#   (BatchNorm1d; the PyTorch textbook (8.6.6) puts one after the 84-unit layer). 62,158 parameters.
LENET5_VARIANTS = ("original", "modern", "small-kernel", "batchnorm")
LENET5_INPUT_SIZE = {"original": 32, "modern": 28, "small-kernel": 28, "batchnorm": 28}


def _lenet_head(num_classes, activation, batchnorm=False, in_features=400):
    """The dense head: in_features -> 120 -> 84 -> num_classes."""
    layers = []
    for size_in, size_out in ((in_features, 120), (120, 84)):
        layers.append(("Linear", dict(in_features=size_in, out_features=size_out)))
        if batchnorm:
            layers.append(("BatchNorm1d", dict(num_features=size_out)))
        layers.append((activation, {}))
    return layers + [("Linear", dict(in_features=84, out_features=num_classes))]


def _conv(in_channels, out_channels, kernel_size, padding=0):
    return ("Conv2d", dict(in_channels=in_channels, out_channels=out_channels,
                           kernel_size=kernel_size, padding=padding))


def lenet5_spec(variant="modern", num_classes=10, in_channels=1):
    """``(input_size, layers)``: the square input side and ``[(torch_class_name, kwargs)]``.

    The same list builds the NumPy ``nn.Sequential``, the torch one and the Keras one, so
    their layers have the same order and their state-dict keys (``"0.weight"``) agree.
    """
    choice(variant, LENET5_VARIANTS, "variant")
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    pool2 = dict(kernel_size=2, stride=2)
    flatten = ("Flatten", {})
    if variant == "original":
        layers = [_conv(in_channels, 6, 5), ("Sigmoid", {}), ("AvgPool2d", pool2),
                  _conv(6, 16, 5), ("Sigmoid", {}), ("AvgPool2d", pool2),
                  _conv(16, 120, 5), ("Sigmoid", {}), flatten,
                  ("Linear", dict(in_features=120, out_features=84)), ("Sigmoid", {}),
                  ("Linear", dict(in_features=84, out_features=num_classes))]
    elif variant == "small-kernel":
        layers = [_conv(in_channels, 6, 3), ("MaxPool2d", pool2), ("ReLU", {}),
                  _conv(6, 16, 3), ("MaxPool2d", pool2), ("ReLU", {}), flatten,
                  *_lenet_head(num_classes, "ReLU")]
    else:
        batchnorm = variant == "batchnorm"
        layers = []
        for conv in (_conv(in_channels, 6, 5, padding=2), _conv(6, 16, 5)):
            layers.append(conv)
            if batchnorm:
                layers.append(("BatchNorm2d", dict(num_features=conv[1]["out_channels"])))
            layers += [("ReLU", {}), ("MaxPool2d", pool2)]
        layers += [flatten, *_lenet_head(num_classes, "ReLU", batchnorm)]
    return LENET5_INPUT_SIZE[variant], layers


# ----------------------------------------------------------------------------- AlexNet
# The first convolution (out_channels, kernel, stride, padding) for ImageNet-sized inputs
# (Krizhevsky et al., 2012, torchvision's single-GPU sizes) and for small ones; the other
# four convolutions keep the size, and three 3x3 stride-2 max pools downsample.
ALEXNET_STEMS = {"imagenet": (64, 11, 4, 2), "small": (64, 3, 1, 1)}
ALEXNET_CONVS = ((192, 5, 1, 2), (384, 3, 1, 1), (256, 3, 1, 1), (256, 3, 1, 1))
ALEXNET_DOWNSAMPLING = [(3, 2, 0)] * 3


def alexnet_stem(input_size):
    """AlexNet's first convolution ``(out_channels, kernel, stride, padding)`` for a square
    ``input_size``, checked to survive the network's downsampling."""
    imagenet = stem_and_downsampling(input_size, [ALEXNET_STEMS["imagenet"][1:]],
                                     ALEXNET_DOWNSAMPLING, "alexnet")
    return ALEXNET_STEMS["imagenet" if imagenet else "small"]

# ----------------------------------------------------------------------------- VGG
# (number of 3x3 convolutions, output channels) per VGG block: configurations A, B, D, E of
# Simonyan and Zisserman (2015). Each block ends in a 2x2 max pool.
VGG_CONFIGS = {
    "vgg11": ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)),
    "vgg13": ((2, 64), (2, 128), (2, 256), (2, 512), (2, 512)),
    "vgg16": ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)),
    "vgg19": ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512)),
}
VGG_CLASSIFIER = (4096, 4096)  # hidden widths after 7x7 adaptive average pooling
VGG13_CIFAR_CLASSIFIER = (256, 128)  # Long and Zeng (2022, 10.10): 512 -> 256 -> 128 -> classes

# ----------------------------------------------------------------------------- NiN
# Lin et al. (2014), as Zhang et al. (2023, section 8.3) and the lecture notes (4.3.4)
# present it: four blocks (convolution,
# then two 1x1 convolutions), 3x3 stride-2 max pools between them, no dense layer (the last
# block has one channel per class, then global average pooling).
NIN_STEMS = {"imagenet": (96, 11, 4, 0), "small": (96, 3, 1, 1)}
NIN_BLOCKS = ((256, 5, 1, 2), (384, 3, 1, 1), ("num_classes", 3, 1, 1))  # after the stem block
NIN_DOWNSAMPLING = [(3, 2, 0)] * 3


def nin_blocks(input_size, num_classes):
    """The four NiN blocks' first convolutions ``(out_channels, kernel, stride, padding)`` for
    a square ``input_size`` (checked): the stem block, then ``NIN_BLOCKS``."""
    imagenet = stem_and_downsampling(input_size, [NIN_STEMS["imagenet"][1:]], NIN_DOWNSAMPLING, "nin")
    blocks = [NIN_STEMS["imagenet" if imagenet else "small"], *NIN_BLOCKS]
    return [(num_classes if c == "num_classes" else c, *window) for c, *window in blocks]

# ----------------------------------------------------------------------------- GoogLeNet
# name: (in_channels, c1, (c2 reduce, c2), (c3 reduce, c3), c4) -- Table 1 of Szegedy et al.
# (2015). A 3x3 stride-2 max pool comes before inception4a, a 2x2 one before inception5a.
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
# The stem: windows of the ImageNet stem (7x7 stride-2 conv, two ceil-mode 3x3 stride-2
# pools), and the pools every input goes through (before inception4a and inception5a).
GOOGLENET_STEM = {"imagenet": [(7, 2, 3), (3, 2, 0), (3, 2, 0)],
                  "downsampling": [(3, 2, 0), (2, 2, 0)]}


def check_inception_channels(in_channels, c1, c2, c3, c4, branch3_kernel=5):
    """Raise ValueError unless c2 and c3 are (reduce, out) pairs, every width is an int >= 1
    and ``branch3_kernel`` is odd (the branch pads ``k // 2`` to keep the size)."""
    for name, widths in (("c2", c2), ("c3", c3)):
        if not isinstance(widths, (tuple, list)) or len(widths) != 2:
            raise ValueError(f"{name} must be a pair (1x1 reduce channels, output channels), "
                             f"got {widths!r}")
    positive_ints(in_channels=in_channels, c1=c1, c2_reduce=c2[0], c2_out=c2[1],
                  c3_reduce=c3[0], c3_out=c3[1], c4=c4, branch3_kernel=branch3_kernel)
    if branch3_kernel % 2 == 0:
        raise ValueError(f"branch3_kernel must be odd to keep the size, got {branch3_kernel}")


# ----------------------------------------------------------------------------- ResNet
# He et al. (2016), torchvision's v1.5 layout: name -> (block, blocks per stage).
RESNET_CONFIGS = {
    "resnet18": ("BasicBlock", (2, 2, 2, 2)),
    "resnet34": ("BasicBlock", (3, 4, 6, 3)),
    "resnet50": ("Bottleneck", (3, 4, 6, 3)),
}
RESNET_WIDTHS = (64, 128, 256, 512)  # per stage; stages 2-4 start with stride 2
# ImageNet stem: 7x7 stride-2 conv and a 3x3 stride-2 max pool (total stride 32 with the
# three strided stages); small inputs: one 3x3 stride-1 conv, no pool (total stride 8).
RESNET_STEM = {"imagenet": [(7, 2, 3), (3, 2, 1)], "small": [(3, 1, 1)],
               "downsampling": [(3, 2, 1)] * 3}


def resnet_stem(input_size):
    """``(conv window, pool window or None)`` of the ResNet stem for a square ``input_size``."""
    imagenet = stem_and_downsampling(input_size, RESNET_STEM["imagenet"], RESNET_STEM["downsampling"],
                                     "ResNet")
    return tuple(RESNET_STEM["imagenet"]) if imagenet else (*RESNET_STEM["small"], None)

# ----------------------------------------------------------------------------- DenseNet
# Huang et al. (2017), DenseNet-BC: name -> (growth rate, layers per dense block, stem
# features). densenet_cifar is our small model for 32x32 images, after the Dive into Deep
# Learning model (growth 32, four blocks of 4 layers) but with DenseNet-BC's 1x1 bottleneck.
DENSENET_CONFIGS = {
    "densenet121": (32, (6, 12, 24, 16), 64),
    "densenet_cifar": (32, (4, 4, 4, 4), 64),
}
DENSENET_STEM = {"imagenet": [(7, 2, 3), (3, 2, 1)], "small": [(3, 1, 1)]}


def densenet_stem(block_config, num_init_features, num_classes, in_channels, input_size):
    """Check a DenseNet's arguments; return its stem ``(conv window, pool window or None)``."""
    positive_ints(num_classes=num_classes, in_channels=in_channels,
                  num_init_features=num_init_features)
    if len(block_config) == 0:
        raise ValueError("block_config must list at least one dense block")
    transitions = [(2, 2, 0)] * (len(block_config) - 1)  # each halves the size
    imagenet = stem_and_downsampling(input_size, DENSENET_STEM["imagenet"], transitions, "DenseNet")
    return tuple(DENSENET_STEM["imagenet"]) if imagenet else (*DENSENET_STEM["small"], None)


# ----------------------------------------------------------------------------- DCGAN generator
# Radford et al. (2016): a latent vector, seen as a 1x1 map, grown into a 28x28 image by
# transposed convolutions, 1 -> 4 -> 7 -> 14 -> 28. Per layer: (output channels as a multiple
# of the generator's ``width``, or None for the image's channels; kernel, stride, padding;
# output side). Each side is (i - 1) s + k - 2p with no output padding.
DCGAN_GENERATOR_28 = ((4, 4, 1, 0, 4), (2, 3, 2, 1, 7), (1, 4, 2, 1, 14), (None, 4, 2, 1, 28))
