"""Checkers for lesson 08, encoder–decoder and attention.

Four exercises, each a function the learner writes in the notebook:

* ``teacher_forcing_pair(y_tgt)``: the shift of teacher forcing, ``y_tgt`` (N, T+1) with
  the start token first -> ``(decoder_input, target)``, each (N, T).
* ``attention_forward(query, hs)``: dot-product attention for one decoder step, the
  query (N, H) against the encoder outputs hs (N, T, H) -> ``(weights (N, T),
  context (N, H))``.
* ``attention_backward(dcontext, query, hs)``: its backward pass, ``(dquery (N, H),
  dhs (N, T, H))``, graded by a gradient check (float64, central differences,
  relative error below 1e-7).
* ``greedy_decode(step, state, start_id, length)``: the greedy decoding loop around a
  decoder step ``step(tokens (N,), state) -> (logits (N, V), new state)`` -> the
  (N, length) int array of the tokens after the start token.

Each checker runs the learner's function on small seeded cases, compares it with a
reference (the attention layer's maths, written out here in numpy), and when the answer
matches a typical mistake, names it. It prints a verdict with a hint and returns a
:class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises
``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .. import gradcheck
from .harness import ROUNDINGS, Wrong, as_answer, call, diagnose, run_check

__all__ = ["check_teacher_forcing_pair", "check_attention_forward", "check_attention_backward",
           "check_greedy_decode"]

#: the largest relative error of a gradient that counts as right (float64)
GRADIENT_OK = 1e-7


# ---------------------------------------------------------------- exercise 1: the shift
def _ids_case(seed, n, t, vocab=13):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, vocab, size=(n, t)).astype(np.int32)
    y[:, 0] = vocab - 1            # the start token, as '_' in the tasks
    return y


def _pair_body(teacher_forcing_pair):
    for seed, (n, t) in enumerate([(3, 5), (2, 11), (4, 2)]):
        y = _ids_case(800 + seed, n, t)
        what = f"teacher_forcing_pair(y_tgt) for y_tgt of shape {y.shape}"
        out = call(teacher_forcing_pair, y)
        if isinstance(out, (tuple, list)) and len(out) == 2:
            shapes = [np.shape(o) for o in out]
            if shapes[0] == y.shape:
                raise Wrong(f"{what}: decoder_input has the shape of y_tgt, {y.shape}; it "
                            f"should be one step shorter, {(n, t - 1)}.",
                            "The decoder never reads the last token of the answer: nothing "
                            "comes after it to predict. Drop it from the input.")
            if shapes[1] == y.shape:
                raise Wrong(f"{what}: target has the shape of y_tgt, {y.shape}; it should be "
                            f"one step shorter, {(n, t - 1)}.",
                            "The start token is never a target: the model is given it, it "
                            "does not predict it. Drop it from the target.")
        want = (y[:, :-1], y[:, 1:])
        got = as_answer(out, want, what, ("decoder_input", "target"),
                        hint="Both are (N, T): one token shorter than y_tgt (N, T+1).")
        mistakes = [
            ("input and target swapped (the decoder reads the answer and is scored on the "
             "start token)", (y[:, 1:], y[:, :-1]),
             "The decoder reads the start token first and must predict the first real token: "
             "the input starts at column 0, the target at column 1."),
            ("the target is not shifted (the decoder would learn to copy its input)",
             (y[:, :-1], y[:, :-1]),
             "The target at step t is the token *after* the one read at step t: "
             "target = y_tgt[:, 1:]."),
            ("the input is not shifted (the decoder would read the token it must predict)",
             (y[:, 1:], y[:, 1:]),
             "At step t the decoder may only read tokens before the one it predicts: "
             "decoder_input = y_tgt[:, :-1]."),
        ]
        diagnose(got, want, mistakes, what=what, terms=1, scale=1.0,
                 names=("decoder_input", "target"),
                 hint="decoder_input = y_tgt[:, :-1] (start token first), "
                      "target = y_tgt[:, 1:] (one step ahead).")
    return "The decoder reads y[:, :-1] and is scored on y[:, 1:], one step ahead."


def check_teacher_forcing_pair(teacher_forcing_pair, *, strict=False):
    """Check ``teacher_forcing_pair(y_tgt) -> (decoder_input, target)``.

    ``y_tgt`` (N, T+1) holds integer ids, the start token first; both results are (N, T).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("teacher_forcing_pair", _pair_body, teacher_forcing_pair, strict=strict)


