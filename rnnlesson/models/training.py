"""The one training step, and the loops of ``fit``, ``evaluate`` and ``predict`` around it.

Every way of training a model in this package goes through :func:`train_step`:
``Sequential.fit`` calls it once per batch, ``Sequential.train_on_batch`` once, and
the widgets' :class:`rnnlesson.training.Trainer` once per ``step()``. It does the
steps every lesson writes by hand, in order, each separate from the next::

    y_pred = model.forward(x, training=True)     # 1. forward, layer by layer (N, ...)
    value = loss.forward(y_pred, y)              # 2. the loss, a float (the batch mean;
                                                 #    with a sequence mask, of the kept steps)
    model.backward(loss.backward())              # 3. backward: fills model.grads
    norm = global_norm(model.grads)              # 4. the gradient norm, before clipping
    optimizer.apply(model.params, model.grads)   # 5. clip (clipnorm / global_clipnorm), update

and checks the numbers between them: a layer output, the loss or a gradient that
is NaN or inf stops the step before the update, and an update that makes a weight
NaN or inf is undone. The step never raises for that: it returns a
:class:`StepResult` whose ``problem`` says what went wrong, and its caller decides
(``fit`` through the :class:`~rnnlesson.callbacks.TerminateOnNaN` callback,
``train_on_batch`` and the ``Trainer`` by raising :class:`TrainingDiverged`).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _checks
from .. import callbacks as callbacks_module
from ..divergence import StepResult, TrainingDiverged, diverged_error
from ..layers.masking import call_with_mask
from ..optimizers import Optimizer, global_norm
from .metrics import model_metrics

__all__ = ["train_step", "StepResult", "TrainingDiverged", "diverged_error", "fit",
           "evaluate_arrays", "predict_arrays", "masked_loss"]


def _all_finite(arrays) -> bool:
    """True if every array holds only finite numbers.

    Fast path: one sum per array, added up; NaN and inf survive any sum. Only when the
    total is not finite (NaN/inf, or large finite values that overflowed) is each array
    looked at entry by entry."""
    arrays = list(arrays)
    total = 0.0
    for a in arrays:
        total += float(a.sum())
    if math.isfinite(total):
        return True
    return all(np.isfinite(a).all() for a in arrays)


def _label(layer) -> str:
    return f"'{layer.name}' ({type(layer).__name__})"


def train_step(model, x, y, *, loss=None, optimizer=None, metrics=()) -> StepResult:
    """One training step on one batch: forward, loss, backward, clip and update, checked.

    Args:
        model: a built or unbuilt ``Sequential`` (it builds from ``x`` when needed).
        x: the input batch (N, ...), e.g. (N, T) ids or (N, T, D) sequences.
        y: the targets (N, ...), as the loss takes them.
        loss, optimizer: the loss and optimizer objects; default the model's compiled ones.
        metrics: :class:`~rnnlesson.models.metrics.Metric` objects updated with this batch
            (only when the step succeeds).

    Returns:
        a :class:`StepResult`: the loss, the gradient norm before clipping, and
        ``problem`` (None, or what became NaN or inf; then the weights are unchanged).
    """
    loss = model.loss if loss is None else loss
    optimizer = model.optimizer if optimizer is None else optimizer
    if loss is None or optimizer is None:
        raise RuntimeError("train_step needs a loss and an optimizer: compile the model "
                           "(model.compile(optimizer='adam', loss='mse')) or pass them.")
    nan = float("nan")
    # overflow is found below and reported in words, so numpy's warnings stay quiet
    out = _checks.batch_array(x, "train_step", "x")
    y = _checks.batch_array(y, "train_step", "y")
    model._ensure_built(out)
    # the batch is checked above, each layer's output and the gradient norm below: the
    # layers' own finiteness checks of what they receive are skipped (checked_elsewhere)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), \
            _checks.checked_elsewhere():
        mask = None
        for layer in model.layers:  # 1. forward, checking each layer's output
            out, mask = call_with_mask(layer, out, mask, True)
            if not _all_finite([out]):
                return StepResult(nan, nan, f"the output of layer {_label(layer)} became NaN "
                                            "or inf, so the loss cannot be computed")
        y_pred = out
        model.output_mask = mask
        value, loss_backward = masked_loss(loss, y_pred, y, mask)  # 2. loss
        if not math.isfinite(value):
            return StepResult(value, nan, f"the loss became {value}")
        model.backward(loss_backward())  # 3. backward
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        params, grads = model.params, model.grads
        norm = global_norm(grads)  # 4. the norm before clipping (NaN/inf if any entry is)
        if not math.isfinite(norm):
            return StepResult(value, norm, f"the loss was {value:.4g} but a gradient became "
                                           "NaN or inf")
        backup = [p.copy() for p in params.values()]
        if isinstance(optimizer, Optimizer):  # 5. clip and update
            # the gradients are the layers' own arrays, of their weights' shapes, and the
            # norm above is finite, so they are finite: apply's checks would only repeat
            # work (several passes over every array), and the norm is known already
            optimizer._apply_checked(list(params.values()), list(grads.values()), norm)
        else:
            optimizer.apply(params, grads)
        if not _all_finite(params.values()):
            for p, b in zip(params.values(), backup, strict=True):
                p[...] = b
            return StepResult(value, norm, f"the update made a weight NaN or inf (loss "
                                           f"{value:.4g})")
    for m in metrics:
        m.update(y_pred, y) if mask is None else m.update(y_pred, y, mask=mask)
    return StepResult(value, norm)


def masked_loss(loss, y_pred, y, mask):
    """The loss of a batch whose output carries a sequence mask, as Keras 3 reduces it.

    Keras weights the per-step losses by the mask and divides by the number of unmasked
    steps (``keras/src/losses/loss.py``, ``apply_mask``: weights total/valid at the kept
    steps, then the mean): the mean over the kept steps alone. So the loss is computed on
    the kept steps only, ``loss.forward(y_pred[mask], y[mask])``, and its gradient is
    scattered back, zero at the masked steps. No kept step at all gives 0 (Keras's
    ``divide_no_nan``).

    Args:
        y_pred: (N, T, ...) predictions; y: (N, T, ...) targets; mask: (N, T) or None.
    Returns:
        ``(value, backward)``: the float loss and a function giving dL/dy_pred.
    """
    if mask is None:
        return float(loss.forward(y_pred, y)), loss.backward
    y = np.asarray(y)
    n_t = _checks.shape_str(mask.shape)
    if y_pred.shape[:2] != mask.shape or y.shape[:2] != mask.shape:
        raise ValueError(
            f"The model's output {_checks.shape_str(y_pred.shape)} carries a sequence mask "
            f"{n_t}, so the loss needs targets with one entry per time step, (N, T) or "
            f"(N, T, ...) = {n_t[:-1]}, ...); got y of shape {_checks.shape_str(y.shape)}.")
    if not mask.any():
        return 0.0, lambda: np.zeros_like(y_pred)
    value = float(loss.forward(y_pred[mask], y[mask]))

    def backward():
        d = np.zeros_like(y_pred)
        d[mask] = loss.backward()
        return d

    return value, backward


def check_xy(x, y, owner: str):
    """Inputs and targets as batch arrays with the same number of samples."""
    if x is None or y is None:
        raise ValueError(f"{owner} expects both x and y (inputs and targets); got "
                         f"{'x=None' if x is None else 'y=None'}.")
    x = _checks.batch_array(x, owner, "x")
    y = _checks.batch_array(y, owner, "y")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{owner} expects x and y with the same number of samples (first axis); got "
            f"x of shape {_checks.shape_str(x.shape)} and y of shape "
            f"{_checks.shape_str(y.shape)}."
        )
    return x, y


def batch_size_arg(value, owner: str) -> int:
    """Keras's batch_size: None means 32."""
    return 32 if value is None else _checks.positive_int(value, "batch_size", owner)


