"""A step-based trainer for a character language model, in plain numpy (no Jupyter imports).

The live text widget (:class:`rnnlesson.widgets.TextGenerator`) only draws; the
training and the sampling are here, and can be used and tested on their own::

    from rnnlesson.lm_training import LMTrainer
    tr = LMTrainer(hidden_size=128, seed=0)    # tiny-shakespeare, Embedding -> LSTM -> Dense
    tr.step()                 # {'step': 1, 'loss': 4.17..., 'grad_norm': ..., ...}
    tr.run(300)               # 300 more steps
    tr.sample(200, temperature=0.8, prompt="ROMEO:")   # 200 new characters, a str
    tr.history["loss"]        # one entry per step; 'val_loss' every val_every steps
    tr.reset()                # back to step 0: the same numbers again

The model reads the text as ``batch_size`` parallel streams in consecutive windows of
``seq_len`` characters (:func:`rnnlesson.lm.lm_batches`): the LSTM is stateful, so its
state runs on from one window into the next (truncated backpropagation through
time), and starts again from zeros at each pass over the text. Every step is
:func:`rnnlesson.models.training.train_step`, the step ``fit`` runs; a step whose
numbers become NaN or inf, or after which the loss stays above ``max_loss_factor``
times its first value, raises :class:`~rnnlesson.models.TrainingDiverged`.

The validation loss is the mean cross-entropy per character (nats) on the first
``val_tokens`` characters of the held-out end of the text; ``val_bpc`` is the same in
bits per character. A model that guesses uniformly scores ln V (4.17 for 65 characters).
"""

from __future__ import annotations

import math
import time

import numpy as np

from . import _checks, lm
from .models.training import TrainingDiverged, train_step

__all__ = ["LMTrainer", "TrainingDiverged"]


