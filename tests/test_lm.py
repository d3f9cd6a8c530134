"""rnnlesson.lm: windows for truncated BPTT, perplexity and sampling."""

import numpy as np
import pytest

from rnnlesson import lm
from rnnlesson.layers import LSTM, Dense, Embedding, SimpleRNN
from rnnlesson.models import Sequential

V = 7


def _model(stateful=False, softmax=False, seed=0):
    return Sequential([
        Embedding(V, 5, seed=seed),
        LSTM(6, return_sequences=True, stateful=stateful, seed=seed + 1),
        Dense(V, activation="softmax" if softmax else None, seed=seed + 2),
    ])


# ------------------------------------------------------------------ lm_batches
def test_windows_follow_each_stream_at_evenly_spaced_offsets():
    ids = list(range(23))                      # (23 - 1) // 2 = 11 steps per stream
    windows = list(lm.lm_batches(ids, batch_size=2, seq_len=4))
    assert len(windows) == 2                   # 11 // 4: the partial third window is dropped
    (x0, y0), (x1, y1) = windows
    np.testing.assert_array_equal(x0, [[0, 1, 2, 3], [11, 12, 13, 14]])
    np.testing.assert_array_equal(x1, [[4, 5, 6, 7], [15, 16, 17, 18]])
    for x, y in windows:
        assert x.shape == y.shape == (2, 4) and x.dtype.kind == "i"
        np.testing.assert_array_equal(y, x + 1)   # the token after each token


