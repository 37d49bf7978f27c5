"""A submission folder nested 300 deep next to the honest notebook."""
# %% solution
# %% nested-folders
300