class LMTrainer:
    """Train a character-level LSTM language model one window of text per :meth:`step`.

    Args:
        text: the training text (a str); None means tiny-shakespeare
            (:func:`rnnlesson.datasets.shakespeare`). Its last ``val_fraction`` is held out.
        hidden_size: H, the LSTM's units.
        embedding_dim: E, the size of each character's vector.
        batch_size: B, parallel streams of text per step.
        seq_len: T, characters per window (the truncation length of BPTT).
        learning_rate: Adam's learning rate; ``trainer.learning_rate = ...`` applies from
            the next step.
        global_clipnorm: clip the norm of all gradients together (None: off).
        seed: seeds the weights and the samples; :meth:`reset` replays the same numbers.
        val_every: validate every this many steps (and at step 1).
        val_tokens: characters of held-out text each validation reads.
        val_fraction: the share of the text held out.
        max_loss_factor: stop when the median loss of the last 5 steps exceeds this multiple
            of the first step's loss.

    Attributes:
        vocab: the character :class:`~rnnlesson.text.Vocabulary` (V characters).
        model: the :class:`~rnnlesson.models.Sequential`, ids (B, T) -> logits (B, T, V).
        history: dict of lists. One entry per step: ``'step'``, ``'loss'`` (the window's
            mean cross-entropy per character, nats), ``'grad_norm'`` (before clipping),
            ``'learning_rate'``, ``'time'``; per validation: ``'val_step'``,
            ``'val_loss'`` (nats per character), ``'val_bpc'`` (bits per character).
        temperature, prompt: the defaults of :meth:`sample` (settable).
        primer: the text :meth:`sample` reads before the prompt (settable; "" for none).
    """

    def __init__(self, text=None, *, hidden_size=128, embedding_dim=32, batch_size=32,
                 seq_len=100, learning_rate=2e-3, global_clipnorm=5.0, seed=0, val_every=50,
                 val_tokens=4001, val_fraction=0.1, max_loss_factor=3.0):
        from .text import Vocabulary

        owner = "LMTrainer"
        if text is None:
            from .datasets import shakespeare

            text = shakespeare()
        if not isinstance(text, str):
            raise TypeError(f"{owner} expects text as one str (None: tiny-shakespeare); got "
                            f"{type(text).__name__}.")
        self.seed = _checks.seed(seed, owner, allow_none=False)
        self.hidden_size = _checks.positive_int(hidden_size, "hidden_size", owner)
        self.embedding_dim = _checks.positive_int(embedding_dim, "embedding_dim", owner)
        self.batch_size = _checks.positive_int(batch_size, "batch_size", owner)
        self.seq_len = _checks.positive_int(seq_len, "seq_len", owner)
        self.val_every = _checks.positive_int(val_every, "val_every", owner)
        self.val_tokens = _checks.positive_int(val_tokens, "val_tokens", owner)
        fraction = _checks.real_number(val_fraction, "val_fraction", owner, low=0.0, high=1.0,
                                       low_inclusive=False, high_inclusive=False)
        self.max_loss_factor = _checks.real_number(max_loss_factor, "max_loss_factor", owner,
                                                   low=1.0)
        self.global_clipnorm = None if global_clipnorm is None else _checks.real_number(
            global_clipnorm, "global_clipnorm", owner, low=0, low_inclusive=False)
        self.vocab = Vocabulary(level="char").fit([text])
        ids = np.asarray(self.vocab.encode(text), dtype=np.int64)
        cut = int(len(ids) * (1 - fraction))
        self.train_ids, self.val_ids = ids[:cut], ids[cut:cut + self.val_tokens]
        need = self.batch_size * self.seq_len + 1
        if len(self.train_ids) < need or len(self.val_ids) < 8 * min(self.seq_len, 8) + 1:
            raise ValueError(
                f"{owner}: {len(ids)} characters are too few: training needs at least B * T "
                f"+ 1 = {need} and validation a few windows after them; use a longer text "
                "or a smaller batch_size or seq_len.")
        self._learning_rate = _checks.real_number(learning_rate, "learning_rate", owner, low=0,
                                                  low_inclusive=False)
        self.temperature = 0.8
        self.prompt = "\n"
        self.primer = self._primer(text[cut:cut + 400])
        self.reset()

    @staticmethod
    def _primer(head: str) -> str:
        """What :meth:`sample` reads before the prompt: the held-out text's first
        speeches, up to the last blank line (or line break) in them."""
        for mark in ("\n\n", "\n"):
            if mark in head:
                return head[:head.rindex(mark) + len(mark)]
        return ""

    # ------------------------------------------------------------------ set-up
    def _build(self):
        from .layers import LSTM, Dense, Embedding
        from .losses import SparseCategoricalCrossentropy
        from .models import Sequential
        from .optimizers import Adam

        V, s = len(self.vocab), self.seed
        model = Sequential([Embedding(V, self.embedding_dim, seed=s),
                            LSTM(self.hidden_size, return_sequences=True, stateful=True,
                                 seed=s + 1),
                            Dense(V, seed=s + 2)])
        model.build((None, self.seq_len))
        model.compile(optimizer=Adam(learning_rate=self._learning_rate,
                                     global_clipnorm=self.global_clipnorm),
                      loss=SparseCategoricalCrossentropy(from_logits=True))
        return model

    def reset(self, *, hidden_size=None, learning_rate=None, **_ignored) -> None:
        """Back to step 0: fresh weights from the seed, a fresh optimizer, the text from its
        start, an empty history. ``hidden_size`` or ``learning_rate`` change those first.
        (Other keywords, such as a widget's ``cell``, are accepted and ignored.)"""
        if hidden_size is not None:
            self.hidden_size = _checks.positive_int(hidden_size, "hidden_size", "LMTrainer")
        if learning_rate is not None:
            self._learning_rate = _checks.real_number(learning_rate, "learning_rate",
                                                      "LMTrainer.reset", low=0,
                                                      low_inclusive=False)
        self.model = self._build()
        self._windows = iter(())
        self.step_count = 0
        self.epoch = 0
        self.diverged: str | None = None
        self.initial_loss: float | None = None
        self.history: dict[str, list] = {k: [] for k in (
            "step", "loss", "grad_norm", "learning_rate", "time", "val_step", "val_loss",
            "val_bpc")}

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next step (settable at any time)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = _checks.real_number(value, "learning_rate", "LMTrainer", low=0,
                                                  low_inclusive=False)
        self.model.optimizer.learning_rate = self._learning_rate

    # ------------------------------------------------------------------ training
    def _next_window(self):
        window = next(self._windows, None)
        if window is None:  # a new pass over the text: the state starts from zeros again
            self.epoch += 1
            self.model.reset_states()
            self._windows = lm.lm_batches(self.train_ids, self.batch_size, self.seq_len)
            window = next(self._windows)
        return window

    def _diverge(self, message: str, reason: str):
        self.diverged = message
        raise TrainingDiverged(message, step=self.step_count, reason=reason)

    def step(self, return_gates: bool = False) -> dict:
        """One window of text: forward, loss, backward, clip, update (``train_step``).

        Returns ``{'step', 'loss', 'grad_norm', 'learning_rate'}``, with ``'val_loss'`` and
        ``'val_bpc'`` when it validated. ``return_gates`` is accepted for the widgets'
        common loop and ignored.

        Raises:
            TrainingDiverged: NaN/inf (the update is skipped), or the loss grew past
                ``max_loss_factor`` times its first value; again at every call until reset.
        """
        if self.diverged is not None:
            raise TrainingDiverged(self.diverged + " Call reset() to start again.",
                                   step=self.step_count, reason="stopped")
        x, y = self._next_window()
        lr = self._learning_rate
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            result = train_step(self.model, x, y)
        self.step_count += 1
        h = self.history
        h["step"].append(self.step_count)
        h["loss"].append(result.loss)
        h["grad_norm"].append(result.grad_norm)
        h["learning_rate"].append(lr)
        h["time"].append(time.perf_counter())
        if not result.ok:
            self._diverge(f"Training stopped at step {self.step_count}: {result.problem} with "
                          f"learning rate {lr:.3g}. A smaller learning rate should fix it.",
                          "nonfinite")
        if self.initial_loss is None:
            self.initial_loss = result.loss
        out = {"step": self.step_count, "loss": result.loss, "grad_norm": result.grad_norm,
               "learning_rate": lr}
        if self.step_count == 1 or self.step_count % self.val_every == 0:
            out.update(self.validate())
        recent = float(np.median(h["loss"][-5:]))
        if recent > self.max_loss_factor * self.initial_loss:
            self._diverge(f"Training stopped at step {self.step_count}: the loss grew to "
                          f"{recent / self.initial_loss:.1f} times its starting value with "
                          f"learning rate {lr:.3g}, which is probably too large.",
                          "loss_growth")
        return out

    def run(self, steps: int) -> dict:
        """Take ``steps`` steps; return the last step's dict (raises as :meth:`step` does)."""
        steps = _checks.nonneg_int(steps, "steps", "LMTrainer.run")
        out = {}
        for _ in range(steps):
            out = self.step()
        return out

    def validate(self) -> dict:
        """Cross-entropy per character on the held-out text (its state from zeros, carried
        across its windows; the training state is left alone); appended to the history."""
        b = max(1, min(8, (len(self.val_ids) - 1) // self.seq_len))
        t = min(self.seq_len, (len(self.val_ids) - 1) // b)
        nats = math.log(lm.perplexity(self.model, self.val_ids, batch_size=b, seq_len=t))
        h = self.history
        h["val_step"].append(self.step_count)
        h["val_loss"].append(nats)
        h["val_bpc"].append(nats / math.log(2))
        return {"val_loss": nats, "val_bpc": nats / math.log(2)}

    # ------------------------------------------------------------------ sampling
    def sample(self, length: int = 300, *, temperature=None, prompt=None, seed=None) -> str:
        """``length`` new characters from the model, primed on ``prompt``.

        The model reads :attr:`primer` (the held-out text's first speeches, up to a blank
        line) before the prompt, as the lesson does. Trained with its state carried from
        window to window, it has started from a zero state once per pass over the text;
        from zeros a short prompt such as ``"ROMEO:"`` is unlike anything it has read,
        and it tends to run on in capitals and rare characters.

        Args:
            length: how many characters to write.
            temperature: None uses ``self.temperature``; 0 is greedy (see
                :func:`rnnlesson.lm.generate`).
            prompt: None uses ``self.prompt``; an empty prompt means a new speech.
            seed: None uses the trainer's seed plus the step count, so a sample changes
                as the model learns but not when asked twice.

        Raises:
            ValueError: the prompt holds a character the text does not (the message
                names it), or a bad temperature.
        """
        prompt = self.prompt if prompt is None else prompt
        if not isinstance(prompt, str):
            raise TypeError(f"LMTrainer.sample expects prompt as a str; got "
                            f"{type(prompt).__name__}.")
        if not isinstance(self.primer, str):
            raise TypeError(f"LMTrainer.primer must be a str (\"\" for none); got "
                            f"{type(self.primer).__name__}.")
        ids = self.vocab.encode(self.primer + (prompt or ("" if self.primer else "\n")))
        new = lm.generate(self.model, ids, length,
                          temperature=self.temperature if temperature is None else temperature,
                          seed=self.seed + self.step_count if seed is None else seed)
        return self.vocab.decode(new)

    def __repr__(self) -> str:
        return (f"LMTrainer(V={len(self.vocab)}, hidden_size={self.hidden_size}, "
                f"batch_size={self.batch_size}, seq_len={self.seq_len}, "
                f"learning_rate={self._learning_rate:g}, seed={self.seed}, "
                f"step={self.step_count})")
