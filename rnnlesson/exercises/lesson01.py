"""Checkers for lesson 01, the vanilla RNN.

Three exercises, one checker each:

* :func:`check_rnn_step` for ``rnn_step(x_t, h_prev, W_xh, W_hh, b_h) -> h_t``,
  one time step ``h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)`` with
  ``x_t (N, D)``, ``h_prev (N, H)``, ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)``
  and ``h_t (N, H)`` (the warm-up: the lesson writes this line out).
* :func:`check_latch_weights` for ``latch_weights(V, not_id) -> (W_xh, W_hh, b_h)``:
  a design exercise. The learner chooses the weights of a one-unit tanh RNN that reads
  one-hot words, so that its last state says whether the word ``not_id`` occurred
  anywhere in the phrase. Graded by that property, on phrases of up to 40 words.
* :func:`check_linear_rnn_filter` for ``linear_rnn_filter(W_xh, W_hh, b_h, T) ->
  (M, c)``: a derivation. Unrolled, a linear RNN (no tanh) from ``h_0 = 0`` is a
  filter, ``h_T = sum_t x_t @ M[t] + c``; the learner derives ``M (T, D, H)`` and
  ``c (H,)``. Graded by that property against the kernel's recurrence.

Each checker runs the learner's function on seeded float64 test cases, compares
with the reference in :mod:`rnnlesson.kernels`, recognises the usual mistakes by
computing them too, prints a verdict with a hint and returns a
:class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises
``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, Wrong, as_answer, call, diagnose, run_check

__all__ = ["check_rnn_step", "check_latch_weights", "check_linear_rnn_filter"]

_SHAPE_HINT = ("Check the order of the matrix product: in the row-vector code the input "
               "comes first, `x_t @ W_xh` with W_xh of shape (D, H).")


# ------------------------------------------------------------------ test data
def _step_case(seed, N=3, D=4, H=5):
    """Seeded float64 arrays for one step; W_hh is far from symmetric so a transpose shows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    h = rng.uniform(-0.9, 0.9, size=(N, H))
    W_xh = rng.normal(scale=0.5, size=(D, H))
    W_hh = rng.normal(scale=0.5, size=(H, H))
    b_h = rng.normal(scale=0.3, size=(H,))
    return x, h, W_xh, W_hh, b_h


def _ref_step(x, h, W_xh, W_hh, b_h):
    """h_t (N, H) from x_t (N, D) and h_prev (N, H): the package's kernel."""
    return kernels.rnn_step_forward(x, h, W_xh, W_hh, b_h)[0]


# ------------------------------------------------------------------ exercise 1
def _rnn_step_body(rnn_step):
    for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 6, 6), (1, 3, 2)]):
        x, h, W_xh, W_hh, b_h = _step_case(seed, N, D, H)
        what = f"rnn_step(...) for N={N}, D={D}, H={H}"
        ref = _ref_step(x, h, W_xh, W_hh, b_h)
        out = as_answer(call(rnn_step, x, h, W_xh, W_hh, b_h), ref, what, hint=_SHAPE_HINT)
        z = x @ W_xh + h @ W_hh + b_h
        mistakes = [
            ("it equals the pre-activation z, without the tanh", z,
             "Squash the sum with np.tanh: h_t = tanh(x_t W_xh + h_prev W_hh + b_h)."),
            ("it uses W_hh transposed", np.tanh(x @ W_xh + h @ W_hh.T + b_h),
             "In the row-vector code the state comes first: h_prev @ W_hh, with "
             "W_hh[i, j] the weight from unit i of h_prev to unit j of h_t."),
            ("the bias b_h is missing", np.tanh(x @ W_xh + h @ W_hh),
             "Add b_h (shape (H,)) inside the tanh."),
            ("the previous state h_prev is ignored", np.tanh(x @ W_xh + b_h),
             "The memory enters through h_prev @ W_hh; without it this is a "
             "feed-forward layer."),
            ("the input x_t is ignored", np.tanh(h @ W_hh + b_h),
             "Add x_t @ W_xh inside the tanh."),
            ("it uses ReLU instead of tanh", np.maximum(z, 0), "Use np.tanh."),
            ("the tanh is applied to each term separately",
             np.tanh(x @ W_xh) + np.tanh(h @ W_hh) + np.tanh(b_h),
             "Add the three terms first, then take one tanh of the sum."),
        ]
        diagnose(out, ref, mistakes, what=what, terms=D + H + 1 + ROUNDINGS,
                 hint="Compare with h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h) term by term; "
                      "print the shapes of each term.")
    return "Your step matches tanh(x_t @ W_xh + h_prev @ W_hh + b_h) on 3 test cases."


