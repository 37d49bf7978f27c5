"""A FIFO in the submission folder: anything that opens it to copy it waits forever."""
# %% solution
# %% fifo
data.pipe
