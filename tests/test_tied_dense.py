"""TiedDense: an output layer whose kernel is an Embedding's matrix, transposed."""

import numpy as np
import pytest

from rnnlesson.gradcheck import check_function_gradient, rel_error
from rnnlesson.layers import LSTM, Dense, Embedding, TiedDense
from rnnlesson.losses import SparseCategoricalCrossentropy
from rnnlesson.models import Sequential, load_model
from rnnlesson.optimizers import SGD, Adam

V, E = 9, 5


def _tied(dtype="float64", softmax=False, seed=0):
    emb = Embedding(V, E, dtype=dtype, seed=seed, name="emb")
    model = Sequential([emb, LSTM(E, return_sequences=True, dtype=dtype, seed=seed + 1,
                                  name="lstm"),
                        TiedDense(emb, activation="softmax" if softmax else None, name="tied")])
    model.build((None, 6))
    rng = np.random.default_rng(seed)
    # a non-zero bias, so that a bias gradient routed wrongly shows; embeddings of order 1
    # (not Keras's +-0.05), so that the LSTM's weight gradients are not tiny numbers that
    # central differences can only measure to ~1e-12 absolute
    model.layers[-1].set_weights([rng.normal(size=V)])
    emb.set_weights([rng.normal(size=(V, E))])
    return model


def _data(n=3, t=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, V, (n, t)), rng.integers(0, V, (n, t))


def _loss_and_grads(model, loss, x, y):
    value = loss.forward(model.forward(x, training=True), y)
    model.backward(loss.backward())
    return value, {k: g.copy() for k, g in model.grads.items()}


def test_forward_is_the_embedding_matrix_transposed():
    model = _tied()
    emb, tied = model.layers[0], model.layers[-1]
    h = np.random.default_rng(1).normal(size=(2, 4, E))
    want = h @ emb.params["embeddings"].T + tied.params["bias"]
    np.testing.assert_allclose(tied.forward(h), want, rtol=0, atol=1e-12)
    assert tied.forward(h[:, 0]).shape == (2, V)        # (N, E) works too
    assert tied.compute_output_shape((None, 35, E)) == (None, 35, V)


@pytest.mark.parametrize("softmax", [False, True])
def test_gradient_check_of_the_whole_tied_model(softmax):
    """Every weight of Embedding -> LSTM -> TiedDense against central differences
    (Richardson-extrapolated), with a random upstream gradient on the scores."""
    model = _tied(softmax=softmax, seed=2)
    x, _ = _data(seed=3)
    names = list(model.params)

    def forward(*weights):
        for p, w in zip(model.params.values(), weights, strict=True):
            p[...] = w
        return model.forward(x, training=True)

    def backward(dout):
        model.backward(dout)
        return [g.copy() for g in model.grads.values()]

    errors = check_function_gradient(forward, backward, *model.params.values(), names=names,
                                     verbose=False)
    assert set(errors) == {"emb/embeddings", "lstm/kernel", "lstm/recurrent_kernel",
                           "lstm/bias", "tied/bias"}
    assert max(errors.values()) < 1e-7, errors


def test_the_gradient_check_sees_a_missing_share():
    """Control: without the tied share added, the same check fails on the matrix."""
    model = _tied(seed=2)
    x, _ = _data(seed=3)

    def forward(w):
        model.params["emb/embeddings"][...] = w
        return model.forward(x, training=True)

    def backward(dout):
        model.backward(dout)
        return model.grads["emb/embeddings"] - model.layers[-1].shared_grad

    err = check_function_gradient(forward, backward, model.params["emb/embeddings"],
                                  verbose=False)["x"]
    assert err > 1e-3


