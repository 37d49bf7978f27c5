"""LeNet-5 in NumPy, in the variants the course texts build, and the NumPy model registry.

The layers come from :func:`cnncourse.architectures.lenet5_spec`, a list of
``(layer_class_name, kwargs)`` with torch's class and argument names, so the same list
builds this NumPy ``nn.Sequential`` and the torch and Keras ones, and their state_dict
keys (``0.weight``, ...) agree. That module says which text each variant follows.

Taught in: chapter 7 (LeNet-5, trained from scratch in NumPy).
"""
import numpy as np

from cnncourse.architectures import LENET5_INPUT_SIZE, LENET5_VARIANTS, lenet5_spec
from cnncourse.numpy import nn

__all__ = ["LENET5_VARIANTS", "LENET5_INPUT_SIZE", "lenet5", "MODELS"]


def lenet5(variant="modern", num_classes=10, in_channels=1, rng=None):
    """Build a NumPy LeNet-5 (float32, torch-style initialization drawn from ``rng``).

    Args:
        variant: one of ``LENET5_VARIANTS``; the input side is ``LENET5_INPUT_SIZE[variant]``.
        num_classes: outputs of the last layer.
        in_channels: channels of the input images.
        rng: a ``numpy.random.Generator`` or a seed, for repeatable weights.

    Shape:
        - input: ``(N, in_channels, S, S)`` with ``S = LENET5_INPUT_SIZE[variant]``
        - output: ``(N, num_classes)`` logits

    Examples::

        >>> model = lenet5("modern", rng=0)
        >>> model(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2, 10)
    """
    rng = np.random.default_rng(rng)
    layers = []
    for name, kwargs in lenet5_spec(variant, num_classes, in_channels)[1]:
        if name in ("Conv2d", "Linear"):
            kwargs = dict(kwargs, rng=rng)
        layers.append(getattr(nn, name)(**kwargs))
    return nn.Sequential(*layers)


# The models ``cnncourse train --framework numpy`` can build: name -> constructor.
MODELS = {"lenet5": lenet5}
