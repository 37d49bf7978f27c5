"""IDX and CIFAR readers: round trips, corrupt files, refused pickles, fallback notice."""
import gzip
import os
import pickle
import tarfile

import numpy as np
import pytest

from cnncourse.data import DatasetNotFoundError, load_dataset
from cnncourse.data.cifar import FOLDER as CIFAR_FOLDER
from cnncourse.data.cifar import TEST_BATCHES, TRAIN_BATCHES, parse_batch, read_cifar10, write_batch
from cnncourse.data.idx import read_idx, write_idx


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trip(tmp_path, name):
    data = np.random.default_rng(0).integers(0, 256, (5, 3, 4)).astype(np.uint8)
    write_idx(tmp_path / name, data)
    np.testing.assert_array_equal(read_idx(tmp_path / name), data)


def test_idx_truncated_names_file(tmp_path):
    path = tmp_path / "t.idx.gz"
    write_idx(path, np.zeros((4, 2, 2), np.uint8))
    raw = gzip.decompress(path.read_bytes())[:-3]
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(ValueError, match="t.idx.gz.*truncated"):
        read_idx(path)


def test_cifar_batch_round_trip(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3)).astype(np.uint8)
    write_batch(tmp_path / "b", images, [0, 1, 2])
    x, y = parse_batch((tmp_path / "b").read_bytes())
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, [0, 1, 2])


def test_malicious_pickle_is_refused_not_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps(Evil(), protocol=2)
    with pytest.raises(ValueError, match="refusing to load global (posix|os|nt).system"):
        parse_batch(payload, name="evil_batch")
    assert not marker.exists()


@pytest.mark.parametrize("damage, match", [
    (lambda raw: raw[: len(raw) // 2], "corrupt or truncated CIFAR batch"),
    (lambda raw: b"garbage" + raw, "corrupt or truncated CIFAR batch"),
    (lambda raw: pickle.dumps([1, 2], protocol=2), "not a CIFAR batch"),
])
def test_damaged_cifar_batches_name_the_file(tmp_path, damage, match):
    write_batch(tmp_path / "b", np.zeros((2, 32, 32, 3), np.uint8), [0, 1])
    with pytest.raises(ValueError, match=match):
        parse_batch(damage((tmp_path / "b").read_bytes()), name="data_batch_1")


def test_truncated_cifar_archive_is_reported_and_left_alone(tmp_path):
    folder = tmp_path / "src" / CIFAR_FOLDER
    folder.mkdir(parents=True)
    for member in TRAIN_BATCHES + TEST_BATCHES:
        write_batch(folder / member, np.zeros((2, 32, 32, 3), np.uint8), [0, 1])
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=CIFAR_FOLDER)
    images, labels = read_cifar10(archive, "test")
    assert images.shape == (2, 32, 32, 3) and list(labels) == [0, 1]
    cut = archive.read_bytes()[:-200]
    archive.write_bytes(cut)
    with pytest.raises(ValueError, match="cifar-10-python.tar.gz.*(corrupt|truncated)"):
        read_cifar10(archive, "test")
    assert archive.read_bytes() == cut  # the reader never deletes or rewrites the file


@pytest.mark.parametrize("raw, match", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad IDX magic"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX dtype code 0x07"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "trailing bytes"),
])
def test_bad_idx_headers(tmp_path, raw, match):
    (tmp_path / "x.idx").write_bytes(raw)
    with pytest.raises(ValueError, match=match):
        read_idx(tmp_path / "x.idx")


def test_missing_dataset_lists_places_and_fallback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("CNNCOURSE_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError, match="(?s)root argument.*user cache.*cifar-10-python"):
        load_dataset("cifar10", "test", root=tmp_path / "r", download=False)
    data = load_dataset("cifar10", "test", download=False, fallback="fashion-mnist")
    assert data.images.shape[1:] == (32, 32, 3) and "fallback" in data.name
    assert "NOT cifar10" in capsys.readouterr().out
