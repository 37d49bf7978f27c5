"""``Sequential``: modules applied in order; backward runs them in reverse."""
from cnncourse.numpy.nn.module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """Chain of modules named ``"0"``, ``"1"``, ... so state_dict keys match torch's."""

    def __init__(self, *modules):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        if not isinstance(module, Module):
            raise ValueError(f"Sequential holds Modules, got {type(module).__name__}")
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def forward(self, input):
        for module in self:
            input = module(input)
        return input

    def backward(self, grad_output):
        for module in reversed(list(self)):
            grad_output = module.backward(grad_output)
        return grad_output
