"""Answers from a ``Seq2Seq``: greedy decoding, beam search, and the log-probability of
an answer.

An answer has a fixed length and no end token. The model reads the start token,
predicts a distribution over the next token, and the decoder is fed its own choice
at the next step (in training it was fed the true token instead: teacher forcing).

* **Greedy**: at every step take the most probable token (the first on a tie).
* **Beam search** (``beam_width`` = B > 1): keep the B most probable partial answers
  of each row; at every step extend each by every token, score each extension by its
  total log-probability ``sum_t log p(y_t | y_<t, x)``, keep the best B. At the end
  the most probable of the B is the answer. There is no length normalisation (every
  answer has the same length).

Plain beam search can lose the greedy answer: it may fall off the beam at some step
although its total would have ended higher. ``generate`` therefore keeps the greedy
answer as one more candidate, so the answer beam search gives is never less
probable than the greedy one.

Shapes: x_src (N, T_in); answers (N, L); states (N, H) each; logits (N, V).
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import _checks

__all__ = ["generate", "greedy", "beam_search", "log_probability", "log_softmax"]


def log_softmax(logits) -> np.ndarray:
    """log softmax over the last axis, in float64: logits (..., V) -> (..., V)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _start_ids(model, start_id, n: int, owner: str) -> np.ndarray:
    """One start id per row (N,), checked against the target vocabulary."""
    v = model.target_vocab_size
    if isinstance(start_id, numbers.Integral) and not isinstance(start_id, bool):
        ids = np.full(n, int(start_id), dtype=np.int64)
    else:
        ids = np.asarray(start_id)
        if ids.dtype.kind not in "iu" or ids.shape != (n,):
            raise TypeError(f"{owner} expects start_id as an int or an integer array of one id "
                            f"per row, shape ({n},); got {start_id!r:.80}.")
        ids = ids.astype(np.int64)
    bad = ids[(ids < 0) | (ids >= v)]
    if bad.size:
        raise ValueError(f"{owner}: start id {int(bad[0])} is outside the target vocabulary of "
                         f"{v} ids (0 .. {v - 1}).")
    return ids


def greedy(model, enc, start, length: int):
    """Greedy decoding of encoded rows: ``(tokens (N, L) int64, log-probabilities (N,))``.

    ``enc`` is what ``model.encode`` returned for the rows, ``start`` (N,) their start ids.
    """
    enc_seq, keys, states = enc
    h_enc = states[0]
    n = start.shape[0]
    out = np.empty((n, length), dtype=np.int64)
    total = np.zeros(n)
    tokens = start
    rows = np.arange(n)
    for t in range(length):
        logits, states = model.step(tokens, states, enc_seq, keys, h_enc)
        tokens = logits.argmax(axis=1)                          # the most probable, first on ties
        total += log_softmax(logits)[rows, tokens]
        out[:, t] = tokens
    return out, total


def beam_search(model, enc, start, length: int, beam_width: int):
    """Beam search over encoded rows: ``(tokens (N, L) int64, log-probabilities (N,))`` of
    the most probable of the ``beam_width`` final beams of each row (plain beam search,
    without the greedy candidate that :func:`generate` adds)."""
    enc_seq, keys, states = enc
    n, B = start.shape[0], beam_width

    def rep(a):  # every row's encoder result, once per beam: (N*B, ...)
        return None if a is None else np.repeat(a, B, axis=0)

    enc_seq, keys, h_enc = rep(enc_seq), rep(keys), rep(states[0])
    states = [rep(s) for s in states]
    score = np.full((n, B), -np.inf)
    score[:, 0] = 0.0                      # one live beam per row at the start: no duplicates
    tokens = np.repeat(start, B)
    history = np.empty((n, B, 0), dtype=np.int64)
    rows = np.arange(n)[:, None]
    for _ in range(length):
        logits, states = model.step(tokens, states, enc_seq, keys, h_enc)
        v = logits.shape[1]
        total = (score.reshape(n * B, 1) + log_softmax(logits)).reshape(n, B * v)
        # the B best extensions of each row; a stable sort keeps the first of equal totals
        best = np.argsort(-total, axis=1, kind="stable")[:, :B]    # (N, B) in [0, B*V)
        parent, token = best // v, best % v
        score = np.take_along_axis(total, best, axis=1)
        history = np.concatenate([history[rows, parent], token[:, :, None]], axis=2)
        pick = (rows * B + parent).ravel()                          # the parents' states
        states = [s[pick] for s in states]
        tokens = token.ravel()
    winner = score.argmax(axis=1)
    return history[np.arange(n), winner], score[np.arange(n), winner]


def generate(model, x_src, start_id, length, beam_width=1, batch_size=256) -> np.ndarray:
    """Answers of a ``Seq2Seq`` for the sources x_src (N, T_in).

    Args:
        x_src: source ids (N, T_in), as written (the model reverses them if it was built
            with reverse_source).
        start_id: the start token, an int or one id per row (N,).
        length: L, the number of tokens to produce after the start token.
        beam_width: 1 for greedy decoding; B > 1 for beam search (the most probable of
            the final beams and the greedy answer).
        batch_size: rows decoded together (times the beam width, the rows the layers see).

    Returns:
        an (N, L) int64 array: the tokens after the start token.
    """
    owner = "Seq2Seq.generate"
    x = model.check_source(x_src, owner)
    start = _start_ids(model, start_id, x.shape[0], owner)
    length = _checks.positive_int(length, "length", owner)
    beam_width = _checks.positive_int(beam_width, "beam_width", owner)
    batch_size = _checks.positive_int(batch_size, "batch_size", owner)
    chunk = max(1, batch_size // beam_width)
    out = np.empty((x.shape[0], length), dtype=np.int64)
    for s in range(0, x.shape[0], chunk):
        enc = model.encode(x[s:s + chunk])
        tokens, score = greedy(model, enc, start[s:s + chunk], length)
        if beam_width > 1:
            b_tokens, b_score = beam_search(model, enc, start[s:s + chunk], length, beam_width)
            better = b_score > score        # keep greedy where the beams all ended lower
            tokens[better] = b_tokens[better]
        out[s:s + chunk] = tokens
    return out


def log_probability(model, x_src, y_tgt, batch_size=256) -> np.ndarray:
    """``sum_t log p(y_t | y_<t, x)`` over the answer ``y_tgt[:, 1:]`` of every row,
    teacher forced from ``y_tgt[:, 0]``: (N,) float64."""
    owner = "Seq2Seq.log_probability"
    x, y = model.check_pair(x_src, y_tgt, owner)
    batch_size = _checks.positive_int(batch_size, "batch_size", owner)
    out = np.empty(x.shape[0])
    for s in range(0, x.shape[0], batch_size):
        yb = y[s:s + batch_size]
        logp = log_softmax(model.forward(x[s:s + batch_size], yb[:, :-1]))
        out[s:s + batch_size] = np.take_along_axis(logp, yb[:, 1:, None], axis=2)[..., 0].sum(1)
    return out
