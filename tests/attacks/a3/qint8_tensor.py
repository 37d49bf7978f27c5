"""A lenet5.pt whose state_dict holds a quantized (qint8) tensor."""
# %% solution
# %% saved-weights
qint8_tensor
