"""A notebook file that is not JSON."""
# %% notebook-text
{"cells": [ this is not json
