"""A step-based trainer for the live widgets, in plain numpy (no Jupyter imports).

The widgets in :mod:`rnnlesson.widgets` only draw; everything they train goes
through :class:`Trainer`, which can be used and tested on its own::

    from rnnlesson.training import Trainer
    tr = Trainer(task="sine", cell="lstm", hidden_size=16, learning_rate=1e-2, seed=0)
    out = tr.step()          # {'step': 1, 'loss': ..., 'grad_norm': ..., 'gates': {...}, ...}
    tr.run(200)              # 200 more steps
    tr.history["loss"]       # one entry per step
    tr.learning_rate = 0.1   # applies from the next step on
    tr.reset()               # back to step 0, bit-for-bit the same numbers again

A *task* is a small function registered with :func:`register_task`. It returns a
:class:`Task`: training and validation arrays, a model builder (cell type and
hidden size in, model out), a loss, a probe sequence whose gates the widgets show,
and a ``view`` function that turns the current model into data for a picture.
Three tasks come built in:

* ``'sine'``: windows of a noisy sine wave ``(N, T, 1)``, predict the next value (MSE);
* ``'sentiment'``: the toy sentiment phrases, word ids through an ``Embedding`` (or
  one-hot vectors), many-to-one, probability of "positive" (binary cross-entropy);
* ``'adding'``: the adding problem ``(N, T, 2)``: add the two marked numbers (MSE).

Every step is :func:`rnnlesson.models.training.train_step`, the same step that
``Sequential.fit`` runs: forward, loss, backward, clip, update, with its checks.
Guards: a step whose numbers become NaN or inf (the weights are left as they were
before it), or after which the loss stays above ``max_loss_factor`` (3) times its
starting value, raises :class:`TrainingDiverged` with a readable message.
``global_clipnorm`` clips the norm of all gradients together (``clipnorm``, each
array's norm, as Keras), and every step logs the global norm before clipping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _checks, optimizers
from .models import training as model_training
from .models.training import TrainingDiverged

__all__ = ["Trainer", "Task", "TrainingDiverged", "register_task", "make_task", "TASKS",
           "CELL_TYPES"]

#: Cell types the model builders accept, with the layer each one means.
CELL_TYPES = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


@dataclass
class Task:
    """One learning problem for the trainer and the widgets.

    Attributes:
        name: the registry name (``'sine'``...).
        title: a short human title for plots.
        x_train, y_train: training inputs ``(N, T, D)`` (or token ids ``(N, T)``) and targets.
        x_val, y_val: validation data of the same kinds.
        build_model: ``build_model(cell, hidden_size, seed) -> model`` with ``forward``,
            ``backward``, ``params``, ``grads`` (a :class:`rnnlesson.models.Sequential`).
        loss: a loss name for :func:`rnnlesson.losses.get` (``'mse'``...).
        probe: one input sequence, shape ``(1, T, ...)``, whose gates and states are shown.
        probe_labels: a label per time step of the probe (for axis ticks), or None.
        view: ``view(model) -> dict`` with a ``'kind'`` key and the data of the task picture.
        batch_size: minibatch size for training.
        metrics: ``metrics(y_pred, y_true) -> dict`` of extra validation numbers, or None.
    """

    name: str
    title: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    build_model: Callable
    loss: str
    probe: np.ndarray
    view: Callable
    batch_size: int = 32
    probe_labels: list | None = None
    metrics: Callable | None = None
    info: dict = field(default_factory=dict)


#: The registered task functions, by name. Add one with :func:`register_task`.
TASKS: dict[str, Callable[..., Task]] = {}


def register_task(name: str):
    """Decorator: register ``fn(seed=0, **options) -> Task`` under ``name``.

    Example::

        @register_task("copy")
        def copy_task(seed=0):
            ...
            return Task(name="copy", ...)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_task expects a non-empty task name; got {name!r}.")

    def deco(fn):
        TASKS[name] = fn
        return fn

    return deco


