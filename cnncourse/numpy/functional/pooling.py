"""Pooling and nearest-neighbour resizing in NumPy, with their gradients.

Arguments and results follow ``torch.nn.functional`` (NCHW). Windowed pools loop
over the few kernel offsets, not over the many output positions: each offset is
one strided slice of the whole batch, so ``max_pool2d`` is a running
``np.maximum`` of ``kH * kW`` slices. The backward passes add each output
gradient back onto the window it came from, with the same ``col2im`` the
convolution uses.

Adaptive average pooling and nearest-neighbour resizing are linear maps that act
on rows and columns separately, so both are ``rows @ x @ columns.T`` with small
matrices, and their gradients are the same product with the matrices transposed.
"""
import numbers

import numpy as np

from cnncourse import shapes
from ._im2col import col2im, pad2d, window_slices
from ._validate import _pair, check_float, check_ndim, check_positive, check_shape

__all__ = [
    "max_pool2d", "max_pool2d_backward",
    "avg_pool2d", "avg_pool2d_backward",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward",
    "interpolate", "interpolate_backward",
]


def _check_input(input):
    return check_float(check_ndim(input, 4, "input", "(N, C, H, W)"), "input")


def _pool_setup(input, kernel_size, stride, padding, dilation, ceil_mode):
    """Validate; return the window geometry ``(kernel, stride, dilation, out_size)`` and
    the padding ``((top, bottom), (left, right))`` that makes every window fit.

    The bottom/right amount covers exactly the last window: more than ``padding``
    with ``ceil_mode``, or negative (a crop) when the last rows fall in no window.
    """
    _check_input(input)
    kernel = _pair(check_positive(kernel_size, "kernel_size"), "kernel_size")
    # torch treats stride=None (and an empty list) as "same as the kernel"
    stride = kernel if stride is None or stride == [] or stride == () else stride
    out_size = shapes.pool2d_output_size(input.shape[2:], kernel, stride, padding, dilation,
                                         ceil_mode)
    stride, padding, dilation = (_pair(stride, "stride"), _pair(padding, "padding"),
                                 _pair(dilation, "dilation"))
    pads = []
    for size, k, s, p, d, o in zip(input.shape[2:], kernel, stride, padding, dilation, out_size):
        needed = (o - 1) * s + d * (k - 1) + 1  # padded extent the windows read
        pads.append((p, needed - size - p))
    return (kernel, stride, dilation, tuple(out_size)), tuple(pads)


def _check_grad_output(grad_output, input, out_size):
    check_shape(grad_output, input.shape[:2] + out_size, "grad_output")
    if grad_output.dtype != input.dtype:
        raise ValueError(f"grad_output dtype {grad_output.dtype} differs from input dtype "
                         f"{input.dtype}")


def _spread_back(per_offset, input, geometry, pads):
    """Input gradient from ``per_offset[n, c, i, j, p, q]``, the gradient reaching
    input pixel ``(p*s + i*d, q*s + j*d)`` (padded coordinates) from output ``(p, q)``."""
    kernel, stride, dilation, out_size = geometry
    padded_size = tuple(size + a + b for size, (a, b) in zip(input.shape[2:], pads))
    grad = col2im(per_offset, padded_size, stride, dilation)
    return pad2d(grad, tuple((-a, -b) for a, b in pads))


# --- max pooling ----------------------------------------------------------------

