"""Train LeNet-5 on Fashion-MNIST through the CLI in all three frameworks; check the bars.

Each framework runs as its own ``cnncourse train`` process (one after another, so they do
not compete for the cores) with its time budget; the last stdout line of each is the
CLI's JSON summary. Prints a table and exits 1 when a test accuracy is below its bar.

    .venv/bin/python benchmarks/train_lenet.py [--frameworks torch tensorflow numpy] [--out DIR]

The budgets count training time only (the CLI reports it as ``train_seconds``); imports,
data loading and evaluation come on top, so a full run takes about 6 minutes.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# framework -> (training budget in seconds, test-accuracy bar), from issue 4.
BARS = {"torch": (60, 0.915), "tensorflow": (90, 0.91), "numpy": (120, 0.88)}


def run_cli(framework, seconds, out, extra=()):
    """Run one ``cnncourse train``; returns its JSON summary (stderr streams through)."""
    command = [sys.executable, "-m", "cnncourse", "train", "--framework", framework,
               "--model", "lenet5", "--dataset", "fashion-mnist", "--max-seconds", str(seconds),
               "--out", str(out), *extra]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command)} failed with exit status {done.returncode}")
    return json.loads(lines[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frameworks", nargs="+", choices=sorted(BARS), default=list(BARS))
    parser.add_argument("--out", help="folder for the runs (default: a temporary folder)")
    parser.add_argument("--threads", default="auto", help="passed to cnncourse train --threads")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="train_lenet-"))

    load_before = os.getloadavg()[0]
    rows, failed = [], False
    for framework in args.frameworks:
        seconds, bar = BARS[framework]
        result = run_cli(framework, seconds, out / framework, ["--threads", str(args.threads)])
        passed = result["test_accuracy"] >= bar
        failed |= not passed
        rows.append((framework, seconds, result["epochs"], result["train_seconds"],
                     result.get("threads", "?"), result["test_accuracy"], bar,
                     "yes" if passed else "NO"))

    header = ("framework", "budget s", "epochs", "trained s", "threads", "test acc", "bar", "pass")
    print(f"\nload average (1 min) at the start {load_before:.2f}, at the end "
          f"{os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; runs in {out}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
