"""What every recurrent layer (SimpleRNN, LSTM, GRU) must do, checked on each of them.

* every combination of return_sequences, return_state, go_backwards, stateful and a
  given initial state: gradient checks (float64), float32 against float64, and the same
  numbers as a loop of the step kernels (``rnnlesson.kernels``), the reference of the
  fast loops, and as a loop of the one-step cells;
* Keras's flags, states and their errors; stateful layers (truncated BPTT);
* work arrays kept between calls never leak into what the layer hands out;
* the book-style references of ``benchmarks/reference.py`` agree with the layers.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from layer_cases import (
    FLAG_IDS,
    FLAGS,
    GRAD_TOL,
    MASK_KINDS,
    RECURRENT,
    RECURRENT_IDS,
    SHAPE_IDS,
    SHAPES,
    CellSteps,
    KernelSteps,
    assert_layer_equals_loop,
    flag_options,
    loop_of_steps,
    make_recurrent,
    prepare_call,
    sequence_masks,
)
from numerics import assert_close, rnn_terms

from rnnlesson.gradcheck import check_layer_gradients
from rnnlesson.layers import LSTM

VARIANT = pytest.mark.parametrize("cls, options", [r[1:] for r in RECURRENT], ids=RECURRENT_IDS)
SHAPE = pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)


def every_flag(test):
    """Run ``test(layer, x_shape, flags)`` on every variant, shape and flag combination."""
    @VARIANT
    @SHAPE
    @pytest.mark.parametrize("flags", FLAGS, ids=FLAG_IDS)
    def run(cls, options, shape, flags):
        n, t, d, h = shape
        test(lambda dtype="float64": make_recurrent(cls, d, h, {**options, **flag_options(flags)},
                                                    dtype=dtype), (n, t, d), flags)
    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


def _as_list(out):
    return list(out) if isinstance(out, list) else [out]


def _backward(layer, douts):
    return layer.backward(douts if layer.return_state else douts[0])


# ------------------------------------------------------------------ every flag combination
@every_flag
def test_gradients_every_flag_combination(make, x_shape, flags):
    layer = make()
    x, kwargs, _ = prepare_call(layer, flags, x_shape, np.random.default_rng(0))
    errors = check_layer_gradients(layer, x, forward_kwargs=kwargs, verbose=False)
    expected = {"input", "kernel", "recurrent_kernel", "bias"}
    if flags[4]:
        expected |= {f"initial_state[{i}]" for i in range(len(layer.state_names))}
    assert set(errors) == expected
    assert max(errors.values()) < GRAD_TOL, errors


@every_flag
def test_fused_loop_equals_a_loop_of_the_kernels(make, x_shape, flags):
    """The fast sequence loop computes what ``rnnlesson.kernels`` computes step by step."""
    assert_layer_equals_loop(KernelSteps, make(), flags, x_shape, seed=5)


@every_flag
def test_float32_matches_float64(make, x_shape, flags):
    res = {}
    for dtype in ("float64", "float32"):
        layer = make(dtype)
        rng = np.random.default_rng(2)
        x, kwargs, _ = prepare_call(layer, flags, x_shape, rng)
        outs = _as_list(layer(x, **kwargs))
        douts = [rng.standard_normal(o.shape) for o in outs]
        dx = _backward(layer, douts)
        assert dx.dtype == np.dtype(dtype) and all(o.dtype == np.dtype(dtype) for o in outs)
        res[dtype] = (outs, dx, {k: g.copy() for k, g in layer.grads.items()},
                      layer.initial_state_grads)
    terms = rnn_terms(*x_shape, make().units)
    (o32, dx32, g32, s32), (o64, dx64, g64, s64) = res["float32"], res["float64"]
    for a, b in zip(o32, o64, strict=True):
        assert_close(a, b, dtype="float32", terms=terms, what="output")
    assert_close(dx32, dx64, dtype="float32", terms=terms, what="dL/dx")
    for k in g64:
        assert g32[k].dtype == np.float32
        assert_close(g32[k], g64[k], dtype="float32", terms=terms, what=k)
    for a, b in zip(s32, s64, strict=True):
        assert_close(a, b, dtype="float32", terms=terms, what="dL/dstate0")


@VARIANT
@SHAPE
@pytest.mark.parametrize("flags", [(True, True, False, False, True),
                                   (False, False, True, False, False)], ids=["RS--I", "--B--"])
def test_loop_of_cells_equals_layer(cls, options, shape, flags):
    """A loop of the one-step cells gives the layer's outputs and gradients (DESIGN.md)."""
    n, t, d, h = shape
    layer = make_recurrent(cls, d, h, {**options, **flag_options(flags)})
    assert_layer_equals_loop(CellSteps, layer, flags, (n, t, d), seed=4)


