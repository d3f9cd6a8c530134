"""models.Seq2Seq: gradient checks of the whole network in float64, the wiring against
Keras 3, teacher forcing, reverse_source, decoding (greedy, beam search), evaluate,
fit with callbacks, save/load, summary, and clear errors."""

import os

import numpy as np
import pytest
from numerics import assert_close, rnn_terms

from rnnlesson import datasets, losses
from rnnlesson.callbacks import EarlyStopping, TerminateOnNaN
from rnnlesson.gradcheck import numerical_gradient
from rnnlesson.layers import Dense, SimpleRNN
from rnnlesson.models import Seq2Seq, Sequential, TrainingDiverged, load_model
from rnnlesson.models.decoding import beam_search, greedy, log_softmax
from rnnlesson.optimizers import SGD, Adam
from rnnlesson.text import Vocabulary

VS, VT, E, H, N, T_IN, T_OUT = 7, 6, 3, 4, 3, 5, 4


def _model(seed=1, dtype="float64", scale=0.5, **kw):
    """A small model with its weights moved off their initial values (biases too)."""
    m = Seq2Seq(VS, VT, E, H, seed=seed, dtype=dtype, **kw)
    rng = np.random.default_rng(seed + 100)
    m.set_weights([w + rng.uniform(-scale, scale, w.shape) for w in m.get_weights()])
    return m


def _data(rng, n=N, t_in=T_IN, t_out=T_OUT):
    return rng.integers(0, VS, (n, t_in)), rng.integers(0, VT, (n, t_out + 1))


# ---------------------------------------------------------------------- gradients
GRAD_CASES = [
    dict(cell=c, **kw) for c in ("lstm", "gru", "simple_rnn") for kw in (
        {}, {"peeky": True, "reverse_source": True}, {"attention": "dot"},
        {"attention": "additive", "peeky": True, "reverse_source": True})
] + [dict(cell="lstm", attention="dot", peeky=True), dict(cell="lstm", attention="additive"),
     dict(cell="gru", attention="dot", reverse_source=True)]


@pytest.mark.parametrize("kw", GRAD_CASES, ids=lambda kw: "-".join(f"{v}" for v in kw.values()))
def test_whole_model_gradient_check(rng, kw):
    model = _model(**kw)
    x, y = _data(rng)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)

    def value():
        return float(loss.forward(model.forward(x, y[:, :-1]), y[:, 1:]))

    value()
    model.backward(loss.backward())
    grads = {k: g.copy() for k, g in model.grads.items()}
    assert grads.keys() == model.params.keys()
    pick = np.random.default_rng(0)
    for name, p in model.params.items():
        # up to 8 random entries of each array; Richardson's extrapolation of two central
        # differences (steps 1e-3, 2e-3, as gradcheck's default) is exact to O(eps^4).
        # The error is relative to the array's largest gradient entry.
        flat = pick.choice(p.size, size=min(8, p.size), replace=False)
        idx = [np.unravel_index(i, p.shape) for i in flat]
        g1 = numerical_gradient(value, p, eps=1e-3, indices=idx)
        g2 = numerical_gradient(value, p, eps=2e-3, indices=idx)
        numeric = np.array([(4 * g1[i] - g2[i]) / 3 for i in idx])
        analytic = np.array([grads[name][i] for i in idx])
        err = np.max(np.abs(analytic - numeric)) / max(np.abs(grads[name]).max(), 1e-8)
        assert err < 1e-7, (name, err)


def test_loss_is_teacher_forced_cross_entropy_per_target_token(rng):
    model = _model(attention="dot", peeky=True)
    x, y = _data(rng)
    logits = model.forward(x, y[:, :-1])
    assert logits.shape == (N, T_OUT, VT)
    logp = log_softmax(logits)
    want = -np.take_along_axis(logp, y[:, 1:, None], axis=2).mean()
    model.compile("sgd")
    assert model.evaluate(x, y)["loss"] == pytest.approx(want, rel=1e-12)
    # the decoder reads y[:, :-1]: the output at step t cannot depend on y[:, t + 1]
    y2 = y.copy()
    y2[:, 2] = (y2[:, 2] + 1) % VT
    changed = model.forward(x, y2[:, :-1])
    np.testing.assert_array_equal(changed[:, :2], logits[:, :2])
    assert not np.allclose(changed[:, 2:], logits[:, 2:])


