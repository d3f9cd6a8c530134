"""Parity with live Keras 3 (torch backend) for the sequence options of the second release:
masks (from a mask argument, ``Embedding(mask_zero=True)`` and ``Masking``; padding before,
after and inside; the masked loss and metrics; a training epoch), ``Bidirectional`` (every
merge mode, with and without return_sequences and return_state; its summary row) and
dropout with the masks injected into Keras's cells.

As everywhere (tests/README.md), each float32 result, ours and Keras's, is compared with
our float64 layer on the same weights, within the bound of tests/numerics.py.
"""

import os

import numpy as np
import pytest
from layer_cases import sequence_masks
from numerics import assert_close, rnn_terms

os.environ["KERAS_BACKEND"] = "torch"  # must precede the first import of keras
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # keras was imported earlier with another backend
    pytest.skip("keras is loaded with another backend", allow_module_level=True)

from rnnlesson import layers as L  # noqa: E402
from rnnlesson import losses  # noqa: E402
from rnnlesson.layers import DropoutMasks  # noqa: E402
from rnnlesson.models import Sequential  # noqa: E402

KL = keras.layers
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

CLASSES = [(L.SimpleRNN, KL.SimpleRNN, {}), (L.LSTM, KL.LSTM, {}), (L.GRU, KL.GRU, {}),
           (L.GRU, KL.GRU, {"reset_after": False})]
CLASS_IDS = ["simple_rnn", "lstm", "gru", "gru-reset-before"]


def _np(t):
    return np.asarray(t.detach().cpu()) if hasattr(t, "detach") else np.asarray(t)


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _ours(cls, units, options, d, dtype, seed=0):
    layer = cls(units, dtype=dtype, seed=seed, **options)
    layer.build((None, None, d))
    rng = np.random.default_rng(seed + 50)
    layer.set_weights([0.5 * rng.standard_normal(w.shape) for w in layer.get_weights()])
    return layer


def _keras_twin(kcls, units, options, d, weights):
    layer = kcls(units, **options)
    layer.build((None, None, d))
    layer.set_weights([w.astype(np.float32) for w in weights])
    return layer


def _compare(ours32, theirs, ref, terms, what):
    for a, b, r in zip(ours32, theirs, ref, strict=True):
        assert_close(a, r, dtype="float32", terms=terms, what=f"rnnlesson {what}")
        assert_close(b, r, dtype="float32", terms=terms, what=f"keras {what}")


# ------------------------------------------------------------------ masks
@pytest.mark.parametrize("cls, kcls, options", CLASSES, ids=CLASS_IDS)
@pytest.mark.parametrize("kind", ["post", "pre", "holes"])
def test_masked_recurrent_layers_match_keras(cls, kcls, options, kind):
    """Masked steps keep the state; the output repeats the last one (zeros at first, with a
    given initial state too), or is zero with zero_output_for_mask; go_backwards reads the
    mask backwards. Every flag combination that changes this."""
    rng = np.random.default_rng(0)
    n, t, d, h = 4, 6, 3, 5
    keep = sequence_masks(n, t)[kind]
    x = rng.standard_normal((n, t, d))
    for seq, back, zero, state in [(True, False, False, True), (True, True, False, True),
                                   (True, False, True, True), (False, True, False, True),
                                   (False, False, True, False)]:
        opts = {**options, "return_sequences": seq, "go_backwards": back,
                "zero_output_for_mask": zero, "return_state": state}
        ref_layer = _ours(cls, h, opts, d, "float64")
        ours = cls(h, dtype="float32", **opts)
        ours.build((None, None, d))
        ours.set_weights(ref_layer.get_weights())
        klayer = _keras_twin(kcls, h, opts, d, ref_layer.get_weights())
        init = [rng.standard_normal((n, h)) for _ in ref_layer.state_names]
        ref = _as_list(ref_layer(x, mask=keep, initial_state=init))
        got = _as_list(ours(x, mask=keep, initial_state=init))
        theirs = [_np(o) for o in _as_list(klayer(
            x.astype(np.float32), mask=torch.tensor(keep),
            initial_state=[torch.tensor(s, dtype=torch.float32) for s in init]))]
        _compare(got, theirs, ref, rnn_terms(n, t, d, h), f"{kind} {opts}")


def _tagger(kind, dtype, seed=0):
    first = (L.Embedding(9, 4, mask_zero=True, dtype=dtype, seed=seed) if kind == "embedding"
             else L.Masking(dtype=dtype))
    return [first, L.LSTM(5, return_sequences=True, dtype=dtype, seed=seed + 1),
            L.Bidirectional(L.GRU(3, return_sequences=True, dtype=dtype, seed=seed + 2)),
            L.Dense(3, dtype=dtype, seed=seed + 3)]


