"""The NumPy reference implementation: ``functional`` (stateless layers with backward passes),
``nn`` (modules), ``optim`` (SGD, Adam), ``gradcheck`` (numerical gradients) and ``models``.

Submodules load on first use, so ``import cnncourse.numpy`` stays cheap.
"""
import importlib

_SUBMODULES = ("functional", "nn", "optim", "gradcheck", "models")
__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
