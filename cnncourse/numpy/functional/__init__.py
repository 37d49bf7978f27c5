"""Stateless NumPy layers, named and laid out like ``torch.nn.functional``.

Each submodule holds one idea (convolution, pooling, normalization, ...) with its
forward and, where the gradient is not trivial, a ``<name>_backward``.
"""
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
