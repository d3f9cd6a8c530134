"""The contract every layer keeps (DESIGN.md, "Layer protocol"), checked on every layer.

Each test runs on every case of ``layer_cases.CASES`` (Dense, Embedding, Flatten, Dropout,
SimpleRNN, LSTM, GRU, in a few configurations): Keras's weight names and shapes,
get/set_weights, seeds, keyword-only options, the config round trip, clear errors for
bad input, float64 gradient checks, float32 against float64, and a backward that never
changes its inputs, its cache or earlier results. What only recurrent layers do (flags,
states) is in test_recurrent_contract.py; what is special to one layer stays in its file.
"""

import inspect
import json

import numpy as np
import pytest
from layer_cases import CASE_IDS, CASES, GRAD_TOL
from numerics import assert_close

from rnnlesson.gradcheck import check_layer_gradients
from rnnlesson.layers import GRU, LSTM, Dense, SimpleRNN


@pytest.fixture(params=CASES, ids=CASE_IDS)
def case(request):
    return request.param


WITH_WEIGHTS = [c for c in CASES if c.weights]
WITH_KERNEL = [c for c in CASES if c.weights and c.weights[0][0] == "kernel"]


def _outputs(out):
    return list(out) if isinstance(out, list) else [out]


def _run(layer, case, x):
    """Forward, then backward with a seeded random upstream gradient; returns both sides."""
    outs = _outputs(layer.forward(x, **case.forward_kwargs))
    rng = np.random.default_rng(7)
    douts = [rng.standard_normal(o.shape) for o in outs]
    dx = layer.backward(douts if len(outs) > 1 else douts[0])
    return outs, douts, dx


def _random_weights(layer, seed=3):
    rng = np.random.default_rng(seed)
    layer.set_weights([0.6 * rng.standard_normal(w.shape) for w in layer.get_weights()])


# ------------------------------------------------------------------ weights
def test_weights_follow_keras(case, rng):
    layer = case.make(dtype="float32")
    layer(case.input(rng), **case.forward_kwargs)
    assert [(k, v.shape) for k, v in layer.params.items()] == list(case.weights)
    assert [w.shape for w in layer.get_weights()] == [s for _, s in case.weights]
    assert list(layer.grads) == list(layer.params)
    assert all(w.dtype == np.float32 for w in layer.get_weights())  # Keras's default
    assert layer.count_params() == sum(int(np.prod(s)) for _, s in case.weights)


def test_output_shape_is_what_compute_output_shape_says(case, rng):
    layer = case.make()
    x = case.input(rng)
    outs = _outputs(layer(x, **case.forward_kwargs))
    expected = layer.compute_output_shape((None,) + tuple(x.shape[1:]))
    expected = expected if isinstance(expected, list) else [expected]
    assert [o.shape for o in outs] == [(x.shape[0],) + tuple(e[1:]) for e in expected]


def test_get_weights_gives_copies_and_set_weights_round_trips(case, rng):
    layer = case.make()
    layer.build((None,) + case.input_shape[1:])
    new = [rng.standard_normal(s) for _, s in case.weights]
    layer.set_weights(new)
    got = layer.get_weights()
    for a, b in zip(got, new, strict=True):
        np.testing.assert_array_equal(a, b)
        a[...] = 0  # a copy: the layer keeps its weights
    for a, b in zip(layer.get_weights(), new, strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_weights_checks_everything_before_writing(case, rng):
    layer = case.make()
    with pytest.raises(RuntimeError, match="no weights yet"):
        layer.set_weights([])
    layer.build((None,) + case.input_shape[1:])
    before = layer.get_weights()
    with pytest.raises(ValueError, match=rf"expects {len(before)} arrays"):
        layer.set_weights(before + [np.ones(2)])
    if before:
        bad = [w + 1 for w in before[:-1]] + [np.ones(before[-1].shape + (1,))]
        with pytest.raises(ValueError, match=r"has shape .*; got"):
            layer.set_weights(bad)
        for a, b in zip(layer.get_weights(), before, strict=True):
            np.testing.assert_array_equal(a, b)  # nothing half-written


# ------------------------------------------------------------------ construction
@pytest.mark.parametrize("case", WITH_WEIGHTS, ids=[c.id for c in WITH_WEIGHTS])
def test_same_seed_same_weights(case):
    a, b, c = case.make(seed=5), case.make(seed=5), case.make(seed=6)
    for layer in (a, b, c):
        layer.build((None,) + case.input_shape[1:])
    for (name, wa), wb, wc in zip(a.params.items(), b.get_weights(), c.get_weights(),
                                  strict=True):
        np.testing.assert_array_equal(wa, wb)
        if not name.endswith("bias"):  # biases start from constants whatever the seed
            assert not np.array_equal(wa, wc)


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (1.5, TypeError), ("0", TypeError),
                                      (True, TypeError)])
def test_bad_seed_is_refused(case, bad, exc):
    with pytest.raises(exc, match=r"seed to be an integer >= 0"):
        case.make(seed=bad)


