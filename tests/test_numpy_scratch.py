"""The scratch pool behind the fast convolution: reuse by name, shape and dtype; a bound."""
import numpy as np

from cnncourse.numpy.fast import scratch as _scratch
from cnncourse.numpy.fast.scratch import scratch


def test_same_name_shape_and_dtype_give_the_same_buffer_others_do_not():
    a = scratch("test a", (3, 4), np.float32)
    assert scratch("test a", (3, 4), np.float32) is a
    assert scratch("test b", (3, 4), np.float32) is not a       # another name
    assert scratch("test a", (4, 3), np.float32) is not a       # another shape
    assert scratch("test a", (3, 4), np.float64) is not a       # another dtype


def test_only_the_most_recent_buffers_are_kept():
    first = scratch("test first", (2,), np.float32)
    for i in range(_scratch.KEEP):
        scratch(f"test filler {i}", (2,), np.float32)
    assert scratch("test first", (2,), np.float32) is not first  # evicted, made anew
    assert len(_scratch._local.pool) <= _scratch.KEEP


def test_conv_results_never_alias_scratch_memory():
    from cnncourse.numpy.functional import conv2d, conv2d_backward

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 6, 6)).astype(np.float32)
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    layer = dict(padding=1, impl="implicit")  # the implementation that uses the pool
    first = conv2d(x, w, **layer)
    kept = first.copy()
    grads = conv2d_backward(np.ones_like(first), x, w, **layer)
    conv2d(x * 2, w, **layer)  # the same shapes again: the pool's buffers are reused
    conv2d_backward(np.ones_like(first) * 3, x, w, **layer)
    np.testing.assert_array_equal(first, kept)
    assert all(not np.shares_memory(g, b) for g in grads[:2]
               for b in _scratch._local.pool.values())