def _keras_tagger(kind):
    first = KL.Embedding(9, 4, mask_zero=True) if kind == "embedding" else KL.Masking()
    return keras.Sequential([keras.Input((7,) if kind == "embedding" else (7, 2)), first,
                             KL.LSTM(5, return_sequences=True),
                             KL.Bidirectional(KL.GRU(3, return_sequences=True)), KL.Dense(3)])


def _tagging_data(kind, padding, n=12, t=7, seed=1):
    rng = np.random.default_rng(seed)
    keep = np.zeros((n, t), bool)
    for i in range(n):
        length = 1 + (i * 5) % t
        if padding == "pre":
            keep[i, t - length:] = True
        else:
            keep[i, :length] = True
    if kind == "embedding":
        x = rng.integers(1, 9, size=(n, t)) * keep
    else:
        x = rng.standard_normal((n, t, 2)) * keep[..., None]
    return x, rng.integers(0, 3, size=(n, t)), keep


def _models(kind):
    ref = Sequential(_tagger(kind, "float64"))
    ref.build((None, 7) if kind == "embedding" else (None, 7, 2))
    rng = np.random.default_rng(9)
    ref.set_weights([w + 0.3 * rng.standard_normal(w.shape) for w in ref.get_weights()])
    ours = Sequential(_tagger(kind, "float32"))
    ours.build(ref.input_shape)
    ours.set_weights(ref.get_weights())
    kmodel = _keras_tagger(kind)
    kmodel.set_weights([w.astype(np.float32) for w in ref.get_weights()])
    return ref, ours, kmodel


@pytest.mark.parametrize("kind", ["embedding", "masking"])
@pytest.mark.parametrize("padding", ["pre", "post"])
def test_masked_tagger_predict_evaluate_and_fit_match_keras(kind, padding):
    """A many-to-many model on padded sequences: predictions, the masked loss and accuracy
    (evaluate), then one SGD epoch (history and weights), as Keras computes them."""
    x, y, _ = _tagging_data(kind, padding)
    ref, ours, kmodel = _models(kind)
    terms = rnn_terms(12, 7, 10, 10) * 4
    _compare([ours.predict(x)], [np.asarray(kmodel.predict(x, verbose=0))], [ref.predict(x)],
             terms, "predictions")
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    for m in (ref, ours):
        m.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    kmodel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   metrics=["accuracy"])
    logs = [m.evaluate(x, y, batch_size=5, return_dict=True) for m in (ref, ours)]
    klogs = kmodel.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    for key in ("loss", "accuracy"):
        _compare([logs[1][key]], [klogs[key]], [logs[0][key]], terms, f"evaluate {key}")
    hist = [m.fit(x, y, batch_size=5, epochs=1, shuffle=False, verbose=0).history
            for m in (ref, ours)]
    khist = kmodel.fit(x, y, batch_size=5, epochs=1, shuffle=False, verbose=0).history
    for key in ("loss", "accuracy"):
        _compare([hist[1][key]], [khist[key]], [hist[0][key]], terms * 3, f"fit {key}")
    _compare(ours.get_weights(), [np.asarray(w) for w in kmodel.get_weights()],
             ref.get_weights(), terms * 3, "weights after an epoch")


def test_masking_layer_matches_keras():
    x, _, keep = _tagging_data("masking", "pre")
    x = x.astype(np.float32)
    x[0, -1] = 0.0  # a zero step inside a sequence is masked too
    ours = L.Masking()
    theirs = KL.Masking()
    out = theirs(torch.tensor(x, dtype=torch.float32))
    np.testing.assert_array_equal(ours(x), _np(out))
    np.testing.assert_array_equal(ours.compute_mask(x), _np(out._keras_mask))


# ------------------------------------------------------------------ Bidirectional
MODES = ["concat", "sum", "mul", "ave", None]


