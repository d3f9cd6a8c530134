"""SimpleRNN and SimpleRNNCell: gradients, cell-vs-layer agreement, flags, pins, errors."""

import itertools

import numpy as np
import pytest
from numerics import assert_close, rnn_terms, tolerances

from rnnlesson.cells import SimpleRNNCell
from rnnlesson.gradcheck import check_function_gradient, check_layer_gradients
from rnnlesson.layers import SimpleRNN

TOL = 1e-7
EPS = 1e-5  # cells: central differences, truncation error ~eps^2, rounding ~1e-16/eps
DATA_SEED = 0  # any seed works unless some gradient entry lands within ~1e-4 of 0
# (N, T, D, H): the first takes the folded path (2D <= H), the second projects x once
SHAPES = [(2, 4, 2, 4), (3, 3, 5, 3)]
FLAGS = list(itertools.product([False, True], repeat=5))
FLAG_IDS = ["seq{}-state{}-back{}-stateful{}-h0{}".format(*map(int, f)) for f in FLAGS]


def make_layer(d, h, seed=0, dtype="float64", **kwargs):
    """A built layer with random weights of moderate size (biases non-zero)."""
    layer = SimpleRNN(h, dtype=dtype, seed=seed, **kwargs)
    layer.build((None, None, d))
    rng = np.random.default_rng(seed + 100)
    layer.set_weights([0.6 * rng.standard_normal(w.shape) for w in layer.get_weights()])
    return layer


def cell_like(layer, dtype="float64"):
    d = layer.params["kernel"].shape[0]
    cell = SimpleRNNCell(layer.units, activation=layer.activation, dtype=dtype)
    cell.build((None, d))
    cell.set_weights(layer.get_weights())
    return cell


# ------------------------------------------------------------------ gradient checks
@pytest.mark.parametrize("shape", SHAPES, ids=["fold", "project"])
@pytest.mark.parametrize("flags", FLAGS, ids=FLAG_IDS)
def test_gradients_every_flag_combination(shape, flags):
    n, t, d, h = shape
    seq, state, back, stateful, with_h0 = flags
    layer = make_layer(d, h, return_sequences=seq, return_state=state, go_backwards=back,
                       stateful=stateful)
    rng = np.random.default_rng(DATA_SEED)
    x = rng.standard_normal((n, t, d))
    if stateful:  # carry a non-zero state into the checked call
        layer(rng.standard_normal((n, t, d)))
        assert np.abs(layer.states[0]).max() > 0
    kwargs = {"initial_state": [rng.standard_normal((n, h))]} if with_h0 else None
    errors = check_layer_gradients(layer, x, forward_kwargs=kwargs, verbose=False)
    expected = {"input", "kernel", "recurrent_kernel", "bias"}
    if with_h0:
        expected.add("initial_state[0]")
    assert set(errors) == expected
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "linear"])
@pytest.mark.parametrize("shape", SHAPES, ids=["fold", "project"])
def test_gradients_other_activations(activation, shape):
    n, t, d, h = shape
    layer = make_layer(d, h, activation=activation, return_sequences=True, return_state=True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, t, d))
    kwargs = {"initial_state": [rng.standard_normal((n, h))]}
    errors = check_layer_gradients(layer, x, forward_kwargs=kwargs, verbose=False)
    assert len(errors) == 5
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_cell_gradients(activation):
    n, d, h = 3, 4, 5
    cell = SimpleRNNCell(h, activation=activation, dtype="float64", seed=0)
    cell.build((n, d))
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((n, d)), rng.standard_normal((n, h)),
              0.6 * rng.standard_normal((d, h)), 0.6 * rng.standard_normal((h, h)),
              0.6 * rng.standard_normal(h)]

    def fwd(x, h0, W, U, b):
        cell.set_weights([W, U, b])
        cell.reset_cache()
        out, _ = cell.forward(x, h0)
        return out

    def bwd(dout):
        cell.zero_grad()
        dx, dh0 = cell.backward(dout)
        g = cell.grads
        return dx, dh0, g["kernel"].copy(), g["recurrent_kernel"].copy(), g["bias"].copy()

    errors = check_function_gradient(fwd, bwd, *inputs, names=["x", "h", "W", "U", "b"], eps=EPS,
                                     verbose=False)
    assert max(errors.values()) < TOL, errors


