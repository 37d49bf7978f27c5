"""LeNet-5, CIFAR-2 net, AlexNet, VGG and NiN: the torch and Keras twins agree.

For every model: parameter counts (published or the texts' per-layer counts), and eval
mode outputs after copying torch -> Keras by name with non-trivial batch-norm statistics.
LeNet-5 also agrees with the NumPy model, including one training step.
Inputs are the smallest valid size per model and batch 2, to keep the suite fast.
"""
import numpy as np
import pytest
import torch
from models_helpers import (
    TOL,
    assert_scaled_close,
    copy_and_compare,
    count_keras,
    count_torch,
    random_images,
    randomize_batchnorm,
)

import cnncourse.numpy.models as numpy_models
import cnncourse.tensorflow.models as KM
import cnncourse.torch.models as TM
from cnncourse.convert import keras_to_torch, nchw_to_nhwc, torch_to_keras, torch_to_numpy

# torchvision's published counts (alexnet, vgg*, vgg*_bn) for 1000 classes; input sizes
# above 64 px pick the ImageNet stem; adaptive pooling makes the head size-independent.
CASES = {
    # id: (constructor, kwargs, per-sample NCHW input, expected parameter count)
    "lenet5-original": ("lenet5", dict(variant="original"), (1, 32, 32), 61_706),
    "lenet5-modern": ("lenet5", dict(variant="modern"), (1, 28, 28), 61_706),
    "lenet5-small-kernel": ("lenet5", dict(variant="small-kernel"), (1, 28, 28), 60_074),
    "lenet5-batchnorm": ("lenet5", dict(variant="batchnorm"), (1, 28, 28), 62_158),
    "cifar2net": ("cifar2net", {}, (3, 32, 32), 18_090),  # seed 002 prints 18090
    # seed 000 says "about 950,000"; its own layer sizes give 9,404,992 + 165,514:
    "vgg13_cifar": ("vgg13_cifar", {}, (3, 32, 32), 9_570_506),
    "nin-small": ("nin", dict(input_size=15), (1, 15, 15), 1_981_414),
    "nin-imagenet": ("nin", dict(input_size=67), (1, 67, 67), 1_992_166),
    "alexnet-small": ("alexnet", dict(input_size=15), (3, 15, 15), 61_100_840 - 3 * 64 * (121 - 9)),
    "alexnet": ("alexnet", dict(input_size=65), (3, 65, 65), 61_100_840),
    "vgg11-bn": ("vgg11", dict(input_size=32, batch_norm=True), (3, 32, 32), 132_868_840),
    "vgg13": ("vgg13", dict(input_size=32), (3, 32, 32), 133_047_848),
    "vgg16-bn": ("vgg16", dict(input_size=32, batch_norm=True), (3, 32, 32), 138_365_992),
    "vgg19": ("vgg19", dict(input_size=32), (3, 32, 32), 143_667_240),
}


@pytest.mark.parametrize("case", CASES)
def test_counts_and_outputs_agree(case):
    name, kwargs, input_size, expected = CASES[case]
    torch.manual_seed(0)
    torch_model, keras_model = getattr(TM, name)(**kwargs), getattr(KM, name)(**kwargs)
    assert count_torch(torch_model) == count_keras(keras_model) == expected
    copy_and_compare(torch_model, keras_model, input_size)


def test_vgg_configurations_have_published_counts():
    """Configurations A, B, D, E without the Keras side (the big builds are covered above)."""
    published = {"vgg11": 132_863_336, "vgg13": 133_047_848, "vgg16": 138_357_544, "vgg19": 143_667_240}
    conv_layers = {"vgg11": 8, "vgg13": 10, "vgg16": 13, "vgg19": 16}
    for name, count in published.items():
        with torch.device("meta"):  # shapes only: no memory, no initialisation
            model = getattr(TM, name)(num_classes=1000)
        assert count_torch(model) == count
        assert sum(isinstance(m, torch.nn.Conv2d) for m in model.modules()) == conv_layers[name]


def weighted_layer_counts(torch_model):
    return [sum(p.numel() for p in m.parameters(recurse=False)) for m in torch_model.modules()
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]


