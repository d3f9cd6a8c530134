"""The layers and cells that the contract tests hold to one standard, and how to feed them.

Each :class:`Case` names a layer class, the arguments that build one, an input it takes
and the weights (Keras names, order and shapes) it must then have. The contract tests
(``test_layer_contract.py``, ``test_recurrent_contract.py``, ``test_cell_contract.py``)
run every check on every case; a new layer joins by adding its case here.

Also here: the loops of the step kernels (``rnnlesson.kernels``) that the fused sequence
layers must match, so that the contract tests and the per-layer files share them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from rnnlesson import kernels
from rnnlesson.cells import GRUCell, LSTMCell, SimpleRNNCell
from rnnlesson.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    DropoutMasks,
    Embedding,
    Flatten,
    Masking,
    SimpleRNN,
)

#: relative error below which a float64 gradient check passes (tests/README.md)
GRAD_TOL = 1e-7


@dataclass(frozen=True)
class Case:
    """One layer configuration under test.

    Attributes:
        id: the test id.
        cls, args, options: the layer is ``cls(*args, **options, dtype=..., seed=...)``.
        input_shape: the shape of one valid input, batch first.
        weights: ``(name, shape)`` of every weight for that input, in Keras's order.
        positional: how many leading constructor arguments may be given by position
            (units; units and activation for Dense and SimpleRNN; V and E for Embedding).
        ids: the input is integer token ids below this vocabulary size (Embedding).
        forward_kwargs: passed to every forward (Dropout: ``training=True``).
        terms: roundings behind one entry of the result (tests/numerics.py).
        rejects_empty: an input with an empty axis raises ValueError.
        wrong_rank: the shape of an input with a wrong number of axes (None: any is fine).
        factory: builds the layer instead of ``cls`` (``factory(dtype=, seed=, **options)``),
            for layers that wrap another (Bidirectional) or need fixed dropout masks.
        zero_steps: time steps of the input set to zero (what Masking masks).
        gradient_check: finite differences apply (not where a perturbation moves a mask).
    """

    id: str
    cls: type
    args: tuple
    input_shape: tuple
    weights: tuple
    options: dict = field(default_factory=dict)
    positional: int = 1
    ids: int | None = None
    forward_kwargs: dict = field(default_factory=dict)
    terms: int = 16
    rejects_empty: bool = True
    wrong_rank: tuple | None = (2, 3)
    factory: object = None
    zero_steps: tuple = ()
    gradient_check: bool = True

    def make(self, dtype="float64", seed=0, **options):
        if self.factory is not None:
            return self.factory(dtype=dtype, seed=seed, **{**self.options, **options})
        return self.cls(*self.args, dtype=dtype, seed=seed, **{**self.options, **options})

    def input(self, rng, dtype="float64"):
        if self.ids is not None:
            return rng.integers(0, self.ids, size=self.input_shape)
        x = rng.standard_normal(self.input_shape).astype(dtype)
        for n, t in self.zero_steps:
            x[n, t] = 0.0
        return x

    @property
    def recurrent(self) -> bool:
        return issubclass(self.cls, (SimpleRNN, LSTM, GRU))


def _rnn_weights(d, h, k, bias=None, prefix=""):
    return ((prefix + "kernel", (d, k * h)), (prefix + "recurrent_kernel", (h, k * h)),
            (prefix + "bias", bias or (k * h,)))


def _bidirectional(inner_cls, units):
    """A factory of Bidirectional(inner_cls(units, name='rnn', ...)): the options merge_mode
    and name go to the wrapper, the rest to the wrapped layer."""
    def make(dtype, seed, merge_mode="concat", name=None, **options):
        return Bidirectional(inner_cls(units, name="rnn", dtype=dtype, seed=seed, **options),
                             merge_mode, name=name)
    return make


def _with_fixed_masks(cls, units, n, d):
    """A factory of recurrent layers with dropout whose masks are fixed (drawn once from a
    seeded generator), so that every call, and every twin, uses the same ones."""
    def make(dtype, seed, **options):
        layer = cls(units, dtype=dtype, seed=seed, **options)
        rng = np.random.default_rng(99)
        k = layer.blocks if layer.recurrent_dropout else 1
        inputs = (rng.random((k, n, d)) >= layer.dropout) / (1 - layer.dropout)
        inputs[:, 0] = 1 / (1 - layer.dropout)
        rec = (rng.random((k, n, units)) >= layer.recurrent_dropout) / (
            1 - layer.recurrent_dropout)
        rec[:, 0] = 1 / (1 - layer.recurrent_dropout)
        layer.fixed_dropout_masks = DropoutMasks(inputs if layer.dropout else None,
                                                 rec if layer.recurrent_dropout else None)
        return layer
    return make


def _rnn_terms(n, t, d, h):
    return n * t * (d + h + 1 + 8)


CASES = [
    Case("dense", Dense, (4,), (3, 5), (("kernel", (5, 4)), ("bias", (4,))), positional=2,
         terms=5 + 1, wrong_rank=(5,)),
    Case("dense-relu", Dense, (4, "relu"), (3, 5), (("kernel", (5, 4)), ("bias", (4,))),
         positional=2, terms=5 + 1, wrong_rank=(5,)),
    Case("dense-tanh-sequence", Dense, (4, "tanh"), (2, 3, 5), (("kernel", (5, 4)), ("bias", (4,))),
         positional=2, terms=5 + 1 + 2, wrong_rank=(5,)),
    Case("dense-softmax-no-bias", Dense, (4,), (3, 5), (("kernel", (5, 4)),),
         options={"activation": "softmax", "use_bias": False}, positional=2, terms=5 + 4 + 2,
         wrong_rank=(5,)),
    Case("embedding", Embedding, (7, 3), (4, 5), (("embeddings", (7, 3)),), positional=2, ids=7,
         terms=4 * 5, wrong_rank=(2, 3, 7)),
    Case("flatten", Flatten, (), (2, 3, 4), (), positional=0, terms=1, rejects_empty=False,
         wrong_rank=()),
    Case("dropout-training", Dropout, (0.4,), (5, 7), (), forward_kwargs={"training": True},
         terms=2, rejects_empty=False, wrong_rank=None),
    Case("dropout-inference", Dropout, (0.4,), (5, 7), (), terms=1, rejects_empty=False,
         wrong_rank=None),
    Case("simple_rnn", SimpleRNN, (4,), (2, 5, 3), _rnn_weights(3, 4, 1), positional=2,
         terms=_rnn_terms(2, 5, 3, 4)),
    Case("simple_rnn-relu-states", SimpleRNN, (4, "relu"), (2, 5, 3), _rnn_weights(3, 4, 1),
         options={"return_sequences": True, "return_state": True}, positional=2,
         terms=_rnn_terms(2, 5, 3, 4)),
    Case("lstm", LSTM, (4,), (2, 5, 3), _rnn_weights(3, 4, 4), terms=_rnn_terms(2, 5, 3, 4)),
    Case("lstm-states", LSTM, (4,), (2, 5, 3), _rnn_weights(3, 4, 4),
         options={"return_sequences": True, "return_state": True, "unit_forget_bias": False},
         terms=_rnn_terms(2, 5, 3, 4)),
    Case("gru", GRU, (4,), (2, 5, 3), _rnn_weights(3, 4, 3, (2, 12)),
         terms=_rnn_terms(2, 5, 3, 4)),
    Case("gru-reset-before", GRU, (4,), (2, 5, 3), _rnn_weights(3, 4, 3),
         options={"reset_after": False, "go_backwards": True, "return_sequences": True,
                  "return_state": True}, terms=_rnn_terms(2, 5, 3, 4)),
    Case("embedding-mask-zero", Embedding, (7, 3), (4, 5), (("embeddings", (7, 3)),),
         options={"mask_zero": True}, positional=2, ids=7, terms=4 * 5, wrong_rank=(2, 3, 7)),
    # no masked step here: the mask jumps when a zero vector is perturbed, so finite
    # differences cannot check it (test_masking.py checks those steps' zero gradient)
    Case("masking", Masking, (), (3, 4, 2), (), terms=1, wrong_rank=(2, 3)),
    Case("masking-steps", Masking, (), (3, 4, 2), (), terms=1, zero_steps=((0, 1), (2, 0)),
         wrong_rank=(2, 3), gradient_check=False),
    Case("lstm-dropout", LSTM, (4,), (3, 5, 2), _rnn_weights(2, 4, 4),
         options={"dropout": 0.3, "recurrent_dropout": 0.3, "return_sequences": True},
         forward_kwargs={"training": True}, terms=_rnn_terms(3, 5, 2, 4),
         factory=_with_fixed_masks(LSTM, 4, 3, 2)),
    Case("gru-input-dropout", GRU, (4,), (3, 5, 2), _rnn_weights(2, 4, 3, (2, 12)),
         options={"dropout": 0.4}, forward_kwargs={"training": True},
         terms=_rnn_terms(3, 5, 2, 4), factory=_with_fixed_masks(GRU, 4, 3, 2)),
    Case("simple_rnn-recurrent-dropout", SimpleRNN, (4,), (3, 5, 2), _rnn_weights(2, 4, 1),
         options={"recurrent_dropout": 0.5, "go_backwards": True, "return_sequences": True},
         forward_kwargs={"training": True}, positional=2, terms=_rnn_terms(3, 5, 2, 4),
         factory=_with_fixed_masks(SimpleRNN, 4, 3, 2)),
    Case("bidirectional-lstm", Bidirectional, (LSTM(4, name="rnn"),), (2, 5, 3),
         _rnn_weights(3, 4, 4, prefix="forward_rnn/") + _rnn_weights(3, 4, 4,
                                                                    prefix="backward_rnn/"),
         positional=2, terms=_rnn_terms(2, 5, 3, 4), factory=_bidirectional(LSTM, 4)),
    Case("bidirectional-gru-mul-sequences", Bidirectional, (GRU(4, name="rnn"),), (2, 5, 3),
         _rnn_weights(3, 4, 3, (2, 12), prefix="forward_rnn/")
         + _rnn_weights(3, 4, 3, (2, 12), prefix="backward_rnn/"),
         options={"merge_mode": "mul", "return_sequences": True}, positional=2,
         terms=_rnn_terms(2, 5, 3, 4), factory=_bidirectional(GRU, 4)),
    Case("bidirectional-simple_rnn-states", Bidirectional, (SimpleRNN(4, name="rnn"),),
         (2, 5, 3), _rnn_weights(3, 4, 1, prefix="forward_rnn/")
         + _rnn_weights(3, 4, 1, prefix="backward_rnn/"),
         options={"merge_mode": None, "return_sequences": True, "return_state": True},
         positional=2, terms=_rnn_terms(2, 5, 3, 4), factory=_bidirectional(SimpleRNN, 4)),
]
CASE_IDS = [c.id for c in CASES]


# ------------------------------------------------------------------ recurrent layers
#: the recurrent layers in every variant whose maths differs: (id, class, options)
RECURRENT = [
    ("simple_rnn", SimpleRNN, {}),
    ("lstm", LSTM, {}),
    ("gru", GRU, {}),
    ("gru-reset-before", GRU, {"reset_after": False}),
]
RECURRENT_IDS = [r[0] for r in RECURRENT]
#: (N, T, D, H): SimpleRNN and GRU fold x_t into the step's product when 2D <= H (the
#: first) and project all inputs at once otherwise (the second); the LSTM always folds
SHAPES = [(2, 4, 2, 4), (3, 3, 5, 3)]
SHAPE_IDS = ["fold", "project"]
#: return_sequences, return_state, go_backwards, stateful, initial_state given
FLAGS = list(itertools.product([False, True], repeat=5))
FLAG_IDS = ["".join("RSBFI"[i] if v else "-" for i, v in enumerate(f)) for f in FLAGS]


def sequence_masks(n, t):
    """Sequence masks (N, T) of every kind a layer treats differently, by name: padding after
    ('post') or before ('pre') the sequence, lengths T-1, T-2, ... (a sequence with no kept
    step when N > T - 1), and holes inside sequences ('holes')."""
    pos = np.arange(t)[None, :]
    lengths = np.array([(t - 1 - i) % (t + 1) for i in range(n)])[:, None]
    holes = np.ones((n, t), bool)
    holes[:, 1] = False                  # a hole after the first step of every sequence
    holes[n - 1, -1] = False             # and padding at the end of the last one
    return {"post": pos < lengths, "pre": pos >= t - lengths, "holes": holes}


MASK_KINDS = ["post", "pre", "holes"]


def flag_options(flags) -> dict:
    seq, state, back, stateful, _ = flags
    return {"return_sequences": seq, "return_state": state, "go_backwards": back,
            "stateful": stateful}


def make_recurrent(cls, d, h, options=None, dtype="float64", seed=0):
    """A built layer with random weights of moderate size (non-zero biases)."""
    layer = cls(h, dtype=dtype, seed=seed, **(options or {}))
    layer.build((None, None, d))
    rng = np.random.default_rng(seed + 100)
    layer.set_weights([0.6 * rng.standard_normal(w.shape) for w in layer.get_weights()])
    return layer


def prepare_call(layer, flags, x_shape, rng):
    """Carry a state into a stateful layer and draw the initial states if the flags ask:
    returns ``(x, forward_kwargs, states0)``, states0 being what the call will start from."""
    n, t, d = x_shape
    k = len(layer.state_names)
    x = rng.standard_normal(x_shape)
    if flags[3]:  # stateful: a first call leaves a non-zero state behind
        layer(rng.standard_normal(x_shape))
        assert np.abs(layer.states[-1]).max() > 0
    kwargs, states0 = {}, None
    if flags[4]:
        states0 = [rng.standard_normal((n, layer.units)) for _ in range(k)]
        kwargs["initial_state"] = states0
    elif flags[3]:
        states0 = [s.copy() for s in layer.states]
    else:
        states0 = [np.zeros((n, layer.units)) for _ in range(k)]
    return x, kwargs, states0


# ------------------------------------------------------------------ loops of steps
class KernelSteps:
    """One step of a recurrent layer through ``rnnlesson.kernels``, with the layer's weights."""

    def __init__(self, layer):
        self.W, self.U, self.b = layer.get_weights()
        self.layer = layer
        self.grads = {k: np.zeros_like(w) for k, w in zip(
            ("kernel", "recurrent_kernel", "bias"), (self.W, self.U, self.b), strict=True)}
        self.caches = []

    def forward(self, x_t, states):
        """(h_t, new states) from x_t (N, D) and the list of states."""
        lay, W, U, b = self.layer, self.W, self.U, self.b
        if isinstance(lay, LSTM):
            h, c, cache = kernels.lstm_step_forward(x_t, states[0], states[1], W, U, b)
            new = [h, c]
        elif isinstance(lay, GRU):
            h, cache = kernels.gru_step_forward(x_t, states[0], W, U, b, lay.reset_after)
            new = [h]
        else:
            h, cache = kernels.rnn_step_forward(x_t, states[0], W, U, b, lay.activation)
            new = [h]
        self.caches.append(cache)
        return h, new

    def backward(self, dstates):
        """dstates: the gradients of the latest step's states (dstates[0]: all of dL/dh_t)."""
        cache = self.caches.pop()
        if isinstance(self.layer, LSTM):
            dx, dh, dc, *grads = kernels.lstm_step_backward(dstates[0], dstates[1], cache)
            prev = [dh, dc]
        elif isinstance(self.layer, GRU):
            dx, dh, *grads = kernels.gru_step_backward(dstates[0], cache)
            prev = [dh]
        else:
            dx, dh, *grads = kernels.rnn_step_backward(dstates[0], cache)
            prev = [dh]
        for key, g in zip(self.grads, grads, strict=True):
            self.grads[key] += g
        return dx, prev