# ------------------------------------------------------------------ return_state gradients
@VARIANT
@pytest.mark.parametrize("present", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (0, 1, 1)],
                         ids=["out", "h", "c", "out+c", "h+c"])
@pytest.mark.parametrize("ret_seq", [False, True], ids=["last", "seq"])
def test_return_state_backward_with_none_entries(cls, options, present, ret_seq):
    """Each of [doutput, dh, (dc)] may be None (zero); the gradients stay right."""
    rng = np.random.default_rng(11)
    n, t, d, h = 2, 3, 3, 4
    layer = make_recurrent(cls, d, h, {**options, "return_sequences": ret_seq,
                                       "return_state": True})
    k = len(layer.state_names)
    present = present[:1 + k] if k == 2 else (present[0], present[1] or present[2])
    x = rng.standard_normal((n, t, d))
    init = [rng.standard_normal((n, h)) for _ in range(k)]
    outs = layer(x, initial_state=init)
    douts = [rng.standard_normal(o.shape) if p else None for o, p in zip(outs, present,
                                                                         strict=True)]
    dx = layer.backward(douts)
    ref = loop_of_steps(KernelSteps(layer), layer, x, init, douts)
    np.testing.assert_allclose(dx, ref[1], rtol=1e-11, atol=1e-12)
    for key, g in ref[2].items():
        np.testing.assert_allclose(layer.grads[key], g, rtol=1e-11, atol=1e-12, err_msg=key)
    assert np.abs(layer.grads["kernel"]).max() > 0


@VARIANT
def test_all_none_gradients_give_zero(cls, options):
    layer = make_recurrent(cls, 2, 3, {**options, "return_state": True})
    x = np.ones((2, 4, 2))
    layer(x)
    dx = layer.backward([None] * (1 + len(layer.state_names)))
    assert dx.shape == x.shape and not dx.any()
    assert all(not g.any() for g in layer.grads.values())
    assert all(not g.any() for g in layer.initial_state_grads)


# ------------------------------------------------------------------ flags and shapes
@VARIANT
def test_go_backwards_reads_the_sequence_reversed(cls, options):
    layer = make_recurrent(cls, 3, 4, {**options, "return_sequences": True, "go_backwards": True})
    plain = make_recurrent(cls, 3, 4, {**options, "return_sequences": True})
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    np.testing.assert_allclose(layer(x), plain(x[:, ::-1]), rtol=1e-13, atol=1e-14)


@VARIANT
def test_return_state_and_shapes(cls, options):
    layer = make_recurrent(cls, 3, 4, {**options, "return_sequences": True, "return_state": True})
    k = len(layer.state_names)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    seq, h_last, *rest = layer(x)
    assert seq.shape == (2, 5, 4) and h_last.shape == (2, 4) and len(rest) == k - 1
    np.testing.assert_array_equal(seq[:, -1], h_last)
    assert layer.compute_output_shape((None, 5, 3)) == [(None, 5, 4)] + [(None, 4)] * k
    last = make_recurrent(cls, 3, 4, options)
    np.testing.assert_allclose(last(x), h_last, rtol=1e-14)
    assert last.compute_output_shape((None, 5, 3)) == (None, 4)


@VARIANT
def test_two_d_input_suggests_return_sequences(cls, options):
    with pytest.raises(ValueError, match=r"return_sequences=True") as err:
        cls(4, **options)(np.zeros((32, 8)))
    assert f"{cls.__name__} expects input of shape (N, T, D); got (32, 8)" in str(err.value)


