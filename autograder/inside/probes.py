"""Probes: grader-written helpers that run INSIDE the sandbox on a student's model class.

The harness calls ``probe(target, *args)`` where ``target`` is the student's class (or
factory) and ``args`` are the grader's plain arrays. A probe only turns the student's
``torch.nn.Module`` into plain numbers (shapes, parameter counts, outputs); the verdict
is taken in the grader's process. It imports torch lazily and never ``cnncourse``.
"""
import numpy as np

# Layer kinds the architecture probe reports; anything else holding parameters is -1.
LAYER_KINDS = ("Conv2d", "Linear", "BatchNorm2d", "BatchNorm1d")


def _build(factory, init_args):
    model = factory(*[int(a) if isinstance(a, (int, np.integer)) else a for a in init_args])
    if not hasattr(model, "state_dict"):
        raise TypeError(f"{getattr(factory, '__name__', factory)}(...) did not return a torch.nn.Module")
    return model


def state_shapes(factory, init_args=()):
    """One row per ``state_dict()`` tensor, in order: ``[ndim, size_0, ..., size_3]`` (0-padded)."""
    rows = []
    for tensor in _build(factory, init_args).state_dict().values():
        shape = list(tensor.shape)[:4]
        rows.append([tensor.dim()] + shape + [0] * (4 - len(shape)))
    return np.array(rows, dtype=np.int64).reshape(-1, 5)


def parametrized_layers(factory, init_args=()):
    """One row per module that owns parameters: ``[index in LAYER_KINDS or -1, parameter count]``."""
    rows = []
    for module in _build(factory, init_args).modules():
        own = list(module.parameters(recurse=False))
        if own:
            kind = type(module).__name__
            rows.append([LAYER_KINDS.index(kind) if kind in LAYER_KINDS else -1, sum(p.numel() for p in own)])
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def forward_with(factory, init_args, x, weights):
    """Output of the student's model (eval mode) on ``x`` after loading the grader's ``weights``.

    ``weights`` are matched to ``state_dict()`` by position, so names do not matter but the
    order in which layers are created does (the notebook says which order).
    """
    import torch

    model = _build(factory, init_args)
    state = model.state_dict()
    # the messages name the student's tensors only: the reference's shapes are the answer
    # of the (fixed) architecture check
    if len(state) != len(weights):
        raise ValueError(f"state_dict() has {len(state)} tensors, not as many as the reference")
    loaded = {}
    for (name, tensor), value in zip(state.items(), weights):
        if tuple(tensor.shape) != value.shape:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)}, not the shape of the reference "
                             f"tensor in that position")
        loaded[name] = torch.from_numpy(np.ascontiguousarray(value)).to(tensor.dtype)
    model.load_state_dict(loaded)
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
    return out.detach().cpu().numpy()