def test_per_layer_counts_match_the_texts():
    # seed 000, Table 10.3 (3x3 LeNet-5); seed 002, section 8.6.2 (CIFAR-2 net per tensor)
    assert weighted_layer_counts(TM.lenet5("small-kernel")) == [60, 880, 48120, 10164, 850]
    assert [p.numel() for p in TM.cifar2net().parameters()] == [432, 16, 1152, 8, 16384, 32, 64, 2]
    # seed 000 section 10.10: "about 940,000" for the convolutions and "about 177,000" for
    # the dense layers; the layer sizes it builds give 9,404,992 and 165,514.
    vgg = TM.vgg13_cifar()
    assert count_torch(vgg.features) == 9_404_992 and count_torch(vgg.classifier) == 165_514


@pytest.mark.parametrize("variant", TM.LENET5_VARIANTS)
def test_lenet_numpy_matches_torch_in_eval_mode(variant):
    torch.manual_seed(1)
    torch_model = randomize_batchnorm(TM.lenet5(variant), seed=1)
    numpy_model = torch_to_numpy(torch_model, numpy_models.lenet5(variant)).eval()
    size = TM.LENET5_INPUT_SIZE[variant]
    x = random_images(2, (1, size, size), seed=1)
    with torch.no_grad():
        expected = torch_model.eval()(torch.from_numpy(x)).numpy()
    assert_scaled_close(numpy_model(x), expected)


