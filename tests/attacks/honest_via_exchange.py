"""An honest student who submits through the exchange (the one the impersonation targets)."""
# %% solution
# %% exchange
owner=daemon student=daemon
