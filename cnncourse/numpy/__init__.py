"""The NumPy reference implementation: ``functional`` (stateless layers with backward passes,
written as the sums), ``fast`` (the engine that computes them quickly), ``nn`` (modules),
``optim`` (SGD, Adam), ``gradcheck`` (numerical gradients), ``models`` and ``training``
(``train``/``evaluate``, the same History as the torch and Keras loops).

Submodules load on first use, so ``import cnncourse.numpy`` stays cheap.
"""
import importlib

_SUBMODULES = ("functional", "fast", "nn", "optim", "gradcheck", "models", "training")
_FROM_TRAINING = ("train", "evaluate")
__all__ = [*_SUBMODULES, *_FROM_TRAINING]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FROM_TRAINING:
        return getattr(importlib.import_module(f"{__name__}.training"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
