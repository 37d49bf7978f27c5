"""The backward pass of a convolution and of pooling, drawn on small arrays (chapter 5).

Every gradient in these pictures comes from the package's backward functions
(``cnncourse.numpy.functional.conv2d_backward``, ``max_pool2d_backward``,
``avg_pool2d_backward``) when the figure is drawn; the products and sums the pictures show
are checked against them, so a picture cannot show a gradient the code does not compute.

- :func:`weight_gradient`: each weight meets one input value per output position; its
  gradient is the input correlated with the (dilated) output gradient.
- :func:`input_gradient`: the input gradient is a full correlation of the (dilated, padded)
  output gradient with the kernel rotated by 180 degrees.
- :func:`pool_backward`: max pooling routes each output gradient to its window's maximum,
  average pooling spreads it evenly over the window.

Taught in: chapter 5 (backpropagation in CNNs).
"""
from __future__ import annotations

import numpy as np

from cnncourse import shapes
from cnncourse.diagrams.grids import EMPTY, HIGHLIGHT, RESULT, colour_cells, draw_grid, new_figure, number, operator
from cnncourse.numpy import functional as F

# Cells of a window that meet an inserted zero of the dilated gradient: read, but contribute 0.
FAINT = "#fde0d2"
# The zeros a backward pass inserts (dilation) or adds around (padding): not gradient values.
ZERO = "#dddddd"
# One colour per pooling window (light, distinct, legible under black digits).
WINDOW_PALETTE = ("#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd",
                  "#fddaec", "#d9d9d9")


