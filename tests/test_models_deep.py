"""GoogLeNet, ResNet-18/34/50 and DenseNet (121, CIFAR): torch and Keras twins agree.

For every model and block: random BN statistics, weights copied torch -> Keras by name,
eval-mode outputs equal to 1e-4. Parameter counts equal the published ones (ImageNet
configs) or a layer-by-layer sum built from ``cnncourse.shapes``. Bad arguments raise
ValueError naming the argument. Models are built once per session and compared on the
smallest inputs their downsampling allows.
"""
import functools
import importlib
import inspect

import numpy as np
import pytest
import torch
from models_helpers import (
    assert_scaled_close,
    copy_and_compare,
    count_keras,
    count_torch,
    keras_forward,
    random_images,
    randomize_batchnorm,
    torch_forward,
)

from cnncourse import shapes
from cnncourse.convert import nchw_to_nhwc, torch_to_keras

# import_module: the packages re-export functions named like the modules (``googlenet``).
TORCH = {f: importlib.import_module(f"cnncourse.torch.models.{f}")
         for f in ("resnet", "googlenet", "densenet")}
KERAS = {f: importlib.import_module(f"cnncourse.tensorflow.models.{f}") for f in TORCH}
t_resnet, t_googlenet, t_densenet = TORCH.values()
k_resnet, k_googlenet, k_densenet = KERAS.values()


# ---------------------------------------------------------------- parameter formulas
def conv_bn(cin, cout, kernel):
    """A bias-free conv followed by BN (post-activation: the BN sees ``cout`` channels)."""
    return shapes.conv2d_parameters(cin, cout, kernel, bias=False) + shapes.batch_norm_parameters(cout)


def bn_conv(cin, cout, kernel):
    """BN then a bias-free conv (DenseNet's pre-activation: the BN sees ``cin`` channels)."""
    return shapes.batch_norm_parameters(cin) + shapes.conv2d_parameters(cin, cout, kernel, bias=False)


def basic_block_params(cin, cout, stride=1):
    shortcut = conv_bn(cin, cout, 1) if stride != 1 or cin != cout else 0
    return conv_bn(cin, cout, 3) + conv_bn(cout, cout, 3) + shortcut


def bottleneck_params(cin, mid, stride=1, expansion=4):
    out = mid * expansion
    shortcut = conv_bn(cin, out, 1) if stride != 1 or cin != out else 0
    return conv_bn(cin, mid, 1) + conv_bn(mid, mid, 3) + conv_bn(mid, out, 1) + shortcut


def resnet18_cifar_params(num_classes, in_channels):
    total, cin = conv_bn(in_channels, 64, 3), 64
    for stage in range(4):
        width = 64 * 2 ** stage
        total += basic_block_params(cin, width, 1 if stage == 0 else 2)
        total += basic_block_params(width, width)
        cin = width
    return total + shapes.linear_parameters(512, num_classes)


def inception_params(cin, c1, c2, c3, c4, third_kernel=5):
    return (conv_bn(cin, c1, 1) + conv_bn(cin, c2[0], 1) + conv_bn(*c2, 3)
            + conv_bn(cin, c3[0], 1) + conv_bn(*c3, third_kernel) + conv_bn(cin, c4, 1))


def googlenet_params(num_classes=1000, in_channels=3, stem_kernel=7, third_kernel=5):
    stem = conv_bn(in_channels, 64, stem_kernel) + conv_bn(64, 64, 1) + conv_bn(64, 192, 3)
    blocks = sum(inception_params(*c, third_kernel=third_kernel)
                 for c in t_googlenet.INCEPTION_CHANNELS.values())
    return stem + blocks + shapes.linear_parameters(1024, num_classes)


def dense_block_params(num_layers, cin, growth, bn_size=4):
    return sum(bn_conv(cin + i * growth, bn_size * growth, 1) + bn_conv(bn_size * growth, growth, 3)
               for i in range(num_layers))


