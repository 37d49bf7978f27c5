"""A cell that never ends: only that cell's answer is lost."""
# %% solution
# %% conv2d_loops_answer
while True:
    pass
