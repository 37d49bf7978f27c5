"""Training loop and evaluation for PyTorch models.

One function, :func:`train`, covers the course's needs: NumPy arrays, a ``load_dataset``
result or DataLoaders as input; SGD or Adam; 1cycle/cosine/step schedules; label
smoothing; a wall-clock budget; atomic per-epoch checkpoints that resume exactly; CUDA
mixed precision and channels-last; and DistributedDataParallel under ``torchrun``.
"""
import os
import random
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm

from cnncourse.data.cache import atomic_write
from cnncourse.data.batches import as_arrays as _arrays
from cnncourse.data.batches import epoch_batches
from cnncourse.data.transforms import augmentation, to_float_nchw
from cnncourse.evaluation import summarize
from cnncourse.history import Budget, History, check_training, lr_at

# ----------------------------------------------------------------------------- inputs
def as_arrays(data, name="train"):
    """``(images, labels)`` from a ``load_dataset`` result or a pair; None for a DataLoader."""
    if isinstance(data, torch.utils.data.DataLoader):
        return None
    return _arrays(data, name)


def to_input(images):
    """Model input from a NumPy batch: uint8 NHWC images -> float NCHW in [-1, 1].

    Float arrays are taken as already prepared NCHW input.
    """
    if images.dtype == np.uint8:
        images = to_float_nchw(images)
    return torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))


def array_batches(images, labels, batch_size, seed, epoch, augment=None, rank=0, world_size=1):
    """(x, y) tensors of one epoch; order and augmentation depend only on (seed, epoch)."""
    for x, y in epoch_batches(images, labels, batch_size, seed, epoch, augment, rank, world_size):
        yield to_input(x), torch.from_numpy(y)


def loader_batches(loader, epoch):
    """(x, y) from a DataLoader, telling a DistributedSampler which epoch it is."""
    if hasattr(loader.sampler, "set_epoch"):
        loader.sampler.set_epoch(epoch)
    yield from loader


# ----------------------------------------------------------------------------- setup
def resolve_device(device="auto"):
    """"auto": CUDA (this process's GPU under torchrun), then Apple MPS, then CPU."""
    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _flag(value, device, name):
    """Resolve an "auto"/True/False flag that only CUDA enables by default."""
    if value == "auto":
        return device.type == "cuda"
    if not isinstance(value, bool):
        raise ValueError(f"{name}: must be 'auto', True or False, got {value!r}")
    return value