def keras_step(keras_model, x_nchw, labels):
    """Training-mode loss and gradients of ``keras_model`` (GradientTape)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        logits = keras_model(nchw_to_nhwc(x_nchw), training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
    return float(loss), tape.gradient(loss, keras_model.trainable_weights)


@pytest.mark.parametrize("variant", TM.LENET5_VARIANTS)
def test_lenet_training_step_agrees_in_three_frameworks(variant):
    """Loss, every gradient and (batchnorm) the updated running means: NumPy vs torch vs Keras."""
    from cnncourse.numpy import nn as numpy_nn

    torch.manual_seed(2)
    torch_model = randomize_batchnorm(TM.lenet5(variant), seed=2).train()
    numpy_model = torch_to_numpy(torch_model, numpy_models.lenet5(variant)).train()
    keras_model = torch_to_keras(torch_model, KM.lenet5(variant))
    size = TM.LENET5_INPUT_SIZE[variant]
    x, labels = random_images(4, (1, size, size), seed=2), np.array([0, 3, 7, 9])

    torch_loss = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(x)), torch.from_numpy(labels))
    torch_loss.backward()
    loss_fn = numpy_nn.CrossEntropyLoss()
    numpy_loss = loss_fn(numpy_model(x), labels)
    numpy_model.backward(loss_fn.backward())
    keras_loss, keras_grads = keras_step(keras_model, x, labels)

    assert numpy_loss == pytest.approx(torch_loss.item(), rel=1e-5)
    assert keras_loss == pytest.approx(torch_loss.item(), rel=1e-5)
    # Keras gradients, written into the Keras weights, come back in torch layout by name.
    for var, grad in zip(keras_model.trainable_weights, keras_grads):
        var.assign(grad)
    keras_in_torch = dict(keras_to_torch(keras_model, TM.lenet5(variant)).named_parameters())
    numpy_grads = {n: p.grad for n, p in numpy_model.named_parameters()}
    # One scale for all gradients: a conv bias just before batch norm has an exactly-zero
    # true gradient, so its own scale would be rounding noise.
    scale = max(float(p.grad.abs().max()) for p in torch_model.parameters())
    for name, p in torch_model.named_parameters():
        for framework, grad in (("NumPy", numpy_grads[name]), ("Keras", keras_in_torch[name].detach().numpy())):
            err = float(np.abs(grad - p.grad.numpy()).max()) / scale
            assert err <= TOL, f"{framework} gradient of {name}: error {err:.1e} of the largest gradient"
    numpy_state = numpy_model.state_dict()
    for name, buffer in torch_model.named_buffers():
        if name.endswith("running_mean"):  # running_var conventions differ: see test_batchnorm_frameworks
            assert_scaled_close(numpy_state[name], buffer.numpy(), what=name)
            assert_scaled_close(keras_in_torch_buffers(keras_model, variant)[name], buffer.numpy(), what=name)


def keras_in_torch_buffers(keras_model, variant):
    return {n: b.numpy() for n, b in keras_to_torch(keras_model, TM.lenet5(variant)).named_buffers()}


BAD_ARGUMENTS = [
    ("lenet5", dict(variant="lenet-7"), "variant"),
    ("lenet5", dict(variant=None), "variant"),
    ("vgg11", dict(input_size=31), "too small for vgg11"),
    ("vgg13", dict(input_size=16), "too small for vgg13"),
    ("vgg19", dict(input_size=0), "input_size"),
    ("lenet5", dict(in_channels=0), "in_channels"),
    ("cifar2net", dict(num_classes=1.5), "num_classes"),
    ("alexnet", dict(input_size=14), "too small for alexnet"),
    ("alexnet", dict(in_channels=True), "in_channels"),
    ("vgg16", dict(input_size=31), "too small for vgg16"),
    ("vgg11", dict(num_classes=-3), "num_classes"),
    ("vgg13_cifar", dict(in_channels=0), "in_channels"),
    ("nin", dict(input_size=66), "too small for nin"),  # ImageNet stem: needs 67 px
    ("nin", dict(input_size=14), "too small for nin"),  # small stem: needs 15 px
    ("nin", dict(input_size="224"), "input_size"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD_ARGUMENTS)
@pytest.mark.parametrize("framework", [TM, KM], ids=["torch", "keras"])
def test_bad_arguments_raise_value_error(framework, name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(framework, name)(**kwargs)


CONSTRUCTORS = sorted(TM.MODELS)  # the registry of whole networks: no blocks


def test_both_frameworks_offer_the_same_constructors_and_blocks():
    """Same public names; same arguments and defaults (Keras blocks add only ``name``/kwargs)."""
    import inspect

    assert set(TM.__all__) == set(KM.__all__)
    assert set(TM.MODELS) == set(KM.MODELS) and "vgg_block" not in TM.MODELS
    assert len(CONSTRUCTORS) == 15  # lenet5 ... densenet_cifar: every network of the issue
    for name in TM.__all__:
        if name == "MODELS":
            continue
        torch_obj, keras_obj = getattr(TM, name), getattr(KM, name)
        if not callable(torch_obj):
            assert torch_obj == keras_obj, name  # LENET5_VARIANTS, LENET5_INPUT_SIZE
            continue
        params = [inspect.signature(o).parameters for o in (torch_obj, keras_obj)]
        keras_only = {"name", "kwargs"}
        torch_args = [(p.name, p.default) for p in params[0].values()]
        keras_args = [(p.name, p.default) for p in params[1].values() if p.name not in keras_only]
        assert torch_args == keras_args, name


@pytest.mark.parametrize("name", CONSTRUCTORS)
@pytest.mark.parametrize("framework", [TM, KM], ids=["torch", "keras"])
def test_every_constructor_checks_its_arguments(framework, name):
    for argument, value in (("num_classes", 0), ("in_channels", 2.0)):
        with pytest.raises(ValueError, match=f"{argument} must be an int >= 1, got {value!r}"):
            getattr(framework, name)(**{argument: value})


def test_blocks_check_their_channels():
    with pytest.raises(ValueError, match="out_channels"):
        TM.vgg_block(2, 3, 0)
    with pytest.raises(ValueError, match="num_convs"):
        KM.vgg_block(0, 3, 8)
    block = KM.NiNBlock(3, 8, 3, name="b")
    with pytest.raises(ValueError, match="expected 3 input channels, got 4"):
        block(np.zeros((1, 8, 8, 4), np.float32))


def test_blocks_agree():
    """The public blocks on their own: a VGG block and a NiN block with a stride."""
    from collections import OrderedDict

    import keras

    torch.manual_seed(3)
    for torch_block, keras_block, size in [
        (TM.vgg_block(2, 3, 8, batch_norm=True), KM.vgg_block(2, 3, 8, batch_norm=True, name="b"), (3, 8, 8)),
        (TM.NiNBlock(2, 6, 5, 2, 1), KM.NiNBlock(2, 6, 5, 2, 1, name="b"), (2, 9, 9)),
    ]:
        keras_model = keras.Sequential([keras.Input(size[1:] + size[:1]), keras_block])
        copy_and_compare(torch.nn.Sequential(OrderedDict(b=torch_block)), keras_model, size)
