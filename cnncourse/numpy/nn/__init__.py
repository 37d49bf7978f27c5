"""Modules with parameters (``Conv2d``, ``Linear``, ``BatchNorm2d``, ...) built on the functional layers.

Like ``torch.nn``: a module owns its parameters and buffers, ``model(x)`` runs forward, and
(unlike torch, which records a graph) ``model.backward(grad)`` runs the backward pass.
"""
from .containers import Sequential
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers_all
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Sequential", *_layers_all]
