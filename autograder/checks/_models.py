"""Case builders and the saved-model inspection shared by the PyTorch assignments (a3, a4).

Trusted side only. The student's model class runs in the sandbox through the probes of
``autograder/inside/probes.py``; the same probes run here on the ``cnncourse`` reference,
so both sides turn a model into numbers with one piece of code. The submitted file is
read by ``autograder/judge/saved_weights.py``.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from autograder.inside import probes
from autograder.judge.saved_weights import load_saved_weights
from autograder.spec import Case


def fixed_factory(model):
    """A factory that returns one already-built reference (the probes take factories)."""
    return lambda *args: model


def architecture_cases(target, reference, init_args=()):
    """``state_dict()`` tensor shapes in order, and the kind and size of each layer with parameters."""
    return [
        Case(target, probes.state_shapes(fixed_factory(reference)), args=(init_args,), probe="state_shapes",
             label=f"{target}: state_dict() tensor shapes, one row [ndim, sizes...] per tensor", rtol=0, atol=0,
             fixed=True),
        Case(target, probes.parametrized_layers(fixed_factory(reference)), args=(init_args,),
             probe="parametrized_layers",
             label=f"{target}: layers with parameters, one row [kind {probes.LAYER_KINDS}, count] per layer",
             rtol=0, atol=0, fixed=True),
    ]


def randomize(model, rng):
    """Give ``model`` new random weights and batch-norm statistics drawn from ``rng``."""
    import torch

    torch.manual_seed(int(rng.integers(2**31)))
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            # identity-like defaults would hide a wrong normalisation; draw real-looking ones
            with torch.no_grad():
                module.running_mean.normal_(0.0, 0.3)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.3)
    return model.eval()


def forward_case(target, reference, init_args, x, label):
    """The reference's output on ``x``; the student's model gets the same weights by position."""
    import torch

    weights = tuple(t.detach().numpy().copy() for t in reference.state_dict().values())
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy().astype(np.float64)
    scale = max(1.0, float(np.abs(expected).max()))
    return Case(target, expected, args=(init_args, x, weights), probe="forward_with", label=label,
                rtol=1e-4, atol=1e-4 * scale)


@functools.lru_cache(maxsize=4)
def _test_split(name, rgb32):
    """The test split of dataset ``name`` (never a fallback: the pass mark is for this
    data), padded to 32x32x3 when ``rgb32`` (Fashion-MNIST in CIFAR's shape)."""
    from cnncourse.data import load_dataset, pad_to_rgb32

    data = load_dataset(name, "test")
    if rgb32:
        data.images = pad_to_rgb32(data.images)
    return data


def held_out(name, n=None, seed=0, rgb32=False):
    """Test-split ``(images, labels)`` of a dataset, all of it or ``n`` drawn by ``seed``."""
    data = _test_split(name, rgb32)
    if n is None or n >= len(data.labels):
        return data.images, data.labels
    pick = np.sort(np.random.default_rng(seed).choice(len(data.labels), n, replace=False))
    return data.images[pick], data.labels[pick]


def accuracy(model, images, labels, batch_size=250) -> float:
    """Fraction of ``images`` (uint8 NHWC) that ``model`` classifies right, in eval mode."""
    import torch

    from cnncourse.torch.training import to_input

    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), batch_size):
            logits = model(to_input(images[start:start + batch_size]))
            correct += int((logits.argmax(1).numpy() == labels[start:start + batch_size]).sum())
    return correct / len(labels)


def saved_model_check(filename, build_reference, threshold, dataset, n=None, rgb32=False):
    """An ``inspect`` function: accuracy of the submitted ``filename`` in the reference architecture
    on held-out images of ``dataset``; ``threshold`` is the pass mark.

    The dataset is the assignment's, named in its notebook, and the same on every machine:
    a pass mark that depended on which data a grading machine happens to have would fail
    students who trained on the other one.
    """

    def inspect(folder: Path, seed: int) -> str:
        model = build_reference()
        problem = load_saved_weights(Path(folder) / filename, model)
        if problem:
            return problem
        images, labels = held_out(dataset, n, seed, rgb32)
        score = accuracy(model, images, labels)
        if score >= threshold:
            return ""
        return f"{filename}: accuracy {score:.3f} on {len(labels)} held-out {dataset} images, needs {threshold:.2f}"

    return inspect
