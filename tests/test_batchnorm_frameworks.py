"""Training-mode batch norm in torch and Keras against the NumPy reference.

Output with batch statistics, and the running statistics after one step, with the
momentum conventions mapped (torch/NumPy m <-> Keras 1 - m). One real difference is
pinned rather than hidden: torch (and the NumPy reference) feed the *unbiased* batch
variance into the running variance, Keras the *biased* one.
"""
import keras
import numpy as np
import pytest
import torch
from models_helpers import assert_scaled_close

from cnncourse.convert import nchw_to_nhwc, nhwc_to_nchw
from cnncourse.numpy.functional import batch_norm

MOMENTUM, EPS = 0.3, 1e-3


@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (8, 5)], ids=["2d", "1d"])
def test_training_step_against_numpy_reference(shape):
    rng = np.random.default_rng(0)
    channels = shape[1]
    x = (2.0 + 3.0 * rng.standard_normal(shape)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 1.5, channels).astype(np.float32), rng.normal(size=channels).astype(np.float32)
    mean0, var0 = rng.normal(size=channels).astype(np.float32), rng.uniform(0.5, 2, channels).astype(np.float32)

    ref_mean, ref_var = mean0.copy(), var0.copy()
    expected = batch_norm(x, ref_mean, ref_var, gamma, beta, training=True, momentum=MOMENTUM, eps=EPS)

    bn = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(channels, eps=EPS, momentum=MOMENTUM)
    with torch.no_grad():
        for t, v in ((bn.weight, gamma), (bn.bias, beta), (bn.running_mean, mean0), (bn.running_var, var0)):
            t.copy_(torch.from_numpy(v))
        torch_out = bn.train()(torch.from_numpy(x)).numpy()
    assert_scaled_close(torch_out, expected, what="torch output")
    assert_scaled_close(bn.running_mean.numpy(), ref_mean, what="torch running mean")
    assert_scaled_close(bn.running_var.numpy(), ref_var, what="torch running var")

    layer = keras.layers.BatchNormalization(momentum=1 - MOMENTUM, epsilon=EPS)
    nhwc = nchw_to_nhwc(x) if len(shape) == 4 else x
    layer.build(nhwc.shape)
    for var, v in ((layer.gamma, gamma), (layer.beta, beta), (layer.moving_mean, mean0),
                   (layer.moving_variance, var0)):
        var.assign(v)
    keras_out = np.asarray(layer(nhwc, training=True))
    assert_scaled_close(nhwc_to_nchw(keras_out) if len(shape) == 4 else keras_out, expected, what="Keras output")
    assert_scaled_close(layer.moving_mean.numpy(), ref_mean, what="Keras moving mean")
    count = x.size // channels  # values per channel in the batch
    batch_unbiased = (ref_var - (1 - MOMENTUM) * var0) / MOMENTUM
    keras_expected = (1 - MOMENTUM) * var0 + MOMENTUM * batch_unbiased * (count - 1) / count
    assert_scaled_close(layer.moving_variance.numpy(), keras_expected, what="Keras moving variance")
    assert not np.allclose(layer.moving_variance.numpy(), ref_var, rtol=1e-4)  # the difference is real


def test_eval_mode_uses_running_statistics_in_both():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    mean, var = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    expected = batch_norm(x, mean.copy(), var.copy(), training=False, eps=EPS)
    bn = torch.nn.BatchNorm2d(3, eps=EPS, affine=False)
    bn.running_mean.copy_(torch.from_numpy(mean))
    bn.running_var.copy_(torch.from_numpy(var))
    with torch.no_grad():
        assert_scaled_close(bn.eval()(torch.from_numpy(x)).numpy(), expected)
    layer = keras.layers.BatchNormalization(epsilon=EPS, center=False, scale=False)
    layer.build((None, 4, 4, 3))
    layer.moving_mean.assign(mean)
    layer.moving_variance.assign(var)
    assert_scaled_close(nhwc_to_nchw(np.asarray(layer(nchw_to_nhwc(x), training=False))), expected)
