"""Print about a gigabyte (answers are honest)."""
# %% solution
# %% first
line = "x" * 10_000
for _ in range(100_000):
    print(line)
