"""Per-epoch record of a training run, the same for the NumPy, PyTorch and Keras loops.

Taught in: chapter 7 (training LeNet-5 in three frameworks).
"""
import json
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
            raise ValueError(f"epoch must give every field of FIELDS: missing {sorted(missing)}, "
                             f"unknown {sorted(unknown)}")
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
            raise ValueError(f"text has unknown History fields {sorted(unknown)}")
        lengths = {len(data.get(name, [])) for name in FIELDS}
        if len(lengths) > 1:
            raise ValueError(f"text has History fields of different lengths {sorted(lengths)}")
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
