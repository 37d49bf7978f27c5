"""LeNet-5 (LeCun et al., 1998) in PyTorch, in the four variants of the course texts.

The layers come from :func:`cnncourse.numpy.models.lenet5_spec`, a list of torch class
names and arguments shared by all three frameworks: the NumPy model, this
``nn.Sequential`` and the Keras twin have the same layers in the same order, so their
weights move between frameworks by state-dict name (``"0.weight"``, ``"9.bias"``, ...).
That module's docstring says which text each variant follows:

* ``"original"`` - 32x32, sigmoid, average pooling, C5 as a 5x5 convolution (seeds 002, 003).
* ``"modern"`` - 28x28 padded by 2, ReLU, max pooling (seed 002).
* ``"small-kernel"`` - 3x3 kernels, pool then ReLU (seed 000 section 10.4, 60,074 parameters).
* ``"batchnorm"`` - ``"modern"`` with batch norm after each convolution and hidden dense layer.
"""
from torch import nn

from ...numpy.models import INPUT_SIZE as LENET5_INPUT_SIZE
from ...numpy.models import LENET5_VARIANTS, lenet5_spec
from ..layers import check_channels

__all__ = ["lenet5", "LENET5_VARIANTS", "LENET5_INPUT_SIZE"]


def lenet5(variant="modern", num_classes=10, in_channels=1):
    """LeNet-5 as an ``nn.Sequential``; the input side is ``LENET5_INPUT_SIZE[variant]``."""
    check_channels(num_classes=num_classes, in_channels=in_channels)
    _, spec = lenet5_spec(variant, num_classes, in_channels)
    return nn.Sequential(*(getattr(nn, name)(**kwargs) for name, kwargs in spec))
