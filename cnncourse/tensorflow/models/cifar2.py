"""The CIFAR-2 classifier of seed 002 (section 8.6.2) in Keras, twin of the torch one."""
import keras
from keras import layers as L

from ..layers import check_channels, conv2d

__all__ = ["cifar2net"]


def cifar2net(num_classes=2, in_channels=3):
    """conv(16) -> tanh -> pool -> conv(8) -> tanh -> pool -> 32 -> tanh -> classes on 32x32 inputs."""
    check_channels(num_classes=num_classes, in_channels=in_channels)
    return keras.Sequential([
        keras.Input((32, 32, in_channels)),
        conv2d(16, 3, padding=1, name="conv1"), L.Activation("tanh", name="tanh1"), L.MaxPooling2D(2, name="pool1"),
        conv2d(8, 3, padding=1, name="conv2"), L.Activation("tanh", name="tanh2"), L.MaxPooling2D(2, name="pool2"),
        L.Flatten(name="flatten"),
        L.Dense(32, name="fc1"), L.Activation("tanh", name="tanh3"),
        L.Dense(num_classes, name="fc2"),
    ], name="cifar2net")