# ---------------------------------------------------------------- references: attention
def _softmax(s, axis=-1):
    z = s - s.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def attention_reference(query, hs):
    """Dot-product attention of one decoder step: query (N, H), hs (N, T, H) ->
    ``(weights (N, T), context (N, H))``, in float64."""
    s = np.einsum("nth,nh->nt", hs, query)
    w = _softmax(s)
    return w, np.einsum("nt,nth->nh", w, hs)


def attention_backward_reference(dcontext, query, hs):
    """The backward pass of :func:`attention_reference`'s context: ``(dquery (N, H),
    dhs (N, T, H))`` from dcontext (N, H)."""
    w, _ = attention_reference(query, hs)
    dw = np.einsum("nh,nth->nt", dcontext, hs)              # context = sum_t w_t hs_t
    ds = w * (dw - (w * dw).sum(axis=1, keepdims=True))     # softmax, row by row
    dq = np.einsum("nt,nth->nh", ds, hs)                    # s_t = hs_t . q
    dhs = w[:, :, None] * dcontext[:, None, :] + ds[:, :, None] * query[:, None, :]
    return dq, dhs


def _attention_case(seed, n, t, h, scale=1.0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (n, h)), rng.normal(0, 1.0, (n, t, h))


_ATT_SHAPES_HINT = ("Print the shapes. The scores and weights are (N, T): one number per "
                    "encoder step; the context is (N, H). np.einsum('nth,nh->nt', hs, query) "
                    "gives the scores.")


# ---------------------------------------------------------------- exercise 2: forward
def _forward_body(attention_forward):
    # N, T and H all differ, so a sum over the wrong axis cannot hide behind a shape
    for seed, (n, t, h) in enumerate([(3, 5, 4), (2, 7, 3), (4, 2, 6)]):
        query, hs = _attention_case(900 + seed, n, t, h)
        what = f"attention_forward(query, hs) for N={n}, T={t}, H={h}"
        want = attention_reference(query, hs)
        got = as_answer(call(attention_forward, query, hs, hint=_ATT_SHAPES_HINT), want, what,
                        ("weights", "context"), hint=_ATT_SHAPES_HINT)
        s = np.einsum("nth,nh->nt", hs, query)
        w_batch = _softmax(s, axis=0)
        uniform = np.full_like(s, 1.0 / t)
        mistakes = [
            ("the softmax runs over the batch axis (axis 0) instead of the encoder steps",
             (w_batch, np.einsum("nt,nth->nh", w_batch, hs)),
             "Each row n, one question, gets its own distribution over its T encoder steps: "
             "normalise over axis 1 (or -1), so that weights.sum(axis=1) is 1."),
            ("the weights are the raw scores (no softmax)", (s, np.einsum("nt,nth->nh", s, hs)),
             "Scores can be negative and do not sum to 1: turn them into weights with a "
             "softmax over the encoder steps."),
            ("exp(scores) without the division by their sum",
             (np.exp(s), np.einsum("nt,nth->nh", np.exp(s), hs)),
             "A softmax divides by the sum of the exponentials of its row, so the weights "
             "of each row add up to 1."),
            ("every encoder step gets the same weight 1/T (the scores are ignored)",
             (uniform, hs.mean(axis=1)),
             "The weights come from the scores s_t = hs_t . query: compute them first."),
            ("the context sums the encoder outputs with the scores instead of the weights",
             (want[0], np.einsum("nt,nth->nh", s, hs)),
             "context = sum_t weights_t * hs_t, with the softmax weights, not the scores."),
        ]
        diagnose(got, want, mistakes, what=what, terms=h + t + ROUNDINGS,
                 names=("weights", "context"),
                 hint="scores s = hs . query (N, T), weights = softmax of each row, "
                      "context = sum over t of weights_t * hs_t (N, H).")
    # scores near 1,000: exp overflows unless the row's largest score is subtracted first
    query, hs = _attention_case(950, 2, 4, 3, scale=1.0)
    query, hs = query * 30.0, hs * 30.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # the verdict says it
        w, c = call(attention_forward, query, hs, hint=_ATT_SHAPES_HINT)
    w, c = np.asarray(w, dtype=np.float64), np.asarray(c, dtype=np.float64)
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(c))):
        raise Wrong("attention_forward gives NaN or inf when the scores are large (near "
                    "1,000): exp overflows.",
                    "Subtract each row's largest score before the exp (softmax(s) = "
                    "softmax(s - max s)): the weights stay the same and exp stays <= 1.")
    want_w, _ = attention_reference(query, hs)
    if not np.allclose(w, want_w, atol=1e-3):
        raise Wrong("attention_forward is off when the scores are large (near 1,000).",
                    "Subtract each row's largest score before the exp and divide by the "
                    "row's sum of exponentials.")
    return "Scores, a softmax per row, and the weighted sum of the encoder outputs."


