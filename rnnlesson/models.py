"""``Sequential``: a stack of layers trained the way Keras trains one.

::

    model = Sequential([
        Embedding(10000, 32, input_shape=(500,)),   # (N, 500) ids -> (N, 500, 32)
        SimpleRNN(32),                              # -> (N, 32), the last hidden state
        Dense(1, activation="sigmoid"),             # -> (N, 1), P(positive)
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10, batch_size=128, validation_split=0.2)
    model.summary()
    model.save("imdb_rnn.npz"); same = load_model("imdb_rnn.npz")

Under ``fit`` there is nothing but the four steps every lesson writes by hand,
and they stay separate so a learner (or a widget) can run them one by one::

    y_pred = model.forward(x, training=True)      # (N, ...) predictions
    loss = model.loss.forward(y_pred, y)          # a float: the batch mean
    model.backward(model.loss.backward())         # fills every layer's grads
    model.optimizer.apply(model.params, model.grads)   # clips (clipnorm) and updates

Shapes are worked out layer by layer when the model is built (from a first layer
created with ``input_shape=``, from ``build(input_shape)``, or from the first
batch), so a layer that cannot take its predecessor's output is reported at once,
naming both layers and the fix.

Determinism: a layer's initial weights (and dropout masks) come from its ``seed``;
the order in which ``fit(shuffle=True)`` visits the samples comes from the model's
own generator ``model.rng``, seeded with ``Sequential(seed=...)``, or, when that is
None, with the seeds of the layers if every layer that draws random numbers has one
(``Flatten`` draws none; ``fit(seed=...)`` overrides both for one call). So seeding
every layer is enough: two runs then give the same weights, batches and history bit
for bit.
"""

from __future__ import annotations

import json
import numbers
import os
import tempfile
import zipfile

import numpy as np

from . import _checks
from . import callbacks as callbacks_module
from .layers.base import Layer, _auto_name

__all__ = ["Sequential", "load_model", "TrainingDiverged"]

_FORMAT = "rnnlesson.Sequential"
_FORMAT_VERSION = 1
_HEADER_KEY = "__rnnlesson__"


class TrainingDiverged(RuntimeError):
    """Raised by ``fit``/``train_on_batch`` when the loss or a gradient is NaN or inf.

    The step that produced it did not change the weights, so the model holds the
    weights from just before it.

    Attributes:
        history: the :class:`~rnnlesson.callbacks.History` of the epochs that finished
            (also kept as ``model.history``); None for ``train_on_batch``.
        epoch, batch: where it happened (counted from 1, as the progress bar shows),
            or None when not inside ``fit``.
        loss: the loss value of the bad step (may be finite if a gradient was not).
    """

    def __init__(self, message, history=None, epoch=None, batch=None, loss=None):
        super().__init__(message)
        self.history = history
        self.epoch = epoch
        self.batch = batch
        self.loss = loss


# ---------------------------------------------------------------------------- metrics
_ACCURACY_NAMES = ("accuracy", "acc")
_METRIC_KINDS = {
    "binary_accuracy": "binary",
    "sparse_categorical_accuracy": "sparse",
    "categorical_accuracy": "categorical",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "mse": "mse",
    "mean_squared_error": "mse",
}