def transition_params(cin, cout):
    return bn_conv(cin, cout, 1)


def densenet_params(block_config, num_classes, in_channels=3, stem_kernel=7, growth=32, init=64):
    total, channels = conv_bn(in_channels, init, stem_kernel), init
    for i, num_layers in enumerate(block_config):
        total += dense_block_params(num_layers, channels, growth)
        channels += num_layers * growth
        if i < len(block_config) - 1:
            total += transition_params(channels, channels // 2)
            channels //= 2
    return total + shapes.batch_norm_parameters(channels) + shapes.linear_parameters(channels,
                                                                                     num_classes)


# ---------------------------------------------------------------- whole models
# key: (family, builder, kwargs, compared NCHW input). ImageNet-stem models run on the
# smallest inputs their downsampling allows; odd sizes reach the ceil/floor edge cases.
MODELS = {
    "resnet18_cifar": ("resnet", "resnet18", dict(num_classes=10, input_size=32), (3, 32, 32)),
    "resnet18": ("resnet", "resnet18", {}, (3, 40, 40)),
    "resnet34": ("resnet", "resnet34", {}, (3, 32, 32)),
    "resnet50": ("resnet", "resnet50", {}, (3, 32, 32)),
    # torchvision's layout (3x3 third branch) at ImageNet size, the paper's 5x5 on MNIST
    "googlenet": ("googlenet", "googlenet", dict(branch3_kernel=3), (3, 65, 65)),
    "googlenet_mnist": ("googlenet", "googlenet", dict(num_classes=10, in_channels=1,
                                                       input_size=28), (1, 28, 28)),
    "densenet121": ("densenet", "densenet121", {}, (3, 32, 32)),
    "densenet_cifar": ("densenet", "densenet_cifar", {}, (3, 32, 32)),
}


@functools.lru_cache(maxsize=None)
def built(key):
    """(torch model, Keras model) for MODELS[key], built once per session."""
    family, builder, kwargs, _ = MODELS[key]
    return getattr(TORCH[family], builder)(**kwargs), getattr(KERAS[family], builder)(**kwargs)


@pytest.mark.parametrize("key", MODELS)
def test_model_matches_torch(key):
    torch_model, keras_model = built(key)
    input_size = MODELS[key][3]
    copy_and_compare(torch_model, keras_model, input_size)
    family, builder, kwargs, _ = MODELS[key]
    default = inspect.signature(getattr(TORCH[family], builder)).parameters["num_classes"].default
    num_classes = kwargs.get("num_classes", default)
    assert keras_model.output_shape == (None, num_classes)
    assert keras_model.input_shape == (None, None, None, input_size[0])


PUBLISHED = {  # torchvision's model cards
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "densenet121": 7_978_856, "googlenet": 6_624_904,  # googlenet: branch3_kernel=3
}


@pytest.mark.parametrize("key", PUBLISHED)
def test_imagenet_counts_equal_published(key):
    torch_model, keras_model = built(key)
    assert count_torch(torch_model) == PUBLISHED[key] == count_keras(keras_model)


def test_densenet_counts_equal_the_layer_sum():
    assert densenet_params((6, 12, 24, 16), 1000) == PUBLISHED["densenet121"]
    expected = densenet_params((4, 4, 4, 4), 10, stem_kernel=3)
    assert count_torch(built("densenet_cifar")[0]) == expected == count_keras(built("densenet_cifar")[1])
    assert expected == 976_074  # the figure the module docstring quotes


def test_googlenet_counts_equal_the_layer_sum():
    # torchvision's published 6,624,904 is this very layout with a 3x3 third branch ...
    assert googlenet_params(third_kernel=3) == PUBLISHED["googlenet"]
    torch_model, keras_model = built("googlenet")
    assert count_torch(torch_model) == PUBLISHED["googlenet"] == count_keras(keras_model)
    # ... the paper's 5x5 (the default) gives 7,005,832, as the module docstring says
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        assert count_torch(t_googlenet.googlenet()) == googlenet_params() == 7_005_832
    small = googlenet_params(num_classes=10, in_channels=1, stem_kernel=3)
    torch_model, keras_model = built("googlenet_mnist")
    assert count_torch(torch_model) == small == count_keras(keras_model)


def test_cifar_resnet18_count():
    # Seed 000 (section 10.14) gives "11 million" for its CIFAR-10 ResNet-18; that is the
    # right order: with the torchvision-style block (bias-free convs, BN on the projection
    # shortcut) the exact count is 11,173,962.
    expected = resnet18_cifar_params(10, 3)
    assert expected == 11_173_962
    torch_model, keras_model = built("resnet18_cifar")
    assert count_torch(torch_model) == expected == count_keras(keras_model)


@pytest.mark.parametrize("input_size, stem_kernel", [(64, 3), (65, 7)])
def test_input_size_picks_the_stem(input_size, stem_kernel):
    assert t_resnet.resnet18(input_size=input_size).conv1.kernel_size == (stem_kernel,) * 2
    assert t_densenet.densenet_cifar(input_size=input_size).features.conv0.kernel_size == (
        stem_kernel,) * 2
    assert t_googlenet.googlenet(input_size=input_size).conv1.conv.kernel_size == (stem_kernel,) * 2


# ---------------------------------------------------------------- blocks
# (family, class, args, NCHW input, parameter formula)
BLOCKS = {
    "basic_identity": ("resnet", "BasicBlock", (16, 16, 1), (16, 9, 9), basic_block_params),
    "basic_projection": ("resnet", "BasicBlock", (16, 32, 2), (16, 9, 9), basic_block_params),
    "bottleneck_projection": ("resnet", "Bottleneck", (16, 8, 2), (16, 9, 9), bottleneck_params),
    "bottleneck_identity": ("resnet", "Bottleneck", (32, 8, 1), (32, 8, 8), bottleneck_params),
    "bottleneck_expansion2": ("resnet", "Bottleneck", (16, 8, 1, 2), (16, 6, 6), bottleneck_params),
    "inception": ("googlenet", "InceptionBlock", (24, 8, (8, 16), (4, 8), 8), (24, 7, 7),
                  inception_params),
    "inception_3x3": ("googlenet", "InceptionBlock", (16, 4, (4, 8), (4, 8), 4, 3), (16, 5, 5),
                      inception_params),
    "dense_block": ("densenet", "DenseBlock", (3, 16, 8, 2), (16, 7, 7), dense_block_params),
    "transition": ("densenet", "Transition", (24, 12), (24, 9, 9), transition_params),
}


@pytest.mark.parametrize("key", BLOCKS)
def test_block_matches_torch_and_its_formula(key):
    family, cls, args, input_size, formula = BLOCKS[key]
    torch_block = getattr(TORCH[family], cls)(*args)
    keras_block = getattr(KERAS[family], cls)(*args)
    x = random_images(2, input_size)
    keras_block(nchw_to_nhwc(x))  # creates the Keras weights
    randomize_batchnorm(torch_block)
    torch_to_keras(torch_block, keras_block)
    expected = torch_forward(torch_block, x)
    assert_scaled_close(keras_forward(keras_block, x), expected, what=key)
    assert expected.shape[1] == torch_block.out_channels == keras_block.out_channels
    assert count_torch(torch_block) == formula(*args) == count_keras(keras_block)


# ---------------------------------------------------------------- torch-style max-pool in Keras
@pytest.mark.parametrize("size", [7, 8])
@pytest.mark.parametrize("kernel, stride, padding, ceil_mode",
                         [(3, 2, 1, False), (3, 2, 0, True), (2, 2, 0, True), (3, 1, 1, False)])
def test_keras_max_pool_matches_torch(size, kernel, stride, padding, ceil_mode):
    # All-negative inputs: zero padding instead of -inf would show up in the maxima.
    x = np.random.default_rng(size).standard_normal((2, 3, size, size)).astype(np.float32) - 5
    expected = torch.nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)(torch.from_numpy(x))
    actual = k_resnet.MaxPool2d(kernel, stride, padding, ceil_mode)(nchw_to_nhwc(x))
    np.testing.assert_array_equal(np.asarray(actual), nchw_to_nhwc(expected.numpy()))


