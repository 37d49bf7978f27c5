"""LeNet-5 in NumPy, in the variants the course texts build.

:func:`lenet5_spec` describes each variant as a list of ``(layer_class_name, kwargs)`` with
torch's class and argument names, so the same list builds a NumPy ``nn.Sequential`` here
and a ``torch.nn.Sequential`` elsewhere, and their state_dict keys (``0.weight``, ...) agree.

Variants (the book's text each follows):

- ``"original"``: LeCun et al. (1998) as seeds 002 (8.3.3) and 003 (4.3.1) describe it:
  32x32 input, 6@5x5 conv, sigmoid, 2x2 average pooling, 16@5x5 conv, sigmoid, average
  pooling, 120@5x5 conv (C5: a 1x1 map, i.e. a dense layer of 120), sigmoid, 84 sigmoid, 10.
  The paper's scaled tanh and Gaussian (RBF) output layer are replaced by sigmoid and a
  linear layer, as both texts do. 61,706 parameters.
- ``"modern"``: seed 002 (8.3.3): 28x28 input padded by 2, ReLU and max pooling instead
  of sigmoid and averaging; flatten 16x5x5 = 400 -> 120 -> 84 -> 10. 61,706 parameters.
- ``"small-kernel"``: seed 000 (10.4): 3x3 kernels without padding on 28x28 input, each conv
  followed by 2x2 max pooling *then* ReLU: 28 -> 26 -> 13 -> 11 -> 5, so flatten is again
  400. Per-layer parameter counts 60, 880, 48,120, 10,164, 850 as its Table 10.3 lists;
  60,074 in all.
- ``"batchnorm"``: ``"modern"`` with batch norm after every conv (``BatchNorm2d``, placed
  directly after the conv as seed 000 (10.6) does) and after the two hidden dense layers
  (``BatchNorm1d``; seed 002 (8.6.6) puts one after the 84-unit layer). 62,158 parameters.
"""
import numpy as np

from . import nn

__all__ = ["LENET5_VARIANTS", "lenet5_spec", "lenet5"]

LENET5_VARIANTS = ("original", "modern", "small-kernel", "batchnorm")
INPUT_SIZE = {"original": 32, "modern": 28, "small-kernel": 28, "batchnorm": 28}


def _classifier(num_classes, activation, batchnorm=False, in_features=400):
    """The dense head: in_features -> 120 -> 84 -> num_classes."""
    layers = []
    for size_in, size_out in ((in_features, 120), (120, 84)):
        layers.append(("Linear", dict(in_features=size_in, out_features=size_out)))
        if batchnorm:
            layers.append(("BatchNorm1d", dict(num_features=size_out)))
        layers.append((activation, {}))
    return layers + [("Linear", dict(in_features=84, out_features=num_classes))]


def _conv(in_channels, out_channels, kernel_size, padding=0):
    return ("Conv2d", dict(in_channels=in_channels, out_channels=out_channels,
                           kernel_size=kernel_size, padding=padding))


def lenet5_spec(variant="modern", num_classes=10, in_channels=1):
    """Return ``(input_size, layers)``: the square input side and ``[(class_name, kwargs)]``."""
    if variant not in LENET5_VARIANTS:
        raise ValueError(f"variant must be one of {LENET5_VARIANTS}, got {variant!r}")
    pool2 = dict(kernel_size=2, stride=2)
    flatten = ("Flatten", {})
    if variant == "original":
        layers = [_conv(in_channels, 6, 5), ("Sigmoid", {}), ("AvgPool2d", pool2),
                  _conv(6, 16, 5), ("Sigmoid", {}), ("AvgPool2d", pool2),
                  _conv(16, 120, 5), ("Sigmoid", {}), flatten,
                  ("Linear", dict(in_features=120, out_features=84)), ("Sigmoid", {}),
                  ("Linear", dict(in_features=84, out_features=num_classes))]
    elif variant == "small-kernel":
        layers = [_conv(in_channels, 6, 3), ("MaxPool2d", pool2), ("ReLU", {}),
                  _conv(6, 16, 3), ("MaxPool2d", pool2), ("ReLU", {}), flatten,
                  *_classifier(num_classes, "ReLU")]
    else:
        batchnorm = variant == "batchnorm"
        layers = []
        for conv in (_conv(in_channels, 6, 5, padding=2), _conv(6, 16, 5)):
            layers.append(conv)
            if batchnorm:
                layers.append(("BatchNorm2d", dict(num_features=conv[1]["out_channels"])))
            layers += [("ReLU", {}), ("MaxPool2d", pool2)]
        layers += [flatten, *_classifier(num_classes, "ReLU", batchnorm)]
    return INPUT_SIZE[variant], layers


def lenet5(variant="modern", num_classes=10, in_channels=1, rng=None):
    """Build a NumPy LeNet-5 (float32, torch-style initialization drawn from ``rng``)."""
    rng = np.random.default_rng(rng)
    layers = []
    for name, kwargs in lenet5_spec(variant, num_classes, in_channels)[1]:
        if name in ("Conv2d", "Linear"):
            kwargs = dict(kwargs, rng=rng)
        layers.append(getattr(nn, name)(**kwargs))
    return nn.Sequential(*layers)
