"""Method checks read the code, follow it by name through the notebook, and refuse what they
cannot follow."""
import pytest

from autograder.checks.a1_convolution import IM2COL_RULE, LOOPS_RULE
from autograder.checks.a2_backprop import derived
from autograder.checks.a3_lenet import from_formulas

LOOPS = '''
def conv2d_loops(input, weight, bias=None, stride=1, padding=0):
    x = np.pad(input, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((1, 1, 1, 1))
    for i in range(out.shape[2]):
        out[:, :, i] = helper(x, weight)
    return out
'''
HELPER = "def helper(x, w):\n    return np.sum(x * w)\n"
GIVEN = "import numpy as np\n"


@pytest.mark.parametrize("cells, words", [
    ([GIVEN, LOOPS, HELPER], ""),
    ([GIVEN, LOOPS, "helper = lambda x, w: np.lib.stride_tricks.sliding_window_view(x, 3)"],
     "uses sliding_window_view"),
    ([GIVEN, LOOPS, "def helper(x, w):\n    return getattr(np, 'ein' + 'sum')('...', x, w)\n"], "through getattr"),
    ([GIVEN, LOOPS, "from fastconv import helper\n"], "an import of fastconv"),
    ([GIVEN, LOOPS, HELPER, "np.sum = np.lib.stride_tricks.as_strided\n"], "uses as_strided"),  # a patched numpy
    ([GIVEN, "def conv2d_loops(input, weight, bias=None, stride=1, padding=0):\n    return input\n"], "has no loop"),
    ([GIVEN, "conv2d_loops = print\n"], "must be written with def"),
    # a local that shares a name with another cell's variable does not pull that cell in
    ([GIVEN, LOOPS, HELPER, "x = im2col(np.ones((1, 1, 3, 3)), 3)\n"], ""),
    (["%timeit 1\n" + GIVEN, LOOPS, HELPER, "!ls\n"], ""),  # IPython syntax is read, not refused
])
def test_loops_rule(cells, words):
    reason = LOOPS_RULE(cells)
    assert (words in reason) if words else reason == "", reason


def test_im2col_rule_needs_the_students_im2col_and_not_the_loops():
    im2col = "def im2col(x, k, stride=1, padding=0):\n    return np.lib.stride_tricks.sliding_window_view(x, k)\n"
    good = "def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):\n    return weight @ im2col(input, 3)\n"
    assert IM2COL_RULE([GIVEN, im2col, good]) == ""  # sliding_window_view is fine inside im2col
    lazy = "def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):\n    return conv2d_loops(input, weight)\n"
    assert "uses conv2d_loops" in IM2COL_RULE([GIVEN, im2col, LOOPS, HELPER, lazy])
    alone = "def conv2d_im2col(input, weight, bias=None, stride=1, padding=0):\n    return weight @ input\n"
    assert "does not call your im2col" in IM2COL_RULE([GIVEN, im2col, alone])


def test_backward_passes_are_derived_not_measured():
    numeric = "def conv2d_backward(g, x, w, b=None, stride=1, padding=0):\n    return numerical_gradient(f, x)\n"
    assert "uses numerical_gradient" in derived("conv2d_backward")([GIVEN, numeric])


def test_parameter_counts_come_from_formulas():
    assert from_formulas(["layer_parameters = [6 * 26, 16 * 151]\ntotal_parameters = sum(layer_parameters)\n"]) == ""
    read_off = "layer_parameters = [p.numel() for p in LeNet5().parameters()]\ntotal_parameters = 1\n"
    assert "uses LeNet5" in from_formulas([read_off])
