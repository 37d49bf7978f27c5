"""Modules with parameters (``Conv2d``, ``Linear``, ``BatchNorm2d``, ...) built on the functional layers.

Like ``torch.nn``: a module owns its parameters and buffers, ``model(x)`` runs forward, and
(unlike torch, which records a graph) ``model.backward(grad)`` runs the backward pass.
"""
from cnncourse.numpy.nn.containers import Sequential
from cnncourse.numpy.nn.layers import *  # noqa: F401,F403
from cnncourse.numpy.nn.layers import __all__ as _layers_all
from cnncourse.numpy.nn.module import Module, Parameter

__all__ = ["Module", "Parameter", "Sequential", *_layers_all]
