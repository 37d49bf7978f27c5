"""Shape, parameter and cost formulas against what torch actually builds and computes.

Random layer configurations, valid or not, go to both: our formula must raise
``ValueError`` exactly when torch refuses the layer, and otherwise give torch's shape.
"""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from cnncourse import shapes

torch.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

ints = st.integers
pairs = st.one_of(ints(1, 4), st.tuples(ints(1, 4), ints(1, 4)))


def _torch_shape(fn, *args, **kwargs):
    """Output spatial size from torch on tiny real tensors, or None if torch refuses."""
    try:
        return tuple(fn(*args, **kwargs).shape[2:])
    except RuntimeError:
        return None


def _ours(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except ValueError:
        return None
    return out if isinstance(out, tuple) else (out, out)


@given(size=st.tuples(ints(1, 9), ints(1, 9)), kernel=st.tuples(ints(1, 6), ints(1, 6)),
       stride=st.tuples(ints(0, 4), ints(1, 4)), dilation=st.tuples(ints(1, 3), ints(0, 3)),
       padding=st.one_of(st.tuples(ints(-1, 3), ints(0, 3)), st.sampled_from(["same", "valid"])))
def test_conv2d_output_size_agrees_with_torch(size, kernel, stride, dilation, padding):
    x, w = torch.zeros((1, 1) + size), torch.zeros((1, 1) + kernel)
    expected = _torch_shape(F.conv2d, x, w, stride=stride, padding=padding, dilation=dilation)
    assert _ours(shapes.conv2d_output_size, size, kernel, stride, padding, dilation) == expected


@given(size=st.tuples(ints(1, 9), ints(1, 9)), kernel=st.tuples(ints(1, 5), ints(1, 5)),
       stride=st.tuples(ints(1, 4), ints(0, 4)), padding=st.tuples(ints(0, 3), ints(-1, 2)),
       dilation=st.tuples(ints(1, 3), ints(1, 2)), ceil_mode=st.booleans())
def test_pool2d_output_size_agrees_with_torch(size, kernel, stride, padding, dilation,
                                              ceil_mode):
    expected = _torch_shape(F.max_pool2d, torch.zeros((1, 1) + size), kernel, stride, padding,
                            dilation, ceil_mode)
    got = _ours(shapes.pool2d_output_size, size, kernel, stride, padding, dilation, ceil_mode)
    assert got == expected


@given(size=st.tuples(ints(1, 6), ints(1, 6)), kernel=st.tuples(ints(1, 4), ints(1, 4)),
       stride=st.tuples(ints(1, 3), ints(0, 3)), padding=st.tuples(ints(0, 3), ints(0, 3)),
       output_padding=st.tuples(ints(0, 3), ints(0, 2)),
       dilation=st.tuples(ints(1, 3), ints(1, 3)))
def test_conv_transpose2d_output_size_agrees_with_torch(size, kernel, stride, padding,
                                                        output_padding, dilation):
    x, w = torch.zeros((1, 1) + size), torch.zeros((1, 1) + kernel)
    expected = _torch_shape(F.conv_transpose2d, x, w, stride=stride, padding=padding,
                            output_padding=output_padding, dilation=dilation)
    got = _ours(shapes.conv_transpose2d_output_size, size, kernel, stride, padding,
                output_padding, dilation)
    assert got == expected


@given(size=ints(1, 20), kernel=ints(1, 5), stride=ints(1, 4), padding=ints(0, 2),
       dilation=ints(1, 2))
def test_output_padding_recovers_the_size_a_strided_conv_came_from(size, kernel, stride,
                                                                   padding, dilation):
    """The texts' ``a = (o + 2p - k) % s``: conv then transposed conv with ``a`` returns
    the original size, for every one of the sizes the conv maps together."""
    if dilation * (kernel - 1) + 1 > size + 2 * padding:
        with pytest.raises(ValueError, match="kernel_size"):
            shapes.conv_transpose_output_padding(size, kernel, stride, padding, dilation)
        return
    out = shapes.conv2d_output_size(size, kernel, stride, padding, dilation)
    a = shapes.conv_transpose_output_padding(size, kernel, stride, padding, dilation)
    assert 0 <= a < stride
    assert shapes.conv_transpose2d_output_size(out, kernel, stride, padding, a, dilation) == size


def test_worked_examples_of_the_texts():
    # seed 000, 10.11.2: 5x5 and 6x6 inputs, 3x3 kernel, stride 2 both give 2x2;
    # a = 0 and a = 1 bring the transposed convolution back to 5x5 and 6x6.
    assert shapes.conv2d_output_size(5, 3, 2) == shapes.conv2d_output_size(6, 3, 2) == 2
    assert shapes.conv_transpose_output_padding(5, 3, 2) == 0
    assert shapes.conv_transpose_output_padding(6, 3, 2) == 1
    assert shapes.conv_transpose2d_output_size(2, 3, 2, output_padding=1) == 6
    # pooling 5x5 with k=3, s=2 gives 2x2; 'same' keeps 32; pairs give pairs
    assert shapes.pool2d_output_size(5, 3, 2) == 2
    assert shapes.conv2d_output_size(32, 5, padding="same") == 32
    assert shapes.conv2d_output_size((28, 20), (5, 3), padding=(2, 1)) == (28, 20)
    # the fully connected network of seed 000 (Table 10.1): 784-256-256-256-10
    assert [shapes.linear_parameters(i, o) for i, o in
            [(784, 256), (256, 256), (256, 256), (256, 10)]] == [200960, 65792, 65792, 2570]
    # its convolutional network (Table 10.3): 3x3 convs 1->6, 6->16, then 400-120-84-10
    assert [shapes.conv2d_parameters(1, 6, 3), shapes.conv2d_parameters(6, 16, 3),
            shapes.linear_parameters(400, 120), shapes.linear_parameters(120, 84),
            shapes.linear_parameters(84, 10)] == [60, 880, 48120, 10164, 850]


def _numel(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


@given(groups=ints(1, 3), in_per_group=ints(1, 3), out_per_group=ints(1, 3), kernel=pairs,
       bias=st.booleans())
def test_conv2d_parameters_match_torch(groups, in_per_group, out_per_group, kernel, bias):
    cin, cout = groups * in_per_group, groups * out_per_group
    layer = torch.nn.Conv2d(cin, cout, kernel, groups=groups, bias=bias)
    assert shapes.conv2d_parameters(cin, cout, kernel, bias, groups) == _numel(layer)


@given(ints(1, 50), ints(1, 50), st.booleans())
def test_linear_and_batch_norm_parameters_match_torch(n_in, n_out, bias):
    assert shapes.linear_parameters(n_in, n_out, bias) == _numel(torch.nn.Linear(n_in, n_out,
                                                                                 bias=bias))
    assert shapes.batch_norm_parameters(n_in) == _numel(torch.nn.BatchNorm2d(n_in))
    assert shapes.batch_norm_parameters(n_in, affine=False) == _numel(
        torch.nn.BatchNorm2d(n_in, affine=False))


@given(cin=ints(1, 8), cout=ints(1, 8), kernel=pairs, multiplier=ints(1, 3),
       bias=st.booleans())
def test_separable_conv2d_parameters_match_depthwise_plus_pointwise(cin, cout, kernel,
                                                                    multiplier, bias):
    depthwise = torch.nn.Conv2d(cin, cin * multiplier, kernel, groups=cin, bias=False)
    pointwise = torch.nn.Conv2d(cin * multiplier, cout, 1, bias=bias)
    got = shapes.separable_conv2d_parameters(cin, cout, kernel, multiplier, bias)
    assert got == _numel(depthwise, pointwise)


@settings(max_examples=15)  # the flop counter is slow to enter
@given(n=ints(1, 3), groups=ints(1, 2), size=st.tuples(ints(5, 9), ints(5, 9)),
       kernel=st.tuples(ints(1, 3), ints(1, 3)), stride=ints(1, 3), padding=ints(0, 1),
       dilation=ints(1, 2))
def test_conv2d_flops_counts_multiply_adds_like_torch_flop_counter(n, groups, size, kernel,
                                                                   stride, padding, dilation):
    cin, cout = 2 * groups, 3 * groups
    x, w = torch.zeros((n, cin) + size), torch.zeros((cout, cin // groups) + kernel)
    with FlopCounterMode(display=False) as counter:
        F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    got = shapes.conv2d_flops(size, cin, cout, kernel, stride, padding, dilation, groups, n)
    assert 2 * got == counter.get_total_flops()  # torch counts a multiply-add as 2 FLOPs


@pytest.mark.parametrize("call, message", [
    (lambda: shapes.conv2d_output_size(4, 6), r"kernel_size 6 .* padded input size 4"),
    (lambda: shapes.conv2d_output_size(8, 3, stride=0), r"stride must be >= 1"),
    (lambda: shapes.conv2d_output_size(8, 3, dilation=0), r"dilation must be >= 1"),
    (lambda: shapes.conv2d_output_size(8, 3, padding=-1), r"padding must be >= 0"),
    (lambda: shapes.conv2d_output_size(8, 3, 2, padding="same"), r"requires stride 1"),
    (lambda: shapes.conv2d_output_size(8, (3, 3, 3)), r"kernel_size must be an int or a pair"),
    (lambda: shapes.conv2d_output_size(8, 2.5), r"kernel_size must be an int or a pair"),
    (lambda: shapes.pool2d_output_size(8, 2, padding=2), r"padding 2 must be at most half"),
    (lambda: shapes.conv_transpose2d_output_size(4, 3, 2, output_padding=2),
     r"output_padding 2 must be smaller than either stride 2 or dilation 1"),
    (lambda: shapes.conv2d_parameters(4, 6, 3, groups=4), r"groups 4 must divide"),
    (lambda: shapes.conv2d_parameters(0, 6, 3), r"in_channels must be >= 1"),
    (lambda: shapes.linear_parameters(3, -1), r"out_features must be >= 1"),
    (lambda: shapes.batch_norm_parameters(0), r"num_features must be >= 1"),
    (lambda: shapes.separable_conv2d_parameters(3, 4, 3, depth_multiplier=0),
     r"depth_multiplier must be >= 1"),
    (lambda: shapes.conv2d_flops(8, 3, 4, 3, batch_size=0), r"batch_size must be >= 1"),
])
def test_bad_arguments_raise_value_error_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()
