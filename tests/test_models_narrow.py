"""The narrow CIFAR VGG13 and ResNet-18 of chapter 11: width 64 is the published network,
narrower widths keep every ratio, and the torch and Keras twins compute the same function."""
import pytest
import torch
from models_helpers import copy_and_compare, count_keras, count_torch, torch_single_thread  # noqa: F401

import cnncourse.tensorflow.models as KM
import cnncourse.torch.models as TM
from cnncourse.tensorflow.models import narrow as keras_narrow
from cnncourse.torch.models import narrow as torch_narrow


def test_width_64_is_the_published_network():
    assert count_torch(torch_narrow.vgg13_cifar_narrow(64)) == count_torch(TM.vgg13_cifar()) == 9_570_506
    full = TM.resnet18(num_classes=10, input_size=32)
    narrow = torch_narrow.resnet18_narrow(64)
    assert [n for n, _ in narrow.named_parameters()] == [n for n, _ in full.named_parameters()]
    assert count_torch(narrow) == count_torch(full) == 11_173_962


def test_widths_scale_every_layer():
    vgg = torch_narrow.vgg13_cifar_narrow(8)
    convs = [m.out_channels for m in vgg.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == [8, 8, 16, 16, 32, 32, 64, 64, 64, 64]
    assert [m.out_features for m in vgg.classifier if isinstance(m, torch.nn.Linear)] == [32, 16, 10]
    res = torch_narrow.resnet18_narrow(16)
    assert [res.get_submodule(f"layer{s}")[1].out_channels for s in (1, 2, 3, 4)] == [16, 32, 64, 128]
    for model in (vgg, res):
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("name", ["vgg13_cifar_narrow", "resnet18_narrow"])
def test_keras_twin_agrees(name):
    torch.manual_seed(0)
    torch_model = getattr(torch_narrow, name)(8)
    keras_model = getattr(keras_narrow, name)(8)
    assert count_torch(torch_model) == count_keras(keras_model)
    copy_and_compare(torch_model, keras_model, (3, 32, 32))


@pytest.mark.parametrize("width", [0, 12, -8])
def test_bad_width_is_refused(width):
    with pytest.raises(ValueError, match="width"):
        torch_narrow.vgg13_cifar_narrow(width)
    with pytest.raises(ValueError, match="width"):
        keras_narrow.resnet18_narrow(width)


def test_keras_width_64_counts():
    assert count_keras(keras_narrow.vgg13_cifar_narrow(64)) == count_keras(KM.vgg13_cifar())
