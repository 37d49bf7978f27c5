"""A 1.3 MB lenet5.pt (under the size budget) whose one compressed entry inflates to 1.3 GB:
stock torch.load(weights_only=True) inflated the grader by a gigabyte before refusing it."""
# %% solution
# %% saved-weights
zip_bomb
