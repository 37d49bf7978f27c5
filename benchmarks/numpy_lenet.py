"""Train the NumPy LeNet-5 on Fashion-MNIST for one epoch; report test accuracy and speed.

The bar is 0.85 test accuracy after one pass over the 60k training images (exit status 1
below it). For a speed figure that means something on a shared machine, the same recipe
is then run with torch in the same process and the throughput ratio is printed.

    .venv/bin/python benchmarks/numpy_lenet.py [--variant batchnorm] [--no-torch]
"""
import argparse
import os
import sys
import time

import numpy as np

from cnncourse.architectures import lenet5_spec
from cnncourse.data import load_dataset
from cnncourse.numpy import models, nn, optim

BAR = 0.85


def standardized(split):
    """NCHW float32 images scaled to zero mean and unit variance (train-set statistics)."""
    data = load_dataset("fashion-mnist", split=split)
    x = data.images.transpose(0, 3, 1, 2).astype(np.float32) / 255
    return (x - 0.2860) / 0.3530, data.labels


def pad_to(x, size):
    """Zero-pad 28x28 images to the variant's input size (32 for the 1998 layout)."""
    p = (size - x.shape[-1]) // 2
    return x if p == 0 else np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def batches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def train_numpy(x, y, variant, batch_size, lr, seed):
    model, loss_fn = models.lenet5(variant, rng=seed), nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for idx in batches(len(x), batch_size, np.random.default_rng(seed)):
        opt.zero_grad()
        loss_fn(model(x[idx]), y[idx])
        model.backward(loss_fn.backward())
        opt.step()
    return model.eval(), time.perf_counter() - start


def accuracy_numpy(model, x, y, batch_size=1000):
    hits = sum((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum()
               for i in range(0, len(x), batch_size))
    return hits / len(x)


def train_and_test_torch(x, y, x_test, y_test, variant, batch_size, lr, seed):
    """The same layers, optimizer and batch order in torch: accuracy and seconds to train."""
    import torch

    torch.manual_seed(seed)
    _, layers = lenet5_spec(variant)
    model = torch.nn.Sequential(*[getattr(torch.nn, name)(**kw) for name, kw in layers])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    start = time.perf_counter()
    for idx in batches(len(x), batch_size, np.random.default_rng(seed)):
        idx = torch.from_numpy(idx)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pred = model.eval()(torch.from_numpy(x_test)).argmax(1).numpy()
    return (pred == y_test).mean(), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="batchnorm", choices=models.LENET5_VARIANTS)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    args = parser.parse_args(argv)

    size = models.LENET5_INPUT_SIZE[args.variant]
    (x, y), (x_test, y_test) = standardized("train"), standardized("test")
    x, x_test = pad_to(x, size), pad_to(x_test, size)
    recipe = (args.variant, args.batch_size, args.lr, args.seed)
    print(f"LeNet-5 {args.variant!r}, Adam lr={args.lr}, batch {args.batch_size}, one epoch "
          f"({len(x)} images), {os.cpu_count()} CPUs")

    model, seconds = train_numpy(x, y, *recipe)
    acc = accuracy_numpy(model, x_test, y_test)
    print(f"numpy: test accuracy {acc:.4f}, {seconds:.1f} s, {len(x) / seconds:,.0f} img/s")
    if not args.no_torch:
        torch_acc, torch_seconds = train_and_test_torch(x, y, x_test, y_test, *recipe)
        print(f"torch: test accuracy {torch_acc:.4f}, {torch_seconds:.1f} s, "
              f"{len(x) / torch_seconds:,.0f} img/s")
        print(f"numpy / torch training time: {seconds / torch_seconds:.2f}x")
    if acc < BAR:
        print(f"FAIL: numpy test accuracy {acc:.4f} is below the bar {BAR}")
        return 1
    print(f"PASS: numpy test accuracy {acc:.4f} >= {BAR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