def verbosity(verbose, owner: str, auto: int) -> int:
    """Keras's verbose: ``'auto'`` (which means ``auto``), 0, 1 or 2."""
    if verbose == "auto":
        return auto
    if isinstance(verbose, bool) or not isinstance(verbose, numbers.Integral) or verbose not in (
            0, 1, 2):
        raise ValueError(f"{owner} expects verbose to be 'auto', 0, 1 or 2; got {verbose!r}.")
    return int(verbose)


def _validation(x, y, validation_split, validation_data, owner):
    """Split off or check the validation data: returns ``(x, y, val)``, val None or a pair."""
    split = _checks.real_number(validation_split, "validation_split", owner, 0.0, 1.0,
                                high_inclusive=False)
    if validation_data is not None:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
            length = (f" of length {len(validation_data)}"
                      if isinstance(validation_data, (list, tuple)) else "")
            raise ValueError(f"{owner} expects validation_data as a pair (x_val, y_val); got "
                             f"{type(validation_data).__name__}{length}.")
        return x, y, check_xy(validation_data[0], validation_data[1],
                              f"{owner} (validation_data)")
    if split == 0:
        return x, y, None
    n_total = x.shape[0]
    cut = int(np.floor(n_total * (1.0 - split)))  # the LAST samples validate, as Keras
    if cut == 0 or cut == n_total:
        raise ValueError(
            f"{owner}: validation_split={split} of {n_total} samples leaves {cut} for training "
            f"and {n_total - cut} for validation; both need at least one. Use more data or "
            "another split."
        )
    return x[:cut], y[:cut], (x[cut:], y[cut:])