@pytest.mark.parametrize("attention", [None, "dot", "additive"])
def test_reverse_source_is_the_same_as_reversing_the_input(rng, attention):
    fwd = _model(attention=attention, peeky=True)
    rev = _model(attention=attention, peeky=True, reverse_source=True)
    rev.set_weights(fwd.get_weights())
    x, y = _data(rng)
    np.testing.assert_allclose(rev.forward(x, y[:, :-1]), fwd.forward(x[:, ::-1], y[:, :-1]),
                               rtol=1e-12, atol=1e-12)
    if attention is not None:  # the input axis of the weights is in x's order, as given
        w_rev = rev.attention_weights(x, y)
        w_fwd = fwd.attention_weights(x[:, ::-1], y)
        assert w_rev.shape == (N, T_OUT, T_IN)
        np.testing.assert_allclose(w_rev, w_fwd[:, :, ::-1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(w_rev.sum(axis=2), 1.0, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------- Keras wiring
os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize("kw", [dict(cell="lstm", attention="dot", peeky=True, reverse_source=True),
                                dict(cell="gru", attention="additive"),
                                dict(cell="simple_rnn", peeky=True)])
def test_same_logits_as_the_network_written_in_keras(rng, kw):
    pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras is loaded with another backend")
    import torch

    KL, ops = keras.layers, keras.ops
    ref = _model(**kw)
    x, y = _data(rng, n=4, t_in=6, t_out=3)
    want = ref.forward(x, y[:, :-1])
    rnn = {"lstm": KL.LSTM, "gru": KL.GRU, "simple_rnn": KL.SimpleRNN}[kw["cell"]]
    peeky, att = kw.get("peeky", False), kw.get("attention")
    enc_emb, dec_emb = KL.Embedding(VS, E), KL.Embedding(VT, E)
    enc = rnn(H, return_sequences=True, return_state=True,
              go_backwards=kw.get("reverse_source", False))
    dec = rnn(H, return_sequences=True, return_state=True)
    q_proj = k_proj = None
    if att == "additive":
        q_proj, k_proj = KL.Dense(H, use_bias=False), KL.Dense(H, use_bias=False)
        attention = KL.AdditiveAttention()
    elif att == "dot":
        attention = KL.Attention()
    out_layer = KL.Dense(VT)

    def run(xs, ys):
        enc_seq, *states = enc(enc_emb(xs))
        h_rep = ops.repeat(ops.expand_dims(states[0], 1), ys.shape[1], axis=1)
        d_in = dec_emb(ys)
        if peeky:
            d_in = ops.concatenate([d_in, h_rep], axis=-1)
        dec_seq, *_ = dec(d_in, initial_state=states)
        parts = [dec_seq]
        if att:
            query = q_proj(dec_seq) if q_proj else dec_seq
            inputs = [query, enc_seq] + ([k_proj(enc_seq)] if k_proj else [])
            parts.insert(0, attention(inputs))
        if peeky:
            parts.append(h_rep)
        return out_layer(ops.concatenate(parts, axis=-1))

    xs, ys = torch.tensor(x), torch.tensor(y[:, :-1])
    run(xs, ys)  # builds every Keras layer
    by_name = {"encoder_embedding": enc_emb, "encoder": enc, "decoder_embedding": dec_emb,
               "decoder": dec, "attention_query": q_proj, "attention_key": k_proj,
               "attention": att and attention, "output": out_layer}
    for layer in ref.layers:
        twin = by_name[layer.name]
        assert [tuple(w.shape) for w in twin.get_weights()] == [w.shape for w in
                                                                layer.get_weights()]
        twin.set_weights([w.astype("float32") for w in layer.get_weights()])
    ours32 = Seq2Seq(VS, VT, E, H, seed=0, **kw)
    ours32.set_weights(ref.get_weights())
    got_keras = keras.ops.convert_to_numpy(run(xs, ys))
    got_ours = ours32.forward(x, y[:, :-1])
    terms = rnn_terms(4, 9, E + 3 * H, H)
    assert_close(got_ours, want, dtype="float32", terms=terms, what="rnnlesson logits")
    assert_close(got_keras, want, dtype="float32", terms=terms, what="Keras logits")


# ---------------------------------------------------------------------- decoding
def _by_hand_greedy(model, x, start, length):
    """Greedy decoding one row at a time through teacher-forced passes."""
    out = []
    for row, s in zip(x, start, strict=True):
        y = [int(s)]
        for _ in range(length):
            logits = model.forward(row[None], np.array([y + [0]])[:, :-1])
            y.append(int(logits[0, -1].argmax()))
        out.append(y[1:])
    return np.array(out)


@pytest.mark.parametrize("kw", [{}, {"attention": "dot", "peeky": True, "reverse_source": True},
                                {"cell": "gru", "attention": "additive"}])
def test_greedy_generate_is_the_step_by_step_argmax(rng, kw):
    model = _model(scale=1.5, **kw)
    x, _ = _data(rng, n=5)
    start = np.array([0, 1, 2, 3, 4])
    got = model.generate(x, start, 4)
    assert got.shape == (5, 4) and got.dtype.kind == "i"
    np.testing.assert_array_equal(got, _by_hand_greedy(model, x, start, 4))
    np.testing.assert_array_equal(model.generate(x, 2, 4), model.generate(x, np.full(5, 2), 4))
    np.testing.assert_array_equal(model.generate(x, start, 4, batch_size=2), got)


@pytest.mark.parametrize("kw", [{}, {"attention": "dot", "peeky": True}])
def test_beam_width_one_is_greedy_and_scores_are_log_probabilities(rng, kw):
    model = _model(scale=1.5, **kw)
    x, _ = _data(rng, n=40)
    start = rng.integers(0, VT, 40)
    enc = model.encode(x)
    g_tokens, g_score = greedy(model, enc, start, 5)
    b_tokens, b_score = beam_search(model, enc, start, 5, 1)
    np.testing.assert_array_equal(b_tokens, g_tokens)
    np.testing.assert_array_equal(b_score, g_score)
    y = np.concatenate([start[:, None], g_tokens], axis=1)
    np.testing.assert_allclose(g_score, model.log_probability(x, y), rtol=1e-12, atol=1e-12)
    b3_tokens, b3_score = beam_search(model, model.encode(x), start, 5, 3)
    y3 = np.concatenate([start[:, None], b3_tokens], axis=1)
    np.testing.assert_allclose(b3_score, model.log_probability(x, y3), rtol=1e-12, atol=1e-12)


def test_beam_search_is_never_worse_than_greedy_and_sometimes_better(rng):
    model = _model(scale=2.0, attention="dot", cell="gru")
    x, _ = _data(rng, n=200)
    start = np.full(200, 1)
    greedy_ids = model.generate(x, start, 5)
    logp_greedy = model.log_probability(x, np.column_stack([start, greedy_ids]))
    for width in (2, 3, 5):
        beam_ids = model.generate(x, start, 5, beam_width=width)
        logp_beam = model.log_probability(x, np.column_stack([start, beam_ids]))
        assert np.all(logp_beam >= logp_greedy - 1e-12)
        assert np.sum(logp_beam > logp_greedy + 1e-9) >= 5  # beam search finds better answers


def test_a_wide_beam_finds_the_most_probable_answer(rng):
    """With B >= V^(L-1) no partial answer is ever dropped: the search is exhaustive."""
    model = Seq2Seq(VS, 3, E, H, seed=3, dtype="float64", attention="dot")
    model.set_weights([w * 4 for w in model.get_weights()])
    x = rng.integers(0, VS, (6, T_IN))
    length = 4
    every = np.array(np.meshgrid(*[range(3)] * length, indexing="ij")).reshape(length, -1).T
    best = []
    for row in x:
        y = np.column_stack([np.zeros(len(every), int), every])
        best.append(every[model.log_probability(np.repeat(row[None], len(every), 0), y).argmax()])
    got = model.generate(x, 0, length, beam_width=3 ** (length - 1))
    np.testing.assert_array_equal(got, np.array(best))


def test_evaluate_agrees_with_generate(rng):
    task = datasets.addition(n=300, seed=1)
    x, y = task.encode()
    model = Seq2Seq(task.vocab, task.vocab, 8, 16, peeky=True, seed=0)
    model.compile(Adam(learning_rate=0.01))
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    # make some rows right by construction: replace their targets by the model's answers
    answers = model.generate(x, y[:, 0], y.shape[1] - 1)
    y_mixed = y.copy()
    y_mixed[::3, 1:] = answers[::3]
    got = model.evaluate(x, y_mixed)
    want = np.mean((answers == y_mixed[:, 1:]).all(axis=1))
    assert got["accuracy"] == pytest.approx(want, abs=0) and want >= 1 / 3
    assert model.evaluate(x, y_mixed, batch_size=7) == pytest.approx(got, rel=1e-6)
    # each row decodes from its own start token
    other = y_mixed.copy()
    other[:, 0] = task.vocab.token_to_id["7"]
    assert model.evaluate(x, other)["accuracy"] == pytest.approx(
        np.mean((model.generate(x, other[:, 0], 4) == other[:, 1:]).all(axis=1)), abs=0)


# ---------------------------------------------------------------------- training
def _copy_task(rng, n=600, t=4, v=5):
    x = rng.integers(0, v, (n, t))
    y = np.column_stack([np.full(n, v), x])  # id v is the start token
    return x, y


def test_fit_learns_a_copy_task_with_history_and_validation(rng):
    x, y = _copy_task(rng)
    model = Seq2Seq(5, 6, 8, 16, attention="dot", seed=0)
    model.compile(Adam(learning_rate=0.03, global_clipnorm=5.0))
    history = model.fit(x[:500], y[:500], batch_size=16, epochs=10, verbose=0,
                        validation_data=(x[500:], y[500:]))
    assert set(history.history) == {"loss", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 10 and model.history is history
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.9
    assert model.evaluate(x[500:], y[500:])["accuracy"] == history.history["val_accuracy"][-1]


def test_fit_is_reproducible_from_the_seed(rng):
    x, y = _copy_task(rng, n=64)
    runs = []
    for _ in range(2):
        model = Seq2Seq(5, 6, 4, 8, seed=3, peeky=True)
        model.compile(Adam())
        runs.append((model.fit(x, y, batch_size=16, epochs=2, verbose=0).history["loss"],
                     model.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_callbacks_early_stopping_and_divergence(rng):
    x, y = _copy_task(rng, n=64)
    model = Seq2Seq(5, 6, 4, 8, seed=0)
    model.compile(SGD(learning_rate=1e-9))
    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=1.0)
    h = model.fit(x, y, batch_size=16, epochs=10, verbose=0, validation_data=(x, y),
                  callbacks=[stop])
    assert len(h.history["loss"]) == 2 and stop.stopped_epoch == 1
    # an infinite output bias makes the logits infinite at the first step
    model.output_layer.params["bias"][...] = np.inf
    before = model.get_weights()
    with pytest.raises(TrainingDiverged, match="logits .* NaN or inf") as info:
        model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert info.value.history is model.history and info.value.epoch == 1
    for a, b in zip(before, model.get_weights(), strict=True):  # the step was refused
        np.testing.assert_array_equal(a, b)
    h = model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[TerminateOnNaN()])
    assert h.epoch == [0] and model.stop_training


def test_nan_inside_the_network_is_a_diverged_step(rng):
    """A NaN born inside the network (here an infinite encoder weight: the forward pass
    saturates, the backward pass makes NaN) is reported as a diverged step with the
    weights restored, not as an inner layer's complaint about the gradient it got."""
    x, y = _copy_task(rng, n=32)
    model = Seq2Seq(5, 6, 4, 8, attention="dot", seed=0)
    model.compile(Adam())
    model.encoder.params["kernel"][0, 0] = np.inf
    before = model.get_weights()
    with pytest.raises(TrainingDiverged, match="NaN or inf"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- saving, summary
@pytest.mark.parametrize("kw", [dict(attention="additive", peeky=True, reverse_source=True),
                                dict(cell="gru", attention="dot")])
def test_save_and_load_round_trip(tmp_path, rng, kw):
    model = _model(dtype="float32", name="adder", **kw)
    model.compile(Adam(learning_rate=3e-3, global_clipnorm=5.0))
    x, y = _data(rng)
    path = model.save(tmp_path / "s2s")
    loaded = load_model(path)
    assert isinstance(loaded, Seq2Seq) and loaded.get_config() == model.get_config()
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.forward(x, y[:, :-1]), model.forward(x, y[:, :-1]))
    np.testing.assert_array_equal(loaded.generate(x, 0, 3, beam_width=2),
                                  model.generate(x, 0, 3, beam_width=2))
    assert isinstance(loaded.optimizer, Adam) and loaded.optimizer.global_clipnorm == 5.0
    assert loaded.optimizer.learning_rate == pytest.approx(3e-3)
    assert loaded.summary(return_string=True) == model.summary(return_string=True)
    seq = Sequential([SimpleRNN(3, input_shape=(4, 2), seed=0), Dense(1, seed=1)])
    assert isinstance(load_model(seq.save(tmp_path / "seq")), Sequential)


def test_summary_counts():
    model = Seq2Seq(13, 13, 16, 128, peeky=True, reverse_source=True, seed=0)
    text = model.summary(return_string=True)
    lstm_enc = (16 + 128 + 1) * 4 * 128
    lstm_dec = (16 + 128 + 128 + 1) * 4 * 128
    total = 13 * 16 * 2 + lstm_enc + lstm_dec + (256 + 1) * 13
    assert f"Total params: {total:,}" in text and model.count_params() == total
    for label in ("encoder_embedding (Embedding)", "encoder (LSTM)", "decoder (LSTM)",
                  "output (Dense)", "(None, None, 13)"):
        assert label in text
    att = Seq2Seq(59, 59, 16, 256, attention="additive", seed=0).summary(return_string=True)
    assert "attention (AdditiveAttention)" in att and "attention_key (Dense)" in att


def test_vocabularies_as_sizes_or_objects():
    task = datasets.dates(n=10)
    model = Seq2Seq(task.vocab, 59, seed=0)
    assert (model.source_vocab_size, model.target_vocab_size) == (59, 59)
    with pytest.raises(ValueError, match="empty"):
        Seq2Seq(Vocabulary(level="char"), 5)
    with pytest.raises(TypeError, match="vocabulary size"):
        Seq2Seq("abc", 5)


# ---------------------------------------------------------------------- errors
def test_clear_errors(rng):
    model = Seq2Seq(VS, VT, E, H, seed=0, attention=None)
    x, y = _data(rng)
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(x, y)
    model.compile("adam")
    bad_x = x.copy()
    bad_x[0, 0] = VS
    with pytest.raises(ValueError, match=f"id {VS}, outside the source vocabulary"):
        model.fit(bad_x, y, verbose=0)
    bad_y = y.copy()
    bad_y[1, 2] = -1
    with pytest.raises(ValueError, match="id -1, outside the target vocabulary"):
        model.evaluate(x, bad_y)
    with pytest.raises(ValueError, match="same number of rows"):
        model.fit(x, y[:2], verbose=0)
    with pytest.raises(ValueError, match="T >= 2"):
        model.evaluate(x, y[:, :1])
    with pytest.raises(TypeError, match="integer token ids"):
        model.generate(x.astype(float), 0, 3)
    with pytest.raises(ValueError, match="start id 6 is outside the target vocabulary"):
        model.generate(x, VT, 3)
    with pytest.raises(ValueError, match="start id -2"):
        model.generate(x, np.array([0, -2, 1]), 3)
    with pytest.raises(TypeError, match="one id per row"):
        model.generate(x, np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="length"):
        model.generate(x, 0, 0)
    with pytest.raises(ValueError, match="beam_width"):
        model.generate(x, 0, 3, beam_width=0)
    with pytest.raises(ValueError, match="no attention"):
        model.attention_weights(x, y)
    with pytest.raises(ValueError, match="cell"):
        Seq2Seq(5, 5, cell="rnn")
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(5, 5, attention="luong")
    with pytest.raises(ValueError, match="loss of a Seq2Seq is fixed"):
        model.compile("adam", loss="mse")
    with pytest.raises(ValueError, match="validation data of the training data's lengths"):
        model.fit(x, y, verbose=0, validation_data=(x[:, :3], y))


def test_train_on_batch_is_one_step_of_fit(rng):
    x, y = _copy_task(rng, n=16)
    a, b = Seq2Seq(5, 6, 4, 8, seed=2), Seq2Seq(5, 6, 4, 8, seed=2)
    a.compile(Adam(learning_rate=0.01))
    b.compile(Adam(learning_rate=0.01))
    loss = a.train_on_batch(x, y)
    h = b.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    assert loss == pytest.approx(h.history["loss"][0], rel=1e-6)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(p, q)
