"""``Seq2Seq``: an encoder–decoder built from the package's own layers.

::

    task = datasets.addition()                    # '16+75  ' -> '_91  '
    x_src, y_tgt = task.encode()                  # (N, 7), (N, 5): y_tgt[:, 0] is '_'
    model = Seq2Seq(task.vocab, task.vocab, peeky=True, reverse_source=True, seed=0)
    model.compile(Adam(global_clipnorm=5.0))
    model.fit(x_src, y_tgt, batch_size=128, epochs=10, validation_data=(x_val, y_val))
    model.generate(x_src[:3], task.start_id, 4)   # (3, 4) ids of the answers

The network, with V_s / V_t the source / target vocabulary sizes, E the embedding
size, H the units, T_in the source length and T_out = y_tgt.shape[1] - 1::

    encoder:  Embedding(V_s, E) -> RNN(H, return_state=True)        x_src (N, T_in)
              (return_sequences=True with attention; go_backwards=True with
              reverse_source, so the model reverses the source itself)
    decoder:  Embedding(V_t, E) -> RNN(H, return_sequences=True)    y_tgt[:, :-1] (N, T_out)
              started from the encoder's final state(s) (LSTM: h and c)
    peeky:    the encoder's final h joins the decoder's input at every step
              (N, T_out, E + H) and the output layer's input (an LSTM decoder in
              training takes it as a constant input: h's share of its gates is one
              product per sequence, not one per step; the same numbers)
    attention: the decoder's outputs attend to the encoder's outputs
              ('dot': layers.Attention; 'additive': Dense query and key projections
              and layers.AdditiveAttention), and the context joins the output layer's input
    output:   Dense(V_t) on [context, decoder output, peeky h] -> logits (N, T_out, V_t)

The loss is the cross-entropy of the logits against ``y_tgt[:, 1:]``, the mean per
target token (teacher forcing: the decoder reads the true previous token). Every id
is a real token: nothing is padding, nothing is masked. Attention sits after the
decoder's recurrence (Luong's arrangement, as in "Deep Learning from Scratch 2"), so
the decoder runs as one fused sequence layer in training.

This file holds the structure, the forward and backward passes and the weights;
``seq2seq_fit`` trains and evaluates, ``decoding`` generates (greedy, beam search).
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import _checks, layers, losses, optimizers
from ..text import Vocabulary
from . import decoding, saving, seq2seq_fit
from .summary import render_summary

__all__ = ["Seq2Seq"]

_CELLS = {"lstm": layers.LSTM, "gru": layers.GRU, "simple_rnn": layers.SimpleRNN}
_ATTENTION = (None, "dot", "additive")


def _vocab_size(vocab, what: str) -> int:
    """A vocabulary given as its size or as a ``text.Vocabulary``."""
    if isinstance(vocab, Vocabulary):
        if len(vocab) == 0:
            raise ValueError(f"Seq2Seq expects {what} to be a fitted Vocabulary; this one is "
                             "empty. Call .fit(texts) first, or pass the size as an int.")
        return len(vocab)
    if isinstance(vocab, bool) or not isinstance(vocab, numbers.Integral):
        raise TypeError(f"Seq2Seq expects {what} as a vocabulary size (an int) or a "
                        f"text.Vocabulary; got {type(vocab).__name__}.")
    return _checks.positive_int(vocab, what, "Seq2Seq")


class _Table:
    """What ``render_summary`` reads: a name, the layers and their main output shapes."""

    def __init__(self, name, layer_list, shapes):
        self.name, self.layers, self.output_shapes, self.built = name, layer_list, shapes, True


class Seq2Seq:
    """An encoder–decoder for sequence-to-sequence tasks (DESIGN.md, "Encoder–decoder").

    Args:
        source_vocab, target_vocab: the vocabularies, each its size V (an int) or a
            ``text.Vocabulary``; ids are 0 .. V-1.
        embedding_dim: E, the size of the token vectors (encoder and decoder each have
            their own embedding).
        units: H, the size of the encoder's and decoder's hidden state.
        cell: ``'lstm'``, ``'gru'`` or ``'simple_rnn'``.
        peeky: feed the encoder's final h to every decoder step and to the output layer.
        attention: None, ``'dot'`` (Luong) or ``'additive'`` (Bahdanau's score); may be
            combined with peeky.
        reverse_source: the encoder reads the source from its last token to its first;
            callers always pass the source as written.
        seed: integer seed of every layer's initial weights and of the shuffling in
            ``fit``; None draws fresh entropy.
        dtype: ``'float32'`` (default) or ``'float64'`` (for gradient checks).
        name: the model's name in ``summary()``.

    Shapes: x_src ids (N, T_in); y_tgt ids (N, T_out + 1), the start token first;
    logits (N, T_out, V_t).

    Attributes:
        layers: the layers, encoder first; ``params`` / ``grads`` are dicts keyed
            ``'layer/weight'`` (e.g. ``'decoder/recurrent_kernel'``).
        loss, optimizer: set by :meth:`compile`. history, stop_training: as ``Sequential``.
    """

    def __init__(self, source_vocab, target_vocab, embedding_dim=16, units=128, *, cell="lstm",
                 peeky=False, attention=None, reverse_source=False, seed=None,
                 dtype="float32", name=None):
        owner = "Seq2Seq"
        self.source_vocab_size = _vocab_size(source_vocab, "source_vocab")
        self.target_vocab_size = _vocab_size(target_vocab, "target_vocab")
        self.embedding_dim = _checks.positive_int(embedding_dim, "embedding_dim", owner)
        self.units = _checks.positive_int(units, "units", owner)
        self.cell = _checks.one_of(cell, "cell", owner, tuple(_CELLS))
        self.peeky = _checks.boolean(peeky, "peeky", owner)
        self.attention = _checks.one_of(attention, "attention", owner, _ATTENTION)
        self.reverse_source = _checks.boolean(reverse_source, "reverse_source", owner)
        self.seed = _checks.seed(seed, owner)
        self.dtype = _checks.resolve_dtype(dtype, owner)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{owner} expects name to be a string or None; got {name!r}.")
        self.name = name if name is not None else "seq2seq"
        self.loss = None
        self.optimizer = None
        self.metrics: list[str] = []
        self._compile_args = None
        self.history = None
        self.stop_training = False
        self._rng = None
        self._build_layers()

    # ------------------------------------------------------------------ structure
    def _build_layers(self) -> None:
        E, H, dt = self.embedding_dim, self.units, self.dtype.name
        count = 8
        seeds = ([None] * count if self.seed is None else
                 [int(s) for s in np.random.SeedSequence(self.seed).generate_state(count)])
        rnn = _CELLS[self.cell]
        self.encoder_embedding = layers.Embedding(self.source_vocab_size, E,
                                                  name="encoder_embedding", seed=seeds[0],
                                                  dtype=dt)
        self.encoder = rnn(H, return_sequences=self.attention is not None, return_state=True,
                           go_backwards=self.reverse_source, name="encoder", seed=seeds[1],
                           dtype=dt)
        self.decoder_embedding = layers.Embedding(self.target_vocab_size, E,
                                                  name="decoder_embedding", seed=seeds[2], dtype=dt)
        self.decoder = rnn(H, return_sequences=True, return_state=True, name="decoder",
                           seed=seeds[3], dtype=dt)
        self.attention_query = self.attention_key = self.attention_layer = None
        if self.attention == "additive":
            # Bahdanau: v . tanh(W_q q + W_k k); v is AdditiveAttention's scale
            self.attention_query = layers.Dense(H, use_bias=False, name="attention_query",
                                                seed=seeds[4], dtype=dt)
            self.attention_key = layers.Dense(H, use_bias=False, name="attention_key",
                                              seed=seeds[5], dtype=dt)
            self.attention_layer = layers.AdditiveAttention(name="attention", seed=seeds[6],
                                                            dtype=dt)
        elif self.attention == "dot":
            self.attention_layer = layers.Attention(name="attention", seed=seeds[6], dtype=dt)
        self.output_layer = layers.Dense(self.target_vocab_size, name="output", seed=seeds[7],
                                         dtype=dt)
        # every layer is built now: the shapes follow from the constructor (T is free)
        self.encoder_embedding.build((None, None))
        self.encoder.build((None, None, E))
        self.decoder_embedding.build((None, None))
        self.decoder.build((None, None, E + H if self.peeky else E))
        if self.attention_query is not None:
            self.attention_query.build((None, None, H))
            self.attention_key.build((None, None, H))
        if self.attention_layer is not None:
            self.attention_layer.build([(None, None, H)] * (3 if self.attention_query else 2))
        self.output_layer.build((None, None, self._features()))
        self.layers = [layer for layer in (
            self.encoder_embedding, self.encoder, self.decoder_embedding, self.decoder,
            self.attention_query, self.attention_key, self.attention_layer, self.output_layer)
            if layer is not None]

    def _features(self) -> int:
        """F, the size of the output layer's input: [context, decoder output, peeky h]."""
        return self.units * (1 + (self.attention is not None) + self.peeky)

    @property
    def built(self) -> bool:
        return True

    @property
    def input_shape(self):
        """(None, None): a batch of source ids of any length (for the saved header)."""
        return (None, None)

    @property
    def rng(self) -> np.random.Generator:
        """The generator that shuffles the samples in ``fit`` (seeded with ``seed``)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    # ------------------------------------------------------------------ checks
    def _ids(self, a, vocab: int, what: str, owner: str, min_len: int = 1) -> np.ndarray:
        arr = np.asarray(a)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{owner} expects {what} as integer token ids of shape (N, T); got "
                            f"an array of dtype {arr.dtype}. Encode the text first "
                            "(task.encode(), Vocabulary.encode).")
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] < min_len:
            need = f"(N, T) with N >= 1 and T >= {min_len}"
            raise ValueError(f"{owner} expects {what} of shape {need}; got "
                             f"{_checks.shape_str(arr.shape)}.")
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= vocab:
            side = "source" if what.startswith("x") else "target"
            raise ValueError(f"{owner}: {what} holds the id {lo if lo < 0 else hi}, outside the "
                             f"{side} vocabulary of {vocab} ids (0 .. {vocab - 1}).")
        return arr

    def check_pair(self, x_src, y_tgt, owner: str):
        """``(x_src, y_tgt)`` checked: integer ids in range, the same N, y_tgt at least 2 long."""
        if x_src is None or y_tgt is None:
            raise ValueError(f"{owner} expects both x_src and y_tgt; got "
                             f"{'x_src' if x_src is None else 'y_tgt'}=None.")
        x = self._ids(x_src, self.source_vocab_size, "x_src", owner)
        y = self._ids(y_tgt, self.target_vocab_size, "y_tgt (start token first)", owner,
                      min_len=2)
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"{owner} expects x_src and y_tgt with the same number of rows N; "
                             f"got x_src {_checks.shape_str(x.shape)} and y_tgt "
                             f"{_checks.shape_str(y.shape)}.")
        return x, y

    def check_source(self, x_src, owner: str) -> np.ndarray:
        return self._ids(x_src, self.source_vocab_size, "x_src", owner)

    # ------------------------------------------------------------------ forward
    def encode(self, x_src, training=False):
        """Run the encoder on checked ids x_src (N, T_in).

        Returns ``(enc_seq, keys, states)``: the encoder outputs (N, T_in, H) in processing
        order (None without attention), their key projections for additive attention
        (else None), and the final states, a list of (N, H) (LSTM: [h, c]).
        """
        out = self.encoder.forward(self.encoder_embedding.forward(x_src), training=training)
        enc_seq = out[0] if self.attention is not None else None
        keys = self.attention_key.forward(enc_seq) if self.attention_key is not None else None
        return enc_seq, keys, list(out[1:])

    def _decoder_input(self, tokens, h_enc):
        """Embedded tokens (N, T) -> (N, T, E), with the peeky h (N, H) joined at every step."""
        e = self.decoder_embedding.forward(tokens)
        if not self.peeky:
            return e
        n, t, _ = e.shape
        return np.concatenate([e, np.broadcast_to(h_enc[:, None, :], (n, t, self.units))],
                              axis=2)

    def head(self, dec_seq, enc_seq, keys, h_enc, training=False, scores=False):
        """The output layer on decoder outputs (N, T, H): logits (N, T, V_t) (and with
        ``scores`` the attention weights (N, T, T_in), else None)."""
        parts, weights = [], None
        if self.attention is not None:
            query = (self.attention_query.forward(dec_seq)
                     if self.attention_query is not None else dec_seq)
            inputs = [query, enc_seq] if keys is None else [query, enc_seq, keys]
            context, weights = self.attention_layer.forward(inputs, training=training,
                                                            return_attention_scores=True)
            parts.append(context)
        parts.append(dec_seq)
        if self.peeky:
            n, t, _ = dec_seq.shape
            parts.append(np.broadcast_to(h_enc[:, None, :], (n, t, self.units)))
        feats = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)
        n, t, f = feats.shape
        # the Dense layer sees (N*T, F) rows: one matrix product (on (N, T, F) numpy would
        # make one small product per row n, measured 2-3x slower here)
        logits = self.output_layer.forward(feats.reshape(n * t, f), training=training)
        logits = logits.reshape(n, t, -1)
        return (logits, weights) if scores else logits

    def step(self, tokens, states, enc_seq, keys, h_enc):
        """One decoder step for generation: tokens (M,) and states (list of (M, H)) ->
        ``(logits (M, V_t), new states)``."""
        x = self._decoder_input(tokens[:, None], h_enc)
        out = self.decoder.forward(x, initial_state=states)
        return self.head(out[0], enc_seq, keys, h_enc)[:, 0], list(out[1:])

    def decode(self, enc, y_in, training=False, scores=False):
        """The teacher-forced decoder on encoded rows (``enc`` from :meth:`encode`) and the
        decoder's input tokens y_in (N, T_out): logits (N, T_out, V_t) (and the attention
        weights with ``scores``)."""
        enc_seq, keys, states = enc
        if self._peeky_lstm():  # h_enc's share of the decoder's gates computed once
            dec_seq, _ = self.decoder.forward_with_constant(
                self.decoder_embedding.forward(y_in), states[0], states)
        else:
            dec_seq = self.decoder.forward(self._decoder_input(y_in, states[0]),
                                           initial_state=states, training=training)[0]
        return self.head(dec_seq, enc_seq, keys, states[0], training, scores)

    def _peeky_lstm(self) -> bool:
        """Does the teacher-forced decoder take the peeky h_enc as a constant input (an
        LSTM decoder: the same numbers as with h_enc joined to every step's input, its
        product with the kernel done once per sequence instead of at every step)?"""
        return self.peeky and self.cell == "lstm"

    def forward(self, x_src, y_in, training=False, scores=False):
        """Teacher-forced pass: ids x_src (N, T_in) and the decoder's input tokens y_in
        (N, T_out), i.e. ``y_tgt[:, :-1]`` -> logits (N, T_out, V_t), the scores of
        ``y_tgt[:, 1:]``. Caches what :meth:`backward` needs."""
        return self.decode(self.encode(x_src, training), y_in, training, scores)

    __call__ = forward

    def backward(self, dlogits) -> None:
        """Backpropagate dL/dlogits (N, T_out, V_t) through the whole network (after
        :meth:`forward`); fills every layer's ``grads``."""
        H, E = self.units, self.embedding_dim
        dlogits = np.asarray(dlogits)
        n, t, v = dlogits.shape
        dfeats = self.output_layer.backward(dlogits.reshape(n * t, v)).reshape(n, t, -1)
        col = 0
        ddec = denc = None
        if self.attention is not None:
            dq, *dkv = self.attention_layer.backward(dfeats[:, :, :H])
            col = H
        ddec = dfeats[:, :, col:col + H].copy()                 # dL/d(decoder outputs)
        if self.attention is not None:
            if self.attention_query is not None:
                ddec += self.attention_query.backward(dq)
                denc = dkv[0] + self.attention_key.backward(dkv[1])
            else:
                ddec += dq
                denc = dkv[0]
        dpeek = dfeats[:, :, col + H:].sum(axis=1) if self.peeky else None  # h_enc: every step
        if self._peeky_lstm():
            dx, dconst = self.decoder.backward_with_constant(ddec)
            dpeek += dconst
        else:
            dx = self.decoder.backward([ddec] + [None] * (len(self.decoder.state_names)))
            if self.peeky:  # h_enc was joined to every step's input
                dpeek += dx[:, :, E:].sum(axis=1)
                dx = dx[:, :, :E]
        dstates = [g.copy() for g in self.decoder.initial_state_grads]
        if self.peeky:
            dstates[0] += dpeek                                # the encoder's final h fed them
        self.decoder_embedding.backward(dx)
        dx_src = self.encoder.backward([denc] + dstates)
        self.encoder_embedding.backward(dx_src)

    # ------------------------------------------------------------------ weights
    @property
    def params(self) -> dict[str, np.ndarray]:
        """The weight arrays themselves, keyed ``'layer/weight'``, encoder first."""
        return {f"{layer.name}/{k}": p for layer in self.layers for k, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """The gradients, with the keys of :attr:`params` (written by :meth:`backward`)."""
        return {f"{layer.name}/{k}": layer.grads[k] for layer in self.layers
                for k in layer.params}

    @property
    def weights(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.params.values()]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight, layer by layer in Keras's order."""
        return [p.copy() for p in self.weights]

    def set_weights(self, weights) -> None:
        """Overwrite every weight in place from a list in :meth:`get_weights` order (all
        checked before anything is written)."""
        owner = "Seq2Seq.set_weights"
        targets = [(layer, k, p) for layer in self.layers for k, p in layer.params.items()]
        weights = list(weights)
        if len(weights) != len(targets):
            raise ValueError(f"{owner} expects {len(targets)} arrays (as get_weights() returns); "
                             f"got {len(weights)}.")
        checked = []
        for (layer, key, p), w in zip(targets, weights, strict=True):
            w = _checks.as_float_array(w, p.dtype, owner, f"weight '{key}' of '{layer.name}'")
            if w.shape != p.shape:
                raise ValueError(f"{owner}: weight '{key}' of layer '{layer.name}' has shape "
                                 f"{_checks.shape_str(p.shape)}; got {_checks.shape_str(w.shape)}.")
            checked.append(w)
        for (_layer, _key, p), w in zip(targets, checked, strict=True):
            p[...] = w

    def count_params(self) -> int:
        return int(sum(layer.count_params() for layer in self.layers))

    # ------------------------------------------------------------------ Keras's methods
    def compile(self, optimizer="adam", loss=None, metrics=None) -> None:
        """Choose the optimizer (a name or an object, e.g. ``Adam(global_clipnorm=5.0)``).

        The loss is always the cross-entropy of the logits per target token, and
        ``evaluate`` always reports the exact-match accuracy: ``loss`` and ``metrics`` are
        accepted only with those values (None, ``'sparse_categorical_crossentropy'``,
        ``[]``/``['accuracy']``), for code written for ``Sequential``.
        """
        owner = "Seq2Seq.compile"
        if loss is not None and not (
                loss == "sparse_categorical_crossentropy"
                or (isinstance(loss, losses.SparseCategoricalCrossentropy) and loss.from_logits)):
            raise ValueError(f"{owner}: the loss of a Seq2Seq is fixed (cross-entropy of the "
                             f"logits per target token); leave loss=None. Got {loss!r}.")
        if metrics not in (None, [], (), ["accuracy"], ("accuracy",), "accuracy"):
            raise ValueError(f"{owner}: evaluate() always reports the loss and the exact-match "
                             f"accuracy; leave metrics=None. Got {metrics!r}.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.SparseCategoricalCrossentropy(from_logits=True)
        self._compile_args = {"optimizer": optimizer if isinstance(optimizer, str) else None,
                              "loss": "sparse_categorical_crossentropy"}

    def fit(self, x_src=None, y_tgt=None, batch_size=128, epochs=1, validation_data=None,
            callbacks=None, verbose="auto", shuffle=True, seed=None):
        """Train with teacher forcing: see :func:`rnnlesson.models.seq2seq_fit.fit`.

        Returns a :class:`~rnnlesson.callbacks.History` with ``'loss'`` per epoch and, with
        ``validation_data=(x_val, y_val)``, ``'val_loss'`` and ``'val_accuracy'``.
        """
        return seq2seq_fit.fit(self, x_src, y_tgt, batch_size=batch_size, epochs=epochs,
                               validation_data=validation_data, callbacks=callbacks,
                               verbose=verbose, shuffle=shuffle, seed=seed)

    def train_on_batch(self, x_src, y_tgt) -> float:
        """One training step (forward, loss, backward, clip, update) on one batch; returns
        the batch loss. Raises TrainingDiverged when a number becomes NaN or inf."""
        return seq2seq_fit.train_on_batch(self, x_src, y_tgt)

    def evaluate(self, x_src, y_tgt, batch_size=256) -> dict:
        """``{'loss': ..., 'accuracy': ...}``: the teacher-forced loss (mean per target token)
        and the fraction of rows whose whole answer, decoded greedily from the row's own
        start token ``y_tgt[:, 0]``, equals ``y_tgt[:, 1:]``."""
        return seq2seq_fit.evaluate(self, x_src, y_tgt, batch_size=batch_size)

    def generate(self, x_src, start_id, length, beam_width=1, batch_size=256) -> np.ndarray:
        """Answers for the sources x_src (N, T_in): an (N, length) int array of the tokens
        after the start token. See :func:`rnnlesson.models.decoding.generate`."""
        return decoding.generate(self, x_src, start_id, length, beam_width=beam_width,
                                 batch_size=batch_size)

    def log_probability(self, x_src, y_tgt, batch_size=256) -> np.ndarray:
        """The total log-probability (N,) float64 that the model gives the answers
        ``y_tgt[:, 1:]`` (teacher forced, from ``y_tgt[:, 0]``): what beam search maximises."""
        return decoding.log_probability(self, x_src, y_tgt, batch_size=batch_size)

    def attention_weights(self, x_src, y_tgt, batch_size=256) -> np.ndarray:
        """The attention weights (N, T_out, T_in) of a teacher-forced pass over y_tgt,
        T_out = ``y_tgt.shape[1] - 1``; the input axis is in the order of x_src as given
        (also with reverse_source), so a heatmap lines up with the question as written."""
        owner = "Seq2Seq.attention_weights"
        if self.attention is None:
            raise ValueError(f"{owner}: this model has no attention (attention=None); build it "
                             "with attention='dot' or 'additive'.")
        x, y = self.check_pair(x_src, y_tgt, owner)
        batch_size = _checks.positive_int(batch_size, "batch_size", owner)
        out = []
        for s in range(0, x.shape[0], batch_size):
            _, w = self.forward(x[s:s + batch_size], y[s:s + batch_size, :-1], scores=True)
            out.append(w[:, :, ::-1] if self.reverse_source else w)  # processing -> x order
        return np.ascontiguousarray(np.concatenate(out, axis=0))

    # ------------------------------------------------------------------ summary, saving
    def summary(self, print_fn=None, return_string=False, line_length=None):
        """Print Keras's table of the layers (main output shape of each, T left free as
        None) and the parameter counts."""
        H, T = self.units, None
        shapes = []
        for layer in self.layers:
            if layer is self.encoder:
                shapes.append((None, T, H) if self.attention is not None else (None, H))
            elif isinstance(layer, layers.Embedding):
                shapes.append((None, T, self.embedding_dim))
            elif layer is self.output_layer:
                shapes.append((None, T, self.target_vocab_size))
            else:
                shapes.append((None, T, H))
        text = render_summary(_Table(self.name, self.layers, shapes), line_length)
        if return_string:
            return text
        (print_fn or print)(text)
        return None

    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable (vocabularies as their sizes)."""
        return {"name": self.name, "seed": self.seed, "dtype": self.dtype.name,
                "source_vocab": self.source_vocab_size, "target_vocab": self.target_vocab_size,
                "embedding_dim": self.embedding_dim, "units": self.units, "cell": self.cell,
                "peeky": self.peeky, "attention": self.attention,
                "reverse_source": self.reverse_source}

    def save(self, path) -> str:
        """Write the model to one ``.npz`` file (the format of ``Sequential.save``: the
        architecture as JSON, every weight, the optimizer's settings but not its state)."""
        return saving.save_model(self, path)

    def __repr__(self) -> str:
        extras = [f"cell={self.cell!r}"] + (["peeky"] if self.peeky else []) + (
            [f"attention={self.attention!r}"] if self.attention else []) + (
            ["reverse_source"] if self.reverse_source else [])
        return (f"<Seq2Seq '{self.name}': {self.source_vocab_size} -> {self.target_vocab_size} "
                f"ids, E={self.embedding_dim}, H={self.units}, {', '.join(extras)}>")


def _from_header(path, header, custom_objects) -> Seq2Seq:
    """The Seq2Seq a saved header describes (weights are set by ``load_model``)."""
    return Seq2Seq(**header["model"])


saving.register_model_kind("rnnlesson.Seq2Seq", _from_header)