def check_rnn_step(rnn_step, *, strict=False):
    """Check ``rnn_step(x_t, h_prev, W_xh, W_hh, b_h) -> h_t``.

    Shapes: x_t (N, D), h_prev (N, H), W_xh (D, H), W_hh (H, H), b_h (H,);
    returns h_t (N, H) = tanh(x_t @ W_xh + h_prev @ W_hh + b_h).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("rnn_step", _rnn_step_body, rnn_step, strict=strict)


# ------------------------------------------------------------------ exercise 2: a latch
def _run_rnn(ids, V, W_xh, W_hh, b_h, activation="tanh"):
    """h_T (N, H) of an RNN reading one-hot words ``ids`` (N, T) from h_0 = 0 (the kernel)."""
    h = np.zeros((ids.shape[0], W_hh.shape[0]))
    for t in range(ids.shape[1]):
        h, _ = kernels.rnn_step_forward(np.eye(V)[ids[:, t]], h, W_xh, W_hh, b_h, activation)
    return h


def _latch_phrases(V, not_id, seed):
    """Phrases (N, 40) of word ids padded in front with 0, and whether each holds not_id.

    Rows: phrases without the word, phrases with it once as the last word, as the first
    real word (39 other words follow it), in the middle, and twice.
    """
    rng = np.random.default_rng(seed)
    others = np.array([k for k in range(1, V) if k != not_id])
    T, rows, has = 40, [], []
    for kind in ("none", "last", "first", "middle", "twice"):
        for _ in range(6):
            n_words = int(rng.integers(1 if kind in ("none", "last") else 2, T + 1))
            words = list(rng.choice(others, size=n_words))
            if kind == "last":
                words[-1] = not_id
            elif kind == "first":
                words[0] = not_id
            elif kind == "middle":
                words[len(words) // 2] = not_id
            elif kind == "twice":
                words[0] = words[-1] = not_id
            rows.append([0] * (T - n_words) + words)
            has.append(kind != "none")
    return np.array(rows), np.array(has), T


def _latch_body(latch_weights):
    for V, not_id, seed in [(18, 5, 0), (7, 3, 1), (30, 29, 2)]:
        what = f"latch_weights(V={V}, not_id={not_id})"
        out = call(latch_weights, V, not_id)
        W_xh, W_hh, b_h = as_answer(out, (np.zeros((V, 1)), np.zeros((1, 1)), np.zeros(1)), what,
                                    ("W_xh", "W_hh", "b_h"),
                                    hint="One unit (H = 1): W_xh is (V, 1), one row per word; "
                                         "W_hh is (1, 1); b_h is (1,).")
        W_xh, W_hh, b_h = (np.asarray(w, dtype=np.float64) for w in (W_xh, W_hh, b_h))
        ids, has, T = _latch_phrases(V, not_id, seed)
        h = _run_rnn(ids, V, W_xh, W_hh, b_h)[:, 0]
        ok = np.where(has, h > 0.5, h < -0.5)
        if ok.all():
            continue
        k = int(np.flatnonzero(~ok)[0])
        words = [int(i) for i in ids[k] if i]
        at = [t for t, i in enumerate(words) if i == not_id]
        phrase = (f"a phrase of {len(words)} words" if not at else
                  f"a phrase of {len(words)} words with word {not_id} at position(s) {at}")
        where = (f"for {phrase}, the last state is h_T = {h[k]:+.3f}, but it should be "
                 f"{'above +0.5' if has[k] else 'below -0.5'}")
        if not has[k]:
            raise Wrong(f"{what}: {where}.",
                        "Without the word, the state must settle near -1 and stay there: let "
                        "b_h pull it down, and make W_hh keep it down (tanh(W_hh * h + b_h) "
                        "needs a fixed point near -1).")
        if int(np.argmax(W_xh[:, 0])) != not_id:
            raise Wrong(f"{what}: {where}. The largest entry of W_xh is in row "
                        f"{int(np.argmax(W_xh[:, 0]))}, not in row {not_id}.",
                        "The one-hot vector of word k picks row k of W_xh: put the push in "
                        "W_xh[not_id].")
        last = ids[k, -1] == not_id and (ids[k, :-1] != not_id).all()
        if last:
            raise Wrong(f"{what}: {where}: reading the word does not flip the state up.",
                        "From h = -1, one step gives tanh(W_xh[not_id] - W_hh + b_h): the "
                        "word's weight must beat the pull of the state and of the bias.")
        raise Wrong(f"{what}: {where}: the state went up when the word came, then "
                    "faded as the other words followed.",
                    "Once up, only W_hh can hold the state there: tanh(W_hh * h + b_h) "
                    "needs a fixed point near +1 too, so W_hh must be large compared with "
                    "|b_h|. Draw tanh(W_hh * h + b_h) against the line y = h.")
    return ("Your unit remembers the word over 40 steps and stays down without it, on 90 "
            "phrases and three vocabularies.")


def check_latch_weights(latch_weights, *, strict=False):
    """Check ``latch_weights(V, not_id) -> (W_xh, W_hh, b_h)`` of a one-unit tanh RNN.

    Shapes: W_xh (V, 1), W_hh (1, 1), b_h (1,). The RNN reads one-hot words (ids in
    0..V-1, id 0 the padding in front) from h_0 = 0; its last state h_T must be above
    +0.5 when the word ``not_id`` occurred anywhere in the phrase and below -0.5 when it
    did not, for phrases of up to 40 words.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("latch_weights", _latch_body, latch_weights, strict=strict)