def _callback_list(model, callbacks, verbose, params):
    """History first, then the guard against NaN (unless the caller brought a
    TerminateOnNaN), then the progress display, then the caller's callbacks."""
    owner = "Sequential.fit"
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"{owner} expects callbacks as a list; got {type(callbacks).__name__}.")
    history = callbacks_module.History()
    cbs = [history]
    users = list(callbacks or [])
    if not any(isinstance(cb, callbacks_module.TerminateOnNaN) for cb in users):
        # before the progress display, so a bad step ends fit before the bar shows it
        cbs.append(callbacks_module.TerminateOnNaN(raise_error=True))
    if verbose == 1:
        cbs.append(callbacks_module.ProgressBar())
    elif verbose == 2:
        cbs.append(callbacks_module.EpochLogger())
    cbs.extend(users)
    return history, callbacks_module.CallbackList(cbs, model=model, params=params)


# ------------------------------------------------------------------------ the loops
def fit(model, x, y, *, batch_size=32, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, seed=None):
    """The loop behind ``Sequential.fit`` (see its docstring): epochs of :func:`train_step`
    over shuffled batches, with callbacks, running means and validation."""
    owner = "Sequential.fit"
    x, y = check_xy(x, y, owner)
    batch_size = batch_size_arg(batch_size, owner)
    epochs = _checks.nonneg_int(epochs, "epochs", owner)
    verbose = verbosity(verbose, owner, auto=1)
    shuffle = _checks.boolean(shuffle, "shuffle", owner)
    seed = _checks.seed(seed, owner)
    x, y, val = _validation(x, y, validation_split, validation_data, owner)

    model._ensure_built(x)
    n = x.shape[0]
    steps = -(-n // batch_size)
    rng = np.random.default_rng(seed) if seed is not None else model.rng
    params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": n,
              "verbose": verbose}
    history, cblist = _callback_list(model, callbacks, verbose, params)
    model.history = history
    model.stop_training = False
    metrics = model_metrics(model)

    try:
        cblist.on_train_begin()
        logs = {}
        for epoch in range(epochs):
            cblist.on_epoch_begin(epoch)
            order = rng.permutation(n) if shuffle else None
            loss_sum, seen = 0.0, 0
            for m in metrics:
                m.reset()
            for b in range(steps):
                rows = slice(b * batch_size, (b + 1) * batch_size)
                if order is None:
                    xb, yb = x[rows], y[rows]
                else:
                    idx = order[rows]
                    xb, yb = x[idx], y[idx]
                cblist.on_train_batch_begin(b)
                step = train_step(model, xb, yb, metrics=metrics)
                loss_sum += step.loss * xb.shape[0]
                seen += xb.shape[0]
                logs = {"loss": loss_sum / seen}
                logs.update({m.name: m.result() for m in metrics})
                batch_logs = dict(logs)
                if not step.ok:  # the weights were not updated: TerminateOnNaN reads this
                    batch_logs["diverged"] = step
                cblist.on_train_batch_end(b, batch_logs)
                if model.stop_training:
                    break
            if val is not None:
                val_logs = evaluate_arrays(model, val[0], val[1], batch_size)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            cblist.on_epoch_end(epoch, dict(logs))
            if model.stop_training:
                break
        cblist.on_train_end(dict(logs))
    except BaseException:
        cblist.close()
        raise
    return history


def evaluate_arrays(model, x, y, batch_size: int) -> dict:
    """Loss and metrics of ``model`` on checked arrays x (N, ...) and y (N, ...), batch by
    batch with training=False: the sample-weighted means, as Keras reports them."""
    metrics = model_metrics(model)
    total, seen = 0.0, 0
    for start in range(0, x.shape[0], batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        y_pred = model.forward(xb, training=False)
        mask = model.output_mask
        total += masked_loss(model.loss, y_pred, yb, mask)[0] * xb.shape[0]
        seen += xb.shape[0]
        for m in metrics:
            m.update(y_pred, yb) if mask is None else m.update(y_pred, yb, mask=mask)
    logs = {"loss": total / seen}
    logs.update({m.name: m.result() for m in metrics})
    return logs


def predict_arrays(model, x, batch_size: int) -> np.ndarray:
    """``model.forward(x, training=False)`` in batches, concatenated: (N, ...)."""
    outs = [model.forward(x[s:s + batch_size], training=False)
            for s in range(0, x.shape[0], batch_size)]
    return outs[0] if len(outs) == 1 else np.concatenate(outs, axis=0)
