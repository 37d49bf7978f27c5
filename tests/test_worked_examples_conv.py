"""The source texts' convolution examples, reproduced by ``cnncourse.numpy.functional``.

Entry numbers (1.x, 2.x, 4.x, 5.x) refer to the tables of ``notes/seed-inventory.md``.
"""
import numpy as np
import pytest
from worked_examples import (
    D2L_CORR,
    D2L_CORR2,
    D2L_K,
    D2L_K2,
    D2L_X,
    D2L_X2,
    EX1_W,
    EX1_X,
    EX1_Y,
    KERNEL_BLUR,
    KERNEL_EDGE,
    KERNEL_IDENTITY,
    KERNEL_SHARPEN,
    TF_FIELD,
    TF_FIELD_SUM,
    TF_KERNEL,
    TRANSPOSE_6X6_ROW0,
    TRANSPOSE_BACK4,
    TRANSPOSE_BACK5,
    TRANSPOSE_CONV4,
    TRANSPOSE_CONV5,
    TRANSPOSE_RANDOM_OUT,
    TRANSPOSE_W,
    TRANSPOSE_X4,
    TRANSPOSE_X5,
    nchw,
)

from cnncourse.numpy.functional import conv2d, conv2d_backward, conv_transpose2d

IMPLS = ["im2col", "loops"]




def dilate(grad, stride):
    """Insert ``stride - 1`` zero rows/columns between the values (S2 eq. 8.7 and 8.12)."""
    n, c, h, w = grad.shape
    out = np.zeros((n, c, (h - 1) * stride + 1, (w - 1) * stride + 1), grad.dtype)
    out[:, :, ::stride, ::stride] = grad
    return out


# --- 1. cross-correlation values --------------------------------------------

@pytest.mark.parametrize("impl", IMPLS)
def test_d2l_single_channel(impl):
    """1.1 (S3 4.2.1): [[0..8]] with [[0,1],[2,3]] gives [[19,25],[37,43]]."""
    out = conv2d(nchw(D2L_X), nchw(D2L_K), impl=impl)
    np.testing.assert_array_equal(out[0, 0], D2L_CORR)


@pytest.mark.parametrize("impl", IMPLS)
def test_d2l_two_input_channels(impl):
    """1.2 (S3 4.2.7): two input channels are correlated separately and summed: 56, 72, 104, 120."""
    x = np.asarray(D2L_X2, np.float64)[None]
    k = np.asarray(D2L_K2, np.float64)[None]
    np.testing.assert_array_equal(conv2d(x, k, impl=impl)[0, 0], D2L_CORR2)


@pytest.mark.parametrize("impl", IMPLS)
def test_tf_book_first_receptive_field(impl):
    """1.3 (S0 10.2.1): the first receptive field times the kernel sums to 7."""
    out = conv2d(nchw(TF_FIELD), nchw(TF_KERNEL), impl=impl)
    assert out.shape == (1, 1, 1, 1)
    assert out.item() == TF_FIELD_SUM


def test_multichannel_output_is_sum_of_per_channel_correlations():
    """1.5 and S0 10.2.3: one kernel over 3 channels is the sum of 3 single-channel
    correlations (S0's 7 - 11 - 1 = -5); two kernels give two stacked output channels."""
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (1, 3, 5, 5)).astype(np.float64)
    w = rng.integers(-3, 4, (2, 3, 3, 3)).astype(np.float64)
    out = conv2d(x, w)
    for k in range(2):
        per_channel = [conv2d(x[:, [c]], w[k:k + 1, [c]]) for c in range(3)]
        np.testing.assert_array_equal(out[:, [k]], sum(per_channel))


def test_true_convolution_is_correlation_with_flipped_kernel():
    """1.7 (S0 10.1.3): the mathematical convolution flips the kernel; conv2d does not.

    The reference is the convolution theorem (FFT), which never slides a window.
    """
    rng = np.random.default_rng(1)
    f, g = rng.normal(size=(5, 5)), rng.normal(size=(3, 3))
    size = (5 + 3 - 1, 5 + 3 - 1)
    full = np.fft.irfft2(np.fft.rfft2(f, size) * np.fft.rfft2(g, size), size)
    valid = full[2:5, 2:5]  # positions where g lies entirely inside f
    flipped = np.ascontiguousarray(g[::-1, ::-1])
    np.testing.assert_allclose(conv2d(nchw(f), nchw(flipped))[0, 0], valid, atol=1e-12)
    assert not np.allclose(conv2d(nchw(f), nchw(g))[0, 0], valid)


