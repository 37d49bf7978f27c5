"""NumPy LeNet-5 variants against a torch ``nn.Sequential`` of the same layers and weights."""
import numpy as np
import pytest
import torch
from test_numpy_activations import assert_close
from test_numpy_nn import compare_with_torch

from cnncourse.architectures import lenet5_spec
from cnncourse.numpy import models, nn, optim


def torch_lenet5(variant, num_classes=10, in_channels=1):
    """The same layer list, built from torch.nn classes (the spec uses torch's names)."""
    _, layers = lenet5_spec(variant, num_classes, in_channels)
    return torch.nn.Sequential(*[getattr(torch.nn, name)(**kwargs) for name, kwargs in layers])


@pytest.mark.parametrize("variant", models.LENET5_VARIANTS)
def test_training_step_matches_torch(variant):
    """Forward, loss, every gradient, and the parameters after one SGD step, in float64."""
    rng = np.random.default_rng(0)
    size = models.LENET5_INPUT_SIZE[variant]
    x, y = rng.normal(size=(6, 1, size, size)), rng.integers(0, 10, 6)
    torch.manual_seed(0)
    ours, theirs = models.lenet5(variant, rng=0), torch_lenet5(variant)
    logits = compare_with_torch(ours, theirs, x)  # forward + backward of a random upstream
    assert logits.shape == (6, 10)
    ours.zero_grad(), theirs.zero_grad()
    loss_fn, t = nn.CrossEntropyLoss(), torch.tensor(x)
    loss = loss_fn(ours(x), y)
    expected = torch.nn.functional.cross_entropy(theirs(t), torch.tensor(y))
    expected.backward()
    ours.backward(loss_fn.backward())
    assert_close(loss, expected.item())
    theirs_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs_grads[name].grad.numpy())
    optim.SGD(ours.parameters(), lr=0.1, momentum=0.9).step()
    torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9).step()
    theirs_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        assert_close(value, theirs_state[name].numpy())


PARAMETER_COUNTS = {"original": 61706, "modern": 61706, "small-kernel": 60074, "batchnorm": 62158}


@pytest.mark.parametrize("variant", models.LENET5_VARIANTS)
def test_parameter_counts_and_shapes(variant):
    model = models.lenet5(variant, num_classes=7, in_channels=3, rng=0)
    counts = {name: p.data.size for name, p in model.named_parameters()}
    expected = sum(p.numel() for p in torch_lenet5(variant, 7, 3).parameters())
    assert sum(counts.values()) == expected
    # The documented totals are for one input channel and ten classes.
    assert sum(p.data.size for p in models.lenet5(variant).parameters()) == PARAMETER_COUNTS[variant]
    size = models.LENET5_INPUT_SIZE[variant]
    assert model(np.zeros((2, 3, size, size), np.float32)).shape == (2, 7)


def test_small_kernel_matches_seed_000_table():
    """Seed 000's Table 10.3 lists 60, 880, 48120, 10164, 850 parameters per weighted layer."""
    model = models.lenet5("small-kernel")
    per_layer = [m.weight.data.size + m.bias.data.size for m in model
                 if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert per_layer == [60, 880, 48120, 10164, 850]


def test_unknown_variant_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"variant must be one of \('original', 'modern'"):
        models.lenet5("alexnet")


def test_same_seed_same_model():
    a, b = models.lenet5(rng=3).state_dict(), models.lenet5(rng=3).state_dict()
    assert_close(list(a.values()), list(b.values()))


def test_learns_a_fixed_batch():
    """Thirty Adam steps on one batch of random labels drive the loss well below log(10)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    model, loss_fn = models.lenet5("modern", rng=0), nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        losses.append(float(loss_fn(model(x), y)))
        model.backward(loss_fn.backward())
        opt.step()
    assert losses[0] > 2.0 and losses[-1] < 0.5 * losses[0]
