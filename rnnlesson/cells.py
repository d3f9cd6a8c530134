"""One-step cells for teaching step by step: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``.

A cell computes one time step, through the pure functions of :mod:`rnnlesson.kernels`
(the equations are written there, once). All three share one base class and so one
API::

    cell = LSTMCell(H, seed=0)                 # or SimpleRNNCell(H), GRUCell(H)
    state = None                               # zeros
    for t in range(T):
        h, state = cell.forward(x[:, t], state)     # x[:, t]: (N, D); h: (N, H)
    cell.zero_grad()
    dstate = None                              # nothing flows in after the last step
    for t in reversed(range(T)):
        dx_t, dstate = cell.backward(dh[:, t], dstate)

* ``state`` is h_{t-1} (N, H) for ``SimpleRNNCell`` and ``GRUCell``, the pair
  ``(h_{t-1}, c_{t-1})`` for ``LSTMCell``; None means zeros. ``dstate`` has the same
  form: the gradients of the step's state coming back from step t+1.
* Each ``forward`` pushes what its step needs onto a stack; each ``backward`` pops the
  most recent step, so steps are undone in reverse order, as BPTT does.
  ``reset_cache()`` forgets the steps not yet undone.
* ``backward`` ADDS the step's weight gradients to ``cell.grads`` (a weight is shared by
  every step) until ``cell.zero_grad()``.

Weights have Keras's names, shapes and order (``kernel``, ``recurrent_kernel``,
``bias``), and the same ``seed`` gives the same initial weights as the sequence layer
(``LSTM(H, seed=s)``), so a loop of cells can be checked against the layer.
"""

from __future__ import annotations

import numpy as np

from . import _checks, activations, initializers, kernels
from .layers.base import Layer

__all__ = ["StepCell", "SimpleRNNCell", "LSTMCell", "GRUCell"]