def test_table_10_2_kernels():
    """1.8 (S0 Table 10.2): identity keeps the image; sharpen and blur keep a flat image
    (they sum to 1); the 8/-1 kernel maps a flat image to 0, so it detects edges."""
    rng = np.random.default_rng(2)
    image = nchw(rng.normal(size=(6, 6)))
    np.testing.assert_allclose(conv2d(image, nchw(KERNEL_IDENTITY), padding=1), image)
    flat = np.full((1, 1, 6, 6), 0.7)
    for kernel, expected in ((KERNEL_SHARPEN, 0.7), (KERNEL_BLUR, 0.7), (KERNEL_EDGE, 0.0)):
        np.testing.assert_allclose(conv2d(flat, nchw(kernel)), expected, atol=1e-12)
    step = nchw(np.repeat([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], 6, axis=0))
    edges = conv2d(step, nchw(KERNEL_EDGE))[0, 0]
    np.testing.assert_array_equal(edges, np.tile([0.0, -3.0, 3.0, 0.0], (4, 1)))


@pytest.mark.parametrize("impl", IMPLS)
def test_exercise_1_three_filters(impl):
    """1.9 (S2 exercise 1): the cross correlated with the bar, column and diagonal filters."""
    w = np.asarray(EX1_W, np.float64)[:, None]
    np.testing.assert_array_equal(conv2d(nchw(EX1_X), w, impl=impl)[0], EX1_Y)


def test_exercise_2_loops_match_conv2d():
    """1.10 (S2 exercise 2): nested loops (eq. 8.2) and the x2col matrix product agree,
    here in the general case (batch, channels, stride 2, padding 1, bias)."""
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 3, 7, 7)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    loops = conv2d(x, w, b, stride=2, padding=1, impl="loops")
    matmul = conv2d(x, w, b, stride=2, padding=1, impl="im2col")
    assert loops.shape == (2, 4, 4, 4)
    np.testing.assert_allclose(loops, matmul, rtol=1e-12, atol=1e-12)


# --- 2. output shapes that need the layer itself ------------------------------

def test_asymmetric_padding_shape():
    """2.3 (S0 Fig.10.25): 1 row top/bottom and 2 columns left/right on 5x5, 3x3 kernel."""
    out = conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding=(1, 2))
    assert out.shape == (1, 1, 5, 7)


def test_tf_book_conv_shapes():
    """2.4 (S0 In[1]-In[4]), in NCHW: x [2,5,5,3] and four 3x3 kernels."""
    x, w = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3))
    assert conv2d(x, w).shape == (2, 4, 3, 3)
    assert conv2d(x, w, padding=1).shape == (2, 4, 5, 5)
    assert conv2d(x, w, padding="same").shape == (2, 4, 5, 5)
    # TF 'SAME' at stride 3 pads one row in all (bottom); torch-style padding=1 has the same size.
    assert conv2d(x, w, stride=3, padding=1).shape == (2, 4, 2, 2)
    with pytest.raises(ValueError, match="stride"):  # as in torch, 'same' means stride 1
        conv2d(x, w, stride=3, padding="same")


def test_tf_layout_round_trip():
    """2.4 (S0 10.3.1): TF's x [b,h,w,c_in] with W [k,k,c_in,c_out] gives [2,3,3,4]; the
    same layer in NCHW/OIHW through ``cnncourse.convert`` gives the same numbers. The
    reference slides NHWC windows with ``sliding_window_view`` and contracts them."""
    convert = pytest.importorskip("cnncourse.convert")
    rng = np.random.default_rng(8)
    x, w = rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(3, 3, 3, 4))
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))  # b,i,j,c,u,v
    expected = np.einsum("bijcuv,uvco->bijo", windows, w)
    out = conv2d(convert.nhwc_to_nchw(x), convert.hwio_to_oihw(w))
    assert convert.nchw_to_nhwc(out).shape == (2, 3, 3, 4)
    np.testing.assert_allclose(convert.nchw_to_nhwc(out), expected, rtol=1e-12, atol=1e-12)


