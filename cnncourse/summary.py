"""Per-layer summaries and parameter counts for torch, Keras and ``cnncourse.numpy`` models.

One table format for all three: layer name, type, output shape (batch shown as None)
and the parameters the layer owns. Shapes are NCHW for torch and NumPy models and
NHWC for Keras ones; the header says which. "Parameters" means what torch calls
parameters in every framework: batch-norm running statistics are buffers (in Keras,
non-trainable weights) and are not counted, so counts agree across frameworks.

The framework is recognised from the model's class hierarchy, so this module imports
neither torch nor TensorFlow itself.
"""
import numpy as np

__all__ = ["summary", "count_parameters", "Summary"]


def _framework(model):
    modules = [cls.__module__ for cls in type(model).__mro__]
    if any(m.startswith("torch.nn") for m in modules):
        return "torch"
    if any(m.startswith("keras") for m in modules):
        return "keras"
    if any(m.startswith("cnncourse.numpy.nn") for m in modules):
        return "numpy"
    raise ValueError(f"model must be a torch.nn.Module, a Keras model or a cnncourse.numpy.nn.Module, "
                     f"got {type(model).__name__}")


# ------------------------------------------------------------------ counting
def _keras_buffers(model):
    """ids of Keras batch-norm moving statistics (torch buffers, not parameters)."""
    import keras

    ids = set()
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            ids.update({id(layer.moving_mean), id(layer.moving_variance)})
    return ids


def count_parameters(model, trainable_only=False):
    """Number of parameters (BN running statistics excluded); ``trainable_only`` skips frozen ones."""
    kind = _framework(model)
    if kind == "torch":
        return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    if kind == "keras":
        if trainable_only:
            return int(sum(np.prod(w.shape) for w in model.trainable_weights))
        buffers = _keras_buffers(model)
        return int(sum(np.prod(w.shape) for w in model.weights if id(w) not in buffers))
    return int(sum(p.data.size for p in model.parameters()))  # NumPy: every Parameter trains


# ------------------------------------------------------------------ tables
class Summary:
    """The rows ``(name, type, output_shape, params)`` and totals; ``str()`` is the printed table."""

    def __init__(self, title, layout, rows, total, trainable):
        self.title, self.layout, self.rows = title, layout, rows
        self.total, self.trainable = total, trainable

    def __str__(self):
        header = ("layer", "type", f"output shape ({self.layout})", "params")
        cells = [header] + [(n, t, str(s), f"{p:,}") for n, t, s, p in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(4)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths[:3]) + f"  {{:>{widths[3]}}}"
        rule = "-" * (sum(widths) + 6)
        lines = [self.title, rule, fmt.format(*header), rule, *(fmt.format(*r) for r in cells[1:]), rule,
                 f"total parameters: {self.total:,} (trainable: {self.trainable:,})"]
        return "\n".join(lines)

    def __repr__(self):
        return f"Summary({self.title!r}, {len(self.rows)} rows, total={self.total})"


def _shape(output):
    while isinstance(output, (tuple, list)) and output:
        output = output[0]
    shape = tuple(getattr(output, "shape", ()))
    return (None, *shape[1:]) if shape else "?"


def _torch_rows(model, input_size):
    import torch

    rows, seen = [], set()

    def hook(name):
        def record(module, args, output):
            params = 0 if name in seen else sum(p.numel() for p in module.parameters(recurse=False))
            seen.add(name)
            rows.append((name, type(module).__name__, _shape(output), params))
        return record

    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children()) or
              list(m.parameters(recurse=False))]
    handles = [m.register_forward_hook(hook(n or type(m).__name__)) for n, m in leaves]
    modes = {m: m.training for m in model.modules()}
    first = next(model.parameters(), None)
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((2, *input_size), dtype=first.dtype if first is not None else torch.float32))
    finally:
        for h in handles:
            h.remove()
        for m, flag in modes.items():
            m.training = flag
    return rows


def _numpy_rows(model, input_size):
    rows, seen = [], set()
    leaves = [(n, m) for n, m in model.named_modules() if not m._modules]

    def wrap(name, module, forward):
        def recording_forward(*inputs):
            output = forward(*inputs)
            params = 0 if name in seen else sum(p.data.size for p in module._parameters.values())
            seen.add(name)
            rows.append((name, type(module).__name__, _shape(output), params))
            return output
        return recording_forward

    first = next(model.parameters(), None)
    was_training = model.training
    try:
        for n, m in leaves:
            object.__setattr__(m, "forward", wrap(n or type(m).__name__, m, m.forward))
        model.eval()
        model(np.zeros((2, *input_size), dtype=first.data.dtype if first is not None else np.float32))
    finally:
        for _, m in leaves:
            m.__dict__.pop("forward", None)
        model.train(was_training)
    return rows


def _keras_rows(model, input_size):
    import keras

    if not model.built or not getattr(model, "inputs", None):
        if input_size is None:
            raise ValueError("this Keras model has no defined input: pass input_size=(H, W, C)")
        model(np.zeros((1, *input_size), dtype=np.float32))
    buffers = _keras_buffers(model)
    rows = []

    def walk(layer):
        if isinstance(layer, keras.Model):  # Sequential/functional (sub)models: list their layers
            for sub in layer.layers:
                walk(sub)
            return
        if isinstance(layer, keras.layers.InputLayer):
            return
        try:
            shape = _shape(layer.output)
        except (AttributeError, ValueError):
            shape = "?"  # a layer inside a subclassed block has no symbolic output
        params = int(sum(np.prod(w.shape) for w in layer.weights if id(w) not in buffers))
        rows.append((layer.name, type(layer).__name__, shape, params))

    walk(model)
    return rows


def summary(model, input_size=None, print_fn=print):
    """Print and return a :class:`Summary` of ``model``.

    ``input_size`` is one sample's shape: (C, H, W) for torch and NumPy models, required
    there because the table comes from running a batch of zeros through the model with
    recording hooks; (H, W, C) for Keras, needed only when the model has no ``Input``.
    """
    kind = _framework(model)
    if kind in ("torch", "numpy"):
        if input_size is None:
            raise ValueError(f"input_size=(C, H, W) is required to summarise a {kind} model")
        rows = (_torch_rows if kind == "torch" else _numpy_rows)(model, tuple(input_size))
        layout = "NCHW"
    else:
        rows, layout = _keras_rows(model, input_size), "NHWC"
    table = Summary(f"{type(model).__name__} ({kind})", layout, rows,
                    count_parameters(model), count_parameters(model, trainable_only=True))
    if print_fn is not None:
        print_fn(str(table))
    return table
