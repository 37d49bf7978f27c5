"""The four-layer fully connected network of chapter 1, for flattened 28x28 grey images.

Long and Zeng (2022, section 10.1) open their CNN chapter with it to show what dense layers
cost: 784 inputs, three hidden layers of 256 units, 10 outputs, 335,114 parameters. The
Keras twin is :func:`cnncourse.tensorflow.models.mlp.mlp`.

Taught in: chapter 1 (what a dense layer costs).
"""
from torch import nn

__all__ = ["mlp"]


def mlp():
    """784 -> 256 -> 256 -> 256 -> 10, ReLU after each hidden layer."""
    return nn.Sequential(
        nn.Flatten(),                    # (N, 1, 28, 28) -> (N, 784): the image as one vector
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 10),              # one score per class
    )
