"""``cnncourse.summary`` and ``count_parameters`` for torch, Keras and NumPy models.

The same network in the three frameworks gives the same per-layer parameters and output
shapes (NCHW vs NHWC), the totals match the texts, batch-norm running statistics are not
parameters anywhere, frozen weights drop out of the trainable count, and the module works
without torch or TensorFlow installed.
"""
import subprocess
import sys

import keras
import numpy as np
import pytest
import torch
from torch import nn

import cnncourse
import cnncourse.numpy.models as numpy_models
import cnncourse.tensorflow.models as KM
import cnncourse.torch.models as TM
from cnncourse.summary import Summary, count_parameters, summary

# seed 002 section 8.6.2 prints these per-tensor counts for its CIFAR-2 net (18,090 in all)
CIFAR2_PER_LAYER = {"conv1": 432 + 16, "conv2": 1152 + 8, "fc1": 16384 + 32, "fc2": 64 + 2}


def by_name(table):
    return {name: (shape, params) for name, _, shape, params in table.rows}


def test_the_package_exports_the_functions():
    assert cnncourse.summary is summary and cnncourse.count_parameters is count_parameters


def test_torch_and_keras_tables_agree_layer_by_layer():
    printed = []
    torch_table = summary(TM.cifar2net(), input_size=(3, 32, 32), print_fn=printed.append)
    keras_table = summary(KM.cifar2net(), print_fn=None)
    torch_rows, keras_rows = by_name(torch_table), by_name(keras_table)
    assert [r[0] for r in keras_table.rows] == ["conv1", "tanh1", "pool1", "conv2", "tanh2", "pool2",
                                                "flatten", "fc1", "tanh3", "fc2"]
    assert list(torch_rows) == list(keras_rows)  # same names, same order
    for name, (shape, params) in torch_rows.items():
        keras_shape, keras_params = keras_rows[name]
        assert params == keras_params == CIFAR2_PER_LAYER.get(name, 0), name
        nhwc = shape if len(shape) == 2 else (shape[0], *shape[2:], shape[1])
        assert nhwc == keras_shape, name
    assert torch_rows["pool2"][0] == (None, 8, 8, 8) and torch_rows["fc1"][0] == (None, 32)
    assert torch_table.total == keras_table.total == torch_table.trainable == 18_090
    assert torch_table.layout == "NCHW" and keras_table.layout == "NHWC"
    text = printed[0]
    assert text == str(torch_table)
    assert "output shape (NCHW)" in text and text.endswith("total parameters: 18,090 (trainable: 18,090)")
    assert "fc1      Linear     (None, 32)           16,416" in text


@pytest.mark.parametrize("variant", ["small-kernel", "batchnorm"])
def test_numpy_torch_and_keras_counts_agree(variant):
    """BN running statistics are buffers: counted in none of the three (60,074 is seed 000's)."""
    expected = {"small-kernel": 60_074, "batchnorm": 62_158}[variant]
    size = TM.LENET5_INPUT_SIZE[variant]
    numpy_model, torch_model = numpy_models.lenet5(variant), TM.lenet5(variant)
    keras_model = KM.lenet5(variant)
    assert count_parameters(numpy_model) == count_parameters(torch_model) == expected
    assert count_parameters(keras_model) == expected
    keras_all = sum(int(np.prod(w.shape)) for w in keras_model.weights)
    assert keras_all - expected == (2 * (6 + 16 + 120 + 84) if variant == "batchnorm" else 0)
    numpy_table = summary(numpy_model, input_size=(1, size, size), print_fn=None)
    torch_table = summary(torch_model, input_size=(1, size, size), print_fn=None)
    assert numpy_table.rows == torch_table.rows  # same names, types, shapes and counts
    assert numpy_table.rows[-1][1:] == ("Linear", (None, 10), 850)


def test_trainable_only_skips_frozen_weights_in_every_framework():
    torch_model = TM.cifar2net()
    torch_model.conv1.requires_grad_(False)
    keras_model = KM.cifar2net()
    keras_model.get_layer("conv1").trainable = False
    for model in (torch_model, keras_model):
        assert count_parameters(model) == 18_090
        assert count_parameters(model, trainable_only=True) == 18_090 - 448
    table = summary(keras_model, print_fn=None)
    assert (table.total, table.trainable) == (18_090, 18_090 - 448)


def test_shared_modules_are_counted_once():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    table = summary(model, input_size=(4,), print_fn=None)
    assert [r[3] for r in table.rows] == [20, 0, 0]  # the second call of the same layer owns nothing new
    assert table.total == count_parameters(model) == 20


def test_summary_restores_the_training_mode():
    torch_model, numpy_model = TM.lenet5("batchnorm").train(), numpy_models.lenet5("batchnorm").train()
    before = torch_model[1].running_mean.clone()
    summary(torch_model, input_size=(1, 28, 28), print_fn=None)
    summary(numpy_model, input_size=(1, 28, 28), print_fn=None)
    assert torch_model.training and all(m.training for m in torch_model.modules())
    assert numpy_model.training
    torch.testing.assert_close(torch_model[1].running_mean, before)  # ran in eval mode


def test_keras_models_without_an_input_need_input_size():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.flat, self.fc = keras.layers.Flatten(), keras.layers.Dense(3, name="fc")

        def call(self, x):
            return self.fc(self.flat(x))

    with pytest.raises(ValueError, match=r"input_size=\(H, W, C\)"):
        summary(Net(), print_fn=None)
    table = summary(Net(), input_size=(2, 2, 5), print_fn=None)
    assert table.total == 20 * 3 + 3 and ("fc", "Dense") in [r[:2] for r in table.rows]


def test_bad_models_and_missing_input_sizes_raise():
    with pytest.raises(ValueError, match="got list"):
        count_parameters([1, 2, 3])
    with pytest.raises(ValueError, match="got ndarray"):
        summary(np.zeros(3))
    for model in (TM.cifar2net(), numpy_models.lenet5()):
        with pytest.raises(ValueError, match=r"input_size=\(C, H, W\) is required"):
            summary(model, print_fn=None)


def test_summary_needs_neither_torch_nor_tensorflow():
    """``import cnncourse`` (which imports this module) must work where only NumPy is installed."""
    code = ("import sys\n"
            "for name in ('torch', 'tensorflow', 'keras'): sys.modules[name] = None  # import fails\n"
            "import cnncourse\n"
            "from cnncourse.numpy.models import lenet5\n"
            "table = cnncourse.summary(lenet5('modern'), input_size=(1, 28, 28), print_fn=None)\n"
            "print(table.total, cnncourse.count_parameters(lenet5('small-kernel')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["61706", "60074"]


def test_summary_object_repr():
    table = Summary("t (torch)", "NCHW", [("a", "Linear", (None, 2), 6)], 6, 6)
    assert repr(table) == "Summary('t (torch)', 1 rows, total=6)"
    assert str(table).splitlines()[4].split() == ["a", "Linear", "(None,", "2)", "6"]