def _as_2d(array, name):
    array = np.asarray(array, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{name}: need a 2-D array (one channel), got shape {array.shape}")
    return array


def dilate(grad, stride):
    """Insert ``stride - 1`` zeros between the rows and the columns of a 2-D array."""
    grad = _as_2d(grad, "grad")
    h, w = grad.shape
    out = np.zeros(((h - 1) * stride + 1, (w - 1) * stride + 1))
    out[::stride, ::stride] = grad
    return out


def _check_output_gradient(x_shape, grad_shape, kernel_shape, stride):
    expected = tuple(shapes.conv2d_output_size(n, k, stride=stride) for n, k in zip(x_shape, kernel_shape))
    if tuple(grad_shape) != expected:
        raise ValueError(f"grad_output: a {x_shape[0]}x{x_shape[1]} input with a {kernel_shape[0]}x"
                         f"{kernel_shape[1]} kernel and stride {stride} gives a {expected[0]}x{expected[1]} "
                         f"output, so its gradient must have that shape; got {tuple(grad_shape)}")


def _positions(shape, chosen, name):
    """The (row, column) positions of a ``shape`` grid to draw: all of them, or those ``chosen``."""
    every = list(np.ndindex(shape))
    if chosen is None:
        return every
    chosen = [tuple(int(v) for v in p) for p in chosen]
    outside = [p for p in chosen if p not in every]
    if outside or not chosen:
        raise ValueError(f"{name}: positions inside a {shape[0]}x{shape[1]} grid, got {chosen}")
    return chosen


def weight_gradient(x, grad_output, kernel_size, stride=1, weights=None):
    """Each weight's gradient, one row per weight: the input values it meets, times the output gradient.

    Weight ``(u, v)`` multiplies input ``x[i*s + u, j*s + v]`` to make output ``(i, j)``, so its
    gradient is the sum over the output of ``dL/do[i, j]`` times that input. Laid out as a
    correlation: the window of the input starting at ``(u, v)``, times the output gradient
    *dilated* by ``stride - 1`` zeros (cells that meet an inserted zero are drawn faint).

    Args:
        x: a 2-D input; grad_output: ``dL/do``, of the convolution's output shape.
        kernel_size: the kernel's side ``k`` (int) or ``(kh, kw)``; stride: the convolution's stride.
        weights: the ``(u, v)`` to draw (default: every weight of the kernel).

    Returns:
        A ``Figure``: per row the input with the window, the dilated output gradient, their
        products, and ``dL/dw`` filled in up to that weight.
    """
    x, grad = _as_2d(x, "x"), _as_2d(grad_output, "grad_output")
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    _check_output_gradient(x.shape, grad.shape, (kh, kw), stride)
    _, grad_w, _ = F.conv2d_backward(grad[None, None], x[None, None], np.zeros((1, 1, kh, kw)), stride=stride)
    grad_w = grad_w[0, 0]
    spread = dilate(grad, stride)
    rows = _positions((kh, kw), weights, "weights")
    fig = new_figure(7.0, 1.9 * len(rows) + 0.3)
    axes = np.atleast_2d(fig.subplots(len(rows), 7, gridspec_kw={
        "width_ratios": [x.shape[1], 0.6, spread.shape[1], 0.6, spread.shape[1], 0.7, kw]}))
    for row, (u, v) in zip(axes, rows):
        window = np.s_[u:u + spread.shape[0], v:v + spread.shape[1]]
        products = x[window] * spread
        if not np.isclose(products.sum(), grad_w[u, v]):
            raise AssertionError(f"the products of weight ({u}, {v}) do not sum to conv2d_backward's gradient")
        colours = colour_cells(x.shape, window, FAINT)
        colours[u:u + spread.shape[0]:stride, v:v + spread.shape[1]:stride] = HIGHLIGHT
        done = np.zeros((kh, kw), bool)
        done.flat[:np.ravel_multi_index((u, v), (kh, kw)) + 1] = True
        draw_grid(row[0], x, colours=colours)
        operator(row[1], "⊙")
        draw_grid(row[2], spread, colours=np.where(dilate(np.ones_like(grad), stride) > 0, "white", ZERO))
        operator(row[3], "=")
        draw_grid(row[4], products, colours=np.where(dilate(np.ones_like(grad), stride) > 0, HIGHLIGHT, ZERO))
        operator(row[5], "→", fontsize=13)
        row[5].text(0.5, 0.12, f"sum {number(products.sum())}", ha="center", fontsize=10)
        row[5].text(0.5, 0.85, f"w{u}{v}", ha="center", fontsize=10)
        draw_grid(row[6], grad_w, colours=colour_cells(grad_w.shape, (u, v), RESULT), blank=~done)
    gradient_title = "dL/do" if stride == 1 else f"dL/do, dilated\n(stride {stride})"
    for ax, title in zip(axes[0], ("input x", "", gradient_title, "", "products", "", "dL/dw")):
        ax.set_title(title, fontsize=10)
    return fig


def input_gradient(grad_output, kernel, stride=1, positions=None):
    """The input gradient as a full correlation, one row per input position drawn.

    The output gradient is dilated by ``stride - 1`` zeros and padded by ``k - 1`` zeros on
    every side; the kernel, rotated by 180 degrees, slides over it, and each window's sum of
    products is one value of ``dL/dx``.

    Args:
        grad_output: ``dL/do`` (2-D); kernel: the layer's 2-D kernel; stride: its stride.
        positions: the ``(m, n)`` of ``dL/dx`` to draw (default: every position).

    Returns:
        A ``Figure``: per row the padded gradient with the window, the rotated kernel, and
        ``dL/dx`` filled in up to that position. The values equal ``conv2d_backward``'s.
    """
    grad, kernel = _as_2d(grad_output, "grad_output"), _as_2d(kernel, "kernel")
    kh, kw = kernel.shape
    size = ((grad.shape[0] - 1) * stride + kh, (grad.shape[1] - 1) * stride + kw)
    grad_x, _, _ = F.conv2d_backward(grad[None, None], np.zeros((1, 1, *size)), kernel[None, None], stride=stride)
    grad_x = grad_x[0, 0]
    padded = np.pad(dilate(grad, stride), ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    rotated = kernel[::-1, ::-1]
    is_gradient = np.pad(dilate(np.ones_like(grad), stride), ((kh - 1, kh - 1), (kw - 1, kw - 1))) > 0
    rows = _positions(grad_x.shape, positions, "positions")
    fig = new_figure(7.0, 2.3 * len(rows) + 0.3)
    axes = np.atleast_2d(fig.subplots(len(rows), 5, gridspec_kw={
        "width_ratios": [padded.shape[1], 0.8, kw, 0.8, grad_x.shape[1]]}))
    for row, (m, n) in zip(axes, rows):
        window = np.s_[m:m + kh, n:n + kw]
        value = float((padded[window] * rotated).sum())
        if not np.isclose(value, grad_x[m, n]):
            raise AssertionError(f"the window at ({m}, {n}) does not give conv2d_backward's input gradient")
        colours = np.where(is_gradient, "white", ZERO).astype(object)
        colours[window] = HIGHLIGHT
        done = np.zeros(grad_x.shape, bool)
        done.flat[:np.ravel_multi_index((m, n), grad_x.shape) + 1] = True
        draw_grid(row[0], padded, colours=colours, fontsize=10)
        operator(row[1], "⋆", fontsize=24)
        draw_grid(row[2], rotated, fontsize=10)
        operator(row[3], "=")
        row[3].text(0.5, 0.15, f"sum {number(value)}", ha="center", fontsize=10)
        draw_grid(row[4], grad_x, colours=colour_cells(grad_x.shape, (m, n), RESULT), blank=~done, fontsize=10)
    padded_title = (f"dL/do padded by k-1 = {kh - 1}" if stride == 1
                    else f"dL/do dilated (stride {stride})\nand padded by k-1 = {kh - 1}")
    for ax, title in zip(axes[0], (padded_title, "", "kernel\nrotated 180°", "", "dL/dx")):
        ax.set_title(title, fontsize=10)
    return fig


def pool_backward(x, grad_output, kernel_size=2, stride=None, mode="max"):
    """Pooling forward (top row) and backward (bottom row), each window in its own colour.

    Max pooling passes each window's maximum (drawn bold in the input) and sends the whole
    output gradient back to that one cell; average pooling sends ``1/k²`` of it to every cell
    of the window. Windows must not overlap (``stride >= kernel_size``), so that each input
    cell has one colour.
    """
    x, grad = _as_2d(x, "x"), _as_2d(grad_output, "grad_output")
    stride = kernel_size if stride is None else stride
    if stride < kernel_size:
        raise ValueError(f"stride: the picture colours each window, so windows must not overlap "
                         f"(stride >= kernel_size = {kernel_size}); got {stride}")
    forward, backward = {"max": (F.max_pool2d, F.max_pool2d_backward),
                         "avg": (F.avg_pool2d, F.avg_pool2d_backward)}.get(mode, (None, None))
    if forward is None:
        raise ValueError(f"mode: must be 'max' or 'avg', got {mode!r}")
    out = forward(x[None, None], kernel_size, stride)[0, 0]
    if grad.shape != out.shape:
        raise ValueError(f"grad_output: must have the pooled shape {out.shape}, got {grad.shape}")
    grad_x = backward(grad[None, None], x[None, None], kernel_size, stride)[0, 0]
    chosen = backward(np.ones((1, 1, *out.shape)), x[None, None], kernel_size, stride)[0, 0] > 0
    colours_in = np.full(x.shape, EMPTY, dtype=object)
    colours_out = np.empty(out.shape, dtype=object)
    for k, (i, j) in enumerate(np.ndindex(out.shape)):
        colours_in[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] = \
            WINDOW_PALETTE[k % len(WINDOW_PALETTE)]
        colours_out[i, j] = WINDOW_PALETTE[k % len(WINDOW_PALETTE)]
    fig = new_figure(6.4, 6.4)
    (a, b, c), (d, e, f) = fig.subplots(2, 3, gridspec_kw={"width_ratios": [x.shape[1], 1.6, out.shape[1]]})
    draw_grid(a, x, title="input x", colours=colours_in)
    if mode == "max":
        for text in a.texts:
            r, col = int(text.get_position()[1]), int(text.get_position()[0])
            if chosen[r, col]:
                text.set_fontweight("bold")
                text.set_fontsize(13)
    operator(b, f"{mode} pool\n{kernel_size}×{kernel_size}\nstride {stride}", fontsize=10)
    draw_grid(c, out, title="output o", colours=colours_out)
    draw_grid(d, grad_x, title="dL/dx", colours=colours_in, fontsize=10)
    operator(e, "← routes" if mode == "max" else "← spreads", fontsize=10)
    draw_grid(f, grad, title="dL/do", colours=colours_out)
    return fig
