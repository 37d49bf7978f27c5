"""The PyTorch side of the course (NCHW): models, layers, training loops.

Everything loads on first use (module ``__getattr__``), so ``import cnncourse.torch``
is cheap and never imports TensorFlow.
"""
import importlib

__all__ = ["models", "layers", "train", "evaluate"]

_SUBMODULES = {"models", "layers"}
_FROM_TRAINING = {"train", "evaluate"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _FROM_TRAINING:
        return getattr(importlib.import_module(".training", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
