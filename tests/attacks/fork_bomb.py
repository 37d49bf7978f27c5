"""Fork until the system gives up (answers are honest)."""
# %% solution
# %% first
import os, time
children = 0
while True:
    if os.fork() == 0:
        time.sleep(3600)
        os._exit(0)
    children += 1
