"""Training loop and evaluation for Keras models, the twin of :mod:`cnncourse.torch.training`.

:func:`train` takes the same arguments and returns the same
:class:`~cnncourse.history.History` as the torch loop, but the stepping is Keras's own
``Model.fit``, called once per epoch on that epoch's batches (the same shuffled order and
NumPy augmentation as the other loops, laid out as one array), and everything else is a
callback - the learning rate schedule, the time budget, evaluation, history and checkpoints.
"""
import json
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cnncourse.budget import Budget
from cnncourse.data.batches import as_arrays, epoch_batches
from cnncourse.data.cache import atomic_write
from cnncourse.data.transforms import augmentation, normalize
from cnncourse.evaluation import summarize
from cnncourse.history import History
from cnncourse.recipes import check_training
from cnncourse.schedules import lr_at

_SCALE = normalize(0.5, 0.5)  # uint8 -> [-1, 1], as the torch and NumPy loops do


def to_input(images):
    """Model input from a NumPy batch: uint8 NHWC -> float32 NHWC in [-1, 1]; float kept."""
    return _SCALE(images) if images.dtype == np.uint8 else images.astype(np.float32)


# ----------------------------------------------------------------------------- setup
def resolve_device(device="auto"):
    """A TensorFlow device name: "auto" -> the first GPU if any (CUDA or Metal), else the CPU.

    Accepts torch-style names too ("cuda", "cuda:1", "cpu") so the CLI's ``--device`` works.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if device == "auto":
        return "/GPU:0" if gpus else "/CPU:0"
    kind, _, index = str(device).lower().partition(":")
    if kind == "cpu":
        return "/CPU:0"
    if kind in ("cuda", "gpu", "mps"):
        if int(index or 0) >= len(gpus):
            raise ValueError(f"device {device!r} requested but TensorFlow sees {len(gpus)} GPU(s)")
        return f"/GPU:{int(index or 0)}"
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda[:i]' or 'gpu[:i]', got {device!r}")


def _check_amp(amp, device, model):
    """Keras mixed precision is a dtype policy fixed when the model is built, not a switch here."""
    if amp in ("auto", False):
        return
    if amp is not True:
        raise ValueError(f"amp must be one of ('auto', True, False), got {amp!r}")
    if "GPU" not in device:
        raise ValueError(f"amp must be False on {device}: mixed precision is only supported "
                         "on a GPU")
    if not model.dtype_policy.name.startswith("mixed"):
        raise ValueError("amp=True needs a mixed-precision model: build it after "
                         "keras.mixed_precision.set_global_policy"
                         "('mixed_float16') to train it in mixed precision")


def make_optimizer(optimizer, lr, momentum, weight_decay):
    """SGD (Nesterov when momentum > 0) or AdamW, weight decay decoupled in both (Keras's way)."""
    decay = weight_decay or None
    if optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=momentum, nesterov=momentum > 0, weight_decay=decay)
    if optimizer == "adam":
        return keras.optimizers.AdamW(lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of ('sgd', 'adam'), got {optimizer!r}")


def epoch_arrays(images, labels, batch_size, seed, epoch, augment, num_classes):
    """One epoch's batches, in order, as ``(x, one-hot y)`` arrays for ``fit(shuffle=False)``.

    Built in NumPy before the epoch rather than streamed from a Python generator: a
    ``tf.data`` generator cost 13 % of LeNet-5's training throughput on 2 cores. Labels
    are one-hot so that ``CategoricalCrossentropy`` can smooth them.
    """
    xs, ys = zip(*epoch_batches(images, labels, batch_size, seed, epoch, augment))
    return to_input(np.concatenate(xs)), np.eye(num_classes, dtype=np.float32)[np.concatenate(ys)]


# ----------------------------------------------------------------------------- checkpoints
def save_checkpoint(path, model, epoch, step, history):
    """Model weights, optimizer variables, epoch, step and history in one ``.npz``, atomically."""
    arrays = {f"model/{i}": w for i, w in enumerate(model.get_weights())}
    arrays.update({f"optim/{i}": np.asarray(v) for i, v in enumerate(model.optimizer.variables)})
    meta = {"epoch": epoch, "step": step, "history": history.to_json()}
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), **arrays)


