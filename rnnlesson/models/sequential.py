"""``Sequential``: a stack of layers, built, run and trained the way Keras does it.

This file holds the structure: the layers, building them shape by shape, forward
and backward through the stack, the weights. The training loop is in
:mod:`~rnnlesson.models.training` (one step, used by ``fit``), the metrics in
:mod:`~rnnlesson.models.metrics`, the table of ``summary()`` in
:mod:`~rnnlesson.models.summary`, the file format in :mod:`~rnnlesson.models.saving`.

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

import numbers

import numpy as np

from .. import _checks
from .. import callbacks as callbacks_module
from ..layers.base import Layer, _auto_name
from ..layers.masking import call_with_mask
from . import saving, training
from .metrics import metric_names, model_metrics
from .summary import render_summary

__all__ = ["Sequential"]


def _layer_label(layer) -> str:
    return f"'{layer.name}' ({type(layer).__name__})"


def _fix_hint(prev, layer, shape) -> str:
    """Advice for the commonest stacking mistakes."""
    from ..layers.recurrent import Recurrent

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
        output_mask: the sequence mask (N, T) of the last forward's output, or None (what
            Keras attaches to the output tensor): the loss and metrics leave out its False
            steps. It comes from ``Embedding(mask_zero=True)`` or ``Masking`` and passes
            through the layers that keep the time axis (see :mod:`rnnlesson.layers.masking`).
        stop_training: a callback sets it to True to end ``fit`` after the current batch.
    """

    def __init__(self, layers=None, name=None, seed=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Sequential expects name to be a string or None; got {name!r}.")
        self.seed = _checks.seed(seed, "Sequential")
        self.name = name if name is not None else _auto_name("Sequential")
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
        self.output_mask = None
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
        for ref in getattr(layer, "layer_references", ()):
            # a layer that uses another's weights (TiedDense and its Embedding): that layer
            # must be in the model before it, so its weights exist and train once
            if not any(ref is other for other in self.layers):
                raise ValueError(
                    f"Sequential.add: layer {_layer_label(layer)} uses the weights of layer "
                    f"{_layer_label(ref)}, which is not in this model before it; add "
                    f"'{ref.name}' first (e.g. Sequential([emb, ..., TiedDense(emb)])).")
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
                f"Layer {_layer_label(layer)} returns several arrays (return_state=True, or a "
                "Bidirectional with merge_mode=None); a Sequential model passes exactly one "
                "array from layer to layer. Use return_state=False and a merge mode in a "
                "Sequential model, or call the layers yourself."
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

    @property
    def output_shapes(self) -> list:
        """The output shape of every layer, batch first (all None until built)."""
        return list(self._output_shapes) if self.built else [None] * len(self.layers)

    # ------------------------------------------------------------------ computing
    def forward(self, x, training=False):
        """Run the layers in order on a batch ``x`` (N, ...) and return the output (N, ...).

        ``training=True`` turns on dropout; each layer caches what its backward needs. A
        mask made by a layer (``Embedding(mask_zero=True)``, ``Masking``) is handed to the
        layers after it, as Keras does; the output's mask is left in :attr:`output_mask`.
        """
        x = _checks.batch_array(x, "Sequential.forward", "x")
        self._ensure_built(x)
        mask = None
        for layer in self.layers:
            x, mask = call_with_mask(layer, x, mask, training)
        self.output_mask = mask
        return x

    __call__ = forward

    def backward(self, dy):
        """Backpropagate ``dy`` = dL/d(output) through the layers in reverse order.

        Fills every layer's ``grads`` and returns dL/dx for the model's input (None when
        the first layer takes integer ids, e.g. an Embedding). ``dy`` is not modified. A
        shared weight (an Embedding's matrix that a TiedDense uses too) gets the sum of
        the gradients of both uses.
        """
        if not self.layers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some first.")
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        # a weight used by two layers (TiedDense's kernel is its Embedding's matrix) gets
        # both gradients: the owner's backward wrote its own share, the other layer's is
        # added now, after every backward has run (the owner's ran last and overwrote)
        for layer in self.layers:
            shared = getattr(layer, "shared_grads", None)
            if shared is not None:
                for owner, key, g in shared():
                    owner.grads[key] += g
        return dy

    def reset_states(self) -> None:
        """Forget the carried state of every stateful layer (as Keras): the next call of
        the model starts each of them from zeros. Call it between independent sequences,
        e.g. before each pass over a text with a stateful language model."""
        for layer in self.layers:
            reset = getattr(layer, "reset_states", None)
            if callable(reset):
                reset()

    # ------------------------------------------------------------------ weights
    @property
    def params(self) -> dict[str, np.ndarray]:
        """The trainable weight arrays themselves (not copies), keyed ``'layer/weight'``
        (e.g. ``'simple_rnn/recurrent_kernel'``), in layer order and each layer's Keras
        order. The arrays of frozen layers (``trainable=False``) are left out, so
        ``optimizer.apply(model.params, model.grads)`` updates exactly what trains.
        (Keras's ``trainable_weights`` paths also put the model's name first.)"""
        return {f"{layer.name}/{key}": p for layer in self.layers if layer.trainable
                for key, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """The gradient arrays with the keys of :attr:`params`, written by :meth:`backward`."""
        return {f"{layer.name}/{key}": layer.grads[key] for layer in self.layers
                if layer.trainable for key in layer.params}

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
                ``'mse'``, ``'perplexity'`` (language models: exp of the mean cross-entropy
                per token over the epoch, from logits or probabilities as the loss's
                ``from_logits`` says). History keys use the name as given. As in Keras,
                binary accuracy thresholds the model's output at 0.5 as it is, so a model
                ending in logits (``from_logits=True``, no sigmoid) needs a threshold of 0
                instead: add the sigmoid, or judge accuracy from ``predict`` yourself.
        """
        from .. import losses, optimizers

        if loss is None:
            raise ValueError("Sequential.compile needs a loss, e.g. loss='binary_crossentropy' "
                             "or loss='mse'.")
        names = metric_names(metrics, "Sequential.compile")
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
    def train_on_batch(self, x, y, return_dict=False):
        """One training step on one batch; returns the batch loss (and metrics, as Keras).

        Returns:
            the loss (a float) if no metrics were compiled, else ``[loss, metric...]``;
            with ``return_dict=True`` a dict with Keras's keys.

        Raises:
            TrainingDiverged: the loss or a gradient is NaN/inf (the weights are unchanged).
        """
        self._require_compiled("train_on_batch")
        x, y = training.check_xy(x, y, "Sequential.train_on_batch")
        self._ensure_built(x)
        metrics = model_metrics(self)
        step = training.train_step(self, x, y, metrics=metrics)
        if not step.ok:
            raise training.diverged_error(self, step)
        logs = {"loss": step.loss}
        logs.update({m.name: m.result() for m in metrics})
        if return_dict:
            return logs
        return step.loss if not metrics else list(logs.values())

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
                This is the :class:`~rnnlesson.callbacks.TerminateOnNaN` callback that
                ``fit`` adds; pass ``TerminateOnNaN()`` yourself to stop quietly instead,
                as Keras does.
        """
        self._require_compiled("fit")
        return training.fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                            callbacks=callbacks, validation_split=validation_split,
                            validation_data=validation_data, shuffle=shuffle, seed=seed)

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
        x, y = training.check_xy(x, y, owner)
        batch_size = training.batch_size_arg(batch_size, owner)
        verbose = training.verbosity(verbose, owner, auto=0)
        self._ensure_built(x)
        logs = training.evaluate_arrays(self, x, y, batch_size)
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
        x = _checks.batch_array(x, owner, "x")
        batch_size = training.batch_size_arg(batch_size, owner)
        training.verbosity(verbose, owner, auto=0)
        self._ensure_built(x)
        return training.predict_arrays(self, x, batch_size)

    # ------------------------------------------------------------------ summary, saving
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
        text = render_summary(self, line_length)
        if return_string:
            return text
        (print_fn or print)(text)
        return None

    def __repr__(self) -> str:
        state = "built" if self.built else "not built"
        return f"<Sequential '{self.name}': {len(self.layers)} layer(s), {state}>"

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
        file of that name intact. Read it back with :func:`~rnnlesson.models.load_model`.
        """
        return saving.save_model(self, path)


def _from_header(path, header, custom_objects) -> Sequential:
    """The Sequential a saved header describes, built for its input shape (no weights yet)."""
    spec = header["model"]
    layers = saving.layers_from_config(path, spec["layers"], custom_objects)
    model = Sequential(layers, name=spec["name"], seed=spec.get("seed"))
    if not model.built:
        model.build(tuple(header["build_input_shape"]))
    return model


saving.register_model_kind("rnnlesson.Sequential", _from_header)
