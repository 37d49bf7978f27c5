"""IDX and CIFAR readers: round trips, corrupt files, refused pickles, fallback notice."""
import gzip
import pickle

import numpy as np
import pytest

from cnncourse.data import DatasetNotFoundError, load_dataset
from cnncourse.data.cifar import parse_batch, write_batch
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


def test_cifar_batch_round_trip_and_malicious_pickle():
    import io, os  # noqa: E401
    images = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3)).astype(np.uint8)
    buffer = io.BytesIO()
    write_batch_path = None  # noqa: F841
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        write_batch(os.path.join(d, "b"), images, [0, 1, 2])
        x, y = parse_batch(open(os.path.join(d, "b"), "rb").read())
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, [0, 1, 2])

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    pickle.dump({b"data": Evil()}, buffer, protocol=2)
    with pytest.raises(ValueError, match="refusing to load global"):
        parse_batch(buffer.getvalue())


def test_missing_dataset_lists_places_and_fallback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("CNNCOURSE_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError, match="(?s)root argument.*user cache.*cifar-10-python"):
        load_dataset("cifar10", "test", root=tmp_path / "r", download=False)
    data = load_dataset("cifar10", "test", download=False, fallback="fashion-mnist")
    assert data.images.shape[1:] == (32, 32, 3) and "fallback" in data.name
    assert "NOT cifar10" in capsys.readouterr().out