def make_task(name: str, seed: int = 0, **options) -> Task:
    """Build the registered task ``name`` (its data are made from ``seed``)."""
    seed = _checks.seed(seed, "make_task", allow_none=False)
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}; expected one of {sorted(TASKS)}.")
    return TASKS[name](seed=seed, **options)


# ----------------------------------------------------------------------------- models
def _recurrent(cell: str, hidden_size: int, seed: int, dtype="float32"):
    from . import layers

    cls = getattr(layers, CELL_TYPES[cell])
    return cls(hidden_size, seed=seed, dtype=dtype)


def _check_cell(cell, owner: str) -> str:
    if not isinstance(cell, str) or cell.lower() not in CELL_TYPES:
        raise ValueError(f"{owner} expects cell to be one of {list(CELL_TYPES)}; got {cell!r}.")
    return cell.lower()


def _sequential(layer_list):
    from .models import Sequential

    return Sequential(layer_list)


# ----------------------------------------------------------------------------- tasks
@register_task("sine")
def sine_task(seed: int = 0, n: int = 1000, noise: float = 0.2, window: int = 16,
              train_fraction: float = 0.6) -> Task:
    """Predict the next value of a noisy sine wave from the ``window`` values before it.

    Inputs ``(N, T, 1)`` with T = ``window``; targets ``(N, 1)``. The first
    ``train_fraction`` of the windows train, the later ones validate (so the
    validation curve is on unseen times).
    """
    from .datasets import make_windows, sine_wave

    seed = _checks.seed(seed, "sine task", allow_none=False)
    _, series = sine_wave(n=n, noise=noise, seed=seed)
    series = np.asarray(series, dtype=np.float32)
    feats, labels = make_windows(series, tau=window)
    x = np.asarray(feats, dtype=np.float32).reshape(-1, window, 1)
    y = np.asarray(labels, dtype=np.float32).reshape(-1, 1)
    n_train = int(len(x) * train_fraction)
    t_val = np.arange(n_train, len(x)) + window  # index in the series of each target

    def build(cell, hidden_size, seed):
        from .layers import Dense

        return _sequential([_recurrent(cell, hidden_size, seed), Dense(1, seed=seed + 1)])

    x_val, y_val = x[n_train:], y[n_train:]

    def view(model):
        return {"kind": "series", "t": t_val, "target": y_val[:, 0],
                "prediction": model.forward(x_val, training=False)[:, 0],
                "title": "One step ahead on the validation part of the wave",
                "xlabel": "time step", "ylabel": "value"}

    return Task(name="sine", title="Noisy sine wave: predict the next value",
                x_train=x[:n_train], y_train=y[:n_train], x_val=x_val, y_val=y_val,
                build_model=build, loss="mse", probe=x_val[:1], view=view, batch_size=32,
                probe_labels=None, info={"series": series, "window": window})


