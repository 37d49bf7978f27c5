"""cnncourse: the companion package of an open course on convolutional neural networks.

Subpackages (imported on demand, so ``import cnncourse`` stays fast):

- ``cnncourse.numpy``       from-scratch NumPy reference (functional, nn, optim, gradcheck)
- ``cnncourse.torch``       PyTorch models, layers and training loop
- ``cnncourse.tensorflow``  Keras 3 models, layers and training loop (NHWC)
- ``cnncourse.data``        datasets (MNIST, Fashion-MNIST, CIFAR-10), transforms, adapters
- ``cnncourse.shapes``      output-size, parameter and FLOP formulas
- ``cnncourse.convert``     weight and layout converters between the three frameworks
- ``cnncourse.viz``         training curves, image grids, kernels, feature maps
"""
import importlib

__version__ = "0.1.0"

_LAZY = {"summary": "cnncourse.summary", "count_parameters": "cnncourse.summary"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnncourse' has no attribute {name!r}")
