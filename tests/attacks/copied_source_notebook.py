"""Submit a byte-for-byte copy of the instructor's source notebook (solutions and hidden tests)."""
# %% notebook-copy
__COURSE__/source/a1-convolution/a1-convolution.ipynb
