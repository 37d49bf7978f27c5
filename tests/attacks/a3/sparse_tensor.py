"""A lenet5.pt whose state_dict holds a sparse tensor (it crashed the grader in load_state_dict)."""
# %% solution
# %% saved-weights
sparse_tensor
