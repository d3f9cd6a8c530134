"""Training and evaluating a ``Seq2Seq``: its training step, ``fit`` and ``evaluate``.

The step is the one of :func:`rnnlesson.models.training.train_step`, written for a
model whose input is a pair of id arrays instead of a stack of layers::

    logits = model.forward(x_src, y_tgt[:, :-1], training=True)   # teacher forcing
    value = loss.forward(logits, y_tgt[:, 1:])   # cross-entropy, mean per target token
    model.backward(loss.backward())              # fills every layer's grads
    norm = global_norm(model.grads)              # before clipping
    optimizer.apply(model.params, model.grads)   # clip (global_clipnorm...), update

with the same checks: NaN or inf in the logits, the loss or a gradient stops the step
before the update, and an update that makes a weight NaN or inf is undone; the step
returns a :class:`~rnnlesson.divergence.StepResult` and ``fit`` hands a failed one to
the ``TerminateOnNaN`` callback. ``fit`` uses the callbacks of ``Sequential.fit``
(History, TerminateOnNaN, the progress display, EarlyStopping...).

Training accuracy is not decoded every epoch (that would cost as much as the epoch);
with validation data each epoch ends with ``val_loss`` and ``val_accuracy`` (exact
match of greedy answers).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks
from ..divergence import StepResult, diverged_error
from ..optimizers import global_norm
from . import decoding, training

__all__ = ["train_step", "train_on_batch", "fit", "evaluate"]


def _require_compiled(model, what: str) -> None:
    if model.loss is None or model.optimizer is None:
        raise RuntimeError(f"Seq2Seq.{what} needs a compiled model: call "
                           "model.compile(optimizer='adam') (or an optimizer object such as "
                           "Adam(global_clipnorm=5.0)) first.")


def train_step(model, x_src, y_tgt) -> StepResult:
    """One training step on checked ids x_src (N, T_in) and y_tgt (N, T_out + 1)."""
    loss, optimizer = model.loss, model.optimizer
    nan = float("nan")
    # the ids are checked by the caller; the logits, the loss and the gradients' norm are
    # checked here, so the layers' own NaN and inf checks would only repeat the work
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), \
            _checks.checked_elsewhere():
        logits = model.forward(x_src, y_tgt[:, :-1], training=True)
        if not training._all_finite([logits]):
            return StepResult(nan, nan, "the logits of the output layer became NaN or inf, so "
                                        "the loss cannot be computed")
        value = float(loss.forward(logits, y_tgt[:, 1:]))
        if not math.isfinite(value):
            return StepResult(value, nan, f"the loss became {value}")
        model.backward(loss.backward())
        params, grads = model.params, model.grads
        norm = global_norm(grads)
        if not math.isfinite(norm):
            return StepResult(value, norm, f"the loss was {value:.4g} but a gradient became "
                                           "NaN or inf")
        backup = [p.copy() for p in params.values()]
        optimizer.apply(params, grads)
        if not training._all_finite(params.values()):
            for p, b in zip(params.values(), backup, strict=True):
                p[...] = b
            return StepResult(value, norm, f"the update made a weight NaN or inf (loss "
                                           f"{value:.4g})")
    return StepResult(value, norm)


def train_on_batch(model, x_src, y_tgt) -> float:
    """One step on one batch; the batch loss. Raises TrainingDiverged on NaN or inf."""
    _require_compiled(model, "train_on_batch")
    x, y = model.check_pair(x_src, y_tgt, "Seq2Seq.train_on_batch")
    step = train_step(model, x, y)
    if not step.ok:
        raise diverged_error(model, step)
    return step.loss


def fit(model, x_src, y_tgt, *, batch_size=128, epochs=1, validation_data=None, callbacks=None,
        verbose="auto", shuffle=True, seed=None):
    """Train ``model`` on (x_src, y_tgt) with teacher forcing.

    Args:
        x_src: source ids (N, T_in); y_tgt: target ids (N, T_out + 1), start token first.
        batch_size: rows per step (the last batch of an epoch may be smaller).
        epochs: passes over the data.
        validation_data: ``(x_val, y_val)``: evaluated after every epoch (``val_loss``,
            ``val_accuracy``).
        callbacks: a list of :class:`~rnnlesson.callbacks.Callback` (EarlyStopping,
            TerminateOnNaN, LambdaCallback...).
        verbose: 0 silent, 1 a progress bar, 2 one line per epoch; ``'auto'`` is 1.
        shuffle: visit the rows in a new order every epoch (the model's ``rng``).
        seed: seed of this call's shuffling (None: the model's generator).

    Returns:
        the History (also ``model.history``): ``loss`` per epoch (the mean per target
        token), and ``val_loss``, ``val_accuracy`` with validation data.

    Raises:
        TrainingDiverged: the loss or a gradient became NaN or inf (unless a
            ``TerminateOnNaN`` of your own is among the callbacks); the weights are those
            from before that step and ``.history`` holds the finished epochs.
    """
    owner = "Seq2Seq.fit"
    _require_compiled(model, "fit")
    x, y = model.check_pair(x_src, y_tgt, owner)
    batch_size = training.batch_size_arg(batch_size, owner)
    epochs = _checks.nonneg_int(epochs, "epochs", owner)
    verbose = training.verbosity(verbose, owner, auto=1)
    shuffle = _checks.boolean(shuffle, "shuffle", owner)
    seed = _checks.seed(seed, owner)
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
            raise ValueError(f"{owner} expects validation_data as a pair (x_val, y_val); got "
                             f"{type(validation_data).__name__}.")
        val = model.check_pair(validation_data[0], validation_data[1],
                               f"{owner} (validation_data)")
        if val[1].shape[1] != y.shape[1] or val[0].shape[1] != x.shape[1]:
            raise ValueError(f"{owner} expects validation data of the training data's lengths "
                             f"(T_in={x.shape[1]}, T_out+1={y.shape[1]}); got "
                             f"{val[0].shape[1]} and {val[1].shape[1]}.")
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"{owner} expects callbacks as a list; got {type(callbacks).__name__}.")
    n = x.shape[0]
    steps = -(-n // batch_size)
    rng = np.random.default_rng(seed) if seed is not None else model.rng
    params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": n,
              "verbose": verbose}
    history, cblist = training._callback_list(model, callbacks, verbose, params)
    model.history = history
    model.stop_training = False
    try:
        cblist.on_train_begin()
        logs = {}
        for epoch in range(epochs):
            cblist.on_epoch_begin(epoch)
            order = rng.permutation(n) if shuffle else None
            loss_sum, seen = 0.0, 0
            for b in range(steps):
                rows = slice(b * batch_size, (b + 1) * batch_size)
                idx = order[rows] if order is not None else rows
                xb, yb = x[idx], y[idx]
                cblist.on_train_batch_begin(b)
                step = train_step(model, xb, yb)
                loss_sum += step.loss * xb.shape[0]
                seen += xb.shape[0]
                logs = {"loss": loss_sum / seen}
                batch_logs = dict(logs)
                if not step.ok:
                    batch_logs["diverged"] = step
                cblist.on_train_batch_end(b, batch_logs)
                if model.stop_training:
                    break
            if val is not None:
                val_logs = _evaluate_arrays(model, val[0], val[1], 256)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            cblist.on_epoch_end(epoch, dict(logs))
            if model.stop_training:
                break
        cblist.on_train_end(dict(logs))
    except BaseException:
        cblist.close()
        raise
    return history


def _evaluate_arrays(model, x, y, batch_size: int) -> dict:
    """Loss and exact-match accuracy on checked arrays, one encoder pass per batch."""
    total, correct = 0.0, 0
    for s in range(0, x.shape[0], batch_size):
        xb, yb = x[s:s + batch_size], y[s:s + batch_size]
        enc = model.encode(xb)                # once for the loss and the greedy answers
        logits = model.decode(enc, yb[:, :-1])
        total += float(model.loss.forward(logits, yb[:, 1:])) * xb.shape[0]
        answers, _ = decoding.greedy(model, enc, yb[:, 0].astype(np.int64), yb.shape[1] - 1)
        correct += int((answers == yb[:, 1:]).all(axis=1).sum())
    n = x.shape[0]
    return {"loss": total / n, "accuracy": correct / n}


def evaluate(model, x_src, y_tgt, batch_size=256) -> dict:
    """``{'loss', 'accuracy'}`` of ``model`` on (x_src, y_tgt): the teacher-forced loss (mean
    per target token) and the exact-match accuracy of greedy answers decoded from each
    row's own start token ``y_tgt[:, 0]``."""
    owner = "Seq2Seq.evaluate"
    _require_compiled(model, "evaluate")
    x, y = model.check_pair(x_src, y_tgt, owner)
    batch_size = _checks.positive_int(batch_size, "batch_size", owner)
    return _evaluate_arrays(model, x, y, batch_size)
