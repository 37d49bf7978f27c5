"""A correct conv2d_im2col that never uses its im2col (which returns the wrong layout)."""
# %% solution
# %% conv2d_im2col_answer
def im2col(input, kernel_size, stride=1, padding=0):
    n, c, h, w = input.shape
    return np.zeros((n, c * kernel_size ** 2, 1))


def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):
    n, c, h, w = input.shape
    k = weight.shape[2]
    x = np.pad(input, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out, w_out = conv_output_size(h, k, stride, padding), conv_output_size(w, k, stride, padding)
    out = np.zeros((n, weight.shape[0], h_out, w_out))
    for a in range(k):
        for d in range(k):
            patch = x[:, :, a:a + stride * h_out:stride, d:d + stride * w_out:stride]
            out += np.einsum("nchw,oc->nohw", patch, weight[:, :, a, d])
    return out if bias is None else out + bias[None, :, None, None]
