"""Right values, wrong method: conv2d_loops without a loop (sliding_window_view + einsum) and
conv2d_im2col as the same function."""
# %% solution
# %% conv2d_loops_answer
from numpy.lib.stride_tricks import sliding_window_view


def conv2d_loops(input, weight, bias=None, stride=1, padding=0):
    if input.shape[1] != weight.shape[1]:
        raise ValueError("channel counts disagree")
    x = np.pad(input, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x, weight.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwij,ocij->nohw", windows, weight)
    return out if bias is None else out + bias[None, :, None, None]
# %% conv2d_im2col_answer
def im2col(input, kernel_size, stride=1, padding=0):
    n, c, h, w = input.shape
    k = kernel_size
    x = np.pad(input, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out, w_out = conv_output_size(h, k, stride, padding), conv_output_size(w, k, stride, padding)
    cols = np.empty((n, c, k, k, h_out, w_out))
    for a in range(k):
        for d in range(k):
            cols[:, :, a, d] = x[:, :, a:a + stride * h_out:stride, d:d + stride * w_out:stride]
    return cols.reshape(n, c * k * k, h_out * w_out)


conv2d_im2col = conv2d_loops