def test_keras_max_pool_rejects_ceil_mode_with_padding():
    with pytest.raises(ValueError, match="ceil_mode"):
        k_resnet.MaxPool2d(3, 2, 1, ceil_mode=True)


# ---------------------------------------------------------------- bad arguments
BAD = {
    "input_size_zero": (lambda m: m["resnet"].resnet18(input_size=0), "input_size"),
    "input_size_str": (lambda m: m["densenet"].densenet121(input_size="224"), "input_size"),
    "num_classes": (lambda m: m["resnet"].resnet50(num_classes=0), "num_classes"),
    "in_channels": (lambda m: m["resnet"].resnet34(in_channels=1.5), "in_channels"),
    "googlenet_too_small": (lambda m: m["googlenet"].googlenet(input_size=4), "too small"),
    "densenet_too_small": (lambda m: m["densenet"].densenet_cifar(input_size=7), "too small"),
    "stages": (lambda m: m["resnet"].ResNet(m["resnet"].BasicBlock, [2, 2, 2]),
               "blocks_per_stage"),
    "basic_out": (lambda m: m["resnet"].BasicBlock(64, 0), "out_channels"),
    "basic_stride": (lambda m: m["resnet"].BasicBlock(64, 64, stride=0), "stride"),
    "expansion": (lambda m: m["resnet"].Bottleneck(64, 16, expansion=0), "expansion"),
    "inception_pair": (lambda m: m["googlenet"].InceptionBlock(192, 64, 96, (16, 32), 32), "c2"),
    "inception_width": (lambda m: m["googlenet"].InceptionBlock(192, 64, (96, 128), (16, 0), 32),
                        "c3_out"),
    "inception_kernel": (lambda m: m["googlenet"].googlenet(branch3_kernel=4), "branch3_kernel"),
    "resnet_in_channels": (lambda m: m["resnet"].resnet18(in_channels=0), "in_channels"),
    "densenet121_too_small": (lambda m: m["densenet"].densenet121(input_size=7), "too small"),
    "densenet_num_classes": (lambda m: m["densenet"].densenet121(num_classes=None), "num_classes"),
    "googlenet_num_classes": (lambda m: m["googlenet"].googlenet(num_classes="10"), "num_classes"),
    "googlenet_input_size": (lambda m: m["googlenet"].googlenet(input_size=2.5), "input_size"),
    "dense_layers": (lambda m: m["densenet"].DenseBlock(0, 64, 32), "num_layers"),
    "growth": (lambda m: m["densenet"].DenseBlock(2, 64, 0), "growth_rate"),
    "transition": (lambda m: m["densenet"].Transition(64, -1), "out_channels"),
    "block_config": (lambda m: m["densenet"].DenseNet(32, (), 64), "block_config"),
}


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("key", BAD)
def test_bad_arguments_raise(framework, key):
    make, match = BAD[key]
    with pytest.raises(ValueError, match=match):
        make(TORCH if framework == "torch" else KERAS)


@pytest.mark.parametrize("make", [
    lambda: k_resnet.BasicBlock(16, 16), lambda: k_resnet.Bottleneck(16, 4),
    lambda: k_googlenet.InceptionBlock(16, 8, (8, 8), (4, 4), 4),
    lambda: k_densenet.DenseBlock(2, 16, 4)])
def test_keras_blocks_reject_wrong_input_channels(make):
    with pytest.raises(ValueError, match="16 input channels"):
        make()(np.zeros((1, 8, 8, 12), np.float32))
