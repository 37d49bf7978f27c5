"""Ignore the cell timer and spin forever: the wall clock must stop it."""
# %% solution
# %% first
import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass
