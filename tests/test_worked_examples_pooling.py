"""The source texts' pooling (and upsampling) examples, reproduced by
``cnncourse.numpy.functional``. Entry numbers refer to ``notes/seed-inventory.md``."""
import numpy as np
import pytest
from worked_examples import D2L_AVGPOOL, D2L_MAXPOOL, D2L_X, EX4_AVG, EX4_MAX, EX4_X, nchw

import cnncourse.numpy.functional as F


def test_d2l_pooling():
    """3.1 (S3 4.2.6): 2x2 windows, stride 1, on [[0..8]]: max [[4,5],[7,8]], mean [[2,3],[5,6]]."""
    x = nchw(D2L_X)
    np.testing.assert_array_equal(F.max_pool2d(x, 2, stride=1)[0, 0], D2L_MAXPOOL)
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, stride=1)[0, 0], D2L_AVGPOOL)


# S0 10.7 lists the 2x2 windows of the first two rows of its 5x5 input (k=2, s=1):
# {1,-1,-1,-2}, {-1,0,-2,2}, ..., {2,0,3,1}; read row-major they give these two rows.
TF_POOL_ROWS = [[1, -1, 0, 2, 0], [-1, -2, 2, 3, 1]]


def test_tf_book_first_window():
    """3.2-3.3 (S0 10.7): max{1,-1,-1,-2} = 1, avg = -0.75; max{-1,0,-2,2} = 2."""
    x = nchw(TF_POOL_ROWS)
    assert F.max_pool2d(x, 2, stride=1)[0, 0, 0, :2].tolist() == [1, 2]
    assert F.avg_pool2d(x, 2, stride=1)[0, 0, 0, 0] == -0.75


def test_tf_book_window_max_is_three():
    """3.4 (S0 l.734): the text prints max(2, 0, 3, 1) = 1; the maximum is 3."""
    out = F.max_pool2d(nchw(TF_POOL_ROWS), 2, stride=1)[0, 0, 0]
    assert out.tolist() == [1, 2, 3, 3]
    assert out[-1] == 3


def test_tf_book_pool_sizes():
    """3.5 (S0 10.7): on 5x5, k=2 s=1 gives 4x4; k=3 s=2 gives 2x2 ("half size")."""
    x = np.zeros((1, 1, 5, 5))
    assert F.max_pool2d(x, 2, stride=1).shape == (1, 1, 4, 4)
    assert F.max_pool2d(x, 3, stride=2).shape == (1, 1, 2, 2)


def test_lecture_pool_shapes():
    """2.13 (S1): x [1,14,14,4]: MaxPool2D(2, 2) -> 7x7, MaxPool2D(3, 2) -> 6x6."""
    x = np.zeros((1, 4, 14, 14))
    assert F.max_pool2d(x, 2, stride=2).shape == (1, 4, 7, 7)
    assert F.max_pool2d(x, 3, stride=2).shape == (1, 4, 6, 6)


def test_lecture_upsampling_shapes():
    """2.15 (S1): UpSampling2D(size=3) and (size=2) on [1,7,7,4] give 21x21 and 14x14,
    each pixel repeated (nearest neighbour)."""
    x = np.arange(7 * 7 * 4, dtype=np.float64).reshape(1, 4, 7, 7)
    up3 = F.interpolate(x, scale_factor=3)
    assert up3.shape == (1, 4, 21, 21)
    np.testing.assert_array_equal(up3, x.repeat(3, axis=2).repeat(3, axis=3))
    assert F.interpolate(x, scale_factor=2).shape == (1, 4, 14, 14)


def test_pool_keeps_one_in_four():
    """2.19 (S2 8.3.1): f=2, s=2 keeps 1 of every 4 activations (discards 75 %), and
    2.23: MaxPool2d(2) on 1x3x32x32 gives 1x3x16x16."""
    x = np.random.default_rng(0).normal(size=(1, 3, 32, 32))
    out = F.max_pool2d(x, 2)
    assert out.shape == (1, 3, 16, 16)
    assert out.size / x.size == 0.25
    assert np.isin(out, x).all()


def test_exercise_4():
    """3.6 (S2 exercise 4): x[2,6,6], 2x2 windows, stride 2 -> [2,3,3], max and average."""
    x = np.asarray(EX4_X, np.float64)[None]
    np.testing.assert_array_equal(F.max_pool2d(x, 2, stride=2)[0], EX4_MAX)
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, stride=2)[0], EX4_AVG)


def test_pool_backward_eq_8_15_and_8_17():
    """3.7 (S2 eq. 8.15, 8.17) on exercise 4's input: max pooling sends each output
    gradient to its window's maximum -- for the tie in channel 0's last window
    ([[8, 8], [1, 7]]) to the first one in row-major order, as torch does -- and average
    pooling spreads it evenly, /4. The reference is torch autograd."""
    torch = pytest.importorskip("torch")
    x = np.asarray(EX4_X, np.float64)[None]
    g = np.arange(1, 19, dtype=np.float64).reshape(1, 2, 3, 3)
    for name, torch_pool in (("max_pool2d", torch.nn.functional.max_pool2d),
                             ("avg_pool2d", torch.nn.functional.avg_pool2d)):
        xt = torch.tensor(x, requires_grad=True)
        torch_pool(xt, 2, 2).backward(torch.tensor(g))
        ours = getattr(F, f"{name}_backward")(g, x, 2, stride=2)
        np.testing.assert_array_equal(ours, xt.grad.numpy())
    max_grad = F.max_pool2d_backward(g, x, 2, stride=2)
    assert max_grad[0, 0, 4, 4] == g[0, 0, 2, 2] and max_grad[0, 0, 4, 5] == 0
    avg_grad = F.avg_pool2d_backward(g, x, 2, stride=2)
    np.testing.assert_array_equal(avg_grad[0, :, ::2, ::2], g[0] / 4)
