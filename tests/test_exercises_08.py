"""The exercises of lesson 08 (encoder–decoder and attention): right answers and typical
mistakes for every checker (run through the common tests in test_exercises_harness.py),
and the checkers' references against the package's attention layer and Seq2Seq."""

import numpy as np
import pytest
from exercise_table import Exercise, Mistake

from rnnlesson import exercises as ex
from rnnlesson import gradcheck, layers
from rnnlesson.exercises import lesson08
from rnnlesson.models import Seq2Seq


# ---------------------------------------------------------------- 1: teacher forcing
def pair_right(y):
    return y[:, :-1], y[:, 1:]


# ---------------------------------------------------------------- 2: attention forward
def softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention_forward(query, hs, *, norm=softmax, weigh_with_scores=False):
    """Right by default; the keywords put in one typical mistake each."""
    s = np.einsum("nth,nh->nt", hs, query)
    w = norm(s)
    return w, np.einsum("nt,nth->nh", s if weigh_with_scores else w, hs)


def naive_softmax(s):
    return np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- 3: attention backward
def attention_backward(dc, q, hs, *, softmax_backward="full", direct=True, scores=True):
    w, _ = attention_forward(q, hs)
    dw = np.einsum("nh,nth->nt", dc, hs)
    ds = {"full": w * (dw - (w * dw).sum(axis=1, keepdims=True)), "none": dw,
          "no_subtraction": w * dw}[softmax_backward]
    dq = np.einsum("nt,nth->nh", ds, hs)
    dhs = np.zeros_like(hs)
    if direct:
        dhs = dhs + w[:, :, None] * dc[:, None, :]
    if scores:
        dhs = dhs + ds[:, :, None] * q[:, None, :]
    return dq, dhs


# ---------------------------------------------------------------- 4: greedy loop
def greedy_right(step, state, start_id, length):
    tokens = np.full(len(state), start_id)
    out = []
    for _ in range(length):
        logits, state = step(tokens, state)
        tokens = logits.argmax(axis=1)
        out.append(tokens)
    return np.stack(out, axis=1)


def greedy_no_feedback(step, state, start_id, length):
    tokens = np.full(len(state), start_id)
    out = []
    for _ in range(length):
        logits, state = step(tokens, state)
        out.append(logits.argmax(axis=1))
    return np.stack(out, axis=1)


def greedy_state_dropped(step, state, start_id, length):
    tokens = np.full(len(state), start_id)
    out = []
    for _ in range(length):
        logits, _ = step(tokens, state)
        tokens = logits.argmax(axis=1)
        out.append(tokens)
    return np.stack(out, axis=1)


def greedy_with_start(step, state, start_id, length):
    tokens = np.full(len(state), start_id)
    out = [tokens]
    for _ in range(length):
        logits, state = step(tokens, state)
        tokens = logits.argmax(axis=1)
        out.append(tokens)
    return np.stack(out, axis=1)


def greedy_one_short(step, state, start_id, length):
    return greedy_right(step, state, start_id, length - 1)


def greedy_extra_call(step, state, start_id, length):
    out = greedy_right(step, state, start_id, length)
    step(np.full(len(state), start_id), state)
    return out


EXERCISES = [
    Exercise(ex.check_teacher_forcing_pair, "teacher_forcing_pair", pair_right, [
        Mistake(lambda y: (y[:, 1:], y[:, :-1]), "swapped"),
        Mistake(lambda y: (y[:, :-1], y[:, :-1]), "target is not shifted"),
        Mistake(lambda y: (y[:, 1:], y[:, 1:]), "input is not shifted"),
        Mistake(lambda y: (y, y[:, 1:]), "never reads the last token", numeric=False),
        Mistake(lambda y: (y[:, :-1], y), "start token is never a target", numeric=False),
        Mistake(lambda y: y[:, :-1], "tuple of 2", numeric=False),
    ], float32=False),
    Exercise(ex.check_attention_forward, "attention_forward", attention_forward, [
        Mistake(lambda q, hs: attention_forward(q, hs, norm=lambda s: softmax(s, axis=0)),
                "batch axis"),
        Mistake(lambda q, hs: attention_forward(q, hs, norm=lambda s: s), "raw scores"),
        Mistake(lambda q, hs: attention_forward(q, hs, norm=np.exp), "without the division"),
        Mistake(lambda q, hs: attention_forward(
            q, hs, norm=lambda s: np.full_like(s, 1 / s.shape[1])), "same weight"),
        Mistake(lambda q, hs: attention_forward(q, hs, weigh_with_scores=True),
                "scores instead of the weights"),
        Mistake(lambda q, hs: attention_forward(q, hs, norm=naive_softmax), "overflow",
                numeric=False),
        Mistake(lambda q, hs: (np.einsum("nth,nh->nt", hs, q), q), "off by up to"),
    ]),
    Exercise(ex.check_attention_backward, "attention_backward", attention_backward, [
        Mistake(lambda dc, q, hs: attention_backward(dc, q, hs, softmax_backward="none"),
                "softmax's backward is missing"),
        Mistake(lambda dc, q, hs: attention_backward(dc, q, hs,
                                                     softmax_backward="no_subtraction"),
                "lacks the subtraction"),
        Mistake(lambda dc, q, hs: attention_backward(dc, q, hs, direct=False), "direct path"),
        Mistake(lambda dc, q, hs: attention_backward(dc, q, hs, scores=False),
                "path through the scores"),
        Mistake(lambda dc, q, hs: (attention_backward(dc, q, hs)[0] * 1.001,
                                   attention_backward(dc, q, hs)[1]), "gradient check fails"),
        Mistake(lambda dc, q, hs: (q, hs[:, 0]), "dhs that of hs", numeric=False),
    ], float32=False),
    Exercise(ex.check_greedy_decode, "greedy_decode", greedy_right, [
        Mistake(greedy_no_feedback, "never fed back"),
        Mistake(greedy_state_dropped, "new state is dropped"),
        Mistake(greedy_with_start, "start token is in the answer", numeric=False),
        Mistake(greedy_one_short, "(N, length)", numeric=False),
        Mistake(greedy_extra_call, "called step", numeric=False),
    ], float32=False),
]