# ------------------------------------------------------------------ cells vs layer
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES, ids=["fold", "project"])
def test_loop_of_cells_equals_layer(shape, activation):
    n, t, d, h = shape
    layer = make_layer(d, h, activation=activation, return_sequences=True)
    rng = np.random.default_rng(5)
    x, h0 = rng.standard_normal((n, t, d)), rng.standard_normal((n, h))
    dy = rng.standard_normal((n, t, h))
    y = layer(x, initial_state=[h0])
    dx = layer.backward(dy)

    cell = cell_like(layer)
    state, outs = h0, []
    for k in range(t):
        out, state = cell.forward(x[:, k], state)
        outs.append(out)
    dxs, dstate = [None] * t, None
    for k in reversed(range(t)):
        dxs[k], dstate = cell.backward(dy[:, k], dstate)
    np.testing.assert_allclose(np.stack(outs, 1), y, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.stack(dxs, 1), dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dstate, layer.initial_state_grads[0], rtol=1e-10, atol=1e-12)
    for name in layer.params:
        np.testing.assert_allclose(cell.grads[name], layer.grads[name], rtol=1e-10, atol=1e-12)


def test_cell_accumulates_until_zero_grad():
    cell = SimpleRNNCell(3, dtype="float64", seed=0)
    x = np.random.default_rng(0).standard_normal((2, 4))
    cell.forward(x)
    cell.backward(np.ones((2, 3)))
    once = {k: g.copy() for k, g in cell.grads.items()}
    cell.forward(x)
    cell.backward(np.ones((2, 3)))
    for k in once:
        np.testing.assert_allclose(cell.grads[k], 2 * once[k])
    cell.zero_grad()
    assert all(not g.any() for g in cell.grads.values())


def test_cell_weights_and_params_follow_keras():
    cell = SimpleRNNCell(4, seed=0)
    cell.build((None, 3))
    assert [(k, v.shape) for k, v in cell.params.items()] == [
        ("kernel", (3, 4)), ("recurrent_kernel", (4, 4)), ("bias", (4,))]
    assert cell.count_params() == 3 * 4 + 4 * 4 + 4
    layer = SimpleRNN(4, seed=0)
    layer.build((None, 5, 3))
    for a, b in zip(cell.get_weights(), layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # same seed, same draws in the same order


# ------------------------------------------------------------------ flags
def test_go_backwards_reads_the_sequence_reversed():
    layer = make_layer(3, 4, return_sequences=True, go_backwards=True)
    plain = make_layer(3, 4, return_sequences=True)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    np.testing.assert_allclose(layer(x), plain(x[:, ::-1]), rtol=1e-13, atol=1e-14)


def test_return_state_and_shapes():
    layer = make_layer(3, 4, return_sequences=True, return_state=True)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    seq, h_last = layer(x)
    assert seq.shape == (2, 5, 4) and h_last.shape == (2, 4)
    np.testing.assert_array_equal(seq[:, -1], h_last)
    assert layer.compute_output_shape((None, 5, 3)) == [(None, 5, 4), (None, 4)]
    last = make_layer(3, 4)
    assert last(x).shape == (2, 4)
    np.testing.assert_allclose(last(x), h_last)
    assert last.compute_output_shape((None, 5, 3)) == (None, 4)


def test_count_params_and_config_round_trip():
    layer = SimpleRNN(32, activation="relu", return_sequences=True, seed=3, name="rnn")
    layer.build((None, None, 10))
    assert layer.count_params() == 32 * (10 + 32) + 32  # u (D + u) + u
    clone = SimpleRNN.from_config(layer.get_config())
    clone.build((None, None, 10))
    assert clone.activation == "relu" and clone.return_sequences
    for a, b in zip(layer.get_weights(), clone.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("flags", FLAGS, ids=FLAG_IDS)
@pytest.mark.parametrize("shape", SHAPES, ids=["fold", "project"])
def test_float32_matches_float64(shape, flags):
    n, t, d, h = shape
    seq, state, back, stateful, with_h0 = flags
    kw = dict(return_sequences=seq, return_state=state, go_backwards=back, stateful=stateful)
    l64 = make_layer(d, h, **kw)
    l32 = make_layer(d, h, dtype="float32", **kw)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, t, d))
    fk = {"initial_state": [rng.standard_normal((n, h))]} if with_h0 else {}
    y64, y32 = l64(x, **fk), l32(x, **fk)
    outs64 = y64 if state else [y64]
    outs32 = y32 if state else [y32]
    douts = [rng.standard_normal(o.shape) for o in outs64]
    terms = rnn_terms(n, t, d, h)
    for a, b in zip(outs32, outs64, strict=True):
        assert a.dtype == np.float32
        assert_close(a, b, dtype="float32", terms=terms, what="output")
    dx64 = l64.backward(douts if state else douts[0])
    dx32 = l32.backward(douts if state else douts[0])
    assert dx32.dtype == np.float32
    assert_close(dx32, dx64, dtype="float32", terms=terms, what="dL/dx")
    for k in l64.grads:
        assert l32.grads[k].dtype == np.float32
        assert_close(l32.grads[k], l64.grads[k], dtype="float32", terms=terms, what=k)