def _distributed():
    """(rank, world_size, started_here): joins the torchrun process group when WORLD_SIZE > 1."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world <= 1:
        return 0, 1, False
    started = not dist.is_initialized()
    if started:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), dist.get_world_size(), started


def _agree(budget, world_size):
    """(schedule progress, out of time), made identical on every rank by taking the maximum.

    Under DDP all ranks must use the same learning rate and stop at the same step, or the
    gradient all-reduce of the rank that went on would wait forever.
    """
    fraction, out_of_time = budget.fraction(), budget.exhausted()
    if world_size > 1:
        flags = torch.tensor([fraction, float(out_of_time)], dtype=torch.float64)
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        fraction, out_of_time = flags[0].item(), bool(flags[1].item())
    return fraction, out_of_time


def make_optimizer(params, optimizer, lr, momentum, weight_decay):
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                               nesterov=momentum > 0)
    if optimizer == "adam":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer: must be 'sgd' or 'adam', got {optimizer!r}")


# ----------------------------------------------------------------------------- checkpoints
def save_checkpoint(path, state):
    """``torch.save`` to a temporary file, then rename: never a half-written checkpoint."""
    with atomic_write(path) as tmp:
        torch.save(state, tmp)


def _rng_state():
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
             "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state):
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ----------------------------------------------------------------------------- train
def train(model, train, test=None, epochs=10, *, batch_size=128, optimizer="adam", lr=None,
          momentum=0.9, weight_decay=0.0, schedule=None, label_smoothing=0.0, device="auto",
          amp="auto", channels_last="auto", max_seconds=None, checkpoint=None, augment=None,
          seed=0, progress="auto", on_epoch=None):
    """Train ``model`` in place and return its :class:`~cnncourse.history.History`.

    ``train``/``test``: ``(images, labels)`` NumPy arrays (uint8 NHWC images are scaled to
    [-1, 1] NCHW; float arrays are used as NCHW input), a ``load_dataset`` result, or
    DataLoaders yielding ``(x, y)`` tensors. ``max_seconds`` caps training time (evaluation
    excluded): the epoch in progress stops after the step that crosses it and is evaluated.
    ``checkpoint``: a path written after every epoch and resumed from when it exists.
    ``augment``: None, "flip", "crop", "light" or a callable ``(images NHWC, rng) -> images``
    (array input only). ``on_epoch(epoch, history)`` is called after each epoch.
    """
    lr = check_training(epochs, batch_size, optimizer, lr, schedule, label_smoothing, max_seconds)
    augment = augmentation(augment)
    train_arrays, test_arrays = as_arrays(train, "train"), as_arrays(test, "test") if test is not None else None
    if augment is not None and train_arrays is None:
        raise ValueError("augment: only applies to array input; put transforms in your DataLoader")

    rank, world, started_group = _distributed()
    device = resolve_device(device)
    use_amp = _flag(amp, device, "amp")
    if use_amp and device.type != "cuda":
        raise ValueError(f"amp: mixed precision is only supported on CUDA, device is {device}")
    memory_format = torch.channels_last if _flag(channels_last, device, "channels_last") else None
    torch.manual_seed(seed)
    model.to(device, memory_format=memory_format) if memory_format else model.to(device)
    opt = make_optimizer(model.parameters(), optimizer, lr, momentum, weight_decay)
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)

    history, start_epoch, step = History(), 0, 0
    if checkpoint is not None and Path(checkpoint).exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        history = History.from_json(state["history"])
        start_epoch, step = state["epoch"], state["schedule"]["step"]
        _set_rng_state(state["rng"])
    history.meta.update(framework="torch", device=str(device), optimizer=optimizer, lr=lr,
                        schedule=schedule, batch_size=batch_size, world_size=world)

    net = model
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    if train_arrays is not None:
        per_rank = -(-len(train_arrays[1]) // world)  # ceil division, as in epoch_order
        steps_per_epoch = -(-per_rank // batch_size)
    else:
        steps_per_epoch = len(train)
    budget = Budget(steps_per_epoch * int(epochs), max_seconds, step, history.total_seconds)
    bars = sys.stderr.isatty() if progress == "auto" else bool(progress)

    for epoch in range(start_epoch, int(epochs)):
        torch.manual_seed(seed * 100_003 + epoch)  # dropout etc.: reproducible per epoch
        if train_arrays is not None:
            batches = array_batches(*train_arrays, batch_size, seed, epoch, augment, rank, world)
        else:
            batches = loader_batches(train, epoch)
        net.train()
        totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, count
        out_of_time, epoch_lr = False, lr
        budget.start_epoch()
        bar = tqdm(batches, total=steps_per_epoch, desc=f"epoch {epoch + 1}/{epochs}",
                   disable=not bars or rank != 0, leave=False, file=sys.stderr)
        for x, y in bar:
            fraction, out_of_time = _agree(budget, world)
            if out_of_time:  # the previous step crossed the budget
                break
            epoch_lr = lr_at(schedule, lr, fraction)
            for group in opt.param_groups:
                group["lr"] = epoch_lr
            x = x.to(device, non_blocking=True)
            if memory_format is not None:
                x = x.contiguous(memory_format=memory_format)
            y = y.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
                logits = net(x)
                loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            budget.step += 1
            with torch.no_grad():  # accumulate on the device: no host sync per step
                n = torch.tensor(float(len(y)), device=device)
                totals += torch.stack([loss.detach().float() * n,
                                       (logits.argmax(1) == y).sum().float(), n]).double()
        else:  # epoch complete: every rank gets here together
            out_of_time = _agree(budget, world)[1]
        bar.close()
        seconds = budget.end_epoch()
        if world > 1:
            dist.all_reduce(totals)
        test_eval = evaluate(model, test if test_arrays is None else test_arrays, device=device,
                             label_smoothing=label_smoothing) if test is not None else None
        totals = totals.cpu()
        history.append(
            train_loss=totals[0] / totals[2], train_accuracy=totals[1] / totals[2],
            test_loss=test_eval.loss if test_eval else float("nan"),
            test_accuracy=test_eval.accuracy if test_eval else float("nan"),
            seconds=seconds, lr=epoch_lr,
        )
        if checkpoint is not None and rank == 0:
            save_checkpoint(checkpoint, {
                "model": model.state_dict(), "optimizer": opt.state_dict(),
                "scaler": scaler.state_dict(), "schedule": {"step": budget.step},
                "epoch": epoch + 1, "history": history.to_json(), "rng": _rng_state(),
            })
        if on_epoch is not None and rank == 0:
            on_epoch(epoch, history)
        if out_of_time:
            break
    if started_group:
        dist.destroy_process_group()
    return history


# ----------------------------------------------------------------------------- evaluate
@torch.no_grad()
def predict(model, data, batch_size=512, device=None):
    """(logits as a float tensor on CPU, labels as int64 NumPy) over arrays or a DataLoader."""
    device = next(model.parameters()).device if device is None else torch.device(device)
    arrays = as_arrays(data, "data")
    if arrays is not None:
        images, labels = arrays
        batches = ((to_input(images[i:i + batch_size]), torch.from_numpy(labels[i:i + batch_size]))
                   for i in range(0, len(labels), batch_size))
    else:
        batches = iter(data)
    was_training = model.training
    model.eval()
    outputs, targets = [], []
    for x, y in batches:
        outputs.append(model(x.to(device)).float().cpu())
        targets.append(torch.as_tensor(y).cpu())
    model.train(was_training)
    return torch.cat(outputs), torch.cat(targets).numpy().astype(np.int64)


def evaluate(model, images, labels=None, *, batch_size=512, device=None, label_smoothing=0.0):
    """Accuracy, per-class accuracy, confusion matrix and mean loss of ``model``.

    ``images`` may be an image array (with ``labels``), a ``load_dataset`` result,
    an ``(images, labels)`` pair or a DataLoader.
    """
    data = images if labels is None else (images, labels)
    logits, targets = predict(model, data, batch_size, device)
    loss = F.cross_entropy(logits, torch.from_numpy(targets), label_smoothing=label_smoothing)
    return summarize(targets, logits.argmax(1).numpy(), num_classes=logits.shape[1],
                     loss=loss.item())
