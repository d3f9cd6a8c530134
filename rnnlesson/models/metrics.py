"""The metrics ``compile(metrics=[...])`` accepts, by name, as Keras computes them.

A :class:`Metric` accumulates a sum and a count over the batches of an epoch (a
sample-weighted mean), so the value reported for an epoch is the mean over every
sample (and every time step) seen, whatever the batch sizes::

    m = Metric("accuracy")
    for xb, yb in batches:
        m.update(model.forward(xb), yb)     # y_pred (N, ...) against y_true (N, ...)
    m.result()                              # a float
    m.reset()                               # for the next epoch
"""

from __future__ import annotations

import numpy as np

from .. import _checks

__all__ = ["Metric", "metric_name", "metric_names", "ACCURACY_NAMES", "METRIC_KINDS"]

#: names that mean "the right accuracy for these shapes" (binary, sparse or categorical)
ACCURACY_NAMES = ("accuracy", "acc")
#: every other metric name, with the kind of score it computes
METRIC_KINDS = {
    "binary_accuracy": "binary",
    "sparse_categorical_accuracy": "sparse",
    "categorical_accuracy": "categorical",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "mse": "mse",
    "mean_squared_error": "mse",
}


def metric_name(metric, owner: str = "Sequential.compile") -> str:
    """``metric`` if it is a known metric name, else a TypeError or ValueError listing them."""
    known = ", ".join(ACCURACY_NAMES + tuple(METRIC_KINDS))
    if not isinstance(metric, str):
        raise TypeError(f"{owner} expects metrics as names (e.g. ['accuracy']); got {metric!r}. "
                        f"Known names: {known}.")
    if metric not in ACCURACY_NAMES and metric not in METRIC_KINDS:
        raise ValueError(f"{owner} does not know the metric {metric!r}; known names: {known}.")
    return metric


def metric_names(metrics, owner: str = "Sequential.compile") -> list[str]:
    """The names of ``compile(metrics=...)``: None (none), one name, or a list of names."""
    if metrics is None:
        return []
    if isinstance(metrics, str):
        metrics = [metrics]
    elif not isinstance(metrics, (list, tuple)):
        raise TypeError(f"{owner} expects metrics as a list of names, e.g. ['accuracy']; got "
                        f"{type(metrics).__name__}.")
    names = [metric_name(m, owner) for m in metrics]
    if len(set(names)) != len(names):
        raise ValueError(f"{owner} got the same metric twice: {names}.")
    return names


def _match_rank(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """(N,) labels against (N, 1) predictions -> (N, 1), as Keras squeezes/expands."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    return y_true


class Metric:
    """A metric by name: accumulates a sum and a count over batches (a sample-weighted mean).

    ``'accuracy'``/``'acc'`` become binary, sparse categorical or categorical accuracy
    from the shapes of the first batch, by Keras's rule: a last axis of 1 in the
    predictions means binary (threshold 0.5); labels of lower rank than the
    predictions (``(N,)`` for ``(N, C)``, ``(N, T)`` for ``(N, T, C)``) mean sparse
    (argmax); otherwise one-hot labels (argmax of both).
    """

    def __init__(self, name: str):
        self.name = metric_name(name)
        self.kind = None if name in ACCURACY_NAMES else METRIC_KINDS[name]
        self.reset()

    def reset(self) -> None:
        self.total = 0.0
        self.count = 0

    @staticmethod
    def _resolve(y_pred, y_true) -> str:
        if y_pred.shape[-1] == 1:
            return "binary"
        if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
            return "sparse"
        return "categorical"

    def values(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Per-element scores of one batch, flattened (1.0 = right for an accuracy)."""
        kind = self.kind or self._resolve(y_pred, y_true)
        if kind == "binary":
            y_true = _match_rank(y_true, y_pred)
            return ((y_pred > 0.5) == (y_true > 0.5)).ravel().astype(np.float64)
        if kind == "sparse":
            if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
                y_true = y_true[..., 0]
            if y_true.shape != y_pred.shape[:-1]:
                raise ValueError(
                    f"metric '{self.name}' (sparse categorical accuracy) expects integer labels "
                    f"of shape {_checks.shape_str(y_pred.shape[:-1])} for predictions of shape "
                    f"{_checks.shape_str(y_pred.shape)}; got {_checks.shape_str(y_true.shape)}."
                )
            return (np.argmax(y_pred, axis=-1) == y_true).ravel().astype(np.float64)
        if kind == "categorical":
            if y_true.shape != y_pred.shape:
                raise ValueError(
                    f"metric '{self.name}' (categorical accuracy) expects one-hot labels of "
                    f"the predictions' shape {_checks.shape_str(y_pred.shape)}; got "
                    f"{_checks.shape_str(y_true.shape)}. For integer labels use "
                    "'sparse_categorical_accuracy'."
                )
            return (np.argmax(y_pred, -1) == np.argmax(y_true, -1)).ravel().astype(np.float64)
        y_true = _match_rank(y_true, y_pred)
        diff = y_pred.astype(np.float64) - y_true
        return (np.abs(diff) if kind == "mae" else diff * diff).ravel()

    def update(self, y_pred: np.ndarray, y_true: np.ndarray, mask=None) -> None:
        """Add one batch: predictions (N, ...) against targets (N, ...). With a sequence
        ``mask`` (N, T) only the kept steps count (Keras weights them 1, the rest 0)."""
        if mask is not None:  # (the loss has checked that the shapes fit the mask)
            y_pred, y_true = y_pred[mask], np.asarray(y_true)[mask]
            if not y_pred.size:
                return
        v = self.values(y_pred, y_true)
        self.total += float(v.sum())
        self.count += v.size

    def result(self) -> float:
        """The mean score over everything added since the last :meth:`reset` (0.0 if none)."""
        return self.total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return f"Metric({self.name!r})"
