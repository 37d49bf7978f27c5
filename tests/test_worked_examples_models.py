"""The source texts' model parameter counts, reproduced by the package's model zoo.

Entry numbers refer to ``notes/seed-inventory.md``, section 7. Big ImageNet models are
built on torch's ``meta`` device: shapes and parameter counts without allocating or
initializing ~140M weights.
"""
import pytest

import cnncourse.torch.models as TM
from cnncourse.numpy.models import lenet5 as numpy_lenet
from cnncourse.summary import count_parameters


def torch_model(name, *args, meta=False, **kwargs):
    build = getattr(TM, name)
    if not meta:
        return build(*args, **kwargs)
    import torch
    with torch.device("meta"):
        return build(*args, **kwargs)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def per_layer(model):
    """Parameter count of each module that owns parameters, in registration order."""
    counts = [sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules()]
    return [c for c in counts if c]


def test_lenet5_small_kernel():
    """7.3 (S0 Table 10.3): 60, 880, 48120, 10164, 850 -- 60,074 ('about 60K')."""
    assert per_layer(torch_model("lenet5", "small-kernel")) == [60, 880, 48120, 10164, 850]


@pytest.mark.parametrize("variant", ["original", "modern"])
def test_lenet5_classic_count(variant):
    """7.19 (S2 exercise 10; S0 10.4, S2 8.3.3 layer sizes): 5x5 convolutions 1->6->16,
    then 400-120-84-10: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706."""
    assert per_layer(torch_model("lenet5", variant)) == [156, 2416, 48120, 10164, 850]


def test_lenet5_batchnorm_adds_gamma_and_beta():
    """6.6/7.13: batch norm adds 2 trainable parameters per feature (S1: gamma and beta;
    the running mean and variance are buffers). The package's 'batchnorm' variant is
    'modern' plus batch-norm layers; S2's exercise-9 net (62,186) places its two BN layers
    elsewhere and is pinned in test_worked_examples_shapes::test_pytorch_book_lenet_bn_parameters."""
    from torch import nn
    plain, with_bn = torch_model("lenet5", "modern"), torch_model("lenet5", "batchnorm")
    norms = [m for m in with_bn.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    assert norms
    assert n_params(with_bn) - n_params(plain) == sum(2 * m.num_features for m in norms)
    assert sum(b.numel() for b in with_bn.buffers() if b.dim()) \
        == sum(2 * m.num_features for m in norms)  # running mean + variance


def test_cifar2net():
    """7.14 (S2 8.6.2): (18090, [432, 16, 1152, 8, 16384, 32, 64, 2])."""
    model = torch_model("cifar2net")
    assert [p.numel() for p in model.parameters()] == [432, 16, 1152, 8, 16384, 32, 64, 2]
    assert n_params(model) == 18090


def test_vgg13_cifar():
    """7.7-7.9 (S0 10.10): conv 9,404,992, FC 165,514, total 9,570,506 (the text prints
    about 940,000, 177,000 and 950,000)."""
    model = torch_model("vgg13_cifar", meta=True)
    assert n_params(model.features) == 9404992
    assert n_params(model.classifier) == 165514
    assert n_params(model) == 9570506


@pytest.mark.parametrize("name, exact, millions", [
    ("vgg11", 132863336, 133),  # configuration A
    ("vgg13", 133047848, 133),  # B
    ("vgg16", 138357544, 138),  # D
    ("vgg19", 143667240, 144),  # E
])
def test_vgg_table_2(name, exact, millions):
    """7.21 (S1 VGG Table 2, in millions): A 133, B 133, D 138, E 144 (C, with 1x1
    layers, has no constructor; its 133,638,952 is checked in test_worked_examples_shapes)."""
    count = n_params(torch_model(name, meta=True))
    assert count == exact
    assert round(count / 1e6) == millions


def test_alexnet_about_60_million():
    """7.23 (S0 10.9.1, S1): 'about 60 million'. The single-GPU layout has 61,100,840;
    the paper's two-GPU grouped layout 60,965,224."""
    count = n_params(torch_model("alexnet", meta=True))
    assert count == 61100840
    assert abs(count - 60e6) / 60e6 < 0.05


def test_googlenet_is_not_half_of_alexnet():
    """7.24 (S0 10.9.3): 'its parameter amount is only half of AlexNet' -- it is about a
    ninth (about 7 M against about 61 M; the GoogLeNet paper says 12 times fewer)."""
    ratio = (n_params(torch_model("googlenet", meta=True))
             / n_params(torch_model("alexnet", meta=True)))
    assert ratio < 0.15


def test_googlenet_has_nine_inception_blocks():
    """S3 4.3.5: 'GoogLeNet uses a stack of a total of 9 inception blocks'."""
    model = torch_model("googlenet", meta=True)
    blocks = [m for m in model.modules() if type(m).__name__.startswith("Inception")]
    assert len(blocks) == 9


def test_resnet18_about_11_million():
    """7.12 (S0 10.14): 'ResNet18 has a total of 11 million network parameters'. ImageNet
    configuration: 11,689,512; the CIFAR one (32x32 input, 10 classes) rounds to 11 M too."""
    assert n_params(torch_model("resnet18", meta=True)) == 11689512
    cifar = n_params(torch_model("resnet18", num_classes=10, input_size=32, meta=True))
    assert round(cifar / 1e6) == 11


def test_keras_twins_match_the_tf_book():
    """7.3, 7.9, 7.14 with the Keras twins: S0 printed its counts from Keras summary()."""
    import cnncourse.tensorflow.models as KM

    lenet = KM.lenet5("small-kernel")
    counts = [layer.count_params() for layer in lenet.layers if layer.count_params()]
    assert counts == [60, 880, 48120, 10164, 850]
    assert KM.vgg13_cifar().count_params() == 9570506
    assert KM.cifar2net().count_params() == 18090
    assert count_parameters(lenet) == 60074


def test_count_parameters_matches():
    """``cnncourse.summary.count_parameters`` reproduces S0's 60,074 and S2's 18,090 for the
    torch and NumPy models (the Keras twins are counted in the test above)."""
    for model, expected in ((torch_model("lenet5", "small-kernel"), 60074),
                            (numpy_lenet("small-kernel"), 60074),
                            (torch_model("cifar2net"), 18090)):
        assert count_parameters(model) == expected
