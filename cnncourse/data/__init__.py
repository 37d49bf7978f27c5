"""Datasets for the course: MNIST, Fashion-MNIST, CIFAR-10 and its two-class subsets.

``load_dataset`` returns uint8 images in NHWC layout with int64 labels, wherever the files
come from (see :mod:`cnncourse.data.cache` for the search order). Framework adapters,
NumPy transforms and ``make_grid`` live in sibling modules and are re-exported here lazily
so that ``import cnncourse.data`` does not import torch or TensorFlow.
"""
import http.client
import importlib
from dataclasses import dataclass

import numpy as np

from cnncourse.data.cache import ChecksumError, DatasetNotFoundError, download, download_dir, search_dirs
from cnncourse.data.cifar import FOLDER as CIFAR_FOLDER
from cnncourse.data.cifar import read_cifar10
from cnncourse.data.idx import read_idx
from cnncourse.data.sources import get_spec
from cnncourse.validate import choice, positive

SPLITS = ("train", "test")
CIFAR2_CLASSES = ("airplane", "bird")

_LAZY = {
    "as_torch_dataset": "adapters", "torch_loader": "adapters", "as_tf_dataset": "adapters",
    "Compose": "transforms", "normalize": "transforms", "random_crop": "transforms",
    "random_horizontal_flip": "transforms", "to_float_nchw": "transforms",
    "make_grid": "grid", "write_fake_dataset": "synthetic",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Dataset:
    """Images (N, H, W, C) uint8, labels (N,) int64, class names, and where they came from."""

    images: np.ndarray
    labels: np.ndarray
    classes: tuple
    name: str
    split: str
    source: str

    def __len__(self):
        return len(self.labels)

    def take(self, n):
        """The first ``n`` examples (for quick runs); the whole set when ``n`` is None."""
        if n is None:
            return self
        positive(n, "n")
        return Dataset(self.images[:n], self.labels[:n], self.classes, self.name, self.split,
                       self.source)


def _idx_paths(folder, remotes):
    """Existing paths of the files ``remotes`` in ``folder`` (gzipped or not), or None."""
    found = []
    for remote in remotes:
        candidates = [folder / remote.filename, folder / remote.filename.removesuffix(".gz")]
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            return None
        found.append(hit)
    return found


def _cifar_path(folder, remotes):
    """The extracted batches folder or the archive in ``folder``, or None."""
    for candidate in (folder / CIFAR_FOLDER, folder / remotes[0].filename):
        if candidate.exists():
            return candidate
    return None


def _read_idx_pair(paths):
    images, labels = (read_idx(p) for p in paths)
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{paths[0]}: expected (N, H, W) images and (N,) labels, "
                         f"got {images.shape} and {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{paths[1]}: {len(labels)} labels for {len(images)} images in {paths[0]}")
    return images[..., None], labels.astype(np.int64)


def _locate(spec, split, root):
    """(reader, location) for the first copy of ``spec`` found, plus the list of places tried."""
    remotes = spec.splits[split]
    find = _idx_paths if spec.kind == "idx" else _cifar_path
    tried = []
    for label, folder in search_dirs(spec, root):
        hit = find(folder, remotes)
        if hit is not None:
            return hit, tried
        tried.append(f"{label}: {folder}")
    return None, tried


def _fetch(spec, split, root, tried):
    """Download the missing files of ``split`` into the download folder; returns the hit."""
    dest = download_dir(spec, root)
    for remote in spec.splits[split]:
        if (dest / remote.filename).is_file():
            continue
        errors = []
        for mirror in remote.mirrors:
            url = mirror + remote.filename
            try:
                download(url, dest / remote.filename, remote.md5)
                break
            except (OSError, ChecksumError, http.client.HTTPException) as exc:
                # URLError is an OSError; a connection cut mid-body is an IncompleteRead
                errors.append(f"download {url}: {exc}")
        else:
            tried.extend(errors)
            return None
    find = _idx_paths if spec.kind == "idx" else _cifar_path
    return find(dest, spec.splits[split])


