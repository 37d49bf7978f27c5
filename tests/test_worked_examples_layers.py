"""The source texts' batch-norm, activation and linear-layer numbers, reproduced by
``cnncourse.numpy.functional``. Entry numbers refer to ``notes/seed-inventory.md``."""
import numpy as np
import pytest

import cnncourse.numpy.functional as F

KERAS_MOMENTUM = 0.99          # Keras: running = 0.99 * running + 0.01 * batch
TORCH_MOMENTUM = 1 - KERAS_MOMENTUM  # the same update in torch's (and our) convention
KERAS_EPS = 1e-3


def channel_means_nhwc(x_nchw):
    """S0 In[7]: move channels last, reshape to [-1, C], average over rows."""
    channels = x_nchw.shape[1]
    return x_nchw.transpose(0, 2, 3, 1).reshape(-1, channels).mean(axis=0)


def test_statistics_are_per_channel():
    """2.29 and 6.3 (S0 10.8.2, S2 eq. 8.18): one mean and one (biased) variance per
    channel over (B, H, W); the normalized channels have mean 0 and variance var/(var+eps)."""
    rng = np.random.default_rng(0)
    scale, shift = np.array([1.0, 2.0, 0.5]), np.array([0.0, 3.0, -1.0])
    x = rng.normal(size=(4, 3, 5, 5)) * scale[:, None, None] + shift[:, None, None]
    running_mean, running_var = np.zeros(3), np.ones(3)
    out = F.batch_norm(x, running_mean, running_var, training=True, momentum=1.0)
    assert running_mean.shape == (3,)
    np.testing.assert_allclose(running_mean, channel_means_nhwc(x), rtol=1e-12)
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-10)


def test_keras_momentum_convention():
    """6.2 (S0 10.8.1): Keras' mu_r <- 0.99 mu_r + 0.01 mu_B is torch's momentum=0.01."""
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 1.0, size=(8, 2, 3, 3))
    running_mean, running_var = np.array([0.5, -0.5]), np.ones(2)
    before = running_mean.copy()
    F.batch_norm(x, running_mean, running_var, training=True, momentum=TORCH_MOMENTUM)
    expected = KERAS_MOMENTUM * before + (1 - KERAS_MOMENTUM) * x.mean(axis=(0, 2, 3))
    np.testing.assert_allclose(running_mean, expected, rtol=1e-12)


def test_running_mean_after_n_calls():
    """6.5 (S1 In[15]-In[22]): x ~ N(1, 0.5^2) of shape [2,4,4,3], running mean from 0.
    After n training calls on the same batch it is (1 - 0.99^n) * mu_B: about 0.01 after
    one call and 0.64 after 101. The lecture prints 0.992 and then 0.513 (not reproducible)."""
    x = np.random.default_rng(2).normal(1.0, 0.5, size=(2, 3, 4, 4))
    batch_mean = x.mean(axis=(0, 2, 3))
    running_mean, running_var = np.zeros(3), np.ones(3)
    batch_norm = F.batch_norm
    batch_norm(x, running_mean, running_var, training=True, momentum=TORCH_MOMENTUM)
    np.testing.assert_allclose(running_mean, 0.01 * batch_mean, rtol=1e-12)
    for _ in range(100):
        batch_norm(x, running_mean, running_var, training=True, momentum=TORCH_MOMENTUM)
    np.testing.assert_allclose(running_mean, (1 - 0.99 ** 101) * batch_mean, rtol=1e-10)
    assert np.all((running_mean > 0.5) & (running_mean < 0.8))


def test_lecture_gamma_after_ten_sgd_steps():
    """6.4 (S1 l.485-493): BN on x[2,3], loss = mean(out^2) - 1, ten SGD steps.

    Per step dL/dgamma = (2/3) gamma r with r = var/(var + eps) and dL/dbeta = 0, so with
    Keras' default SGD (lr 0.01) and eps 1e-3, gamma_10 = (1 - 0.01 (2/3) r)^10, between
    0.9353 (r = 1) and 1; the lecture's 0.93550, 0.93566, 0.93556 (and beta ~ 1e-9) fit.
    """
    x = np.array([[0.3, -1.2, 0.8], [-0.9, 0.1, 1.5]])
    gamma, beta = np.ones(3), np.zeros(3)
    for _ in range(10):
        out = F.batch_norm(x, None, None, gamma, beta, training=True, eps=KERAS_EPS)
        grad_out = 2 * out / out.size  # d/d out of mean(out^2) - 1
        _, grad_gamma, grad_beta = F.batch_norm_backward(
            grad_out, x, None, None, gamma, beta, training=True, eps=KERAS_EPS)
        gamma, beta = gamma - 0.01 * grad_gamma, beta - 0.01 * grad_beta
    r = x.var(axis=0) / (x.var(axis=0) + KERAS_EPS)
    np.testing.assert_allclose(gamma, (1 - 0.01 * 2 / 3 * r) ** 10, rtol=1e-12)
    np.testing.assert_allclose(beta, 0, atol=1e-15)
    assert np.all((gamma > (1 - 0.01 * 2 / 3) ** 10) & (gamma < 1))  # 0.93533 < gamma < 1


def test_linear_model_gradient_is_input():
    """5.7 (S0 10.8): L = x1 w1 + x2 w2 + b gives dL/dw1 = x1, dL/dw2 = x2, so inputs
    in [100, 1000] get gradients 100x those of inputs in [1, 10]."""
    x = np.array([[3.0, 700.0]])
    w, b = np.array([[0.2, -0.1]]), np.array([0.5])
    _, grad_w, grad_b = F.linear_backward(np.ones((1, 1)), x, w, b)
    np.testing.assert_array_equal(grad_w, x)
    assert grad_b.tolist() == [1.0]


def test_sigmoid_derivative_range():
    """5.8 (S0 10.8): sigma'(x) lies in [0.1, 0.25] for x in [-2, 2] and falls below
    it outside (0.105 at |x| = 2, 0.25 at 0)."""
    inside = np.linspace(-2, 2, 81)
    d_inside = F.sigmoid_backward(np.ones_like(inside), inside)
    assert d_inside.min() == pytest.approx(0.104994, abs=1e-6)
    assert d_inside.max() == 0.25
    outside = np.array([-6.0, -3.0, 2.5, 4.0])
    assert np.all(F.sigmoid_backward(np.ones_like(outside), outside) < 0.1)


def test_softmax_example():
    """8.4 (S3 4.1.1): softmax([1, 2, 3]) = [0.0900, 0.2447, 0.6652]."""
    out = F.softmax(np.array([1.0, 2.0, 3.0]), dim=0)
    np.testing.assert_allclose(out, [0.0900, 0.2447, 0.6652], atol=5e-5)
    assert out.sum() == pytest.approx(1.0)
