"""Callbacks: code that ``Sequential.fit`` runs at fixed points of training, as in Keras.

``fit`` calls every callback's hooks in this order::

    on_train_begin(logs)
        on_epoch_begin(epoch, logs)
            on_train_batch_begin(batch, logs)   # by default calls on_batch_begin
            on_train_batch_end(batch, logs)     # by default calls on_batch_end
            ...
        on_epoch_end(epoch, logs)               # logs: loss, metrics, val_loss, val_...
        ...
    on_train_end(logs)

``epoch`` and ``batch`` count from 0 (the progress display shows them from 1, as
Keras does). ``logs`` is a dict of floats: in a batch hook, the running means of
the loss and metrics over the epoch so far (Keras's convention); in
``on_epoch_end``, the epoch's means plus the validation values. When a step was
refused because its numbers became NaN or inf (the weights then stay as they were),
its batch logs also hold ``'diverged'``: the step's
:class:`~rnnlesson.divergence.StepResult`, whose ``problem`` says what went
wrong. A callback sees
the model as ``self.model`` and may set ``self.model.stop_training = True`` to
end training after the current batch.

What is here:

* :class:`Callback`: the base class; override the hooks you need.
* :class:`History`: records the epoch logs; ``fit`` returns it (``.history`` is a
  dict of lists, one entry per epoch, with Keras's keys).
* :class:`EarlyStopping`: stops when a monitored value stops improving, as Keras.
* :class:`TerminateOnNaN`: ends training when a step's numbers become NaN or inf, as
  Keras's; ``fit`` adds one that raises ``TrainingDiverged`` unless you pass your own.
* :class:`LambdaCallback`: a callback made of plain functions.
* :class:`ProgressBar`: the progress display ``fit(verbose=1)`` adds (tqdm, which
  draws a text bar in a terminal and a widget bar in Jupyter; imported only when
  a bar is first shown, so ``import rnnlesson`` stays light).
* :class:`EpochLogger`: one plain line per epoch, what ``fit(verbose=2)`` adds.
"""

from __future__ import annotations

import math
import numbers
import sys
import time
import warnings

from . import _checks
from .divergence import StepResult, diverged_error

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "TerminateOnNaN",
           "LambdaCallback", "ProgressBar", "EpochLogger", "format_logs"]


class Callback:
    """Base class: every hook does nothing until a subclass overrides it.

    Attributes:
        model: the ``Sequential`` being trained (set by ``fit`` before ``on_train_begin``).
        params: dict with ``epochs``, ``steps`` (batches per epoch), ``batch_size``,
            ``samples`` and ``verbose`` of the current ``fit`` call.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = dict(params)

    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends normally (also after an early stop)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its loss, metrics and validation values."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch; by default calls :meth:`on_batch_begin`."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step; by default calls :meth:`on_batch_end`."""
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Called before each training batch (``batch`` counted from 0 in each epoch)."""

    def on_batch_end(self, batch, logs=None):
        """Called after each training step, with the running means of the epoch so far."""

    def close(self) -> None:
        """Release what the callback holds open (a progress bar); called when fit aborts."""


class CallbackList:
    """Calls a list of callbacks in order (used by ``fit``; rarely needed directly)."""

    def __init__(self, callbacks=None, model=None, params=None):
        callbacks = [] if callbacks is None else list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "fit expects callbacks to be a list of rnnlesson.callbacks.Callback "
                    f"objects; got {type(cb).__name__}. Subclass Callback, or wrap plain "
                    "functions in LambdaCallback(on_epoch_end=...)."
                )
        self.callbacks = callbacks
        for cb in callbacks:
            if model is not None:
                cb.set_model(model)
            if params is not None:
                cb.set_params(params)

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def close(self):
        for cb in self.callbacks:
            try:
                cb.close()
            except Exception:  # noqa: BLE001 - closing must never hide the real error
                pass


class History(Callback):
    """Records what each epoch logged; ``fit`` returns it and keeps it as ``model.history``.

    Attributes:
        history: dict of lists, one entry per finished epoch, with Keras's keys:
            ``'loss'``, each metric by the name it was compiled with (``'accuracy'`` or
            ``'acc'``...), and ``'val_loss'``, ``'val_accuracy'``... with validation data.
        epoch: the epoch indices (from 0) that finished.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"<History: {len(self.epoch)} epoch(s); keys: {keys or 'none yet'}>"


