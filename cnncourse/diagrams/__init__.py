"""Pictures of the course's operations and networks, drawn by code when the book is built.

- :mod:`cnncourse.diagrams.network`: any PyTorch network or block, traced from its own
  ``forward`` (``network_diagram``).
- :mod:`cnncourse.diagrams.operations`: the operations of chapters 2-5 and 9 on small arrays
  (a sliding window step by step, channels, padding and stride, pooling, transposed
  convolution, receptive fields, depthwise separable convolution).
"""
from cnncourse.diagrams.network import NetworkDiagram, network_diagram

__all__ = ["NetworkDiagram", "network_diagram"]
