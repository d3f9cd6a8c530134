"""The exercises of lesson 03: right answers and typical mistakes for every checker (run
through the common tests in test_exercises_harness.py), the references against the
layers, and the parameter-count checker's choice of hint when D equals H."""

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


# ------------------------------------------------------------------ output shapes
def right_shape(shape, units, rs):
    n, t, _ = shape
    return (n, t, units) if rs else (n, units)


def test_output_shape_matches_the_layer():
    for rs in (False, True):
        layer = SimpleRNN(16, return_sequences=rs)
        assert layer.compute_output_shape((None, 50, 1)) == right_shape((None, 50, 1), 16, rs)


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
    Exercise(exercises.check_output_shape, "output_shape", right_shape, [
        Mistake(lambda shape, units, rs: (shape[0], units), "time axis stays"),
        Mistake(lambda shape, units, rs: (shape[0], shape[1], units), "only the last state"),
        Mistake(lambda shape, units, rs: (shape[0], shape[1], shape[2]) if rs
                else (shape[0], shape[2]), "feature size D"),
    ], float32=False),
    Exercise(exercises.check_return_sequences, "choose_return_sequences",
             lambda n: [True] * (n - 1) + [False], [
                 Mistake(lambda n: [True] * n, "classify every time step"),
                 Mistake(lambda n: [False] * n, "must hand it the whole sequence"),
                 Mistake(lambda n: [True] * (n - 1), "flags; expected"),
             ], float32=False),
]
