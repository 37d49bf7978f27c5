"""The ``cnncourse`` command: list models and datasets, and train a model in any framework.

    cnncourse models
    cnncourse data [--root DIR]
    cnncourse train --framework torch --model lenet5 --dataset fashion-mnist --max-seconds 60

torch and TensorFlow are imported only by the sub-command that needs them.
``train`` prints one line per epoch on stderr and, as the last line on stdout, a JSON
object with the result, so scripts can read ``json.loads(output.splitlines()[-1])``.
"""
import argparse
import inspect
import json
import os
import sys
import time
from pathlib import Path

FRAMEWORKS = ("torch", "tensorflow", "numpy")
DATASETS = ("mnist", "fashion-mnist", "cifar10", "cifar2")

# Tuned defaults per (model, dataset), shared by the three frameworks unless a framework's
# own entry overrides a value. Measured on 2 CPU cores: see benchmarks/train_lenet.py.
# LeNet-5 on Fashion-MNIST, torch, 15 epochs (AMD EPYC, 2026-12-01): this recipe 0.9211
# (TensorFlow 0.9185); every variation tried stayed within 0.912-0.922: batch 128 at lr
# 0.05/0.1/0.2, batch 64, lr 0.3, weight decay 1e-3, label smoothing 0 or 0.2, an EMA of the
# weights, random erasing, crop + flip (0.912-0.915: 15 epochs are too few to profit).
# NumPy trains 5 epochs: more, smaller steps and no augmentation reach 0.914 (the shared
# recipe 0.909, batch 128 with flips 0.910).
RECIPES = {
    ("lenet5", "fashion-mnist"): {
        "variant": "batchnorm", "epochs": 15, "batch_size": 256, "optimizer": "sgd",
        "lr": 0.2, "schedule": "onecycle", "label_smoothing": 0.1, "augment": "flip",
        "weight_decay": 5e-4,
        "numpy": {"epochs": 5, "batch_size": 128, "lr": 0.1, "augment": None},
        "tensorflow": {},
    },
}
GENERIC_RECIPE = {"variant": None, "epochs": 10, "batch_size": 128, "optimizer": "adam",
                  "lr": 1e-3, "schedule": None, "label_smoothing": 0.0, "augment": None,
                  "weight_decay": 0.0}
# When only --max-seconds is given, train for "as many epochs as fit": the time budget
# (and the learning-rate schedule, which follows elapsed time) ends the run.
EPOCHS_WHEN_TIMED = 1000


def recipe(model, dataset, framework):
    """Default hyper-parameters for ``model`` on ``dataset`` in ``framework``."""
    table = RECIPES.get((model, dataset), GENERIC_RECIPE)
    merged = {k: v for k, v in table.items() if k not in FRAMEWORKS}
    merged.update(table.get(framework, {}))
    return {**GENERIC_RECIPE, **merged}


# ----------------------------------------------------------------------------- models
def _torch_models():
    import cnncourse.torch.models as models

    return {name: getattr(models, name) for name in models.__all__
            if name.islower() and name not in ("vgg_block",) and callable(getattr(models, name))}


def default_input_size(name, constructor, variant=None):
    """The square input side a model is built for by default."""
    if name == "lenet5":
        from cnncourse.numpy.models import INPUT_SIZE

        return INPUT_SIZE[variant or "modern"]
    parameter = inspect.signature(constructor).parameters.get("input_size")
    return parameter.default if parameter is not None else 32


def cmd_models(args):
    """Print name, default input size and parameter count of every torch model."""
    import torch

    from cnncourse.summary import count_parameters

    rows = []
    for name, constructor in sorted(_torch_models().items()):
        variants = ("original", "modern", "small-kernel", "batchnorm") if name == "lenet5" else (None,)
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


def available_cores():
    """The CPU cores this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _set_blas_threads(n):
    """Set OpenBLAS's thread count in this process (NumPy is already imported; no env var works)."""
    import ctypes

    with open("/proc/self/maps") as maps:
        libraries = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    for path in libraries:
        library = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                       "openblas_set_num_threads"):
            if hasattr(library, symbol):
                getattr(library, symbol)(int(n))
                break


def set_threads(framework, threads):
    """Use ``threads`` CPU threads ("all": every core of :func:`available_cores`) in
    ``framework`` and NumPy's BLAS; returns the number.

    All cores unless told otherwise, as PyTorch and TensorFlow do: on a machine shared with
    other work, ask for fewer (``--threads 1``); guessing from the load of the moment gave
    one thread to a run while a browser was open.
    """
    n = available_cores() if threads == "all" else int(threads)
    if n < 1:
        raise ValueError(f"--threads: must be 'all' or a positive integer, got {threads}")
    if framework == "torch":
        import torch

        torch.set_num_threads(n)
    elif framework == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError:  # TensorFlow already running in this process: settings are fixed
            pass
    try:
        _set_blas_threads(n)  # NumPy's matmuls (the whole NumPy model, augmentation elsewhere)
    except OSError:  # no /proc (macOS, Windows): keep OpenBLAS's default
        pass
    return n


def build_model(framework, name, variant, num_classes, in_channels, input_size, seed):
    """A fresh model from the framework's model zoo."""
    if framework == "numpy":
        if name != "lenet5":
            raise ValueError(f"--model {name}: the NumPy reference only has lenet5")
        from cnncourse.numpy.models import lenet5

        return lenet5(variant, num_classes, in_channels, rng=seed)
    if framework == "torch":
        import torch

        import cnncourse.torch.models as zoo

        torch.manual_seed(seed)
    else:
        import keras

        import cnncourse.tensorflow.models as zoo

        keras.utils.set_random_seed(seed)
    constructor = getattr(zoo, name)
    kwargs = dict(num_classes=num_classes, in_channels=in_channels)
    if name == "lenet5":
        kwargs["variant"] = variant
    elif "input_size" in inspect.signature(constructor).parameters:
        kwargs["input_size"] = input_size
    return constructor(**kwargs)


def _training_module(framework):
    import importlib

    return importlib.import_module(f"cnncourse.{framework}.training")


def _epoch_line(epoch, history):
    print(f"epoch {epoch + 1:3d}  train loss {history.train_loss[-1]:.4f} "
          f"acc {history.train_accuracy[-1]:.4f}  test loss {history.test_loss[-1]:.4f} "
          f"acc {history.test_accuracy[-1]:.4f}  lr {history.lr[-1]:.2e}  "
          f"{history.seconds[-1]:.1f} s", file=sys.stderr, flush=True)


def cmd_train(args):
    from cnncourse.data import load_dataset

    if args.model not in _model_names(args.framework):
        raise ValueError(f"--model: unknown {args.model!r} for {args.framework}; "
                         f"try one of {sorted(_model_names(args.framework))}")
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

    from cnncourse.numpy.models import INPUT_SIZE

    size = INPUT_SIZE[settings["variant"]] if args.model == "lenet5" else train_set.images.shape[1]
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


def _model_names(framework):
    if framework == "numpy":
        return {"lenet5"}
    if framework == "torch":
        return set(_torch_models())
    import cnncourse.tensorflow.models as zoo

    return {n for n in zoo.__all__ if n.islower() and callable(getattr(zoo, n))}


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
    t.add_argument("--variant", choices=("original", "modern", "small-kernel", "batchnorm"),
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
