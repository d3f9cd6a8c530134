"""``Recurrent``: what ``SimpleRNN``, ``LSTM`` and ``GRU`` share.

This class handles Keras's recurrent-layer flags once, so each layer only writes
its time loop (``_forward_seq``) and its backward pass through time
(``_backward_seq``):

* ``return_sequences``: output every hidden state ``(N, T, H)`` or only the last ``(N, H)``.
* ``return_state``: also return the final state(s): ``[output, h]`` (LSTM: ``[output, h, c]``);
  ``backward`` then takes the matching list ``[doutput, dh, (dc)]`` (entries may be None).
* ``go_backwards``: read the sequence from the last step to the first; the returned
  sequence is in that (reversed) processing order, as in Keras.
* ``stateful``: the final state of one call is the initial state of the next
  (truncated BPTT). Gradients never flow across calls. ``reset_states()`` goes back to zeros.
* ``forward(x, initial_state=...)``: start from given states instead of zeros; after
  ``backward``, their gradients are in ``layer.initial_state_grads``.

Subclasses define ``state_names`` and the two hooks; see their docstrings below.
"""

from __future__ import annotations

import numpy as np

from .. import _checks, initializers
from .base import Layer


class Recurrent(Layer):
    """Base class of the recurrent layers (not used on its own).

    Args:
        units: H, the size of the hidden state (and of the output).
        return_sequences, return_state, go_backwards, stateful: as Keras (see module doc).
        dtype, seed, name, input_shape: as :class:`Layer`.
    """

    #: one name per state carried through time: ("h",) or ("h", "c")
    state_names: tuple[str, ...] = ("h",)
    #: gate blocks of H columns in the weights (1 SimpleRNN, 4 LSTM, 3 GRU)
    blocks = 1
    _config_keys = ("units", "return_sequences", "return_state", "go_backwards", "stateful")

    def __init__(self, units, *, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = _checks.positive_int(units, "units", owner)
        self.return_sequences = _checks.boolean(return_sequences, "return_sequences", owner)
        self.return_state = _checks.boolean(return_state, "return_state", owner)
        self.go_backwards = _checks.boolean(go_backwards, "go_backwards", owner)
        self.stateful = _checks.boolean(stateful, "stateful", owner)
        self.states = None  # the carried states of a stateful layer (list of (N, H)), or None
        self.initial_state_grads = None

    # ------------------------------------------------------------------ shapes
    def _check_input_shape(self, input_shape) -> None:
        owner = type(self).__name__
        if len(input_shape) != 3:
            hint = ""
            if len(input_shape) == 2:
                hint = (" Did the layer before it forget return_sequences=True? A recurrent "
                        "layer needs the whole sequence, one vector per time step.")
            raise ValueError(
                f"{owner} expects input of shape (N, T, D); got {_checks.shape_str(input_shape)}."
                + hint
            )
        if input_shape[-1] is None:
            raise ValueError(f"{owner} needs to know D, the last axis of its input (N, T, D); "
                             f"got {_checks.shape_str(input_shape)}.")

    def _build(self, input_shape) -> None:
        self._check_input_shape(input_shape)
        self._build_weights(int(input_shape[-1]))

    def _build_weights(self, input_dim: int) -> None:
        """Keras's initial weights, as :func:`rnnlesson.initializers.recurrent_weights` makes
        them: ``kernel`` (D, kH), ``recurrent_kernel`` (H, kH), ``bias``, k = ``blocks``."""
        self.add_weights(initializers.recurrent_weights(
            input_dim, self.units, self.blocks, self.rng, self.dtype, **self._init_options()))

    def _init_options(self) -> dict:
        """Keyword arguments of ``recurrent_weights`` (bias shape, forget bias) for this layer."""
        return {}

    def compute_output_shape(self, input_shape):
        """``(N, T, H)`` with return_sequences, else ``(N, H)``; plus the state shapes
        with return_state."""
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape)
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [out] + [(n, self.units)] * len(self.state_names)
        return out

    # ------------------------------------------------------------------ forward
    def _prepare_input(self, x) -> np.ndarray:
        owner = type(self).__name__
        x = _checks.as_float_array(x, self.dtype, owner)
        self._check_input_shape(x.shape)
        _checks.check_nonempty(x, owner, "(N, T, D) with N >= 1 and T >= 1")
        if self.built and x.shape[-1] != self.params_input_dim():
            raise ValueError(
                f"{owner} '{self.name}' was built for inputs with D={self.params_input_dim()} "
                f"features per time step; got input of shape {_checks.shape_str(x.shape)}."
            )
        return x

    def params_input_dim(self) -> int:
        """D, the input size the weights were built for (rows of ``kernel``)."""
        return self.params["kernel"].shape[0]

    def _prepare_states(self, initial_state, n: int) -> tuple[list[np.ndarray], bool]:
        owner = type(self).__name__
        k = len(self.state_names)
        names = ", ".join(self.state_names)
        if initial_state is None:
            if self.stateful and self.states is not None:
                if self.states[0].shape[0] != n:
                    raise ValueError(
                        f"{owner} '{self.name}' is stateful and carries states for a batch of "
                        f"{self.states[0].shape[0]}; got a batch of {n}. A stateful layer needs "
                        "the same batch size on every call; call reset_states() to start over."
                    )
                return self.states, False
            return [np.zeros((n, self.units), self.dtype) for _ in range(k)], False
        if isinstance(initial_state, np.ndarray) or not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        if len(initial_state) != k:
            raise ValueError(
                f"{owner} expects initial_state as a list of {k} array(s) [{names}] of shape "
                f"(N, H) = ({n}, {self.units}); got {len(initial_state)}."
            )
        states = []
        for name, s in zip(self.state_names, initial_state, strict=True):
            s = _checks.as_float_array(s, self.dtype, owner, f"initial state '{name}'")
            if s.shape != (n, self.units):
                raise ValueError(
                    f"{owner} expects initial state '{name}' of shape "
                    f"(N, H) = ({n}, {self.units}); got {_checks.shape_str(s.shape)}."
                )
            states.append(s)
        return states, True

    def forward(self, x, initial_state=None, training=False):
        """Run the layer over a batch of sequences.

        Args:
            x: inputs of shape (N, T, D).
            initial_state: None (zeros, or the carried state if stateful), or a list of
                arrays of shape (N, H), one per state (LSTM: [h0, c0]).
            training: unused by the plain recurrent layers (kept for the common protocol).

        Returns:
            (N, T, H) if return_sequences else (N, H); with return_state a list
            ``[output, h_T]`` (LSTM: ``[output, h_T, c_T]``).
        """
        x = self._prepare_input(x)
        self._ensure_built(x.shape)
        n, t, _ = x.shape
        states, _given = self._prepare_states(initial_state, n)
        if self.go_backwards:
            x = x[:, ::-1]
        seq, final = self._forward_seq(x, states, training)
        if self.stateful:
            self.states = [s.copy() for s in final]
        self._cache = (n, t)
        out = seq if self.return_sequences else final[0].copy()
        if self.return_state:
            return [out] + [s.copy() for s in final]
        return out

    # ------------------------------------------------------------------ backward
    def backward(self, dy):
        """Backpropagate through time.

        Args:
            dy: dL/d(output), of the forward output's shape; with return_state a list
                ``[doutput, dh_T, (dc_T)]`` whose entries may be None (zero).

        Returns:
            dL/dx of shape (N, T, D). Writes ``self.grads`` and ``self.initial_state_grads``.
        """
        n, t = self._need_cache()
        owner = f"{type(self).__name__}.backward"
        h = self.units
        out_shape = (n, t, h) if self.return_sequences else (n, h)
        k = len(self.state_names)
        if self.return_state:
            if isinstance(dy, np.ndarray) or not isinstance(dy, (list, tuple)) or len(dy) != 1 + k:
                got = type(dy).__name__
                if isinstance(dy, (list, tuple)):
                    got += f" of length {len(dy)}"
                raise ValueError(
                    f"{owner} expects a list of {1 + k} gradients [doutput, "
                    f"{', '.join('d' + s for s in self.state_names)}] because return_state=True; "
                    f"got {got}."
                )
            dout = None if dy[0] is None else self._check_grad(dy[0], out_shape)
            dfinal = [
                np.zeros((n, h), self.dtype) if g is None
                else self._check_grad(g, (n, h), f"the gradient of state '{name}'").copy()
                for name, g in zip(self.state_names, dy[1:], strict=True)
            ]
        else:
            dout = self._check_grad(dy, out_shape)
            dfinal = [np.zeros((n, h), self.dtype) for _ in range(k)]
        if dout is None:
            dseq = None
        elif self.return_sequences:
            dseq = dout
        else:
            dseq = None
            dfinal[0] += dout  # dfinal[0] is our own array, so dout stays untouched
        dx, dstates0 = self._backward_seq(dseq, dfinal)
        if self.go_backwards:
            dx = np.ascontiguousarray(dx[:, ::-1])
        self.initial_state_grads = dstates0
        return dx

    # ------------------------------------------------------------------ hooks
    def _forward_seq(self, x, states, training):  # pragma: no cover - abstract
        """Run the time loop.

        Args:
            x: (N, T, D) in processing order (already reversed if go_backwards; may be a
                non-contiguous view; never write into it).
            states: list of (N, H) initial states (never write into them).
        Returns:
            ``(seq, final)``: ``seq`` (N, T, H) every hidden state in processing order,
            ``final`` the list of final states (N, H). Caches what backward needs.
        """
        raise NotImplementedError

    def _backward_seq(self, dseq, dfinal):  # pragma: no cover - abstract
        """Backward through time.

        Args:
            dseq: (N, T, H) gradient of every hidden state, or None (no per-step gradient).
            dfinal: list of (N, H) gradients of the final states (owned by the caller's
                frame; may be modified).
        Returns:
            ``(dx, dstates0)``: dx (N, T, D) in processing order; list of (N, H)
            gradients of the initial states. Writes ``self.grads`` in place.
        """
        raise NotImplementedError

    def reset_states(self) -> None:
        """Forget the carried state of a stateful layer (the next call starts from zeros)."""
        self.states = None
