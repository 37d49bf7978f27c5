"""LeNet-5 on Fashion-MNIST in the three frameworks: what the recipe reaches, what the loops cost.

Three measurements, each framework in its own process (one after another, all cores):

1. **Statistical efficiency** (a claim that holds on any CPU): the test accuracy after a fixed
   number of epochs of the CLI's recipe, ``cnncourse train --epochs N``. Bars: torch and
   TensorFlow at least 0.925 after 15 epochs, NumPy at least 0.91 after 5.
2. **Loop overhead** (a ratio, so it holds on any CPU): training images per second of the
   package's ``train`` against a minimal hand-written loop of the same framework, on the same
   model, batch, optimizer, loss and data, in the same process: each run builds a fresh
   model and trains it for two epochs (graph tracing included, for both), the two loops
   alternate, three runs each after a warm-up, medians. Bar: at least 0.95.
3. **Information only**: the test accuracy torch reaches in a 60-second budget
   (``--max-seconds 60``), which depends on the CPU; printed with its model name.

    .venv/bin/python benchmarks/train_lenet.py [--frameworks torch tensorflow numpy]
                                               [--parts accuracy overhead budget]

Exits 1 when a bar is missed. A full run takes about 15 minutes on 2 cores.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py

EPOCH_BARS = {"torch": (15, 0.925), "tensorflow": (15, 0.925), "numpy": (5, 0.91)}
OVERHEAD_BAR = 0.95
# Training images of a throughput run: the whole set, a third of it for the slower NumPy.
OVERHEAD_IMAGES = {"torch": 60_000, "tensorflow": 60_000, "numpy": 20_000}
OVERHEAD_EPOCHS = 2


def run_cli(framework, out, *extra):
    """One ``cnncourse train`` process; returns its JSON summary (its stderr streams through)."""
    command = [sys.executable, "-m", "cnncourse", "train", "--framework", framework, "--model", "lenet5",
               "--dataset", "fashion-mnist", "--out", str(out), *extra]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command)} failed with exit status {done.returncode}")
    return json.loads(lines[-1])


# ----------------------------------------------------------------------------- the minimal loops
# Written as a course participant would, with the recipe's model, optimizer and loss but none of
# the package's bookkeeping (schedules, budgets, history, checkpoints, augmentation, evaluation).
# Each returns ``run(epochs)``: a fresh model trained for that many epochs; the data are
# converted to float once, outside the timed runs.
def minimal_torch(images, labels, settings, seed):
    import torch
    import torch.nn.functional as F

    from cnncourse.data.transforms import to_float_nchw
    from cnncourse.torch.models import lenet5

    x, y = torch.from_numpy(to_float_nchw(images)), torch.from_numpy(labels.astype("int64"))
    batch = settings["batch_size"]

    def run(epochs):
        torch.manual_seed(seed)
        model = lenet5(settings["variant"])
        opt = torch.optim.SGD(model.parameters(), lr=settings["lr"], momentum=0.9, nesterov=True,
                              weight_decay=settings["weight_decay"])
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(y))
            for i in range(0, len(y), batch):
                idx = order[i:i + batch]
                loss = F.cross_entropy(model(x[idx]), y[idx], label_smoothing=settings["label_smoothing"])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return run


def minimal_tensorflow(images, labels, settings, seed):
    import keras
    import numpy as np

    from cnncourse.data.transforms import to_float_nchw
    from cnncourse.tensorflow.models import lenet5

    x = np.ascontiguousarray(to_float_nchw(images).transpose(0, 2, 3, 1))
    y = np.eye(10, dtype=np.float32)[labels]

    def run(epochs):
        keras.utils.set_random_seed(seed)
        model = lenet5(settings["variant"])
        model.compile(optimizer=keras.optimizers.SGD(settings["lr"], momentum=0.9, nesterov=True,
                                                     weight_decay=settings["weight_decay"]),
                      loss=keras.losses.CategoricalCrossentropy(
                          from_logits=True, label_smoothing=settings["label_smoothing"]))
        model.fit(x, y, batch_size=settings["batch_size"], epochs=epochs, shuffle=True, verbose=0)
    return run


def minimal_numpy(images, labels, settings, seed):
    import numpy as np

    from cnncourse.data.transforms import to_float_nchw
    from cnncourse.numpy import nn, optim
    from cnncourse.numpy.models import lenet5

    x, batch = to_float_nchw(images), settings["batch_size"]

    def run(epochs):
        model = lenet5(settings["variant"], rng=seed)
        opt = optim.SGD(model.parameters(), lr=settings["lr"], momentum=0.9, nesterov=True,
                        weight_decay=settings["weight_decay"])
        loss_fn, rng = nn.CrossEntropyLoss(label_smoothing=settings["label_smoothing"]), np.random.default_rng(seed)
        model.train()
        for _ in range(epochs):
            order = rng.permutation(len(labels))
            for i in range(0, len(labels), batch):
                idx = order[i:i + batch]
                loss_fn(model(x[idx]), labels[idx])
                model.zero_grad()
                model.backward(loss_fn.backward())
                opt.step()
    return run


MINIMAL = {"torch": minimal_torch, "tensorflow": minimal_tensorflow, "numpy": minimal_numpy}


def package_loop(framework, images, labels, settings, seed):
    """The package's ``train`` with the same settings (uint8 images, no test set, no schedule)."""
    import importlib

    from cnncourse.cli import build_model

    training = importlib.import_module(f"cnncourse.{framework}.training")
    options = dict(batch_size=settings["batch_size"], optimizer="sgd", lr=settings["lr"],
                   weight_decay=settings["weight_decay"], label_smoothing=settings["label_smoothing"],
                   progress=False, seed=seed)
    if framework != "numpy":
        options["device"] = "cpu"

    def run(epochs):
        model = build_model(framework, "lenet5", settings["variant"], 10, 1, 28, seed)
        training.train(model, (images, labels), epochs=epochs, **options)
    return run


