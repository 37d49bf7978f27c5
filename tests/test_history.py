"""History records and their JSON round trip (cnncourse.history), the learning-rate plans
(cnncourse.schedules) and the time budget (cnncourse.budget)."""
import math
import time

import pytest

from cnncourse.budget import Budget
from cnncourse.history import History
from cnncourse.schedules import check_schedule, lr_at


def filled():
    h = History(meta={"framework": "torch", "device": "cpu"})
    for epoch in range(3):
        h.append(train_loss=1.0 / (epoch + 1), train_accuracy=0.5 + 0.1 * epoch, test_loss=1.2,
                 test_accuracy=0.4 + 0.1 * epoch, seconds=2.5, lr=1e-3)
    return h


def test_json_round_trip_and_file(tmp_path):
    h = filled()
    again = History.from_json(h.to_json())
    assert again == h and again.epochs == 3 and again.total_seconds == 7.5
    path = h.save(tmp_path / "h.json")
    assert History.load(path) == h
    assert [p.name for p in tmp_path.iterdir()] == ["h.json"]  # no temporary file left


def test_append_and_from_json_reject_bad_records():
    with pytest.raises(ValueError, match="missing .*'lr'"):
        History().append(train_loss=1, train_accuracy=1, test_loss=1, test_accuracy=1, seconds=1)
    with pytest.raises(ValueError, match="unknown History fields"):
        History.from_json('{"train_loss": [], "speed": []}')
    with pytest.raises(ValueError, match="different lengths"):
        History.from_json('{"train_loss": [1.0], "lr": []}')


def test_schedules_shapes():
    base = 0.1
    assert lr_at(None, base, 0.7) == base
    assert lr_at("cosine", base, 0) == pytest.approx(base) and lr_at("cosine", base, 1) == pytest.approx(0)
    assert [lr_at("step", base, p) for p in (0.1, 0.5, 0.9)] == pytest.approx([0.1, 0.01, 0.001])
    one = [lr_at("onecycle", base, p / 100) for p in range(101)]
    assert one[0] == pytest.approx(base / 25) and max(one) == pytest.approx(base)
    assert one.index(max(one)) == 25 and one[-1] == pytest.approx(base / 1e4)
    assert all(a <= b for a, b in zip(one[:25], one[1:26]))  # warm-up rises
    assert all(a >= b for a, b in zip(one[25:], one[26:]))  # then anneals
    assert lr_at("onecycle", base, 7) == lr_at("onecycle", base, 1)  # clipped
    with pytest.raises(ValueError, match="schedule"):
        check_schedule("linear")


def test_budget_fraction_follows_steps_or_time():
    b = Budget(total_steps=10)
    b.step = 4
    assert b.fraction() == pytest.approx(0.4) and not b.exhausted()
    timed = Budget(total_steps=10_000, max_seconds=0.05)
    timed.start_epoch()
    assert timed.fraction() < 0.5
    time.sleep(0.06)
    assert timed.fraction() == 1.0 and timed.exhausted()
    seconds = timed.end_epoch()
    assert seconds >= 0.06 and timed.elapsed() == pytest.approx(seconds)
    resumed = Budget(total_steps=10, max_seconds=10, seconds=5.0)
    assert resumed.fraction() == pytest.approx(0.5)  # time already spent before a resume counts
    with pytest.raises(ValueError, match="max_seconds"):
        Budget(10, max_seconds=0)
    assert not math.isnan(filled().total_seconds)
