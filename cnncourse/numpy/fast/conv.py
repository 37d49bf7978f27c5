"""Which fast convolution runs, and the entry points the reference calls.

Every function takes the windows the reference computed (:func:`cnncourse.shapes.conv2d_windows`)
and an ``impl`` the user chose, or ``"auto"`` for the rule of :func:`choose`.
"""
from cnncourse.numpy.fast.batch_last import BatchLastColumns
from cnncourse.numpy.fast.im2col import Columns
from cnncourse.numpy.fast.implicit import ImplicitColumns
from cnncourse.numpy.fast.winograd import Winograd
from cnncourse.numpy.fast.winograd import applies as winograd_applies

__all__ = ["choose", "lower", "conv2d", "conv2d_weight", "conv2d_input"]

LOWERINGS = {"im2col": Columns, "im2col_batch_last": BatchLastColumns, "implicit": ImplicitColumns,
             "winograd": Winograd}


def choose(weight_shape, win, groups):
    """The implementation ``impl="auto"`` runs for a convolution with this weight."""
    return "winograd" if winograd_applies(win.kernel, win.stride, win.dilation) and weight_shape[1] >= 16 else "im2col"


def _lowering(impl, weight_shape, win, groups):
    return LOWERINGS[choose(weight_shape, win, groups) if impl == "auto" else impl]


def lower(input, weight_shape, win, groups, impl, scratch_name=None):
    """``input``'s receptive fields made ready for matrix products (``.forward(weight,
    bias)``, ``.weight_grad(grad_output, weight_shape)``; ``.impl`` says which ran).

    ``scratch_name``: the lowered input only lives during this call (not cached), so
    implicit im2col may keep its matrix in a scratch buffer of that name.
    """
    return _lowering(impl, weight_shape, win, groups)(input, win, groups, scratch_name)


def conv2d(input, weight, bias, win, groups, impl):
    return lower(input, weight.shape, win, groups, impl, "input matrix").forward(weight, bias)


def conv2d_weight(input, weight_shape, grad_output, win, groups, impl, lowered=None):
    if lowered is None:
        lowered = lower(input, weight_shape, win, groups, impl, "input matrix")
    return lowered.weight_grad(grad_output, weight_shape)


def conv2d_input(input_shape, weight, grad_output, win, groups, impl):
    full_size = tuple(n + a + b for n, (a, b) in zip(input_shape[2:], win.padding))
    return _lowering(impl, weight.shape, win, groups).adjoint(grad_output, weight, win, groups,
                                                               full_size)