class StepCell(Layer):
    """Base of the one-step cells: input and state checks, the stack of cached steps.

    Args:
        units: H, the size of the hidden state.
        dtype, seed, name: as every layer.
        input_dim: D, to create the weights now; otherwise the first call creates them.

    A subclass names its states (``state_names``), its number of gate blocks
    (``blocks``) and its kernels (``step_forward``, ``step_backward``).
    """

    #: the states carried from step to step: ("h",), or ("h", "c") for the LSTM
    state_names: tuple[str, ...] = ("h",)
    #: gate blocks of H columns in the weights (1 RNN, 4 LSTM, 3 GRU)
    blocks = 1
    _config_keys: tuple[str, ...] = ("units",)

    def __init__(self, units, *, dtype="float32", seed=None, name=None, input_dim=None):
        super().__init__(name=name, dtype=dtype, seed=seed)
        owner = type(self).__name__
        self.units = _checks.positive_int(units, "units", owner)
        self._steps: list = []  # kernel caches, pushed by forward, popped by backward
        if input_dim is not None:
            self.build((None, _checks.positive_int(input_dim, "input_dim", owner)))

    # ------------------------------------------------------------------ weights
    def build(self, input_shape) -> None:
        """Create the weights for inputs x_t of shape (N, D) (or just (D,))."""
        input_shape = tuple(input_shape)
        d = input_shape[-1] if input_shape else None
        if d is None or isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ValueError(f"{type(self).__name__}.build expects an input shape (N, D) with a "
                             f"positive D; got {_checks.shape_str(input_shape)}.")
        super().build(input_shape)

    def _build(self, input_shape) -> None:
        weights = initializers.recurrent_weights(int(input_shape[-1]), self.units, self.blocks,
                                                 self.rng, self.dtype, **self._init_options())
        for key, value in weights.items():
            self.add_weight(key, value)

    def _init_options(self) -> dict:
        """Keyword arguments of :func:`initializers.recurrent_weights` (bias shape, forget bias)."""
        return {}

    def compute_output_shape(self, input_shape):
        """(N, D) -> (N, H)."""
        return (tuple(input_shape)[0], self.units)

    # ------------------------------------------------------------------ states
    def _states(self, value, n: int, owner: str, what: str, names) -> list[np.ndarray]:
        """``value`` (None, one (N, H) array, or a pair for the LSTM) as a list of fresh arrays."""
        h = self.units
        if value is None:
            return [np.zeros((n, h), self.dtype) for _ in names]
        if len(names) == 1:
            items = [value]
        elif (isinstance(value, np.ndarray) or not isinstance(value, (list, tuple))
              or len(value) != len(names)):
            got = (f"a {type(value).__name__} of length {len(value)}"
                   if isinstance(value, (list, tuple)) else type(value).__name__)
            raise ValueError(f"{owner} expects {what} as a pair ({', '.join(names)}) of arrays of "
                             f"shape (N, H) = ({n}, {h}), or None; got {got}.")
        else:
            items = list(value)
        out = []
        for name, s in zip(names, items, strict=True):
            label = what if len(names) == 1 else f"{what} '{name}'"
            s = _checks.as_float_array(s, self.dtype, owner, label)
            if s.shape != (n, h):
                raise ValueError(f"{owner} expects {label} of shape (N, H) = ({n}, {h}); got "
                                 f"{_checks.shape_str(s.shape)}.")
            out.append(s.copy())  # the kernels cache their inputs: never the caller's arrays
        return out

    def _pack(self, states):
        """The public form of a state: one array, or a tuple (h, c) for the LSTM."""
        return states[0] if len(states) == 1 else tuple(states)

    # ------------------------------------------------------------------ one step
    def forward(self, x_t, state=None):
        """One step forward.

        Args:
            x_t: the inputs of this time step, (N, D).
            state: the previous state, as the class docstring says, or None for zeros.
        Returns:
            ``(h_t, state_t)``: the output (N, H) and the new state for the next step.
        """
        owner = f"{type(self).__name__}.forward"
        x_t = _checks.as_float_array(x_t, self.dtype, owner, "x_t")
        if x_t.ndim != 2:
            raise ValueError(
                f"{owner} expects one time step x_t of shape (N, D); got "
                f"{_checks.shape_str(x_t.shape)}. For a whole sequence (N, T, D), call the cell "
                "once per step on x[:, t], or use the sequence layer."
            )
        _checks.check_nonempty(x_t, owner, "(N, D)")
        if not self.built:
            self.build((None, x_t.shape[1]))
        d = self.params["kernel"].shape[0]
        if x_t.shape[1] != d:
            raise ValueError(f"{owner}: cell '{self.name}' was built for D={d} input features; "
                             f"got x_t of shape {_checks.shape_str(x_t.shape)}.")
        states = self._states(state, x_t.shape[0], owner, "state", self.state_names)
        h, new_states, cache = self._kernel_forward(x_t.copy(), states)
        self._steps.append(cache)
        return h.copy(), self._pack([s.copy() for s in new_states])

    def backward(self, dh, dstate=None):
        """One step back, through the most recent forward step not yet undone.

        Args:
            dh: dL/dh_t from this step's output (N, H), or None if the output was unused.
            dstate: the gradients of this step's state coming back from step t+1, in the
                form of the state, or None after the last step (zeros).
        Returns:
            ``(dx_t, dstate_prev)``: dL/dx_t (N, D) and the gradients of the previous state,
            to pass to the step before. Adds the step's weight gradients to ``self.grads``.
        """
        owner = f"{type(self).__name__}.backward"
        if not self._steps:
            raise RuntimeError(
                f"{owner}: no forward step left to go back through. Each backward undoes the "
                "most recent forward step not yet undone: call forward(x_t, state) once per "
                "time step, then backward once per step in reverse order."
            )
        n = self._steps[-1].x.shape[0]
        (dh,) = self._states(dh, n, owner, "dh", ("dh",))
        dstates = self._states(dstate, n, owner, "dstate",
                               tuple("d" + s for s in self.state_names))
        cache = self._steps.pop()  # only once every argument is known to be good
        dstates[0] += dh  # h_t feeds both this step's output and step t+1 (our own array)
        dx, dprev, (dW, dU, db) = self._kernel_backward(dstates, cache)
        self.grads["kernel"] += dW
        self.grads["recurrent_kernel"] += dU
        self.grads["bias"] += db
        return dx, self._pack(dprev)

    def reset_cache(self) -> None:
        """Forget the cached steps (for example to start a new sequence without backward)."""
        self._steps.clear()

    # ------------------------------------------------------------------ the kernels
    #: the step functions of :mod:`rnnlesson.kernels` this cell computes with
    step_forward = None
    step_backward = None

    def _option(self):
        """The kernel's last argument (the activation; reset_after), or None."""
        return None

    def _kernel_forward(self, x, states):
        """``(h_t, new states, cache)`` from x (N, D) and the list of states (N, H).
        This form serves the cells whose state is h alone; the LSTM has its own."""
        h, cache = self.step_forward(x, states[0], *self._weights(), self._option())
        return h, [h], cache

    def _kernel_backward(self, dstates, cache):
        """``(dx, gradients of the previous states, (dW, dU, db))``; dstates[0] is all of
        dL/dh_t."""
        dx, dh_prev, *grads = self.step_backward(dstates[0], cache)
        return dx, [dh_prev], grads

    def _weights(self):
        return self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]


