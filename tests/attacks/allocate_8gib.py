"""Allocate and touch 8 GiB (answers are honest)."""
# %% solution
# %% first
import numpy as np
big = np.ones(2**30)
