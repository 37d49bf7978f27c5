"""The right answers, saved under another notebook name."""
# %% solution
# %% rename:my-a1.ipynb
