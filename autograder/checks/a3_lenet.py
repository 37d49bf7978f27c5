"""Trusted checks of ``a3-lenet``: LeNet-5 in PyTorch, its parameter counts, and a trained file.

The reference is ``cnncourse.torch.models.lenet5("modern")`` (28x28 input padded by 2,
ReLU, max pooling, 61,706 parameters). The student's ``LeNet5`` class is inspected in
the sandbox through ``autograder/inside/probes.py``; the saved ``lenet5.pt`` is judged here,
loaded weights-only into the reference architecture.
"""
from __future__ import annotations

import numpy as np

from autograder.checks._cases import values
from autograder.checks._models import architecture_cases, fixed_factory, forward_case, randomize, saved_model_check
from autograder.inside import probes
from autograder.judge.methods import MethodRule
from autograder.spec import AssignmentSpec, Check, Limits

VARIANT = "modern"
SAVED_MODEL = "lenet5.pt"
DATASET = "fashion-mnist"
ACCURACY_THRESHOLD = 0.85  # Fashion-MNIST test split; about two epochs of Adam on a CPU


def reference():
    from cnncourse.torch.models import lenet5

    return lenet5(VARIANT)


def architecture(rng):
    return architecture_cases("LeNet5", reference())


def parameter_counts(rng):
    per_layer = probes.parametrized_layers(fixed_factory(reference()))[:, 1]
    return values({"layer_parameters": per_layer, "total_parameters": per_layer.sum()}, rtol=0, atol=0)


def reference_agreement(rng):
    cases = []
    for i, batch in enumerate((5, 2), 1):
        x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        cases.append(forward_case("LeNet5", randomize(reference(), rng), (), x, f"hidden weights and input {i}"))
    return cases


# Section 2 asks for the counts worked out from the formulas, not read off the model
MODEL_ACCESS = frozenset({"LeNet5", "parameters", "named_parameters", "numel", "state_dict", "modules", "children"})
FROM_FORMULAS = MethodRule("layer_parameters", "the assignment asks for counts worked out from the formulas",
                           forbidden=MODEL_ACCESS, function=False)
TOTAL_FROM_FORMULAS = MethodRule("total_parameters", FROM_FORMULAS.prescribed, forbidden=MODEL_ACCESS,
                                 function=False)


def from_formulas(code_cells: list) -> str:
    return FROM_FORMULAS(code_cells) or TOTAL_FROM_FORMULAS(code_cells)


SPEC = AssignmentSpec(
    name="a3-lenet",
    checks=(
        Check("architecture", architecture),
        Check("parameter_counts", parameter_counts, method=from_formulas),
        Check("reference_agreement", reference_agreement),
        Check("saved_model_accuracy", lambda rng: [], files=(SAVED_MODEL,),
              inspect=saved_model_check(SAVED_MODEL, reference, ACCURACY_THRESHOLD, DATASET)),
    ),
    packages=("numpy", "matplotlib", "ipython", "torch"),
    # importing torch reserves a few GiB of address space before any work is done
    limits=Limits(wall_seconds=120, cell_seconds=60, cpu_seconds=240, address_space=8 * 2**30, memory=6 * 2**30),
    gpu=True,
)