def test_one_by_one_conv_mixes_channels():
    """S0 10.9.3 (Fig.10.46): a 1x1 kernel on a 3-channel 5x5 input weights and sums the
    channels pixel by pixel; height and width do not change."""
    rng = np.random.default_rng(9)
    x, w = rng.normal(size=(1, 3, 5, 5)), rng.normal(size=(2, 3, 1, 1))
    out = conv2d(x, w)
    assert out.shape == (1, 2, 5, 5)
    np.testing.assert_allclose(out, np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x), rtol=1e-12)


def test_dilated_7x7():
    """2.8 (S0 10.11.1): 7x7 input, 3x3 kernel, dilation 2 -> 3x3; it equals a 5x5
    kernel with zeros between the taps."""
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(1, 1, 7, 7)), rng.normal(size=(1, 1, 3, 3))
    spread = dilate(w, 2)
    out = conv2d(x, w, dilation=2)
    assert out.shape == (1, 1, 3, 3)
    np.testing.assert_allclose(out, conv2d(x, spread), rtol=1e-12)


def test_x2col_example_shapes():
    """2.18 (S2 8.2.3): 10x37x37 input, twenty 10x5x5 filters, stride 2: 17x17 outputs,
    i.e. a [20x250] @ [250x289] product."""
    out = conv2d(np.zeros((1, 10, 37, 37)), np.zeros((20, 10, 5, 5)), stride=2)
    assert out.shape == (1, 20, 17, 17)


def test_pytorch_book_module_shapes():
    """2.23 (S2 8.6.2): Conv2d(3, 16, 3) on a 1x3x32x32 image gives 1x16x30x30."""
    out = conv2d(np.zeros((1, 3, 32, 32)), np.zeros((16, 3, 3, 3)), np.zeros(16))
    assert out.shape == (1, 16, 30, 30)


# --- 4. transposed convolution ----------------------------------------------

@pytest.mark.parametrize("impl", IMPLS)
def test_transposed_round_trip_5x5(impl):
    """4.2-4.3 (S0 In[8]-Out[10]): 1..25 conv stride 2 -> [[-67,-77],[-117,-127]];
    transposing it back gives a 5x5 of the right size but different values."""
    w = nchw(TRANSPOSE_W)
    out = conv2d(nchw(TRANSPOSE_X5), w, stride=2, impl=impl)
    np.testing.assert_array_equal(out[0, 0], TRANSPOSE_CONV5)
    back = conv_transpose2d(out, w, stride=2, impl=impl)
    np.testing.assert_array_equal(back[0, 0], TRANSPOSE_BACK5)


