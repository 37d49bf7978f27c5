"""The Keras training loop (``Model.fit`` + callbacks) on a tiny synthetic dataset: learning,
resume from a checkpoint, the time budget, device choice, evaluation and bad arguments."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402

from cnncourse.data.synthetic import bar_images  # noqa: E402
from cnncourse.tensorflow import training  # noqa: E402
from cnncourse.tensorflow.models import lenet5  # noqa: E402

try:  # tiny models: extra threads only wait on each other (much slower on a busy machine)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
except RuntimeError:  # TensorFlow already initialised by an earlier test module: keep it
    pass

TRAIN = bar_images(192, seed=0)
TEST = bar_images(64, seed=1)
FAST = dict(batch_size=32, optimizer="adam", lr=3e-3, schedule="onecycle", label_smoothing=0.1,
            augment="flip", device="cpu", progress=False)


def fresh_model(seed=0):
    keras.utils.set_random_seed(seed)
    return lenet5("batchnorm")


class Crash(Exception):
    pass


def crash(epoch, history):
    raise Crash  # after the epoch's checkpoint was written, like a real interruption


def test_loss_decreases_resume_matches_and_no_part_files(tmp_path):
    whole = fresh_model()
    straight = training.train(whole, TRAIN, TEST, 2, checkpoint=tmp_path / "a.npz", **FAST)
    assert straight.epochs == 2 and straight.meta["framework"] == "tensorflow"
    assert straight.train_loss[1] < 0.8 * straight.train_loss[0]
    assert straight.test_accuracy[1] > 0.3  # 10 classes: chance is 0.1
    with pytest.raises(Crash):
        training.train(fresh_model(), TRAIN, TEST, 2, checkpoint=tmp_path / "b.npz",
                       on_epoch=crash, **FAST)
    resumed_model = fresh_model(seed=99)  # other initial weights: all must come from the file
    resumed = training.train(resumed_model, TRAIN, TEST, 2, checkpoint=tmp_path / "b.npz", **FAST)
    assert resumed.epochs == 2
    np.testing.assert_allclose(resumed.train_loss, straight.train_loss, rtol=1e-4)
    np.testing.assert_allclose(resumed.lr, straight.lr, rtol=1e-5)
    for got, want in zip(resumed_model.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]


def test_max_seconds_stops_and_evaluate_agrees():
    model = fresh_model()
    history = training.train(model, TRAIN, TEST, 500, max_seconds=0.01, **FAST)
    assert history.epochs == 1 and history.seconds[0] >= 0.01
    result = training.evaluate(model, *TEST, label_smoothing=0.1)
    assert result.accuracy == pytest.approx(history.test_accuracy[0])
    assert result.loss == pytest.approx(history.test_loss[0], rel=1e-5)
    assert result.confusion_matrix.sum() == len(TEST[1])


def test_device_choice(monkeypatch):
    assert training.resolve_device("cpu") == "/CPU:0"
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["gpu0", "gpu1"])
    assert training.resolve_device("auto") == "/GPU:0"
    assert training.resolve_device("cuda:1") == "/GPU:1"
    with pytest.raises(ValueError, match="device 'cuda:2' requested but TensorFlow sees 2"):
        training.resolve_device("cuda:2")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert training.resolve_device("auto") == "/CPU:0"
    with pytest.raises(ValueError, match="device must be"):
        training.resolve_device("tpu")


@pytest.mark.parametrize("bad, match", [
    (dict(epochs=0), "epochs"), (dict(max_seconds=0), "max_seconds"),
    (dict(label_smoothing=-0.1), "label_smoothing"), (dict(optimizer="lion"), "optimizer"),
    (dict(amp=True), "amp must be False on .*: mixed precision is only supported on a GPU"),
])
def test_bad_arguments(bad, match):
    args = {"epochs": 1, **FAST, **bad}
    with pytest.raises(ValueError, match=match):
        training.train(fresh_model(), TRAIN, TEST, **args)


def test_labels_outside_the_model_are_refused():
    images, labels = TRAIN
    keras.utils.set_random_seed(0)
    with pytest.raises(ValueError, match=r"train labels must lie in \[0, 3\)"):
        training.train(lenet5("modern", num_classes=3), (images, labels), epochs=1, **FAST)
