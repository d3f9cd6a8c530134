"""What is special to Dense, Embedding, Flatten and Dropout: their maths, initialisers and
Keras parity. What every layer must do is in test_layer_contract.py."""

import numpy as np
import pytest
from numerics import assert_close

from rnnlesson import activations
from rnnlesson.gradcheck import check_layer_gradients, numerical_gradient, rel_error
from rnnlesson.layers import Dense, Dropout, Embedding, Flatten


def f64(layer_cls, *args, **kw):
    return layer_cls(*args, dtype="float64", seed=kw.pop("seed", 0), **kw)


# ---------------------------------------------------------------- Dense
@pytest.mark.parametrize("activation", [None, "linear", "tanh", "sigmoid", "relu", "softmax"])
@pytest.mark.parametrize("shape", [(4, 5), (3, 6, 5)])
def test_dense_gradients(rng, activation, shape):
    layer = f64(Dense, 4, activation=activation)
    layer.build((None,) + shape[1:])
    layer.params["bias"][...] = rng.normal(size=4) * 0.1  # non-zero bias, so db is exercised
    errors = check_layer_gradients(layer, rng.normal(size=shape), verbose=False)
    assert set(errors) == {"input", "kernel", "bias"}
    assert max(errors.values()) < 1e-7, errors


def test_dense_forward_matches_formula(rng):
    layer = f64(Dense, 3, activation="tanh")
    x = rng.normal(size=(2, 7, 5))
    y = layer(x)
    assert y.shape == (2, 7, 3)
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, np.tanh(x @ w + b), rtol=1e-12)
    # the same weights at every time step
    np.testing.assert_allclose(y[:, 4], layer(x[:, 4]), rtol=1e-12)


def test_dense_softmax_rows_sum_to_one(rng):
    y = f64(Dense, 6, activation="softmax")(rng.normal(size=(5, 3)) * 10)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)


def test_dense_kernel_is_glorot_uniform():
    layer = Dense(200, seed=3)
    layer.build((None, 300))
    k = layer.params["kernel"]
    limit = np.sqrt(6 / (300 + 200))
    assert k.dtype == np.float32
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.95 * limit
    assert abs(k.std() - limit / np.sqrt(3)) < 0.01 * limit  # std of U(-l, l) is l / sqrt(3)
    assert not layer.params["bias"].any()
    assert layer.count_params() == 300 * 200 + 200


def test_dense_output_shape_and_config():
    layer = Dense(8, activation="relu", name="out")
    assert layer.compute_output_shape((None, 500, 32)) == (None, 500, 8)
    assert layer.compute_output_shape((None, 32)) == (None, 8)
    cfg = layer.get_config()
    assert cfg["units"] == 8 and cfg["activation"] == "relu" and cfg["name"] == "out"
    assert Dense(2).activation == "linear"  # None means linear, as Keras records it


# ---------------------------------------------------------------- Embedding
def test_embedding_lookup_and_shapes(rng):
    layer = f64(Embedding, 10, 4)
    ids = rng.integers(0, 10, size=(3, 6))
    y = layer(ids)
    assert y.shape == (3, 6, 4)
    np.testing.assert_array_equal(y[1, 2], layer.params["embeddings"][ids[1, 2]])
    assert layer.compute_output_shape((None, 500)) == (None, 500, 4)


def test_embedding_initializer_keras():
    layer = Embedding(10000, 32, seed=0)
    layer.build((None, 50))
    e = layer.params["embeddings"]
    assert e.shape == (10000, 32) and e.dtype == np.float32
    assert np.abs(e).max() <= 0.05 and np.abs(e).max() > 0.0499
    assert layer.count_params() == 320_000


def test_embedding_backward_equals_add_at_and_returns_none(rng):
    layer = f64(Embedding, 50, 8)
    ids = rng.integers(0, 50, size=(6, 20))
    layer(ids)
    dy = rng.normal(size=(6, 20, 8))
    dy0 = dy.copy()
    assert layer.backward(dy) is None
    expected = np.zeros((50, 8))
    np.add.at(expected, ids, dy)
    np.testing.assert_allclose(layer.grads["embeddings"], expected, rtol=1e-12, atol=1e-14)
    assert np.array_equal(dy, dy0)
    # rows never looked up get exactly zero gradient
    unused = np.setdiff1d(np.arange(50), ids)
    assert not layer.grads["embeddings"][unused].any()


