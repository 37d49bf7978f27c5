"""Learning-rate plans every training loop follows, as a function of training progress.

Progress is 0 at the first step and 1 at the last. A loop passes the larger of the step
fraction and the time fraction of its ``max_seconds`` (:class:`cnncourse.budget.Budget`),
so a time-budgeted run still anneals to the end.

Taught in: chapter 7 (training recipes), chapter 11 (one-cycle training on CIFAR-10).
"""
import math

from cnncourse.validate import choice

__all__ = ["SCHEDULES", "check_schedule", "lr_at"]

SCHEDULES = (None, "onecycle", "cosine", "step")


def check_schedule(schedule):
    """Require one of ``SCHEDULES``; return it."""
    return choice(schedule, SCHEDULES, "schedule")


def lr_at(schedule, base_lr, progress):
    """Learning rate at ``progress`` in [0, 1] for ``schedule`` peaking at ``base_lr``.

    "onecycle": cosine warm-up from base/25 over the first 25 %, then cosine decay to
    base/10^4 (Smith & Topin's 1cycle, PyTorch's OneCycleLR defaults); "cosine": cosine
    decay to 0; "step": divide by 10 at 1/3 and 2/3 of training.
    """
    check_schedule(schedule)
    p = min(max(float(progress), 0.0), 1.0)
    if schedule is None:
        return base_lr
    if schedule == "cosine":
        return base_lr * 0.5 * (1.0 + math.cos(math.pi * p))
    if schedule == "step":
        return base_lr * 0.1 ** min(int(p * 3), 2)
    warm, start, end = 0.25, base_lr / 25.0, base_lr / 1e4  # onecycle
    if p < warm:
        low, high, t = start, base_lr, p / warm
    else:
        low, high, t = base_lr, end, (p - warm) / (1.0 - warm)
    return high + (low - high) * 0.5 * (1.0 + math.cos(math.pi * t))
