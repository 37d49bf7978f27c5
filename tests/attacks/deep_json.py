"""A notebook file that is valid JSON nested 100,000 deep."""
# %% notebook-text-expr
"[" * 100_000 + "]" * 100_000
