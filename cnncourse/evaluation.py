"""Classification metrics on NumPy arrays, shared by the three frameworks' ``evaluate``."""
from dataclasses import dataclass

import numpy as np


def _check(labels, predictions, num_classes):
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    if labels.shape != predictions.shape or labels.ndim != 1:
        raise ValueError(f"labels and predictions must be 1-D of one shape, got {labels.shape} "
                         f"and {predictions.shape}")
    if num_classes is None:
        num_classes = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} must lie in [0, {num_classes}), "
                             f"got [{values.min()}, {values.max()}]")
    return labels.astype(np.int64), predictions.astype(np.int64), num_classes


def confusion_matrix(labels, predictions, num_classes=None):
    """``cm[true, predicted]`` counts, shape (num_classes, num_classes)."""
    labels, predictions, k = _check(labels, predictions, num_classes)
    return np.bincount(labels * k + predictions, minlength=k * k).reshape(k, k)


def accuracy(labels, predictions):
    """Fraction of predictions equal to the labels."""
    labels, predictions, _ = _check(labels, predictions, None)
    if labels.size == 0:
        raise ValueError("labels must not be empty: the accuracy of nothing is undefined")
    return float(np.mean(labels == predictions))


def per_class_accuracy(cm):
    """Recall of each class from a confusion matrix (NaN for classes with no examples)."""
    cm = np.asarray(cm, dtype=np.float64)
    totals = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / totals, np.nan)


@dataclass
class Evaluation:
    """What ``evaluate`` returns in every framework."""

    accuracy: float
    per_class_accuracy: np.ndarray
    confusion_matrix: np.ndarray
    loss: float = float("nan")


def summarize(labels, predictions, num_classes=None, loss=float("nan")):
    """Accuracy, per-class accuracy and confusion matrix from labels and predicted classes."""
    cm = confusion_matrix(labels, predictions, num_classes)
    return Evaluation(accuracy(labels, predictions), per_class_accuracy(cm), cm, float(loss))
