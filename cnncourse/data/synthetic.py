"""Tiny stand-ins for the real datasets, written in exactly the official file formats.

Tests, CI and offline demos use them to exercise the whole path - search, parse, train,
evaluate - in seconds. The images are easy on purpose: class ``k`` is a bright horizontal
bar at a height set by ``k`` plus noise, so any small CNN learns it in a few steps.
"""
from pathlib import Path

import numpy as np

from cnncourse.data.cifar import FOLDER as CIFAR_FOLDER
from cnncourse.data.cifar import TEST_BATCHES, TRAIN_BATCHES, write_batch
from cnncourse.data.idx import write_idx
from cnncourse.data.sources import get_spec


def bar_images(n, size=28, channels=1, num_classes=10, seed=0):
    """(images uint8 (n, size, size, channels), labels int64): noisy bars, one height per class."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % num_classes  # balanced, every class present even for small n
    rng.shuffle(labels)
    images = rng.integers(0, 60, (n, size, size, channels)).astype(np.uint8)
    rows = 1 + labels * (size - 4) // max(num_classes - 1, 1)
    for offset in range(3):
        images[np.arange(n), rows + offset] = 220
    return images, labels.astype(np.int64)


def write_fake_dataset(root, name="fashion-mnist", n_train=200, n_test=100, gzip=True, seed=0):
    """Write a tiny copy of ``name`` under ``root/<folder>`` in the official layout; returns it.

    IDX datasets get the four ``*-idx?-ubyte[.gz]`` files; CIFAR-10 gets the extracted
    ``cifar-10-batches-py`` folder of pickle batches (the training images split over the
    five ``data_batch_*`` files, as in the original).
    """
    spec = get_spec(name)
    folder = Path(root) / spec.folder
    folder.mkdir(parents=True, exist_ok=True)
    if spec.kind == "idx":
        for split, n, split_seed in (("train", n_train, seed), ("test", n_test, seed + 1)):
            images, labels = bar_images(n, 28, 1, len(spec.classes), split_seed)
            image_file, label_file = spec.splits[split]
            for remote, array in ((image_file, images[..., 0]), (label_file, labels.astype(np.uint8))):
                filename = remote.filename if gzip else remote.filename.removesuffix(".gz")
                write_idx(folder / filename, array)
        return folder
    batches = folder / CIFAR_FOLDER
    batches.mkdir(exist_ok=True)
    for members, n, split_seed in ((TRAIN_BATCHES, n_train, seed), (TEST_BATCHES, n_test, seed + 1)):
        images, labels = bar_images(n, 32, 3, len(spec.classes), split_seed)
        for member, part in zip(members, np.array_split(np.arange(n), len(members))):
            write_batch(batches / member, images[part], labels[part], batch_label=member)
    return folder