@pytest.mark.parametrize("mode", MODES, ids=[str(m) for m in MODES])
@pytest.mark.parametrize("seq", [False, True], ids=["last", "seq"])
@pytest.mark.parametrize("state", [False, True], ids=["", "states"])
@pytest.mark.parametrize("masked", [False, True], ids=["", "mask"])
def test_bidirectional_matches_keras(mode, seq, state, masked):
    rng = np.random.default_rng(2)
    n, t, d, h = 3, 5, 4, 3
    x = rng.standard_normal((n, t, d))
    keep = sequence_masks(n, t)["pre"] if masked else None
    outs = []
    for dtype in ("float64", "float32"):
        bi = L.Bidirectional(L.LSTM(h, return_sequences=seq, return_state=state, dtype=dtype,
                                    seed=0), mode)
        bi.build((None, t, d))
        if dtype == "float64":
            weights = [0.5 * rng.standard_normal(w.shape) for w in bi.get_weights()]
        bi.set_weights(weights)
        outs.append(_as_list(bi(x, mask=keep)))
    kbi = KL.Bidirectional(KL.LSTM(h, return_sequences=seq, return_state=state),
                           merge_mode=mode)
    kbi.build((None, t, d))
    assert [tuple(w.shape) for w in kbi.get_weights()] == [w.shape for w in weights]
    kbi.set_weights([w.astype(np.float32) for w in weights])  # forward's, then backward's
    kmask = None if keep is None else torch.tensor(keep)
    theirs = [_np(o) for o in _as_list(kbi(torch.tensor(x, dtype=torch.float32), mask=kmask))]
    assert len(theirs) == len(outs[0])
    _compare(outs[1], theirs, outs[0], rnn_terms(n, t, d, h), f"{mode} seq={seq}")


def test_bidirectional_summary_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    model = Sequential([L.Bidirectional(L.LSTM(4, return_sequences=True), name="bidirectional",
                                        input_shape=(5, 3)),
                        L.Bidirectional(L.GRU(2), "sum", name="bidirectional_1"),
                        L.Dense(1, name="dense")], name="sequential")
    kmodel = keras.Sequential([keras.Input((5, 3)),
                               KL.Bidirectional(KL.LSTM(4, return_sequences=True),
                                                name="bidirectional"),
                               KL.Bidirectional(KL.GRU(2), merge_mode="sum",
                                                name="bidirectional_1"),
                               KL.Dense(1, name="dense")], name="sequential")
    chunks = []
    kmodel.summary(print_fn=lambda text, line_break=False: chunks.append(text))
    assert model.summary(return_string=True) == "".join(chunks).rstrip("\n")


# ------------------------------------------------------------------ dropout
def _inject(kcell, drop, blocks):
    """Put our masks into a Keras cell (its cached masks are used, then reset, per call)."""
    def tensors(arr):
        if arr is None:
            return None
        ts = [torch.tensor(a, dtype=torch.float32) for a in arr]
        return ts if blocks > 1 else ts[0]
    kcell._dropout_mask = tensors(drop.inputs)
    kcell._recurrent_dropout_mask = tensors(drop.recurrent)


@pytest.mark.parametrize("cls, kcls, options", CLASSES, ids=CLASS_IDS)
@pytest.mark.parametrize("rates", [(0.3, 0.0), (0.0, 0.4), (0.3, 0.4)],
                         ids=["inputs", "recurrent", "both"])
def test_dropout_with_the_same_masks_matches_keras(cls, kcls, options, rates):
    """Keras 3's cells with our masks (one per gate with recurrent dropout): the same outputs
    and the same weight gradients."""
    rng = np.random.default_rng(3)
    n, t, d, h = 4, 5, 3, 4
    opts = {**options, "return_sequences": True, "dropout": rates[0],
            "recurrent_dropout": rates[1]}
    ref = _ours(cls, h, opts, d, "float64")
    ref(rng.standard_normal((n, t, d)), training=True)  # draws masks of the right shapes
    drop = ref.last_dropout_masks
    ref.fixed_dropout_masks = drop
    ours = cls(h, dtype="float32", **opts)
    ours.build((None, None, d))
    ours.set_weights(ref.get_weights())
    ours.fixed_dropout_masks = DropoutMasks(*[None if m is None else m.astype(np.float32)
                                              for m in drop])
    klayer = _keras_twin(kcls, h, opts, d, ref.get_weights())
    blocks = ref.blocks if rates[1] else 1
    x, dy = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
    results = []
    for layer in (ref, ours):
        out = layer(x, training=True)
        layer.backward(dy)
        results.append([out] + [layer.grads[k].copy() for k in ("kernel", "recurrent_kernel",
                                                                 "bias")])
    _inject(klayer.cell, drop, blocks)
    kout = klayer(torch.tensor(x, dtype=torch.float32), training=True)
    (kout * torch.tensor(dy, dtype=torch.float32)).sum().backward()
    theirs = [_np(kout)] + [_np(w.value.grad) for w in klayer.weights]
    _compare(results[1], theirs, results[0], rnn_terms(n, t, d, h), f"dropout {rates}")
