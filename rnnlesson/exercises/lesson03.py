"""Checkers for lesson 03, Keras-style layers.

Three exercises, one checker each:

* :func:`check_layer_param_count` for ``param_count(layer, input_dim, units) -> int``: the number
  of weights of a ``'simple_rnn'``, ``'lstm'``, ``'gru'`` (Keras's ``reset_after=True``),
  ``'dense'`` or ``'embedding'`` layer (for an embedding, ``input_dim`` is the vocabulary
  size V and ``units`` the vector size E).
  The warm-up: the lesson gives every formula. Hints are picked by the mistaken formula
  that fits the answers on every case, so D = H cannot confuse them.
* :func:`check_embedding_backward` for ``embedding_backward(ids, dout, V) -> dE``: a
  derivation, the gradient of the lookup table ``E (V, E_dim)`` from the gradient of the
  looked-up vectors ``dout (N, T, E_dim)``, with words that occur more than once.
* :func:`check_bce_with_logits` for ``bce_with_logits(z, y) -> (loss, dz)``: a
  derivation, the binary cross-entropy of ``sigmoid(z)`` (the model's last layer) and its
  gradient with respect to the logits ``z (N, 1)``, computed so that it stays finite for
  confident logits.

Each prints a verdict with a hint and returns a
:class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises ``AssertionError``
instead when the answer is not right (see :mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, Formula, Wrong, as_answer, call, check_counts, diagnose, run_check

__all__ = ["check_layer_param_count", "check_embedding_backward", "check_bce_with_logits"]


def _reference_count(layer: str, d: int, h: int) -> int:
    if layer == "simple_rnn":
        return h * (h + d) + h
    if layer == "lstm":
        return 4 * (h * (h + d) + h)
    if layer == "gru":
        return 3 * (h * (h + d) + 2 * h)
    if layer == "dense":
        return d * h + h
    if layer == "embedding":
        return d * h
    raise ValueError(layer)


def _core(d, h):
    """One SimpleRNN's worth: kernel (d, h), recurrent kernel (h, h), bias (h,)."""
    return h * (h + d) + h


_RECURRENT_HINT = ("An LSTM has four gates (i, f, c, o), each with its own kernel, recurrent "
                   "kernel and bias; a GRU has three and, with reset_after=True, two biases "
                   "per gate.")

#: the typical mistakes for each kind of layer, as formulas of (layer, d, h)
_COUNT_MISTAKES = {
    "simple_rnn": [
        Formula("the bias is missing", lambda _, d, h: h * (h + d),
                "Each of the H units has one bias: add H."),
        Formula("the recurrent kernel (H, H) is missing", lambda _, d, h: h * d + h,
                "A recurrent layer also multiplies h_{t-1} by an (H, H) matrix."),
        Formula("the input kernel (D, H) is missing", lambda _, d, h: h * h + h,
                "The input x_t of size D is multiplied by a (D, H) matrix."),
    ],
    "lstm": [
        Formula("you counted one SimpleRNN's worth of weights", lambda _, d, h: _core(d, h),
                _RECURRENT_HINT),
        Formula("you counted three gates", lambda _, d, h: 3 * _core(d, h),
                "An LSTM has four gates: i, f, c (the candidate) and o."),
        Formula("the biases are missing", lambda _, d, h: 4 * h * (h + d),
                "Each of the four gates has a bias of H numbers: add 4H."),
        Formula("the recurrent kernel (H, 4H) is missing", lambda _, d, h: 4 * (h * d + h),
                "Every gate also multiplies h_{t-1}: add an (H, 4H) recurrent kernel."),
    ],
    "gru": [
        Formula("you counted one SimpleRNN's worth of weights", lambda _, d, h: _core(d, h),
                _RECURRENT_HINT),
        Formula("you counted four gates", lambda _, d, h: 4 * _core(d, h),
                "A GRU has three gates: z, r and h."),
        Formula("you counted one bias per GRU gate", lambda _, d, h: 3 * _core(d, h),
                "With reset_after=True (Keras's default) the GRU's bias has shape (2, 3H): "
                "one for the input part, one for the recurrent part."),
        Formula("the biases are missing", lambda _, d, h: 3 * h * (h + d),
                "The GRU's bias has shape (2, 3H) with reset_after=True: add 6H."),
    ],
    "dense": [
        Formula("the bias is missing", lambda _, d, h: d * h,
                "A Dense layer has one bias per unit."),
        Formula("the bias has the input's size", lambda _, d, h: d * h + d,
                "The bias has one entry per output unit: shape (units,)."),
    ],
    "embedding": [
        Formula("an Embedding has no bias", lambda _, d, h: d * h + h,
                "An Embedding is a plain (V, E) table: V * E numbers."),
    ],
}