def test_numpy_integer_seed_is_accepted_as_an_int(case):
    layer = case.make(seed=np.int64(3))
    assert layer.seed == 3 and type(layer.seed) is int
    json.dumps(layer.get_config())


def test_bad_dtype_is_refused(case):
    with pytest.raises(TypeError, match=r"dtype='float32' or 'float64'; got 'int32'"):
        case.make(dtype="int32")


def test_options_after_the_first_are_keyword_only(case):
    """Every option after units is keyword-only (after V and E for Embedding), except
    the activation of Dense and SimpleRNN, which Keras code passes by position."""
    params = list(inspect.signature(case.cls.__init__).parameters.values())[1:]
    positional = [p for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert len(positional) == case.positional, [p.name for p in positional]
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params[case.positional:])
    args = list(case.args) + [None] * (case.positional - len(case.args))
    if case.cls in (Dense, SimpleRNN) and args[1] is None:
        args[1] = "tanh"
    with pytest.raises(TypeError, match="positional argument"):
        case.cls(*args, True)


def test_lstm_and_simple_rnn_refuse_flags_by_position():
    with pytest.raises(TypeError):
        LSTM(4, True, True)  # once silently return_sequences=True
    with pytest.raises(TypeError):
        SimpleRNN(4, "tanh", True)
    with pytest.raises(TypeError):
        GRU(4, False)


def test_automatic_names_are_keras_style(case):
    base = {"Dense": "dense", "Embedding": "embedding", "Flatten": "flatten", "Dropout": "dropout",
            "SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru", "Masking": "masking",
            "Bidirectional": "bidirectional"}[case.cls.__name__]
    first, second = case.make(), case.make()
    assert first.name.startswith(base) and second.name.startswith(base)
    assert first.name != second.name  # dense, dense_1, ... as Keras counts them


