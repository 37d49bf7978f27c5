"""Trusted checks of ``a4-resnet``: BasicBlock, CIFAR-sized ResNet-18, and a short training run.

References: ``cnncourse.torch.models.BasicBlock`` and ``resnet18(num_classes=10,
input_size=32)`` (3x3 stem, no max-pool, 11,173,962 parameters). The saved
``resnet18.pt`` is judged on held-out Fashion-MNIST test images padded to 32x32x3, the
data the notebook trains on on every machine (a pass mark that depended on whether a
machine has CIFAR-10 would fail a student who trained on the other dataset).
"""
from __future__ import annotations

import numpy as np

from autograder.checks._cases import values
from autograder.checks._models import architecture_cases, fixed_factory, forward_case, randomize, saved_model_check
from autograder.inside import probes
from autograder.spec import AssignmentSpec, Check, Limits

SAVED_MODEL = "resnet18.pt"
DATASET = "fashion-mnist"  # padded to 32x32x3 (cnncourse.data.pad_to_rgb32), as the notebook trains
HELD_OUT = 300  # test images drawn per grading run: ResNet-18 costs ~0.6 GFLOP an image
# The CPU budget (one pass over 2,000 images, batch 32, 1cycle, about a minute on 2 cores)
# reaches about 0.75; a GPU's 5 epochs over all 60,000 images reach more.
THRESHOLD = 0.45
# (in_channels, out_channels, stride, input side): identity shortcut, then projection
BLOCKS = [(64, 64, 1, 8), (64, 128, 2, 8)]


def reference():
    from cnncourse.torch.models import resnet18

    return resnet18(num_classes=10, input_size=32)


def basic_block(rng):
    from cnncourse.torch.models import BasicBlock

    cases = []
    for i, (c_in, c_out, stride, side) in enumerate(BLOCKS, 1):
        x = rng.standard_normal((2, c_in, side, side)).astype(np.float32)
        block = randomize(BasicBlock(c_in, c_out, stride), rng)
        cases.append(forward_case("BasicBlock", block, (c_in, c_out, stride), x,
                                  f"BasicBlock({c_in}, {c_out}, stride={stride}) on hidden weights and input"))
    return cases


def architecture(rng):
    return architecture_cases("ResNet18", reference())


def shapes_and_parameters(rng):
    import torch

    model = reference().eval()
    x = model.relu(model.bn1(model.conv1(torch.zeros(1, 3, 32, 32))))
    shapes = []
    with torch.no_grad():
        for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
            x = stage(x)
            shapes.append(tuple(x.shape[1:]))
    total = probes.parametrized_layers(fixed_factory(model))[:, 1].sum()
    return values({"stage_shapes": np.array(shapes), "num_parameters": total}, rtol=0, atol=0)


def reference_agreement(rng):
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    return [forward_case("ResNet18", randomize(reference(), rng), (), x, "ResNet18 on hidden weights and input")]


SPEC = AssignmentSpec(
    name="a4-resnet",
    checks=(
        Check("basic_block", basic_block),
        Check("architecture", architecture),
        Check("shapes_and_parameters", shapes_and_parameters),
        Check("reference_agreement", reference_agreement),
        Check("trained_accuracy", lambda rng: [], files=(SAVED_MODEL,),
              inspect=saved_model_check(SAVED_MODEL, reference, THRESHOLD, DATASET, n=HELD_OUT, rgb32=True)),
    ),
    packages=("numpy", "matplotlib", "ipython", "torch"),
    limits=Limits(wall_seconds=180, cell_seconds=90, cpu_seconds=360, address_space=8 * 2**30, memory=6 * 2**30,
                  file_size=128 * 2**20, tmp_size=128 * 2**20),
    gpu=True,
)
