"""Where each dataset comes from: file names, official checksums, mirrors, class names.

Checksums are the MD5s the publishers list (MNIST: LeCun's page via the PyTorch S3 mirror,
Fashion-MNIST: zalandoresearch/fashion-mnist README, CIFAR-10: Krizhevsky's page).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Remote:
    """One downloadable file: its name, the published MD5 and the base URLs that serve it."""

    filename: str
    md5: str
    mirrors: tuple


@dataclass(frozen=True)
class Spec:
    """A dataset: which files make each split, where systems keep copies, its classes."""

    name: str
    folder: str  # sub-folder under a data root / the cache
    kind: str  # "idx" (images + labels file pairs) or "cifar" (one python-pickle archive)
    splits: dict  # split -> tuple of Remote (idx: images, labels; cifar: the archive)
    classes: tuple
    system_dirs: tuple = ()


MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MIRRORS = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
CIFAR_MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)


def _idx_splits(mirrors, md5s):
    """train/test pairs of (images, labels) Remotes; ``md5s`` in the order the files are listed."""
    names = (
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    )
    files = [Remote(n, m, mirrors) for n, m in zip(names, md5s)]
    return {"train": tuple(files[:2]), "test": tuple(files[2:])}


CIFAR10_ARCHIVE = Remote("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", CIFAR_MIRRORS)

DATASETS = {
    "mnist": Spec(
        "mnist", "mnist", "idx",
        _idx_splits(MNIST_MIRRORS, (
            "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c",
        )),
        tuple(str(d) for d in range(10)),
        ("/usr/share/datasets/mnist",),
    ),
    "fashion-mnist": Spec(
        "fashion-mnist", "fashion-mnist", "idx",
        _idx_splits(FASHION_MIRRORS, (
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310",
        )),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        ("/usr/share/datasets/fashion-mnist",),
    ),
    "cifar10": Spec(
        "cifar10", "cifar10", "cifar",
        {"train": (CIFAR10_ARCHIVE,), "test": (CIFAR10_ARCHIVE,)},
        ("airplane", "automobile", "bird", "cat", "deer",
         "dog", "frog", "horse", "ship", "truck"),
        ("/usr/share/datasets/cifar10", "/usr/share/datasets/cifar-10"),
    ),
}

# Aliases people type; "cifar2" is handled by load_dataset as a class subset of cifar10.
ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
           "cifar-10": "cifar10", "cifar_10": "cifar10", "cifar-2": "cifar2"}


def get_spec(name):
    """The Spec for ``name`` (case and common spellings tolerated)."""
    key = ALIASES.get(str(name).lower(), str(name).lower())
    if key not in DATASETS:
        known = ", ".join(sorted(DATASETS) + ["cifar2"])
        raise ValueError(f"name must be a known dataset ({known}), got {name!r}")
    return DATASETS[key]
