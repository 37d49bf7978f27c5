"""Answer cells of a1-convolution written by hand for the tests, as students would write them.

``INDEPENDENT`` is a second honest solution, written without looking at the instructor's:
other helpers, other loop orders, values computed rather than typed. ``DISGUISED`` is a
copy of it as a student hides one: every variable renamed, helper functions moved and
reordered, comments changed; the logic and the order of statements inside each function
stay. Both earn every automatic point (the tests check that too).
"""

INDEPENDENT = {
    "pooling_question": "max(2, 0, 3, 1) is 3. The output is 4x4 (5 - 2 + 1 = 4) and pooling has no parameters.",
    "speed_question": "About a million multiply-adds (10 x 31 x 31 x 108). One big matrix product runs in BLAS; "
                      "the loops run in Python. The columns copy every window, so im2col needs about 8 times "
                      "the memory of the input.",
    "hand_outputs_answer": '''
def correlate_valid(image, kernel):
    size = image.shape[0] - kernel.shape[0] + 1
    result = np.zeros((size, size))
    for row in range(size):
        for col in range(size):
            result[row, col] = (image[row:row + 3, col:col + 3] * kernel).sum()
    return result

Y0, Y1, Y2 = correlate_valid(X, W0), correlate_valid(X, W1), correlate_valid(X, W2)
''',
    "shapes_answer": '''
def conv_output_size(size, kernel_size, stride=1, padding=0):
    """Output height (or width) of a convolution or pooling window."""
    return 1 + (size - kernel_size + 2 * padding) // stride

side_a, side_b, side_c = conv_output_size(64, 6, 2, 1), conv_output_size(17, 5), conv_output_size(24, 2, 2)
shape_a, params_a = (10, side_a, side_a), 10 * (3 * 6 ** 2 + 1)
shape_b, params_b = (10, side_b, side_b), 10 * (8 * 5 ** 2 + 1)
shape_c, params_c = (3, side_c, side_c), 0
''',
    "pooling_answer": '''
blocks = P.reshape(2, 3, 2, 3, 2)
pool_max = blocks.max(axis=(2, 4))
pool_avg = blocks.mean(axis=(2, 4))
''',
    "conv2d_loops_answer": '''
def conv2d_loops(input, weight, bias=None, stride=1, padding=0):
    N, C, H, W = input.shape
    F, C2, KH, KW = weight.shape
    if C != C2:
        raise ValueError(f"channel mismatch: {C} vs {C2}")
    xp = np.pad(input, [(0, 0), (0, 0), (padding, padding), (padding, padding)], mode="constant")
    Ho = (H + 2 * padding - KH) // stride + 1
    Wo = (W + 2 * padding - KW) // stride + 1
    y = np.empty((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for r in range(Ho):
                for c in range(Wo):
                    patch = xp[n, :, r * stride:r * stride + KH, c * stride:c * stride + KW]
                    y[n, f, r, c] = np.sum(patch * weight[f]) + (0.0 if bias is None else bias[f])
    return y
''',
    "conv2d_im2col_answer": '''
def out_side(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def im2col(input, kernel_size, stride=1, padding=0):
    N, C, H, W = input.shape
    k = kernel_size
    xp = np.pad(input, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    Ho, Wo = out_side(H, k, stride, padding), out_side(W, k, stride, padding)
    cols = np.zeros((N, C * k * k, Ho * Wo), dtype=input.dtype)
    position = 0
    for r in range(Ho):
        for c in range(Wo):
            patch = xp[:, :, r * stride:r * stride + k, c * stride:c * stride + k]
            cols[:, :, position] = patch.reshape(N, -1)
            position += 1
    return cols


def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):
    N, C, H, W = input.shape
    F, C2, k, _ = weight.shape
    if C != C2:
        raise ValueError(f"channel mismatch: {C} vs {C2}")
    cols = im2col(input, k, stride, padding)
    out = np.einsum("fk,nkp->nfp", weight.reshape(F, -1), cols)
    if bias is not None:
        out = out + bias.reshape(1, F, 1)
    return out.reshape(N, F, out_side(H, k, stride, padding), out_side(W, k, stride, padding))
''',
}

DISGUISED = {
    "hand_outputs_answer": '''
def slide(picture, filt):
    n = picture.shape[0] - filt.shape[0] + 1
    grid = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            grid[a, b] = (picture[a:a + 3, b:b + 3] * filt).sum()
    return grid

Y0, Y1, Y2 = slide(X, W0), slide(X, W1), slide(X, W2)
''',
    "shapes_answer": '''
def conv_output_size(size, kernel_size, stride=1, padding=0):
    """Output height (or width) of a convolution or pooling window."""
    return 1 + (size - kernel_size + 2 * padding) // stride

sa, sb, sc = conv_output_size(64, 6, 2, 1), conv_output_size(17, 5), conv_output_size(24, 2, 2)
shape_a, params_a = (10, sa, sa), 10 * (3 * 6 ** 2 + 1)
shape_b, params_b = (10, sb, sb), 10 * (8 * 5 ** 2 + 1)
shape_c, params_c = (3, sc, sc), 0
''',
    "pooling_answer": '''
tiles = P.reshape(2, 3, 2, 3, 2)
pool_max = tiles.max(axis=(2, 4))
pool_avg = tiles.mean(axis=(2, 4))
''',
    "conv2d_loops_answer": '''
def conv2d_loops(input, weight, bias=None, stride=1, padding=0):
    batch, chans, height, width = input.shape
    filters, chans2, kh, kw = weight.shape
    if chans != chans2:
        raise ValueError(f"bad channels: {chans} / {chans2}")
    padded = np.pad(input, [(0, 0), (0, 0), (padding, padding), (padding, padding)], mode="constant")
    oh = (height + 2 * padding - kh) // stride + 1
    ow = (width + 2 * padding - kw) // stride + 1
    result = np.empty((batch, filters, oh, ow))
    for b in range(batch):
        for o in range(filters):
            for i in range(oh):
                for j in range(ow):
                    window = padded[b, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    result[b, o, i, j] = np.sum(window * weight[o]) + (0.0 if bias is None else bias[o])
    return result
''',
    "conv2d_im2col_answer": '''
def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):
    batch, chans, height, width = input.shape
    nf, chans2, ks, _ = weight.shape
    if chans != chans2:
        raise ValueError(f"bad channels: {chans} / {chans2}")
    matrix = im2col(input, ks, stride, padding)
    res = np.einsum("fk,nkp->nfp", weight.reshape(nf, -1), matrix)
    if bias is not None:
        res = res + bias.reshape(1, nf, 1)
    return res.reshape(batch, nf, side_of(height, ks, stride, padding), side_of(width, ks, stride, padding))


def im2col(input, kernel_size, stride=1, padding=0):
    batch, chans, height, width = input.shape
    ks = kernel_size
    padded = np.pad(input, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    oh, ow = side_of(height, ks, stride, padding), side_of(width, ks, stride, padding)
    matrix = np.zeros((batch, chans * ks * ks, oh * ow), dtype=input.dtype)
    idx = 0
    for i in range(oh):
        for j in range(ow):
            window = padded[:, :, i * stride:i * stride + ks, j * stride:j * stride + ks]
            matrix[:, :, idx] = window.reshape(batch, -1)
            idx += 1
    return matrix


def side_of(n, ks, stride, padding):
    return (n + 2 * padding - ks) // stride + 1
''',
}
