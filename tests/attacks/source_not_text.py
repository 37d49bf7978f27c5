"""A notebook whose code cell has a source that is not text."""
# %% notebook-text
{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": [1]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
