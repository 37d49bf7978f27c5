"""SGD (with momentum, Nesterov, weight decay) and Adam, with exactly ``torch.optim``'s update rules.

Optimizers update ``param.data`` in place from ``param.grad``; parameters whose ``grad`` is
None (not used in the last backward) are skipped, as in torch.

Taught in: chapter 7 (training LeNet-5 in NumPy).
"""
import math

import numpy as np

from cnncourse import validate

__all__ = ["Optimizer", "SGD", "Adam"]


def _check_nonnegative(value, name):
    return validate.number(value, name, at_least=0)


class Optimizer:
    """Holds the parameter list and per-parameter state (keyed by position)."""

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: the optimizer would have nothing to update")
        self.lr = _check_nonnegative(lr, "lr")
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                p.data -= self._update(p.data, p.grad, state).astype(p.data.dtype, copy=False)

    def _update(self, param, grad, state):
        """Return the amount to subtract from ``param``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, torch's formulation.

    With momentum the buffer is ``b = momentum * b + (1 - dampening) * g`` (the first step
    sets ``b = g``), and the step is ``lr * b`` (or ``lr * (g + momentum * b)`` with Nesterov).
    Weight decay adds ``weight_decay * param`` to the gradient first (L2 regularization).
    """

    def __init__(self, params, lr, momentum=0, weight_decay=0, nesterov=False, dampening=0):
        super().__init__(params, lr)
        self.momentum = _check_nonnegative(momentum, "momentum")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay")
        self.dampening = float(dampening)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")
        self.nesterov = nesterov

    def _update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.copy()
            else:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            buf = state["momentum_buffer"]
            grad = grad + self.momentum * buf if self.nesterov else buf
        return self.lr * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, torch's formulation.

    ``m`` and ``v`` are running means of the gradient and its square; the step is
    ``lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``. Weight decay is
    added to the gradient (L2, not AdamW's decoupled decay).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, lr)
        for i, beta in enumerate(betas):
            validate.number(beta, f"betas[{i}]", at_least=0, below=1)
        self.betas = tuple(float(b) for b in betas)
        self.eps = _check_nonnegative(eps, "eps")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay")

    def _update(self, param, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m += (1 - beta1) * (grad - m)  # torch's lerp: m + (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + self.eps
        return step_size * m / denom
