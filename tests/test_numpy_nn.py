"""``cnncourse.numpy.nn`` modules and ``optim`` against torch, with weights copied by name."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_numpy_activations import assert_close

import cnncourse.numpy.functional as F
from cnncourse.numpy import nn, optim


def compare_with_torch(ours, theirs, x, seed=0):
    """Copy ``theirs``' state into ``ours``; forward and backward must agree in float64.

    Checks the output, the input gradient, every parameter gradient (by name) and the
    state after the pass (running statistics). Returns our output for further checks.
    """
    theirs = theirs.double()
    ours.double().load_state_dict(theirs.state_dict())
    out = ours(x)
    t = torch.tensor(x, requires_grad=True)
    expected = theirs(t)
    assert_close(out, expected.detach().numpy())
    g = np.random.default_rng(seed).normal(size=out.shape)
    expected.backward(torch.tensor(g))
    assert_close(ours.backward(g), t.grad.numpy())
    theirs_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    ours_grads = {name: p.grad for name, p in ours.named_parameters()}
    assert list(ours_grads) == list(theirs_grads)
    assert_close(list(ours_grads.values()), list(theirs_grads.values()))
    theirs_state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs_state)
    assert_close(list(ours.state_dict().values()), list(theirs_state.values()))
    return out


conv_configs = st.fixed_dictionaries(dict(
    groups=st.sampled_from([1, 2]), kernel_size=st.sampled_from([1, 2, 3, (2, 3)]),
    stride=st.sampled_from([1, 2, (1, 2)]), padding=st.sampled_from([0, 1, (1, 0)]),
    dilation=st.sampled_from([1, 2]), bias=st.booleans()))


@settings(max_examples=15)
@given(config=conv_configs, seed=st.integers(0, 2**16))
def test_conv2d_module_matches_torch(config, seed):
    x = np.random.default_rng(seed).normal(size=(2, 4, 7, 6))
    torch.manual_seed(seed)
    compare_with_torch(nn.Conv2d(4, 6, **config), torch.nn.Conv2d(4, 6, **config), x, seed)


@settings(max_examples=15)
@given(config=conv_configs, output_padding=st.sampled_from([0, 1]), seed=st.integers(0, 2**16))
def test_conv_transpose2d_module_matches_torch(config, output_padding, seed):
    stride, dilation = config["stride"], config["dilation"]
    # torch requires output_padding < stride or < dilation in each direction.
    if output_padding >= max(min(np.atleast_1d(stride)), dilation):
        output_padding = 0
    x = np.random.default_rng(seed).normal(size=(2, 4, 4, 5))
    torch.manual_seed(seed)
    compare_with_torch(nn.ConvTranspose2d(4, 6, output_padding=output_padding, **config),
                       torch.nn.ConvTranspose2d(4, 6, output_padding=output_padding, **config),
                       x, seed)


@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=3), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_linear_module_matches_torch(lead, bias, seed):
    x = np.random.default_rng(seed).normal(size=tuple(lead) + (5,))
    torch.manual_seed(seed)
    compare_with_torch(nn.Linear(5, 3, bias), torch.nn.Linear(5, 3, bias), x, seed)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dims, track, affine", [(2, True, True), (2, False, True),
                                                  (1, True, False), (1, True, True)])
def test_batchnorm_modules_match_torch(dims, track, affine, momentum, training):
    rng = np.random.default_rng(dims)
    shape = (5, 3, 4, 2) if dims == 2 else (6, 3)
    kwargs = dict(momentum=momentum, affine=affine, track_running_stats=track)
    ours = getattr(nn, f"BatchNorm{dims}d")(3, **kwargs)
    theirs = getattr(torch.nn, f"BatchNorm{dims}d")(3, **kwargs)
    if affine:  # non-trivial scale and shift, so their gradients are tested
        theirs.weight.data.uniform_(0.5, 1.5), theirs.bias.data.normal_()
    ours.train(training), theirs.train(training)
    for step in range(3):  # several batches exercise the running averages
        theirs.zero_grad(), ours.zero_grad()
        compare_with_torch(ours, theirs, rng.normal(size=shape) * 2 + 1, seed=step)


def test_sequential_of_every_layer_matches_torch():
    torch.manual_seed(0)
    layers = [("Conv2d", (2, 4, 3), dict(padding=1)), ("BatchNorm2d", (4,), {}), ("Tanh", (), {}),
              ("MaxPool2d", (2,), {}), ("ConvTranspose2d", (4, 3, 2), dict(stride=2)),
              ("Sigmoid", (), {}), ("AvgPool2d", (2,), dict(stride=1)), ("ReLU", (), {}),
              ("Dropout", (0.3,), {}), ("Flatten", (), {}), ("Linear", (75, 5), {})]
    ours = nn.Sequential(*[getattr(nn, name)(*args, **kw) for name, args, kw in layers])
    theirs = torch.nn.Sequential(*[getattr(torch.nn, name)(*args, **kw)
                                   for name, args, kw in layers])
    ours.eval(), theirs.eval()  # dropout is random in training; its own tests cover that
    x = np.random.default_rng(0).normal(size=(3, 2, 6, 6))
    compare_with_torch(ours, theirs, x)
    assert isinstance(ours[4], nn.ConvTranspose2d) and len(ours) == len(layers)
    assert [type(m) for m in ours[1:3]] == [nn.BatchNorm2d, nn.Tanh]


def test_cross_entropy_module_matches_torch():
    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(4, 5)), rng.integers(0, 5, 4)
    ours = nn.CrossEntropyLoss(label_smoothing=0.1)
    theirs = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    t = torch.tensor(logits, requires_grad=True)
    expected = theirs(t, torch.tensor(target))
    expected.backward()
    assert_close(ours(logits, target), expected.detach().numpy())
    assert_close(ours.backward(), t.grad.numpy())


def test_initialization_is_torch_like_and_seeded():
    conv = nn.Conv2d(6, 16, 5, rng=0)
    assert conv.weight.data.dtype == np.float32 and conv.weight.shape == (16, 6, 5, 5)
    bound = 1 / np.sqrt(6 * 5 * 5)
    for p in (conv.weight.data, conv.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound
    # Uniform on [-b, b] has standard deviation b / sqrt(3).
    assert abs(conv.weight.data.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert_close(nn.Conv2d(6, 16, 5, rng=0).weight.data, conv.weight.data)
    assert not np.allclose(nn.Conv2d(6, 16, 5, rng=1).weight.data, conv.weight.data)
    transposed = nn.ConvTranspose2d(4, 6, 3, groups=2, rng=0)  # torch: fan_in = 6/2 * 3 * 3
    assert np.abs(transposed.weight.data).max() <= 1 / np.sqrt(27)


def test_gradients_accumulate_until_zero_grad():
    layer = nn.Linear(3, 2, rng=0).double()
    x, g = np.ones((4, 3)), np.ones((4, 2))
    layer(x), layer.backward(g)
    first = layer.weight.grad.copy()
    layer(x), layer.backward(g)
    assert_close(layer.weight.grad, 2 * first)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_train_eval_reach_children_and_dropout():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5, rng=0))
    x = np.ones((200, 4), dtype=np.float32)
    out = model(x)
    # Training: about half the units dropped, the rest scaled by 2; backward uses the same mask.
    assert set(np.unique(out[:, 0] / model[0](x)[:, 0]).round(6)) <= {0.0, 2.0}
    assert 0.35 < (out == 0).mean() < 0.65
    assert_close(model[1].backward(np.ones_like(out)), (out != 0) * 2.0)
    model.eval()
    assert not model[1].training and not model[0].training
    assert_close(model(x), model[0](x))


def test_dropout_functional():
    x = np.random.default_rng(0).normal(size=(50, 40))
    out, mask = F.dropout(x, 0.2, rng=7)
    assert_close(F.dropout(x, 0.2, rng=7)[0], out)  # same seed, same mask
    assert set(np.unique(mask)) == {0.0, 1.25}
    assert abs((mask == 0).mean() - 0.2) < 0.05
    assert_close(F.dropout_backward(np.ones_like(x), mask), mask)
    assert F.dropout(x, 0.0)[1] is None and F.dropout(x, 0.9, training=False)[0] is x
    assert not F.dropout(x, 1.0)[0].any()  # torch also returns zeros, not nan, for p=1
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\]"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\]"):
        nn.Dropout(-0.1)


def test_state_dict_round_trip_and_errors():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.BatchNorm2d(2), nn.Flatten(),
                          nn.Linear(2, 1, rng=0))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(2, 1))
    assert list(model.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    before = model.state_dict()
    state = dict(before, **{"0.weight": np.zeros((2, 1, 2, 2))})
    with pytest.raises(ValueError, match=r"state_dict\['0.weight'\] has shape \(2, 1, 2, 2\)"):
        model.load_state_dict(state)
    with pytest.raises(ValueError, match=r"missing keys \['3.bias'\]"):
        model.load_state_dict({k: v for k, v in before.items() if k != "3.bias"})
    assert_close(list(model.state_dict().values()), list(before.values()))  # untouched
    model.load_state_dict({"3.bias": np.array([5.0])}, strict=False)
    assert model[3].bias.data.dtype == np.float32 and model[3].bias.data[0] == 5.0


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="Linear.backward called before forward"):
        nn.Linear(2, 2).backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="BatchNorm2d expects a 4-D input"):
        nn.BatchNorm2d(3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="in_channels=3 must be divisible by groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)


# ---------------------------------------------------------------- optimizers
OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}-{k}" for n, k in OPTIMIZERS])
def test_optimizers_match_torch(name, kwargs):
    """Ten steps with a fresh gradient each step; torch's parameters must agree to 1e-10."""
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,)]
    ours = [nn.Parameter(rng.normal(size=s)) for s in shapes]
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    ours_opt = getattr(optim, name)(ours, **kwargs)
    theirs_opt = getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(10):
        for p, t in zip(ours, theirs):
            p.grad = rng.normal(size=p.shape)
            t.grad = torch.tensor(p.grad.copy())
        ours_opt.step(), theirs_opt.step()
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-10)
    ours_opt.zero_grad()
    assert all(p.grad is None for p in ours)


def test_optimizer_bad_arguments():
    params = [nn.Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="nesterov=True requires momentum > 0"):
        optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr must be a number >= 0"):
        optim.Adam(params, lr=-1)
    with pytest.raises(ValueError, match=r"betas\[1\] must be a number in \[0, 1\)"):
        optim.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="params is empty"):
        optim.SGD([], lr=0.1)
