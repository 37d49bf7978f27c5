"""The same NumPy arrays as a ``torch.utils.data`` pipeline or a ``tf.data.Dataset``.

torch and TensorFlow are imported inside the functions, so importing this module is cheap.
"""
import numpy as np

from cnncourse.data.transforms import to_float_nchw


def _arrays(images, labels):
    """Accept ``(images, labels)`` or a ``load_dataset`` result in ``images``."""
    if labels is None and hasattr(images, "images"):
        images, labels = images.images, images.labels
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 4 or labels.shape != (len(images),):
        raise ValueError(f"images and labels must be (N, H, W, C) and (N,), got {images.shape} "
                         f"and {labels.shape}")
    return images, labels.astype(np.int64)


def as_torch_dataset(images, labels=None, transform=None):
    """A map-style ``torch.utils.data.Dataset`` of (float CHW tensor, int64 label).

    ``transform`` (e.g. ``Compose([random_crop(2)])``) sees each image as a batch of one
    NHWC uint8 array, before scaling to [-1, 1] and moving channels first.
    """
    import torch

    images, labels = _arrays(images, labels)

    class ArrayDataset(torch.utils.data.Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            x = images[i:i + 1] if transform is None else transform(images[i:i + 1])
            return torch.from_numpy(to_float_nchw(x)[0]), int(labels[i])

    return ArrayDataset()


def torch_loader(images, labels=None, batch_size=128, shuffle=False, transform=None, seed=0,
                 **loader_kwargs):
    """A ``DataLoader`` over :func:`as_torch_dataset`; shuffling is seeded for repeatability."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(as_torch_dataset(images, labels, transform),
                                       batch_size=batch_size, shuffle=shuffle,
                                       generator=generator, **loader_kwargs)


def as_tf_dataset(images, labels=None, batch_size=128, shuffle=False, seed=0):
    """A batched ``tf.data.Dataset`` of (float32 NHWC in [-1, 1], int64 labels)."""
    import tensorflow as tf

    images, labels = _arrays(images, labels)
    data = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        data = data.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    scale = lambda x, y: (tf.cast(x, tf.float32) / 127.5 - 1.0, y)  # same as to_float_nchw
    return data.batch(batch_size).map(scale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
