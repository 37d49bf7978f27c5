"""Submit through the exchange a symbolic link to another student's collected notebook."""
# %% exchange
owner=sys student=sys
# %% inbound-link:a1-convolution.ipynb
__COURSE__/submitted/alice/a1-convolution/a1-convolution.ipynb
