"""Submit through the exchange a folder holding a symbolic link to the instructor's source
notebook (stock collect copies the link's target: full marks, and solutions in the feedback)."""
# %% exchange
owner=bin student=bin
# %% inbound-link:a1-convolution.ipynb
__COURSE__/source/a1-convolution/a1-convolution.ipynb
