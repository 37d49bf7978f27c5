"""The operations of the course drawn on small arrays, step by step, with the package's numbers.

Every value in these pictures is computed by ``cnncourse.numpy.functional`` (or the formulas
of ``cnncourse.shapes``) when the figure is drawn, so a picture cannot show a wrong sum.

Taught in: chapter 2 (sliding window, channels, padding and stride), chapter 4 (pooling),
chapter 9 (transposed and depthwise separable convolution).
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from cnncourse import shapes
from cnncourse.diagrams.grids import EMPTY, HIGHLIGHT, RESULT, colour_cells, draw_grid, new_figure, number, operator
from cnncourse.numpy import functional as F


def _as_2d(array, name):
    array = np.asarray(array, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{name}: need a 2-D array (one channel), got shape {array.shape}")
    return array


def sliding_window(x, kernel, stride=1, steps=None):
    """The kernel sliding over ``x``: one row per output value, window, products and sum.

    Args:
        x: a 2-D input; kernel: a 2-D kernel; stride: the step between windows.
        steps: how many output values to show (default: all of them).

    Returns:
        A ``Figure``; each row shows the input with the window, the kernel, their elementwise
        product and the output filled in up to that value.
    """
    x, kernel = _as_2d(x, "x"), _as_2d(kernel, "kernel")
    out = F.conv2d(x[None, None], kernel[None, None], stride=stride)[0, 0]
    (kh, kw), positions = kernel.shape, list(np.ndindex(out.shape))
    positions = positions[:steps] if steps else positions
    fig = new_figure(7.2, 1.9 * len(positions))
    axes = fig.subplots(len(positions), 7, gridspec_kw={"width_ratios": [3, 0.5, 2, 0.5, 2, 0.5, 2.4]})
    for row, (i, j) in zip(np.atleast_2d(axes), positions):
        window = np.s_[i * stride:i * stride + kh, j * stride:j * stride + kw]
        products = x[window] * kernel
        done = np.zeros(out.shape, bool)
        done.flat[:np.ravel_multi_index((i, j), out.shape) + 1] = True
        draw_grid(row[0], x, colours=colour_cells(x.shape, window, HIGHLIGHT))
        operator(row[1], "⊙")
        draw_grid(row[2], kernel)
        operator(row[3], "=")
        draw_grid(row[4], products, colours=colour_cells(products.shape, np.s_[:, :], HIGHLIGHT))
        operator(row[5], "→", fontsize=13)
        row[5].text(0.5, 0.15, f"sum {number(products.sum())}", ha="center", fontsize=9)
        draw_grid(row[6], out, colours=colour_cells(out.shape, (i, j), RESULT), blank=~done)
    titles = ("input", "", "kernel", "", "products", "", "output")
    for ax, title in zip(np.atleast_2d(axes)[0], titles):
        ax.set_title(title, fontsize=11)
    return fig


def channel_sum(x, weight):
    """One output channel from several input channels: each channel correlated with its own
    kernel slice, and the per-channel results summed.

    Args:
        x: ``(C_in, H, W)``; weight: ``(C_in, k, k)``, the slices of one kernel.
    """
    x, weight = np.asarray(x, float), np.asarray(weight, float)
    if x.ndim != 3 or weight.ndim != 3 or x.shape[0] != weight.shape[0]:
        raise ValueError(f"x (C_in, H, W) and weight (C_in, k, k) must share C_in; got {x.shape}, {weight.shape}")
    partial = [F.conv2d(x[None, [c]], weight[None, [c]])[0, 0] for c in range(len(x))]
    total = F.conv2d(x[None], weight[None])[0, 0]
    fig = new_figure(7.2, 1.9 * len(x) + 1.9)
    axes = fig.subplots(len(x) + 1, 5, gridspec_kw={"width_ratios": [3, 0.5, 2, 0.5, 2]})
    for c, row in enumerate(axes[:-1]):
        draw_grid(row[0], x[c], title=f"input channel {c}")
        operator(row[1], "⋆")
        draw_grid(row[2], weight[c], title=f"kernel slice {c}")
        operator(row[3], "=")
        draw_grid(row[4], partial[c], title=f"channel {c}'s part")
    last = axes[-1]
    for ax in last[:3]:
        ax.set_axis_off()
    operator(last[3], "Σ")
    draw_grid(last[4], total, colours=colour_cells(total.shape, np.s_[:, :], RESULT), title="output channel")
    return fig


def window_positions(ax, n, kernel_size, stride=1, padding=0, dilation=1):
    """Where the windows of one convolution land on an ``n`` x ``n`` input (one axis each way).

    Grey cells are the input, white the zero padding (``padding`` may be ``((top, bottom),
    (left, right))``); red circles are the taps of the first window, dots the centre of every
    window, i.e. one per output value. Kernel, stride and dilation may be pairs (rows, columns).
    """
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    dh, dw = (dilation, dilation) if np.isscalar(dilation) else dilation
    (top, bottom), (left, right) = ((padding, padding),) * 2 if np.isscalar(padding) else padding
    rows, cols = n + top + bottom, n + left + right
    out_h = (rows - dh * (kh - 1) - 1) // sh + 1
    out_w = (cols - dw * (kw - 1) - 1) // sw + 1
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), n, n, color="0.85"))
    for i in range(out_h):
        for j in range(out_w):
            ax.plot(j * sw + dw * (kw - 1) / 2, i * sh + dh * (kh - 1) / 2, "k.", ms=4)
    taps_r, taps_c = np.meshgrid(np.arange(kh) * dh, np.arange(kw) * dw, indexing="ij")
    ax.scatter(taps_c, taps_r, s=60, facecolors="none", edgecolors="tab:red")
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xticks(np.arange(cols + 1) - 0.5, labels=[])
    ax.set_yticks(np.arange(rows + 1) - 0.5, labels=[])
    ax.tick_params(length=0)
    ax.grid(True, color="0.6", lw=0.5)
    ax.set_aspect("equal")
    ax.set_title(f"{out_h}×{out_w} outputs", fontsize=10)
    return out_h, out_w


def pooling_windows(x, kernel_size=2, stride=None, mode="max"):
    """Pooling windows coloured on the input, and the pooled output (max or average)."""
    x = _as_2d(x, "x")
    stride = kernel_size if stride is None else stride
    pool = {"max": F.max_pool2d, "avg": F.avg_pool2d}.get(mode)
    if pool is None:
        raise ValueError(f"mode: must be 'max' or 'avg', got {mode!r}")
    out = pool(x[None, None], kernel_size, stride)[0, 0]
    palette = ["#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec", "#f2f2f2"]
    colours_in = np.full(x.shape, EMPTY, dtype=object)
    colours_out = np.empty(out.shape, dtype=object)
    for k, (i, j) in enumerate(np.ndindex(out.shape)):
        colours_in[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] = palette[k % 9]
        colours_out[i, j] = palette[k % 9]
    fig = new_figure(6.4, 3.0)
    a, b, c = fig.subplots(1, 3, gridspec_kw={"width_ratios": [x.shape[1], 1.2, out.shape[1]]})
    draw_grid(a, x, title="input", colours=colours_in)
    operator(b, f"{mode} pool\n{kernel_size}×{kernel_size}, stride {stride}", fontsize=10)
    draw_grid(c, out, title="output", colours=colours_out)
    return fig


def transposed_convolution(x, kernel, stride=2):
    """A transposed convolution as stamps: each input value scales a copy of the kernel, placed
    ``stride`` apart in the output, and overlapping stamps add up."""
    x, kernel = _as_2d(x, "x"), _as_2d(kernel, "kernel")
    out = F.conv_transpose2d(x[None, None], kernel[None, None], stride=stride)[0, 0]
    k = kernel.shape[0]
    cells = list(np.ndindex(x.shape))
    fig = new_figure(7.2, 2.2 * (len(cells) + 1) / 2 + 1)
    axes = fig.subplots(-(-len(cells) // 2) + 1, 2)
    for ax, (i, j) in zip(axes.flat, cells):
        stamp = np.zeros_like(out)
        stamp[i * stride:i * stride + k, j * stride:j * stride + kernel.shape[1]] = x[i, j] * kernel
        area = np.s_[i * stride:i * stride + k, j * stride:j * stride + kernel.shape[1]]
        draw_grid(ax, stamp, colours=colour_cells(out.shape, area, HIGHLIGHT, EMPTY), fontsize=9,
                  title=f"input[{i}, {j}] = {number(x[i, j])} × kernel")
    for ax in axes.flat[len(cells):]:
        ax.set_axis_off()
    draw_grid(axes.flat[-1], out, colours=colour_cells(out.shape, np.s_[:, :], RESULT), fontsize=9,
              title="sum of the stamps = output")
    return fig


def depthwise_separable(in_channels, out_channels, kernel_size):
    """Weights of an ordinary convolution beside its depthwise separable factorisation."""
    ordinary = shapes.conv2d_parameters(in_channels, out_channels, kernel_size, bias=False)
    depthwise = shapes.conv2d_parameters(in_channels, in_channels, kernel_size, bias=False, groups=in_channels)
    pointwise = shapes.conv2d_parameters(in_channels, out_channels, 1, bias=False)
    fig = new_figure(7.2, 3.8)
    left, right = fig.subplots(1, 2)
    k = kernel_size
    _kernel_stack(left, out_channels, in_channels, k, "#92c5de")
    left.set_title(f"ordinary: {out_channels} kernels of {in_channels}×{k}×{k}\n= {ordinary:,} weights", fontsize=10)
    _kernel_stack(right, in_channels, 1, k, "#f4a582", x0=0)
    _kernel_stack(right, out_channels, in_channels, 1, "#b2df8a", x0=k + 3)
    right.set_title(f"depthwise: {in_channels} kernels of 1×{k}×{k}\n"
                    f"+ pointwise: {out_channels} kernels of {in_channels}×1×1\n"
                    f"= {depthwise:,} + {pointwise:,} = {depthwise + pointwise:,} weights", fontsize=10)
    for ax in (left, right):
        ax.set_xlim(-1, 2 * k + 6)
        ax.set_ylim(4 * (k + 1.5) + 1, -1)
        ax.set_aspect("equal")
        ax.set_axis_off()
    return fig


def _kernel_stack(ax, count, depth, k, colour, x0=0.0):
    """``count`` kernels of ``depth`` slices of k x k, drawn as offset squares in a column."""
    shown = min(count, 4)
    for n in range(shown):
        for d in range(min(depth, 4)):
            ax.add_patch(Rectangle((x0 + 0.35 * d, n * (k + 1.5) + 0.35 * d), k, k, facecolor=colour,
                                   edgecolor="0.3", linewidth=0.8))
    if count > shown:
        ax.text(x0 + k / 2, shown * (k + 1.5) + 0.2, "⋮", ha="center", fontsize=14)