_COUNT_CASES = [("simple_rnn", 32, 32), ("simple_rnn", 1, 16), ("simple_rnn", 100, 8),
                ("lstm", 32, 32), ("lstm", 1, 256), ("gru", 32, 32), ("gru", 5, 7),
                ("dense", 32, 1), ("dense", 64, 10), ("embedding", 10000, 32)]


def _layer_param_count_body(param_count):
    notes = []
    for layer, mistakes in _COUNT_MISTAKES.items():
        # all the cases of one kind together, so that a mistake is told by its formula
        # over cases with D != H as well as D == H, not by one number
        notes.append(check_counts(
            param_count, [c for c in _COUNT_CASES if c[0] == layer],
            _reference_count, mistakes, show=lambda lyr, d, h: f"param_count({lyr!r}, {d}, {h})",
            hint="That is not the count Keras's summary() would print. Write down the shape "
                 "of every weight array of the layer, multiply out each shape and add them up."))
    return ("All ten counts match Keras's summary(), from SimpleRNN(32) on 32 inputs "
            "(2,080) to Embedding(10000, 32) (320,000).", next((n for n in notes if n), ""))


def check_layer_param_count(param_count, *, strict=False):
    """Check ``param_count(layer, input_dim, units) -> int`` for five kinds of layer.

    ``layer`` is one of ``'simple_rnn'``, ``'lstm'``, ``'gru'``, ``'dense'``,
    ``'embedding'``. A whole number given as a float (2080.0) is accepted with a note.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("param_count", _layer_param_count_body, param_count, strict=strict)


# ------------------------------------------------------------------ exercise 2: embedding
def _ref_embedding_backward(ids, dout, V):
    """dL/dE (V, E): each position's gradient dout[n, t] (E,) added to row ids[n, t]."""
    dE = np.zeros((V, dout.shape[-1]))
    np.add.at(dE, ids, dout)        # unbuffered: a word seen twice gets both gradients
    return dE


def _embedding_case(seed, N, T, V, E):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, size=(N, T))
    ids[0, :2] = 0                   # padding in front, as pad_sequences writes it
    ids[0, -2:] = ids[1, -1] = 3     # one word twice in a row, and again in another row
    return ids, rng.normal(size=(N, T, E))


def _embedding_body(embedding_backward):
    for seed, (N, T, V, E) in enumerate([(3, 6, 8, 4), (2, 9, 5, 3), (4, 5, 12, 2)]):
        ids, dout = _embedding_case(1000 + seed, N, T, V, E)
        what = f"embedding_backward(ids, dout, V={V}) for N={N}, T={T}, E={E}"
        out = call(embedding_backward, ids, dout, V)
        if out is not None and np.shape(out) == (N, T, E):
            raise Wrong(f"{what} has the shape of dout, (N, T, E) = {(N, T, E)}.",
                        "The gradient of the table has the table's shape, (V, E): one row "
                        "per word of the vocabulary.")
        want = _ref_embedding_backward(ids, dout, V)
        got = as_answer(out, want, what, hint=f"dL/dE has the shape of the table, (V, E) = "
                                              f"{(V, E)}.")
        last_wins = np.zeros((V, E))
        last_wins[ids] = dout
        no_padding = want.copy()
        no_padding[0] = 0.0
        counts = np.bincount(ids.ravel(), minlength=V)[:, None]
        mistakes = [
            ("a word that occurs more than once gets only one of its gradients (`dE[ids] = "
             "dout` or `dE[ids] += dout`)", last_wins,
             "With repeated indices, numpy's fancy-index assignment (and `+=`) writes each row "
             "once, the last value wins. Add them all: np.add.at(dE, ids, dout), or a loop."),
            ("the padding row 0 gets no gradient", no_padding,
             "This Embedding has no mask: id 0 is looked up like any other word, so its row "
             "is trained too (lesson 01, section 5: the padding is a word)."),
            ("each row is the *mean* of its word's gradients",
             np.divide(want, counts, out=np.zeros_like(want), where=counts > 0),
             "The loss adds up the contributions of every position where the word occurs: "
             "their gradients add, they are not averaged."),
        ]
        diagnose(got, want, mistakes, what=what, terms=N * T + ROUNDINGS, scale=1.0,
                 hint="Row v of dL/dE is the sum of dout[n, t] over every position with "
                      "ids[n, t] == v; rows of words that do not occur are 0.")
    return ("Every row collects the gradients of all the positions where its word occurs, "
            "repeated words and padding included.")


