"""A correct submission that writes to stderr and warns on every call (it keeps its points)."""
# %% solution
# %% first
import sys, warnings
import numpy as np
warnings.simplefilter("always")
sys.stderr.write("2026-11-25 I tensorflow/core/platform/cpu_feature_guard.cc: start-up noise\n")
_pad = np.pad
def _noisy_pad(*args, **kwargs):
    warnings.warn("marker-stderr-noise: padding again")
    return _pad(*args, **kwargs)
np.pad = _noisy_pad
