"""The PyTorch training loop on a tiny synthetic dataset: learning, exact resume, the time
budget, device/AMP selection, DataLoader input and a 2-process DistributedDataParallel run."""
import os
import socket

import numpy as np
import pytest
import torch

from cnncourse.data.synthetic import bar_images
from cnncourse.torch import training
from cnncourse.torch.models import lenet5

TRAIN = bar_images(192, seed=0)
TEST = bar_images(64, seed=1)
FAST = dict(batch_size=32, optimizer="adam", lr=3e-3, schedule="onecycle", label_smoothing=0.1,
            augment="flip", device="cpu", progress=False)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models: a second thread only adds synchronisation (30x slower on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def fresh_model(seed=0):
    torch.manual_seed(seed)
    return lenet5("batchnorm")


def test_loss_decreases_and_history_is_complete():
    history = training.train(fresh_model(), TRAIN, TEST, 3, **FAST)
    assert history.epochs == 3
    assert history.train_loss[-1] < 0.7 * history.train_loss[0]
    assert history.test_accuracy[-1] > 0.5  # 10 classes: chance is 0.1
    assert history.meta["framework"] == "torch" and history.meta["device"] == "cpu"
    assert history.lr[0] > history.lr[-1]  # one-cycle has annealed


class Crash(Exception):
    pass


def crash_after_first_epoch(epoch, history):
    raise Crash  # the checkpoint of this epoch is already on disk, as after a real crash


def test_resume_from_checkpoint_equals_uninterrupted(tmp_path):
    whole = fresh_model()
    straight = training.train(whole, TRAIN, TEST, 2, checkpoint=tmp_path / "a.pt", **FAST)
    with pytest.raises(Crash):
        training.train(fresh_model(), TRAIN, TEST, 2, checkpoint=tmp_path / "b.pt",
                       on_epoch=crash_after_first_epoch, **FAST)
    resumed_model = fresh_model(seed=123)  # different init: everything must come from the file
    resumed = training.train(resumed_model, TRAIN, TEST, 2, checkpoint=tmp_path / "b.pt", **FAST)
    assert resumed.epochs == 2
    np.testing.assert_allclose(resumed.train_loss, straight.train_loss, rtol=1e-5)
    np.testing.assert_allclose(resumed.lr, straight.lr, rtol=1e-6)
    for key, value in whole.state_dict().items():
        torch.testing.assert_close(resumed_model.state_dict()[key], value, rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt", "b.pt"]  # no .part files


def test_max_seconds_stops_within_the_first_epoch():
    # 6,400 images are 200 steps (about a second here): the 0.05 s budget runs out mid-epoch,
    # and the loop stops at the first step after crossing it.
    history = training.train(fresh_model(), bar_images(6400, seed=2), TEST, 500, max_seconds=0.05,
                             **FAST)
    assert history.epochs == 1 and 0.05 <= history.seconds[0] < 0.5


def test_dataloader_input_and_evaluate():
    from cnncourse.data import torch_loader

    model = fresh_model()
    loader = torch_loader(*TRAIN, batch_size=64, shuffle=True)
    history = training.train(model, loader, torch_loader(*TEST, batch_size=64), 1,
                             device="cpu", progress=False)
    assert history.epochs == 1 and 0 <= history.test_accuracy[0] <= 1
    result = training.evaluate(model, *TEST)
    assert result.confusion_matrix.sum() == len(TEST[1]) and result.confusion_matrix.shape == (10, 10)
    assert result.accuracy == pytest.approx(history.test_accuracy[0])
    with pytest.raises(ValueError, match="augment only applies to array input"):
        training.train(model, loader, epochs=1, augment="flip", progress=False)


@pytest.mark.parametrize("bad, match", [
    (dict(epochs=0), "epochs"), (dict(batch_size=0), "batch_size"),
    (dict(max_seconds=-1), "max_seconds"), (dict(label_smoothing=1.0), "label_smoothing"),
    (dict(optimizer="rmsprop"), "optimizer"), (dict(schedule="linear"), "schedule"),
    (dict(amp=True), r"amp must be False on cpu: mixed precision is only supported on CUDA"),
])
def test_bad_arguments(bad, match):
    args = {"epochs": 1, **FAST, **bad}
    with pytest.raises(ValueError, match=match):
        training.train(fresh_model(), TRAIN, TEST, **args)


def test_device_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    mps = torch.backends.mps
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(mps, "is_available", lambda: True)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert training.resolve_device("auto") == torch.device("cuda", 1)  # torchrun's GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert training.resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(mps, "is_available", lambda: False)
    assert training.resolve_device("auto") == torch.device("cpu")
    assert training.resolve_device("cuda:0") == torch.device("cuda", 0)  # explicit is kept


@pytest.mark.parametrize("kind, expected", [("cuda", True), ("mps", False), ("cpu", False)])
def test_amp_and_channels_last_only_on_cuda(kind, expected):
    device = torch.device(kind)
    assert training._flag("auto", device, "amp") is expected
    assert training._flag("auto", device, "channels_last") is expected
    assert training._flag(False, torch.device("cuda"), "amp") is False
    with pytest.raises(ValueError, match=r"amp must be one of \('auto', True, False\), got 'yes'"):
        training._flag("yes", device, "amp")


def _ddp_worker(rank, world, port, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    model = fresh_model()
    history = training.train(model, TRAIN, TEST, 1, **{**FAST, "augment": None})
    weights = {k: v.detach().clone() for k, v in model.named_parameters()}
    torch.save({"state": weights, "history": history.train_loss}, f"{out}/{rank}.pt")


@pytest.mark.slow  # two fresh interpreters import torch: ~10 s on a quiet machine, 35 s loaded
@pytest.mark.filterwarnings("ignore:Grad strides do not match")
def test_distributed_data_parallel_two_processes(tmp_path):
    """Two gloo processes (what ``torchrun --nproc-per-node 2`` starts) end with equal
    parameters and the same history: gradients were all-reduced and the batches split.
    (Batch-norm running statistics stay per rank, as in DDP itself, so they are not compared.)"""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.multiprocessing.spawn(_ddp_worker, args=(2, port, str(tmp_path)), nprocs=2)
    ranks = [torch.load(tmp_path / f"{r}.pt", weights_only=False) for r in range(2)]
    for key, value in ranks[0]["state"].items():
        torch.testing.assert_close(ranks[1]["state"][key], value)
    assert ranks[0]["history"] == ranks[1]["history"]
    single = fresh_model()
    training.train(single, TRAIN, TEST, 1, **{**FAST, "augment": None})
    single_weights = dict(single.named_parameters())
    moved = any(not torch.allclose(single_weights[k], v) for k, v in ranks[0]["state"].items())
    assert moved  # half-size steps per rank: not the single-process run in disguise
