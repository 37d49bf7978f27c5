"""Numerical gradient checking: does a hand-written backward match the forward?

For a function ``y = f(x)`` and an upstream gradient ``g`` (same shape as ``y``),
the backward pass must return ``d/dx sum(f(x) * g)``. Central differences estimate
that derivative one element at a time:

    (L(x + eps e_i) - L(x - eps e_i)) / (2 eps),   L(x) = sum(f(x) * g)

with an error of order ``eps**2``, so in float64 the estimate agrees with a correct
analytic gradient to about 1e-8 relative, while a wrong one is off by far more.

Typical use (in tests and assignments)::

    report = gradcheck(lambda x, w: conv2d(x, w), {"x": x, "w": w}, dy,
                       conv2d_backward(dy, x, w)[:2])
    print(report)

Taught in: chapter 5 (numerical gradient checks), chapter 6 (checking batch norm's backward).
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["relative_error", "numerical_gradient", "gradcheck", "assert_close",
           "GradcheckReport", "GradientComparison"]


def relative_error(a, b, floor=1e-8):
    """Largest elementwise ``|a - b| / max(|a| + |b|, floor)``: 0 for equal arrays,
    about 1 for unrelated ones, and not fooled by the overall scale."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(_elementwise_relative(a, b, floor)))


def _elementwise_relative(a, b, floor=1e-8):
    return _difference(a, b) / np.maximum(np.abs(a) + np.abs(b), floor)


def _difference(a, b):
    """``|a - b|``, but 0 where both hold the same infinity or both are NaN."""
    with np.errstate(invalid="ignore"):
        diff = np.abs(a - b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0.0, diff)


def numerical_gradient(f, x, grad_output=None, eps=1e-6):
    """Central-difference gradient of ``sum(f(x) * grad_output)`` with respect to ``x``.

    ``grad_output`` defaults to ones (the gradient of ``sum(f(x))``). ``x`` is changed
    in place one element at a time and always restored, so ``f`` may close over it.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError("x must be a float64 numpy array: in float32 the rounding error "
                         f"of f swamps a step of eps={eps} (got "
                         f"{getattr(x, 'dtype', type(x).__name__)})")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")

    def loss():
        y = np.asarray(f(x), dtype=np.float64)
        if grad_output is None:
            return y.sum()
        if y.shape != np.shape(grad_output):
            raise ValueError(f"grad_output has shape {np.shape(grad_output)} but f(x) has "
                             f"shape {y.shape}")
        return np.sum(y * grad_output)

    if not x.flags.c_contiguous or not x.flags.writeable:
        raise ValueError("x must be C-contiguous and writeable: it is perturbed in place")
    grad = np.zeros_like(x)
    flat, grad_flat = x.reshape(-1), grad.reshape(-1)  # views into x and grad
    for i in range(flat.size):
        original = flat[i]
        try:
            flat[i] = original + eps
            up = loss()
            flat[i] = original - eps
            down = loss()
        finally:
            flat[i] = original
        grad_flat[i] = (up - down) / (2 * eps)
    return grad


@dataclass
class GradientComparison:
    """How one analytic gradient compares with its numerical estimate."""
    name: str
    max_relative_error: float
    max_abs_error: float
    worst_index: tuple
    analytic: float
    numerical: float
    passed: bool
    labels: tuple = ("analytic", "numerical")

    def __str__(self):
        verdict = "ok   " if self.passed else "WRONG"
        return (f"{verdict} {self.name}: max relative error {self.max_relative_error:.2e} "
                f"at index {self.worst_index} ({self.labels[0]} {self.analytic:.6g}, "
                f"{self.labels[1]} {self.numerical:.6g}), max abs error "
                f"{self.max_abs_error:.2e}")


@dataclass
class GradcheckReport:
    """One :class:`GradientComparison` per checked input; true when all passed."""
    comparisons: list

    @property
    def passed(self):
        return all(c.passed for c in self.comparisons)

    def __bool__(self):
        return self.passed

    def __str__(self):
        return "\n".join(str(c) for c in self.comparisons)


def _compare(name, analytic, numerical, atol, rtol, labels=("analytic", "numerical")):
    if analytic.shape != numerical.shape:
        raise ValueError(f"analytic gradient of {name} has shape {analytic.shape}, "
                         f"expected {numerical.shape} (the shape of {name})")
    relative = _elementwise_relative(analytic, numerical)
    with np.errstate(invalid="ignore"):
        close = _difference(analytic, numerical) <= atol + rtol * np.abs(numerical)
    # Point at the worst failing element if any, else at the worst element overall.
    score = np.where(close, 0.0, 1.0) + relative / 2  # failures rank above passes
    worst = np.unravel_index(np.argmax(score), score.shape) if score.size else ()
    return GradientComparison(
        name=name,
        max_relative_error=float(relative.max()) if relative.size else 0.0,
        max_abs_error=float(_difference(analytic, numerical).max()) if relative.size else 0.0,
        worst_index=tuple(int(i) for i in worst),
        analytic=float(analytic[worst]) if relative.size else 0.0,
        numerical=float(numerical[worst]) if relative.size else 0.0,
        passed=bool(close.all()),
        labels=labels,
    )


def assert_close(actual, expected, rtol=1e-8, atol=1e-8, name="result"):
    """Raise ``AssertionError`` unless ``|actual - expected| <= atol * scale + rtol * |expected|``
    everywhere, where ``scale = max(1, max |expected|)`` so large outputs are judged
    relative to their magnitude. The message names the worst element.

    Use it to compare a NumPy layer with a reference (PyTorch, a worked example).
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{name} has shape {actual.shape}, expected {expected.shape}")
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    comparison = _compare(name, actual.astype(np.float64), expected.astype(np.float64),
                          atol * scale, rtol, labels=("actual", "expected"))
    if not comparison.passed:
        raise AssertionError(f"{comparison} (rtol={rtol}, atol={atol} x {scale:.3g})")


