"""Hold more memory than the limit in memfd files, which the address-space limit does not see
(answers are honest, but the run is stopped before they are read)."""
# %% solution
# %% first
import os
held = []
for i in range(160):  # 10 GiB in 64 MiB pieces (the file-size limit), allocated by the kernel
    fd = os.memfd_create(f"hoard-{i}")
    os.posix_fallocate(fd, 0, 64 * 2**20)
    held.append(fd)
