"""NumPy transforms, make_grid, batch plans and the torch / tf.data adapters."""
import numpy as np
import pytest

from cnncourse.data import Compose, make_grid, normalize, random_crop, random_horizontal_flip, to_float_nchw
from cnncourse.data.batches import epoch_batches, epoch_order
from cnncourse.data.synthetic import bar_images
from cnncourse.data.transforms import augmentation

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (6, 5, 7, 3)).astype(np.uint8)


def test_normalize_per_channel():
    mean, std = (0.1, 0.5, 0.9), (0.2, 0.25, 0.5)
    out = normalize(mean, std)(IMAGES)
    expected = (IMAGES / 255.0 - np.array(mean)) / np.array(std)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="std"):
        normalize(0.5, 0.0)
    with pytest.raises(ValueError, match="3 channels, but 2 means"):
        normalize((0.5, 0.5), (1, 1))(IMAGES)


def test_to_float_nchw_layout_and_range():
    x = to_float_nchw(IMAGES)
    assert x.shape == (6, 3, 5, 7) and x.dtype == np.float32
    assert x.min() >= -1 and x.max() <= 1
    np.testing.assert_allclose(x[2, 1, 3, 4], IMAGES[2, 3, 4, 1] / 127.5 - 1, rtol=1e-6)


def test_one_channel_batches_have_plain_nchw_strides():
    """Torch takes a (N, 1, H, W) tensor whose channel stride is 1 for channels-last as
    well, and ran LeNet's batch norms 5-10x slower on it: the strides must be NCHW's own."""
    torch = pytest.importorskip("torch")
    from cnncourse.torch.training import to_input

    gray = IMAGES[..., :1]
    x = to_float_nchw(gray)
    assert x.strides == (5 * 7 * 4, 5 * 7 * 4, 7 * 4, 4)
    t = to_input(gray)
    assert t.stride() == (35, 35, 7, 1)  # channels-last would be (35, 1, 7, 1)
    assert torch.nn.Conv2d(1, 2, 3)(t).stride() == (30, 15, 5, 1)  # and so stays NCHW


def test_random_crop_is_a_shifted_window_of_the_padded_image():
    out = random_crop(2)(IMAGES, np.random.default_rng(3))
    assert out.shape == IMAGES.shape and out.dtype == np.uint8
    padded = np.pad(IMAGES, ((0, 0), (2, 2), (2, 2), (0, 0)))
    for i in range(len(IMAGES)):  # each output is one of the 25 windows of its own input
        windows = [padded[i, dy:dy + 5, dx:dx + 7] for dy in range(5) for dx in range(5)]
        assert any(np.array_equal(out[i], w) for w in windows)
    shifts = {out[i].tobytes() == IMAGES[i].tobytes() for i in range(len(IMAGES))}
    assert False in shifts  # at least one image actually moved
    np.testing.assert_array_equal(random_crop(0)(IMAGES), IMAGES)
    with pytest.raises(ValueError, match="padding"):
        random_crop(-1)


def test_horizontal_flip_probability_and_mirror():
    out = random_horizontal_flip(1.0)(IMAGES)
    np.testing.assert_array_equal(out, IMAGES[:, :, ::-1])
    np.testing.assert_array_equal(random_horizontal_flip(0.0)(IMAGES), IMAGES)
    many = np.repeat(IMAGES[:1], 2000, axis=0)
    flipped = random_horizontal_flip(0.5)(many, np.random.default_rng(0))
    rate = np.mean([not np.array_equal(f, many[0]) for f in flipped])
    assert 0.45 < rate < 0.55
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\]"):
        random_horizontal_flip(1.5)


def test_compose_is_reproducible_from_the_seed():
    chain = Compose([random_crop(1), random_horizontal_flip()])
    a = chain(IMAGES, np.random.default_rng(7))
    b = chain(IMAGES, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert augmentation("light") is not None and augmentation(None) is None
    with pytest.raises(ValueError, match="augment must be None, .flip., .crop., .light. or a callable"):
        augmentation("rotate")
    with pytest.raises(ValueError, match=r"images must be a batch \(N, H, W, C\)"):
        chain(IMAGES[0])


def test_make_grid_places_each_image():
    images = np.arange(5 * 2 * 3 * 1, dtype=np.uint8).reshape(5, 2, 3, 1) + 1
    grid = make_grid(images, nrow=3, padding=1, pad_value=0)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1, 1)
    np.testing.assert_array_equal(grid[1:3, 1:4], images[0])
    np.testing.assert_array_equal(grid[4:6, 5:8], images[4])  # row 1, column 1
    assert grid[4:6, 9:12].max() == 0  # the sixth slot stays padding
    with pytest.raises(ValueError, match=r"images must be 4-D \(N, H, W, C\)"):
        make_grid(images[0])


def test_epoch_order_depends_only_on_seed_and_epoch():
    a, b = epoch_order(10, 0, 1), epoch_order(10, 0, 1)
    np.testing.assert_array_equal(a, b)
    assert sorted(a) == list(range(10)) and not np.array_equal(a, epoch_order(10, 0, 2))
    ranks = [epoch_order(10, 0, 1, r, 3) for r in range(3)]
    assert all(len(r) == 4 for r in ranks) and set(np.concatenate(ranks)) == set(range(10))
    x, y = bar_images(10)
    first = [b[1] for b in epoch_batches(x, y, 4, 0, 1, augmentation("flip"))]
    again = [b[1] for b in epoch_batches(x, y, 4, 0, 1, augmentation("flip"))]
    assert [len(b) for b in first] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))


def test_torch_dataset_and_loader():
    import torch

    from cnncourse.data import as_torch_dataset, torch_loader

    x, y = bar_images(10, size=8, channels=3)
    dataset = as_torch_dataset(x, y)
    image, label = dataset[3]
    assert image.shape == (3, 8, 8) and image.dtype == torch.float32 and label == y[3]
    torch.testing.assert_close(image, torch.from_numpy(to_float_nchw(x[3:4])[0]))
    batches = list(torch_loader(x, y, batch_size=4, shuffle=True, seed=1))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat([b[1] for b in batches]).tolist()) == sorted(y.tolist())
    again = list(torch_loader(x, y, batch_size=4, shuffle=True, seed=1))
    assert torch.equal(batches[0][1], again[0][1])
    with pytest.raises(ValueError, match=r"images and labels must be \(N, H, W, C\) and \(N,\)"):
        as_torch_dataset(x, y[:3])


def test_tf_dataset_matches_the_arrays():
    from cnncourse.data import as_tf_dataset

    x, y = bar_images(10, size=8, channels=1)
    batches = list(as_tf_dataset(x, y, batch_size=4).as_numpy_iterator())
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    images = np.concatenate([b[0] for b in batches])
    np.testing.assert_allclose(images, x / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    shuffled = np.concatenate([b[1] for b in as_tf_dataset(x, y, 4, shuffle=True).as_numpy_iterator()])
    assert sorted(shuffled) == sorted(y)
