"""Chapter 1's dense network: the torch and Keras twins have the same layers and outputs."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from cnncourse.tensorflow.models.mlp import mlp as keras_mlp  # noqa: E402
from cnncourse.torch.models.mlp import mlp as torch_mlp  # noqa: E402


def test_the_twins_count_the_same_parameters_layer_by_layer():
    torch_model, keras_model = torch_mlp(), keras_mlp()
    torch_counts = [sum(p.numel() for p in m.parameters()) for m in torch_model if isinstance(m, torch.nn.Linear)]
    keras_counts = [layer.count_params() for layer in keras_model.layers if isinstance(layer, keras.layers.Dense)]
    assert torch_counts == keras_counts == [784 * 256 + 256, 256 * 256 + 256, 256 * 256 + 256, 256 * 10 + 10]
    assert sum(torch_counts) == keras_model.count_params() == 335_114


def test_the_twins_compute_the_same_scores_with_the_same_weights():
    torch.manual_seed(0)
    torch_model, keras_model = torch_mlp().eval(), keras_mlp()
    dense = [layer for layer in keras_model.layers if isinstance(layer, keras.layers.Dense)]
    linear = [m for m in torch_model if isinstance(m, torch.nn.Linear)]
    for layer, module in zip(dense, linear, strict=True):
        layer.set_weights([module.weight.detach().numpy().T, module.bias.detach().numpy()])
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    actual = np.asarray(keras_model(x.transpose(0, 2, 3, 1)))  # one channel: NHWC flattens in the same order
    assert actual.shape == (2, 10)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())