@VARIANT
def test_initial_state_is_checked(cls, options):
    layer = cls(4, **options)
    x = np.zeros((2, 3, 5))
    names = layer.state_names
    k = len(names)
    with pytest.raises(ValueError, match=rf"list of {k} array\(s\) \[{', '.join(names)}\].* got "
                                         rf"{k + 1}"):
        layer(x, initial_state=[np.zeros((2, 4))] * (k + 1))
    with pytest.raises(ValueError, match=rf"initial state '{names[-1]}' of shape \(N, H\) = "
                                         r"\(2, 4\); got \(2, 5\)"):
        layer(x, initial_state=[np.zeros((2, 4))] * (k - 1) + [np.zeros((2, 5))])
    with pytest.raises(ValueError, match=r"initial state 'h' of shape \(N, H\) = \(2, 4\); got "
                                         r"\(3, 4\)"):
        layer(x, initial_state=[np.zeros((3, 4))] + [np.zeros((2, 4))] * (k - 1))
    if k == 2:  # one bare array where two are needed
        with pytest.raises(ValueError, match=r"list of 2 array\(s\) \[h, c\] .* got 1"):
            layer(x, initial_state=np.zeros((2, 4)))


@VARIANT
def test_return_state_backward_needs_the_list(cls, options):
    layer = cls(4, **options, return_state=True)
    layer(np.zeros((2, 3, 5)))
    k = len(layer.state_names)
    grads = ", ".join("d" + s for s in layer.state_names)
    with pytest.raises(ValueError, match=rf"list of {k + 1} gradients \[doutput, {grads}\].*"
                                         "got list of length 1"):
        layer.backward([np.ones((2, 4))])
    with pytest.raises(ValueError, match=rf"list of {k + 1} gradients .*got ndarray"):
        layer.backward(np.ones((2, 4)))


@VARIANT
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_initial_weights_as_keras(cls, options, dtype):
    d, h = 7, 5
    layer = cls(h, dtype=dtype, seed=0, **options)
    layer.build((None, 4, d))
    W, U, b = layer.get_weights()
    k = W.shape[1] // h
    assert W.dtype == U.dtype == b.dtype == np.dtype(dtype)
    limit = np.sqrt(6 / (d + k * h))  # glorot-uniform bound, fan_in D, fan_out kH
    assert 0.8 * limit < np.abs(W).max() <= limit
    np.testing.assert_allclose(U @ U.T, np.eye(h), atol=1e-5)  # orthonormal rows
    expected_bias = np.zeros(b.shape)
    if isinstance(layer, LSTM):
        expected_bias[h:2 * h] = 1.0  # unit_forget_bias
    np.testing.assert_array_equal(b, expected_bias)


