"""Replace another student's submission with a blank one."""
# %% first
import glob
for path in glob.glob("__COURSE__/submitted/alice/*/*.ipynb") + glob.glob("../../alice/*/*.ipynb"):
    try:
        open(path, "w").write("{}")
    except Exception:
        pass
