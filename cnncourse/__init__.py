"""cnncourse: the companion package of an open course on convolutional neural networks.

Subpackages (imported on demand, so ``import cnncourse`` stays fast):

- ``cnncourse.numpy``          from-scratch NumPy reference: ``functional`` (the sums, to
  read), ``fast`` (the engine that runs them), ``nn``, ``optim``, ``gradcheck``, ``models``
- ``cnncourse.torch``          PyTorch models, layers and training loop
- ``cnncourse.tensorflow``     Keras 3 models, layers and training loop (NHWC)
- ``cnncourse.data``           datasets (MNIST, Fashion-MNIST, CIFAR-10), transforms, adapters

Modules, one idea each:

- ``cnncourse.architectures``  the numbers of every network, read by all three frameworks
- ``cnncourse.shapes``         output-size, window, parameter and FLOP formulas
- ``cnncourse.validate``       argument checks and their one message style
- ``cnncourse.convert``        weights and layouts between the three frameworks
- ``cnncourse.history``        the per-epoch record of a run; ``schedules`` (learning rates),
  ``budget`` (time), ``recipes`` (tuned hyper-parameters), ``threads`` (CPU threads)
- ``cnncourse.summary``        layer tables and parameter counts; ``viz``: figures
- ``cnncourse.cli``            the ``cnncourse`` command
"""
__version__ = "0.1.0"

# Imported eagerly (the module needs only NumPy) so that ``cnncourse.summary`` is the
# function: the function's name deliberately shadows its submodule ``cnncourse.summary``.
from cnncourse.summary import count_parameters, summary  # noqa: E402

__all__ = ["summary", "count_parameters", "__version__"]
