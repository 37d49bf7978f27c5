"""Trusted checks, one module per assignment (``a1-convolution`` -> ``a1_convolution.py``)."""