def test_config_round_trip(case, rng):
    layer = case.make(seed=11, name="probe")
    cfg = layer.get_config()
    assert json.loads(json.dumps(cfg)) == cfg  # plain JSON, as model files store it
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    if getattr(layer, "fixed_dropout_masks", None) is not None:  # set by tests, not config
        clone.fixed_dropout_masks = layer.fixed_dropout_masks
    x = case.input(rng)
    y, y_clone = layer(x, **case.forward_kwargs), clone(x, **case.forward_kwargs)
    for a, b in zip(_outputs(y), _outputs(y_clone), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(layer.get_weights(), clone.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", WITH_KERNEL, ids=[c.id for c in WITH_KERNEL])
@pytest.mark.parametrize("units, exc", [(0, ValueError), (-3, ValueError), ("8", TypeError),
                                        (2.5, TypeError), (None, TypeError)])
def test_bad_units_are_refused(case, units, exc):
    with pytest.raises(exc, match=rf"units to be a positive integer; got {units!r}"):
        case.cls(units, **case.options)


# ------------------------------------------------------------------ bad input
def test_nan_input_is_refused(case, rng):
    x = case.input(rng).astype(float)
    x.flat[3] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN"):
        case.make()(x, **case.forward_kwargs)


def test_text_input_is_refused(case):
    with pytest.raises(TypeError, match=r"expects .*(numeric array|integer token ids)"):
        case.make()(np.full(case.input_shape, "a"), **case.forward_kwargs)


@pytest.mark.parametrize("case", [c for c in CASES if c.rejects_empty],
                         ids=[c.id for c in CASES if c.rejects_empty])
def test_empty_input_is_refused(case):
    shape = (case.input_shape[0], 0) + case.input_shape[2:]
    with pytest.raises(ValueError, match=r"non-empty") as err:
        case.make()(np.zeros(shape, int if case.ids else float), **case.forward_kwargs)
    assert str(shape) in str(err.value)


@pytest.mark.parametrize("case", [c for c in CASES if c.wrong_rank is not None],
                         ids=[c.id for c in CASES if c.wrong_rank is not None])
def test_wrong_rank_is_refused(case):
    bad = np.zeros(case.wrong_rank, int if case.ids else float)
    with pytest.raises(ValueError, match=r"expects .*\(N, ") as err:
        case.make()(bad, **case.forward_kwargs)
    if bad.ndim:
        assert str(case.wrong_rank).replace(",)", ")") in str(err.value).replace(",)", ")")


@pytest.mark.parametrize("case", WITH_KERNEL, ids=[c.id for c in WITH_KERNEL])
def test_width_change_after_build_is_refused(case, rng):
    layer = case.make()
    layer(case.input(rng))
    wider = case.input_shape[:-1] + (case.input_shape[-1] + 1,)
    with pytest.raises(ValueError, match=rf"D={case.input_shape[-1]}\b.*{wider}".replace("(", r"\(")
                       .replace(")", r"\)")):
        layer(np.zeros(wider))


def test_backward_before_forward_is_refused(case):
    layer = case.make()
    layer.build((None,) + case.input_shape[1:])
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.ones((2, 2)))


def test_backward_checks_the_gradient(case, rng):
    layer = case.make()
    outs = _outputs(layer(case.input(rng), **case.forward_kwargs))
    wrong = np.ones(outs[0].shape + (2,))
    nan = np.ones(outs[0].shape)
    nan.flat[0] = np.nan
    rest = [None] * (len(outs) - 1)
    with pytest.raises(ValueError, match=r"shape of the forward output"):
        layer.backward([wrong] + rest if rest else wrong)
    with pytest.raises(ValueError, match=r"1 NaN"):
        layer.backward([nan] + rest if rest else nan)


# ------------------------------------------------------------------ gradients and dtypes
@pytest.mark.parametrize("case", [c for c in CASES if c.gradient_check],
                         ids=[c.id for c in CASES if c.gradient_check])
def test_gradients(case, rng):
    layer = case.make()
    layer.build((None,) + case.input_shape[1:])
    _random_weights(layer)
    errors = check_layer_gradients(layer, case.input(rng), forward_kwargs=case.forward_kwargs,
                                   verbose=False)
    names = set(layer.params) | (set() if case.ids else {"input"})
    assert set(errors) == names
    assert max(errors.values()) < GRAD_TOL, errors


def test_float32_matches_float64(case, rng):
    results = {}
    x = case.input(rng)
    for dtype in ("float64", "float32"):
        layer = case.make(dtype=dtype)
        layer.build((None,) + case.input_shape[1:])
        _random_weights(layer)
        outs, _, dx = _run(layer, case, x)
        assert all(o.dtype == np.dtype(dtype) for o in outs)
        assert dx is None or dx.dtype == np.dtype(dtype)
        assert all(g.dtype == np.dtype(dtype) for g in layer.grads.values())
        results[dtype] = (outs, dx, {k: g.copy() for k, g in layer.grads.items()})
    (o32, dx32, g32), (o64, dx64, g64) = results["float32"], results["float64"]
    for a, b in zip(o32, o64, strict=True):
        assert_close(a, b, dtype="float32", terms=case.terms, what="output")
    if dx64 is not None:
        assert_close(dx32, dx64, dtype="float32", terms=case.terms, what="dL/dx")
    for k in g64:
        assert_close(g32[k], g64[k], dtype="float32", terms=case.terms, what=k)


# ------------------------------------------------------------------ what backward may touch
def test_backward_leaves_its_inputs_and_the_cache_alone(case, rng):
    layer = case.make()
    x = case.input(rng)
    x_kept = x.copy()
    outs, douts, dx1 = _run(layer, case, x)
    kept = [d.copy() for d in douts]
    grads1 = {k: g.copy() for k, g in layer.grads.items()}
    for o in outs:
        o[...] = 99.0  # the caller owns the outputs: the cache must not be them
    dx2 = layer.backward(douts if len(douts) > 1 else douts[0])
    np.testing.assert_array_equal(x, x_kept)
    for d, k in zip(douts, kept, strict=True):
        np.testing.assert_array_equal(d, k)
    if dx1 is not None:
        np.testing.assert_array_equal(dx1, dx2)
    for k, g in grads1.items():
        np.testing.assert_array_equal(layer.grads[k], g)  # overwritten, not accumulated


def test_grads_are_overwritten_in_place(case, rng):
    layer = case.make()
    x = case.input(rng)
    _run(layer, case, x)
    refs = dict(layer.grads)
    outs = _outputs(layer(x, **case.forward_kwargs))
    douts = [np.full(o.shape, 0.5) for o in outs]
    layer.backward(douts if len(douts) > 1 else douts[0])
    twin = case.make()
    _outputs(twin(x, **case.forward_kwargs))
    twin.backward(douts if len(douts) > 1 else douts[0])
    for k, g in layer.grads.items():
        assert g is refs[k]  # the same array: optimizers keep their references
        np.testing.assert_array_equal(g, twin.grads[k])  # the last backward's alone


def test_results_are_fresh_arrays(case, rng):
    """Nothing handed out is a view of the input, of dy or of a buffer the next call reuses."""
    layer = case.make()
    x1, x2 = case.input(rng), case.input(rng)
    outs, douts, dx = _run(layer, case, x1)
    handed_out = outs + ([dx] if dx is not None else [])
    kept = [a.copy() for a in handed_out]
    for a in handed_out:
        assert not np.shares_memory(a, x1)
        assert not any(np.shares_memory(a, d) for d in douts)
    _run(layer, case, x2)
    for a, k in zip(handed_out, kept, strict=True):
        np.testing.assert_array_equal(a, k)


def test_a_float32_layer_casts_its_input(case, rng):
    layer = case.make(dtype="float32")
    outs, _, dx = _run(layer, case, case.input(rng, "float64"))
    assert all(o.dtype == np.float32 for o in outs)
    assert dx is None or dx.dtype == np.float32
