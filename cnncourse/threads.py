"""How many CPU threads a run uses, in the framework and in NumPy's BLAS.

All cores unless told otherwise, as PyTorch and TensorFlow do: on a machine shared with
other work, ask for fewer (``--threads 1``); guessing from the load of the moment gave one
thread to a run while a browser was open.
"""
import ctypes
import os

__all__ = ["available_cores", "set_threads"]


def available_cores():
    """The CPU cores this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_blas_threads(n):
    """Set OpenBLAS's thread count in this process (NumPy is already imported, so the
    ``OPENBLAS_NUM_THREADS`` variable no longer works): found through ``/proc/self/maps``."""
    with open("/proc/self/maps") as maps:
        libraries = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    for path in libraries:
        library = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                       "openblas_set_num_threads"):
            if hasattr(library, symbol):
                getattr(library, symbol)(int(n))
                break


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
    try:
        set_blas_threads(n)  # NumPy's matmuls (the whole NumPy model, augmentation elsewhere)
    except OSError:  # no /proc (macOS, Windows): keep OpenBLAS's default
        pass
    return n
