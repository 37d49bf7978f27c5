"""The ``cnncourse`` command: train in each framework on a tiny fake Fashion-MNIST (JSON last
line, files in --out, resume), ``models``, ``data``, ``python -m cnncourse`` and the errors."""
import dataclasses
import json
import os
import subprocess
import sys

import pytest

from cnncourse import cli, threads
from cnncourse.data import sources
from cnncourse.data.synthetic import write_fake_dataset
from cnncourse.history import History

CHECKPOINTS = {"torch": "checkpoint.pt", "tensorflow": "checkpoint.tf.npz", "numpy": "checkpoint.npz"}


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A tiny fake Fashion-MNIST as the only dataset anywhere (no system copy, no network)."""
    root = tmp_path / "data"
    write_fake_dataset(root, "fashion-mnist", n_train=96, n_test=48)
    monkeypatch.setenv("CNNCOURSE_DATA", str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, spec in sources.DATASETS.items():
        monkeypatch.setitem(sources.DATASETS, name, dataclasses.replace(spec, system_dirs=()))
    monkeypatch.setattr("cnncourse.data.cache.urlopen", _no_network)
    return root


@pytest.fixture(autouse=True)
def restore_threads():
    """``train --threads 1`` sets process-wide thread counts: give later tests theirs back."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
    threads.set_blas_threads(os.cpu_count())  # OpenBLAS's own default


def _no_network(url, timeout):
    raise OSError(f"network disabled in tests ({url})")


def run(capsys, *argv):
    """(exit status, stdout, stderr) of ``cnncourse *argv`` run in this process."""
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def train_args(out, framework, *extra):
    return ("train", "--framework", framework, "--model", "lenet5", "--epochs", "1",
            "--batch-size", "32", "--threads", "1", "--out", str(out), *extra)


@pytest.mark.parametrize("framework", ["torch", "numpy", "tensorflow"])
def test_train_prints_json_last_and_writes_files(fake_root, tmp_path, capsys, framework):
    out = tmp_path / "run"
    status, stdout, stderr = run(capsys, *train_args(out, framework))
    assert status == 0, stderr
    result = json.loads(stdout.strip().splitlines()[-1])
    for key in ("test_accuracy", "epochs", "train_seconds", "device", "dataset"):
        assert key in result
    assert result["epochs"] == 1 and 0 <= result["test_accuracy"] <= 1
    assert result["dataset"] == "fashion-mnist" and result["framework"] == framework
    assert "epoch   1" in stderr  # one progress line per epoch
    assert {"history.json", "curves.png", CHECKPOINTS[framework]} <= {p.name for p in out.iterdir()}
    history = History.load(out / "history.json")
    assert history.epochs == 1 and history.test_accuracy[0] == pytest.approx(result["test_accuracy"], abs=1e-4)


def test_resume_needs_the_flag_and_continues(fake_root, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, *train_args(out, "numpy"))[0] == 0
    status, _, stderr = run(capsys, *train_args(out, "numpy"))
    assert status == 2 and "checkpoint.npz exists; pass --resume" in stderr
    args = list(train_args(out, "numpy", "--resume"))
    args[args.index("--epochs") + 1] = "2"
    status, stdout, _ = run(capsys, *args)
    assert status == 0 and json.loads(stdout.splitlines()[-1])["epochs"] == 2


@pytest.mark.parametrize("argv, message", [
    (("--model", "lenet7"), "--model: unknown 'lenet7'"),
    (("--variant", "batchnorm", "--model", "alexnet"), "--variant: only lenet5 has variants"),
    (("--dataset", "mnist"), "dataset 'mnist' not found. Places tried"),
])
def test_errors_exit_2_with_a_message(fake_root, tmp_path, capsys, argv, message):
    status, stdout, stderr = run(capsys, *train_args(tmp_path / "o", "torch"), *argv)
    assert status == 2 and message in stderr and stdout == ""


@pytest.mark.parametrize("argv, message", [
    (("--framework", "jax"), "invalid choice: 'jax'"),
    (("--dataset", "imagenet"), "invalid choice: 'imagenet'"),
    (("--epochs", "0"), "must be a positive integer, got 0"),
    (("--lr", "-0.1"), "must be a positive number, got -0.1"),
    (("--max-seconds", "soon"), "invalid _positive_float value"),
    (("--threads", "0"), "must be a positive integer"),
])
def test_bad_arguments_are_refused_by_the_parser(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", *argv])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_models_lists_names_sizes_and_parameter_counts(capsys):
    status, stdout, _ = run(capsys, "models")
    assert status == 0
    lines = {line.split()[0] + (line.split()[2] if "--variant" in line else ""): line
             for line in stdout.splitlines()[1:]}
    assert "1x28x28" in lines["lenet5batchnorm"] and "62,158" in lines["lenet5batchnorm"]
    assert "61,706" in lines["lenet5original"] and "1x32x32" in lines["lenet5original"]
    assert "resnet18" in lines


def test_python_dash_m_data_reports_where(fake_root, tmp_path):
    env = {**os.environ, "CNNCOURSE_DATA": str(fake_root), "XDG_CACHE_HOME": str(tmp_path / "c")}
    done = subprocess.run([sys.executable, "-m", "cnncourse", "data"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert "present" in rows["fashion-mnist"] and str(fake_root) in rows["fashion-mnist"]
    assert "missing" in rows["cifar10"]


def test_threads_default_to_every_core_the_process_may_use(monkeypatch):
    """However busy the machine is: all cores unless the user asks for fewer."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    assert cli.build_parser().parse_args(["train"]).threads == "all"
    assert threads.set_threads("torch", "all") == 3 and torch.get_num_threads() == 3
    assert threads.set_threads("torch", 1) == 1 and torch.get_num_threads() == 1