# ------------------------------------------------------------------ exercise 3: unrolled
def _ref_filter(W_xh, W_hh, b_h, T, power_shift=0, reverse=False, transpose=False):
    """(M (T, D, H), c (H,)) with h_T = sum_t x_t M[t] + c for a linear RNN from h_0 = 0.

    The keywords put in typical mistakes: a power one too high, the powers in the wrong
    order, the column-vector (maths) layout.
    """
    U = W_hh.T if transpose else W_hh
    powers = [np.linalg.matrix_power(U, k) for k in range(T + 1)]
    M = np.stack([W_xh @ powers[(t if reverse else T - 1 - t) + power_shift] for t in range(T)])
    c = b_h @ sum(powers[k] for k in range(T))
    return M, c


def _filter_case(seed, D, H):
    """W_xh (D, H), W_hh (H, H) far from symmetric with spectral radius 0.8, b_h (H,)."""
    rng = np.random.default_rng(seed)
    W_hh = rng.normal(size=(H, H)) + np.triu(rng.normal(size=(H, H)), 1)
    W_hh *= 0.8 / np.max(np.abs(np.linalg.eigvals(W_hh)))
    return rng.normal(size=(D, H)), W_hh, rng.normal(size=H)


def _filter_body(linear_rnn_filter):
    for seed, (D, H, T) in enumerate([(3, 4, 5), (2, 3, 1), (4, 4, 7)]):
        W_xh, W_hh, b_h = _filter_case(700 + seed, D, H)
        what = f"linear_rnn_filter(W_xh, W_hh, b_h, T={T}) for D={D}, H={H}"
        want = _ref_filter(W_xh, W_hh, b_h, T)
        got = as_answer(call(linear_rnn_filter, W_xh, W_hh, b_h, T), want, what, ("M", "c"),
                        hint=f"M holds one (D, H) matrix per step: shape (T, D, H) = "
                             f"{(T, D, H)}; c has shape (H,) = {(H,)}.")
        M_ok, c_ok = want
        mistakes = [
            ("every M[t] has one factor W_hh too many (W_xh @ W_hh^(T-t) with t counted "
             "from 0)", (_ref_filter(W_xh, W_hh, b_h, T, power_shift=1)[0], c_ok),
             "The last input x[:, T-1] enters h_T directly, with no W_hh at all: M[T-1] = W_xh."),
            ("the powers run the wrong way: the first input gets the fewest factors W_hh",
             (_ref_filter(W_xh, W_hh, b_h, T, reverse=True)[0], c_ok),
             "An input read early passes through every later step: x[:, 0] is multiplied by "
             "W_hh T-1 times, the last input not at all."),
            ("it uses the column-vector (maths) layout: powers of W_hh.T",
             _ref_filter(W_xh, W_hh, b_h, T, transpose=True),
             "In the code's row layout the state is multiplied on the right, h @ W_hh, so "
             "the powers are of W_hh itself, on the right: W_xh @ W_hh @ W_hh ..."),
            ("the bias is counted once: c = b_h", (M_ok, b_h),
             "b_h is added at every step, and each earlier copy passes through the later "
             "steps' W_hh too: c = b_h @ (I + W_hh + W_hh^2 + ... )."),
            ("the bias is counted T times without the factors W_hh: c = T * b_h",
             (M_ok, T * b_h),
             "Each copy of b_h added at step t is multiplied by W_hh at every later step, "
             "like an input."),
        ]
        # entries are sums of up to T products of H-term dot products, of order 1
        diagnose(got, want, mistakes, what=what, terms=T * (D + H) + ROUNDINGS, scale=1.0,
                 names=("M", "c"),
                 hint="Unroll by hand: h_1 = x_1 W_xh + b_h, h_2 = h_1 W_hh + x_2 W_xh + b_h, "
                      "h_3 = ...; collect what multiplies each x_t, and what is left.")
    return ("h_T = sum_t x_t @ M[t] + c holds on 3 test cases: the linear RNN is a filter "
            "whose weight on an input k steps back is W_xh @ W_hh^k.")


def check_linear_rnn_filter(linear_rnn_filter, *, strict=False):
    """Check ``linear_rnn_filter(W_xh, W_hh, b_h, T) -> (M, c)``.

    Shapes: W_xh (D, H), W_hh (H, H), b_h (H,); M (T, D, H) and c (H,) such that a
    linear RNN, h_t = x_t @ W_xh + h_{t-1} @ W_hh + b_h from h_0 = 0, ends in
    h_T = sum over t of x[:, t] @ M[t] + c for every input x (N, T, D).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("linear_rnn_filter", _filter_body, linear_rnn_filter, strict=strict)
