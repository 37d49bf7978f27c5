"""The source texts' output sizes and parameter counts, reproduced by ``cnncourse.shapes``.

Entry numbers refer to ``notes/seed-inventory.md``. Where a text printed a wrong number
the test pins the recomputed one and the comment quotes the text.
"""
import math

import pytest

from cnncourse import shapes

conv_out = shapes.conv2d_output_size
pool_out = shapes.pool2d_output_size
conv_params = shapes.conv2d_parameters
linear_params = shapes.linear_parameters
bn_params = shapes.batch_norm_parameters


def mlp_params(sizes):
    """Per-layer parameter counts of a chain of linear layers ``sizes[0] -> ... -> sizes[-1]``."""
    return [linear_params(a, b) for a, b in zip(sizes, sizes[1:])]


def conv_stack_params(in_channels, widths, kernel_size=3):
    """Per-layer counts of a chain of convolutions with the given output widths."""
    counts, c = [], in_channels
    for width in widths:
        counts.append(conv_params(c, width, kernel_size))
        c = width
    return counts


# --- 2. output sizes ----------------------------------------------------------

@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (5, 3, 1, 0, 3),    # 2.1  S0 10.2.1: 5x5 with 3x3 -> 3x3
    (5, 3, 2, 0, 2),    # 2.1  S0 10.2.4: stride 2 -> 2x2 (4 receptive fields)
    (5, 3, 1, 1, 5),    # 2.2  S0 10.2.5: floor((5 + 2 - 3) / 1) + 1 = 5
    (3, 2, 1, 0, 2),    # 2.16 S2 Fig.8.3
    (39, 3, 1, 0, 37),  # 2.17 S2 Fig.8.7: 3x39x39 -> 10x37x37
    (37, 5, 2, 0, 17),  # 2.18 S2 x2col: (37 - 5) / 2 + 1 = 17
    (7, 3, 1, 0, 5),    # 2.21 S2 Fig.8.15: c x 7 x 7 -> 3 x 5 x 5
    (7, 3, 2, 0, 3),    # 2.22 S2 Fig.8.18
])
def test_conv_output_sizes(size, kernel, stride, padding, expected):
    assert conv_out(size, kernel, stride, padding) == expected


def test_lenet5_shapes():
    """2.6/2.20 (S0 10.4, S2 8.3.3): 32 -> 28 -> 14 -> 10 -> 5, 16*5*5 = 400 features;
    2.7: S0's 3x3 variant on 28x28: 28 -> 26 -> 13 -> 11 -> 5, also 400."""
    sizes = [32]
    for layer in (lambda n: conv_out(n, 5), lambda n: pool_out(n, 2),
                  lambda n: conv_out(n, 5), lambda n: pool_out(n, 2)):
        sizes.append(layer(sizes[-1]))
    assert sizes == [32, 28, 14, 10, 5]
    assert conv_out(28, 5, padding=2) == 28  # S2: (3,28,28) with p=2 behaves like 32x32
    small = pool_out(conv_out(pool_out(conv_out(28, 3), 2), 3), 2)
    assert 16 * small * small == 400


def test_vgg13_cifar_feature_map():
    """2.9 (S1): five 'same' conv pairs, each followed by a 2x2/2 pool: 32 -> 1, so [b,1,1,512]."""
    size = 32
    for _ in range(5):
        size = pool_out(conv_out(conv_out(size, 3, padding=1), 3, padding=1), 2, 2)
    assert size == 1


def test_tf_book_resnet18_feature_maps():
    """2.10 (S0 10.14): the unpadded 3x3 stem makes 30x30 maps; stride-2 'same' stages give
    ceil(30/2) = 15, 8, 4 (TF pads the odd sizes at the bottom/right only)."""
    stem = conv_out(32, 3)
    assert stem == 30
    sizes = [stem]
    for _ in range(3):
        sizes.append(conv_out(sizes[-1], 3, stride=2, padding=1))
    assert sizes == [30, 15, 8, 4]
    assert sizes[1:] == [math.ceil(n / 2) for n in sizes[:-1]]
    # S0 10.12.2: the 1x1 stride-2 shortcut gives x the shape of F(x), so they can be added.
    assert [conv_out(n, 1, stride=2) for n in sizes[:-1]] == sizes[1:]


