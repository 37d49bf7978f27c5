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

:class:`LeNet5` is the ``"modern"`` network written out as an ``nn.Module`` subclass, with
named layers (``conv1`` ... ``fc3``) and a ``forward`` that uses them: the form chapter 7
teaches and assignment 3 asks for. Its parameters are those of ``lenet5("modern")``, in the
same order.

Taught in: chapter 7 (LeNet-5).
"""
import torch
import torch.nn.functional as F
from torch import nn

from cnncourse.architectures import LENET5_INPUT_SIZE, LENET5_VARIANTS, lenet5_spec

__all__ = ["LeNet5", "lenet5", "LENET5_VARIANTS", "LENET5_INPUT_SIZE"]


def lenet5(variant="modern", num_classes=10, in_channels=1):
    """LeNet-5 as an ``nn.Sequential``; the input side is ``LENET5_INPUT_SIZE[variant]``."""
    _, spec = lenet5_spec(variant, num_classes, in_channels)
    return nn.Sequential(*(getattr(nn, name)(**kwargs) for name, kwargs in spec))


class LeNet5(nn.Module):
    """LeNet-5 ("modern": ReLU, max pooling, 28x28 input padded by 2) as an ``nn.Module``.

    ``__init__`` creates the layers; assigning a module to an attribute registers it, so
    ``parameters()`` and ``state_dict()`` find its weights. The pooling module holds no
    weights and serves both stages; ReLU and flattening are applied as functions.

    Shape:
        input ``(N, in_channels, 28, 28)``, output ``(N, num_classes)`` raw scores (logits).
    """

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5, padding=2)  # 28x28 -> 28x28
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)                      # 14x14 -> 10x10
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.pool = nn.MaxPool2d(2)  # no weights: one module serves both stages

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # (N, 6, 14, 14)
        x = self.pool(F.relu(self.conv2(x)))  # (N, 16, 5, 5)
        x = torch.flatten(x, 1)               # (N, 400), channel by channel
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
