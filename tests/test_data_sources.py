"""Where datasets come from: the search order, downloads from a local HTTP server (good and
bad checksums, cut connections, interrupts), corrupt cached files, the not-found message."""
import dataclasses
import functools
import hashlib
import http.server
import threading

import numpy as np
import pytest

from cnncourse.data import ChecksumError, DatasetNotFoundError, cache, load_dataset, sources
from cnncourse.data.synthetic import write_fake_dataset

NAME = "fashion-mnist"
FILES = [r.filename for split in ("train", "test") for r in sources.DATASETS[NAME].splits[split]]


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Every search place of fashion-mnist redirected to an empty folder under tmp_path.

    Returns a dict of the folders; the spec's mirror is an unreachable local URL until a
    test serves files.
    """
    dirs = {k: tmp_path / k for k in ("root", "env", "served")}
    dirs["system"] = tmp_path / "system" / NAME  # a Debian-style folder holding the files
    dirs["xdg"] = tmp_path / "xdg" / "cnncourse"  # the user cache under $XDG_CACHE_HOME
    for d in dirs.values():
        d.mkdir(parents=True)
    monkeypatch.setenv("CNNCOURSE_DATA", str(dirs["env"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["xdg"].parent))
    use_spec(monkeypatch, system_dirs=(str(dirs["system"]),), mirrors=("http://127.0.0.1:9/",))
    return dirs


def use_spec(monkeypatch, **changes):
    """Replace fashion-mnist's Spec (system folders, mirrors, checksums) for one test."""
    spec = sources.DATASETS[NAME]
    remotes = {k: tuple(dataclasses.replace(r, mirrors=changes.get("mirrors", r.mirrors),
                                            md5=changes.get("md5", {}).get(r.filename, r.md5))
                        for r in v) for k, v in spec.splits.items()}
    new = dataclasses.replace(spec, splits=remotes,
                              system_dirs=changes.get("system_dirs", spec.system_dirs))
    monkeypatch.setitem(sources.DATASETS, NAME, new)


def write_marked(base, seed):
    """A fake fashion-mnist under base whose first train label identifies the copy."""
    write_fake_dataset(base, NAME, n_train=20, n_test=10, seed=seed)
    return load_dataset(NAME, root=base, download=False).labels[:20]


@pytest.mark.parametrize("winner", ["root", "env", "xdg", "system"])
def test_search_order(places, winner):
    """Each place wins over every later one: root, $CNNCOURSE_DATA, user cache, system."""
    order = ["root", "env", "xdg", "system"]
    expected = None
    for i, place in enumerate(order[order.index(winner):]):
        base = places[place].parent if place == "system" else places[place]
        labels = write_marked(base, seed=10 + i)
        expected = labels if expected is None else expected
    data = load_dataset(NAME, root=places["root"] if winner == "root" else None, download=False)
    np.testing.assert_array_equal(data.labels, expected)
    assert data.source.startswith(str(places[winner]))


def test_root_may_point_at_the_dataset_folder_itself(places):
    folder = write_fake_dataset(places["root"], NAME, 20, 10, gzip=False)
    data = load_dataset(NAME, "test", root=folder, download=False)
    assert data.images.shape == (10, 28, 28, 1) and data.images.dtype == np.uint8
    assert data.labels.dtype == np.int64 and data.classes[0] == "T-shirt/top"


