"""Crash the interpreter with a segmentation fault in the first cell (the honest answers are never reached)."""
# %% solution
# %% first
import ctypes
ctypes.string_at(0)
