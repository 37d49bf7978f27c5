"""The CIFAR-2 classifier of Stevens et al. (2020, chapter 8) in Keras, twin of the torch one.

Taught in: chapter 11 (training on CIFAR images).
"""
import keras
from keras import layers as L

from cnncourse.tensorflow.layers import MaxPool2d, conv2d
from cnncourse.validate import positive_ints

__all__ = ["cifar2net"]


def cifar2net(num_classes=2, in_channels=3):
    """conv(16) -> tanh -> pool -> conv(8) -> tanh -> pool -> 32 -> tanh -> classes on 32x32 inputs."""
    positive_ints(num_classes=num_classes, in_channels=in_channels)
    return keras.Sequential([
        keras.Input((32, 32, in_channels)),
        conv2d(16, 3, padding=1, name="conv1"), L.Activation("tanh", name="tanh1"), MaxPool2d(2, name="pool1"),
        conv2d(8, 3, padding=1, name="conv2"), L.Activation("tanh", name="tanh2"), MaxPool2d(2, name="pool2"),
        L.Flatten(name="flatten"),
        L.Dense(32, name="fc1"), L.Activation("tanh", name="tanh3"),
        L.Dense(num_classes, name="fc2"),
    ], name="cifar2net")