# ---------------------------------------------------------------- the mistakes are real
def test_the_toy_decoder_tells_the_loops_mistakes_apart():
    """On every case of the checker, each mistaken loop gives other tokens than the right
    one (else the checker could not reject it)."""
    for seed, (n, length) in enumerate([(4, 6), (3, 9), (1, 5)]):
        toy = lesson08.ToyDecoder(1100 + seed)
        state = np.random.default_rng(1150 + seed).normal(0, 1, (n, toy.units))
        want = greedy_right(toy.step, state, 3, length)
        assert np.array_equal(want, lesson08.greedy_reference(toy.step, state, 3, length))
        for wrong in (greedy_no_feedback, greedy_state_dropped):
            assert not np.array_equal(wrong(toy.step, state, 3, length), want), (seed, wrong)


# ---------------------------------------------------------------- references against the package
def test_attention_reference_is_the_attention_layer_for_one_step():
    rng = np.random.default_rng(0)
    q, hs = rng.normal(size=(3, 4)), rng.normal(size=(3, 6, 4))
    layer = layers.Attention(dtype="float64")
    context, weights = layer.forward([q[:, None, :], hs], return_attention_scores=True)
    w, c = lesson08.attention_reference(q, hs)
    np.testing.assert_allclose(w, weights[:, 0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, context[:, 0], rtol=1e-12, atol=1e-14)
    dc = rng.normal(size=(3, 4))
    dq, dv = layer.backward(dc[:, None, :])
    ref_dq, ref_dhs = lesson08.attention_backward_reference(dc, q, hs)
    np.testing.assert_allclose(ref_dq, dq[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ref_dhs, dv, rtol=1e-10, atol=1e-12)


def test_attention_backward_reference_passes_the_gradient_check():
    rng = np.random.default_rng(1)
    q, hs = rng.normal(size=(2, 5)), rng.normal(size=(2, 3, 5))
    errors = gradcheck.check_function_gradient(
        lambda a, b: lesson08.attention_reference(a, b)[1],
        lesson08.attention_backward_reference, q, hs, verbose=False)
    assert max(errors.values()) < lesson08.GRADIENT_OK, errors


def test_the_greedy_loop_around_a_seq2seq_step_is_generate():
    """The learner's loop, given a Seq2Seq's own step, answers as Seq2Seq.generate."""
    model = Seq2Seq(13, 13, 8, 16, peeky=True, seed=3)
    x = np.random.default_rng(2).integers(0, 13, (5, 7))
    enc_seq, keys, states = model.encode(x)

    def step(tokens, hc):   # the LSTM's state [h, c] as one (N, 2H) array
        logits, (h, c) = model.step(np.asarray(tokens), np.split(hc, 2, axis=1), enc_seq, keys,
                                    states[0])
        return logits, np.concatenate([h, c], axis=1)

    got = greedy_right(step, np.concatenate(states, axis=1), 12, 4)
    np.testing.assert_array_equal(got, model.generate(x, 12, 4))


def test_a_large_score_overflow_is_named(capsys):
    result = ex.check_attention_forward(
        lambda q, hs: attention_forward(q, hs, norm=naive_softmax))
    assert not result and "largest score" in result.hint


@pytest.mark.parametrize("bad", [lambda y: (y[:, :-1], y[:, 2:])])
def test_a_shift_of_two_is_wrong(bad, capsys):
    assert not ex.check_teacher_forcing_pair(bad)
