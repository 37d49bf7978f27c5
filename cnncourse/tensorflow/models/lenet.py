"""LeNet-5 in Keras: the twin of :mod:`cnncourse.torch.models.lenet`, built from the same
framework-neutral layer list (:func:`cnncourse.architectures.lenet5_spec`), so the layer
order and names (the torch ``nn.Sequential`` indices) are identical.

:class:`LeNet5` is the ``"modern"`` network as a ``keras.Model`` subclass, the twin of the
torch :class:`cnncourse.torch.models.lenet.LeNet5`: layers created in ``__init__`` under the
torch attribute names, used in ``call``.

Taught in: chapter 7 (LeNet-5).
"""
import keras

from cnncourse.architectures import LENET5_INPUT_SIZE, LENET5_VARIANTS, lenet5_spec
from cnncourse.tensorflow.layers import from_torch_spec

__all__ = ["LeNet5", "lenet5", "LENET5_VARIANTS", "LENET5_INPUT_SIZE"]


def lenet5(variant="modern", num_classes=10, in_channels=1):
    """LeNet-5 as a ``keras.Sequential`` on NHWC inputs of side ``LENET5_INPUT_SIZE[variant]``."""
    size, spec = lenet5_spec(variant, num_classes, in_channels)
    return keras.Sequential([keras.Input((size, size, in_channels)), *from_torch_spec(spec)],
                            name=f"lenet5_{variant}")


class LeNet5(keras.Model):
    """LeNet-5 ("modern") as a ``keras.Model`` subclass on NHWC inputs ``(N, 28, 28, C)``.

    Layers that hold weights are named as the torch twin's attributes (``conv1`` ... ``fc3``),
    so :func:`cnncourse.convert.torch_to_keras` copies weights between the two classes.
    Keras creates the weights at the first call (or ``build``), when the input shape is known.
    """

    def __init__(self, num_classes=10, in_channels=1, **kwargs):
        super().__init__(**kwargs)
        self.in_channels = in_channels  # Keras reads it from the input; checked in call
        self.conv1 = keras.layers.Conv2D(6, 5, padding="same", activation="relu", name="conv1")
        self.conv2 = keras.layers.Conv2D(16, 5, activation="relu", name="conv2")
        self.pool = keras.layers.MaxPooling2D(2)  # no weights: one layer serves both stages
        self.flatten = keras.layers.Flatten()
        self.fc1 = keras.layers.Dense(120, activation="relu", name="fc1")
        self.fc2 = keras.layers.Dense(84, activation="relu", name="fc2")
        self.fc3 = keras.layers.Dense(num_classes, name="fc3")

    def call(self, x):
        if x.shape[-1] != self.in_channels:
            raise ValueError(f"LeNet5 was built for {self.in_channels} input channels (NHWC), "
                             f"got input of shape {tuple(x.shape)}")
        x = self.pool(self.conv1(x))  # (N, 14, 14, 6)
        x = self.pool(self.conv2(x))  # (N, 5, 5, 16)
        x = self.flatten(x)           # (N, 400), in NHWC order
        return self.fc3(self.fc2(self.fc1(x)))