def load_checkpoint(path, model):
    """Restore a compiled ``model`` and its optimizer; returns (epoch, step, History)."""
    with np.load(path, allow_pickle=False) as data:
        def numbered(prefix):
            keys = sorted((k for k in data.files if k.startswith(prefix)),
                          key=lambda k: int(k.split("/")[1]))
            return [data[k] for k in keys]

        weights, slots = numbered("model/"), numbered("optim/")
        meta = json.loads(str(data["meta"]))
    if len(weights) != len(model.weights):
        raise ValueError(f"checkpoint {path} holds {len(weights)} weights, the model has "
                         f"{len(model.weights)}: it was written for another model")
    model.set_weights(weights)
    if len(slots) != len(model.optimizer.variables):
        raise ValueError(f"checkpoint {path} holds {len(slots)} optimizer variables, "
                         f"expected {len(model.optimizer.variables)}")
    for variable, value in zip(model.optimizer.variables, slots):
        variable.assign(value)
    return meta["epoch"], meta["step"], History.from_json(meta["history"])


# ----------------------------------------------------------------------------- callback
class CourseCallback(keras.callbacks.Callback):
    """Per step: the scheduled learning rate and the time budget. Per epoch: evaluation,
    the History entry, the checkpoint and the user's ``on_epoch``."""

    def __init__(self, budget, history, schedule, lr, test, label_smoothing, checkpoint, on_epoch):
        super().__init__()
        self.budget, self.history = budget, history
        self.schedule, self.base_lr, self.test = schedule, lr, test
        self.label_smoothing, self.checkpoint, self.on_epoch = label_smoothing, checkpoint, on_epoch
        self.epoch_lr = lr

    def on_epoch_begin(self, epoch, logs=None):
        self.budget.start_epoch()

    def on_train_batch_begin(self, batch, logs=None):
        self.epoch_lr = lr_at(self.schedule, self.base_lr, self.budget.fraction())
        self.model.optimizer.learning_rate.assign(self.epoch_lr)

    def on_train_batch_end(self, batch, logs=None):
        self.budget.step += 1
        if self.budget.exhausted():
            self.model.stop_training = True  # Keras ends the epoch after this step

    def on_epoch_end(self, epoch, logs=None):
        seconds = self.budget.end_epoch()
        result = (evaluate(self.model, self.test, label_smoothing=self.label_smoothing)
                  if self.test is not None else None)
        self.history.append(train_loss=logs["loss"], train_accuracy=logs["categorical_accuracy"],
                            test_loss=result.loss if result else float("nan"),
                            test_accuracy=result.accuracy if result else float("nan"),
                            seconds=seconds, lr=self.epoch_lr)
        if self.checkpoint is not None:
            save_checkpoint(self.checkpoint, self.model, epoch + 1, self.budget.step, self.history)
        if self.on_epoch is not None:
            self.on_epoch(epoch, self.history)


