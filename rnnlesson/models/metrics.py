"""The metrics ``compile(metrics=[...])`` accepts, by name, as Keras computes them.

A :class:`Metric` accumulates a sum and a count over the batches of an epoch (a
sample-weighted mean), so the value reported for an epoch is the mean over every
sample (and every time step) seen, whatever the batch sizes::

    m = Metric("accuracy")
    for xb, yb in batches:
        m.update(model.forward(xb), yb)     # y_pred (N, ...) against y_true (N, ...)
    m.result()                              # a float
    m.reset()                               # for the next epoch

``'perplexity'`` (for language models) accumulates the cross-entropy of every token
(``-ln p(label)``, from logits or probabilities as the model's loss says) and reports
``exp`` of its mean over the epoch: the perplexity of all the tokens seen, not the
mean of the batches' perplexities. A model that guesses uniformly among V tokens
has perplexity V.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks

__all__ = ["Metric", "metric_name", "metric_names", "model_metrics", "token_nll",
           "ACCURACY_NAMES", "METRIC_KINDS"]

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
    "perplexity": "perplexity",
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


def model_metrics(model) -> list:
    """Fresh :class:`Metric` objects for ``model.metrics``, told whether the model's
    outputs are logits (its loss has ``from_logits=True``) or probabilities."""
    from_logits = bool(getattr(model.loss, "from_logits", False))
    return [Metric(name, from_logits=from_logits) for name in model.metrics]


#: entries of y_pred turned into float64 at a time by token_nll (a few MB)
_NLL_CHUNK = 1 << 18


def token_nll(y_pred: np.ndarray, y_true: np.ndarray, from_logits: bool) -> np.ndarray:
    """-ln p(label) at every position, in float64, flattened: (N*T,) for y_pred (N, T, V).

    Args:
        y_pred: scores (N, ..., V): logits (``from_logits=True``; a stable log-sum-exp)
            or probabilities (rows renormalised and clipped to [1e-7, 1 - 1e-7], as the
            cross-entropy losses do, so that exp(mean) matches exp(loss)).
        y_true: integer labels (N, ...) (or with a trailing axis of 1), or one-hot rows
            of y_pred's shape.

    The rows are taken a few thousand at a time, so no float64 copy of a large
    (N, T, V) array is made.
    """
    v = y_pred.shape[-1]
    if y_true.shape == y_pred.shape and v > 1:
        y_true = np.argmax(y_true, axis=-1)
    elif y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"metric 'perplexity' expects integer labels of shape "
            f"{_checks.shape_str(y_pred.shape[:-1])} for predictions of shape "
            f"{_checks.shape_str(y_pred.shape)}; got {_checks.shape_str(y_true.shape)}.")
    z2 = y_pred.reshape(-1, v)
    labels = y_true.reshape(-1).astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= v):
        raise ValueError(f"metric 'perplexity' expects labels in [0, {v - 1}]; got "
                         f"{int(labels.min() if labels.min() < 0 else labels.max())}.")
    out = np.empty(labels.size)
    step = max(1, _NLL_CHUNK // v)
    for a in range(0, labels.size, step):
        z = z2[a:a + step].astype(np.float64)
        rows = np.arange(z.shape[0])
        y = labels[a:a + step]
        if from_logits:
            m = z.max(axis=1)
            lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
            out[a:a + step] = lse - z[rows, y]       # ln sum exp(z) - z_label
        else:
            q = z[rows, y] / z.sum(axis=1)
            out[a:a + step] = -np.log(np.clip(q, 1e-7, 1 - 1e-7))
    return out


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

    def __init__(self, name: str, *, from_logits: bool = False):
        self.name = metric_name(name)
        self.kind = None if name in ACCURACY_NAMES else METRIC_KINDS[name]
        #: for 'perplexity': y_pred holds logits (True) or probabilities (False)
        self.from_logits = _checks.boolean(from_logits, "from_logits", "Metric")
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
        if kind == "perplexity":  # the tokens' cross-entropies; result() takes exp
            return token_nll(y_pred, y_true, self.from_logits)
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
        """The mean score over everything added since the last :meth:`reset` (0.0 if none);
        for 'perplexity', exp of the mean cross-entropy per token (nan if none)."""
        if self.kind == "perplexity":
            return math.exp(self.total / self.count) if self.count else math.nan
        return self.total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return f"Metric({self.name!r})"
