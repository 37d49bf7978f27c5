"""The fast engine's worker threads (cnncourse/numpy/fast/parallel.py): how the batch is
split, that the workers really run (and nest, fail and give BLAS back) as documented, and
that a convolution gives the same numbers on one thread and on two."""
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from cnncourse.numpy.fast import parallel
from cnncourse.numpy.functional import conv2d, conv2d_backward

BIG = 10 ** 12  # multiply-adds: enough to be worth sharing


@pytest.fixture
def share_everything(monkeypatch):
    """Split even the tiny layers of these tests among the workers."""
    monkeypatch.setattr(parallel, "MIN_WORK", 0)


@pytest.mark.parametrize("count, size, workers", [(1, 1, 1), (7, 3, 2), (128, 13, 2), (5, 100, 3), (2, 1, 4)])
def test_split_covers_every_image_once_in_near_equal_contiguous_shares(count, size, workers):
    shares = parallel.split(count, size, workers)
    blocks = [block for share in shares for block in share]
    assert blocks[0][0] == 0 and blocks[-1][1] == count
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))           # contiguous, in order
    assert all(0 < stop - start <= size for start, stop in blocks)        # none empty or too large
    totals = [sum(stop - start for start, stop in share) for share in shares]
    assert len(shares) == min(workers, count) and max(totals) - min(totals) <= 1
    for share in shares:  # blocks within a share differ by one image at most
        sizes = [stop - start for start, stop in share]
        assert max(sizes) - min(sizes) <= 1


def test_two_threads_share_the_images_and_blas_gets_its_threads_back():
    seen = {}

    def work(start, stop):
        seen[start, stop] = (threading.current_thread().name, parallel.worker(), parallel.threads())
        return start

    with threadpool_limits(2, user_api="blas"):
        starts = parallel.over_images(8, 2, work, BIG)
        assert parallel.threads() == 2  # restored after the region
    assert starts == [0, 2, 4, 6]
    threads = {name for name, _, _ in seen.values()}
    assert len(threads) == 2 and {index for _, index, _ in seen.values()} == {0, 1}
    assert all(inside == 1 for _, _, inside in seen.values())  # a worker sees one thread: no nesting


def test_a_layer_too_small_to_share_runs_on_the_caller():
    names = set()
    with threadpool_limits(2, user_api="blas"):
        small = parallel.MIN_WORK * 2 - 1  # just under the bar for two workers
        assert not parallel.worthwhile(small) and parallel.worthwhile(small + 1)
        parallel.over_images(6, 1, lambda start, stop: names.add(threading.current_thread().name), small)
    assert names == {threading.current_thread().name}


def test_one_thread_runs_everything_on_the_caller():
    names = set()
    with threadpool_limits(1, user_api="blas"):
        parallel.over_images(6, 1, lambda start, stop: names.add(threading.current_thread().name), BIG)
    assert names == {threading.current_thread().name}


def test_a_region_inside_a_worker_runs_as_that_worker():
    inner = []

    def work(start, stop):
        index = parallel.worker()
        parallel.over_images(4, 1, lambda a, b: inner.append((index, parallel.worker())), BIG)

    with threadpool_limits(2, user_api="blas"):
        parallel.over_images(2, 1, work, BIG)
    assert len(inner) == 8 and all(outer == nested for outer, nested in inner)


def test_an_error_in_a_worker_reaches_the_caller_and_frees_the_region():
    def work(start, stop):
        if start >= 2:  # the second worker's share
            raise ValueError(f"bad block {start}:{stop}")

    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(ValueError, match="bad block 2:3"):
            parallel.over_images(4, 1, work, BIG)
        assert parallel.threads() == 2
        names = set()
        parallel.over_images(4, 1, lambda a, b: names.add(threading.current_thread().name), BIG)
    assert len(names) == 2  # the next call runs in parallel again


@pytest.mark.parametrize("impl, shape, weight, stride, padding", [
    ("im2col", (9, 3, 12, 12), (5, 3, 3, 3), 2, 1),
    ("winograd", (9, 16, 9, 9), (8, 16, 3, 3), 1, 1),
])
def test_a_convolution_gives_the_same_numbers_on_one_thread_and_on_two(impl, shape, weight, stride, padding,
                                                                       share_everything):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(shape), rng.standard_normal(weight)
    b = rng.standard_normal(weight[0])
    layer = dict(stride=stride, padding=padding, impl=impl)
    results = []
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            out = conv2d(x, w, b, **layer)
            results.append((out,) + conv2d_backward(np.cos(out), x, w, b, **layer))
    for one, two in zip(*results):
        np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-12)


def test_an_error_on_the_caller_waits_for_the_other_workers():
    finished = []

    def work(start, stop):
        if start == 0:
            raise RuntimeError("caller's block")
        threading.Event().wait(0.05)
        finished.append(start)

    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(RuntimeError, match="caller's block"):
            parallel.over_images(2, 1, work, BIG)
    assert finished == [1]  # the worker's block was done before the error came back


@pytest.mark.parametrize("threads, batch, layer, expected", [
    (2, 128, ((6, 1, 5, 5), (28, 28), 2, 1), "im2col"),            # LeNet conv1 forward: shared by two workers
    (2, 64, ((6, 1, 5, 5), (28, 28), 2, 1), "im2col_batch_last"),  # too small to share
    (1, 128, ((6, 1, 5, 5), (28, 28), 2, 1), "im2col_batch_last"),  # one thread: nothing to share
    (2, 128, ((16, 6, 5, 5), (14, 14), 0, 1), "im2col_batch_last"),  # LeNet conv2: rows of 10
    (2, 32, ((64, 64, 3, 3), (32, 32), 1, 1), "winograd"),
    (2, 32, ((128, 64, 3, 3), (32, 32), 1, 2), "im2col"),
])
def test_the_rule_of_auto(threads, batch, layer, expected):
    from cnncourse.numpy.fast import choose
    from cnncourse.shapes import conv2d_windows

    weight_shape, size, padding, stride = layer
    win = conv2d_windows(size, weight_shape[2:], stride, padding, 1)
    with threadpool_limits(threads, user_api="blas"):
        assert choose(weight_shape, win, 1, batch_size=batch) == expected
        if expected == "im2col" and weight_shape[1] < 16:  # in training the kept batch-last columns win
            assert choose(weight_shape, win, 1, batch_size=batch, training=True) == "im2col_batch_last"
