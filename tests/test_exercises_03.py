"""The lesson 03 checkers accept right answers, reject typical wrong ones, and wait for stubs."""

import pytest

from rnnlesson import exercises
from rnnlesson.layers import GRU, LSTM, Dense, Embedding, SimpleRNN


def _stub(*args):
    raise NotImplementedError


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
    dense = Dense(10)
    dense.build((None, 64))
    assert right_count("dense", 64, 10) == dense.count_params()
    emb = Embedding(10000, 32)
    emb.build((None, 5))
    assert right_count("embedding", 10000, 32) == emb.count_params()


def test_param_count_accepts_right_answer(capsys):
    assert exercises.check_layer_param_count(right_count) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (lambda layer, d, h: right_count(layer, d, h) - (h if layer != "embedding" else 0),
     "bias"),
    (lambda layer, d, h: h * (h + d) + h if layer in ("lstm", "gru") else right_count(layer, d, h),
     "gates"),
    (lambda layer, d, h: 3 * (h * (h + d) + h) if layer == "gru" else right_count(layer, d, h),
     "one bias per GRU gate"),
    (lambda layer, d, h: float(right_count(layer, d, h)), "whole number"),
])
def test_param_count_rejects_typical_mistakes(wrong, words, capsys):
    assert exercises.check_layer_param_count(wrong) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out


def test_param_count_stub_is_not_attempted(capsys):
    assert exercises.check_layer_param_count(_stub) is None
    assert "not attempted yet" in capsys.readouterr().out


# ------------------------------------------------------------------ output shapes
def right_shape(shape, units, rs):
    n, t, _ = shape
    return (n, t, units) if rs else (n, units)


def test_output_shape_matches_the_layer():
    for rs in (False, True):
        layer = SimpleRNN(16, return_sequences=rs)
        assert layer.compute_output_shape((None, 50, 1)) == right_shape((None, 50, 1), 16, rs)


def test_output_shape_accepts_right_answer(capsys):
    assert exercises.check_output_shape(right_shape) is True


@pytest.mark.parametrize("wrong, words", [
    (lambda shape, units, rs: (shape[0], units), "time axis stays"),
    (lambda shape, units, rs: (shape[0], shape[1], units), "only the last state"),
    (lambda shape, units, rs: (shape[0], shape[1], shape[2]) if rs else (shape[0], shape[2]),
     "feature size D"),
])
def test_output_shape_rejects_typical_mistakes(wrong, words, capsys):
    assert exercises.check_output_shape(wrong) is False
    assert words in capsys.readouterr().out


def test_output_shape_stub_is_not_attempted():
    assert exercises.check_output_shape(_stub) is None


# ------------------------------------------------------------------ return_sequences
def test_return_sequences_accepts_right_answer():
    assert exercises.check_return_sequences(lambda n: [True] * (n - 1) + [False]) is True


@pytest.mark.parametrize("wrong, words", [
    (lambda n: [True] * n, "classify every time step"),
    (lambda n: [False] * n, "must hand it the whole sequence"),
    (lambda n: [True] * (n - 1), "flags; expected"),
])
def test_return_sequences_rejects_typical_mistakes(wrong, words, capsys):
    assert exercises.check_return_sequences(wrong) is False
    assert words in capsys.readouterr().out


def test_return_sequences_stub_is_not_attempted():
    assert exercises.check_return_sequences(_stub) is None