class CellSteps:
    """The same interface, through the layer's one-step cell (``rnnlesson.cells``)."""

    def __init__(self, layer):
        if isinstance(layer, LSTM):
            self.cell = LSTMCell(layer.units, dtype=layer.dtype)
        elif isinstance(layer, GRU):
            self.cell = GRUCell(layer.units, reset_after=layer.reset_after, dtype=layer.dtype)
        else:
            self.cell = SimpleRNNCell(layer.units, layer.activation, dtype=layer.dtype)
        self.cell.build((None, layer.params["kernel"].shape[0]))
        self.cell.set_weights(layer.get_weights())
        self.grads = self.cell.grads
        self.two = isinstance(layer, LSTM)

    def forward(self, x_t, states):
        h, state = self.cell.forward(x_t, tuple(states) if self.two else states[0])
        return h, list(state) if self.two else [state]

    def backward(self, dstates):
        dx, dprev = self.cell.backward(None, tuple(dstates) if self.two else dstates[0])
        return dx, list(dprev) if self.two else [dprev]


def loop_of_steps(steps, layer, x, states0, douts, keep=None):
    """What ``layer`` must compute, by a loop of ``steps`` (KernelSteps or CellSteps).

    Args:
        x: (N, T, D) as given to the layer; states0: the states the call starts from;
        douts: the upstream gradients in the form ``layer.backward`` takes them;
        keep: None, or the sequence mask (N, T) given to the layer. Keras's rule, step by
            step: where the mask is False the states stay as they were and the output
            repeats the previous output (zeros at first), or is zero with
            ``zero_output_for_mask``.
    Returns:
        ``(outputs, dx, grads, dstates0)``: the forward outputs as a list, dL/dx, the weight
        gradients and the gradients of the initial states.
    """
    n, t_len, _ = x.shape
    back = layer.go_backwards
    xs = x[:, ::-1] if back else x
    ks = None if keep is None else (keep[:, ::-1] if back else keep)
    zero_output = layer.zero_output_for_mask
    states, ys, y = list(states0), [], np.zeros((n, layer.units))
    for t in range(t_len):
        h, new = steps.forward(xs[:, t], states)
        if ks is None:
            y, states = h, new
        else:
            m = ks[:, t, None]
            y = np.where(m, h, 0.0 if zero_output else y)
            states = [np.where(m, a, b) for a, b in zip(new, states, strict=True)]
        ys.append(y)
    out = np.stack(ys, axis=1) if layer.return_sequences else ys[-1]
    outputs = [out] + states if layer.return_state else [out]

    grads = list(douts) if layer.return_state else [douts]
    dout = grads[0]
    dstates = [np.zeros((n, layer.units)) if g is None else np.array(g, dtype=float)
               for g in grads[1:]] if layer.return_state else \
        [np.zeros((n, layer.units)) for _ in states]
    dy = np.zeros((n, layer.units))  # dL/dy_t arriving from later steps
    if dout is not None and not layer.return_sequences:
        dy = dy + dout
    dxs = [None] * t_len
    for t in reversed(range(t_len)):
        if dout is not None and layer.return_sequences:
            dy = dy + dout[:, t]
        m = 1.0 if ks is None else ks[:, t, None].astype(float)
        # y_t = m h_t + (1 - m) y_{t-1};  s_t = m s_new + (1 - m) s_{t-1}
        dnew = [m * (dstates[0] + dy)] + [m * d for d in dstates[1:]]
        carry = [(1 - m) * d for d in dstates]
        dy = np.zeros_like(dy) if zero_output and ks is not None else (1 - m) * dy
        dxs[t], dprev = steps.backward(dnew)
        dstates = [a + b for a, b in zip(dprev, carry, strict=True)]
    dx = np.stack(dxs, axis=1)
    if back:
        dx = dx[:, ::-1]
    return outputs, dx, {k: g.copy() for k, g in steps.grads.items()}, dstates


