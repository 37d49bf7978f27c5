"""Pooling and nearest-neighbour resizing with their gradients, written as the definitions.

Arguments and results follow ``torch.nn.functional`` (NCHW). A pooling window is placed
like a convolution's receptive field: output ``(p, q)`` reads rows ``p*s + i*d`` and
columns ``q*s + j*d`` of the padded input (padding counts as -inf for max, as zeros for
the average). The windowed pools below loop over the output positions; ``impl`` switches:

- ``impl="loops"``: these loops (slow; for reading and for checking).
- ``impl="slices"``: the loop runs over the few kernel offsets instead, each one strided
  slice of the whole batch (:mod:`cnncourse.numpy.fast.pooling`).
- ``impl="auto"`` (default): ``"slices"``.

Adaptive average pooling and nearest-neighbour resizing are linear maps that act on rows
and columns separately, so both are ``rows @ x @ columns.T`` with small matrices, and
their gradients are the same product with the matrices transposed.

Taught in: chapter 4 (pooling, upsampling), chapter 5 (pooling backward).
"""
import numbers

import numpy as np

from cnncourse import shapes, validate
from cnncourse.numpy import fast

__all__ = [
    "max_pool2d", "max_pool2d_backward",
    "avg_pool2d", "avg_pool2d_backward",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward",
    "interpolate", "interpolate_backward",
]

IMPLS = ("auto", "loops", "slices")


# ----------------------------------------------------------------------------- helpers
def _check_input(input):
    return validate.floating(validate.ndim(input, 4, "input", "(N, C, H, W)"), "input")


def _windows(input, kernel_size, stride, padding, dilation, ceil_mode, impl):
    """Check a windowed pool's arguments; return its :class:`cnncourse.shapes.Windows`.

    torch treats ``stride=None`` (and an empty list) as "same as the kernel".
    """
    validate.choice(impl, IMPLS, "impl")
    _check_input(input)
    kernel = validate.pair(validate.positive(kernel_size, "kernel_size"), "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () else stride
    return shapes.pool2d_windows(input.shape[2:], kernel, stride, padding, dilation, ceil_mode)


def _check_grad_output(grad_output, input, out_size):
    validate.shape(grad_output, input.shape[:2] + tuple(out_size), "grad_output")
    validate.same_dtype(grad_output, input.dtype, "grad_output", "input")


def _pad(x, padding, value):
    """Pad the last two axes by ``((top, bottom), (left, right))`` with ``value``; a
    negative bottom/right amount crops rows that no window reaches."""
    (top, bottom), (left, right) = padding
    x = x[:, :, :x.shape[2] + min(bottom, 0), :x.shape[3] + min(right, 0)]
    return np.pad(x, ((0, 0), (0, 0), (top, max(bottom, 0)), (left, max(right, 0))),
                  constant_values=value)


def _crop(x, padding):
    """Undo :func:`_pad` on a gradient: drop the padding, put back the cropped rows as 0."""
    (top, bottom), (left, right) = padding
    x = x[:, :, top:x.shape[2] - max(bottom, 0), left:x.shape[3] - max(right, 0)]
    return np.pad(x, ((0, 0), (0, 0), (0, max(-bottom, 0)), (0, max(-right, 0))))


def _window(x, p, q, win):
    """The pooling window of output ``(p, q)`` in padded ``x``: ``(N, C, kH, kW)``, a view."""
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    return x[:, :, p * sh:p * sh + dh * (kh - 1) + 1:dh, q * sw:q * sw + dw * (kw - 1) + 1:dw]


def _first_max(window):
    """Flat index ``i * kW + j`` of each window's maximum: the first one in row-major
    order, and NaN wins (np.argmax's rules, and PyTorch's)."""
    return window.reshape(window.shape[:2] + (-1,)).argmax(axis=2)


# ----------------------------------------------------------------------------- max pooling
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, impl="auto"):
    """Largest value of each window, like ``F.max_pool2d``; padding counts as -inf.

    Args:
        input: the batch.
        kernel_size, stride, padding, dilation: ints or ``(h, w)`` pairs; ``stride``
            defaults to ``kernel_size``; ``padding`` is at most half the kernel.
        ceil_mode: keep a last, partial window (PyTorch's rule).
        return_indices: also return the flat index ``row * W + col`` of each maximum in
            its input plane (what ``F.max_unpool2d`` expects).
        impl: ``"auto"``, ``"loops"`` or ``"slices"`` (see the module).

    Shape:
        - input: ``(N, C, H, W)``
        - output: ``(N, C, H_out, W_out)`` (:func:`cnncourse.shapes.pool2d_output_size`)

    Examples::

        >>> max_pool2d(np.arange(9.0).reshape(1, 1, 3, 3), 2, stride=1, impl="loops")
        array([[[[4., 5.],
                 [7., 8.]]]])

    Taught in: chapter 4 (max and average pooling).
    """
    win = _windows(input, kernel_size, stride, padding, dilation, ceil_mode, impl)
    if impl != "loops":  # the fast engine: loop over kernel offsets, not positions
        return fast.max_pool2d(input, win, return_indices)
    x = _pad(input, win.padding, -np.inf)
    out = np.empty(input.shape[:2] + win.out_size, input.dtype)
    where = np.empty(out.shape, np.int64)
    (top, _), (left, _), width = *win.padding, input.shape[3]
    for p in range(win.out_size[0]):
        for q in range(win.out_size[1]):
            window = _window(x, p, q, win)
            i, j = np.divmod(_first_max(window), win.kernel[1])
            out[:, :, p, q] = window.max(axis=(2, 3))
            where[:, :, p, q] = (p * win.stride[0] + i * win.dilation[0] - top) * width \
                + q * win.stride[1] + j * win.dilation[1] - left
    return (out, where) if return_indices else out


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False, *, impl="auto"):
    """Gradient of :func:`max_pool2d`: each output gradient goes to its window's maximum.

    Shape: ``grad_output`` as the forward's output; returned as ``input``.

    Taught in: chapter 5 (pooling backward).
    """
    win = _windows(input, kernel_size, stride, padding, dilation, ceil_mode, impl)
    _check_grad_output(grad_output, input, win.out_size)
    if impl != "loops":
        return fast.max_pool2d_backward(grad_output, input, win)
    x = _pad(input, win.padding, -np.inf)
    grad = np.zeros(x.shape, input.dtype)
    n, c = np.meshgrid(np.arange(input.shape[0]), np.arange(input.shape[1]), indexing="ij")
    for p in range(win.out_size[0]):
        for q in range(win.out_size[1]):
            i, j = np.divmod(_first_max(_window(x, p, q, win)), win.kernel[1])
            rows, cols = p * win.stride[0] + i * win.dilation[0], q * win.stride[1] + j * win.dilation[1]
            grad[n, c, rows, cols] += grad_output[:, :, p, q]
    return np.ascontiguousarray(_crop(grad, win.padding))