def gradcheck(f, inputs, grad_output, analytic_grads, eps=1e-6, atol=1e-6, rtol=1e-5,
              raise_on_failure=True):
    """Compare analytic gradients of ``sum(f(*inputs) * grad_output)`` with central
    differences, input by input.

    ``inputs`` is a dict ``{name: array}`` (names appear in messages) or a sequence;
    ``analytic_grads`` matches it in order, with ``None`` for inputs not to check. An
    element passes when ``|analytic - numerical| <= atol + rtol * |numerical|``.
    Returns a :class:`GradcheckReport`; on failure raises ``AssertionError`` naming the
    input, its worst relative error and where it occurs (unless ``raise_on_failure``
    is false).
    """
    names = list(inputs) if isinstance(inputs, dict) else [f"input {i}" for i in
                                                          range(len(inputs))]
    arrays = list(inputs.values()) if isinstance(inputs, dict) else list(inputs)
    analytic_grads = list(analytic_grads)
    if len(analytic_grads) != len(arrays):
        raise ValueError(f"analytic_grads has {len(analytic_grads)} entries for "
                         f"{len(arrays)} inputs")
    comparisons = []
    for k, (name, analytic) in enumerate(zip(names, analytic_grads)):
        if analytic is None:
            continue

        def f_of_one(x, k=k):
            args = arrays[:k] + [x] + arrays[k + 1:]
            return f(*args)

        numerical = numerical_gradient(f_of_one, arrays[k], grad_output, eps)
        comparisons.append(_compare(name, np.asarray(analytic, dtype=np.float64), numerical,
                                    atol, rtol))
    report = GradcheckReport(comparisons)
    if raise_on_failure and not report.passed:
        raise AssertionError(f"gradient check failed (atol={atol}, rtol={rtol}):\n{report}")
    return report