@register_task("sentiment")
def sentiment_task(seed: int = 0, encoding: str = "embedding", embedding_dim: int = 8) -> Task:
    """Positive or negative? The toy sentiment phrases, read word by word (many-to-one).

    Word ids ``(N, T)`` padded in front (so the last step reads the last word) go
    through ``Embedding(V, embedding_dim)``, or, with ``encoding='onehot'``, one-hot
    vectors ``(N, T, V)`` go straight into the recurrent layer. The output is the
    probability of "positive" ``(N, 1)`` (sigmoid), trained with binary cross-entropy.
    """
    from .datasets import toy_sentiment
    from .text import Vocabulary, one_hot, pad_sequences

    seed = _checks.seed(seed, "sentiment task", allow_none=False)
    encoding = _checks.one_of(encoding, "encoding", "sentiment task", ("embedding", "onehot"))
    (tr_texts, tr_labels), (te_texts, te_labels) = toy_sentiment()
    voc = Vocabulary().fit(tr_texts)
    maxlen = max(len(voc.encode(t)) for t in list(tr_texts) + list(te_texts))
    x_tr = pad_sequences(voc.encode_batch(tr_texts), maxlen=maxlen)
    x_te = pad_sequences(voc.encode_batch(te_texts), maxlen=maxlen)
    V = len(voc)
    if encoding == "onehot":
        x_tr, x_te = one_hot(x_tr, V), one_hot(x_te, V)
    y_tr = np.asarray(tr_labels, dtype=np.float32).reshape(-1, 1)
    y_te = np.asarray(te_labels, dtype=np.float32).reshape(-1, 1)

    def build(cell, hidden_size, seed):
        from .layers import Dense, Embedding

        front = [Embedding(V, embedding_dim, seed=seed + 2)] if encoding == "embedding" else []
        return _sequential(front + [_recurrent(cell, hidden_size, seed),
                                    Dense(1, activation="sigmoid", seed=seed + 1)])

    def accuracy(y_pred, y_true):
        return {"val_accuracy": float(np.mean((y_pred[:, 0] > 0.5) == (y_true[:, 0] > 0.5)))}

    def view(model):
        p = model.forward(x_te, training=False)[:, 0]
        return {"kind": "phrases", "texts": list(te_texts), "probability": p,
                "label": y_te[:, 0].astype(int), **accuracy(p[:, None], y_te),
                "title": "P(positive) for each test phrase"}

    # a held-out phrase with a negation, where the gates have something to do
    negated = [t for t in te_texts if "not" in t.split()]
    probe_text = "this is not sad" if "this is not sad" in te_texts else (negated or te_texts)[0]
    probe = pad_sequences([voc.encode(probe_text)], maxlen=maxlen)
    if encoding == "onehot":
        probe = one_hot(probe, V)
    words = voc.encode(probe_text)
    probe_labels = [""] * (maxlen - len(words)) + [voc.decode([w]) for w in words]
    return Task(name="sentiment", title="Toy sentiment: is the phrase positive?",
                x_train=x_tr, y_train=y_tr, x_val=x_te, y_val=y_te, build_model=build,
                loss="binary_crossentropy", probe=probe, view=view, batch_size=16,
                probe_labels=probe_labels, metrics=accuracy,
                info={"vocabulary": voc, "probe_text": probe_text, "encoding": encoding})


@register_task("adding")
def adding_task(seed: int = 0, T: int = 25, n_train: int = 2000, n_val: int = 200) -> Task:
    """The adding problem: a sequence of numbers, two of them marked; output their sum.

    Inputs ``(N, T, 2)`` (value, marker); targets ``(N, 1)``. Predicting the mean
    (1.0) gives an MSE of about 0.167, so a loss well below that means the model
    has learned to remember the marked values.
    """
    from .datasets import adding_problem

    seed = _checks.seed(seed, "adding task", allow_none=False)
    if not 2 <= int(T) <= 200:
        raise ValueError(f"adding task expects 2 <= T <= 200; got T={T!r}.")
    x_tr, y_tr = adding_problem(n_train, T, seed=seed)
    x_va, y_va = adding_problem(n_val, T, seed=seed + 1000)
    x_tr, x_va = (np.asarray(a, dtype=np.float32) for a in (x_tr, x_va))
    y_tr = np.asarray(y_tr, dtype=np.float32).reshape(-1, 1)
    y_va = np.asarray(y_va, dtype=np.float32).reshape(-1, 1)

    def build(cell, hidden_size, seed):
        from .layers import Dense

        return _sequential([_recurrent(cell, hidden_size, seed), Dense(1, seed=seed + 1)])

    def view(model):
        return {"kind": "scatter", "target": y_va[:, 0],
                "prediction": model.forward(x_va, training=False)[:, 0],
                "title": "Predicted against true sum (validation)",
                "xlabel": "true sum", "ylabel": "predicted sum"}

    probe = x_va[:1]
    marks = np.flatnonzero(probe[0, :, 1] > 0.5)
    probe_labels = ["*" if t in marks else "" for t in range(T)]
    return Task(name="adding", title=f"Adding problem (T = {T})", x_train=x_tr, y_train=y_tr,
                x_val=x_va, y_val=y_va, build_model=build, loss="mse", probe=probe,
                view=view, batch_size=32, probe_labels=probe_labels, info={"T": T})


