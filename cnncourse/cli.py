"""The ``cnncourse`` command: list models and datasets, and train a model in any framework.

    cnncourse models
    cnncourse data [--root DIR]
    cnncourse train --framework torch --model lenet5 --dataset fashion-mnist --max-seconds 60

torch and TensorFlow are imported only by the sub-command that needs them. What trains with
which defaults is :mod:`cnncourse.recipes`; how many threads, :mod:`cnncourse.threads`; which
networks exist, each framework's ``models.MODELS`` registry.
``train`` prints one line per epoch on stderr and, as the last line on stdout, a JSON
object with the result, so scripts can read ``json.loads(output.splitlines()[-1])``.
"""
import argparse
import importlib
import inspect
import json
import os
import sys
import time
from pathlib import Path

from cnncourse.architectures import LENET5_INPUT_SIZE, LENET5_VARIANTS
from cnncourse.recipes import FRAMEWORKS, recipe
from cnncourse.threads import set_threads

DATASETS = ("mnist", "fashion-mnist", "cifar10", "cifar2")
# When only --max-seconds is given, train for "as many epochs as fit": the time budget
# (and the learning-rate schedule, which follows elapsed time) ends the run.
EPOCHS_WHEN_TIMED = 1000


# ----------------------------------------------------------------------------- models
def registry(framework):
    """``{name: constructor}`` of the whole networks ``framework`` can build (no blocks)."""
    module = {"numpy": "cnncourse.numpy.models", "torch": "cnncourse.torch.models",
              "tensorflow": "cnncourse.tensorflow.models"}[framework]
    return importlib.import_module(module).MODELS


def default_input_size(name, constructor, variant=None):
    """The square input side a model is built for by default."""
    if name == "lenet5":
        return LENET5_INPUT_SIZE[variant or "modern"]
    parameter = inspect.signature(constructor).parameters.get("input_size")
    return parameter.default if parameter is not None else 32


def cmd_models(args):
    """Print name, default input size and parameter count of every torch model."""
    import torch

    from cnncourse.summary import count_parameters

    rows = []
    for name, constructor in sorted(registry("torch").items()):
        variants = LENET5_VARIANTS if name == "lenet5" else (None,)
        for variant in variants:
            with torch.device("meta"):  # shapes only: no memory, no initialisation time
                model = constructor(variant) if variant else constructor()
            size = default_input_size(name, constructor, variant)
            first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
            label = f"{name} --variant {variant}" if variant else name
            rows.append((label, f"{first.in_channels}x{size}x{size}", count_parameters(model)))
    width = max(len(r[0]) for r in rows)
    print(f"{'model':<{width}}  {'input (CxHxW)':>13}  {'parameters':>12}")
    for label, size, count in rows:
        print(f"{label:<{width}}  {size:>13}  {count:>12,}")
    return 0


# ----------------------------------------------------------------------------- data
def cmd_data(args):
    """Say where each dataset would be loaded from, without downloading anything."""
    from cnncourse.data import DatasetNotFoundError, load_dataset

    for name in ("mnist", "fashion-mnist", "cifar10"):
        try:
            data = load_dataset(name, "test", root=args.root, download=False)
            print(f"{name:<14} present  {data.source}")
        except DatasetNotFoundError as exc:
            print(f"{name:<14} missing  (tried: {str(exc).count(chr(10)) - 3} places; "
                  f"`cnncourse train` would download it)")
        except ValueError as exc:
            print(f"{name:<14} BROKEN   {exc}")
    return 0


# ----------------------------------------------------------------------------- train
def _fit_size(images, size, model):
    """Zero-pad square images up to the model's input side (28 -> 32 for LeNet "original")."""
    import numpy as np

    side = images.shape[1]
    if side == size:
        return images
    if side > size:
        raise ValueError(f"--model {model} takes {size}x{size} inputs, the dataset has {side}x{side}")
    before = (size - side) // 2
    pad = ((0, 0), (before, size - side - before), (before, size - side - before), (0, 0))
    return np.pad(images, pad)


def build_model(framework, name, variant, num_classes, in_channels, input_size, seed):
    """A fresh model from the framework's registry, its weights drawn from ``seed``."""
    if framework == "torch":
        import torch

        torch.manual_seed(seed)
    elif framework == "tensorflow":
        import keras

        keras.utils.set_random_seed(seed)
    constructor = registry(framework)[name]
    kwargs = dict(num_classes=num_classes, in_channels=in_channels)
    if name == "lenet5":
        kwargs["variant"] = variant
    elif "input_size" in inspect.signature(constructor).parameters:
        kwargs["input_size"] = input_size
    if framework == "numpy":
        kwargs["rng"] = seed
    return constructor(**kwargs)


def _training_module(framework):
    return importlib.import_module(f"cnncourse.{framework}.training")


def _epoch_line(epoch, history):
    print(f"epoch {epoch + 1:3d}  train loss {history.train_loss[-1]:.4f} "
          f"acc {history.train_accuracy[-1]:.4f}  test loss {history.test_loss[-1]:.4f} "
          f"acc {history.test_accuracy[-1]:.4f}  lr {history.lr[-1]:.2e}  "
          f"{history.seconds[-1]:.1f} s", file=sys.stderr, flush=True)