def check_embedding_backward(embedding_backward, *, strict=False):
    """Check ``embedding_backward(ids, dout, V) -> dE``.

    ids (N, T) integer word ids in 0..V-1, dout (N, T, E) the gradient of the loss with
    respect to the looked-up vectors E[ids]; returns dL/dE of shape (V, E).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("embedding_backward", _embedding_body, embedding_backward, strict=strict)


# ------------------------------------------------------------------ exercise 3: sigmoid + BCE
def _ref_bce(z, y):
    """(mean binary cross-entropy of sigmoid(z) and y, dL/dz), z and y (N, 1), computed stably."""
    loss = np.mean(np.logaddexp(0.0, z) - y * z)       # -log sigmoid(z) = log(1 + e^-z)
    return np.array(loss), (kernels.sigmoid(z) - y) / z.shape[0]


def _bce_case(seed, N, big=False):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(N, 1))
    y = rng.integers(0, 2, size=(N, 1)).astype(np.float64)
    if big:          # a confident model: sigmoid(z) rounds to 0 or 1 in float64
        z[:3, 0] = [50.0, -60.0, 45.0]
        y[:3, 0] = [0.0, 1.0, 1.0]
    return z, y


def _bce_body(bce_with_logits):
    for seed, (N, big) in enumerate([(6, False), (9, False), (5, True)]):
        z, y = _bce_case(1100 + seed, N, big)
        what = f"bce_with_logits(z, y) for N={N}" + (" with logits up to |z| = 60" if big else "")
        out = call(bce_with_logits, z, y)
        if big and isinstance(out, (tuple, list)) and len(out) == 2 and \
                not np.all(np.isfinite(np.asarray(out[0], dtype=np.float64))):
            raise Wrong(f"{what}: the loss is {out[0]}: log(sigmoid(z)) overflowed.",
                        "For |z| = 50, sigmoid(z) rounds to exactly 1 (or 0) and log(1 - p) "
                        "is -inf. Write the loss with z itself: -log sigmoid(z) = "
                        "log(1 + e^-z) = np.logaddexp(0, -z), and 1 - sigmoid(z) = sigmoid(-z).")
        want = _ref_bce(z, y)
        got = as_answer(tuple(out) if isinstance(out, list) else out, want, what, ("loss", "dz"),
                        hint="loss is one number; dz has the shape of z, (N, 1).")
        p = kernels.sigmoid(z)
        with np.errstate(divide="ignore", invalid="ignore"):
            dp = (p - y) / (p * (1 - p)) / N
        mistakes = [
            ("dz is dL/dp: the sigmoid's derivative is missing",
             (want[0], dp if np.all(np.isfinite(dp)) else None),
             "z reaches the loss through p = sigmoid(z), with dp/dz = p (1 - p): chain it. "
             "It cancels the denominator of dL/dp, and what is left is very simple."),
            ("the sign is flipped: y - p", (want[0], (y - p) / N),
             "Gradient descent moves z against dL/dz; for y = 1 the loss falls as z grows, "
             "so dL/dz must be negative there."),
            ("dz misses the 1/N of the mean", (want[0], p - y),
             "The loss is the mean over the N examples, so each one's gradient is divided by N."),
            ("dz has an extra factor p (1 - p), as the squared error would",
             (want[0], (p - y) * p * (1 - p) / N),
             "With cross-entropy the factor p (1 - p) of the sigmoid cancels against dL/dp."),
        ]
        diagnose(got, want, mistakes, what=what, terms=N + ROUNDINGS, scale=1.0,
                 names=("loss", "dz"),
                 hint="Write l = -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z), take "
                      "dl/dp, multiply by dp/dz = p (1 - p), and divide by N for the mean.")
    return ("dL/dz = (sigmoid(z) - y) / N, and a loss that stays finite for confident logits: "
            "what Keras's binary_crossentropy computes.")


def check_bce_with_logits(bce_with_logits, *, strict=False):
    """Check ``bce_with_logits(z, y) -> (loss, dz)``.

    z (N, 1) the logits of Dense(1) before the sigmoid, y (N, 1) labels of 0.0 and 1.0;
    loss = mean over n of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], one number
    that stays finite for logits as large as abs(z) = 60; dz = dloss/dz, shape (N, 1).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("bce_with_logits", _bce_body, bce_with_logits, strict=strict)
