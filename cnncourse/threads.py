"""How many CPU threads a run uses, in the framework and in NumPy's BLAS.

All cores unless told otherwise, as PyTorch and TensorFlow do: on a machine shared with
other work, ask for fewer (``--threads 1``); guessing from the load of the moment gave one
thread to a run while a browser was open.
"""
import os

from threadpoolctl import threadpool_limits

__all__ = ["available_cores", "set_threads"]


def available_cores():
    """The CPU cores this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_blas_threads(n):
    """Set the thread count of NumPy's BLAS in this process (``OPENBLAS_NUM_THREADS`` only
    counts before NumPy loads it): threadpoolctl finds the library, whichever BLAS it is.
    The NumPy engine runs that many worker threads (:mod:`cnncourse.numpy.fast.parallel`)."""
    threadpool_limits(limits=int(n), user_api="blas")  # stays in force: the limits are not restored


def set_threads(framework, threads):
    """Use ``threads`` CPU threads ("all": every core of :func:`available_cores`) in
    ``framework`` ("torch", "tensorflow" or "numpy") and NumPy's BLAS; returns the number."""
    n = available_cores() if threads == "all" else int(threads)
    if n < 1:
        raise ValueError(f"threads must be 'all' or a positive integer, got {threads!r}")
    if framework == "torch":
        import torch

        torch.set_num_threads(n)
    elif framework == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError:  # TensorFlow already running in this process: settings are fixed
            pass
    set_blas_threads(n)  # NumPy's matmuls and the NumPy engine's workers
    return n