# ----------------------------------------------------------------------------- average pooling
def _avg_divisor(input, win, count_include_pad, divisor_override):
    """What each window sum is divided by: ``(H_out, W_out)`` counts, or the override."""
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, numbers.Integral) \
                or divisor_override == 0:
            raise ValueError(f"divisor_override must be a nonzero int, got {divisor_override!r}")
        return divisor_override
    rows, cols = shapes.avg_pool2d_window_sizes(input.shape[2:], win, count_include_pad)
    return np.outer(rows, cols).astype(input.dtype)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None, *, impl="auto"):
    """Mean of each window, like ``F.avg_pool2d`` (padding counts as zeros).

    Args:
        input, kernel_size, stride, padding, ceil_mode, impl: as in :func:`max_pool2d`.
        count_include_pad: divide by the window's size including the padding zeros (True,
            PyTorch's default) or by the input values it covers.
        divisor_override: divide every window sum by this int instead.

    Shape: as :func:`max_pool2d`.

    Taught in: chapter 4 (max and average pooling).
    """
    win = _windows(input, kernel_size, stride, padding, 1, ceil_mode, impl)
    divisor = _avg_divisor(input, win, count_include_pad, divisor_override)
    if impl != "loops":
        return fast.avg_pool2d(input, win, divisor)
    x = _pad(input, win.padding, 0.0)
    total = np.empty(input.shape[:2] + win.out_size, input.dtype)
    for p in range(win.out_size[0]):
        for q in range(win.out_size[1]):
            total[:, :, p, q] = _window(x, p, q, win).sum(axis=(2, 3))
    return total / divisor


def avg_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None, *,
                        impl="auto"):
    """Gradient of :func:`avg_pool2d`: each output gradient, divided like the forward,
    is shared by every pixel of its window.

    Taught in: chapter 5 (pooling backward).
    """
    win = _windows(input, kernel_size, stride, padding, 1, ceil_mode, impl)
    _check_grad_output(grad_output, input, win.out_size)
    divisor = _avg_divisor(input, win, count_include_pad, divisor_override)
    if impl != "loops":
        return fast.avg_pool2d_backward(grad_output, input, win, divisor)
    share = grad_output / divisor
    grad = np.zeros(_pad(input, win.padding, 0.0).shape, input.dtype)
    for p in range(win.out_size[0]):
        for q in range(win.out_size[1]):
            _window(grad, p, q, win)[...] += share[:, :, p, q, None, None]
    return np.ascontiguousarray(_crop(grad, win.padding))


