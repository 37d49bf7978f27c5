"""The fast engine behind the NumPy reference: the same sums, as matrix products.

:mod:`cnncourse.numpy.functional` is written to be read: each function is the textbook sum,
and its first line hands the work to this package unless ``impl="loops"``. Here the same
numbers are computed the way fast libraries do, in NumPy:

- :mod:`~cnncourse.numpy.fast.im2col`: explicit columns, one matmul per block of images
  (``impl="im2col"``);
- :mod:`~cnncourse.numpy.fast.batch_last`: the same columns for the whole batch, stored
  batch-last, one matmul per pass, for few input channels (``impl="im2col_batch_last"``);
- :mod:`~cnncourse.numpy.fast.winograd`: Winograd F(4x4, 3x3) for 3x3 stride-1 layers, 4x
  fewer multiplications (``impl="winograd"``);
- :mod:`~cnncourse.numpy.fast.implicit`: implicit GEMM, no columns (``impl="implicit"``);
- :mod:`~cnncourse.numpy.fast.parallel`: the batch shared among worker threads, one per
  BLAS thread, each with a one-thread BLAS;
- :mod:`~cnncourse.numpy.fast.layout`: padding;
- :mod:`~cnncourse.numpy.fast.scratch`: reused buffers for the large temporaries;
- :mod:`~cnncourse.numpy.fast.pooling`: pooling by kernel offsets (``impl="slices"``).

``impl="auto"`` follows :func:`choose`. Every function is tested against the reference
and against PyTorch (tests/test_numpy_conv.py, tests/test_numpy_pooling.py); speed is
measured in benchmarks/conv.py.
"""
from cnncourse.numpy.fast.conv import choose, conv2d, conv2d_input, conv2d_weight, lower
from cnncourse.numpy.fast.pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = ["choose", "lower", "conv2d", "conv2d_weight", "conv2d_input", "max_pool2d",
           "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]