def cmd_train(args):
    from cnncourse.data import load_dataset

    models = registry(args.framework)
    if args.model not in models:
        raise ValueError(f"--model: unknown {args.model!r} for {args.framework}; "
                         f"try one of {sorted(models)}")
    if args.variant is not None and args.model != "lenet5":
        raise ValueError(f"--variant: only lenet5 has variants, not {args.model}")
    defaults = recipe(args.model, args.dataset, args.framework)
    settings = {k: (getattr(args, k) if getattr(args, k) is not None else v)
                for k, v in defaults.items()}
    if args.model == "lenet5" and settings["variant"] is None:
        settings["variant"] = "modern"
    if args.epochs is None and args.max_seconds is not None:
        settings["epochs"] = EPOCHS_WHEN_TIMED
    out = Path(args.out)
    checkpoint = out / {"torch": "checkpoint.pt", "tensorflow": "checkpoint.tf.npz",
                        "numpy": "checkpoint.npz"}[args.framework]
    if checkpoint.exists() and not args.resume:
        raise ValueError(f"--out: {checkpoint} exists; pass --resume to continue that run "
                         "or choose another --out")

    threads = set_threads(args.framework, args.threads)
    train_set = load_dataset(args.dataset, "train", root=args.root, fallback=args.fallback).take(args.limit)
    test_set = load_dataset(args.dataset, "test", root=args.root, fallback=args.fallback).take(args.limit)
    num_classes, in_channels = len(train_set.classes), train_set.images.shape[-1]

    size = LENET5_INPUT_SIZE[settings["variant"]] if args.model == "lenet5" else train_set.images.shape[1]
    train_images = _fit_size(train_set.images, size, args.model)
    test_images = _fit_size(test_set.images, size, args.model)
    model = build_model(args.framework, args.model, settings["variant"], num_classes,
                        in_channels, size, args.seed)
    training = _training_module(args.framework)
    options = dict(batch_size=settings["batch_size"], optimizer=settings["optimizer"],
                   lr=settings["lr"], weight_decay=settings["weight_decay"],
                   schedule=settings["schedule"], label_smoothing=settings["label_smoothing"],
                   augment=settings["augment"], max_seconds=args.max_seconds,
                   checkpoint=checkpoint, seed=args.seed, on_epoch=_epoch_line)
    if args.framework != "numpy":
        options["device"] = args.device
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    history = training.train(model, (train_images, train_set.labels),
                             (test_images, test_set.labels), settings["epochs"], **options)
    wall = time.perf_counter() - started
    history.meta.update(model=args.model, variant=settings["variant"], dataset=train_set.name)
    history.save(out / "history.json")

    from cnncourse.viz import plot_history

    plot_history(history, title=f"{args.model} ({settings['variant']}) on {train_set.name}, "
                                f"{args.framework}").savefig(out / "curves.png", dpi=100)
    result = {
        "test_accuracy": round(history.test_accuracy[-1], 4),
        "epochs": history.epochs,
        "train_seconds": round(history.total_seconds, 2),
        "wall_seconds": round(wall, 2),
        "device": history.meta.get("device", "cpu"),
        "threads": threads,
        "dataset": train_set.name,
        "framework": args.framework,
        "model": args.model,
        "variant": settings["variant"],
        "settings": {k: settings[k] for k in sorted(settings)},
        "out": str(out),
    }
    print(json.dumps(result))
    return 0


# ----------------------------------------------------------------------------- parser
def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _threads(text):
    if text == "all":
        return text
    return _positive_int(text)


def build_parser():
    parser = argparse.ArgumentParser(prog="cnncourse", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("models", help="list models, input sizes and parameter counts")
    data = commands.add_parser("data", help="show which datasets are present and where")
    data.add_argument("--root", help="extra data folder to search first")

    t = commands.add_parser("train", help="train a model; last stdout line is a JSON summary")
    t.add_argument("--framework", choices=FRAMEWORKS, default="torch")
    t.add_argument("--model", default="lenet5")
    t.add_argument("--variant", choices=LENET5_VARIANTS,
                   help="LeNet-5 variant (default: the tuned recipe's)")
    t.add_argument("--dataset", choices=DATASETS, default="fashion-mnist")
    t.add_argument("--epochs", type=_positive_int)
    t.add_argument("--batch-size", dest="batch_size", type=_positive_int)
    t.add_argument("--lr", type=_positive_float)
    t.add_argument("--optimizer", choices=("sgd", "adam"))
    t.add_argument("--schedule", choices=("onecycle", "cosine", "step"))
    t.add_argument("--label-smoothing", dest="label_smoothing", type=float)
    t.add_argument("--weight-decay", dest="weight_decay", type=float)
    t.add_argument("--augment", choices=("none", "flip", "crop", "light"))
    t.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps (torch/tensorflow)")
    t.add_argument("--max-seconds", dest="max_seconds", type=_positive_float,
                   help="training time budget; without --epochs, train until it runs out")
    t.add_argument("--out", default="runs/latest", help="folder for history.json, checkpoint, curves.png")
    t.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    t.add_argument("--limit", type=_positive_int, help="use only the first N train and test images")
    t.add_argument("--root", help="data folder to search first")
    t.add_argument("--fallback", choices=DATASETS, help="dataset to use if --dataset is unavailable")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=_threads, default="all",
                   help="CPU threads: a number, or all = every core this process may use (default)")
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {"models": cmd_models, "data": cmd_data, "train": cmd_train}[args.command]
    try:
        return handler(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"cnncourse {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
