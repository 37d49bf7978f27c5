"""Plant links where results used to be read (/grader/out), to a root-only file of the grading
machine and to /proc/self/pagemap, hoping the grader reads them (answers are honest)."""
# %% solution
# %% first
import os
for folder in ("/grader/out", "/tmp", os.getcwd()):
    for name, target in (("results.jsonl", "__COURSE__/.root-only-secret"), ("cells.jsonl", "/proc/self/pagemap"),
                         ("r0_0.npy", "/proc/self/pagemap")):
        try:
            os.makedirs(folder, exist_ok=True)
            os.symlink(target, os.path.join(folder, name))
        except OSError:
            pass
