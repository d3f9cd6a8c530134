"""The exercises of lesson 03: right answers and typical mistakes for every checker (run
through the common tests in test_exercises_harness.py), the references against the
layers, and the parameter-count checker's choice of hint when D equals H."""

import numpy as np
import pytest
from exercise_table import Exercise, Mistake

from rnnlesson import exercises
from rnnlesson.exercises.harness import Formula, Wrong, check_counts
from rnnlesson.layers import GRU, LSTM, Dense, Embedding, SimpleRNN


# ------------------------------------------------------------------ parameter counts
def right_count(layer, d, h):
    return {"simple_rnn": h * (h + d) + h, "lstm": 4 * (h * (h + d) + h),
            "gru": 3 * (h * (h + d) + 2 * h), "dense": d * h + h, "embedding": d * h}[layer]


def test_reference_counts_agree_with_the_layers():
    """The checker's formulas are the layers' own counts, not numbers written twice."""
    for layer, make in [("simple_rnn", SimpleRNN), ("lstm", LSTM), ("gru", GRU)]:
        for d, h in [(1, 16), (32, 32), (5, 7)]:
            lyr = make(h)
            lyr.build((None, 10, d))
            assert right_count(layer, d, h) == lyr.count_params()
            assert exercises.lesson03._reference_count(layer, d, h) == lyr.count_params()
    dense = Dense(10)
    dense.build((None, 64))
    assert right_count("dense", 64, 10) == dense.count_params()
    emb = Embedding(10000, 32)
    emb.build((None, 5))
    assert right_count("embedding", 10000, 32) == emb.count_params()


def only_for(kind, wrong):
    """A learner who gets every layer right but ``kind``, where they write ``wrong``."""
    return lambda layer, d, h: wrong(d, h) if layer == kind else right_count(layer, d, h)


@pytest.mark.parametrize("wrong, words, not_words", [
    (only_for("simple_rnn", lambda d, h: h * d + h), "recurrent kernel (H, H) is missing",
     "input kernel"),
    (only_for("simple_rnn", lambda d, h: h * h + h), "input kernel (D, H) is missing",
     "recurrent kernel"),
])
def test_param_count_tells_mistakes_apart_when_d_equals_h(wrong, words, not_words, capsys):
    """The first case, SimpleRNN(32) on 32 inputs, has D == H: leaving out the input kernel
    and leaving out the recurrent kernel both give 1,056 there. The hint must still name
    the mistake the learner made, found from the formula over all the cases."""
    result = exercises.check_layer_param_count(wrong)
    out = capsys.readouterr().out
    assert not result and "param_count('simple_rnn', 32, 32) = 1056" in out
    assert words in out and not_words not in out, out


def test_counts_that_only_d_equals_h_cannot_tell_apart_name_both():
    mistakes = [Formula("no recurrent kernel", lambda d, h: h * d + h, "Add (H, H)."),
                Formula("no input kernel", lambda d, h: h * h + h, "Add (D, H).")]
    with pytest.raises(Wrong) as info:
        check_counts(lambda d, h: h * d + h, [(8, 8), (4, 4)], lambda d, h: h * (h + d) + h,
                     mistakes, show=lambda d, h: f"count({d}, {h})", hint="")
    assert "no recurrent kernel" in info.value.message and "no input kernel" in info.value.message
    assert "Add (H, H)." in info.value.hint and "Add (D, H)." in info.value.hint


def test_param_count_accepts_an_integral_float_with_a_note(capsys):
    result = exercises.check_layer_param_count(
        lambda layer, d, h: float(right_count(layer, d, h)))
    out = capsys.readouterr().out
    assert result.correct and "Note:" in out and "2080.0" in out and "int" in out, out
    # an int answer gets no note
    exercises.check_layer_param_count(right_count)
    assert "Note:" not in capsys.readouterr().out


# ------------------------------------------------------------------ embedding, sigmoid + BCE
def embedding_right(ids, dout, V):
    dE = np.zeros((V, dout.shape[-1]))
    np.add.at(dE, ids, dout)
    return dE


def embedding_last_wins(ids, dout, V):
    dE = np.zeros((V, dout.shape[-1]))
    dE[ids] += dout
    return dE


def embedding_no_padding(ids, dout, V):
    dE = embedding_right(ids, dout, V)
    dE[0] = 0.0
    return dE


def embedding_mean(ids, dout, V):
    counts = np.bincount(ids.ravel(), minlength=V)[:, None]
    return embedding_right(ids, dout, V) / np.maximum(counts, 1)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def bce_right(z, y):
    return np.mean(np.logaddexp(0.0, z) - y * z), (sigmoid(z) - y) / len(z)


def bce_naive(z, y):
    p = sigmoid(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), (p - y) / len(z)


def bce_grad(grad):
    return lambda z, y: (bce_right(z, y)[0], grad(sigmoid(z), y, len(z)))


def test_references_agree_with_the_package_layers_and_loss():
    from rnnlesson.exercises import lesson03
    from rnnlesson.losses import BinaryCrossentropy

    ids, dout = lesson03._embedding_case(1, 3, 6, 8, 4)
    emb = Embedding(8, 4, dtype="float64")
    emb.build((None, 6))
    emb.forward(ids)
    emb.backward(dout)
    np.testing.assert_allclose(lesson03._ref_embedding_backward(ids, dout, 8),
                               emb.grads["embeddings"], rtol=1e-12, atol=1e-14)
    for big in (False, True):
        z, y = lesson03._bce_case(2, 7, big)
        loss = BinaryCrossentropy(from_logits=True)
        want = loss.forward(z, y)
        got_loss, got_dz = lesson03._ref_bce(z, y)
        np.testing.assert_allclose(got_loss, want, rtol=1e-12)
        np.testing.assert_allclose(got_dz, loss.backward(), rtol=1e-10, atol=1e-15)


EXERCISES = [
    Exercise(exercises.check_layer_param_count, "param_count", right_count, [
        Mistake(lambda layer, d, h: right_count(layer, d, h) - (h if layer != "embedding" else 0),
                "bias"),
        Mistake(lambda layer, d, h: h * (h + d) + h if layer in ("lstm", "gru")
                else right_count(layer, d, h), "gates"),
        Mistake(lambda layer, d, h: 3 * (h * (h + d) + h) if layer == "gru"
                else right_count(layer, d, h), "one bias per GRU gate"),
        Mistake(only_for("embedding", lambda d, h: d * h + h), "Embedding has no bias"),
        Mistake(lambda layer, d, h: right_count(layer, d, h) + 0.5, "whole number"),
        Mistake(lambda layer, d, h: True, "not a number"),
    ], float32=False),
    Exercise(exercises.check_embedding_backward, "embedding_backward", embedding_right, [
        Mistake(embedding_last_wins, "gets only one of its gradients"),
        Mistake(embedding_no_padding, "padding row 0"),
        Mistake(embedding_mean, "*mean*"),
        Mistake(lambda ids, dout, V: dout, "the table's shape", numeric=False),
    ]),
    Exercise(exercises.check_bce_with_logits, "bce_with_logits", bce_right, [
        Mistake(bce_naive, "overflowed", numeric=False),
        Mistake(bce_grad(lambda p, y, n: (y - p) / n), "sign is flipped"),
        Mistake(bce_grad(lambda p, y, n: p - y), "1/N of the mean"),
        Mistake(bce_grad(lambda p, y, n: (p - y) * p * (1 - p) / n), "extra factor"),
        Mistake(bce_grad(lambda p, y, n: (p - y) / (p * (1 - p)) / n), "derivative is missing"),
    ]),
]
