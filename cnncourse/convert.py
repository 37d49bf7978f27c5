"""Copy weights between the PyTorch, Keras and NumPy versions of a model, and convert layouts.

The contract (what a model must do to be convertible)
-----------------------------------------------------
* **Pairing is by name.** Every Keras layer that owns weights carries ``name=``
  equal to the qualified name of its torch counterpart in
  ``torch_model.named_modules()`` (``"features.0"``, ``"layer1.0.conv1"``).
  Keras layers nested in subclassed blocks, ``Sequential`` or functional
  sub-models are found recursively; the Keras nesting itself is irrelevant.
* **Supported pairs** (torch module -> Keras layer):
  ``Conv2d`` -> ``Conv2D`` (also grouped) or ``DepthwiseConv2D`` (when
  ``groups == in_channels``); ``ConvTranspose2d`` -> ``Conv2DTranspose``;
  ``Linear`` -> ``Dense``; ``BatchNorm1d/2d`` -> ``BatchNormalization``; a
  module with ``depthwise`` and ``pointwise`` convolutions (such as
  :class:`cnncourse.torch.layers.DepthwiseSeparableConv2d`) -> ``SeparableConv2D``.
* **Layouts** are converted: OIHW <-> HWIO for kernels, ``(out, in)`` <->
  ``(in, out)`` for dense kernels.
* **Flatten order.** A torch ``Linear`` fed by the flattening of a ``(C, H, W)``
  map expects features in C-H-W order, while the Keras ``Dense`` after
  ``Flatten`` of an ``(H, W, C)`` map expects H-W-C order; that kernel's rows are
  permuted. ``(C, H, W)`` is found by running the torch model once (eval mode,
  no gradient) on zeros of the Keras model's input shape and recording, with
  forward hooks, the last 4-D output produced before each ``Linear`` that has
  ``in_features`` elements (so both ``nn.Flatten`` and ``torch.flatten`` in a
  ``forward`` are handled). Pass ``input_size=(C, H, W)`` when the Keras model
  has no defined input.
* **Batch norm conventions.** torch updates ``running = (1 - m) running + m batch``
  while Keras uses ``moving = k moving + (1 - k) batch``: the destination layer's
  momentum is set to ``1 - m`` (or ``1 - k``) and its epsilon to the source's, so
  both frameworks normalise identically afterwards.
* **Nothing is dropped silently.** Unmatched names, missing weights and shape
  mismatches are collected and reported together in one ``ValueError``.

NumPy models (``cnncourse.numpy.nn``) use torch's state-dict names and layouts,
so :func:`torch_to_numpy` / :func:`numpy_to_torch` copy state dicts key by key.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "torch_to_keras", "keras_to_torch", "torch_to_numpy", "numpy_to_torch",
    "nchw_to_nhwc", "nhwc_to_nchw", "oihw_to_hwio", "hwio_to_oihw",
]


# --------------------------------------------------------------------- layouts
def _transpose4(x, axes, expected, name):
    """Permute a NumPy array or a torch tensor (kept as such) into a contiguous result."""
    if not hasattr(x, "permute"):
        x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{name} must be a rank-4 array in {expected} layout, "
                         f"got shape {tuple(x.shape)}")
    if hasattr(x, "permute"):
        return x.permute(*axes).contiguous()
    return np.ascontiguousarray(np.transpose(x, axes))


def nchw_to_nhwc(x):
    """Images: batch-channels-height-width (torch) to batch-height-width-channels (Keras)."""
    return _transpose4(x, (0, 2, 3, 1), "NCHW", "x")


def nhwc_to_nchw(x):
    """Images: NHWC (Keras) to NCHW (torch)."""
    return _transpose4(x, (0, 3, 1, 2), "NHWC", "x")


def oihw_to_hwio(w):
    """Convolution kernel: torch (out, in, kh, kw) to Keras (kh, kw, in, out)."""
    return _transpose4(w, (2, 3, 1, 0), "OIHW", "w")


def hwio_to_oihw(w):
    """Convolution kernel: Keras (kh, kw, in, out) to torch (out, in, kh, kw)."""
    return _transpose4(w, (3, 2, 0, 1), "HWIO", "w")


# ------------------------------------------------- per-layer weight "slots"
class _Slot:
    """One Keras variable paired with one torch tensor, and the two layout maps."""

    def __init__(self, torch_name, attr, keras_var, to_keras, to_torch):
        self.torch_name, self.attr, self.keras_var = torch_name, attr, keras_var
        self.to_keras, self.to_torch = to_keras, to_torch

    @property
    def key(self):
        return f"{self.torch_name}.{self.attr}" if self.torch_name else self.attr


def _same(a):
    return a


# The maps below take and return torch tensors: torch's copy kernels permute a 100M-weight
# VGG kernel several times faster than NumPy's, and "meta" tensors give shapes for free.
def _dense_maps(chw):
    """Dense kernel maps; ``chw`` is the (C, H, W) map flattened in front of it, or None."""
    if chw is None or chw[1] * chw[2] == 1:
        return (lambda w: w.T.contiguous()), (lambda k: k.T.contiguous())
    c, h, w_ = chw

    def to_keras(w):  # torch columns c*H*W + h*W + w  ->  Keras rows h*W*C + w*C + c
        return w.reshape(-1, c, h * w_).permute(0, 2, 1).contiguous().reshape(w.shape[0], -1).T.contiguous()

    def to_torch(k):
        return k.T.contiguous().reshape(-1, h * w_, c).permute(0, 2, 1).contiguous().reshape(k.shape[1], -1)

    return to_keras, to_torch


def _depthwise_maps(k_shape):
    """torch (C*M, 1, kh, kw) <-> Keras (kh, kw, C, M); torch output channel = c*M + m."""
    kh, kw, c, m = k_shape
    return ((lambda w: w.reshape(c, m, kh, kw).permute(2, 3, 0, 1).contiguous()),
            (lambda k: k.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw)))


def _transposed_maps():
    """torch ConvTranspose2d (in, out, kh, kw) <-> Keras Conv2DTranspose (kh, kw, out, in)."""
    return (lambda w: w.permute(2, 3, 1, 0).contiguous()), (lambda k: k.permute(3, 2, 0, 1).contiguous())


def _slots_for(layer, chw_by_name):
    """The slots of one Keras layer, or None when its type is not supported."""
    import keras

    name, L = layer.name, keras.layers
    bias = [_Slot(name, "bias", layer.bias, _same, _same)] if getattr(layer, "use_bias", False) else []
    if isinstance(layer, L.SeparableConv2D):
        dw = _depthwise_maps(tuple(layer.depthwise_kernel.shape))
        return [_Slot(name + ".depthwise", "weight", layer.depthwise_kernel, *dw),
                _Slot(name + ".pointwise", "weight", layer.pointwise_kernel, oihw_to_hwio, hwio_to_oihw),
                *[_Slot(name + ".pointwise", "bias", s.keras_var, _same, _same) for s in bias]]
    if isinstance(layer, L.DepthwiseConv2D):
        return [_Slot(name, "weight", layer.kernel, *_depthwise_maps(tuple(layer.kernel.shape))), *bias]
    if isinstance(layer, L.Conv2DTranspose):
        return [_Slot(name, "weight", layer.kernel, *_transposed_maps()), *bias]
    if isinstance(layer, L.Conv2D):
        return [_Slot(name, "weight", layer.kernel, oihw_to_hwio, hwio_to_oihw), *bias]
    if isinstance(layer, L.Dense):
        return [_Slot(name, "weight", layer.kernel, *_dense_maps(chw_by_name.get(name))), *bias]
    if isinstance(layer, L.BatchNormalization):
        slots = []
        if layer.scale:
            slots.append(_Slot(name, "weight", layer.gamma, _same, _same))
        if layer.center:
            slots.append(_Slot(name, "bias", layer.beta, _same, _same))
        slots.append(_Slot(name, "running_mean", layer.moving_mean, _same, _same))
        slots.append(_Slot(name, "running_var", layer.moving_variance, _same, _same))
        return slots
    return None


def _keras_weighted_layers(keras_model):
    """Every (nested) Keras layer that owns variables itself, not through sublayers."""
    layers = keras_model._flatten_layers(include_self=True, recursive=True)
    return [l for l in layers if l._trainable_variables or l._non_trainable_variables]


def _torch_tensors(torch_model):
    """{module_name.attr: tensor} for parameters and buffers owned directly by each module."""
    out = {}
    for mname, module in torch_model.named_modules():
        owned = list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False))
        for attr, t in owned:
            if t is not None and attr != "num_batches_tracked":
                out[f"{mname}.{attr}" if mname else attr] = t
    return out


def _flatten_shapes(torch_model, keras_model, input_size):
    """{linear_name: (C, H, W)} for every torch Linear fed by a flattened spatial map."""
    import torch

    linears = {n: m for n, m in torch_model.named_modules() if isinstance(m, torch.nn.Linear)}
    if not linears:
        return {}
    if input_size is None:
        inputs = getattr(keras_model, "inputs", None)
        shape = tuple(inputs[0].shape[1:]) if inputs else None
        if shape is None or any(d is None for d in shape):
            raise ValueError("cannot find the model's input shape to trace flatten orders: "
                             "pass input_size=(C, H, W)")
        input_size = (shape[-1], *shape[:-1]) if len(shape) == 3 else shape
    last_map = {}  # numel -> most recent (C, H, W) output with that many elements
    if len(input_size) == 3:  # the input itself may be flattened first
        last_map[int(np.prod(input_size))] = tuple(input_size)
    found = {}

    def record(module, args, output):
        if isinstance(output, torch.Tensor) and output.dim() == 4:
            last_map[int(np.prod(output.shape[1:]))] = tuple(output.shape[1:])

    def before_linear(name):
        def hook(module, args):
            found[name] = last_map.get(module.in_features)
        return hook

    def after_linear(module, args, output):
        last_map.clear()  # what follows a Linear is fed by it, not by an earlier map

    handles = [m.register_forward_hook(record) for m in torch_model.modules() if not isinstance(m, torch.nn.Linear)]
    handles += [m.register_forward_pre_hook(before_linear(n)) for n, m in linears.items()]
    handles += [m.register_forward_hook(after_linear) for m in linears.values()]
    was_training = {m: m.training for m in torch_model.modules()}
    try:
        torch_model.eval()
        with torch.no_grad():
            torch_model(torch.zeros((1, *input_size), dtype=next(torch_model.parameters()).dtype))
    finally:
        for h in handles:
            h.remove()
        for m, flag in was_training.items():
            m.training = flag
    return {n: chw for n, chw in found.items() if chw is not None}


def _paired_slots(torch_model, keras_model, input_size):
    """Match slots to torch tensors; raise one ValueError listing every problem."""
    import torch

    tensors = _torch_tensors(torch_model)
    chw = _flatten_shapes(torch_model, keras_model, input_size)
    pairs, problems, used = [], [], set()
    for layer in _keras_weighted_layers(keras_model):
        slots = _slots_for(layer, chw)
        if slots is None:
            problems.append(f"Keras layer {layer.name!r} ({type(layer).__name__}) has no supported torch counterpart")
            continue
        for s in slots:
            t = tensors.get(s.key)
            if t is None:
                problems.append(f"Keras {layer.name!r} has no torch tensor {s.key!r}")
                continue
            expected = tuple(s.to_keras(torch.empty(tuple(t.shape), device="meta")).shape)
            if expected != tuple(s.keras_var.shape):
                problems.append(f"shape mismatch at {s.key!r}: torch {tuple(t.shape)} -> Keras needs "
                                f"{tuple(s.keras_var.shape)}, got {expected}")
                continue
            used.add(s.key)
            pairs.append((s, t, layer))
    problems += [f"torch tensor {k!r} has no Keras counterpart" for k in tensors if k not in used]
    if problems:
        raise ValueError("cannot pair the torch and Keras models by name:\n  " + "\n  ".join(problems))
    return pairs


def _batchnorm_pairs(torch_model, pairs):
    import keras

    modules = dict(torch_model.named_modules())
    seen = {}
    for s, _, layer in pairs:
        if isinstance(layer, keras.layers.BatchNormalization):
            seen[layer.name] = (modules[s.torch_name], layer)
    return seen.values()


def torch_to_keras(torch_model, keras_model, input_size=None):
    """Copy every weight of ``torch_model`` into the same-named layers of ``keras_model``.

    Batch-norm layers of the Keras model also take over epsilon and momentum.
    """
    pairs = _paired_slots(torch_model, keras_model, input_size)
    for bn, layer in _batchnorm_pairs(torch_model, pairs):
        if bn.momentum is None:
            raise ValueError(f"torch batch norm {layer.name!r} uses momentum=None (cumulative "
                             "average), which Keras cannot express")
        layer.epsilon, layer.momentum = float(bn.eps), 1.0 - float(bn.momentum)
    for s, t, _ in pairs:
        s.keras_var.assign(s.to_keras(t.detach().cpu()).numpy().astype(s.keras_var.dtype, copy=False))
    return keras_model


def keras_to_torch(keras_model, torch_model, input_size=None):
    """Copy every weight of ``keras_model`` into the same-named modules of ``torch_model``."""
    import torch

    pairs = _paired_slots(torch_model, keras_model, input_size)
    for bn, layer in _batchnorm_pairs(torch_model, pairs):
        bn.eps, bn.momentum = float(layer.epsilon), 1.0 - float(layer.momentum)
    with torch.no_grad():
        for s, t, _ in pairs:
            value = torch.from_numpy(np.require(s.keras_var.numpy(), requirements="W"))
            t.copy_(s.to_torch(value))
    return torch_model


# ------------------------------------------------------------------- NumPy
def _check_same_keys(source, target, what):
    missing = sorted(set(target) - set(source))
    extra = sorted(set(source) - set(target))
    bad = [f"{k}: {tuple(np.shape(source[k]))} vs {tuple(np.shape(target[k]))}"
           for k in sorted(set(source) & set(target)) if tuple(np.shape(source[k])) != tuple(np.shape(target[k]))]
    if missing or extra or bad:
        raise ValueError(f"{what} state dicts do not match: missing keys {missing}, unexpected keys "
                         f"{extra}, shape mismatches {bad}")


def torch_to_numpy(torch_model, numpy_model):
    """Copy a torch state dict into a ``cnncourse.numpy.nn`` model with the same names."""
    source = {k: v.detach().cpu().numpy().copy() for k, v in torch_model.state_dict().items()}
    _check_same_keys(source, numpy_model.state_dict(), "torch -> NumPy")
    numpy_model.load_state_dict(source)
    return numpy_model


def numpy_to_torch(numpy_model, torch_model):
    """Copy a ``cnncourse.numpy.nn`` model's state dict into the same-named torch model."""
    import torch

    source = numpy_model.state_dict()
    target = torch_model.state_dict()
    _check_same_keys(source, target, "NumPy -> torch")
    with torch.no_grad():
        for k, t in target.items():
            t.copy_(torch.as_tensor(np.asarray(source[k]), dtype=t.dtype))
    return torch_model