class _Metric:
    """A metric by name: accumulates a sum and a count over batches (a sample-weighted mean).

    ``'accuracy'``/``'acc'`` become binary, sparse categorical or categorical accuracy
    from the shapes of the first batch, by Keras's rule: a last axis of 1 in the
    predictions means binary (threshold 0.5); labels of lower rank than the
    predictions (``(N,)`` for ``(N, C)``, ``(N, T)`` for ``(N, T, C)``) mean sparse
    (argmax); otherwise one-hot labels (argmax of both).
    """

    def __init__(self, name: str):
        self.name = name
        self.kind = None if name in _ACCURACY_NAMES else _METRIC_KINDS[name]
        self.reset()

    def reset(self):
        self.total = 0.0
        self.count = 0

    def _resolve(self, y_pred, y_true):
        if y_pred.shape[-1] == 1:
            return "binary"
        if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
            return "sparse"
        return "categorical"

    def values(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Per-element scores (1.0 = right) of one batch, flattened."""
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

    def update(self, y_pred, y_true):
        v = self.values(y_pred, y_true)
        self.total += float(v.sum())
        self.count += v.size

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


def _match_rank(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """(N,) labels against (N, 1) predictions -> (N, 1), as Keras squeezes/expands."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    return y_true


def _metric_name(metric) -> str:
    owner = "Sequential.compile"
    if not isinstance(metric, str):
        raise TypeError(
            f"{owner} expects metrics as names (e.g. ['accuracy']); got {metric!r}. "
            f"Known names: {', '.join(_ACCURACY_NAMES + tuple(_METRIC_KINDS))}."
        )
    if metric not in _ACCURACY_NAMES and metric not in _METRIC_KINDS:
        raise ValueError(
            f"{owner} does not know the metric {metric!r}; known names: "
            f"{', '.join(_ACCURACY_NAMES + tuple(_METRIC_KINDS))}."
        )
    return metric


def _all_finite(arrays) -> bool:
    """True if every array holds only finite numbers (one cheap reduction per array)."""
    for a in arrays:
        if a.size and not np.isfinite(a.sum()) and not np.isfinite(a).all():
            return False
    return True


# ---------------------------------------------------------------------------- helpers
def _shape_of(shape) -> str:
    return _checks.shape_str(shape) if shape is not None else "?"


def _layer_label(layer) -> str:
    return f"'{layer.name}' ({type(layer).__name__})"


def _fix_hint(prev, layer, shape) -> str:
    """Advice for the commonest stacking mistakes."""
    from .layers.recurrent import Recurrent

    if isinstance(layer, Recurrent) and len(shape) == 2:
        if isinstance(prev, Recurrent) and not prev.return_sequences:
            return (
                f" Fix: create '{prev.name}' with return_sequences=True, e.g. "
                f"{type(prev).__name__}({prev.units}, return_sequences=True), so it passes on "
                f"its whole output sequence (N, T, {prev.units}) instead of only its last "
                f"hidden state (N, {prev.units})."
            )
        if prev is None:
            return (
                " Fix: a recurrent layer reads sequences (N, T, D). For one number per time "
                "step reshape the data to (N, T, 1) (x[..., None]) and give input_shape=(T, 1); "
                "for token ids (N, T) put an Embedding layer first."
            )
        return (f" Fix: '{layer.name}' needs a sequence (N, T, D); the layer before it must "
                "output one.")
    if prev is None:
        return " Check the input_shape given to the first layer (one sample, without N)."
    return f" Check that the output of '{prev.name}' is what '{layer.name}' expects."


def _as_batch(x, owner: str, what: str) -> np.ndarray:
    """A numeric array with a batch axis; integer arrays stay integer (token ids)."""
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], np.ndarray):
        shapes = {np.shape(a) for a in x}
        if len(shapes) > 1:
            raise ValueError(
                f"{owner} expects {what} as one array; got a list of arrays of different "
                f"shapes {sorted(shapes)[:4]}. Pad the sequences to one length first "
                "(rnnlesson.text.pad_sequences)."
            )
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{owner} expects {what} as a numeric array; got "
                        f"{type(x).__name__}.") from exc
    if arr.dtype == bool:
        arr = arr.astype(np.float32)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{owner} expects {what} as a numeric array; got an array of dtype {arr.dtype}. "
            "Text must be turned into numbers first (rnnlesson.text.Vocabulary)."
        )
    if arr.ndim == 0:
        raise ValueError(f"{owner} expects {what} with a batch axis first, shape (N, ...); "
                         "got a single number.")
    if arr.shape[0] == 0:
        raise ValueError(f"{owner} expects a non-empty {what}; got shape "
                         f"{_checks.shape_str(arr.shape)} (no samples).")
    _checks.check_finite(arr, owner, what)
    return arr


def _batch_size(value, owner) -> int:
    if value is None:
        return 32
    return _checks.positive_int(value, "batch_size", owner)


def _verbosity(verbose, owner, auto) -> int:
    if verbose == "auto":
        return auto
    if isinstance(verbose, bool) or not isinstance(verbose, numbers.Integral) or verbose not in (
            0, 1, 2):
        raise ValueError(f"{owner} expects verbose to be 'auto', 0, 1 or 2; got {verbose!r}.")
    return int(verbose)


