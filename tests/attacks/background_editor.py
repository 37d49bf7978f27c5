"""Leave processes behind (setsid, double fork) that would edit scores after grading."""
# %% first
import os, subprocess, sys
subprocess.Popen(["setsid", "sleep", "3600.4242"])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c",
                 "import time; time.sleep(3600)  # marker-background-editor-4242"])
    os._exit(0)
