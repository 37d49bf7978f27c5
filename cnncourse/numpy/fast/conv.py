"""Which fast convolution runs, and the entry points the reference calls.

Every function takes the windows the reference computed (:func:`cnncourse.shapes.conv2d_windows`)
and an ``impl`` the user chose, or ``"auto"`` for the rule of :func:`choose`.
"""
from cnncourse.numpy.fast import parallel
from cnncourse.numpy.fast.batch_last import BatchLastColumns
from cnncourse.numpy.fast.im2col import Columns
from cnncourse.numpy.fast.implicit import ImplicitColumns
from cnncourse.numpy.fast.winograd import Winograd
from cnncourse.numpy.fast.winograd import applies as winograd_applies

__all__ = ["choose", "lower", "conv2d", "conv2d_weight", "conv2d_input"]

LOWERINGS = {"im2col": Columns, "im2col_batch_last": BatchLastColumns, "implicit": ImplicitColumns,
             "winograd": Winograd}


# The whole batch's columns at most this large for im2col_batch_last (bytes).
BATCH_LAST_MAX_BYTES = 64 << 20
# Output rows (window rows) shorter than this are gathered batch-last.
SHORT_ROW = 16


def choose(weight_shape, win, groups, batch_size=1, itemsize=4, training=False):
    """The implementation ``impl="auto"`` runs for a convolution with this weight
    (``training``: a pass of a training step, whose backward follows or is this pass).

    - ``"winograd"``: 3x3 stride-1 kernels on 16+ input channels per group, where the 36
      products ``C_out x C_in`` are large enough for BLAS to pay off the transforms;
    - ``"im2col_batch_last"``: fewer than 16 input channels per group (LeNet's layers, a
      network's first layer), where each image's product is too thin for BLAS, if the
      output rows are shorter than 16 (LeNet's second layer: 10 values), the layer is too
      small to share among worker threads (:func:`parallel.worthwhile`), or in training,
      where its columns, kept from the forward, serve the weight gradient: one product for
      the whole batch, whose batch-last columns copy in long runs; unless those columns
      would pass ``BATCH_LAST_MAX_BYTES``;
    - ``"im2col"`` otherwise: one product per image, by blocks of images that stay in
      cache, the batch shared among the workers.

    The rules count channels, bytes and work, not vector widths or cache sizes, so that they
    carry from one x86 vendor to the other; benchmarks/conv.py measures them against a
    classic NumPy formulation and torch (benchmarks/README.md: the CPU and the figures).
    """
    in_per_group, (kh, kw) = weight_shape[1], win.kernel
    columns = in_per_group * groups * kh * kw * win.out_size[0] * win.out_size[1] * batch_size * itemsize
    if in_per_group >= 16:
        return "winograd" if winograd_applies(win.kernel, win.stride, win.dilation) else "im2col"
    shared = parallel.worthwhile(columns // itemsize * weight_shape[0] // groups)  # multiply-adds
    batch_last = win.out_size[1] < SHORT_ROW or not shared or training
    return "im2col_batch_last" if batch_last and columns <= BATCH_LAST_MAX_BYTES else "im2col"


def _lowering(impl, weight_shape, win, groups, batch_size, itemsize, training):
    if impl == "auto":
        impl = choose(weight_shape, win, groups, batch_size, itemsize, training)
    return LOWERINGS[impl]


def lower(input, weight_shape, win, groups, impl, scratch_name=None):
    """``input``'s receptive fields made ready for matrix products (``.forward(weight,
    bias)``, ``.weight_grad(grad_output, weight_shape)``; ``.impl`` says which ran).

    ``scratch_name``: the lowered input only lives during this call (not cached for a
    backward), so implicit im2col may keep its matrix in a scratch buffer of that name.
    """
    lowering = _lowering(impl, weight_shape, win, groups, input.shape[0], input.itemsize,
                         training=scratch_name is None)
    return lowering(input, win, groups, scratch_name)


def conv2d(input, weight, bias, win, groups, impl):
    return lower(input, weight.shape, win, groups, impl, "input matrix").forward(weight, bias)


def conv2d_weight(input, weight_shape, grad_output, win, groups, impl, lowered=None):
    if lowered is None:
        lowered = lower(input, weight_shape, win, groups, impl, "input matrix")
    return lowered.weight_grad(grad_output, weight_shape)


def conv2d_input(input_shape, weight, grad_output, win, groups, impl):
    full_size = tuple(n + a + b for n, (a, b) in zip(input_shape[2:], win.padding))
    lowering = _lowering(impl, weight.shape, win, groups, input_shape[0], grad_output.itemsize, training=True)
    return lowering.adjoint(grad_output, weight, win, groups, full_size)
