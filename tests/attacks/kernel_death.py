"""Kill the interpreter in the middle of the notebook."""
# %% solution
# %% first
import os
os._exit(3)
