"""The source texts' worked-example data, and answer keys for their exercises.

Inputs are transcribed from `/work/shared/seeds/` (ids as in `notes/seed-inventory.md`:
S0 TF book ch.10, S1 lecture notes, S2 PyTorch book ch.8, S3 PyTorch tutorial).
Every expected value below was recomputed with ``torch.nn.functional`` in float64 (and,
for parameter counts, with Keras ``count_params()`` on the texts' own layer lists)
before it was written down; where a text printed something else, the comment says so.
"""
import numpy as np


def nchw(rows):
    """A single-image, single-channel NCHW float64 array from a list of rows."""
    return np.asarray(rows, dtype=np.float64)[None, None]


# --- S3 4.2.1 / 4.2.6 / 4.2.7 (d2l-style examples) ---------------------------
D2L_X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
D2L_K = [[0, 1], [2, 3]]
D2L_CORR = [[19, 25], [37, 43]]
D2L_MAXPOOL = [[4, 5], [7, 8]]
D2L_AVGPOOL = [[2, 3], [5, 6]]  # the same windows averaged (the text prints only max)
D2L_X2 = [D2L_X, [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
D2L_K2 = [D2L_K, [[1, 2], [3, 4]]]
D2L_CORR2 = [[56, 72], [104, 120]]

# --- S0 10.2.1: the first receptive field and the kernel ---------------------
TF_FIELD = [[1, -1, 0], [-1, -2, 2], [1, 2, -2]]
TF_KERNEL = [[-1, 1, 2], [1, -1, 3], [0, -1, -2]]
TF_HADAMARD = [[-1, -1, 0], [-1, 2, 6], [0, -2, 4]]
TF_FIELD_SUM = 7

# --- S0 Table 10.2 -------------------------------------------------------------
KERNEL_IDENTITY = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
KERNEL_SHARPEN = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
KERNEL_BLUR = [[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]]
KERNEL_EDGE = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]  # printed as "Edge-sharpen"

# --- S0 10.11.2: transposed convolution round trips --------------------------
TRANSPOSE_W = [[-1, 2, -3], [4, -5, 6], [-7, 8, -9]]
TRANSPOSE_X5 = np.arange(1, 26, dtype=np.float64).reshape(5, 5)
TRANSPOSE_CONV5 = [[-67, -77], [-117, -127]]  # conv, stride 2, VALID
TRANSPOSE_BACK5 = [
    [67, -134, 278, -154, 231],
    [-268, 335, -710, 385, -462],
    [586, -770, 1620, -870, 1074],
    [-468, 585, -1210, 635, -762],
    [819, -936, 1942, -1016, 1143],
]
# In[11]-Out[13]: a random 6x6 input gave this 2x2 output (float32 print); its
# transposed convolution back to 6x6 (output_padding 1) starts with this row.
TRANSPOSE_RANDOM_OUT = [[20.438847, 19.160788], [0.8098897, -28.30303]]
TRANSPOSE_6X6_ROW0 = [-20.438847, 40.877693, -80.477325, 38.321575, -57.48236, 0.0]
TRANSPOSE_X4 = np.arange(1, 17, dtype=np.float64).reshape(4, 4)
TRANSPOSE_CONV4 = [[-56, -61], [-76, -81]]
TRANSPOSE_BACK4 = [[56, -51, 46, 183], [-148, -35, 35, -123], [88, 35, -35, 63],
                   [532, -41, 36, 729]]

# --- S2 exercise 1: the 5x5 cross and three filters -------------------------
EX1_X = [[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0]]
EX1_W = [
    [[0, 0, 0], [1, 1, 1], [0, 0, 0]],  # W0
    [[0, 1, 0], [0, 1, 0], [0, 1, 0]],  # W1
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]],  # W2
]
EX1_Y = [  # answer key (the text gives none)
    [[1, 1, 0], [3, 3, 3], [1, 1, 0]],
    [[3, 1, 1], [3, 1, 1], [3, 1, 1]],
    [[2, 2, 1], [1, 2, 1], [2, 1, 1]],
]

# --- S2 exercise 4: pooling input x[2, 6, 6], f=2, s=2 ------------------------
EX4_X = [
    [[1, 3, 2, 1, 0, 9], [2, 9, 1, 1, 1, 2], [1, 3, 2, 3, 5, 5],
     [5, 6, 1, 2, 2, 7], [9, 7, 4, 1, 8, 8], [1, 3, 7, 2, 1, 7]],
    [[4, 7, 2, 8, 3, 0], [2, 0, 1, 4, 1, 0], [8, 3, 8, 3, 7, 1],
     [4, 0, 1, 5, 2, 3], [8, 6, 4, 1, 5, 7], [1, 4, 0, 0, 0, 9]],
]
EX4_MAX = [[[9, 2, 9], [6, 3, 7], [9, 7, 8]], [[7, 8, 3], [8, 8, 7], [8, 4, 9]]]
EX4_AVG = [
    [[3.75, 1.25, 3.0], [3.75, 2.0, 4.75], [5.0, 3.5, 6.0]],
    [[3.25, 3.75, 1.0], [3.75, 4.25, 3.25], [4.75, 1.25, 5.25]],
]
