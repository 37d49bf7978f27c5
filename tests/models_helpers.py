"""Shared machinery for tests that compare a torch model with its Keras twin.

Stable API (other test files import it):

* ``TOL`` - default float32 agreement tolerance.
* ``randomize_batchnorm(torch_model, seed)`` - non-trivial running stats and affine
  parameters, so a wrong epsilon/momentum/statistic mapping cannot go unnoticed.
* ``random_images(batch, input_size, seed)`` - NCHW float32 inputs.
* ``assert_scaled_close(actual, expected, tol, what)`` - max error divided by the output
  scale ``max|expected|`` (untrained deep nets give logits of 1e-2 or less, where an
  absolute 1e-4 would hide real differences).
* ``copy_and_compare(torch_model, keras_model, input_size, ...)`` - the whole check:
  randomize BN stats, eval mode, copy torch -> Keras, run both, compare; returns
  the scaled error.
* ``count_torch(model)`` / ``count_keras(model)`` - parameter counts as published
  counts make them: BN running statistics (buffers) are excluded in both frameworks.
* ``torch_single_thread`` - an autouse, module-scoped fixture: import it into a test
  module to run that module's torch code on one thread.
"""
import numpy as np
import pytest

TOL = 1e-4


@pytest.fixture(autouse=True, scope="module")
def torch_single_thread():
    """One torch thread for the module, restored afterwards. The inputs here are tiny, and
    on a busy 2-core machine two OpenMP threads waiting on each other made a GoogLeNet
    forward pass on 9x9 inputs take 4-8 s instead of 0.07 s (measured)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def randomize_batchnorm(torch_model, seed=0):
    """Give every torch batch-norm layer random running stats and affine parameters."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in torch_model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.running_mean.copy_(0.5 * torch.randn(n, generator=gen))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=gen))
                if m.affine:
                    m.weight.copy_(0.5 + torch.rand(n, generator=gen))
                    m.bias.copy_(0.2 * torch.randn(n, generator=gen))
    return torch_model


def random_images(batch, input_size, seed=0):
    """A float32 NCHW batch of standard-normal "images" of per-sample shape ``input_size``."""
    return np.random.default_rng(seed).standard_normal((batch, *input_size)).astype(np.float32)


def assert_scaled_close(actual, expected, tol=TOL, what="output"):
    """Assert equal shapes and ``max|a - e| <= tol * max|e|``; return the scaled error."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = float(np.abs(expected).max(initial=0.0))
    assert scale > 1e-12, f"{what}: the expected output is all zeros, nothing to compare"
    err = float(np.abs(actual - expected).max(initial=0.0)) / scale
    assert np.all(np.isfinite(actual)), f"{what}: non-finite values"
    assert err <= tol, f"{what}: scaled max error {err:.2e} > {tol:.0e} (output scale {scale:.3g})"
    return err


def torch_forward(torch_model, x_nchw):
    """Eval-mode torch output as a NumPy array."""
    import torch

    torch_model.eval()
    with torch.no_grad():
        return torch_model(torch.from_numpy(x_nchw)).numpy()


def keras_forward(keras_model, x_nchw):
    """Inference-mode Keras output for the same (NCHW) batch, fed as NHWC; maps come back NCHW."""
    from cnncourse.convert import nchw_to_nhwc, nhwc_to_nchw

    out = np.asarray(keras_model(nchw_to_nhwc(x_nchw), training=False))
    return nhwc_to_nchw(out) if out.ndim == 4 else out


def copy_and_compare(torch_model, keras_model, input_size, batch=2, seed=0, tol=TOL):
    """Randomize BN stats, copy torch -> Keras by name, and assert both agree in eval mode."""
    from cnncourse.convert import torch_to_keras

    randomize_batchnorm(torch_model, seed)
    torch_to_keras(torch_model, keras_model, input_size=input_size)
    x = random_images(batch, input_size, seed)
    return assert_scaled_close(keras_forward(keras_model, x), torch_forward(torch_model, x), tol,
                               what=type(torch_model).__name__)


def count_torch(model, trainable_only=False):
    from cnncourse.summary import count_parameters

    return count_parameters(model, trainable_only)


count_keras = count_torch  # count_parameters dispatches on the framework