# ----------------------------------------------------------------------------- train
def train(model, train, test=None, epochs=10, *, batch_size=128, optimizer="adam", lr=None,
          momentum=0.9, weight_decay=0.0, schedule=None, label_smoothing=0.0, device="auto",
          amp="auto", channels_last="auto", max_seconds=None, checkpoint=None, augment=None,
          seed=0, progress="auto", on_epoch=None):
    """Train a Keras ``model`` in place with ``Model.fit``; returns its History.

    Arguments as in :func:`cnncourse.torch.training.train`, with NHWC arrays: uint8 images
    are scaled to [-1, 1], float arrays are used as they are. ``channels_last`` is accepted
    for symmetry (Keras is always NHWC). With several GPUs and ``device="auto"`` the model is
    trained under ``tf.distribute.MirroredStrategy`` and its weights copied back.
    """
    lr = check_training(epochs, batch_size, optimizer, lr, schedule, label_smoothing, max_seconds)
    augment = augmentation(augment)
    images, labels = as_arrays(train, "train")
    test_arrays = as_arrays(test, "test") if test is not None else None
    device_name = resolve_device(device)
    _check_amp(amp, device_name, model)
    num_classes = int(model.output_shape[-1])
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"train labels must lie in [0, {num_classes}) for this model, "
                         f"got [{labels.min()}, {labels.max()}]")

    gpus = tf.config.list_physical_devices("GPU")
    strategy = tf.distribute.MirroredStrategy() if device == "auto" and len(gpus) > 1 else None
    replicas = strategy.num_replicas_in_sync if strategy else 1
    keras.utils.set_random_seed(seed)
    with strategy.scope() if strategy else tf.device(device_name):
        net = model
        if strategy:  # variables must be created under the strategy
            net = keras.models.clone_model(model)
            net.set_weights(model.get_weights())
        net.compile(optimizer=make_optimizer(optimizer, lr, momentum, weight_decay),
                    loss=keras.losses.CategoricalCrossentropy(from_logits=True,
                                                              label_smoothing=label_smoothing),
                    metrics=["categorical_accuracy"])
        net.optimizer.build(net.trainable_variables)
        history, start_epoch, step = History(), 0, 0
        if checkpoint is not None and Path(checkpoint).exists():
            start_epoch, step, history = load_checkpoint(checkpoint, net)
        history.meta.update(framework="tensorflow", device=device_name, optimizer=optimizer,
                            lr=lr, schedule=schedule, batch_size=batch_size, world_size=replicas)
        if start_epoch >= int(epochs):
            return history
        global_batch = batch_size * replicas
        steps = -(-len(labels) // global_batch)
        budget = Budget(steps * int(epochs), max_seconds, step, history.total_seconds)
        callback = CourseCallback(budget, history, schedule, lr, test_arrays, label_smoothing,
                                  checkpoint, on_epoch)
        bars = sys.stdout.isatty() if progress == "auto" else bool(progress)
        for epoch in range(start_epoch, int(epochs)):
            x, y = epoch_arrays(images, labels, global_batch, seed, epoch, augment, num_classes)
            net.fit(x, y, batch_size=global_batch, epochs=epoch + 1, initial_epoch=epoch,
                    shuffle=False, callbacks=[callback], verbose=1 if bars else 0)
            if budget.exhausted():
                break
    if net is not model:
        model.set_weights(net.get_weights())
    return history


# ----------------------------------------------------------------------------- evaluate
def predict(model, images, batch_size=512):
    """Logits (NumPy) of ``model`` in inference mode, batch by batch."""
    return np.concatenate([np.asarray(model(to_input(images[i:i + batch_size]), training=False))
                           for i in range(0, len(images), batch_size)])


def evaluate(model, images, labels=None, *, batch_size=512, label_smoothing=0.0):
    """Accuracy, per-class accuracy, confusion matrix and mean loss of a Keras ``model``.

    ``images`` may be an NHWC array (with ``labels``), a ``load_dataset`` result or an
    ``(images, labels)`` pair.
    """
    from cnncourse.numpy.nn import CrossEntropyLoss  # the NumPy loss: same formula everywhere

    images, labels = as_arrays(images if labels is None else (images, labels), "images")
    logits = predict(model, images, batch_size).astype(np.float32)
    loss = CrossEntropyLoss(label_smoothing=label_smoothing)(logits, labels.astype(np.int64))
    return summarize(labels, logits.argmax(1), num_classes=logits.shape[1], loss=float(loss))


__all__ = ["train", "evaluate", "predict", "resolve_device", "epoch_arrays"]
