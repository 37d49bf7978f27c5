"""LeNet-5 (LeCun et al., 1998) in PyTorch, in the four variants of the course texts.

The layers come from :func:`cnncourse.architectures.lenet5_spec`, a list of torch class
names and arguments shared by all three frameworks: the NumPy model, this
``nn.Sequential`` and the Keras twin have the same layers in the same order, so their
weights move between frameworks by state-dict name (``"0.weight"``, ``"9.bias"``, ...).
That module says which text each variant follows:

* ``"original"`` - 32x32, sigmoid, average pooling, C5 as a 5x5 convolution.
* ``"modern"`` - 28x28 padded by 2, ReLU, max pooling.
* ``"small-kernel"`` - 3x3 kernels, pool then ReLU (60,074 parameters).
* ``"batchnorm"`` - ``"modern"`` with batch norm after each convolution and hidden dense layer.

Taught in: chapter 7 (LeNet-5).
"""
from torch import nn

from cnncourse.architectures import LENET5_INPUT_SIZE, LENET5_VARIANTS, lenet5_spec

__all__ = ["lenet5", "LENET5_VARIANTS", "LENET5_INPUT_SIZE"]


def lenet5(variant="modern", num_classes=10, in_channels=1):
    """LeNet-5 as an ``nn.Sequential``; the input side is ``LENET5_INPUT_SIZE[variant]``."""
    _, spec = lenet5_spec(variant, num_classes, in_channels)
    return nn.Sequential(*(getattr(nn, name)(**kwargs) for name, kwargs in spec))
