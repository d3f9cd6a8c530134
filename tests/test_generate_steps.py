"""lm.generate steps a plain model one token at a time with the step kernels; the scores
are those of model.forward on the whole sequence."""

import numpy as np
import pytest
from numerics import assert_close

from rnnlesson import lm
from rnnlesson.layers import GRU, LSTM, Dense, Dropout, Embedding, Layer, SimpleRNN, TiedDense
from rnnlesson.lm import _carried_state, _Stepper
from rnnlesson.models import Sequential

V = 13


def _models(dtype):
    emb = Embedding(V, 6, dtype=dtype, seed=0)
    yield "lstm-tied-softmax", Sequential([
        emb, LSTM(6, return_sequences=True, dtype=dtype, seed=1),
        Dropout(0.3, dtype=dtype, seed=2), TiedDense(emb, activation="softmax")])
    yield "gru-two-layers", Sequential([
        Embedding(V, 5, dtype=dtype, seed=0), GRU(7, return_sequences=True, dtype=dtype, seed=1),
        LSTM(4, return_sequences=True, dtype=dtype, seed=3), Dense(V, dtype=dtype, seed=2)])
    yield "gru-reset-before", Sequential([
        Embedding(V, 5, dtype=dtype, seed=0),
        GRU(7, reset_after=False, return_sequences=True, dtype=dtype, seed=1),
        Dense(V, dtype=dtype, seed=2)])
    yield "rnn-relu", Sequential([
        Embedding(V, 5, dtype=dtype, seed=0),
        SimpleRNN(8, "relu", return_sequences=True, dtype=dtype, seed=1),
        Dense(V, activation="softmax", dtype=dtype, seed=2)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_each_step_gives_the_scores_of_the_whole_sequence(dtype):
    ids = np.random.default_rng(0).integers(0, V, 12)
    for name, model in _models(dtype):
        model.build((None, 12))
        whole = model.predict(ids[None, :])[0]                      # (T, V)
        with _carried_state(model):
            model.forward(ids[None, :3], training=False)             # a prompt of 3
            stepper = _Stepper.for_model(model)
            assert stepper is not None, name
            steps = np.stack([stepper(int(t)) for t in ids[3:]])
        terms = 12 * 20   # T steps of sums of D + H + 1 terms, and the output's H + 1
        assert_close(steps, whole[3:], dtype=dtype, terms=terms, what=name)


class _Identity(Layer):
    uses_randomness = False

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, training=False):
        self._ensure_built(np.shape(x))
        return np.array(x, dtype=self.dtype)


def test_other_layers_go_through_model_forward():
    model = Sequential([Embedding(V, 5, seed=0), _Identity(),
                        LSTM(6, return_sequences=True, seed=1), Dense(V, seed=2)])
    model.build((None, 4))
    with _carried_state(model):
        model.forward(np.array([[1, 2]]), training=False)
        assert _Stepper.for_model(model) is None
    plain = Sequential([Embedding(V, 5, seed=0), LSTM(6, return_sequences=True, seed=1),
                        Dense(V, seed=2)])
    plain.build((None, 4))
    a = lm.generate(model, [1, 2], 25, temperature=0.7, seed=3)
    b = lm.generate(plain, [1, 2], 25, temperature=0.7, seed=3)
    assert a == b  # the same network through either path: the same text


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_greedy_equals_rerunning_the_prefix(index):
    name, model = list(_models("float64"))[index]
    model.build((None, 4))
    prompt = [3, 1, 4]
    got = lm.generate(model, prompt, 15, temperature=0)
    seq = list(prompt)
    for _ in range(15):
        seq.append(int(np.argmax(model.predict(np.array([seq]))[0, -1])))
    assert got == seq[3:], name