class SimpleRNNCell(StepCell):
    """One step of a SimpleRNN: ``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Args:
        units: H, the size of the hidden state.
        activation: 'tanh' (default), 'relu', 'sigmoid', 'linear' (or None).
        dtype, seed, name, input_dim: as :class:`StepCell`.

    ``h, h = cell.forward(x_t, h_prev)``: the output is the state. Weights as
    ``SimpleRNN``: ``kernel`` (D, H), ``recurrent_kernel`` (H, H), ``bias`` (H,).
    Maths: :func:`rnnlesson.kernels.rnn_step_forward` and ``rnn_step_backward``.
    """

    _config_keys = ("units", "activation")

    def __init__(self, units, activation="tanh", **kwargs):
        self.activation = activations.canonical(activation, type(self).__name__,
                                                activations.RECURRENT_NAMES)
        super().__init__(units, **kwargs)

    step_forward = staticmethod(kernels.rnn_step_forward)
    step_backward = staticmethod(kernels.rnn_step_backward)

    def _option(self):
        return self.activation


class LSTMCell(StepCell):
    """One LSTM time step (gate order i, f, c, o, as Keras).

    Args:
        units: H, the size of h and c.
        unit_forget_bias: start the forget-gate bias at 1 (Keras's default).
        dtype, seed, name, input_dim: as :class:`StepCell`.

    ``h, (h, c) = cell.forward(x_t, (h_prev, c_prev))`` and
    ``dx_t, (dh_prev, dc_prev) = cell.backward(dh, (dh_next, dc_next))``. Weights as
    ``LSTM``: ``kernel`` (D, 4H), ``recurrent_kernel`` (H, 4H), ``bias`` (4H,).
    Maths: :func:`rnnlesson.kernels.lstm_step_forward` and ``lstm_step_backward``.

    Attributes:
        last_gates: after a forward, dict of the step's (N, H) activations: ``'i'``, ``'f'``,
            ``'c~'`` (candidate), ``'o'`` and ``'c'`` (the new cell state).
    """

    state_names = ("h", "c")
    blocks = 4
    _config_keys = ("units", "unit_forget_bias")

    def __init__(self, units, *, unit_forget_bias=True, **kwargs):
        self.unit_forget_bias = _checks.boolean(unit_forget_bias, "unit_forget_bias",
                                                type(self).__name__)
        self.last_gates = None
        super().__init__(units, **kwargs)

    def _init_options(self):
        return {"forget_bias_block": 1 if self.unit_forget_bias else None}

    step_forward = staticmethod(kernels.lstm_step_forward)
    step_backward = staticmethod(kernels.lstm_step_backward)

    def _kernel_forward(self, x, states):
        h, c, cache = self.step_forward(x, states[0], states[1], *self._weights())
        self.last_gates = {"i": cache.i, "f": cache.f, "c~": cache.g, "o": cache.o, "c": c}
        return h, [h, c], cache

    def _kernel_backward(self, dstates, cache):
        dx, dh_prev, dc_prev, *grads = self.step_backward(dstates[0], dstates[1], cache)
        return dx, [dh_prev, dc_prev], grads


class GRUCell(StepCell):
    """One step of a GRU (Keras 3 semantics, gate order z, r, h).

    Args:
        units: H, the size of the hidden state.
        reset_after: True (default, Keras 3 and torch): ``bias`` (2, 3H) and the reset gate
            applied after U_h; False: ``bias`` (3H,), the reset applied to h_{t-1} first.
        dtype, seed, name, input_dim: as :class:`StepCell`.

    ``h, h = cell.forward(x_t, h_prev)``. Weights as ``GRU``: ``kernel`` (D, 3H),
    ``recurrent_kernel`` (H, 3H), ``bias`` (2, 3H) or (3H,).
    Maths: :func:`rnnlesson.kernels.gru_step_forward` and ``gru_step_backward``.
    """

    blocks = 3
    _config_keys = ("units", "reset_after")

    def __init__(self, units, *, reset_after=True, **kwargs):
        self.reset_after = _checks.boolean(reset_after, "reset_after", type(self).__name__)
        super().__init__(units, **kwargs)

    def _init_options(self):
        return {"bias_shape": (2, 3 * self.units) if self.reset_after else None}

    step_forward = staticmethod(kernels.gru_step_forward)
    step_backward = staticmethod(kernels.gru_step_backward)

    def _option(self):
        return self.reset_after
