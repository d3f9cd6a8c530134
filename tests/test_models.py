"""``Sequential``: building, shape errors, training, metrics, guards and determinism."""

import numpy as np
import pytest

from rnnlesson import losses, optimizers
from rnnlesson.layers import GRU, LSTM, Dense, Dropout, Embedding, Flatten, SimpleRNN
from rnnlesson.models import Sequential, TrainingDiverged, train_step


def sign_task(n=240, t=8, seed=0):
    """Is the sum of a noisy sequence positive? Learnable by a small RNN in a few epochs."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, t, 2)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(np.float32)
    return x, y


def rnn_classifier(seed=0, cell=SimpleRNN, model_seed=0):
    return Sequential([cell(8, seed=seed), Dense(1, activation="sigmoid", seed=seed + 1)],
                      seed=model_seed)


# ---------------------------------------------------------------- building and shapes
def test_stacking_without_return_sequences_names_both_layers():
    with pytest.raises(ValueError) as info:
        Sequential([SimpleRNN(16, input_shape=(10, 3), name="encoder"),
                    SimpleRNN(8, name="decoder"), Dense(1)])
    msg = str(info.value)
    assert "'decoder' (SimpleRNN)" in msg and "'encoder' (SimpleRNN)" in msg
    assert "(None, 16)" in msg
    assert "return_sequences=True" in msg and "SimpleRNN(16, return_sequences=True)" in msg


def test_mismatch_found_when_building_from_data_and_on_add():
    model = Sequential([LSTM(4, name="first"), GRU(3, name="second")])
    x = np.zeros((2, 5, 3), np.float32)
    with pytest.raises(ValueError, match=r"'second' \(GRU\) cannot take the output of layer "
                                         r"'first' \(LSTM\)"):
        model.predict(x)
    built = Sequential([Embedding(20, 4, input_shape=(6,)), SimpleRNN(5, name="rnn")])
    with pytest.raises(ValueError, match="'rnn' .*return_sequences=True"):
        built.add(LSTM(2, name="late"))
    assert [layer.name for layer in built.layers][-1] == "rnn"  # the bad layer was not added


def test_first_layer_needs_sequences_hint():
    with pytest.raises(ValueError, match=r"model's input.*\(N, T, 1\)"):
        Sequential([SimpleRNN(4, input_shape=(7,))])


def test_input_shape_builds_before_data_and_shapes_are_inferred():
    model = Sequential([Embedding(50, 8, input_shape=(12,)), LSTM(6, return_sequences=True),
                       Dense(50, activation="softmax")])
    assert model.built and model.input_shape == (None, 12)
    assert model.output_shape == (None, 12, 50)
    assert model.count_params() == 50 * 8 + 4 * (6 * (6 + 8) + 6) + 6 * 50 + 50


def test_add_after_build_and_duplicate_names():
    model = Sequential([Dense(4, input_shape=(3,), name="a")])
    model.add(Dense(2, name="b"))
    assert model.output_shape == (None, 2) and model.layers[1].built
    with pytest.raises(ValueError, match="already has a layer named 'b'"):
        model.add(Dense(1, name="b"))
    with pytest.raises(TypeError, match="expects a layer"):
        model.add("Dense(1)")


def test_return_state_is_refused_in_sequential():
    with pytest.raises(ValueError, match="return_state"):
        Sequential([LSTM(3, return_state=True, input_shape=(4, 2))])


def test_forward_backward_params_grads_are_parallel(rng):
    model = Sequential([LSTM(5, return_sequences=True, seed=0), Dense(2, seed=1)])
    x = rng.normal(size=(3, 4, 2))
    y = model.forward(x, training=True)
    assert y.shape == (3, 4, 2)
    dy = rng.normal(size=y.shape).astype(np.float32)
    dy_copy = dy.copy()
    dx = model.backward(dy)
    np.testing.assert_array_equal(dy, dy_copy)  # the incoming gradient is not touched
    assert dx.shape == x.shape
    assert len(model.params) == len(model.grads) == 5
    assert list(model.params) == list(model.grads)
    for key, p in model.params.items():
        assert p.shape == model.grads[key].shape
    lstm = model.layers[0]
    assert model.params[f"{lstm.name}/kernel"] is lstm.params["kernel"]  # the arrays themselves
    assert model.grads[f"{lstm.name}/kernel"] is lstm.grads["kernel"]


def test_params_and_grads_are_dicts_keyed_layer_slash_weight():
    model = Sequential([Embedding(10, 3, trainable=False, seed=0, name="emb"),
                        SimpleRNN(4, seed=1, name="rnn"), Dense(1, seed=2, name="out")])
    model.build((None, 5))
    assert list(model.params) == ["rnn/kernel", "rnn/recurrent_kernel", "rnn/bias",
                                  "out/kernel", "out/bias"]  # the frozen layer is left out
    assert list(model.grads) == list(model.params)
    for layer in model.layers[1:]:  # the same arrays as each layer's own dicts
        for name, p in layer.params.items():
            assert model.params[f"{layer.name}/{name}"] is p
            assert model.grads[f"{layer.name}/{name}"] is layer.grads[name]
    assert len(model.weights) == 6 and model.weights[0] is model.layers[0].params["embeddings"]


def test_manual_steps_equal_train_on_batch(rng):
    x, y = sign_task(32)
    a, b = rnn_classifier(), rnn_classifier()
    a.compile(optimizers.SGD(learning_rate=0.1), "binary_crossentropy")
    b.compile(optimizers.SGD(learning_rate=0.1), "binary_crossentropy")
    loss_a = a.train_on_batch(x, y)
    y_pred = b.forward(x, training=True)
    loss_b = b.loss.forward(y_pred, y)
    b.backward(b.loss.backward())
    b.optimizer.apply(b.params, b.grads)
    assert loss_a == pytest.approx(loss_b, abs=0)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(p, q)


def test_set_weights_checks_everything_before_writing():
    model = rnn_classifier()
    model.build((None, 4, 2))
    before = model.get_weights()
    bad = [w + 1 for w in before]
    bad[-1] = np.zeros(7)
    with pytest.raises(ValueError, match="shape"):
        model.set_weights(bad)
    for p, q in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(ValueError, match="expects 5 arrays"):
        model.set_weights(before[:-1])


def test_predict_in_batches_equals_one_forward(rng):
    model = Sequential([GRU(4, return_sequences=True, seed=3), Dense(3, seed=4)])
    x = rng.normal(size=(70, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, batch_size=16),
                                  model.forward(x, training=False))


# ---------------------------------------------------------------- training
def test_fit_lowers_the_loss_and_learns():
    x, y = sign_task()
    model = rnn_classifier()
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    first = model.evaluate(x, y)
    history = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert len(history.history["loss"]) == 15 and history.epoch == list(range(15))
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    loss, acc = model.evaluate(x, y)
    assert loss < 0.5 * first[0]
    assert acc > 0.9
    assert model.history is history


@pytest.mark.parametrize("name", ["acc", "accuracy"])
def test_history_keys_follow_the_metric_name(name):
    x, y = sign_task(40)
    model = rnn_classifier()
    model.compile("rmsprop", "binary_crossentropy", metrics=[name])
    h = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0).history
    assert set(h) == {"loss", name, "val_loss", "val_" + name}
    assert all(len(v) == 2 for v in h.values())


def test_validation_split_takes_the_last_samples_before_shuffling():
    # With a learning rate of 1e-30 the weights do not move, so the epoch's training loss
    # is the loss on exactly the training part and val_loss the loss on the held-out part.
    x, y = sign_task(10)
    model = rnn_classifier()
    model.compile(optimizers.SGD(learning_rate=1e-30), "binary_crossentropy", metrics=["acc"])
    h = model.fit(x, y, batch_size=3, epochs=1, validation_split=0.25, verbose=0).history
    cut = 7  # floor(10 * 0.75), as Keras
    assert h["val_loss"][0] == pytest.approx(model.evaluate(x[cut:], y[cut:], batch_size=3)[0],
                                             rel=1e-6)
    assert h["loss"][0] == pytest.approx(model.evaluate(x[:cut], y[:cut])[0], rel=1e-5)
    assert h["val_loss"][0] != pytest.approx(model.evaluate(x[cut + 1:], y[cut + 1:])[0],
                                             rel=1e-6)


def test_validation_data_is_used_as_given():
    x, y = sign_task(30)
    xv, yv = sign_task(12, seed=5)
    model = rnn_classifier()
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=1, validation_data=(xv, yv), verbose=0).history
    loss, acc = model.evaluate(xv, yv)
    assert h["val_loss"][0] == pytest.approx(loss, rel=1e-6)
    assert h["val_accuracy"][0] == pytest.approx(acc)


def test_language_model_sequence_outputs_with_sparse_ce():
    rng = np.random.default_rng(0)
    v, t = 6, 10
    start = rng.integers(0, v, size=(120, 1))
    seq = (start + np.arange(t + 1)) % v  # next id = current id + 1 (mod V)
    x, y = seq[:, :-1], seq[:, 1:]
    model = Sequential([Embedding(v, 8, seed=0), GRU(16, return_sequences=True, seed=1),
                        Dense(v, activation="softmax", seed=2)], seed=0)
    model.compile(optimizers.Adam(learning_rate=0.03), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(x, y, epochs=12, batch_size=20, verbose=0).history
    assert h["loss"][0] == pytest.approx(np.log(v), rel=0.15)  # the uniform baseline
    assert h["loss"][-1] < 0.3 * h["loss"][0]
    assert h["accuracy"][-1] > 0.95


def test_accuracy_as_keras_binary_sparse_categorical(rng):
    # binary: a last axis of 1 -> threshold 0.5 (labels (N,) against predictions (N, 1))
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(1,))])
    model.set_weights([np.ones((1, 1)), np.zeros(1)])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(50, 1))
    y = (rng.random(50) < 0.5).astype(np.float32)
    _, acc = model.evaluate(x, y, batch_size=7)
    assert acc == pytest.approx(np.mean((x[:, 0] > 0) == (y > 0.5)))

    # sparse categorical over sequences (N, T, C) with labels (N, T): argmax per step
    seq = Sequential([Dense(4, input_shape=(5, 4))])
    seq.set_weights([np.eye(4), np.zeros(4)])
    seq.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    xs = 0.9 * rng.random(size=(9, 5, 4)) + 0.01  # in (0, 1): valid unnormalised probabilities
    ys = rng.integers(0, 4, size=(9, 5))
    _, acc = seq.evaluate(xs, ys, batch_size=4)
    assert acc == pytest.approx(np.mean(np.argmax(xs, -1) == ys))

    # categorical: one-hot labels of the predictions' shape
    seq.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    onehot = np.eye(4)[ys]
    _, acc = seq.evaluate(xs, onehot, batch_size=4)
    assert acc == pytest.approx(np.mean(np.argmax(xs, -1) == ys))


def test_evaluate_returns_like_keras():
    x, y = sign_task(20)
    model = rnn_classifier()
    model.compile("sgd", "binary_crossentropy")
    loss = model.evaluate(x, y, batch_size=20)
    assert isinstance(loss, float)
    assert loss == pytest.approx(losses.BinaryCrossentropy().forward(model.predict(x), y),
                                 rel=1e-6)
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy", "mae"])
    out = model.evaluate(x, y, return_dict=True)
    assert list(out) == ["loss", "accuracy", "mae"]


def test_train_on_batch_returns_the_pre_update_loss():
    x, y = sign_task(16)
    model = rnn_classifier()
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    before = model.evaluate(x, y, batch_size=16)
    out = model.train_on_batch(x, y)
    assert out[0] == pytest.approx(before[0], rel=1e-6) and out[1] == before[1]
    assert model.evaluate(x, y, batch_size=16)[0] < before[0]


def test_non_trainable_layer_is_frozen():
    x, y = sign_task(40)
    emb_ids = (np.abs(x[:, :, 0]) * 3).astype(int).clip(0, 9)
    model = Sequential([Embedding(10, 4, trainable=False, seed=0), SimpleRNN(4, seed=1),
                        Dense(1, activation="sigmoid", seed=2)])
    model.compile("adam", "binary_crossentropy")
    model.build((None, 8))
    frozen = model.layers[0].get_weights()[0]
    assert len(model.params) == 3 + 2
    model.fit(emb_ids, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], frozen)


def test_dropout_is_only_active_in_training(rng):
    model = Sequential([Dropout(0.5, seed=0, input_shape=(6,))])
    x = np.ones((4, 6), np.float32)
    np.testing.assert_array_equal(model.predict(x), x)
    assert (model.forward(x, training=True) == 0).any()


def test_reset_states_resets_every_stateful_layer(rng):
    model = Sequential([Embedding(10, 3, seed=0),
                        LSTM(4, stateful=True, return_sequences=True, seed=1),
                        SimpleRNN(3, return_sequences=True, seed=2),  # not stateful
                        GRU(3, stateful=True, seed=3), Dense(1, seed=4)])
    ids = rng.integers(0, 10, size=(2, 5))
    first = model.predict(ids)
    carried = model.predict(ids)  # both stateful layers start from the last states
    assert np.abs(carried - first).max() > 1e-4
    for layer in (model.layers[1], model.layers[3]):  # resetting one alone is not enough
        layer.reset_states()
        assert np.abs(model.predict(ids) - first).max() > 1e-4
        model.predict(ids)
    model.reset_states()
    assert model.layers[1].states is None and model.layers[3].states is None
    np.testing.assert_array_equal(model.predict(ids), first)


# ---------------------------------------------------------------- one training step
def test_fit_train_on_batch_and_trainer_all_take_the_one_step(monkeypatch):
    from rnnlesson.models import training as model_training
    from rnnlesson.training import Trainer

    calls = []
    real = model_training.train_step

    def spy(model, x, y, **kwargs):
        calls.append((model, len(x)))
        return real(model, x, y, **kwargs)

    monkeypatch.setattr(model_training, "train_step", spy)
    x, y = sign_task(40)
    model = rnn_classifier()
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert [n for _, n in calls] == [16, 16, 8] * 2
    assert all(m is model for m, _ in calls)
    calls.clear()
    model.train_on_batch(x[:5], y[:5])
    assert calls == [(model, 5)]
    calls.clear()
    tr = Trainer("sine", "rnn", 4, seed=0)
    tr.run(3)
    assert len(calls) == 3 and all(m is tr.model for m, _ in calls)


def test_fit_is_train_step_batch_after_batch():
    x, y = sign_task(40)
    a, b = rnn_classifier(), rnn_classifier()
    for m in (a, b):
        m.compile(optimizers.Adam(learning_rate=0.01), "binary_crossentropy")
    h = a.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0).history
    losses_b = [train_step(b, x[s:s + 16], y[s:s + 16]).loss for s in (0, 16, 32)]
    assert h["loss"][0] == pytest.approx((16 * losses_b[0] + 16 * losses_b[1] + 8 * losses_b[2])
                                         / 40, rel=1e-12)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(p, q)


def overflowing_dense():
    """A Dense model and inputs whose product overflows float32: its output is inf."""
    model = Sequential([Dense(1, input_shape=(3,), seed=0)])
    model.set_weights([np.full((3, 1), 1e10, np.float32), np.zeros(1, np.float32)])
    model.compile("sgd", "mse")
    return model, np.full((4, 3), 1e30, np.float32)


def test_train_step_reports_and_refuses_a_bad_step():
    model, x = overflowing_dense()
    before = model.get_weights()
    step = train_step(model, x, np.zeros((4, 1)))
    assert not step.ok and "output of layer" in step.problem and np.isnan(step.loss)
    for p, q in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(p, q)
    good = train_step(model, np.ones((4, 3), np.float32), np.zeros((4, 1)))
    assert good.ok and good.problem is None and np.isfinite(good.grad_norm)
    with pytest.raises(RuntimeError, match="compile"):
        train_step(Sequential([Dense(1)]), x, x)


# ---------------------------------------------------------------- guards
def test_nan_guard_in_train_on_batch():
    model, x = overflowing_dense()
    before = model.get_weights()
    with pytest.raises(TrainingDiverged, match=r"in train_on_batch: the output of layer .*inf"):
        model.train_on_batch(x, np.zeros((4, 1)))
    for p, q in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(p, q)


# ---------------------------------------------------------------- determinism
def _run(model_seed, fit_seed=None):
    x, y = sign_task(60)
    model = Sequential([LSTM(6, seed=3), Dropout(0.2, seed=4),
                        Dense(1, activation="sigmoid", seed=5)], seed=model_seed)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, verbose=0, seed=fit_seed)
    return h.history, model.get_weights()


def test_same_seeds_give_the_same_run_bit_for_bit():
    h1, w1 = _run(11)
    h2, w2 = _run(11)
    assert h1 == h2
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    h3, _ = _run(12)
    assert h3["loss"] != h1["loss"]  # another model seed: another shuffling order
    h4, _ = _run(12, fit_seed=99)
    h5, _ = _run(13, fit_seed=99)
    assert h4 == h5  # fit(seed=...) overrides the model's generator


def test_seeded_layers_alone_make_training_repeatable():
    h1, w1 = _run(None)
    h2, w2 = _run(None)
    assert h1 == h2
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    # Flatten draws no random numbers, so it needs no seed for the run to repeat.
    x, y = sign_task(40)
    runs = []
    for _ in range(2):
        m = Sequential([SimpleRNN(4, return_sequences=True, seed=1), Flatten(),
                        Dense(1, activation="sigmoid", seed=2)])
        m.compile("adam", "binary_crossentropy")
        runs.append(m.fit(x, y, batch_size=8, epochs=2, verbose=0).history["loss"])
    assert runs[0] == runs[1]
    half_seeded = Sequential([SimpleRNN(4, return_sequences=True, seed=1), Flatten(),
                              Dense(1, activation="sigmoid")])  # Dense unseeded: fresh entropy
    assert half_seeded.rng.bit_generator.seed_seq.entropy != Sequential(
        [SimpleRNN(4, return_sequences=True, seed=1), Flatten(),
         Dense(1, activation="sigmoid")]).rng.bit_generator.seed_seq.entropy
    unseeded = Sequential([Dense(1, input_shape=(2,))])  # no layer seed: fresh entropy
    assert unseeded.rng.bit_generator.seed_seq.entropy != Sequential(
        [Dense(1, input_shape=(2,))]).rng.bit_generator.seed_seq.entropy


# ---------------------------------------------------------------- errors
def test_clear_errors():
    x, y = sign_task(10)
    model = rnn_classifier()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y)
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:5])
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.0)
    with pytest.raises(ValueError, match="leaves"):
        model.fit(x[:1], y[:1], validation_split=0.5)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="validation_data as a pair"):
        model.fit(x, y, validation_data=(x, y, y))
    with pytest.raises(ValueError, match="metric 'f1'"):
        model.compile("adam", "binary_crossentropy", metrics=["f1"])
    with pytest.raises(TypeError, match="Vocabulary"):
        model.predict(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.full_like(x, np.nan), y)


def test_finiteness_check_is_not_fooled_by_an_overflowing_sum():
    from rnnlesson.models.training import _all_finite

    big = np.full(4, 3e38, np.float32)  # finite entries whose float32 sum overflows
    with np.errstate(over="ignore", invalid="ignore"):  # as inside train_step
        assert _all_finite([np.ones(3), big])
        assert not _all_finite([big, np.array([1.0, np.nan])])
        assert not _all_finite([np.array([np.inf, -np.inf])])  # inf - inf sums to NaN
