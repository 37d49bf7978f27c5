"""Mini-batch index plans shared by the three training loops.

The order of epoch ``e`` depends only on ``(seed, e)``, so a run resumed from a checkpoint
sees exactly the batches an uninterrupted run would have seen.
"""
import numpy as np

from cnncourse.validate import positive


def epoch_order(n, seed, epoch, rank=0, world_size=1):
    """Shuffled indices of epoch ``epoch`` for process ``rank`` of ``world_size``.

    With several processes every rank gets ``ceil(n / world_size)`` indices (the list is
    padded by wrapping around, as ``torch.utils.data.DistributedSampler`` does).
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must lie in [0, {world_size}), got {rank}")
    order = np.random.default_rng((seed, epoch)).permutation(n)
    per_rank = -(-n // world_size)
    order = np.resize(order, per_rank * world_size)  # np.resize repeats from the start
    return order[rank::world_size]


def batch_slices(indices, batch_size):
    """Consecutive chunks of ``indices`` of length ``batch_size`` (the last may be shorter)."""
    positive(batch_size, "batch_size")
    return [indices[i:i + batch_size] for i in range(0, len(indices), batch_size)]


def as_arrays(data, name="train"):
    """``(images, labels)`` NumPy arrays from a ``load_dataset`` result or an (images, labels) pair."""
    if hasattr(data, "images") and hasattr(data, "labels"):
        return np.asarray(data.images), np.asarray(data.labels)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        images, labels = np.asarray(data[0]), np.asarray(data[1])
        if images.ndim != 4 or labels.shape != (len(images),):
            raise ValueError(f"{name} needs images (N, H, W, C) and labels (N,), "
                             f"got {images.shape} and {labels.shape}")
        return images, labels
    raise ValueError(f"{name} must be (images, labels) or a load_dataset result, "
                     f"got {type(data).__name__}")


def make_batch(images, labels, indices, augment=None, rng_key=None):
    """One (images, int64 labels) batch; augmentation randomness comes from ``rng_key`` alone."""
    x = images[indices]
    if augment is not None:
        x = augment(x, np.random.default_rng(rng_key))
    return x, labels[indices].astype(np.int64)


def epoch_batches(images, labels, batch_size, seed, epoch, augment=None, rank=0, world_size=1):
    """(images, labels) NumPy batches of one epoch, augmented; depends only on (seed, epoch).

    Batch ``i`` draws its augmentation from ``(seed, epoch, rank, i)`` alone, so a batch is
    the same whether or not the batches before it were drawn (a run resumed mid-way, or a
    rank that skips some).
    """
    order = epoch_order(len(labels), seed, epoch, rank, world_size)
    for i, idx in enumerate(batch_slices(order, batch_size)):
        yield make_batch(images, labels, idx, augment, (seed, epoch, rank, i))