def _max_and_offset(input, geometry, pads):
    """Window maxima and, for each, which kernel offset ``i * kW + j`` held it.

    Ties go to the first offset in row-major order and NaN wins, as in PyTorch.
    """
    kernel, stride, dilation, out_size = geometry
    x = pad2d(input, pads, value=-np.inf)
    best = offset = None
    for (i, j), where in window_slices(kernel, stride, dilation, out_size):
        candidate = x[where]
        if best is None:
            best, offset = candidate.copy(), np.zeros(candidate.shape, dtype=np.int64)
            continue
        better = candidate > best
        better |= np.isnan(candidate)
        np.copyto(best, candidate, where=better)  # ~10x faster than boolean indexing
        np.copyto(offset, i * kernel[1] + j, where=better)
    return best, offset


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Largest value of each window, like ``F.max_pool2d``; padding counts as -inf.

    With ``return_indices``, also the flat index ``row * W + col`` of each maximum in
    its input plane (what ``F.max_unpool2d`` expects).
    """
    geometry, pads = _pool_setup(input, kernel_size, stride, padding, dilation, ceil_mode)
    kernel, stride, dilation, out_size = geometry
    if return_indices:
        out, offset = _max_and_offset(input, geometry, pads)
        i, j = np.divmod(offset, kernel[1])
        rows = np.arange(out_size[0])[:, None] * stride[0] + i * dilation[0] - pads[0][0]
        cols = np.arange(out_size[1]) * stride[1] + j * dilation[1] - pads[1][0]
        return out, rows * input.shape[3] + cols
    x = pad2d(input, pads, value=-np.inf)
    out = None
    for _, where in window_slices(kernel, stride, dilation, out_size):
        # np.maximum on strided slices: ~35x faster than reshape + max for 2x2.
        out = x[where].copy() if out is None else np.maximum(out, x[where], out=out)
    return out


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    """Gradient of :func:`max_pool2d`: each output gradient goes to its window's maximum."""
    geometry, pads = _pool_setup(input, kernel_size, stride, padding, dilation, ceil_mode)
    kernel, _, _, out_size = geometry
    _check_grad_output(grad_output, input, out_size)
    _, offset = _max_and_offset(input, geometry, pads)
    offsets = np.arange(kernel[0] * kernel[1]).reshape(kernel)[:, :, None, None]
    winners = offset[:, :, None, None] == offsets                # (N, C, kH, kW, Ho, Wo)
    per_offset = np.where(winners, grad_output[:, :, None, None], 0).astype(input.dtype)
    return _spread_back(per_offset, input, geometry, pads)


# --- average pooling --------------------------------------------------------------

def _avg_divisor(input, geometry, pads, count_include_pad, divisor_override):
    """What each window sum is divided by, shaped ``(H_out, W_out)``, as PyTorch does:
    the window clipped to the padded input (``count_include_pad``) or to the input."""
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override,
                                                                numbers.Integral) \
                or divisor_override == 0:
            raise ValueError(f"divisor_override must be a nonzero int, got {divisor_override!r}")
        return divisor_override
    kernel, stride, _, out_size = geometry
    counts = []
    for size, k, s, (p, _), o in zip(input.shape[2:], kernel, stride, pads, out_size):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.outer(*counts).astype(input.dtype)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean of each window, like ``F.avg_pool2d`` (padding counts as zeros)."""
    geometry, pads = _pool_setup(input, kernel_size, stride, padding, 1, ceil_mode)
    x = pad2d(input, pads)
    total = None
    for _, where in window_slices(*geometry):
        total = x[where].copy() if total is None else np.add(total, x[where], out=total)
    return total / _avg_divisor(input, geometry, pads, count_include_pad, divisor_override)


def avg_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None):
    """Gradient of :func:`avg_pool2d`: each output gradient, divided like the forward,
    is shared by every pixel of its window."""
    geometry, pads = _pool_setup(input, kernel_size, stride, padding, 1, ceil_mode)
    kernel, _, _, out_size = geometry
    _check_grad_output(grad_output, input, out_size)
    share = grad_output / _avg_divisor(input, geometry, pads, count_include_pad,
                                       divisor_override)
    per_offset = np.broadcast_to(share[:, :, None, None], share.shape[:2] + kernel + out_size)
    return _spread_back(per_offset, input, geometry, pads)


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
    return _pair(check_positive(size, name), name)


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
    """Average pooling to a fixed ``output_size``, like ``F.adaptive_avg_pool2d``."""
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
        raise ValueError("give exactly one of size and scale_factor")
    if size is not None:
        out = _target_size(input, size, "size")
        scales = (None, None)
    else:
        scales = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * 2
        if len(scales) != 2 or not all(isinstance(f, numbers.Real) and f > 0 for f in scales):
            raise ValueError(f"scale_factor must be a positive number or pair, "
                             f"got {scale_factor!r}")
        out = tuple(int(np.floor(n * f)) for n, f in zip(input.shape[2:], scales))
        check_positive(out, "output size (input size * scale_factor)")
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
    """Nearest-neighbour resize, like ``F.interpolate(..., mode='nearest')``."""
    _check_input(input)
    return _resample(input, *_nearest_matrices(input, size, scale_factor, mode))


def interpolate_backward(grad_output, input, size=None, scale_factor=None, mode="nearest"):
    """Gradient of :func:`interpolate`: each input pixel collects the gradients of
    all the output pixels copied from it."""
    _check_input(input)
    rows, cols = _nearest_matrices(input, size, scale_factor, mode)
    _check_grad_output(grad_output, input, (rows.shape[0], cols.shape[0]))
    return _resample(grad_output, rows.T, cols.T)
