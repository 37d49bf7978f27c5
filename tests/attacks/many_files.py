"""A submission with 25,000 empty files next to the honest notebook (one mount per file once
overflowed the sandbox's command line; stock nbgrader spins on them for minutes)."""
# %% solution
# %% empty-files
25000
