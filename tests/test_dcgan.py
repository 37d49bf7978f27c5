"""The DCGAN-style generator: 1 -> 4 -> 7 -> 14 -> 28, the same function in torch and Keras."""
import numpy as np
import pytest

from cnncourse import count_parameters, shapes
from cnncourse.architectures import DCGAN_GENERATOR_28

torch = pytest.importorskip("torch")
from cnncourse.torch.models.dcgan import dcgan_generator  # noqa: E402


def test_each_transposed_convolution_produces_the_table_s_side():
    net = dcgan_generator(latent_dim=16, out_channels=3, width=8)
    sides = []
    for name, module in net.named_children():
        if name.startswith("up"):
            module.register_forward_hook(lambda m, i, o: sides.append(tuple(o.shape[1:])))
    image = net(torch.randn(2, 16))
    assert image.shape == (2, 3, 28, 28)
    assert sides == [(32, 4, 4), (16, 7, 7), (8, 14, 14), (3, 28, 28)]
    assert float(image.abs().max()) <= 1.0  # tanh
    side = 1
    for _, k, s, p, out in DCGAN_GENERATOR_28:  # the table's sides follow (i - 1) s + k - 2p
        side = shapes.conv_transpose2d_output_size(side, k, stride=s, padding=p)
        assert side == out


def test_parameters_follow_the_widths():
    net = dcgan_generator()  # latent 64, width 32, one channel
    convs = 64 * 128 * 16 + 128 * 64 * 9 + 64 * 32 * 16 + (32 * 1 * 16 + 1)  # bias on the last only
    batch_norms = 2 * (128 + 64 + 32)
    assert count_parameters(net) == convs + batch_norms


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="width"):
        dcgan_generator(width=0)


def test_the_keras_twin_computes_the_same_images():
    pytest.importorskip("keras")
    from cnncourse.convert import nhwc_to_nchw, torch_to_keras
    from cnncourse.tensorflow.models.dcgan import dcgan_generator as keras_generator

    torch_net, keras_net = dcgan_generator(latent_dim=8, width=4).eval(), keras_generator(latent_dim=8, width=4)
    torch_to_keras(torch_net, keras_net)
    z = torch.randn(3, 8)
    with torch.no_grad():
        expected = torch_net(z).numpy()
    got = nhwc_to_nchw(np.asarray(keras_net(z.numpy(), training=False)))
    assert got.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert count_parameters(keras_net) == count_parameters(torch_net)