def assert_layer_equals_loop(steps_cls, layer, flags, x_shape, seed, keep=None):
    """Run ``layer`` forward and back under ``flags`` (and the sequence mask ``keep``) and
    check every output and gradient against :func:`loop_of_steps` with ``steps_cls(layer)``
    (float64, to ~1e-12)."""
    rng = np.random.default_rng(seed)
    x, kwargs, states0 = prepare_call(layer, flags, x_shape, rng)
    if keep is not None:
        kwargs["mask"] = keep
    out = layer(x, **kwargs)
    outs = out if isinstance(out, list) else [out]
    douts = [rng.standard_normal(o.shape) for o in outs]
    douts = douts if layer.return_state else douts[0]
    dx = layer.backward(douts)
    ref_outs, ref_dx, ref_grads, ref_dstates0 = loop_of_steps(steps_cls(layer), layer, x,
                                                              states0, douts, keep)
    for a, b in zip(outs, ref_outs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-11, atol=1e-12)
    for k, g in ref_grads.items():
        np.testing.assert_allclose(layer.grads[k], g, rtol=1e-11, atol=1e-12, err_msg=k)
    for a, b in zip(layer.initial_state_grads, ref_dstates0, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


# ------------------------------------------------------------------ pinned numbers
def golden_input(dtype):
    """The input of the pinned-output tests: (2, 3, 5), evenly spaced in [-1, 1]."""
    return np.linspace(-1.0, 1.0, 2 * 3 * 5, dtype=dtype).reshape(2, 3, 5)


def assert_pinned_weights(cls, units, w_sum, u_check, d=5):
    """The seed-0 float64 weights of ``cls(units)`` on D inputs against two pinned numbers:
    the sum of the kernel and a position-weighted sum of the recurrent kernel."""
    layer = cls(units, seed=0, dtype="float64")
    layer.build((None, None, d))
    W, U, _ = layer.get_weights()
    np.testing.assert_allclose(W.sum(), w_sum, rtol=1e-12)
    np.testing.assert_allclose((U * np.arange(U.size).reshape(U.shape)).sum(), u_check,
                               rtol=1e-12)