# ------------------------------------------------------------------ stateful
@VARIANT
def test_stateful_calls_continue_the_sequence(cls, options):
    """A stateful layer split over two calls computes the whole sequence's numbers."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 3))
    whole = make_recurrent(cls, 3, 5, {**options, "return_sequences": True})(x)
    layer = make_recurrent(cls, 3, 5, {**options, "return_sequences": True, "stateful": True})
    a, b = layer(x[:, :5]), layer(x[:, 5:])
    np.testing.assert_allclose(np.concatenate([a, b], axis=1), whole, rtol=1e-13, atol=1e-14)
    layer.reset_states()
    assert layer.states is None
    np.testing.assert_allclose(layer(x[:, :5]), whole[:, :5], rtol=1e-13, atol=1e-14)


@VARIANT
def test_stateful_no_gradient_across_calls(cls, options):
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((2, 2, 4, 3))
    dy = rng.standard_normal((2, 4, 5))
    layer = make_recurrent(cls, 3, 5, {**options, "stateful": True, "return_sequences": True})
    plain = make_recurrent(cls, 3, 5, {**options, "return_sequences": True})
    layer(x1)
    carried = [s.copy() for s in layer.states]
    layer(x2)
    dx = layer.backward(dy)
    plain(x2, initial_state=carried)
    np.testing.assert_allclose(dx, plain.backward(dy), rtol=1e-12, atol=1e-15)
    for k in layer.grads:  # only the second call's contribution, as truncated BPTT
        np.testing.assert_allclose(layer.grads[k], plain.grads[k], rtol=1e-12, atol=1e-15)
    for a, b in zip(layer.initial_state_grads, plain.initial_state_grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@VARIANT
def test_stateful_state_is_a_copy_of_the_output(cls, options):
    layer = make_recurrent(cls, 3, 4, {**options, "stateful": True, "return_state": True})
    outs = layer(np.random.default_rng(0).standard_normal((2, 3, 3)))
    for o in outs:
        o[...] = 100.0
    assert all(np.abs(s).max() < 100.0 for s in layer.states)


@VARIANT
def test_stateful_batch_size_change_raises_helpfully(cls, options):
    layer = make_recurrent(cls, 3, 4, {**options, "stateful": True})
    layer(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="carries states for a batch of 2; got a batch of 5") as e:
        layer(np.zeros((5, 3, 3)))
    assert "reset_states()" in str(e.value)
    layer.reset_states()
    assert layer(np.zeros((5, 3, 3))).shape == (5, 4)


# ------------------------------------------------------------------ work arrays
@VARIANT
@pytest.mark.parametrize("shape", [(1, 3, 5, 2), (2, 1, 5, 2), (1, 1, 1, 4), (3, 4, 2, 4),
                                   (2, 5, 3, 4)])
def test_later_calls_leave_earlier_results_alone(cls, options, shape):
    """Work arrays are kept between calls; nothing handed out may change afterwards."""
    n, t, d, h = shape
    rng = np.random.default_rng(16)
    opts = {**options, "return_sequences": True, "return_state": True}
    layer = make_recurrent(cls, d, h, opts)
    x1, x2, x3 = (rng.standard_normal((n, t, d)) for _ in range(3))
    outs1 = layer(x1)
    dys = [rng.standard_normal(o.shape) for o in outs1]
    dx1 = layer.backward(dys)
    handed_out = list(outs1) + [dx1] + list(layer.initial_state_grads)
    kept = [a.copy() for a in handed_out]
    layer(x2)
    layer.backward(dys)
    layer(rng.standard_normal((n + 1, t + 1, d)))  # another shape in between
    outs3 = layer(x3)
    for a, b in zip(handed_out, kept, strict=True):
        np.testing.assert_array_equal(a, b)
    fresh = make_recurrent(cls, d, h, opts)
    for a, b in zip(fresh(x3), outs3, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fresh.backward(dys), layer.backward(dys))
    again = layer(x1)  # the same shapes once more: work arrays and their views reused
    for a, b in zip(again, kept[:len(outs1)], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(layer.backward(dys), kept[len(outs1)])
    for a, b in zip(layer.initial_state_grads, kept[len(outs1) + 1:], strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ book-style references
def _load_reference():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "reference.py"
    spec = importlib.util.spec_from_file_location("benchmarks_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("cls, options", [r[1:] for r in RECURRENT[:3]], ids=RECURRENT_IDS[:3])
@pytest.mark.parametrize("shape", SHAPES + [(1, 1, 3, 5)], ids=SHAPE_IDS + ["T1N1"])
def test_book_style_reference_agrees_with_the_layer(cls, options, shape):
    reference = _load_reference()
    n, t, d, h = shape
    layer = make_recurrent(cls, d, h, {**options, "return_sequences": True})
    kind = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[cls.__name__]
    ref = reference.build(kind, layer.get_weights())
    rng = np.random.default_rng(9)
    x, dy = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
    np.testing.assert_allclose(ref.forward(x), layer(x), rtol=1e-12, atol=1e-13)
    dx_ref, grads = ref.backward(dy)
    np.testing.assert_allclose(dx_ref, layer.backward(dy), rtol=1e-10, atol=1e-12)
    assert list(grads) == list(layer.params)
    for name, g in grads.items():
        np.testing.assert_allclose(g, layer.grads[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_book_style_gru_reference_refuses_the_reset_before_bias():
    reference = _load_reference()
    layer = make_recurrent(RECURRENT[3][1], 3, 4, RECURRENT[3][2])
    with pytest.raises(ValueError, match=r"reset_after=True bias of shape \(2, 3H\)"):
        reference.GRUReference.from_layer(layer)


# ------------------------------------------------------------------ sequence masks
@every_flag
def test_masked_layer_equals_a_loop_of_the_kernels(make, x_shape, flags):
    """With a mask of every kind (padding after, before, holes), with and without
    zero_output_for_mask, the layer computes Keras's masked recurrence step by step."""
    n, t, _ = x_shape
    for keep in sequence_masks(n, t).values():
        for zero_output in (False, True):
            layer = make()
            layer.zero_output_for_mask = zero_output
            assert_layer_equals_loop(KernelSteps, layer, flags, x_shape, seed=6, keep=keep)


MASK_FLAGS = [(True, False, False, False, False), (False, True, True, False, True),
              (True, True, True, True, True), (False, False, False, True, False)]


