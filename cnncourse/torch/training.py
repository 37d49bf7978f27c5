"""Training loop and evaluation for PyTorch models.

One function, :func:`train`, covers the course's needs: NumPy arrays, a ``load_dataset``
result or DataLoaders as input; SGD or Adam; 1cycle/cosine/step schedules; label
smoothing; a wall-clock budget; atomic per-epoch checkpoints that resume exactly; CUDA
mixed precision and channels-last; and DistributedDataParallel under ``torchrun``.
"""
import os
import random
import sys
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm

from cnncourse.budget import Budget
from cnncourse.data.batches import as_arrays as _arrays
from cnncourse.data.batches import epoch_batches
from cnncourse.data.cache import atomic_write
from cnncourse.data.transforms import augmentation, to_float_nchw
from cnncourse.evaluation import summarize
from cnncourse.history import History
from cnncourse.recipes import check_training
from cnncourse.schedules import lr_at
from cnncourse.validate import choice


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
    choice(value, ("auto", True, False), name)
    return device.type == "cuda" if value == "auto" else value


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
    raise ValueError(f"optimizer must be one of ('sgd', 'adam'), got {optimizer!r}")


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
class _Stepper:
    """One optimizer step on a batch: device placement, autocast, loss, backward, update,
    and the running totals (loss sum, correct, count), kept on the device."""

    def __init__(self, net, opt, device, amp, channels_last, label_smoothing):
        self.net, self.opt, self.device = net, opt, device
        self.use_amp = _flag(amp, device, "amp")
        if self.use_amp and device.type != "cuda":
            raise ValueError(f"amp must be False on {device}: mixed precision is only "
                             "supported on CUDA")
        self.memory_format = torch.channels_last if _flag(channels_last, device, "channels_last") else None
        self.amp_dtype = torch.bfloat16 if self.use_amp and torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp and self.amp_dtype == torch.float16)
        self.label_smoothing = label_smoothing

    def __call__(self, x, y, totals):
        x = x.to(self.device, non_blocking=True)
        if self.memory_format is not None:
            x = x.contiguous(memory_format=self.memory_format)
        y = y.to(self.device, non_blocking=True)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.use_amp):
            logits = self.net(x)
            loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        with torch.no_grad():  # accumulate on the device: no host sync per step
            n = torch.tensor(float(len(y)), device=self.device)
            totals += torch.stack([loss.detach().float() * n,
                                   (logits.argmax(1) == y).sum().float(), n]).double()


def _resume(checkpoint, model, stepper):
    """``(History, first epoch, step)`` from ``checkpoint`` if it exists, else a fresh start."""
    if checkpoint is None or not Path(checkpoint).exists():
        return History(), 0, 0
    state = torch.load(checkpoint, map_location=stepper.device, weights_only=False)
    model.load_state_dict(state["model"])
    stepper.opt.load_state_dict(state["optimizer"])
    stepper.scaler.load_state_dict(state["scaler"])
    _set_rng_state(state["rng"])
    return History.from_json(state["history"]), state["epoch"], state["schedule"]["step"]


def _train_epoch(stepper, batches, budget, world, schedule, lr, bar):
    """One pass over ``batches`` (or until the budget runs out): ``(totals, out_of_time, lr)``."""
    totals = torch.zeros(3, dtype=torch.float64, device=stepper.device)
    out_of_time, epoch_lr = False, lr
    progress = bar(batches)
    for x, y in progress:
        fraction, out_of_time = _agree(budget, world)
        if out_of_time:  # the previous step crossed the budget
            break
        epoch_lr = lr_at(schedule, lr, fraction)
        for group in stepper.opt.param_groups:
            group["lr"] = epoch_lr
        stepper(x, y, totals)
        budget.step += 1
    else:  # epoch complete: every rank gets here together
        out_of_time = _agree(budget, world)[1]
    progress.close()
    if world > 1:
        dist.all_reduce(totals)
    return totals.cpu(), out_of_time, epoch_lr


def _steps_per_epoch(train, train_arrays, world, batch_size):
    if train_arrays is None:
        return len(train)
    per_rank = -(-len(train_arrays[1]) // world)  # ceil division, as in epoch_order
    return -(-per_rank // batch_size)


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
        raise ValueError("augment only applies to array input; put transforms in your DataLoader")

    rank, world, started_group = _distributed()
    device = resolve_device(device)
    torch.manual_seed(seed)
    net = model
    stepper = _Stepper(net, None, device, amp, channels_last, label_smoothing)
    model.to(device, memory_format=stepper.memory_format) if stepper.memory_format else model.to(device)
    stepper.opt = make_optimizer(model.parameters(), optimizer, lr, momentum, weight_decay)
    history, start_epoch, step = _resume(checkpoint, model, stepper)
    history.meta.update(framework="torch", device=str(device), optimizer=optimizer, lr=lr,
                        schedule=schedule, batch_size=batch_size, world_size=world)
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        stepper.net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    steps_per_epoch = _steps_per_epoch(train, train_arrays, world, batch_size)
    budget = Budget(steps_per_epoch * int(epochs), max_seconds, step, history.total_seconds)
    bars = sys.stderr.isatty() if progress == "auto" else bool(progress)
    for epoch in range(start_epoch, int(epochs)):
        torch.manual_seed(seed * 100_003 + epoch)  # dropout etc.: reproducible per epoch
        if train_arrays is not None:
            batches = array_batches(*train_arrays, batch_size, seed, epoch, augment, rank, world)
        else:
            batches = loader_batches(train, epoch)
        stepper.net.train()
        budget.start_epoch()
        bar = partial(tqdm, total=steps_per_epoch, desc=f"epoch {epoch + 1}/{epochs}",
                      disable=not bars or rank != 0, leave=False, file=sys.stderr)
        totals, out_of_time, epoch_lr = _train_epoch(stepper, batches, budget, world, schedule, lr, bar)
        seconds = budget.end_epoch()
        test_eval = evaluate(model, test if test_arrays is None else test_arrays, device=device,
                             label_smoothing=label_smoothing) if test is not None else None
        history.append(
            train_loss=totals[0] / totals[2], train_accuracy=totals[1] / totals[2],
            test_loss=test_eval.loss if test_eval else float("nan"),
            test_accuracy=test_eval.accuracy if test_eval else float("nan"),
            seconds=seconds, lr=epoch_lr,
        )
        if rank == 0:
            _after_epoch(checkpoint, model, stepper, budget, epoch, history, on_epoch)
        if out_of_time:
            break
    if started_group:
        dist.destroy_process_group()
    return history


def _after_epoch(checkpoint, model, stepper, budget, epoch, history, on_epoch):
    """The checkpoint (written atomically) and the user's ``on_epoch``, on rank 0 only."""
    if checkpoint is not None:
        save_checkpoint(checkpoint, {
            "model": model.state_dict(), "optimizer": stepper.opt.state_dict(),
            "scaler": stepper.scaler.state_dict(), "schedule": {"step": budget.step},
            "epoch": epoch + 1, "history": history.to_json(), "rng": _rng_state(),
        })
    if on_epoch is not None:
        on_epoch(epoch, history)


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
