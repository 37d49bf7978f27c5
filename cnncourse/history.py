"""Per-epoch record of a training run, the same for the NumPy, PyTorch and Keras loops."""
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

FIELDS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds", "lr")


@dataclass
class History:
    """Lists indexed by epoch; ``seconds`` is training time of that epoch (evaluation excluded)."""

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # framework, model, device, ... (free-form)

    def append(self, **epoch):
        """Record one epoch; every field of ``FIELDS`` must be given."""
        missing = set(FIELDS) - set(epoch)
        unknown = set(epoch) - set(FIELDS)
        if missing or unknown:
            raise ValueError(f"epoch: missing {sorted(missing)}, unknown {sorted(unknown)}")
        for name in FIELDS:
            getattr(self, name).append(float(epoch[name]))

    @property
    def epochs(self):
        return len(self.train_loss)

    @property
    def total_seconds(self):
        return float(sum(self.seconds))

    def to_json(self):
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        unknown = set(data) - set(FIELDS) - {"meta"}
        if unknown:
            raise ValueError(f"text: unknown History fields {sorted(unknown)}")
        lengths = {len(data.get(name, [])) for name in FIELDS}
        if len(lengths) > 1:
            raise ValueError(f"text: History fields have different lengths {sorted(lengths)}")
        return cls(**data)

    def save(self, path):
        """Write JSON atomically, so a crash never leaves half a file."""
        from cnncourse.data.cache import atomic_write

        with atomic_write(path) as tmp:
            tmp.write_text(self.to_json())
        return Path(path)

    @classmethod
    def load(cls, path):
        return cls.from_json(Path(path).read_text())


# The learning-rate plans every training loop follows, as a function of training progress
# (0 at the first step, 1 at the last). Progress is the larger of the step fraction and the
# time fraction of ``max_seconds``, so a time-budgeted run still anneals to the end.
SCHEDULES = (None, "onecycle", "cosine", "step")


def check_schedule(schedule):
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule: must be one of {SCHEDULES}, got {schedule!r}")
    return schedule


DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3}


def check_training(epochs, batch_size, optimizer, lr, schedule, label_smoothing=0.0,
                   max_seconds=None):
    """Check the arguments the three ``train`` loops share; returns the learning rate (the
    optimizer's default when ``lr`` is None)."""
    if int(epochs) < 1:
        raise ValueError(f"epochs: must be >= 1, got {epochs}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size: must be >= 1, got {batch_size}")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds: must be positive, got {max_seconds}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing: must lie in [0, 1), got {label_smoothing}")
    if optimizer not in DEFAULT_LR:
        raise ValueError(f"optimizer: must be 'sgd' or 'adam', got {optimizer!r}")
    check_schedule(schedule)
    return DEFAULT_LR[optimizer] if lr is None else float(lr)


def lr_at(schedule, base_lr, progress):
    """Learning rate at ``progress`` in [0, 1] for ``schedule`` peaking at ``base_lr``.

    "onecycle": cosine warm-up from base/25 over the first 25 %, then cosine decay to
    base/10^4 (Smith & Topin's 1cycle, PyTorch's OneCycleLR defaults); "cosine": cosine
    decay to 0; "step": divide by 10 at 1/3 and 2/3 of training.
    """
    p = min(max(float(progress), 0.0), 1.0)
    if schedule is None:
        return base_lr
    if schedule == "cosine":
        return base_lr * 0.5 * (1.0 + math.cos(math.pi * p))
    if schedule == "step":
        return base_lr * 0.1 ** min(int(p * 3), 2)
    if schedule == "onecycle":
        warm, start, end = 0.25, base_lr / 25.0, base_lr / 1e4
        if p < warm:
            low, high, t = start, base_lr, p / warm
        else:
            low, high, t = base_lr, end, (p - warm) / (1.0 - warm)
        return high + (low - high) * 0.5 * (1.0 + math.cos(math.pi * t))
    raise ValueError(f"schedule: must be one of {SCHEDULES}, got {schedule!r}")


class Budget:
    """Where a run stands: steps taken and training seconds spent, against their limits.

    ``fraction()`` (the schedule's progress) is the larger of the step and time fractions;
    ``exhausted()`` is True once ``max_seconds`` of training time have passed. Evaluation
    happens between ``end_epoch`` and the next ``start_epoch`` and is not counted.
    """

    def __init__(self, total_steps, max_seconds=None, step=0, seconds=0.0):
        if max_seconds is not None and not max_seconds > 0:
            raise ValueError(f"max_seconds: must be positive, got {max_seconds}")
        self.total_steps, self.max_seconds = max(int(total_steps), 1), max_seconds
        self.step, self.seconds, self._started = int(step), float(seconds), None

    def start_epoch(self):
        self._started = time.perf_counter()

    def elapsed(self):
        running = time.perf_counter() - self._started if self._started is not None else 0.0
        return self.seconds + running

    def fraction(self):
        done = self.step / self.total_steps
        if self.max_seconds is not None:
            done = max(done, self.elapsed() / self.max_seconds)
        return min(done, 1.0)

    def exhausted(self):
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    def end_epoch(self):
        """Seconds this epoch took; adds them to the total."""
        epoch_seconds = time.perf_counter() - self._started
        self.seconds += epoch_seconds
        self._started = None
        return epoch_seconds
