"""The four-layer fully connected network of chapter 1 in Keras, twin of the torch one.

Taught in: chapter 1 (what a dense layer costs).
"""
import keras
from keras import layers as L

__all__ = ["mlp"]


def mlp():
    """784 -> 256 -> 256 -> 256 -> 10, ReLU after each hidden layer (NHWC input)."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Flatten(),                     # (N, 28, 28, 1) -> (N, 784): the image as one vector
        L.Dense(256, activation="relu"),
        L.Dense(256, activation="relu"),
        L.Dense(256, activation="relu"),
        L.Dense(10),                     # one score per class
    ], name="mlp")