def test_backward_does_not_mutate_its_inputs_or_the_cache():
    layer = make_layer(2, 4, return_sequences=True, return_state=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 2))
    x_copy = x.copy()
    seq, h = layer(x)
    dseq, dh = rng.standard_normal(seq.shape), rng.standard_normal(h.shape)
    d_copies = (dseq.copy(), dh.copy())
    dx1 = layer.backward([dseq, dh])
    g1 = {k: v.copy() for k, v in layer.grads.items()}
    seq[...] = 0  # the caller scribbling on the output must not change what backward uses
    dx2 = layer.backward([dseq, dh])
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dseq, d_copies[0])
    np.testing.assert_array_equal(dh, d_copies[1])
    np.testing.assert_array_equal(dx1, dx2)
    for k in g1:
        np.testing.assert_array_equal(layer.grads[k], g1[k])  # overwritten, not accumulated


# ------------------------------------------------------------------ stateful
def test_stateful_second_call_starts_from_first_final_state():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 2, 4, 3))
    layer = make_layer(3, 5, stateful=True, return_sequences=True)
    plain = make_layer(3, 5, return_sequences=True)
    y1 = layer(x1)
    y2 = layer(x2)
    np.testing.assert_allclose(y1, plain(x1), rtol=1e-13)
    np.testing.assert_allclose(y2, plain(x2, initial_state=[y1[:, -1]]), rtol=1e-13)
    assert not np.allclose(y2, plain(x2))
    layer.reset_states()
    np.testing.assert_allclose(layer(x2), plain(x2), rtol=1e-13)


def test_stateful_no_gradient_across_calls():
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((2, 2, 4, 3))
    dy = rng.standard_normal((2, 4, 5))
    layer = make_layer(3, 5, stateful=True, return_sequences=True)
    plain = make_layer(3, 5, return_sequences=True)
    h1 = layer(x1)[:, -1].copy()
    layer(x2)
    dx = layer.backward(dy)
    plain(x2, initial_state=[h1])
    dx_plain = plain.backward(dy)
    assert dx.shape == x2.shape
    np.testing.assert_allclose(dx, dx_plain, rtol=1e-12)
    for k in layer.grads:  # only the second call's contribution, as truncated BPTT
        np.testing.assert_allclose(layer.grads[k], plain.grads[k], rtol=1e-12)
    np.testing.assert_allclose(layer.initial_state_grads[0], plain.initial_state_grads[0],
                               rtol=1e-12)


def test_stateful_state_is_a_copy_of_the_output():
    layer = make_layer(3, 4, stateful=True)
    x = np.random.default_rng(0).standard_normal((2, 3, 3))
    h = layer(x)
    h[...] = 100.0
    assert np.abs(layer.states[0]).max() < 1.0


def test_stateful_batch_size_change_raises_helpfully():
    layer = make_layer(3, 4, stateful=True)
    layer(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="same batch size") as err:
        layer(np.zeros((5, 3, 3)))
    assert "reset_states()" in str(err.value) and "batch of 2" in str(err.value)
    layer.reset_states()
    assert layer(np.zeros((5, 3, 3))).shape == (5, 4)