def test_the_matrix_gets_the_sum_of_both_gradients():
    tied = _tied(seed=4)
    emb = tied.layers[0]
    untied = Sequential([Embedding(V, E, dtype="float64", name="emb"),
                         LSTM(E, return_sequences=True, dtype="float64", name="lstm"),
                         Dense(V, dtype="float64", name="dense")])
    untied.build((None, 6))
    w = emb.get_weights()[0]
    untied.set_weights([w] + tied.layers[1].get_weights() + [w.T, tied.layers[2].params["bias"]])
    loss = SparseCategoricalCrossentropy(from_logits=True)
    x, y = _data(seed=5)
    v_tied, g_tied = _loss_and_grads(tied, loss, x, y)
    v_untied, g_untied = _loss_and_grads(untied, loss, x, y)
    assert v_tied == pytest.approx(v_untied, rel=1e-12)
    both = g_untied["emb/embeddings"]
    np.testing.assert_allclose(g_tied["emb/embeddings"], both + g_untied["dense/kernel"].T,
                               rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(g_tied["tied/bias"], g_untied["dense/bias"], rtol=1e-12)
    # the embedding's own share alone differs: the tie really added something
    assert rel_error(both, g_tied["emb/embeddings"]) > 1e-3


def test_backward_twice_gives_the_same_gradient_not_twice_it():
    model = _tied(seed=6)
    loss = SparseCategoricalCrossentropy(from_logits=True)
    x, y = _data(seed=7)
    _, first = _loss_and_grads(model, loss, x, y)
    _, second = _loss_and_grads(model, loss, x, y)
    for k in first:
        np.testing.assert_array_equal(first[k], second[k])


def test_the_optimizer_sees_the_shared_matrix_once():
    model = _tied(dtype="float32")
    emb, tied = model.layers[0], model.layers[-1]
    assert list(tied.params) == ["bias"]
    assert sum(p is emb.params["embeddings"] for p in model.params.values()) == 1
    assert len(model.get_weights()) == len(model.params) == 5
    assert model.count_params() == V * E + 4 * E * (2 * E + 1) + V
    # one SGD step moves the matrix by lr times the summed gradient, exactly once
    model.compile(optimizer=SGD(learning_rate=0.1),
                  loss=SparseCategoricalCrossentropy(from_logits=True))
    x, y = _data(seed=8)
    before = emb.params["embeddings"].copy()
    model.train_on_batch(x, y)
    step = before - emb.params["embeddings"]
    np.testing.assert_allclose(step, 0.1 * emb.grads["embeddings"], rtol=1e-5, atol=1e-7)


def test_summary_counts_the_shared_matrix_once_and_says_so():
    model = _tied(dtype="float32")
    text = model.summary(return_string=True)
    row = next(line for line in text.splitlines() if "tied (TiedDense)" in line)
    assert row.rstrip("│ ").endswith(f"{V}")
    total = V * E + 4 * E * (2 * E + 1) + V
    assert f"Total params: {total:,}" in text
    assert "shares the 45 weights of" in text and "counted once" in text
    assert all(len(line) <= 76 for line in text.splitlines())
    untied = Sequential([Embedding(V, E), Dense(V)])
    untied.build((None, 4))
    assert "Note:" not in untied.summary(return_string=True)


def test_save_and_load_keep_the_tie(tmp_path):
    model = _tied(dtype="float32", seed=9)
    model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True))
    x, y = _data(seed=10)
    model.train_on_batch(x, y)
    path = model.save(tmp_path / "tied.npz")
    loaded = load_model(path)
    emb, tied = loaded.layers[0], loaded.layers[-1]
    assert isinstance(tied, TiedDense) and tied.embedding is emb
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # the tie is live: changing the embedding changes the scores
    before = loaded.predict(x)
    emb.params["embeddings"][0] += 1.0
    assert not np.allclose(loaded.predict(x), before)
    assert loaded.summary(return_string=True).count("Note:") == 1
    loaded.train_on_batch(x, y)  # and it trains


def test_bad_input_is_explained():
    with pytest.raises(TypeError, match="expects the Embedding layer"):
        TiedDense(Dense(3))
    with pytest.raises(TypeError, match="got str"):
        TiedDense("embedding")
    emb = Embedding(V, E)
    with pytest.raises(ValueError, match=r"needs E = 5 features.*got \(None, 6, 7\)"):
        Sequential([emb, LSTM(7, return_sequences=True), TiedDense(emb)]).build((None, 6))
    other = Embedding(V, E)
    with pytest.raises(ValueError, match="not in this model before it"):
        Sequential([Embedding(V, E), LSTM(E, return_sequences=True), TiedDense(other)])
    with pytest.raises(ValueError, match="float32"):
        TiedDense(Embedding(V, E), dtype="float64")
    with pytest.raises(TypeError, match="use_bias"):
        TiedDense(emb, use_bias="yes")
    with pytest.raises(TypeError):
        TiedDense(emb, False)  # options are keyword-only


def test_a_tied_model_learns():
    emb = Embedding(V, 8, seed=0)
    model = Sequential([emb, LSTM(8, return_sequences=True, seed=1), TiedDense(emb)])
    model.compile(optimizer=Adam(learning_rate=0.02),
                  loss=SparseCategoricalCrossentropy(from_logits=True))
    ids = np.arange(400) % V                    # a cycle: each id predicts the next
    x = np.stack([ids[k:k + 10] for k in range(0, 380, 5)])
    y = (x + 1) % V
    first = model.evaluate(x, y)
    model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert model.evaluate(x, y) < 0.5 * first
