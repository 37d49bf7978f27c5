"""Submit a symbolic link to the instructor's source notebook instead of a notebook."""
# %% notebook-link
__COURSE__/source/a1-convolution/a1-convolution.ipynb
