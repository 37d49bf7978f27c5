"""The NumPy training loop: it learns, resumes exactly from its checkpoint, stops on time."""
import numpy as np
import pytest

import cnncourse.numpy as cnp
from cnncourse.data.synthetic import bar_images
from cnncourse.numpy.models import lenet5

TRAIN = bar_images(128, seed=0)
TEST = bar_images(64, seed=1)
FAST = dict(batch_size=32, optimizer="adam", lr=3e-3, schedule="onecycle", label_smoothing=0.1,
            augment="flip", progress=False)


class Crash(Exception):
    pass


def crash(epoch, history):
    raise Crash  # after the checkpoint of the epoch is on disk


def test_learns_and_resumes_exactly(tmp_path):
    whole = lenet5("batchnorm", rng=0)
    straight = cnp.train(whole, TRAIN, TEST, 2, checkpoint=tmp_path / "a.npz", **FAST)
    assert straight.epochs == 2 and straight.meta["framework"] == "numpy"
    assert straight.train_loss[1] < 0.9 * straight.train_loss[0]
    with pytest.raises(Crash):
        cnp.train(lenet5("batchnorm", rng=0), TRAIN, TEST, 2, checkpoint=tmp_path / "b.npz",
                  on_epoch=crash, **FAST)
    resumed_model = lenet5("batchnorm", rng=5)  # other weights: the file must restore them
    resumed = cnp.train(resumed_model, TRAIN, TEST, 2, checkpoint=tmp_path / "b.npz", **FAST)
    np.testing.assert_allclose(resumed.train_loss, straight.train_loss, rtol=1e-6)
    np.testing.assert_allclose(resumed.lr, straight.lr, rtol=1e-9)
    for key, value in whole.state_dict().items():
        np.testing.assert_allclose(resumed_model.state_dict()[key], value, rtol=1e-6, atol=1e-7)


def test_max_seconds_and_evaluate():
    model = lenet5("batchnorm", rng=0)
    history = cnp.train(model, TRAIN, TEST, 500, max_seconds=0.01, **FAST)
    assert history.epochs == 1 and history.seconds[0] >= 0.01
    result = cnp.evaluate(model, *TEST, label_smoothing=0.1)
    assert result.accuracy == pytest.approx(history.test_accuracy[0])
    assert result.confusion_matrix.sum() == len(TEST[1])


@pytest.mark.parametrize("bad, match", [
    (dict(device="cuda"), r"device must be .cpu. or .auto. \(the NumPy reference runs on the CPU only\)"),
    (dict(epochs=0), "epochs"), (dict(optimizer="adagrad"), "optimizer"),
    (dict(schedule="exp"), "schedule"),
])
def test_bad_arguments(bad, match):
    args = {"epochs": 1, **FAST, **bad}
    with pytest.raises(ValueError, match=match):
        cnp.train(lenet5("batchnorm", rng=0), TRAIN, TEST, **args)
