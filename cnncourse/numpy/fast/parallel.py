"""Blocks of images on every core: the fast engine's one source of parallelism.

BLAS runs a matrix product on all the threads it was given, but NumPy runs everything
else of a convolution on one core: the padding, the copies that build columns or
Winograd tiles, the transposes back to NCHW. Those copies are a third to a half of a
layer's time. Here the batch is split instead, as torch splits it: each of ``T`` worker
threads takes ``1/T`` of the images and does all the work on them (copies and products),
with BLAS held to one thread for the duration so that the workers do not oversubscribe
the cores. NumPy releases the GIL inside its copies and products, so the threads really
run at once.

``T`` is the number of threads BLAS is set to (``OPENBLAS_NUM_THREADS``, or
``cnncourse --threads``, :mod:`cnncourse.threads`): the engine uses exactly the cores
the user gave NumPy. With one thread, inside a worker (a convolution called from
another's work), or for a layer too small to share (fewer than :data:`MIN_WORK`
multiply-adds per worker), the blocks run one after the other on the calling thread,
with BLAS's own threads in each product.
"""
import threading
from concurrent.futures import ThreadPoolExecutor, wait

__all__ = ["threads", "worker", "worthwhile", "over_images"]

# Multiply-adds per worker below which splitting the batch costs more than it saves: waking
# a worker and the smaller products of a share take ~0.1 ms. Measured on LeNet's layers
# (benchmarks/README.md): 3.8M per worker ran no faster split (conv1, batch 64), 7.5M did.
MIN_WORK = 4_000_000

_state = threading.local()      # .index: this thread's worker number while it works on a share
_region = threading.Lock()      # one parallel region at a time (BLAS threads are process-wide)
_pool = None                    # (threads, executor)
_controller = None


def _blas():
    """threadpoolctl's handle on the BLAS libraries NumPy loaded (found once)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def threads():
    """Worker threads the engine uses now: BLAS's thread count (1 without a BLAS that says)."""
    if getattr(_state, "index", None) is not None:
        return 1
    counts = [lib.num_threads for lib in _blas().lib_controllers]
    return max(1, min(counts)) if counts else 1


def worthwhile(macs):
    """Whether a pass of ``macs`` multiply-adds is split over :func:`threads` workers."""
    workers = threads()
    return workers > 1 and macs >= MIN_WORK * workers


def worker():
    """The number (0 to ``threads() - 1``) of the worker running the calling code: a
    reduction sums into ``partials[worker()]`` and adds the partials up at the end."""
    index = getattr(_state, "index", None)
    return 0 if index is None else index


def _run(index, blocks, work):
    outer = getattr(_state, "index", None)  # a region inside a worker's work runs as that worker
    _state.index = index if outer is None else outer
    try:
        return [work(start, stop) for start, stop in blocks]
    finally:
        _state.index = outer


def split(count, size, workers):
    """``workers`` lists of ``(start, stop)`` blocks of at most ``size`` images covering
    ``range(count)``: each worker gets a contiguous, nearly equal share of the images, cut
    into blocks of nearly equal size."""
    return [_even(start, stop, -(-(stop - start) // size)) for start, stop in _even(0, count, workers)
            if stop > start]


def _even(start, stop, parts):
    """``range(start, stop)`` cut into ``parts`` contiguous pieces whose sizes differ by one at most."""
    edges = [start + (stop - start) * k // parts for k in range(parts + 1)]
    return list(zip(edges, edges[1:]))


def over_images(count, size, work, macs):
    """Call ``work(start, stop)`` on blocks of at most ``size`` of ``count`` images, spread
    over :func:`threads` workers if the pass's ``macs`` multiply-adds are
    :func:`worthwhile`; returns the results in the order of the images.

    ``work`` writes to disjoint slices of arrays the caller allocated (``out[start:stop]``,
    ``partials[worker()]``) and takes its temporaries from
    :func:`cnncourse.numpy.fast.scratch.scratch`, which keeps one pool of buffers per
    thread: a fresh array in a worker thread costs page faults on every call (glibc gives
    a thread's freed memory back to the system), about 1,200 per LeNet conv1 forward on
    the course machine, which took longer than the convolution.
    """
    global _pool
    workers = min(threads(), count)
    if workers <= 1 or not worthwhile(macs) or not _region.acquire(blocking=False):
        return _run(0, split(count, size, 1)[0], work)
    try:
        shares = split(count, size, workers)
        if _pool is None or _pool[0] < workers - 1:  # the threads live on between calls
            _pool = (workers - 1, ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="cnncourse-conv"))
        with _blas().limit(limits=1):
            futures = [_pool[1].submit(_run, index, share, work) for index, share in enumerate(shares[1:], 1)]
            try:
                results = _run(0, shares[0], work)  # the calling thread takes the first share
            finally:  # even after an error here, no worker may still write when the call returns
                wait(futures)
            for future in futures:
                results.extend(future.result())
        return results
    finally:
        _region.release()