def _not_found(spec, tried):
    urls = sorted({m + r.filename for rs in spec.splits.values() for r in rs for m in r.mirrors[:1]})
    lines = "\n  ".join(tried)
    return DatasetNotFoundError(
        f"dataset {spec.name!r} not found. Places tried, in order:\n  {lines}\n"
        f"Provide it with load_dataset(..., root=DIR) / `cnncourse train --root DIR`, "
        f"or set $CNNCOURSE_DATA=DIR, where DIR (or DIR/{spec.folder}) holds the files from:\n  "
        + "\n  ".join(urls)
    )


def _load_spec(spec, split, root, download_missing):
    hit, tried = _locate(spec, split, root)
    if hit is None and download_missing:
        hit = _fetch(spec, split, root, tried)
    if hit is None:
        raise _not_found(spec, tried)
    if spec.kind == "idx":
        images, labels = _read_idx_pair(hit)
        source = str(hit[0].parent)
    else:
        images, labels = read_cifar10(hit, split)
        source = str(hit)
    return Dataset(images, labels, spec.classes, spec.name, split, source)


def select_classes(dataset, classes):
    """The examples of ``classes`` (names), relabelled 0..k-1 in the order given."""
    missing = [c for c in classes if c not in dataset.classes]
    if missing or len(set(classes)) != len(classes) or len(classes) < 2:
        raise ValueError(f"classes must name at least two distinct classes of {dataset.classes}, "
                         f"got {tuple(classes)}")
    old = [dataset.classes.index(c) for c in classes]
    keep = np.isin(dataset.labels, old)
    relabel = np.full(len(dataset.classes), -1, dtype=np.int64)
    relabel[old] = np.arange(len(old))
    return Dataset(dataset.images[keep], relabel[dataset.labels[keep]], tuple(classes),
                   dataset.name, dataset.split, dataset.source)


def pad_to_rgb32(images):
    """Grey 28x28 images -> 32x32x3 (zero border of 2, channel repeated): CIFAR's shape."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    return np.repeat(padded, 3, axis=-1)


def load_dataset(name, split="train", root=None, download=True, fallback=None, classes=None):
    """Load ``split`` ("train" or "test") of ``name`` as a :class:`Dataset`.

    ``name``: "mnist", "fashion-mnist", "cifar10" or "cifar2" (CIFAR-10 restricted to
    ``classes``, default airplane/bird, relabelled 0..k-1). ``fallback`` names a dataset to
    use, with a printed notice, when ``name`` cannot be had; a grey fallback for a CIFAR
    name is padded to 32x32x3 and its ``.name`` says it is a fallback.
    """
    choice(split, SPLITS, "split")
    subset = str(name).lower() in ("cifar2", "cifar-2")
    if classes is not None and not subset and str(name).lower() not in ("cifar10", "cifar-10"):
        raise ValueError(f"classes must be None for {name!r}: only cifar2 / cifar10 can be "
                         "restricted to classes")
    spec = get_spec("cifar10" if subset else name)
    if subset and classes is None:
        classes = CIFAR2_CLASSES
    try:
        data = _load_spec(spec, split, root, download)
    except DatasetNotFoundError:
        if fallback is None:
            raise
        return _load_fallback(spec, name, split, root, download, fallback, classes)
    if classes is not None:
        data = select_classes(data, tuple(classes))
        data.name = "cifar2" if subset else data.name
    return data


def _load_fallback(spec, name, split, root, download_missing, fallback, classes):
    alt_spec = get_spec(fallback)
    if alt_spec.name == spec.name:
        raise ValueError(f"fallback must be another dataset than the one that could not be "
                         f"loaded, got {fallback!r}")
    data = _load_spec(alt_spec, split, root, download_missing)
    if classes is not None:  # keep the number of classes the caller asked for
        data = select_classes(data, data.classes[: len(classes)])
    if spec.kind == "cifar" and data.images.shape[1:] != (32, 32, 3):
        data.images = pad_to_rgb32(data.images)
    data.name = f"{alt_spec.name} (fallback for {name})"
    print(f"cnncourse: {name} is not available here; using {alt_spec.name} {split} "
          f"({data.images.shape[1]}x{data.images.shape[2]}x{data.images.shape[3]}) as a "
          f"fallback, NOT {name}.")
    return data


__all__ = ["Dataset", "DatasetNotFoundError", "ChecksumError", "load_dataset", "select_classes",
           "pad_to_rgb32", *_LAZY]
