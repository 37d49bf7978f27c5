"""The time budget of a training run, shared by the NumPy, PyTorch and Keras loops."""
import time

from cnncourse.validate import number

__all__ = ["Budget"]


class Budget:
    """Where a run stands: steps taken and training seconds spent, against their limits.

    ``fraction()`` (the schedule's progress) is the larger of the step and time fractions;
    ``exhausted()`` is True once ``max_seconds`` of training time have passed. Evaluation
    happens between ``end_epoch`` and the next ``start_epoch`` and is not counted.
    """

    def __init__(self, total_steps, max_seconds=None, step=0, seconds=0.0):
        if max_seconds is not None:
            number(max_seconds, "max_seconds", above=0)
        self.total_steps, self.max_seconds = max(int(total_steps), 1), max_seconds
        self.step, self.seconds, self._started = int(step), float(seconds), None

    def start_epoch(self):
        self._started = time.perf_counter()

    def elapsed(self):
        running = time.perf_counter() - self._started if self._started is not None else 0.0
        return self.seconds + running

    def fraction(self):
        done = self.step / self.total_steps
        if self.max_seconds is not None:
            done = max(done, self.elapsed() / self.max_seconds)
        return min(done, 1.0)

    def exhausted(self):
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    def end_epoch(self):
        """Seconds this epoch took; adds them to the total."""
        epoch_seconds = time.perf_counter() - self._started
        self.seconds += epoch_seconds
        self._started = None
        return epoch_seconds