# --- separable linear resampling: adaptive pooling and nearest resizing --------------

def _resample(x, rows, cols):
    """Apply ``rows`` (H_out, H) and ``cols`` (W_out, W) to every plane of ``x``."""
    return np.matmul(np.matmul(rows, x), cols.T)


def _target_size(input, output_size, name):
    """An int or pair of ints (``None`` keeps that input dimension)."""
    if output_size is None or isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {output_size!r}")
    size = tuple(d if o is None else o for o, d in zip(output_size, input.shape[2:]))
    return validate.pair(validate.positive(size, name), name)


def _adaptive_matrices(input, output_size):
    """Averaging matrices: output ``i`` of ``o`` averages inputs
    ``floor(i*n/o)`` to ``ceil((i+1)*n/o) - 1`` (windows may overlap by one)."""
    mats = []
    for n, o in zip(input.shape[2:], _target_size(input, output_size, "output_size")):
        i = np.arange(o)
        start, end = (i * n) // o, -((-(i + 1) * n) // o)
        inside = (np.arange(n) >= start[:, None]) & (np.arange(n) < end[:, None])
        mats.append((inside / (end - start)[:, None]).astype(input.dtype))
    return mats


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``output_size``, like ``F.adaptive_avg_pool2d``.

    Shape: ``(N, C, H, W)`` -> ``(N, C, *output_size)``; ``None`` keeps that side.

    Taught in: chapter 4 (global and adaptive pooling).
    """
    _check_input(input)
    return _resample(input, *_adaptive_matrices(input, output_size))


def adaptive_avg_pool2d_backward(grad_output, input, output_size):
    """Gradient of :func:`adaptive_avg_pool2d` (the transposed averaging)."""
    _check_input(input)
    rows, cols = _adaptive_matrices(input, output_size)
    _check_grad_output(grad_output, input, (rows.shape[0], cols.shape[0]))
    return _resample(grad_output, rows.T, cols.T)


def _nearest_matrices(input, size, scale_factor, mode):
    """One-hot matrices picking source pixel ``min(floor(dst * scale), n - 1)``, with
    ``scale`` computed in float32 exactly as PyTorch's CPU kernel does."""
    if mode != "nearest":
        raise ValueError(f"mode must be 'nearest' (the only mode implemented), got {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError("size or scale_factor must be given: exactly one of size and scale_factor")
    if size is not None:
        out = _target_size(input, size, "size")
        scales = (None, None)
    else:
        scales = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * 2
        if len(scales) != 2 or not all(isinstance(f, numbers.Real) and f > 0 for f in scales):
            raise ValueError(f"scale_factor must be a positive number or pair, "
                             f"got {scale_factor!r}")
        out = tuple(int(np.floor(n * f)) for n, f in zip(input.shape[2:], scales))
        validate.positive(out, "output size (input size * scale_factor)")
    mats = []
    for n, o, f in zip(input.shape[2:], out, scales):
        dst = np.arange(o)
        if o == n:
            src = dst
        elif o == 2 * n:
            src = dst // 2
        else:
            scale = np.float32(1.0 / f) if f is not None else np.float32(n) / np.float32(o)
            src = np.minimum(np.floor(dst.astype(np.float32) * scale).astype(np.int64), n - 1)
        mats.append((src[:, None] == np.arange(n)).astype(input.dtype))
    return mats


def interpolate(input, size=None, scale_factor=None, mode="nearest"):
    """Nearest-neighbour resize, like ``F.interpolate(..., mode='nearest')``.

    Shape: ``(N, C, H, W)`` -> ``(N, C, *size)`` or ``floor(H * scale_factor)`` per side.

    Taught in: chapter 4 (upsampling).
    """
    _check_input(input)
    return _resample(input, *_nearest_matrices(input, size, scale_factor, mode))


def interpolate_backward(grad_output, input, size=None, scale_factor=None, mode="nearest"):
    """Gradient of :func:`interpolate`: each input pixel collects the gradients of
    all the output pixels copied from it."""
    _check_input(input)
    rows, cols = _nearest_matrices(input, size, scale_factor, mode)
    _check_grad_output(grad_output, input, (rows.shape[0], cols.shape[0]))
    return _resample(grad_output, rows.T, cols.T)
