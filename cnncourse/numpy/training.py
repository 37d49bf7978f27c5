"""Training loop for the NumPy reference models (``cnncourse.numpy.nn``), same History as torch.

Forward, loss, backward and the optimizer step are written out so the loop reads like
the lecture: nothing is hidden in a framework.

Taught in: chapter 7 (LeNet-5 trained in NumPy, PyTorch and Keras).
"""
import json
import os
import sys

import numpy as np
from tqdm.auto import tqdm

from cnncourse.budget import Budget
from cnncourse.data.batches import as_arrays, epoch_batches
from cnncourse.data.cache import atomic_write
from cnncourse.data.transforms import augmentation, to_float_nchw
from cnncourse.evaluation import summarize
from cnncourse.history import History
from cnncourse.numpy import nn, optim
from cnncourse.recipes import check_training
from cnncourse.schedules import lr_at


def make_optimizer(model, optimizer, lr, momentum, weight_decay):
    if optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                         weight_decay=weight_decay, nesterov=momentum > 0)
    if optimizer == "adam":
        return optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of ('sgd', 'adam'), got {optimizer!r}")


def to_input(images):
    """uint8 NHWC -> float32 NCHW in [-1, 1]; float arrays are taken as NCHW input."""
    return to_float_nchw(images) if images.dtype == np.uint8 else images.astype(np.float32)


def save_checkpoint(path, model, opt, epoch, history):
    """Model, optimizer state, epoch and history in one ``.npz``, written atomically."""
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    for i, state in enumerate(opt.state):
        arrays.update({f"optim/{i}/{k}": np.asarray(v) for k, v in state.items()})
    meta = {"epoch": epoch, "history": history.to_json()}
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), **arrays)


def load_checkpoint(path, model, opt):
    """Restore model and optimizer from :func:`save_checkpoint`; returns (epoch, History)."""
    with np.load(path, allow_pickle=False) as data:
        model.load_state_dict({k[6:]: data[k] for k in data.files if k.startswith("model/")})
        opt.state = [{} for _ in opt.params]
        for key in data.files:
            if key.startswith("optim/"):
                _, i, name = key.split("/", 2)
                value = data[key]
                opt.state[int(i)][name] = int(value) if value.ndim == 0 else value.copy()
        meta = json.loads(str(data["meta"]))
    return meta["epoch"], History.from_json(meta["history"])


def train(model, train, test=None, epochs=10, *, batch_size=128, optimizer="adam", lr=None,
          momentum=0.9, weight_decay=0.0, schedule=None, label_smoothing=0.0,
          max_seconds=None, checkpoint=None, augment=None, seed=0, progress="auto",
          on_epoch=None, device="cpu"):
    """Train a ``cnncourse.numpy.nn`` model in place; arguments as in the torch ``train``."""
    if device not in ("cpu", "auto"):
        raise ValueError(f"device must be 'cpu' or 'auto' (the NumPy reference runs on the CPU "
                         f"only), got {device!r}")
    lr = check_training(epochs, batch_size, optimizer, lr, schedule, label_smoothing, max_seconds)
    augment = augmentation(augment)
    images, labels = as_arrays(train, "train")
    test_arrays = as_arrays(test, "test") if test is not None else None
    opt = make_optimizer(model, optimizer, lr, momentum, weight_decay)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    history, start_epoch = History(), 0
    if checkpoint is not None and os.path.exists(checkpoint):
        start_epoch, history = load_checkpoint(checkpoint, model, opt)
    history.meta.update(framework="numpy", device="cpu", optimizer=optimizer, lr=lr,
                        schedule=schedule, batch_size=batch_size)
    steps_per_epoch = -(-len(labels) // batch_size)
    budget = Budget(steps_per_epoch * int(epochs), max_seconds, steps_per_epoch * start_epoch,
                    history.total_seconds)
    bars = sys.stderr.isatty() if progress == "auto" else bool(progress)

    for epoch in range(start_epoch, int(epochs)):
        model.train()
        loss_sum = correct = seen = 0.0
        out_of_time, epoch_lr = False, lr
        budget.start_epoch()
        batches = epoch_batches(images, labels, batch_size, seed, epoch, augment)
        for x, y in tqdm(batches, total=steps_per_epoch, desc=f"epoch {epoch + 1}/{epochs}",
                         disable=not bars, leave=False, file=sys.stderr):
            if budget.exhausted():
                out_of_time = True
                break
            epoch_lr = opt.lr = lr_at(schedule, lr, budget.fraction())
            logits = model(to_input(x))
            loss = loss_fn(logits, y)
            model.zero_grad()
            model.backward(loss_fn.backward())
            opt.step()
            budget.step += 1
            loss_sum += float(loss) * len(y)
            correct += float(np.sum(logits.argmax(1) == y))
            seen += len(y)
        out_of_time = out_of_time or budget.exhausted()
        seconds = budget.end_epoch()
        result = evaluate(model, test_arrays, label_smoothing=label_smoothing) if test is not None else None
        history.append(train_loss=loss_sum / seen, train_accuracy=correct / seen,
                       test_loss=result.loss if result else float("nan"),
                       test_accuracy=result.accuracy if result else float("nan"),
                       seconds=seconds, lr=epoch_lr)
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, opt, epoch + 1, history)
        if on_epoch is not None:
            on_epoch(epoch, history)
        if out_of_time:
            break
    return history


def evaluate(model, images, labels=None, *, batch_size=1000, label_smoothing=0.0):
    """Accuracy, per-class accuracy, confusion matrix and mean loss (eval mode, batched)."""
    images, labels = as_arrays(images if labels is None else (images, labels), "images")
    was_training = model.training
    model.eval()
    logits = np.concatenate([model(to_input(images[i:i + batch_size]))
                             for i in range(0, len(labels), batch_size)])
    model.train(was_training)
    loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)(logits, labels.astype(np.int64))
    return summarize(labels, logits.argmax(1), num_classes=logits.shape[1], loss=float(loss))
