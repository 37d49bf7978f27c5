"""Honest answers that, at exit, leave them in the kernel keyrings of the sandbox's uid for a
later notebook to read (the answers are honest: the points stay; the keys must not)."""
# %% solution
# %% first
import atexit, ctypes
_libc = ctypes.CDLL(None, use_errno=True)
def _plant():
    payload = b"marker-keyring-4242: Y0 = Y1 = Y2 = None"
    for keyring in (-4, -5, -3):  # user, user-session and session keyrings
        _libc.syscall(248, b"user", b"cnncourse-answers", payload, len(payload), keyring)
atexit.register(_plant)