# ---------------------------------------------------------------------------- the model
class Sequential:
    """A linear stack of layers, with Keras's training API.

    Args:
        layers: a list of layers (``rnnlesson.layers``), applied in order; more can be
            appended with :meth:`add`.
        name: the model's name in ``summary()``; automatic (``sequential``,
            ``sequential_1``...) if None.
        seed: integer seed of the generator that shuffles the training samples in
            ``fit`` (the layers' weights come from their own ``seed``). None: the seeds
            of the layers are used when every layer that draws random numbers has one
            (Flatten draws none), else fresh entropy (then the shuffling differs
            between runs). See :attr:`rng`.

    Shapes: the input is whatever the first layer takes, batch first: ``(N, T)``
    integer ids for an ``Embedding``, ``(N, T, D)`` floats for a recurrent layer,
    ``(N, D)`` for a ``Dense``. The output is the last layer's, e.g. ``(N, 1)``
    probabilities or ``(N, T, V)`` scores for a language model.

    Attributes:
        layers: the list of layers.
        built: whether every layer has its weights.
        loss, optimizer, metrics: set by :meth:`compile` (loss and optimizer objects).
        history: the :class:`~rnnlesson.callbacks.History` of the last ``fit`` (kept
            also when training stops with an error).
        stop_training: a callback sets it to True to end ``fit`` after the current batch.
    """

    def __init__(self, layers=None, name=None, seed=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Sequential expects name to be a string or None; got {name!r}.")
        if seed is not None and (isinstance(seed, bool)
                                 or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"Sequential expects seed to be an integer or None; got {seed!r}.")
        if seed is not None and seed < 0:
            raise ValueError(f"Sequential expects seed to be an integer >= 0; got {seed}.")
        self.name = name if name is not None else _auto_name("Sequential")
        self.seed = None if seed is None else int(seed)
        self._rng = None
        self.layers: list[Layer] = []
        self.built = False
        self.input_shape = None
        self._output_shapes: list = []
        self.loss = None
        self.optimizer = None
        self.metrics: list[str] = []
        self._compile_args = None
        self.history = None
        self.stop_training = False
        if layers is not None:
            if isinstance(layers, Layer) or not isinstance(layers, (list, tuple)):
                raise TypeError(
                    "Sequential expects layers as a list, e.g. Sequential([SimpleRNN(8), "
                    f"Dense(1)]); got {type(layers).__name__}."
                )
            for layer in layers:
                self.add(layer)

    @property
    def rng(self) -> np.random.Generator:
        """The generator that shuffles the samples in ``fit``, created at first use.

        Seeded with the model's ``seed``; without one, with the seeds of the layers
        when every layer that draws random numbers has one (so a model built from
        seeded layers trains the same way every run); otherwise with fresh entropy.
        """
        if self._rng is None:
            if self.seed is not None:
                self._rng = np.random.default_rng(self.seed)
            elif (seeds := self._layer_seeds()) is not None:
                self._rng = np.random.default_rng(seeds)
            else:
                self._rng = np.random.default_rng()
        return self._rng

    def _layer_seeds(self):
        """The layers' seeds (in order) if every layer that needs one has one, else None."""
        random_layers = [layer for layer in self.layers if layer.uses_randomness]
        if not random_layers or any(layer.seed is None for layer in random_layers):
            return None
        return [int(layer.seed) for layer in random_layers]

    # ------------------------------------------------------------------ structure
    def add(self, layer) -> None:
        """Append a layer. If the model is already built, the new layer is built at once
        from the current output shape (and a mismatch is reported now)."""
        if not isinstance(layer, Layer):
            raise TypeError(
                "Sequential.add expects a layer from rnnlesson.layers (e.g. Dense(1)); got "
                f"{type(layer).__name__}."
            )
        if any(layer is other for other in self.layers):
            raise ValueError(f"Sequential.add: layer {_layer_label(layer)} is already in the "
                             "model; create a new layer instead of adding the same one twice.")
        if any(layer.name == other.name for other in self.layers):
            raise ValueError(
                f"Sequential.add: the model already has a layer named '{layer.name}'; every "
                "layer of a model needs its own name (leave name=None for an automatic one)."
            )
        if self.built:
            shape = self._output_shapes[-1]
            prev = self.layers[-1]
            self._output_shapes.append(self._build_one(prev, layer, shape))
            self.layers.append(layer)
            return
        self.layers.append(layer)
        if len(self.layers) == 1:
            shape = None
            if layer.input_shape_arg is not None:
                shape = (None,) + tuple(layer.input_shape_arg)
            elif layer.built and layer.input_shape is not None:
                shape = layer.input_shape
            if shape is not None:
                try:
                    self.build(shape)
                except Exception:
                    self.layers.pop()
                    raise

    def pop(self):
        """Remove and return the last layer (as Keras)."""
        if not self.layers:
            raise ValueError("Sequential.pop: the model has no layers to remove.")
        layer = self.layers.pop()
        if self._output_shapes:
            self._output_shapes.pop()
        if not self.layers:
            self.built = False
            self.input_shape = None
        return layer

    def _build_one(self, prev, layer, shape):
        """Build ``layer`` for inputs of ``shape`` (the output of ``prev``, or the model input
        if ``prev`` is None) and return its output shape; a mismatch names both layers."""
        source = (f"the output of layer {_layer_label(prev)}" if prev is not None
                  else "the model's input")
        try:
            if layer.built:
                kernel = layer.params.get("kernel")
                if kernel is not None and shape[-1] is not None and kernel.shape[0] != shape[-1]:
                    raise ValueError(
                        f"{type(layer).__name__} '{layer.name}' was already built for inputs "
                        f"with {kernel.shape[0]} features on the last axis; got "
                        f"{_checks.shape_str(shape)}."
                    )
            else:
                layer.build(shape)
            out = layer.compute_output_shape(shape)
        except (ValueError, TypeError) as exc:
            reason = str(exc)
            if prev is None:  # there is no layer before it: drop a layer's hint about one
                reason = reason.split(" Did the layer before it")[0]
            raise ValueError(
                f"Layer {_layer_label(layer)} cannot take {source}, of shape "
                f"{_checks.shape_str(shape)}: {reason}{_fix_hint(prev, layer, shape)}"
            ) from exc
        if isinstance(out, list):
            raise ValueError(
                f"Layer {_layer_label(layer)} returns several arrays (return_state=True); a "
                "Sequential model passes exactly one array from layer to layer. Use "
                "return_state=False in a Sequential model, or call the layers yourself."
            )
        return tuple(out)

    def build(self, input_shape) -> None:
        """Build every layer for inputs of ``input_shape`` (batch first, e.g. ``(None, 500)``).

        Output shapes are inferred layer by layer (``layer.compute_output_shape``); a
        layer that cannot take its predecessor's output raises a ValueError that names
        both layers and suggests the fix.
        """
        owner = "Sequential.build"
        if not isinstance(input_shape, (list, tuple)) or not all(
                d is None or (isinstance(d, numbers.Integral) and not isinstance(d, bool)
                              and d > 0) for d in input_shape):
            raise TypeError(
                f"{owner} expects input_shape as a tuple of positive ints or None, batch "
                f"first, e.g. (None, 500); got {input_shape!r}."
            )
        input_shape = tuple(None if d is None else int(d) for d in input_shape)
        if len(input_shape) < 2:
            raise ValueError(
                f"{owner} expects input_shape with the batch axis first, e.g. (None, 500) or "
                f"(None, T, D); got {_checks.shape_str(input_shape)}."
            )
        if not self.layers:
            raise ValueError(f"{owner}: the model has no layers yet; add some first.")
        shapes, shape, prev = [], input_shape, None
        for layer in self.layers:
            shape = self._build_one(prev, layer, shape)
            shapes.append(shape)
            prev = layer
        self.input_shape = input_shape
        self._output_shapes = shapes
        self.built = True

    def _ensure_built(self, x: np.ndarray) -> None:
        if not self.layers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some first.")
        if not self.built:
            self.build((None,) + tuple(x.shape[1:]))

    @property
    def output_shape(self):
        """The model's output shape, batch first (None until built)."""
        return self._output_shapes[-1] if self.built else None

    # ------------------------------------------------------------------ computing
    def forward(self, x, training=False):
        """Run the layers in order on a batch ``x`` (N, ...) and return the output (N, ...).

        ``training=True`` turns on dropout; each layer caches what its backward needs.
        """
        x = _as_batch(x, "Sequential.forward", "x")
        self._ensure_built(x)
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    __call__ = forward

    def backward(self, dy):
        """Backpropagate ``dy`` = dL/d(output) through the layers in reverse order.

        Fills every layer's ``grads`` and returns dL/dx for the model's input (None when
        the first layer takes integer ids, e.g. an Embedding). ``dy`` is not modified.
        """
        if not self.layers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some first.")
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    @property
    def params(self) -> list[np.ndarray]:
        """The trainable weight arrays themselves (not copies), in layer order, then each
        layer's Keras order; parallel to :attr:`grads`, ready for ``optimizer.apply``."""
        return [p for layer in self.layers if layer.trainable for p in layer.params.values()]

    @property
    def grads(self) -> list[np.ndarray]:
        """The gradient arrays matching :attr:`params`, written by :meth:`backward`."""
        return [layer.grads[k] for layer in self.layers if layer.trainable
                for k in layer.params]

    @property
    def weights(self) -> list[np.ndarray]:
        """Every weight array (trainable or not), in layer order; not copies."""
        return [p for layer in self.layers for p in layer.params.values()]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all weights in Keras's order (layer by layer), for ``set_weights``."""
        return [p.copy() for p in self.weights]

    def set_weights(self, weights) -> None:
        """Overwrite all weights in place from a list in :meth:`get_weights` order.

        Everything is checked (count, shapes, finite numbers) before anything is written.
        """
        owner = "Sequential.set_weights"
        if not self.built:
            raise RuntimeError(f"{owner}: the model has no weights yet; call build(input_shape) "
                               "or run it on data first.")
        weights = list(weights)
        targets = [(layer, key, p) for layer in self.layers for key, p in layer.params.items()]
        if len(weights) != len(targets):
            raise ValueError(f"{owner} expects {len(targets)} arrays (as get_weights() returns); "
                             f"got {len(weights)}.")
        checked = []
        for (layer, key, p), w in zip(targets, weights, strict=True):
            w = _checks.as_float_array(w, p.dtype, owner, f"weight '{key}' of '{layer.name}'")
            if w.shape != p.shape:
                raise ValueError(
                    f"{owner}: weight '{key}' of layer '{layer.name}' has shape "
                    f"{_checks.shape_str(p.shape)}; got {_checks.shape_str(w.shape)}."
                )
            checked.append(w)
        for (_layer, _key, p), w in zip(targets, checked, strict=True):
            p[...] = w

    def count_params(self) -> int:
        """Number of scalar weights in the model (trainable and not)."""
        if not self.built:
            raise RuntimeError(f"Sequential '{self.name}' is not built yet: call "
                               "build(input_shape), give the first layer input_shape=, or run "
                               "it on data first.")
        return int(sum(layer.count_params() for layer in self.layers))

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics.

        Args:
            optimizer: an optimizer object or a name: ``'rmsprop'``, ``'adam'``, ``'sgd'``
                (Keras's defaults).
            loss: a loss object or a name: ``'binary_crossentropy'``,
                ``'sparse_categorical_crossentropy'``, ``'categorical_crossentropy'``,
                ``'mse'``...
            metrics: a list of names: ``'accuracy'`` (or ``'acc'``; binary, sparse or
                categorical chosen from the shapes as Keras does), ``'binary_accuracy'``,
                ``'sparse_categorical_accuracy'``, ``'categorical_accuracy'``, ``'mae'``,
                ``'mse'``. History keys use the name as given. As in Keras, binary accuracy
                thresholds the model's output at 0.5 as it is, so a model ending in logits
                (``from_logits=True``, no sigmoid) needs a threshold of 0 instead: add the
                sigmoid, or judge accuracy from ``predict`` yourself.
        """
        from . import losses, optimizers

        if loss is None:
            raise ValueError("Sequential.compile needs a loss, e.g. loss='binary_crossentropy' "
                             "or loss='mse'.")
        if metrics is None:
            metrics = []
        elif isinstance(metrics, str):
            metrics = [metrics]
        elif not isinstance(metrics, (list, tuple)):
            raise TypeError(f"Sequential.compile expects metrics as a list of names, e.g. "
                            f"['accuracy']; got {type(metrics).__name__}.")
        names = [_metric_name(m) for m in metrics]
        if len(set(names)) != len(names):
            raise ValueError(f"Sequential.compile got the same metric twice: {names}.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = names
        self._compile_args = {
            "optimizer": optimizer if isinstance(optimizer, str) else None,
            "loss": loss if isinstance(loss, str) else None,
        }

    def _require_compiled(self, what: str) -> None:
        if self.loss is None or self.optimizer is None:
            raise RuntimeError(
                f"Sequential.{what} needs a compiled model: call model.compile(optimizer="
                "'adam', loss='binary_crossentropy', metrics=['accuracy']) (or your own "
                "choice) first."
            )

    # ------------------------------------------------------------------ training
    def _check_xy(self, x, y, owner):
        if x is None or y is None:
            raise ValueError(f"{owner} expects both x and y (inputs and targets); got "
                             f"{'x=None' if x is None else 'y=None'}.")
        x = _as_batch(x, owner, "x")
        y = _as_batch(y, owner, "y")
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"{owner} expects x and y with the same number of samples (first axis); got "
                f"x of shape {_checks.shape_str(x.shape)} and y of shape "
                f"{_checks.shape_str(y.shape)}."
            )
        return x, y

    def _diverged(self, what, value, epoch, batch, steps, history):
        lr = getattr(self.optimizer, "learning_rate", None)
        where = (f"at epoch {epoch}, batch {batch} of {steps}" if epoch is not None
                 else "in train_on_batch")
        done = ""
        if history is not None:
            n = len(history.epoch)
            done = f" model.history (and this error's .history) holds the {n} finished epoch(s)."
        msg = (
            f"Training diverged {where}: {what}. The weights are those from before this step."
            f"{done} Try a smaller learning rate"
            + (f" (it is {lr:g} now)" if isinstance(lr, numbers.Real) else "")
            + " or clip the gradients, e.g. optimizer=Adam(learning_rate=1e-3, clipnorm=1.0)."
        )
        return TrainingDiverged(msg, history=history, epoch=epoch, batch=batch,
                                loss=value)

    def _train_step(self, xb, yb, metrics, where):
        """One step: forward, loss, backward, update; returns the batch loss.

        Every layer's output, the loss and the gradients are checked before the update
        and the weights after it (restored if the update made them non-finite), so a
        diverging step leaves the weights as they were.
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = _as_batch(xb, "Sequential.fit", "x")
            self._ensure_built(out)
            for layer in self.layers:
                out = layer.forward(out, training=True)
                if not _all_finite([out]):
                    raise self._diverged(
                        f"the output of layer {_layer_label(layer)} became NaN or inf, so the "
                        "loss cannot be computed", float("nan"), *where)
            y_pred = out
            loss = float(self.loss.forward(y_pred, yb))
            if not np.isfinite(loss):
                raise self._diverged(f"the loss became {loss}", loss, *where)
            self.backward(self.loss.backward())
            params, grads = self.params, self.grads
            if not _all_finite(grads):
                raise self._diverged(f"the loss was {loss:.4g} but a gradient became NaN or "
                                     "inf", loss, *where)
            backup = [p.copy() for p in params]
            self.optimizer.apply(params, grads)
            if not _all_finite(params):
                for p, b in zip(params, backup, strict=True):
                    p[...] = b
                raise self._diverged(f"the update made a weight NaN or inf (loss {loss:.4g})",
                                     loss, *where)
        for m in metrics:
            m.update(y_pred, yb)
        return loss

    def train_on_batch(self, x, y, return_dict=False):
        """One training step on one batch; returns the batch loss (and metrics, as Keras).

        Returns:
            the loss (a float) if no metrics were compiled, else ``[loss, metric...]``;
            with ``return_dict=True`` a dict with Keras's keys.

        Raises:
            TrainingDiverged: the loss or a gradient is NaN/inf (the weights are unchanged).
        """
        self._require_compiled("train_on_batch")
        x, y = self._check_xy(x, y, "Sequential.train_on_batch")
        self._ensure_built(x)
        metrics = [_Metric(n) for n in self.metrics]
        loss = self._train_step(x, y, metrics, (None, None, None, None))
        return self._pack(loss, metrics, return_dict)

    def _pack(self, loss, metrics, return_dict):
        logs = {"loss": loss}
        logs.update({m.name: m.result() for m in metrics})
        if return_dict:
            return logs
        return loss if not metrics else list(logs.values())

    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, seed=None):
        """Train the model, as Keras's ``fit``.

        Args:
            x: inputs (N, ...), e.g. (N, T) ids or (N, T, D) sequences.
            y: targets (N, ...), e.g. (N,) or (N, 1) labels, (N, T) ids for a language model.
            batch_size: samples per step (the last batch of an epoch may be smaller).
            epochs: passes over the training data.
            verbose: 0 silent; 1 a progress bar (tqdm; see ``callbacks.ProgressBar``); 2 one
                line per epoch; ``'auto'`` is 1.
            callbacks: a list of :class:`~rnnlesson.callbacks.Callback`.
            validation_split: the fraction of the data held out for validation: the LAST
                ``floor(N * (1 - split))``-th sample on, taken before any shuffling, as Keras.
            validation_data: ``(x_val, y_val)``, used instead of validation_split.
            shuffle: visit the training samples in a new random order every epoch.
            seed: seed for this call's shuffling; None uses the model's generator
                (``Sequential(seed=...)``).

        Returns:
            a :class:`~rnnlesson.callbacks.History` (also kept as ``model.history``) whose
            ``.history`` holds ``'loss'``, the metrics, and ``'val_loss'``, ``'val_...'``.

        Raises:
            TrainingDiverged: the loss or a gradient became NaN or inf; the weights are
                those from before that step and ``.history`` holds the finished epochs.
        """
        owner = "Sequential.fit"
        self._require_compiled("fit")
        x, y = self._check_xy(x, y, owner)
        batch_size = _batch_size(batch_size, owner)
        epochs = _checks.nonneg_int(epochs, "epochs", owner)
        verbose = _verbosity(verbose, owner, auto=1)
        split = _checks.real_number(validation_split, "validation_split", owner, 0.0, 1.0,
                                    high_inclusive=False)
        shuffle = _checks.boolean(shuffle, "shuffle", owner)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"{owner} expects seed to be an integer or None; got {seed!r}.")
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"{owner} expects callbacks as a list; got "
                            f"{type(callbacks).__name__}.")

        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
                raise ValueError(f"{owner} expects validation_data as a pair (x_val, y_val); "
                                 f"got {type(validation_data).__name__}"
                                 + (f" of length {len(validation_data)}"
                                    if isinstance(validation_data, (list, tuple)) else "") + ".")
            val = self._check_xy(validation_data[0], validation_data[1],
                                 f"{owner} (validation_data)")
        elif split > 0:
            n_total = x.shape[0]
            cut = int(np.floor(n_total * (1.0 - split)))
            if cut == 0 or cut == n_total:
                raise ValueError(
                    f"{owner}: validation_split={split} of {n_total} samples leaves "
                    f"{cut} for training and {n_total - cut} for validation; both need at least "
                    "one. Use more data or another split."
                )
            val = (x[cut:], y[cut:])
            x, y = x[:cut], y[:cut]

        self._ensure_built(x)
        n = x.shape[0]
        steps = -(-n // batch_size)
        rng = np.random.default_rng(seed) if seed is not None else self.rng

        history = callbacks_module.History()
        cbs = [history]
        if verbose == 1:
            cbs.append(callbacks_module.ProgressBar())
        elif verbose == 2:
            cbs.append(callbacks_module.EpochLogger())
        cbs.extend(callbacks or [])
        params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": n,
                  "verbose": verbose}
        cblist = callbacks_module.CallbackList(cbs, model=self, params=params)
        self.history = history
        self.stop_training = False
        metrics = [_Metric(m) for m in self.metrics]

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
                    if order is None:
                        xb, yb = x[b * batch_size:(b + 1) * batch_size], y[
                            b * batch_size:(b + 1) * batch_size]
                    else:
                        idx = order[b * batch_size:(b + 1) * batch_size]
                        xb, yb = x[idx], y[idx]
                    cblist.on_train_batch_begin(b)
                    loss = self._train_step(xb, yb, metrics,
                                            (epoch + 1, b + 1, steps, history))
                    loss_sum += loss * xb.shape[0]
                    seen += xb.shape[0]
                    logs = {"loss": loss_sum / seen}
                    logs.update({m.name: m.result() for m in metrics})
                    cblist.on_train_batch_end(b, dict(logs))
                    if self.stop_training:
                        break
                if val is not None:
                    val_logs = self._evaluate_arrays(val[0], val[1], batch_size)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cblist.on_epoch_end(epoch, dict(logs))
                if self.stop_training:
                    break
            cblist.on_train_end(dict(logs))
        except BaseException:
            cblist.close()
            raise
        return history

    # ------------------------------------------------------------------ inference
    def _evaluate_arrays(self, x, y, batch_size) -> dict:
        metrics = [_Metric(m) for m in self.metrics]
        total, seen = 0.0, 0
        for start in range(0, x.shape[0], batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            y_pred = self.forward(xb, training=False)
            total += float(self.loss.forward(y_pred, yb)) * xb.shape[0]
            seen += xb.shape[0]
            for m in metrics:
                m.update(y_pred, yb)
        logs = {"loss": total / seen}
        logs.update({m.name: m.result() for m in metrics})
        return logs

    def evaluate(self, x=None, y=None, batch_size=32, verbose="auto", return_dict=False):
        """Loss and metrics on ``(x, y)``, computed batch by batch without training.

        Returns:
            the loss if no metrics were compiled, else ``[loss, metric...]`` (as Keras);
            a dict with ``return_dict=True``. The loss is the sample-weighted mean of the
            batch losses, as Keras reports it. ``verbose`` prints one line when 1 or 2
            (``'auto'`` is 0 here: evaluation is quick and its result is returned).
        """
        owner = "Sequential.evaluate"
        self._require_compiled("evaluate")
        x, y = self._check_xy(x, y, owner)
        batch_size = _batch_size(batch_size, owner)
        verbose = _verbosity(verbose, owner, auto=0)
        self._ensure_built(x)
        logs = self._evaluate_arrays(x, y, batch_size)
        if verbose:
            print(callbacks_module.format_logs(logs))
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    def predict(self, x, batch_size=32, verbose=0):
        """The model's outputs for ``x`` (N, ...), computed in batches with training=False.

        Returns:
            an array (N, ...) of the last layer's outputs, e.g. (N, 1) or (N, T, V).
        """
        owner = "Sequential.predict"
        x = _as_batch(x, owner, "x")
        batch_size = _batch_size(batch_size, owner)
        _verbosity(verbose, owner, auto=0)
        self._ensure_built(x)
        outs = [self.forward(x[s:s + batch_size], training=False)
                for s in range(0, x.shape[0], batch_size)]
        return outs[0] if len(outs) == 1 else np.concatenate(outs, axis=0)

    # ------------------------------------------------------------------ summary
    def summary(self, print_fn=None, return_string=False, line_length=None):
        """Print a table of the layers, output shapes and parameter counts, as Keras 3.

        Args:
            print_fn: called with the whole text instead of ``print`` (as Keras's).
            return_string: return the text instead of printing it (handy in tests).
            line_length: total width of the table (default 76, Keras's width in Jupyter and
                80-column terminals); columns widen when a name or shape does not fit.

        The counts are Keras's: e.g. ``Embedding(10000, 32)``, ``SimpleRNN(32)``,
        ``Dense(1)`` on (None, 500) give 320,000, 2,080 and 33, total 322,113 (1.23 MB
        of float32). A model that is not built yet shows ``?`` and ``0 (unbuilt)``.
        """
        text = _render_summary(self, line_length)
        if return_string:
            return text
        (print_fn or print)(text)
        return None

    def __repr__(self) -> str:
        state = "built" if self.built else "not built"
        return f"<Sequential '{self.name}': {len(self.layers)} layer(s), {state}>"

    # ------------------------------------------------------------------ saving
    def get_config(self) -> dict:
        """The architecture as plain JSON data (layer class names and their configs)."""
        return {
            "name": self.name,
            "seed": self.seed,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                       for layer in self.layers],
        }

    def save(self, path) -> str:
        """Write the model to one ``.npz`` file and return its path.

        The file holds the architecture as JSON (layer classes and ``get_config()``, the
        model's name and seed, the build input shape, the compile choices: loss and
        metric names and the optimizer's class and settings) and every weight array.
        The optimizer's state (momentum, Adam's moments) is NOT saved: a loaded model
        is compiled afresh, so continued training restarts that state.

        ``'.npz'`` is appended to ``path`` when missing (as ``np.savez`` does). The file is
        written to a temporary file in the same directory and renamed into place, so
        an interrupted or failed save never leaves a broken file and keeps an earlier
        file of that name intact.
        """
        path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"Sequential.save expects a file path; got {path!r}.")
        if not path.endswith(".npz"):
            path += ".npz"
        if not self.built:
            raise RuntimeError(f"Sequential.save: model '{self.name}' has no weights yet; build "
                               "it (or fit it) first.")
        header, arrays = _serialise(self)
        arrays[_HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"Sequential.save: the directory {directory!r} does not "
                                    f"exist (saving to {path!r}).")
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                                   suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return path