class EarlyStopping(Callback):
    """Stop training when a monitored value has stopped improving (as Keras 3).

    After each epoch the monitored value is compared with the best so far; an
    epoch "improves" when it beats the best by more than ``min_delta``. When
    ``patience`` epochs in a row have not improved, training stops.

    Args:
        monitor: the key of the epoch logs to watch (default ``'val_loss'``; needs
            validation data). A missing key gives a warning and the epoch is skipped.
        min_delta: smallest change that counts as an improvement (absolute value).
        patience: number of epochs without improvement after which training stops.
        verbose: 1 prints a line when training stops and when weights are restored.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for accuracy-like names,
            ``'min'`` for the loss and anything else, e.g. ``mae``).
        baseline: training continues only while the value beats this baseline.
        restore_best_weights: at the end of training, put back the weights of the
            best epoch (as Keras 3: also when all epochs ran without stopping).
        start_from_epoch: number of epochs to ignore at the start (warm-up).

    Attributes:
        stopped_epoch: the epoch (from 0) at which training stopped, or 0.
        best, best_epoch: the best value and the epoch (from 0) it came from.
    """

    _MAX_NAMES = ("acc", "accuracy", "binary_accuracy", "categorical_accuracy",
                  "sparse_categorical_accuracy")

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        owner = "EarlyStopping"
        if not isinstance(monitor, str):
            raise TypeError(f"{owner} expects monitor to be a log key such as 'val_loss'; "
                            f"got {monitor!r}.")
        self.monitor = monitor
        self.min_delta = abs(_checks.real_number(min_delta, "min_delta", owner))
        self.patience = _checks.nonneg_int(patience, "patience", owner)
        self.verbose = _checks.nonneg_int(verbose, "verbose", owner)
        self.mode = _checks.one_of(mode, "mode", owner, ("auto", "min", "max"))
        self.baseline = None if baseline is None else _checks.real_number(
            baseline, "baseline", owner)
        self.restore_best_weights = _checks.boolean(
            restore_best_weights, "restore_best_weights", owner)
        self.start_from_epoch = _checks.nonneg_int(start_from_epoch, "start_from_epoch", owner)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    @property
    def direction(self) -> str:
        """``'min'`` or ``'max'``: which way is better for the monitored value."""
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        return "max" if name in self._MAX_NAMES or name.endswith("accuracy") else "min"

    def _is_improvement(self, value, reference) -> bool:
        if reference is None:
            return True
        if self.direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"EarlyStopping is watching '{self.monitor}', which this epoch did not log "
                f"(available: {', '.join(logs or {}) or 'nothing'}). "
                + ("Pass validation_data or validation_split to fit. "
                   if self.monitor.startswith("val_") else "")
                + "The epoch is skipped.",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(value, self.best):
            self.best = value
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Ends training when a step goes wrong with NaN or inf, in the manner of Keras's.

    After each batch it looks at the logs: a non-finite ``'loss'`` (Keras's rule), or a
    ``'diverged'`` entry, which ``fit`` adds when a step was refused (a layer output,
    the loss, a gradient or the update became NaN or inf; the weights were then not
    changed, so the model keeps the weights from before that step).

    Args:
        raise_error: False (Keras's default): print one line and set
            ``model.stop_training``, so ``fit`` ends normally and returns its history
            (with the interrupted epoch). True: raise
            :class:`~rnnlesson.models.TrainingDiverged` at once, with a message that says
            where and why and what to try; its ``.history`` (also ``model.history``)
            holds every finished epoch.

    ``fit`` adds ``TerminateOnNaN(raise_error=True)`` unless the callbacks you pass
    include a TerminateOnNaN, so a diverging run always stops.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = _checks.boolean(raise_error, "raise_error", "TerminateOnNaN")
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        step = logs.get("diverged")
        loss = logs.get("loss")
        if step is None and (not isinstance(loss, numbers.Real) or math.isfinite(loss)):
            return
        if self.raise_error:
            if step is None:
                step = StepResult(loss, float("nan"), f"the loss became {loss}")
            raise diverged_error(self.model, step, epoch=self._epoch + 1, batch=batch + 1,
                                 steps=self.params.get("steps"),
                                 history=getattr(self.model, "history", None))
        what = step.problem if step is not None else f"the loss became {loss}"
        print(f"Batch {batch}: invalid step ({what}), terminating training")
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback built from plain functions, e.g. ``LambdaCallback(on_batch_end=f)``.

    Each argument is a function taking the same arguments as the hook of that
    name: ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``,
    ``on_batch_begin(batch, logs)``, ``on_batch_end(batch, logs)``,
    ``on_train_begin(logs)``, ``on_train_end(logs)``.
    """

    _HOOKS = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
              "on_train_begin", "on_train_end")

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end)
        for hook, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback expects {hook} to be a function; got "
                                f"{type(fn).__name__}.")
            setattr(self, hook, fn)


def _fmt(value) -> str:
    """A logged number the way the progress display shows it (4 decimals, as Keras)."""
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v) or v == 0 or 1e-4 <= abs(v) < 1e6:
            return f"{v:.4f}"
        return f"{v:.4e}"
    return str(value)


def format_logs(logs) -> str:
    """``{'loss': 0.69, 'accuracy': 0.5}`` -> ``'loss: 0.6900 - accuracy: 0.5000'``."""
    return " - ".join(f"{k}: {_fmt(v)}" for k, v in (logs or {}).items())


class EpochLogger(Callback):
    """Prints one line per epoch (what ``fit(verbose=2)`` shows)::

        Epoch 3/10 - 0.41s - loss: 0.5123 - accuracy: 0.7500 - val_loss: 0.5870 - ...

    Args:
        file: where to write (default ``sys.stdout`` at the time of printing).
    """

    def __init__(self, file=None):
        super().__init__()
        self.file = file
        self._t0 = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._t0
        epochs = self.params.get("epochs", "?")
        text = f"Epoch {epoch + 1}/{epochs} - {seconds:.2f}s"
        if logs:
            text += " - " + format_logs(logs)
        print(text, file=self.file if self.file is not None else sys.stdout, flush=True)


class ProgressBar(Callback):
    """A progress bar for ``fit``, drawn by tqdm (a text bar in a terminal, a widget in Jupyter).

    Args:
        mode: ``'epoch'``: one bar per epoch (``Epoch 3/10``), counting batches, with the
            running loss and metrics beside it and the validation values added at the
            end of the epoch, as Keras's progress display; ``'overall'``: one bar for the
            whole run, counting every batch of every epoch, showing the epoch and its
            latest values; ``'auto'`` (default): ``'epoch'`` for up to 10 epochs, else
            ``'overall'`` (so a 200-epoch run does not print 200 bars).
        file: where a text bar is written (tqdm's default, stderr, if None).

    tqdm is imported when training starts (``tqdm.auto``, which picks the Jupyter
    widget when it can). Without tqdm, the display falls back to one plain line
    per epoch (:class:`EpochLogger`).
    """

    def __init__(self, mode="auto", file=None):
        super().__init__()
        self.mode = _checks.one_of(mode, "mode", "ProgressBar", ("auto", "epoch", "overall"))
        self.file = file
        self._bar = None
        self._tqdm = None
        self._fallback = None
        self._epoch = 0

    def _resolved_mode(self) -> str:
        if self.mode != "auto":
            return self.mode
        return "epoch" if self.params.get("epochs", 1) <= 10 else "overall"

    def _new_bar(self, total, desc):
        kwargs = dict(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True,
                      mininterval=0.1)
        if self.file is not None:
            kwargs["file"] = self.file
        return self._tqdm(**kwargs)

    def on_train_begin(self, logs=None):
        self._bar = None
        if self._tqdm is None and self._fallback is None:
            try:
                with warnings.catch_warnings():
                    # tqdm.auto warns when ipywidgets is missing and falls back to text.
                    warnings.simplefilter("ignore")
                    from tqdm.auto import tqdm
                self._tqdm = tqdm
            except ImportError:
                self._fallback = EpochLogger(file=self.file)
        if self._fallback is not None:
            self._fallback.set_model(self.model)
            self._fallback.set_params(self.params)
            return
        if self._resolved_mode() == "overall":
            epochs = self.params.get("epochs", 1)
            self._bar = self._new_bar(epochs * self.params.get("steps", 1), f"Epoch 1/{epochs}")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self._fallback is not None:
            self._fallback.on_epoch_begin(epoch, logs)
            return
        epochs = self.params.get("epochs", 1)
        if self._resolved_mode() == "epoch":
            self._bar = self._new_bar(self.params.get("steps", 1), f"Epoch {epoch + 1}/{epochs}")
        elif self._bar is not None:
            self._bar.set_description_str(f"Epoch {epoch + 1}/{epochs}", refresh=False)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is None:
            return
        self._bar.set_postfix_str(format_logs(logs), refresh=False)
        self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self._fallback is not None:
            self._fallback.on_epoch_end(epoch, logs)
            return
        if self._bar is None:
            return
        self._bar.set_postfix_str(format_logs(logs), refresh=False)
        if self._resolved_mode() == "epoch":
            self._bar.refresh()
            self._bar.close()
            self._bar = None
        else:
            self._bar.refresh()

    def on_train_end(self, logs=None):
        self.close()

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