# ------------------------------------------------------------------ pinned numbers
def _golden_input(dtype):
    return np.linspace(-1.0, 1.0, 2 * 3 * 5, dtype=dtype).reshape(2, 3, 5)


def test_seeded_initial_weights_are_pinned():
    layer = SimpleRNN(4, seed=0, dtype="float64")
    layer.build((None, None, 5))
    W, U, b = layer.get_weights()
    assert W.shape == (5, 4) and U.shape == (4, 4) and b.shape == (4,)
    np.testing.assert_allclose(W.sum(), PINNED_W_SUM, rtol=1e-12)
    np.testing.assert_allclose((U * np.arange(16).reshape(4, 4)).sum(), PINNED_U_CHECK,
                               rtol=1e-12)
    np.testing.assert_allclose(U @ U.T, np.eye(4), atol=1e-12)  # orthogonal
    limit = np.sqrt(6 / (5 + 4))
    assert np.abs(W).max() <= limit  # glorot-uniform bound
    assert not b.any()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_golden_outputs(dtype):
    # float64 as pinned; float32 within the epsilon-derived bound of the float64 numbers
    tol = 1e-12 if dtype == "float64" else tolerances(dtype, 1.0, rnn_terms(2, 3, 5, 4))[0]
    layer = SimpleRNN(4, seed=0, return_sequences=True, dtype=dtype)
    y = layer(_golden_input(dtype))
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y[0, -1], PINNED_Y0_LAST, rtol=tol, atol=tol)
    np.testing.assert_allclose(y[1, 0], PINNED_Y1_FIRST, rtol=tol, atol=tol)
    relu = SimpleRNN(4, activation="relu", seed=0, go_backwards=True, dtype=dtype)
    np.testing.assert_allclose(relu(_golden_input(dtype)), PINNED_RELU_BACK, rtol=tol, atol=tol)


# computed once with the first correct implementation (checked against the cell and torch)
PINNED_W_SUM = 0.4034103140239481
PINNED_U_CHECK = -16.315856084045606
PINNED_Y0_LAST = [-0.7296705468935359, -0.7737007130925057, -0.09963463711158503,
                  0.13764835574119705]
PINNED_Y1_FIRST = [0.3781077781916967, 0.01642224372296884, 0.06999951272331711,
                   -0.2871782819173176]
PINNED_RELU_BACK = [[0.0, 0.0, 0.2133762217722155, 1.0331389322192488],
                    [1.8326016369720084, 1.3635580669308247, 0.0, 0.0]]


# ------------------------------------------------------------------ bad inputs
def test_two_d_input_suggests_return_sequences():
    layer = SimpleRNN(4)
    with pytest.raises(ValueError, match=r"return_sequences=True") as err:
        layer(np.zeros((32, 8)))
    assert "(N, T, D)" in str(err.value) and "(32, 8)" in str(err.value)


def test_wrong_feature_size_after_build():
    layer = SimpleRNN(4)
    layer(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"D=5") as err:
        layer(np.zeros((2, 3, 6)))
    assert "(2, 3, 6)" in str(err.value)


def test_nan_input():
    x = np.zeros((2, 3, 5))
    x[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN"):
        SimpleRNN(4)(x)


def test_empty_sequence():
    with pytest.raises(ValueError, match=r"non-empty") as err:
        SimpleRNN(4)(np.zeros((2, 0, 5)))
    assert "(2, 0, 5)" in str(err.value)


def test_bad_units():
    with pytest.raises(ValueError, match=r"units to be a positive integer; got 0"):
        SimpleRNN(0)
    with pytest.raises(TypeError, match=r"units to be a positive integer; got '8'"):
        SimpleRNN("8")


def test_bad_activation():
    with pytest.raises(ValueError, match=r"activation to be one of 'tanh'.*got 'softmax'"):
        SimpleRNN(4, activation="softmax")
    with pytest.raises(ValueError, match=r"got 'tahn'"):
        SimpleRNNCell(4, activation="tahn")


def test_wrong_initial_state_shape():
    layer = SimpleRNN(4)
    with pytest.raises(ValueError, match=r"initial state 'h' of shape \(N, H\) = \(2, 4\); "
                                         r"got \(2, 5\)"):
        layer(np.zeros((2, 3, 5)), initial_state=[np.zeros((2, 5))])


def test_backward_before_forward():
    layer = SimpleRNN(4)
    layer.build((None, 3, 5))
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((2, 4)))