# ---------------------------------------------------------------------------- summary
def _render_summary(model, line_length=None) -> str:
    rows = []
    for i, layer in enumerate(model.layers):
        label = f"{layer.name} ({type(layer).__name__})"
        if model.built:
            shape = _checks.shape_str(model._output_shapes[i])
            count = f"{layer.count_params():,}"
        else:
            shape, count = "?", "0 (unbuilt)"
        rows.append((label, shape, count))
    # Keras 3 in Jupyter or an 80-column terminal: 76 wide, cells 33 | 24 | 15 (with padding).
    total_width = 76 if line_length is None else _checks.positive_int(
        line_length, "line_length", "Sequential.summary")
    base = [33, 24, 15]
    scale = (total_width - 4) / sum(base)
    widths = [max(6, int(w * scale)) for w in base]
    widths[2] = max(6, total_width - 4 - widths[0] - widths[1])
    headers = ("Layer (type)", "Output Shape", "Param #")
    for j in range(3):
        need = max([len(headers[j])] + [len(r[j]) for r in rows]) + 2
        widths[j] = max(widths[j], need)

    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, bar):
        parts = [" " + values[0].ljust(widths[0] - 2) + " ",
                 " " + values[1].ljust(widths[1] - 2) + " ",
                 " " + values[2].rjust(widths[2] - 2) + " "]
        return bar + bar.join(parts) + bar

    out = [f'Model: "{model.name}"', line("┏", "━", "┳", "┓"), cells(headers, "┃"),
           line("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out.append(cells(row, "│"))
    out.append(line("└", "─", "┴", "┘"))
    trainable = non_trainable = 0
    t_bytes = n_bytes = 0
    if model.built:
        for layer in model.layers:
            for p in layer.params.values():
                if layer.trainable:
                    trainable += p.size
                    t_bytes += p.nbytes
                else:
                    non_trainable += p.size
                    n_bytes += p.nbytes
    out.append(f" Total params: {trainable + non_trainable:,} "
               f"({_readable_bytes(t_bytes + n_bytes)})")
    out.append(f" Trainable params: {trainable:,} ({_readable_bytes(t_bytes)})")
    out.append(f" Non-trainable params: {non_trainable:,} ({_readable_bytes(n_bytes)})")
    return "\n".join(out)


def _readable_bytes(n) -> str:
    """Bytes as Keras writes them: powers of 1024, two decimals (``1.23 MB``, ``0.00 B``)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PB"


# ---------------------------------------------------------------------------- save / load
def _object_config(obj, names) -> dict:
    """class name + settings of a loss or optimizer (its get_config() if it has one)."""
    if hasattr(obj, "get_config"):
        cfg = obj.get_config()
    else:
        cfg = {k: getattr(obj, k) for k in names if hasattr(obj, k)}
    clean = {}
    for k, v in cfg.items():
        if isinstance(v, (np.floating, np.integer, np.bool_)):
            v = v.item()
        if v is None or isinstance(v, (bool, int, float, str)):
            clean[k] = v
    return {"class_name": type(obj).__name__, "config": clean}


_OPT_KEYS = ("learning_rate", "momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon",
             "clipnorm")
_LOSS_KEYS = ("from_logits",)


def _serialise(model):
    arrays = {}
    weights = []
    for layer in model.layers:
        for key, p in layer.params.items():
            name = f"weight_{len(weights):03d}"
            arrays[name] = p
            weights.append({"layer": layer.name, "name": key, "key": name,
                            "shape": list(p.shape), "dtype": p.dtype.name})
    compiled = None
    if model.loss is not None:
        compiled = {
            "loss": _object_config(model.loss, _LOSS_KEYS),
            "loss_name": model._compile_args.get("loss") if model._compile_args else None,
            "optimizer": _object_config(model.optimizer, _OPT_KEYS),
            "metrics": list(model.metrics),
        }
    header = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "model": model.get_config(),
        "build_input_shape": list(model.input_shape),
        "compile": compiled,
        "weights": weights,
    }
    return header, arrays


def _layer_classes(custom_objects):
    from . import layers as layers_module
    from .layers.recurrent import Recurrent

    classes = {}
    for name in dir(layers_module):
        obj = getattr(layers_module, name)
        if isinstance(obj, type) and issubclass(obj, Layer) and obj not in (Layer, Recurrent):
            classes[name] = obj
    classes.update(custom_objects or {})
    return classes


def _damaged(path, detail):
    return ValueError(
        f"load_model: {path!r} is not a readable rnnlesson model file: {detail}. Expected an "
        f".npz archive written by Sequential.save(), holding '{_HEADER_KEY}' (the "
        "architecture as JSON) and the weight arrays."
    )


def _read_npz(path) -> tuple[dict, dict]:
    """Read and check the archive; return (header, arrays). Every failure is a ValueError."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic.startswith(b"\x93NUMPY"):
        raise _damaged(path, "it is a single .npy array, not an .npz archive")
    if not magic.startswith(b"PK"):
        raise _damaged(path, f"it does not start like a zip (.npz) archive (first bytes "
                             f"{magic!r})")
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = list(data.files)
            if _HEADER_KEY not in keys:
                raise _damaged(path, f"it holds the arrays {keys[:8]} but no '{_HEADER_KEY}' "
                                     "entry, so it was not written by Sequential.save()")
            arrays = {}
            for key in keys:
                try:
                    arrays[key] = data[key]
                except ValueError as exc:
                    if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                        raise _damaged(
                            path, f"the entry {key!r} is a pickled object array; model files "
                            "never hold pickled data, and load_model does not unpickle (that "
                            "could run arbitrary code)") from exc
                    raise
    except ValueError as exc:
        if str(exc).startswith("load_model:"):
            raise
        raise _damaged(path, f"{type(exc).__name__}: {exc}") from exc
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, RuntimeError) as exc:
        raise _damaged(path, f"the archive is truncated or damaged ({type(exc).__name__}: "
                             f"{exc})") from exc
    except Exception as exc:  # zlib.error and friends from a corrupted member
        raise _damaged(path, f"the archive is damaged ({type(exc).__name__}: {exc})") from exc
    raw = arrays.pop(_HEADER_KEY)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _damaged(path, f"'{_HEADER_KEY}' should be UTF-8 bytes (uint8, 1-d); got "
                             f"{raw.dtype} of shape {raw.shape}")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _damaged(path, f"the architecture JSON does not parse ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise _damaged(path, f"its header is not an rnnlesson Sequential header (format "
                             f"{header.get('format') if isinstance(header, dict) else None!r})")
    if header.get("format_version") != _FORMAT_VERSION:
        raise _damaged(path, f"format version {header.get('format_version')!r}; this "
                             f"rnnlesson reads version {_FORMAT_VERSION}")
    return header, arrays


def load_model(path, custom_objects=None, compile=True) -> Sequential:
    """Read a model written by :meth:`Sequential.save`.

    Args:
        path: the file; if it does not exist but ``path + '.npz'`` does, that is read
            (``save`` appends ``.npz`` when missing).
        custom_objects: ``{'MyLayer': MyLayer}`` for layer classes outside
            ``rnnlesson.layers``.
        compile: compile the model with the saved loss, metrics and optimizer settings
            (a fresh optimizer: its state was not saved).

    The file is read with ``allow_pickle=False``. A file that is truncated, damaged,
    not an ``.npz``, a foreign ``.npz`` (no rnnlesson header), or holding pickled
    object arrays raises ValueError naming the path and what was expected.
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_model: no file at {path!r}.")
    header, arrays = _read_npz(path)
    try:
        spec = header["model"]
        classes = _layer_classes(custom_objects)
        layers = []
        for entry in spec["layers"]:
            cls_name = entry["class_name"]
            if cls_name not in classes:
                raise _damaged(path, f"it uses the layer class {cls_name!r}, which is not in "
                                     "rnnlesson.layers; pass custom_objects={"
                                     f"{cls_name!r}: TheClass}}")
            layers.append(classes[cls_name].from_config(dict(entry["config"])))
        model = Sequential(layers, name=spec["name"], seed=spec.get("seed"))
        if not model.built:
            model.build(tuple(header["build_input_shape"]))
        weights = []
        for w in header["weights"]:
            arr = arrays[w["key"]]
            if list(arr.shape) != list(w["shape"]):
                raise _damaged(path, f"weight {w['name']!r} of layer {w['layer']!r} has shape "
                                     f"{arr.shape}, but the header says {tuple(w['shape'])}")
            weights.append(arr)
        model.set_weights(weights)
    except ValueError as exc:
        if str(exc).startswith("load_model:"):
            raise
        raise _damaged(path, f"its architecture or weights do not fit together ({exc})") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise _damaged(path, f"its header is incomplete or malformed ({type(exc).__name__}: "
                             f"{exc})") from exc
    if compile and header.get("compile"):
        _compile_from_header(model, header["compile"])
    return model


def _compile_from_header(model, spec) -> None:
    from . import losses, optimizers

    def build(module, entry, fallback):
        cls = getattr(module, entry.get("class_name", ""), None)
        if isinstance(cls, type):
            config = dict(entry.get("config", {}))
            try:
                if hasattr(cls, "from_config"):
                    return cls.from_config(config)
                return cls(**config)
            except (TypeError, ValueError):
                pass
        return fallback

    loss = build(losses, spec["loss"], spec.get("loss_name"))
    optimizer = build(optimizers, spec["optimizer"], None)
    if loss is None or optimizer is None:
        import warnings

        warnings.warn("load_model: could not rebuild the saved loss or optimizer; the model is "
                      "returned uncompiled. Call model.compile(...) yourself.", stacklevel=3)
        return
    model.compile(optimizer=optimizer, loss=loss, metrics=spec.get("metrics") or [])