def test_embedding_accepts_whole_floats(rng):
    layer = f64(Embedding, 5, 2)
    np.testing.assert_array_equal(layer(np.array([[1.0, 4.0]])), layer(np.array([[1, 4]])))


# ---------------------------------------------------------------- Flatten
def test_flatten_shapes(rng):
    layer = Flatten(dtype="float64")
    x = rng.normal(size=(2, 3, 4))
    y = layer(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y[1], x[1].ravel())
    assert layer.compute_output_shape((None, 3, 4)) == (None, 12)
    assert layer.compute_output_shape((None, None, 4)) == (None, None)
    dx = layer.backward(rng.normal(size=(2, 12)))
    assert dx.shape == (2, 3, 4)
    assert Flatten()(np.ones(3)).shape == (3, 1)  # Keras: (N,) -> (N, 1)


# ---------------------------------------------------------------- Dropout
def test_dropout_inference_is_identity(rng):
    layer = Dropout(0.5, dtype="float64", seed=0)
    x = rng.normal(size=(4, 6))
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(np.ones((4, 6))), np.ones((4, 6)))


def test_dropout_training_statistics():
    rate = 0.3
    layer = Dropout(rate, dtype="float64", seed=1)
    x = np.ones((200, 500))
    y = layer(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.005  # 100 000 draws: std of the mean ~0.0015
    np.testing.assert_allclose(y[kept], 1 / (1 - rate))  # inverted dropout scaling
    assert abs(y.mean() - 1.0) < 0.01  # expectation preserved
    dy = np.full_like(x, 2.0)
    np.testing.assert_array_equal(layer.backward(dy) != 0, kept)


def test_dropout_seeded_masks_reproducible_and_changing():
    a, b = Dropout(0.5, seed=9), Dropout(0.5, seed=9)
    x = np.ones((10, 10))
    m1, m2 = a(x, training=True), b(x, training=True)
    np.testing.assert_array_equal(m1, m2)
    assert not np.array_equal(a(x, training=True), m1)  # a fresh mask per call
    assert Dropout(0.0, seed=0)(x, training=True).tolist() == x.tolist()


def test_activation_table_matches_dense_softmax_backward(rng):
    # the Dense softmax backward relies on activations.softmax_backward: check it independently
    z = rng.normal(size=(3, 4))
    dy = rng.normal(size=(3, 4))

    def f():
        return float(np.sum(activations.softmax(z) * dy))

    num = numerical_gradient(f, z)
    assert rel_error(activations.softmax_backward(dy, activations.softmax(z)), num) < 1e-7


# ---------------------------------------------------------------- Keras parity
@pytest.fixture(scope="module")
def keras():
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras's torch-to-numpy conversion
@pytest.mark.parametrize("activation", ["linear", "tanh", "sigmoid", "relu", "softmax"])
def test_dense_equals_keras_with_the_same_weights(keras, rng, activation):
    x = rng.normal(size=(3, 4, 5)).astype("float32")
    ours = Dense(6, activation=activation, seed=0)
    ours.build((None, 4, 5))
    ours.params["bias"][...] = rng.normal(size=6)
    theirs = keras.layers.Dense(6, activation=activation)
    theirs.build((None, 4, 5))
    theirs.set_weights(ours.get_weights())
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in ours.get_weights()]
    theirs_y = keras.ops.convert_to_numpy(theirs(x))
    twin = Dense(6, activation=activation, dtype="float64")  # the float64 reference
    twin.build((None, 4, 5))
    twin.set_weights(ours.get_weights())
    ref = twin(x)
    for who, got in (("rnnlesson", ours(x)), ("keras", theirs_y)):
        assert_close(got, ref, dtype="float32", terms=5 + 1 + 6, what=who)  # D + bias + softmax


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_embedding_equals_keras_with_the_same_weights(keras, rng):
    ids = rng.integers(0, 20, size=(3, 7))
    ours = Embedding(20, 4, seed=0)
    ours.build((None, 7))
    theirs = keras.layers.Embedding(20, 4)
    theirs.build((None, 7))
    assert theirs.get_weights()[0].shape == ours.get_weights()[0].shape
    theirs.set_weights(ours.get_weights())
    np.testing.assert_array_equal(ours(ids), keras.ops.convert_to_numpy(theirs(ids)))
    assert ours.count_params() == theirs.count_params()
    assert ours.compute_output_shape((None, 7)) == tuple(theirs.compute_output_shape((None, 7)))
