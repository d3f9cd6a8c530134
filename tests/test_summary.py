"""``Sequential.summary()`` prints Keras 3's table with Keras's exact parameter counts.

The expected strings below were written from Keras 3.15's own output for the same
model (``keras.Sequential([...]).summary()`` in an 80-column terminal or Jupyter);
tests/test_keras_parity.py also compares against a live Keras when it is installed.
"""

import numpy as np
import pytest

from rnnlesson.layers import GRU, LSTM, Dense, Dropout, Embedding, Flatten, SimpleRNN
from rnnlesson.models import Sequential

LESSON_SUMMARY = """\
Model: "imdb_rnn"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ embedding (Embedding)           │ (None, 500, 32)        │       320,000 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ simple_rnn (SimpleRNN)          │ (None, 32)             │         2,080 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 1)              │            33 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 322,113 (1.23 MB)
 Trainable params: 322,113 (1.23 MB)
 Non-trainable params: 0 (0.00 B)"""


def lesson_model(**kwargs):
    return Sequential([
        Embedding(10000, 32, input_shape=(500,), name="embedding", seed=0),
        SimpleRNN(32, name="simple_rnn", seed=1),
        Dense(1, activation="sigmoid", name="dense", seed=2),
    ], name="imdb_rnn", **kwargs)


def test_lesson_model_summary_is_keras_table_exactly():
    assert lesson_model().summary(return_string=True) == LESSON_SUMMARY


def test_summary_count_lines_and_rows():
    lines = lesson_model().summary(return_string=True).splitlines()
    assert " Total params: 322,113 (1.23 MB)" in lines
    assert " Trainable params: 322,113 (1.23 MB)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    rows = [line for line in lines if line.startswith("│")]
    assert [r.split("│")[3].strip() for r in rows] == ["320,000", "2,080", "33"]
    assert [r.split("│")[2].strip() for r in rows] == ["(None, 500, 32)", "(None, 32)", "(None, 1)"]


def test_summary_prints_and_print_fn_gets_the_same_text(capsys):
    model = lesson_model()
    assert model.summary() is None
    printed = capsys.readouterr().out
    assert printed == LESSON_SUMMARY + "\n"
    got = []
    model.summary(print_fn=got.append)
    assert got == [LESSON_SUMMARY]


def test_unbuilt_model_shows_question_marks_as_keras():
    model = Sequential([SimpleRNN(4, name="rnn"), Dense(1, name="out")], name="m")
    text = model.summary(return_string=True)
    assert "│ rnn (SimpleRNN)                 │ ?                      │   0 (unbuilt) │" in text
    assert " Total params: 0 (0.00 B)" in text
    model.build((None, 7, 3))
    text = model.summary(return_string=True)
    assert "│ rnn (SimpleRNN)                 │ (None, 4)              │            32 │" in text
    assert " Total params: 37 (148.00 B)" in text


def test_float64_bytes_and_non_trainable_lines():
    model = Sequential([
        Embedding(50, 8, input_shape=(12,), dtype="float64", trainable=False, name="emb"),
        LSTM(16, dtype="float64", name="lstm"),
        Dense(3, dtype="float64", name="head"),
    ])
    text = model.summary(return_string=True)
    n_emb, n_lstm, n_head = 50 * 8, 4 * (16 * (16 + 8) + 16), 16 * 3 + 3
    assert f" Total params: {n_emb + n_lstm + n_head:,} (" in text
    assert f" Trainable params: {n_lstm + n_head:,} ({(n_lstm + n_head) * 8 / 1024:.2f} KB)" in text
    assert f" Non-trainable params: {n_emb:,} ({n_emb * 8 / 1024:.2f} KB)" in text
    assert model.count_params() == n_emb + n_lstm + n_head


def test_long_names_widen_the_table_instead_of_breaking_it():
    model = Sequential([Dense(2, input_shape=(3,), name="a_really_long_layer_name_for_testing_x")])
    lines = model.summary(return_string=True).splitlines()
    table = [line for line in lines[1:] if line[:1] in "┏┃┡│├└"]
    assert len({len(line) for line in table}) == 1
    assert any("a_really_long_layer_name_for_testing_x (Dense)" in line for line in table)


def test_sequence_shapes_in_summary():
    model = Sequential([
        Embedding(100, 8, input_shape=(20,), name="e"),
        GRU(6, return_sequences=True, name="g"),
        Dropout(0.5, name="d"),
        Dense(100, name="logits"),
    ])
    rows = [line.split("│") for line in model.summary(return_string=True).splitlines()
            if line.startswith("│")]
    assert [r[2].strip() for r in rows] == ["(None, 20, 8)", "(None, 20, 6)", "(None, 20, 6)",
                                            "(None, 20, 100)"]
    assert [r[3].strip() for r in rows] == ["800", f"{3 * (6 * (6 + 8) + 2 * 6)}", "0", "700"]


def test_flatten_shape():
    model = Sequential([Flatten(input_shape=(5, 4), name="f"), Dense(2, name="d")])
    assert model.output_shape == (None, 2)
    assert "(None, 20)" in model.summary(return_string=True)


# ---------------------------------------------------------------- parameter formulas
GRID = [(1, 1), (1, 32), (3, 7), (8, 16), (32, 32), (100, 64), (5, 128)]


@pytest.mark.parametrize("d,h", GRID)
def test_simple_rnn_param_count(d, h):
    model = Sequential([SimpleRNN(h, input_shape=(10, d))])
    assert model.count_params() == h * (h + d) + h


@pytest.mark.parametrize("d,h", GRID)
def test_lstm_param_count(d, h):
    model = Sequential([LSTM(h, input_shape=(10, d))])
    assert model.count_params() == 4 * (h * (h + d) + h)


@pytest.mark.parametrize("d,h", GRID)
def test_gru_param_count(d, h):
    model = Sequential([GRU(h, input_shape=(10, d))])
    assert model.count_params() == 3 * (h * (h + d) + 2 * h)
    old = Sequential([GRU(h, reset_after=False, input_shape=(10, d))])
    assert old.count_params() == 3 * (h * (h + d) + h)


def test_keras_issue_9603_number():
    # LSTM(256) on one feature per step: 4 * (256 * (256 + 1) + 256) = 264,192 parameters.
    model = Sequential([LSTM(256, input_shape=(None, 1), name="lstm")])
    assert "264,192" in model.summary(return_string=True)
    assert model.count_params() == 264_192


def test_summary_counts_match_weights():
    model = lesson_model()
    assert model.count_params() == sum(w.size for w in model.get_weights()) == 322_113
    assert np.isclose(sum(w.nbytes for w in model.get_weights()) / 1024**2, 1.2288, atol=1e-4)