def check_attention_forward(attention_forward, *, strict=False):
    """Check ``attention_forward(query, hs) -> (weights, context)``.

    Dot-product attention for one decoder step: query (N, H) is the decoder's state,
    hs (N, T, H) the encoder outputs. scores s_t = hs_t . query (N, T); weights =
    softmax over t (N, T); context = sum_t weights_t hs_t (N, H).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("attention_forward", _forward_body, attention_forward, strict=strict)


# ---------------------------------------------------------------- exercise 3: backward
def _backward_mistakes(dc, q, hs):
    """The gradients (dq, dhs) of four typical mistakes, on the same inputs."""
    w, _ = attention_reference(q, hs)
    dw = np.einsum("nh,nth->nt", dc, hs)
    ds_ok = w * (dw - (w * dw).sum(axis=1, keepdims=True))

    def grads(ds, direct=True, through_scores=True):
        dq = np.einsum("nt,nth->nh", ds, hs)
        dhs = np.zeros_like(hs)
        if direct:
            dhs = dhs + w[:, :, None] * dc[:, None, :]
        if through_scores:
            dhs = dhs + ds[:, :, None] * q[:, None, :]
        return dq, dhs

    return [
        ("the softmax's backward is missing (ds = dweights)", grads(dw),
         "The weights are a softmax of the scores: ds_t = w_t (dw_t - sum_u w_u dw_u)."),
        ("the softmax's backward lacks the subtraction (ds = w * dweights)", grads(w * dw),
         "Every weight depends on every score (they share the denominator): ds_t = "
         "w_t (dw_t - sum_u w_u dw_u), not w_t dw_t."),
        ("dhs misses its direct path: hs is also the value summed into the context",
         grads(ds_ok, direct=False),
         "hs is used twice: in the scores (s_t = hs_t . q) and as the values "
         "(context = sum_t w_t hs_t). Add w_t * dcontext to dhs_t."),
        ("dhs misses its path through the scores", grads(ds_ok, through_scores=False),
         "hs is used twice: as the values and in the scores s_t = hs_t . q. Add ds_t * q "
         "to dhs_t."),
    ]


def _backward_body(attention_backward):
    worst = 0.0
    for seed, (n, t, h) in enumerate([(3, 5, 4), (2, 3, 6)]):
        query, hs = _attention_case(1000 + seed, n, t, h)
        what = f"attention_backward(dcontext, query, hs) for N={n}, T={t}, H={h}"
        seen = {}

        def forward(q, v):
            return attention_reference(q, v)[1]

        def backward(dc, q, v, what=what, seen=seen):
            seen["dc"] = dc.copy()
            out = call(attention_backward, dc, q, v, hint=_ATT_SHAPES_HINT)
            seen["got"] = as_answer(out, (q, v), what, ("dquery", "dhs"),
                                    hint="dquery has the shape of query (N, H), dhs that of "
                                         "hs (N, T, H).")
            return seen["got"]

        errors = gradcheck.check_function_gradient(forward, backward, query, hs,
                                                   names=["dquery", "dhs"], seed=seed,
                                                   verbose=False)
        worst = max(worst, *errors.values())
        if max(errors.values()) < GRADIENT_OK:
            continue
        dc, got = seen["dc"], seen["got"]
        for label, cand, hint in _backward_mistakes(dc, query, hs):
            if all(np.allclose(g, c, rtol=1e-9, atol=1e-12) for g, c in zip(got, cand,
                                                                             strict=True)):
                raise Wrong(f"{what} looks like a typical mistake: {label}.", hint)
        bad = max(errors, key=errors.get)
        raise Wrong(f"{what}: the gradient check fails, {bad} has a relative error of "
                    f"{errors[bad]:.2g} (right is below {GRADIENT_OK:g}).",
                    "Go backwards one line at a time: context = sum_t w_t hs_t gives dw and "
                    "a first part of dhs; the softmax gives ds; s_t = hs_t . q gives dquery "
                    "and a second part of dhs.")
    return (f"The gradient check passes: largest relative error {worst:.1e} against central "
            "differences.")


def check_attention_backward(attention_backward, *, strict=False):
    """Check ``attention_backward(dcontext, query, hs) -> (dquery, dhs)`` by a gradient check.

    The backward pass of :func:`check_attention_forward`'s context: dcontext (N, H) is
    dL/dcontext; dquery (N, H) and dhs (N, T, H) are dL/dquery and dL/dhs. Right means a
    relative error below 1e-7 against a numerical gradient of the forward (float64).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("attention_backward", _backward_body, attention_backward, strict=strict)