def measure_overhead(framework, rounds=3):
    """Images/s of the package loop and of the minimal loop, alternately; prints a JSON line."""
    from cnncourse.data import load_dataset
    from cnncourse.recipes import recipe
    from cnncourse.threads import set_threads

    threads = set_threads(framework, "all")
    settings = recipe("lenet5", "fashion-mnist", framework)
    data = load_dataset("fashion-mnist", "train").take(OVERHEAD_IMAGES[framework])
    loops = {"package": package_loop(framework, data.images, data.labels, settings, 0),
             "minimal": MINIMAL[framework](data.images, data.labels, settings, 0)}
    rates = {name: [] for name in loops}
    for loop in loops.values():  # warm-up: library start-up, allocator, first BLAS calls
        loop(1)
    for _ in range(rounds):
        for name, loop in loops.items():
            started = time.perf_counter()
            loop(OVERHEAD_EPOCHS)
            rates[name].append(OVERHEAD_EPOCHS * len(data.labels) / (time.perf_counter() - started))
    median = {name: sorted(r)[len(r) // 2] for name, r in rates.items()}
    print(json.dumps({"framework": framework, "threads": threads, "images_per_s": median,
                      "all": rates, "ratio": median["package"] / median["minimal"]}))


def overhead(framework):
    """Run :func:`measure_overhead` in a fresh process (one framework's threads and caches)."""
    done = subprocess.run([sys.executable, __file__, "--overhead-child", framework], stdout=subprocess.PIPE,
                          text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if done.returncode != 0:
        raise RuntimeError(f"overhead measurement of {framework} failed with exit status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frameworks", nargs="+", choices=sorted(EPOCH_BARS), default=list(EPOCH_BARS))
    parser.add_argument("--out", help="folder for the CLI runs (default: a temporary folder)")
    parser.add_argument("--parts", nargs="+", choices=("accuracy", "overhead", "budget"),
                        default=["accuracy", "overhead", "budget"], help="which measurements to run")
    parser.add_argument("--overhead-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.overhead_child:
        measure_overhead(args.overhead_child)
        return 0
    out = Path(args.out or tempfile.mkdtemp(prefix="train_lenet-"))
    started, failed = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), False

    accuracy_rows = []
    for framework in args.frameworks if "accuracy" in args.parts else ():
        epochs, bar = EPOCH_BARS[framework]
        result = run_cli(framework, out / f"{framework}-epochs", "--epochs", str(epochs))
        passed = result["test_accuracy"] >= bar
        failed |= not passed
        accuracy_rows.append((framework, epochs, result["train_seconds"], result["threads"],
                              f"**{result['test_accuracy']:.4f}**", bar, "yes" if passed else "NO"))
    overhead_rows = []
    for framework in args.frameworks if "overhead" in args.parts else ():
        result = overhead(framework)
        passed = result["ratio"] >= OVERHEAD_BAR
        failed |= not passed
        rates = result["images_per_s"]
        overhead_rows.append((framework, result["threads"], f"{rates['package']:,.0f}", f"{rates['minimal']:,.0f}",
                              f"**{result['ratio']:.3f}**", OVERHEAD_BAR, "yes" if passed else "NO"))
    budget = None if "budget" not in args.parts or "torch" not in args.frameworks else \
        run_cli("torch", out / "torch-60s", "--max-seconds", "60")

    print(f"\n{started}, {os.cpu_count()} CPUs: {cpu_model()}; runs in {out}\n")
    if accuracy_rows:
        table(("framework", "epochs", "trained s", "threads", "test acc", "bar", "pass"), accuracy_rows)
        print()
    if overhead_rows:
        table(("framework", "threads", "package img/s", "minimal img/s", "ratio", "bar", "pass"), overhead_rows)
    if budget:
        print(f"\ninformation: torch in 60 s of training reached {budget['test_accuracy']:.4f} "
              f"({budget['epochs']} epochs, {budget['threads']} threads) on this {cpu_model()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
