"""Stateless NumPy layers, named, laid out and defaulted like ``torch.nn.functional``.

Each submodule holds one idea (convolution, pooling, normalization, ...) with its forward
and, where the gradient is not trivial, a ``<name>_backward``, written to be read next to
the book's formulas; the fast engine they call is :mod:`cnncourse.numpy.fast`.

What a backward receives (one convention for all): ``<name>_backward(grad_output,
*forward_args, **forward_kwargs)`` takes the gradient of the loss with respect to the
forward's output, then the forward's own arguments, and *recomputes* what it needs from
them (a max's position, a batch's statistics): these recomputations are cheap next to a
convolution, and a function that keeps nothing between calls cannot go stale. Two
exceptions receive what cannot, or should not, be recomputed: ``dropout_backward(grad_output,
mask)`` gets the random mask the forward drew, and ``conv2d_backward(..., cache=...)``
may get the forward's lowered input (:func:`conv2d_with_cache`) to save building it twice.
"""
from importlib import import_module

from cnncourse.numpy.functional.activation import *  # noqa: F401,F403
from cnncourse.numpy.functional.conv import *  # noqa: F401,F403
from cnncourse.numpy.functional.dropout import *  # noqa: F401,F403
from cnncourse.numpy.functional.linear import *  # noqa: F401,F403
from cnncourse.numpy.functional.loss import *  # noqa: F401,F403
from cnncourse.numpy.functional.normalization import *  # noqa: F401,F403
from cnncourse.numpy.functional.pooling import *  # noqa: F401,F403

# The public names of every submodule (a submodule and a function may share a name, as
# ``dropout`` does, so the submodules are looked up by their dotted names).
__all__ = [name for part in ("conv", "pooling", "activation", "linear", "loss", "dropout", "normalization")
           for name in import_module(f"{__name__}.{part}").__all__]