# ---------------------------------------------------------------- exercise 4: greedy loop
class ToyDecoder:
    """A small recurrent decoder with fixed random weights, for the greedy-decoding check.

    ``step(tokens (N,), state (N, H)) -> (logits (N, V), new state (N, H))``:
    h = tanh(state W + E[tokens]), logits = h O. It counts its calls.
    """

    def __init__(self, seed, vocab=7, units=5):
        rng = np.random.default_rng(seed)
        self.vocab, self.units = vocab, units
        self.E = rng.normal(0, 2.0, (vocab, units))
        self.W = rng.normal(0, 0.6, (units, units))
        self.O = rng.normal(0, 2.0, (units, vocab))
        self.calls = 0

    def step(self, tokens, state):
        tokens = np.asarray(tokens)
        if tokens.ndim != 1 or tokens.dtype.kind not in "iu":
            raise TypeError(f"step expects tokens as a 1-D integer array (N,); got "
                            f"{tokens.dtype} of shape {tokens.shape}.")
        state = np.asarray(state, dtype=np.float64)
        if state.ndim != 2 or state.shape != (tokens.shape[0], self.units):
            raise ValueError(f"step expects state of shape ({tokens.shape[0]}, {self.units}) "
                             f"for {tokens.shape[0]} tokens; got {state.shape}.")
        self.calls += 1
        h = np.tanh(state @ self.W + self.E[tokens])
        return h @ self.O, h


def greedy_reference(step, state, start_id, length, *, feed_back=True, carry_state=True):
    """Greedy decoding (right by default; the keywords put in the loop's typical mistakes)."""
    n = np.asarray(state).shape[0]
    tokens = np.full(n, start_id, dtype=np.int64)
    h0, out = state, np.empty((n, length), dtype=np.int64)
    for t in range(length):
        logits, new_state = step(tokens, state if carry_state else h0)
        state = new_state
        choice = np.asarray(logits).argmax(axis=1)
        out[:, t] = choice
        if feed_back:
            tokens = choice
    return out


def _greedy_body(greedy_decode):
    for seed, (n, length) in enumerate([(4, 6), (3, 9), (1, 5)]):
        toy = ToyDecoder(1100 + seed)
        state = np.random.default_rng(1150 + seed).normal(0, 1, (n, toy.units))
        start = 3
        what = f"greedy_decode(step, state, start_id={start}, length={length}) for N={n}"
        want = greedy_reference(toy.step, state, start, length)
        toy.calls = 0
        out = call(greedy_decode, toy.step, state, start, length,
                   hint="step takes the tokens (N,) as integers and the state (N, H), and "
                        "returns (logits (N, V), new state).")
        arr = np.asarray(out) if out is not None else None
        if arr is not None and arr.shape == (n, length + 1) and np.all(arr[:, 0] == start):
            raise Wrong(f"{what} returned {arr.shape}: the start token is in the answer.",
                        "Return only the tokens the model chose, (N, length): the start "
                        "token is given, not generated.")
        got = as_answer(out, want, what, hint=f"Return an (N, length) array of token ids: here "
                                              f"({n}, {length}).")
        if np.array_equal(got, want):
            if toy.calls != length:
                raise Wrong(f"{what} called step {toy.calls} times for {length} tokens.",
                            "One call of step per generated token: each call gives the "
                            "distribution of the next one.")
            continue
        mistakes = [
            ("the start token is fed at every step (the model's choice is never fed back)",
             greedy_reference(toy.step, state, start, length, feed_back=False),
             "After each step, the token just chosen becomes the next step's input: "
             "tokens = logits.argmax(axis=1)."),
            ("every step starts again from the first state (the new state is dropped)",
             greedy_reference(toy.step, state, start, length, carry_state=False),
             "step returns the new state: keep it (state = new_state) and pass it to the next "
             "call, so the decoder remembers what it has produced."),
        ]
        for label, cand, hint in mistakes:
            if np.array_equal(got, cand):
                raise Wrong(f"{what} looks like a typical mistake: {label}.", hint)
        first = int(np.argwhere(got != want)[0][1])
        raise Wrong(f"{what}: the tokens differ from greedy decoding from position {first} on.",
                    "At every step take the most probable token of each row, "
                    "logits.argmax(axis=1), feed it back, and carry the state.")
    return "One step per token, the argmax fed back, the state carried along."


def check_greedy_decode(greedy_decode, *, strict=False):
    """Check ``greedy_decode(step, state, start_id, length) -> tokens (N, length)``.

    ``step(tokens (N,), state) -> (logits (N, V), new state)`` is one decoder step; the
    state is (N, H) and N is its number of rows. The answer holds the tokens chosen
    after the start token, by the argmax at every step, each fed back as the next input.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("greedy_decode", _greedy_body, greedy_decode, strict=strict)