def test_lecture_conv_shapes():
    """2.11-2.12 (S1): 32x32, 5x5: valid 28, same 32, same stride 2 -> 16, valid stride 2 -> 14."""
    assert conv_out(32, 5) == 28
    assert conv_out(32, 5, padding="same") == 32
    assert conv_out(32, 5, stride=2, padding=2) == 16  # TF 'SAME' s=2: ceil(32 / 2)
    assert conv_out(32, 5, stride=2) == 14


def test_same_and_valid_rules():
    """2.14 (S1 l.78-97): the printed rules put ceil() around the numerator only
    (``ceil(float(in - f + 1)) / float(stride)``), which is not even an integer.
    The right rules are SAME: ceil(in / s), VALID: ceil((in - f + 1) / s)."""
    for n in range(5, 40):
        for k in (1, 2, 3, 5):
            for s in (1, 2, 3):
                assert conv_out(n, k, stride=s) == math.ceil((n - k + 1) / s)
                # TF 'SAME' pads max((ceil(n/s) - 1) s + k - n, 0) in all, the odd one at
                # the bottom/right; emulate that and get ceil(n / s).
                if k >= s:
                    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
                    assert conv_out(n + total % 2, k, stride=s, padding=total // 2) \
                        == math.ceil(n / s)


def test_cifar2net_flatten_size():
    """2.24 (S2 8.6.2): two 'same' convs and two 2x2 pools on 32x32: 8 * 8 * 8 = 512."""
    size = pool_out(conv_out(pool_out(conv_out(32, 3, padding=1), 2), 3, padding=1), 2)
    assert 8 * size * size == 512


def test_d2l_4x4_statement():
    """2.25 (S3 l.539): the text says a 4x4 input and a 2x2 kernel give 2x2, 'missing two
    pixels'. A 2x2 kernel gives 3x3; the pictured 3x3 kernel gives the 2x2."""
    assert conv_out(4, 2) == 3
    assert conv_out(4, 3) == 2


def test_ten_5x5_convs_on_240():
    """2.26 (S3 4.2.2): ten 5x5 convolutions take 240x240 to 200x200, 30.6 % of the pixels lost."""
    size = 240
    for _ in range(10):
        size = conv_out(size, 5)
    assert size == 200
    assert 1 - (size / 240) ** 2 == pytest.approx(0.3056, abs=1e-4)


# --- 4. transposed-convolution sizes and the a term ---------------------------

def test_transposed_conv_sizes():
    """4.1 and 4.10 (S0 10.11.2): o = (i - 1)s + k - 2p: 2x2, k=3, s=2 -> 5; VALID s=1 -> 4;
    TF 'SAME' s=3 -> i*s = 6 (here no padding is needed)."""
    size = shapes.conv_transpose2d_output_size
    assert size(2, 3, stride=2) == 5
    assert conv_out(7, 3) == 5  # the same 5 seen as a stride-1 conv on the 7x7 padded grid
    assert size(2, 3, stride=1) == 4
    assert size(2, 3, stride=3) == 6


def test_six_and_five_give_same_size():
    """4.4 (S0 In[11]): 6x6 and 5x5 inputs both give 2x2 with k=3 at stride 2 (the text
    says 'stride size 1', which would give 4x4; its code uses strides=2)."""
    assert conv_out(6, 3, stride=2) == conv_out(5, 3, stride=2) == 2
    assert conv_out(6, 3, stride=1) == 4


def test_output_padding_term():
    """4.5 (S0 l.1319-1323): a = (o + 2p - k) % s picks which input size is restored."""
    a_term = shapes.conv_transpose_output_padding
    size = shapes.conv_transpose2d_output_size
    assert a_term(6, 3, stride=2) == 1
    assert a_term(5, 3, stride=2) == 0
    for o in (5, 6):
        assert size(2, 3, stride=2, output_padding=a_term(o, 3, stride=2)) == o


# --- 6./7. parameter counts ------------------------------------------------------

def test_batch_norm_parameters():
    """6.6 (S1 In[3]-In[8]): gamma and beta per feature are trainable (the moving mean and
    variance are buffers, not parameters)."""
    assert bn_params(3) == 6


def test_tf_book_mlp_parameters():
    """7.1 (S0 Table 10.1): 200960, 65792, 65792, 2570; 'about 340,000' = 335,114, whose
    float32 storage is 1,340,456 bytes: the text's 1.34 MB."""
    counts = mlp_params([784, 256, 256, 256, 10])
    assert counts == [200960, 65792, 65792, 2570]
    assert sum(counts) == 335114
    assert sum(counts) * 4 / 1e6 == pytest.approx(1.34, abs=0.005)


def test_weight_sharing_nine():
    """7.2 (S0 10.1.2): a shared 3x3 kernel has 9 parameters, whatever the image size."""
    assert conv_params(1, 1, 3, bias=False) == 9


def test_tf_book_lenet_parameters():
    """7.3 (S0 Table 10.3): 60, 880, 48120, 10164, 850; total 60,074 ('about 60K')."""
    counts = conv_stack_params(1, [6, 16]) + mlp_params([400, 120, 84, 10])
    assert counts == [60, 880, 48120, 10164, 850]
    assert sum(counts) == 60074


VGG13_WIDTHS = [64, 64, 128, 128, 256, 256, 512, 512, 512, 512]


def test_vgg13_cifar_parameters():
    """7.7-7.9 (S0 10.10): the text prints conv 'about 940,000', FC 'about 177,000', total
    'about 950,000'. Recomputed (also with Keras count_params on the text's layers):
    conv 9,404,992 (ten times more), FC 512-256-128-10: 165,514 (177,124 is the CIFAR-100
    head of S1), total 9,570,506."""
    conv = sum(conv_stack_params(3, VGG13_WIDTHS))
    fc = sum(mlp_params([512, 256, 128, 10]))
    assert conv == 9404992
    assert fc == 165514
    assert sum(mlp_params([512, 256, 128, 100])) == 177124
    assert conv + fc == 9570506


def test_separable_conv_count():
    """7.10 (S0 10.11.3): ordinary 3x3x3x4 = 108; depthwise 3x3x3x1 = 27; pointwise
    1x1x3x4 = 12 (the text prints 14); total 39 (the text's total is right)."""
    assert conv_params(3, 4, 3, bias=False) == 108
    assert conv_params(3, 3, 3, bias=False, groups=3) == 27
    assert conv_params(3, 4, 1, bias=False) == 12
    separable = shapes.separable_conv2d_parameters
    assert separable(3, 4, 3, bias=False) == 39
    assert separable(3, 4, 3, bias=False) / 108 == pytest.approx(1 / 3, abs=0.03)


def test_pytorch_book_lenet_bn_parameters():
    """7.13 (S2 exercise 9): (62186, [450, 6, 6, 6, 2400, 16, 48000, 120, 10080, 84, 84, 84,
    840, 10]) -- weights and biases listed separately, as ``parameters()`` yields them."""
    def split(count, bias_count):
        return [count - bias_count, bias_count]
    listed = (split(conv_params(3, 6, 5), 6) + split(bn_params(6), 6)
              + split(conv_params(6, 16, 5), 16) + split(linear_params(400, 120), 120)
              + split(linear_params(120, 84), 84) + split(bn_params(84), 84)
              + split(linear_params(84, 10), 10))
    assert listed == [450, 6, 6, 6, 2400, 16, 48000, 120, 10080, 84, 84, 84, 840, 10]
    assert sum(listed) == 62186


def test_cifar2net_parameters():
    """7.14 (S2 8.6.2): (18090, [432, 16, 1152, 8, 16384, 32, 64, 2])."""
    counts = [conv_params(3, 16, 3), conv_params(16, 8, 3),
              linear_params(8 * 8 * 8, 32), linear_params(32, 2)]
    assert counts == [432 + 16, 1152 + 8, 16384 + 32, 64 + 2]
    assert sum(counts) == 18090


def test_fully_connected_on_images():
    """7.15 (S2 8.1.1): one node on 3x32x32 has 3072 weights; on 3x1000x1000 3,000,000;
    1000 such nodes need 3G weights (biases ignored)."""
    assert linear_params(3 * 32 * 32, 1, bias=False) == 3072
    assert linear_params(3 * 1000 * 1000, 1, bias=False) == 3_000_000
    assert linear_params(3 * 1000 * 1000, 1000, bias=False) == 3_000_000_000


def test_exercise_3():
    """7.16-7.17 (S2 exercise 3): a) [3,64,64], f=6, s=2, p=1, 10 filters -> [10,31,31],
    1,090 parameters; b) [8,17,17], f=5 -> [10,13,13], 2,010; c) 2x2/2 max pool on
    [3,24,24] -> [3,12,12], no parameters."""
    assert conv_out(64, 6, stride=2, padding=1) == 31
    assert conv_params(3, 10, 6) == 1090
    assert conv_out(17, 5) == 13
    assert conv_params(8, 10, 5) == 2010
    assert pool_out(24, 2, 2) == 12


def test_cat_dog_mlp_parameters():
    """7.20 (S3 4.1.1): 3072-512-2 has 1,574,402 parameters ([1572864, 512, 1024, 2]);
    a 1024x1024 RGB image has 3.1 million inputs, and 1024 hidden units on it need
    over 3 billion weights."""
    assert mlp_params([3072, 512, 2]) == [1572864 + 512, 1024 + 2]
    assert sum(mlp_params([3072, 512, 2])) == 1574402
    inputs = 1024 * 1024 * 3
    assert round(inputs / 1e6, 1) == 3.1
    assert linear_params(inputs, 1024) > 3e9


VGG_CONFIGS = {  # (kernel, width) per conv layer; S1 Table "ConvNet Configuration"
    "A": [(3, 64), (3, 128), (3, 256), (3, 256), (3, 512), (3, 512), (3, 512), (3, 512)],
    "B": [(3, 64), (3, 64), (3, 128), (3, 128), (3, 256), (3, 256), (3, 512), (3, 512),
          (3, 512), (3, 512)],
    "C": [(3, 64), (3, 64), (3, 128), (3, 128), (3, 256), (3, 256), (1, 256), (3, 512),
          (3, 512), (1, 512), (3, 512), (3, 512), (1, 512)],
    "D": [(3, 64), (3, 64), (3, 128), (3, 128)] + [(3, 256)] * 3 + [(3, 512)] * 6,
    "E": [(3, 64), (3, 64), (3, 128), (3, 128)] + [(3, 256)] * 4 + [(3, 512)] * 8,
}
VGG_EXACT = {"A": 132863336, "B": 133047848, "C": 133638952, "D": 138357544, "E": 143667240}
VGG_TABLE_2 = {"A": 133, "B": 133, "C": 134, "D": 138, "E": 144}  # millions, as printed


@pytest.mark.parametrize("name", sorted(VGG_CONFIGS))
def test_vgg_table_2(name):
    """7.21 (S1 VGG Table 2): 133, 133, 134, 138, 144 million for A/A-LRN, B, C, D, E
    (224x224 input, 7x7x512 into FC-4096, FC-4096, FC-1000)."""
    total, c = 0, 3
    for kernel, width in VGG_CONFIGS[name]:
        total += conv_params(c, width, kernel)
        c = width
    total += sum(mlp_params([512 * 7 * 7, 4096, 4096, 1000]))
    assert total == VGG_EXACT[name]
    assert round(total / 1e6) == VGG_TABLE_2[name]


def test_three_3x3_vs_one_7x7():
    """7.22 (S1): one 7x7 layer C -> C has 49 C^2 weights, three 3x3 layers 27 C^2."""
    for c in (16, 64, 512):
        assert conv_params(c, c, 7, bias=False) == 49 * c * c
        assert 3 * conv_params(c, c, 3, bias=False) == 27 * c * c


def test_bottleneck_counts():
    """8.1 (S1 bottleneck slide): 256x256x3x3 ~ 600K; 256x64x1x1 ~ 16K; 64x64x3x3 ~ 36K;
    64x256x1x1 ~ 16K; total ~ 70K multiply-adds per output position."""
    flops = shapes.conv2d_flops
    plain = flops(1, 256, 256, 3, padding=1)
    parts = [flops(1, 256, 64, 1), flops(1, 64, 64, 3, padding=1), flops(1, 64, 256, 1)]
    assert plain == conv_params(256, 256, 3, bias=False) == 589824
    assert parts == [16384, 36864, 16384]
    assert sum(parts) == 69632
    assert [round(v, -3) for v in (plain, sum(parts))] == [590000, 70000]


def test_x2col_matmul_cost():
    """2.18 (S2 8.2.3): the [20 x 250] @ [250 x 289] product is the whole convolution."""
    flops = shapes.conv2d_flops
    assert flops(37, 10, 20, 5, stride=2) == 20 * 250 * 289
