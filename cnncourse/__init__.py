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
__version__ = "0.1.0"

# Imported eagerly (the module needs only NumPy) so that ``cnncourse.summary`` is the
# function: the function's name deliberately shadows its submodule ``cnncourse.summary``.
from .summary import count_parameters, summary  # noqa: E402

__all__ = ["summary", "count_parameters", "__version__"]