def test_not_found_lists_every_place_tried(places):
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset(NAME, root=places["root"], download=False)
    message = str(info.value)
    for label in ("root argument", "$CNNCOURSE_DATA", "user cache", "system copy"):
        assert label in message
    for place in ("root", "env", "xdg", "system"):
        assert str(places[place]) in message
    assert "CNNCOURSE_DATA=DIR" in message and "train-images-idx3-ubyte.gz" in message
    assert isinstance(info.value, FileNotFoundError)  # callers may catch the builtin


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; files named in ``cut`` announce their full length but stop half-way."""

    cut = ()

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        if name not in self.cut:
            return super().do_GET()
        body = (self.directory_path / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True


@pytest.fixture
def server(places):
    """A local HTTP server over places['served']; yields (base URL, handler class)."""
    handler = type("Handler", (_Handler,), {"directory_path": places["served"], "cut": set()})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(places["served"])))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", handler
    httpd.shutdown()
    httpd.server_close()


def _serve_fake(places, monkeypatch, url, bad=()):
    """Fake files on the server; the spec trusts their real MD5s except for ``bad`` names."""
    folder = write_fake_dataset(places["served"] / "make", NAME, 30, 10)
    md5 = {}
    for f in folder.iterdir():
        f.replace(places["served"] / f.name)
        digest = hashlib.md5((places["served"] / f.name).read_bytes()).hexdigest()
        md5[f.name] = "0" * 32 if f.name in bad else digest
    use_spec(monkeypatch, system_dirs=(str(places["system"]),), mirrors=(url,), md5=md5)


def cache_files(places):
    return sorted(p.name for p in (places["env"] / NAME).glob("*")) if (places["env"] / NAME).exists() else []


def test_download_verified_and_cached(places, server, monkeypatch):
    url, _ = server
    _serve_fake(places, monkeypatch, url)
    data = load_dataset(NAME, "train")  # downloads into $CNNCOURSE_DATA/fashion-mnist
    assert len(data) == 30 and data.source == str(places["env"] / NAME)
    assert cache_files(places) == sorted(FILES[:2])
    for f in places["served"].glob("*.gz"):
        f.unlink()  # a second load must not need the network
    assert len(load_dataset(NAME, "train")) == 30


def test_bad_checksum_is_a_clear_error_and_leaves_no_file(places, server, monkeypatch):
    url, _ = server
    _serve_fake(places, monkeypatch, url, bad={"train-labels-idx1-ubyte.gz"})
    with pytest.raises(DatasetNotFoundError, match="(?s)train-labels-idx1-ubyte.gz: MD5 .* does not match"):
        load_dataset(NAME, "train")
    assert cache_files(places) == ["train-images-idx3-ubyte.gz"]  # verified one kept, bad one gone


def test_cut_connection_leaves_no_half_file(places, server, monkeypatch):
    url, handler = server
    _serve_fake(places, monkeypatch, url)
    handler.cut = {"train-images-idx3-ubyte.gz"}
    with pytest.raises(DatasetNotFoundError, match="download .*train-images"):
        load_dataset(NAME, "train")
    assert cache_files(places) == []  # neither the file nor a .part leftover


def test_interrupt_during_download_leaves_old_file_untouched(tmp_path, monkeypatch):
    dest = tmp_path / "file.gz"
    dest.write_bytes(b"old complete file")

    class Response:
        def __init__(self):
            self.calls = 0

        def read(self, n):
            self.calls += 1
            if self.calls > 1:
                raise KeyboardInterrupt
            return b"new bytes"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(cache, "urlopen", lambda url, timeout: Response())
    with pytest.raises(KeyboardInterrupt):
        cache.download("http://example.invalid/file.gz", dest, "0" * 32)
    assert dest.read_bytes() == b"old complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["file.gz"]


def test_checksum_error_from_download_directly(tmp_path, monkeypatch):
    payload = b"abc"

    class Response:
        def __init__(self):
            self.left = [payload]

        def read(self, n):
            return self.left.pop() if self.left else b""

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(cache, "urlopen", lambda url, timeout: Response())
    with pytest.raises(ChecksumError, match="does not match"):
        cache.download("http://x/f", tmp_path / "f", "0" * 32)
    assert list(tmp_path.iterdir()) == []
    good = hashlib.md5(payload).hexdigest()
    assert cache.download("http://x/f", tmp_path / "f", good).read_bytes() == payload


def test_corrupt_cached_file_is_reported_and_left_alone(places):
    folder = write_fake_dataset(places["env"], NAME, 20, 10)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    broken = labels.read_bytes()[:-8]  # cut the gzip trailer
    labels.write_bytes(broken)
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: corrupt or truncated gzip"):
        load_dataset(NAME, "test")
    assert labels.read_bytes() == broken  # never deleted or "repaired" behind the user's back


def test_cifar2_subset_and_fallback_notice(places, capsys):
    write_fake_dataset(places["env"], NAME, 30, 20)
    data = load_dataset("cifar2", "test", download=False, fallback=NAME)
    line = capsys.readouterr().out
    assert "cifar2 is not available here" in line and "NOT cifar2" in line
    assert data.images.shape == (len(data), 32, 32, 3) and set(data.labels) == {0, 1}
    assert data.name == "fashion-mnist (fallback for cifar2)" and "cifar" not in data.classes[0]
    assert data.classes == ("T-shirt/top", "Trouser")  # the real class names, not CIFAR's


def test_cifar_batches_found_and_subset(tmp_path, monkeypatch):
    monkeypatch.setitem(sources.DATASETS, "cifar10",
                        dataclasses.replace(sources.DATASETS["cifar10"], system_dirs=()))
    write_fake_dataset(tmp_path, "cifar10", n_train=50, n_test=20)
    train = load_dataset("cifar10", "train", root=tmp_path, download=False)
    assert train.images.shape == (50, 32, 32, 3) and train.classes[2] == "bird"
    two = load_dataset("cifar2", "test", root=tmp_path, download=False)
    assert two.classes == ("airplane", "bird") and set(two.labels) <= {0, 1} and two.name == "cifar2"


@pytest.mark.parametrize("bad", [
    dict(name="imagenet"), dict(split="valid"), dict(name=NAME, classes=("a", "b")),
])
def test_bad_arguments(bad):
    args = {"name": NAME, **bad}
    with pytest.raises(ValueError, match="name|split|classes"):
        load_dataset(**args, download=False)