@VARIANT
@SHAPE
@pytest.mark.parametrize("kind", MASK_KINDS)
@pytest.mark.parametrize("flags", MASK_FLAGS, ids=["".join("RSBFI"[i] if v else "-"
                                                           for i, v in enumerate(f))
                                                   for f in MASK_FLAGS])
def test_gradients_with_a_mask(cls, options, shape, kind, flags):
    _, _, d, h = shape
    n, t = 4, 5  # every sequence keeps a step or more: no gradient entry is tiny
    layer = make_recurrent(cls, d, h, {**options, **flag_options(flags),
                                       "zero_output_for_mask": flags[2]})
    x, kwargs, _ = prepare_call(layer, flags, (n, t, d), np.random.default_rng(3))
    kwargs["mask"] = sequence_masks(n, t)[kind]
    errors = check_layer_gradients(layer, x, forward_kwargs=kwargs, verbose=False)
    assert max(errors.values()) < GRAD_TOL, errors


@VARIANT
@pytest.mark.parametrize("kind", MASK_KINDS)
def test_masked_float32_matches_float64(cls, options, kind):
    n, t, d, h = 3, 6, 4, 5
    keep = sequence_masks(n, t)[kind]
    rng = np.random.default_rng(8)
    x, dy = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
    res = {}
    for dtype in ("float64", "float32"):
        layer = make_recurrent(cls, d, h, {**options, "return_sequences": True}, dtype=dtype)
        out = layer(x, mask=keep)
        res[dtype] = (out, layer.backward(dy), {k: g.copy() for k, g in layer.grads.items()})
    terms = rnn_terms(n, t, d, h)
    for a, b in zip(res["float32"][:2], res["float64"][:2], strict=True):
        assert_close(a, b, dtype="float32", terms=terms, what="output / dL/dx")
    for k, g in res["float64"][2].items():
        assert_close(res["float32"][2][k], g, dtype="float32", terms=terms, what=k)


@VARIANT
@pytest.mark.parametrize("padding", ["pre", "post"])
def test_padding_gives_the_unpadded_result(cls, options, padding):
    """A padded batch with its mask gives each sequence's own result, wherever the padding."""
    rng = np.random.default_rng(2)
    d, h, t = 3, 4, 7
    lengths = [7, 4, 1, 5]
    layer = make_recurrent(cls, d, h, {**options, "return_state": True})
    seqs = [rng.standard_normal((length, d)) for length in lengths]
    x = np.zeros((len(lengths), t, d))
    keep = np.zeros((len(lengths), t), bool)
    for i, s in enumerate(seqs):
        where = slice(t - len(s), t) if padding == "pre" else slice(0, len(s))
        x[i, where], keep[i, where] = s, True
    x[~keep] = rng.standard_normal((int((~keep).sum()), d))  # padding need not be zeros
    padded = layer(x, mask=keep)
    for i, s in enumerate(seqs):
        alone = layer(s[None])
        for a, b in zip(padded, alone, strict=True):
            np.testing.assert_allclose(a[i], b[0], rtol=1e-12, atol=1e-13)


@VARIANT
def test_masked_steps_give_no_gradient_to_their_inputs(cls, options):
    layer = make_recurrent(cls, 2, 3, {**options, "return_sequences": True})
    keep = sequence_masks(3, 5)["holes"]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 2))
    layer(x, mask=keep)
    dx = layer.backward(rng.standard_normal((3, 5, 3)))
    assert not dx[~keep].any() and np.abs(dx[keep]).min() > 0


@VARIANT
def test_a_mask_that_does_not_fit_is_refused(cls, options):
    layer = cls(3, **options)
    x = np.zeros((2, 5, 4))
    with pytest.raises(ValueError, match=r"mask of shape \(N, T\) = \(2, 5\).*got \(2, 4\)"):
        layer(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"mask of shape \(N, T\) = \(2, 5\).*got \(2, 5, 1\)"):
        layer(x, mask=np.ones((2, 5, 1), bool))
    with pytest.raises(ValueError, match=r"booleans or 0/1.*got other values, e.g. 2"):
        layer(x, mask=np.full((2, 5), 2))
    with pytest.raises(TypeError, match=r"mask of booleans .*dtype <U1"):
        layer(x, mask=np.full((2, 5), "a"))
    np.testing.assert_array_equal(layer(x, mask=np.ones((2, 5), int)), layer(x))
