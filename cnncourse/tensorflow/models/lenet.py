"""LeNet-5 in Keras: the twin of :mod:`cnncourse.torch.models.lenet`, built from the same
framework-neutral layer list (:func:`cnncourse.architectures.lenet5_spec`), so the layer
order and names (the torch ``nn.Sequential`` indices) are identical.

Taught in: chapter 7 (LeNet-5).
"""
import keras

from cnncourse.architectures import LENET5_INPUT_SIZE, LENET5_VARIANTS, lenet5_spec
from cnncourse.tensorflow.layers import from_torch_spec

__all__ = ["lenet5", "LENET5_VARIANTS", "LENET5_INPUT_SIZE"]


def lenet5(variant="modern", num_classes=10, in_channels=1):
    """LeNet-5 as a ``keras.Sequential`` on NHWC inputs of side ``LENET5_INPUT_SIZE[variant]``."""
    size, spec = lenet5_spec(variant, num_classes, in_channels)
    return keras.Sequential([keras.Input((size, size, in_channels)), *from_torch_spec(spec)],
                            name=f"lenet5_{variant}")