def test_transposed_to_6x6_first_row():
    """4.6 (S0 Out[13]): output_padding a = 1 reaches 6x6; the printed first row."""
    out = conv_transpose2d(nchw(TRANSPOSE_RANDOM_OUT), nchw(TRANSPOSE_W), stride=2,
                           output_padding=1)
    assert out.shape == (1, 1, 6, 6)
    np.testing.assert_allclose(out[0, 0, 0], TRANSPOSE_6X6_ROW0, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("impl", IMPLS)
def test_transposed_round_trip_4x4(impl):
    """4.7-4.8 (S0 In[14]-Out[15]): 1..16 conv stride 1 and back to 4x4."""
    w = nchw(TRANSPOSE_W)
    out = conv2d(nchw(TRANSPOSE_X4), w, impl=impl)
    np.testing.assert_array_equal(out[0, 0], TRANSPOSE_CONV4)
    np.testing.assert_array_equal(conv_transpose2d(out, w, impl=impl)[0, 0], TRANSPOSE_BACK4)


def test_transposed_is_matrix_transpose():
    """4.9 (S0 "Matrix transposition"): conv on 4x4 is O' = W' @ X' with W' of shape [4, 16];
    the transposed convolution is X' = W'^T @ O' ([16, 4] @ [4, 1])."""
    w = nchw(TRANSPOSE_W)
    basis = np.eye(16).reshape(16, 1, 4, 4)
    w_matrix = conv2d(basis, w).reshape(16, 4).T  # column j = conv of the j-th unit image
    assert w_matrix.shape == (4, 16)
    x = TRANSPOSE_X4.reshape(16, 1)
    np.testing.assert_array_equal((w_matrix @ x).reshape(2, 2), TRANSPOSE_CONV4)
    o = np.asarray(TRANSPOSE_CONV4, np.float64)
    np.testing.assert_array_equal(conv_transpose2d(o[None, None], w)[0, 0],
                                  (w_matrix.T @ o.reshape(4, 1)).reshape(4, 4))


# --- 5. backpropagation -------------------------------------------------------

def test_tf_book_w00_gradient():
    """5.1 (S0 10.6): 3x3 input, 2x2 kernel: dL/dw00 = sum_i dL/do_i * x_i over
    x00, x01, x10, x11, and dL/db = sum of dL/do."""
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(1, 1, 3, 3)), rng.normal(size=(1, 1, 2, 2)), rng.normal(size=1)
    g = rng.normal(size=(1, 1, 2, 2))
    _, grad_w, grad_b = conv2d_backward(g, x, w, b)
    expected_w00 = (g[0, 0, 0, 0] * x[0, 0, 0, 0] + g[0, 0, 0, 1] * x[0, 0, 0, 1]
                    + g[0, 0, 1, 0] * x[0, 0, 1, 0] + g[0, 0, 1, 1] * x[0, 0, 1, 1])
    assert grad_w[0, 0, 0, 0] == pytest.approx(expected_w00, rel=1e-12)
    assert grad_b[0] == pytest.approx(g.sum(), rel=1e-12)


@pytest.fixture
def strided_layer():
    """S2 Fig.8.18: 7x7 input (2 channels), three 3x3 filters, stride 2 -> 3x3 outputs."""
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(1, 2, 7, 7)), rng.normal(size=(3, 2, 3, 3))
    g = rng.normal(size=(1, 3, 3, 3))
    return x, w, g


def test_backprop_weight_is_conv_with_dilated_grad(strided_layer):
    """5.2 (S2 eq. 8.7): dL/dW(k, c) = conv(x(c), dilation[dL/dz(k)])."""
    x, w, g = strided_layer
    _, grad_w, _ = conv2d_backward(g, x, w, stride=2)
    spread = dilate(g, 2)  # 3x3 -> 5x5
    for k in range(3):
        for c in range(2):
            expected = conv2d(x[:, [c]], spread[:, [k]])[0, 0]
            np.testing.assert_allclose(grad_w[k, c], expected, rtol=1e-10, atol=1e-12)


def test_backprop_input_is_full_conv_of_dilated_grad(strided_layer):
    """2.22 and 5.3 (S2 eq. 8.12): dilate 3x3 to 5x5, pad f-1 = 2 to 9x9, correlate with
    the 180-degree-rotated filters and sum over k: a 7x7 input gradient."""
    x, w, g = strided_layer
    grad_x, _, _ = conv2d_backward(g, x, w, stride=2)
    padded = np.pad(dilate(g, 2), ((0, 0), (0, 0), (2, 2), (2, 2)))
    assert padded.shape[2:] == (9, 9)
    rotated = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (c, k, 3, 3)
    np.testing.assert_allclose(grad_x, conv2d(padded, rotated), rtol=1e-10, atol=1e-12)


def test_exercise_6_shapes():
    """5.5 (S2 exercise 6): x[2,3,3], W[2,2,2,2] -> z[2,2,2]; gradients keep their shapes."""
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(1, 2, 3, 3)), rng.normal(size=(2, 2, 2, 2)), rng.normal(size=2)
    z = conv2d(x, w, b)
    assert z.shape == (1, 2, 2, 2)
    grads = conv2d_backward(np.ones_like(z), x, w, b)
    assert [gr.shape for gr in grads] == [x.shape, w.shape, b.shape]