def test_windows_take_arrays_and_refuse_what_cannot_be_windowed():
    arr = np.arange(50) % V
    assert len(list(lm.lm_batches(arr, 4, 3))) == (49 // 4) // 3
    with pytest.raises(ValueError, match="at least B \\* T \\+ 1 = 41"):
        next(lm.lm_batches(np.arange(40), 4, 10))
    with pytest.raises(ValueError, match="1-D"):
        next(lm.lm_batches(np.zeros((3, 4), int), 1, 2))
    with pytest.raises(TypeError, match="integer token ids"):
        next(lm.lm_batches(np.linspace(0, 1, 30), 1, 2))
    with pytest.raises(ValueError, match="batch_size"):
        next(lm.lm_batches(arr, 0, 3))


# ------------------------------------------------------------------ perplexity
@pytest.mark.parametrize("softmax", [False, True])
def test_a_uniform_model_has_perplexity_v(softmax):
    model = _model(softmax=softmax)
    model.build((None, 10))
    dense = model.layers[-1]
    dense.set_weights([np.zeros_like(w) for w in dense.get_weights()])
    ids = np.random.default_rng(0).integers(0, V, 200)
    assert lm.perplexity(model, ids, batch_size=3, seq_len=10) == pytest.approx(V, rel=1e-6)


@pytest.mark.parametrize("softmax", [False, True])
def test_perplexity_carries_the_state_across_windows(softmax):
    ids = np.random.default_rng(1).integers(0, V, 300)
    model = _model(softmax=softmax)
    model.build((None, 8))
    ref = _model(stateful=True, softmax=softmax)   # the same network, stateful, by hand
    ref.build((None, 8))
    ref.set_weights(model.get_weights())
    nll, n = 0.0, 0
    for x, y in lm.lm_batches(ids, 4, 8):
        out = ref.predict(x, batch_size=4).astype(np.float64)
        if softmax:
            logp = np.log(out)
        else:
            out -= out.max(-1, keepdims=True)
            logp = out - np.log(np.exp(out).sum(-1, keepdims=True))
        nll -= np.take_along_axis(logp, y[..., None], -1).sum()
        n += y.size
    got = lm.perplexity(model, ids, 4, 8)
    assert got == pytest.approx(np.exp(nll / n), rel=1e-5)
    reset_every_window = np.exp(np.mean([
        np.log(lm.perplexity(model, np.concatenate([x[k], y[k, -1:]]), 1, 8))
        for x, y in lm.lm_batches(ids, 4, 8) for k in range(4)]))
    assert got != pytest.approx(reset_every_window, rel=1e-6)  # the carried state matters
    rec = model.layers[1]
    assert rec.stateful is False and rec.states is None      # left as found


def test_perplexity_leaves_a_stateful_models_state_alone():
    model = _model(stateful=True)
    model.predict(np.zeros((2, 5), int), batch_size=2)
    before = [s.copy() for s in model.layers[1].states]
    lm.perplexity(model, np.arange(100) % V, 4, 5)
    after = model.layers[1].states
    assert model.layers[1].stateful is True
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ generate
def _greedy_by_rerunning(model, prompt, length):
    """The slow reference: run the whole prefix again for every new token."""
    seq = list(prompt)
    for _ in range(length):
        seq.append(int(np.argmax(model.predict(np.array([seq]))[0, -1])))
    return seq[len(prompt):]


@pytest.mark.parametrize("softmax", [False, True])
def test_greedy_generation_equals_rerunning_the_prefix(softmax):
    model = _model(softmax=softmax, seed=3)
    prompt = [1, 4, 2]
    got = lm.generate(model, prompt, 12, temperature=0)
    assert got == _greedy_by_rerunning(model, prompt, 12)
    assert lm.generate(model, prompt, 12, top_k=1) == got
    assert len(lm.generate(model, prompt, 0)) == 0


def test_generation_leaves_the_state_and_is_reproducible():
    model = _model(stateful=True, seed=4)
    model.predict(np.zeros((3, 5), int), batch_size=3)
    before = [s.copy() for s in model.layers[1].states]
    a = lm.generate(model, [2], 40, temperature=1.0, seed=11)
    b = lm.generate(model, [2], 40, temperature=1.0, seed=11)
    c = lm.generate(model, [2], 40, temperature=1.0, seed=12)
    assert a == b and a != c and all(0 <= t < V for t in a)
    for s0, s1 in zip(before, model.layers[1].states, strict=True):
        np.testing.assert_array_equal(s0, s1)
    assert model.layers[1].stateful is True


def _fixed_distribution_model(p):
    """A model whose next-token distribution is p whatever it reads (zero kernels)."""
    model = Sequential([Embedding(len(p), 3, seed=0), SimpleRNN(4, return_sequences=True, seed=1),
                        Dense(len(p), seed=2)])
    model.build((None, 1))
    model.layers[-1].set_weights([np.zeros((4, len(p))), np.log(p)])
    return model


def test_sampling_follows_temperature_and_top_k():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    model = _fixed_distribution_model(p)
    n = 4000
    for temperature in (1.0, 0.5, 2.0):
        ids = lm.generate(model, [0], n, temperature=temperature, seed=0)
        q = p ** (1 / temperature)
        q /= q.sum()
        freq = np.bincount(ids, minlength=4) / n
        # each frequency within 4 standard errors of its expected value
        assert np.all(np.abs(freq - q) < 4 * np.sqrt(q * (1 - q) / n) + 1e-12), (temperature, freq)
    ids = lm.generate(model, [0], n, top_k=2, seed=1)
    freq = np.bincount(ids, minlength=4) / n
    assert freq[2] == freq[3] == 0
    assert abs(freq[0] - 0.5 / 0.8) < 4 * np.sqrt(0.625 * 0.375 / n)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"temperature": -0.5}, ValueError, "temperature"),
    ({"top_k": 0}, ValueError, "top_k"),
    ({"top_k": 1.5}, ValueError, "top_k"),
    ({"length": -1}, ValueError, "length"),
    ({"prompt_ids": []}, ValueError, "at least one token"),
    ({"prompt_ids": [V]}, ValueError, "outside the model's vocabulary"),
    ({"seed": "x"}, TypeError, "seed"),
])
def test_generate_refuses_bad_arguments(kwargs, error, match):
    args = {"prompt_ids": [1], "length": 3, **kwargs}
    with pytest.raises(error, match=match):
        lm.generate(_model(), **args)
