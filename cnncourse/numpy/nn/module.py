"""A minimal ``Module``: parameters, buffers, children, train/eval, and torch-style state dicts.

The forward pass (``__call__``) keeps what the backward pass needs on the module; the
backward pass returns the gradient for the input and *adds* parameter gradients to
``param.grad``, so gradients of several backward calls accumulate as in torch.

Taught in: chapter 7 (a network as modules, trained in NumPy).
"""
from collections import OrderedDict

import numpy as np

__all__ = ["Parameter", "Module"]


class Parameter:
    """A trainable array (``.data``) and the gradient accumulated for it (``.grad``)."""

    def __init__(self, data):
        self.data = np.asarray(data)
        self.grad = None

    def accumulate(self, grad):
        """Add ``grad`` to ``.grad`` (which starts as None, like torch after ``zero_grad``)."""
        if grad.shape != self.data.shape:
            raise ValueError(f"grad has shape {grad.shape}, parameter has {self.data.shape}")
        self.grad = grad.copy() if self.grad is None else self.grad + grad

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: subclasses define ``forward`` (caching on ``self``) and ``backward``."""

    def __init__(self):
        # object.__setattr__ skips our registration hook for the registries themselves.
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        """Register parameters and children in assignment order (the state_dict order)."""
        if "_modules" not in self.__dict__:
            raise RuntimeError(f"call Module.__init__() in {type(self).__name__} before "
                               f"assigning {name!r}")
        if name in self._buffers:  # assigning to a buffer replaces it, as in torch
            self._buffers[name] = np.asarray(value)
            return
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: buffers live in the registry alone, so
        # replacing one (load_state_dict, to) can never leave a stale attribute behind.
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            return buffers[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def register_buffer(self, name, array):
        """A state array saved in ``state_dict`` but not trained (e.g. running statistics)."""
        self._buffers[name] = np.asarray(array)

    # ------------------------------------------------------------ forward / backward
    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def _cached(self, name):
        """Read what forward stored for backward; complain clearly if forward never ran."""
        value = self.__dict__.get(name)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value

    # ------------------------------------------------------------ traversal
    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def children(self):
        return iter(self._modules.values())

    def _named(self, registry):
        for module_name, module in self.named_modules():
            for name, value in getattr(module, registry).items():
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self):
        """``(dotted_name, Parameter)`` pairs, torch's names and order (``features.0.weight``)."""
        return self._named("_parameters")

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def named_buffers(self):
        return self._named("_buffers")

    def zero_grad(self):
        """Forget accumulated gradients (``None``, as torch's default ``set_to_none``)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        """Switch this module and its children to training (or, with False, evaluation) mode."""
        for _, module in self.named_modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    # ------------------------------------------------------------ state
    def state_dict(self):
        """Copies of every parameter and buffer, keyed and ordered like torch's ``state_dict``."""
        state = OrderedDict()
        for name, (registry, key) in self._state_slots().items():
            value = registry[key]
            state[name] = np.array(value.data if isinstance(value, Parameter) else value)
        return state

    def _state_slots(self):
        """``{dotted_name: (registry, key)}`` for every parameter and buffer."""
        slots = {}
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for registry in (module._parameters, module._buffers):
                for key in registry:
                    slots[prefix + key] = (registry, key)
        return slots

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (NumPy, or anything ``np.asarray`` reads, e.g. CPU torch tensors) by name.

        Shapes must match exactly; with ``strict`` the key sets must match too. Values are
        cast to the model's dtypes, so float64 weights load into a float32 model. Everything
        is checked before anything is copied, so a failed load leaves the model unchanged.
        """
        slots = self._state_slots()
        missing = [k for k in slots if k not in state_dict]
        unexpected = [k for k in state_dict if k not in slots]
        if strict and (missing or unexpected):
            raise ValueError(f"state_dict mismatch: missing keys {missing}, "
                             f"unexpected keys {unexpected}")
        updates = []
        for name, (registry, key) in slots.items():
            if name not in state_dict:
                continue
            value, old = np.asarray(state_dict[name]), registry[key]
            old = old.data if isinstance(old, Parameter) else old
            if value.shape != old.shape:
                raise ValueError(f"state_dict[{name!r}] has shape {value.shape}, "
                                 f"the model expects {old.shape}")
            updates.append((registry, key, value.astype(old.dtype, copy=True)))
        for registry, key, value in updates:
            if isinstance(registry[key], Parameter):
                registry[key].data = value
            else:
                registry[key] = value

    def to(self, dtype):
        """Cast floating parameters and buffers to ``dtype`` (integer counters stay integers)."""
        dtype = np.dtype(dtype)
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None if p.grad is None else p.grad.astype(dtype)
        for _, module in self.named_modules():
            for key, b in module._buffers.items():
                if np.issubdtype(b.dtype, np.floating):
                    module._buffers[key] = b.astype(dtype)
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # ------------------------------------------------------------ display
    def extra_repr(self):
        return ""

    def __repr__(self):
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