# ----------------------------------------------------------------------------- trainer
class Trainer:
    """Train a small recurrent model on a task, one minibatch per :meth:`step`.

    Args:
        task: a registered task name (``'sine'``, ``'sentiment'``, ``'adding'``) or a
            :class:`Task`.
        cell: ``'rnn'`` (SimpleRNN), ``'lstm'`` or ``'gru'``.
        hidden_size: H, the recurrent layer's units.
        learning_rate: the optimizer's learning rate; may be changed between steps
            (``trainer.learning_rate = 0.1``).
        optimizer: ``'adam'``, ``'rmsprop'`` or ``'sgd'`` (Keras defaults otherwise), or an
            optimizer object or config whose settings are copied (each :meth:`reset`
            starts a fresh optimizer from them; ``learning_rate`` always wins).
        batch_size: minibatch size (default: the task's).
        global_clipnorm: clip the norm of all gradients together to this before each
            update (None: off), as Keras's ``global_clipnorm``.
        clipnorm: clip each gradient array's norm on its own (None: off), as Keras's
            ``clipnorm``. Give at most one of the two.
        seed: seeds the weights, the data and the minibatch order; :meth:`reset`
            replays exactly the same numbers.
        val_every: compute the validation loss every this many steps (and at step 1).
        max_loss_factor: stop when the loss (median of the last 5 steps) exceeds this
            multiple of the first step's loss.
        task_options: keyword arguments for the task function (e.g. ``{'T': 40}``).

    ``history`` is a dict of lists. One entry per step: ``'step'``, ``'loss'``
    (training minibatch), ``'grad_norm'`` (before clipping), ``'learning_rate'``
    (the rate the step used), ``'time'`` (``time.perf_counter()`` at its end).
    Sparser, one entry per validation: ``'val_step'`` (the step it was taken after),
    ``'val_loss'`` and any task metrics such as ``'val_accuracy'``.
    """

    def __init__(self, task="sine", cell="lstm", hidden_size=16, learning_rate=1e-2, *,
                 optimizer="adam", batch_size=None, global_clipnorm=None, clipnorm=None, seed=0,
                 val_every=10, max_loss_factor=3.0, task_options=None):
        owner = "Trainer"
        self.seed = _checks.seed(seed, owner, allow_none=False)
        if isinstance(task, Task):
            self.task = task
        elif isinstance(task, str):
            self.task = make_task(task, seed=self.seed, **(task_options or {}))
        else:
            raise TypeError(f"{owner} expects task to be a task name {sorted(TASKS)} or a Task; "
                            f"got {type(task).__name__}.")
        self.cell = _check_cell(cell, owner)
        self.hidden_size = _checks.positive_int(hidden_size, "hidden_size", owner)
        self._learning_rate = self._check_lr(learning_rate)
        config = optimizers.get(optimizer).get_config()
        if clipnorm is not None or global_clipnorm is not None:
            config.update(clipnorm=clipnorm, global_clipnorm=global_clipnorm)
        #: the settings each reset() builds a fresh optimizer from (optimizers.get(config))
        self.optimizer_config = config
        self._make_optimizer()  # refuses bad settings now, not at the first step
        self.batch_size = _checks.positive_int(batch_size or self.task.batch_size,
                                               "batch_size", owner)
        self.val_every = _checks.positive_int(val_every, "val_every", owner)
        self.max_loss_factor = _checks.real_number(max_loss_factor, "max_loss_factor", owner,
                                                   low=1.0)
        self.reset()

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _check_lr(value) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"learning_rate must be a number; got {type(value).__name__}.")
        value = float(value)
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"learning_rate must be a positive finite number; got {value!r}.")
        return value

    @property
    def optimizer_name(self) -> str:
        """``'adam'``, ``'rmsprop'`` or ``'sgd'``."""
        return self.optimizer_config["name"]

    @property
    def global_clipnorm(self):
        """The optimizer's global_clipnorm (None: off)."""
        return self.optimizer_config.get("global_clipnorm")

    @property
    def clipnorm(self):
        """The optimizer's per-array clipnorm (None: off)."""
        return self.optimizer_config.get("clipnorm")

    def _make_optimizer(self):
        return optimizers.get({**self.optimizer_config, "learning_rate": self._learning_rate})

    def reset(self, *, cell=None, hidden_size=None, learning_rate=None) -> None:
        """Start again from step 0: fresh weights, optimizer, minibatch order and history.

        With the same settings the numbers that follow are identical to the first
        run. Passing ``cell``, ``hidden_size`` or ``learning_rate`` changes them first
        (the model is rebuilt for the new cell type or size).
        """
        if cell is not None:
            self.cell = _check_cell(cell, "Trainer.reset")
        if hidden_size is not None:
            self.hidden_size = _checks.positive_int(hidden_size, "hidden_size", "Trainer.reset")
        if learning_rate is not None:
            self._learning_rate = self._check_lr(learning_rate)
        from . import losses

        self.model = self.task.build_model(self.cell, self.hidden_size, self.seed)
        # build the weights now (a forward on the probe), so params exist before step 1
        self.model.forward(self.task.x_train[:1], training=False)
        self.loss = losses.get(self.task.loss)
        self.optimizer = self._make_optimizer()
        self.rng = np.random.default_rng(self.seed)
        self._order = np.empty(0, dtype=np.intp)
        self._pos = 0
        self.step_count = 0
        self.diverged: str | None = None
        self.initial_loss: float | None = None
        self.history: dict[str, list] = {k: [] for k in (
            "step", "loss", "grad_norm", "learning_rate", "time", "val_step", "val_loss")}

    @property
    def learning_rate(self) -> float:
        """The learning rate the next step will use (settable at any time)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = self._check_lr(value)
        self.optimizer.learning_rate = self._learning_rate

    @property
    def recurrent_layer(self):
        """The model's recurrent layer (SimpleRNN, LSTM or GRU)."""
        from .layers import Recurrent

        for layer in self.model.layers:
            if isinstance(layer, Recurrent):
                return layer
        raise RuntimeError("the task's model has no recurrent layer")

    # ------------------------------------------------------------------ training
    def _next_batch(self):
        n = len(self.task.x_train)
        if self._pos + self.batch_size > len(self._order):
            # a fresh shuffled pass, appended to what is left of the last one
            self._order = np.concatenate([self._order[self._pos:], self.rng.permutation(n)])
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        return self.task.x_train[idx], self.task.y_train[idx]

    def _diverge(self, message: str, reason: str):
        self.diverged = message
        raise TrainingDiverged(message, step=self.step_count, reason=reason)

    def step(self, return_gates: bool = True) -> dict:
        """One minibatch: forward, loss, backward, (clip), update, by
        :func:`rnnlesson.models.training.train_step`.

        Returns a dict with ``'step'``, ``'loss'``, ``'grad_norm'``, ``'learning_rate'``,
        ``'val_loss'`` (and metrics) when validated this step, and for LSTMs (when
        ``return_gates``) ``'gates'``: the gate activations of the task's probe
        sequence after the update, each ``(T, H)`` (see :meth:`probe_gates`).

        Raises:
            TrainingDiverged: the loss or gradient is NaN/inf (the update is skipped),
                or the loss grew past ``max_loss_factor`` times its first value. Every
                later call raises again until :meth:`reset`.
        """
        if self.diverged is not None:
            raise TrainingDiverged(self.diverged + " Call reset() to start again.",
                                   step=self.step_count, reason="stopped")
        # overflow is detected below and reported in words, so numpy's warnings stay quiet
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return self._step(return_gates)

    def _step(self, return_gates: bool) -> dict:
        xb, yb = self._next_batch()
        lr = self._learning_rate
        result = model_training.train_step(self.model, xb, yb, loss=self.loss,
                                           optimizer=self.optimizer)
        loss, gnorm = result.loss, result.grad_norm
        self.step_count += 1
        h = self.history
        h["step"].append(self.step_count)
        h["loss"].append(loss)
        h["grad_norm"].append(gnorm)
        h["learning_rate"].append(lr)
        h["time"].append(time.perf_counter())
        if not result.ok:
            self._diverge(
                f"Training stopped at step {self.step_count}: {result.problem} (numbers "
                f"overflowed) with learning rate {lr:.3g}. A smaller learning rate (or "
                "global_clipnorm) should fix it.", "nonfinite")
        if self.initial_loss is None:
            self.initial_loss = loss
        out = {"step": self.step_count, "loss": loss, "grad_norm": gnorm, "learning_rate": lr}
        if self.step_count == 1 or self.step_count % self.val_every == 0:
            out.update(self.validate())
        recent = float(np.median(h["loss"][-5:]))
        if recent > self.max_loss_factor * self.initial_loss:
            self._diverge(
                f"Training stopped at step {self.step_count}: the loss grew to "
                f"{recent / self.initial_loss:.1f} times its starting value "
                f"({self.initial_loss:.3g} -> {recent:.3g}) with learning rate {lr:.3g}, "
                "which is probably too large.", "loss_growth")
        if return_gates and self.cell == "lstm":
            out["gates"] = self.probe_gates()
        return out

    def run(self, steps: int) -> dict:
        """Take ``steps`` steps (without gates); return the last step's dict.

        Raises :class:`TrainingDiverged` as :meth:`step` does.
        """
        steps = _checks.nonneg_int(steps, "steps", "Trainer.run")
        out = {}
        for _ in range(steps):
            out = self.step(return_gates=False)
        return out

    def validate(self) -> dict:
        """Loss (and task metrics) on the whole validation set; appended to the history."""
        y_pred = self.model.forward(self.task.x_val, training=False)
        val = {"val_loss": float(self.loss.forward(y_pred, self.task.y_val))}
        if self.task.metrics is not None:
            val.update(self.task.metrics(y_pred, self.task.y_val))
        h = self.history
        h["val_step"].append(self.step_count)
        for k, v in val.items():
            h.setdefault(k, []).append(v)
        return val

    # ------------------------------------------------------------------ looking inside
    def _probe_input(self):
        """The probe sequence as the recurrent layer sees it (through the layers before it)."""
        x = self.task.probe
        rec = self.recurrent_layer
        for layer in self.model.layers:
            if layer is rec:
                return x
            x = layer.forward(x, training=False)
        raise RuntimeError("the task's model has no recurrent layer")  # pragma: no cover

    def probe_gates(self) -> dict:
        """LSTM gate activations on the task's probe sequence, each ``(T, H)``.

        Keys ``'i'`` (input gate), ``'f'`` (forget gate), ``'o'`` (output gate), ``'c~'``
        (cell candidate), ``'c'`` (cell state), ``'h'`` (hidden state). Only for
        ``cell='lstm'``; uses ``LSTM.gate_activations``.
        """
        if self.cell != "lstm":
            raise ValueError(f"probe_gates needs an LSTM; this trainer's cell is {self.cell!r}.")
        g = self.recurrent_layer.gate_activations(self._probe_input())
        return {k: v[0] for k, v in g.items()}

    def probe_states(self) -> np.ndarray:
        """Hidden states ``(T, H)`` of the recurrent layer over the probe sequence (any cell)."""
        if self.cell == "lstm":
            return self.probe_gates()["h"]
        rec = self.recurrent_layer
        x = self._probe_input()
        old = rec.return_sequences
        rec.return_sequences = True
        try:
            seq = rec.forward(x, training=False)
        finally:
            rec.return_sequences = old
        return np.asarray(seq)[0]

    def view(self) -> dict:
        """The task's picture data for the current model (see each task's ``view``)."""
        return self.task.view(self.model)

    def __repr__(self) -> str:
        return (f"Trainer(task={self.task.name!r}, cell={self.cell!r}, "
                f"hidden_size={self.hidden_size}, learning_rate={self._learning_rate:g}, "
                f"seed={self.seed}, step={self.step_count})")
