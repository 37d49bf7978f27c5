"""Write 200 MB straight to file descriptor 1, around Python's streams (answers are honest)."""
# %% solution
# %% first
import os
chunk = b"y" * 2**20
for _ in range(200):
    os.write(1, chunk)