def test_wrong_dy_shape():
    layer = SimpleRNN(4, return_sequences=True)
    layer(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"shape of the forward output \(2, 3, 4\); got \(2, 4\)"):
        layer.backward(np.zeros((2, 4)))
    stateful = SimpleRNN(4, return_state=True)
    stateful(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"list of 2 gradients"):
        stateful.backward(np.zeros((2, 4)))


def test_cell_errors():
    cell = SimpleRNNCell(4)
    with pytest.raises(RuntimeError, match=r"no forward step left"):
        cell.backward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"x_t of shape \(N, D\); got \(2, 3, 5\)"):
        cell.forward(np.zeros((2, 3, 5)))
    cell.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"D=5"):
        cell.forward(np.zeros((2, 6)))
    with pytest.raises(ValueError, match=r"state of shape \(N, H\) = \(2, 4\); got \(2, 3\)"):
        cell.forward(np.zeros((2, 5)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dh of shape \(N, H\) = \(2, 4\).*got \(4,\)"):
        cell.backward(np.zeros(4))
    dx, dh = cell.backward(np.zeros((2, 4)))  # the failed call left the cached step in place
    assert dx.shape == (2, 5) and dh.shape == (2, 4)
    with pytest.raises(RuntimeError, match=r"no forward step left"):
        cell.backward(np.zeros((2, 4)))
    with pytest.raises(TypeError, match=r"units to be a positive integer"):
        SimpleRNNCell(2.5)


@pytest.mark.parametrize("shape", [(1, 3, 5, 2), (2, 1, 5, 2), (1, 1, 1, 4), (3, 4, 2, 4)])
def test_results_are_fresh_arrays_not_reused_buffers(shape):
    """The layer keeps scratch buffers between calls; nothing it returns may be one of them."""
    n, t, d, h = shape
    layer = make_layer(d, h, return_sequences=True, return_state=True)
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, n, t, d))
    seq1, h1 = layer(x1)
    kept = [seq1.copy(), h1.copy()]
    dx1 = layer.backward([np.ones_like(seq1), None])
    dx1_kept, dh0_kept = dx1.copy(), layer.initial_state_grads[0].copy()
    dh0 = layer.initial_state_grads[0]
    layer(x2)
    layer.backward([rng.standard_normal(seq1.shape), None])
    np.testing.assert_array_equal(seq1, kept[0])
    np.testing.assert_array_equal(h1, kept[1])
    np.testing.assert_array_equal(dx1, dx1_kept)
    np.testing.assert_array_equal(dh0, dh0_kept)


# ------------------------------------------------------------------ book-style references
def _load_reference():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "reference.py"
    spec = importlib.util.spec_from_file_location("benchmarks_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm"])
@pytest.mark.parametrize("shape", SHAPES + [(1, 1, 3, 5)], ids=["fold", "project", "T1N1"])
def test_book_style_reference_agrees_with_the_layer(kind, shape):
    from rnnlesson.layers import LSTM

    reference = _load_reference()
    n, t, d, h = shape
    if kind == "simple_rnn":
        layer = make_layer(d, h, return_sequences=True)
    else:
        layer = LSTM(h, return_sequences=True, dtype="float64", seed=0)
        layer.build((None, None, d))
        rng = np.random.default_rng(100)
        layer.set_weights([0.6 * rng.standard_normal(w.shape) for w in layer.get_weights()])
    ref = reference.build(kind, layer.get_weights())
    rng = np.random.default_rng(9)
    x, dy = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
    np.testing.assert_allclose(ref.forward(x), layer(x), rtol=1e-12, atol=1e-13)
    dx_ref, grads = ref.backward(dy)
    np.testing.assert_allclose(dx_ref, layer.backward(dy), rtol=1e-10, atol=1e-12)
    assert list(grads) == list(layer.params)
    for name, g in grads.items():
        np.testing.assert_allclose(g, layer.grads[name], rtol=1e-10, atol=1e-12, err_msg=name)
