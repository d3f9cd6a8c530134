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
* ``forward(x, mask=...)``: a sequence mask (N, T), False at padding, as Keras 3 applies
  it (``keras/src/backend/torch/rnn.py``): at a masked step every state stays as it was;
  the output there repeats the previous output (zeros before the first unmasked step),
  or is zero with ``zero_output_for_mask=True`` (what ``Bidirectional`` sets with
  return_sequences). So the output is ``gate * h_t``, with gate = "a step so far was
  unmasked" (or the mask itself), and padding before or after a sequence changes nothing.
  A padding mask (one run of kept steps per sequence) costs no work in the time loop
  (:mod:`~rnnlesson.layers.spans`); a mask with holes runs the layers' masked loops,
  which copy the carried states at the steps where some sequence is skipped.
* ``dropout``, ``recurrent_dropout``: Keras 3's (``keras/src/layers/rnn/lstm.py``,
  ``gru.py``, ``simple_rnn.py``, ``dropout_rnn_cell.py``). Only with ``training=True``,
  a call draws its masks once (inverted: 0 or 1/(1 - rate)) and uses them at every step:
  an input mask (N, D) that multiplies x_t, and a recurrent mask (N, H) that multiplies
  h_{t-1} where it enters the recurrent kernel. Without recurrent dropout there is one
  input mask, shared by the gates; with it, an LSTM or GRU draws one mask per gate block
  for both (Keras 3 then switches the cell to ``implementation=1``). See
  :mod:`rnnlesson.layers.stepwise` for the exact equations.

Subclasses define ``state_names`` and the two hooks; see their docstrings below. The
hooks are the fast loops; a call with recurrent dropout runs the step-by-step loop of
:mod:`~rnnlesson.layers.stepwise` instead (input dropout alone keeps the fast loop: the
inputs are multiplied by their mask first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _checks, initializers
from .base import Layer
from .masking import sequence_mask
from .spans import Spans
from .stepwise import stepwise_backward, stepwise_forward


class DropoutMasks(NamedTuple):
    """The dropout masks of one call of a recurrent layer (entries 0 or 1/(1 - rate)).

    ``inputs``: (k, N, D) or None; ``recurrent``: (k, N, H) or None. k = 1 (one mask shared
    by the gates) unless the layer has recurrent dropout, then k = the gate blocks (LSTM 4,
    GRU 3, SimpleRNN 1), in the weights' block order. Set ``layer.fixed_dropout_masks`` to
    one to use it instead of random masks (for tests and teaching); after a training call
    ``layer.last_dropout_masks`` holds the masks it used.
    """

    inputs: np.ndarray | None
    recurrent: np.ndarray | None


@dataclass
class _Options:
    """What a call with a mask or dropout did, for its backward."""

    stepwise: bool = False      # recurrent dropout: the step-by-step loop ran
    x_mask: np.ndarray | None = None     # input dropout mask (N, 1, D) for the fast loop
    spans: Spans | None = None           # a padding mask, handled by rotating sequences
    gate: np.ndarray | None = None       # (N, T): which outputs show h_t (None: all)
    last_gate: np.ndarray | None = None  # (N, 1): the same for the last output


def _output_gate(keep, zero_output):
    """Which outputs show h_t (True) and which are zero, as (N, T) booleans, or None when
    all do. Keras repeats the previous output at a masked step, starting from zeros, which
    is h_t once some step was unmasked (h_t is carried too) and zero before."""
    gate = keep if zero_output else np.logical_or.accumulate(keep, axis=1)
    return None if gate.all() else gate


class Recurrent(Layer):
    """Base class of the recurrent layers (not used on its own).

    Args:
        units: H, the size of the hidden state (and of the output).
        return_sequences, return_state, go_backwards, stateful: as Keras (see module doc).
        dropout: the fraction of the inputs dropped in training, 0 <= dropout < 1.
        recurrent_dropout: the fraction of h_{t-1} dropped before the recurrent kernel.
        zero_output_for_mask: zero outputs at masked steps (else the last output repeats).
        dtype, seed, name, input_shape: as :class:`Layer`; ``seed`` also seeds the masks.
    """

    #: one name per state carried through time: ("h",) or ("h", "c")
    state_names: tuple[str, ...] = ("h",)
    #: gate blocks of H columns in the weights (1 SimpleRNN, 4 LSTM, 3 GRU)
    blocks = 1
    #: does ``_backward_seq`` read dseq as (T, N, H) memory (SimpleRNN), so that a padding
    #: mask's gradients are best laid out that way (see ``Spans.output_grads``)?
    time_major_dseq = False
    _config_keys = ("units", "return_sequences", "return_state", "go_backwards", "stateful",
                    "dropout", "recurrent_dropout", "zero_output_for_mask")
    supports_masking = True
    takes_mask = True

    def __init__(self, units, *, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, dropout=0.0, recurrent_dropout=0.0, zero_output_for_mask=False,
                 **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = _checks.positive_int(units, "units", owner)
        self.return_sequences = _checks.boolean(return_sequences, "return_sequences", owner)
        self.return_state = _checks.boolean(return_state, "return_state", owner)
        self.go_backwards = _checks.boolean(go_backwards, "go_backwards", owner)
        self.stateful = _checks.boolean(stateful, "stateful", owner)
        self.dropout = _checks.real_number(dropout, "dropout", owner, 0.0, 1.0,
                                           high_inclusive=False)
        self.recurrent_dropout = _checks.real_number(recurrent_dropout, "recurrent_dropout",
                                                     owner, 0.0, 1.0, high_inclusive=False)
        self.zero_output_for_mask = _checks.boolean(zero_output_for_mask,
                                                    "zero_output_for_mask", owner)
        self.fixed_dropout_masks = None  # a DropoutMasks to use instead of drawing (tests)
        self.last_dropout_masks = None   # the masks of the last training call
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

    def forward(self, x, initial_state=None, training=False, mask=None):
        """Run the layer over a batch of sequences.

        Args:
            x: inputs of shape (N, T, D).
            initial_state: None (zeros, or the carried state if stateful), or a list of
                arrays of shape (N, H), one per state (LSTM: [h0, c0]).
            training: True draws the dropout masks (``dropout``, ``recurrent_dropout``);
                False (predict, evaluate) runs without dropout, deterministically.
            mask: None, or (N, T) booleans, False at the steps to skip (padding): there the
                states stay as they were and the output repeats the last one (zeros
                before the first step, or everywhere masked with ``zero_output_for_mask``).

        Returns:
            (N, T, H) if return_sequences else (N, H); with return_state a list
            ``[output, h_T]`` (LSTM: ``[output, h_T, c_T]``).
        """
        x = self._prepare_input(x)
        self._ensure_built(x.shape)
        n, t, _ = x.shape
        if training is not False and training is not True:  # the check only when needed
            training = _checks.boolean(training, "training", type(self).__name__)
        states, _given = self._prepare_states(initial_state, n)
        if mask is None and not (training and (self.dropout or self.recurrent_dropout)):
            if self.go_backwards:
                x = x[:, ::-1]
            seq, final = self._forward_seq(x, states, None, copy=self.return_sequences)
            options = None
            out = seq if self.return_sequences else final[0].copy()
        else:
            seq, final, options = self._forward_options(x, states, training, mask)
            if self.return_sequences:
                out = seq if options.gate is None else \
                    np.multiply(seq, options.gate[..., None], seq)
            else:
                out = final[0].copy() if options.last_gate is None \
                    else final[0] * options.last_gate
        if self.stateful:
            self.states = [s.copy() for s in final]
        self._cache = (n, t, options)
        if self.return_state:
            return [out] + [s.copy() for s in final]
        return out

    def _forward_options(self, x, states, training, mask):
        """``forward`` with a sequence mask or dropout: ``(seq, final, options)``, x (N, T, D)
        in input order; ``options`` (a :class:`_Options`) is what backward needs."""
        n, t, d = x.shape
        drop = None
        if training and (self.dropout or self.recurrent_dropout):
            drop = self.last_dropout_masks = self._dropout_masks(n, d)
        keep = None
        if mask is not None:
            keep = sequence_mask(mask, n, t, type(self).__name__)
            if keep.all():
                keep = None  # nothing masked: the plain loop gives the same numbers
            elif self.go_backwards:
                keep = np.ascontiguousarray(keep[:, ::-1])
        if self.go_backwards:
            x = x[:, ::-1]
        opt = _Options(stepwise=drop is not None and drop.recurrent is not None)
        if not opt.stepwise and drop is not None and drop.inputs is not None:
            opt.x_mask = drop.inputs[0][:, None]  # (N, 1, D)
            x = x * opt.x_mask
        # padding (one run of kept steps per sequence): the plain loop on rotated sequences
        if keep is not None and not opt.stepwise and (self.return_state is False
                                                      or len(self.state_names) == 1):
            opt.spans = Spans.of(keep, self.zero_output_for_mask)
        if opt.stepwise:
            seq, final = stepwise_forward(self, x, states, drop, keep)
        elif opt.spans is not None:
            seq, _ = self._forward_seq(opt.spans.roll(x, self), states, None, copy=False)
            final = self._states_at(opt.spans.length)
            if self.return_sequences:
                seq = opt.spans.outputs(seq, self)  # the outputs of masked steps included
            if opt.spans.last_gate is not None:
                opt.last_gate = opt.spans.last_gate
        else:
            seq, final = self._forward_seq(x, states, keep, copy=self.return_sequences)
            if keep is not None:
                opt.gate = _output_gate(keep, self.zero_output_for_mask)
                if opt.gate is not None:
                    opt.last_gate = opt.gate[:, -1:]
        return seq, final, opt

    def compute_mask(self, x, mask=None):
        """The incoming mask (N, T) with return_sequences (the output keeps the time axis),
        else None: the layer has consumed it."""
        return mask if self.return_sequences else None

    # ------------------------------------------------------------------ dropout
    def _mask_blocks(self) -> int:
        """How many masks of each kind a call draws: one, shared by the gates; with
        recurrent dropout one per gate block (Keras 3's ``implementation=1``)."""
        return self.blocks if self.recurrent_dropout > 0 else 1

    def _dropout_masks(self, n: int, d: int):
        """The call's dropout masks (``fixed_dropout_masks`` if set), or None without dropout.

        Each is 0 or 1/(1 - rate) (inverted dropout, as Keras), drawn from ``self.rng``.
        """
        if self.dropout == 0 and self.recurrent_dropout == 0:
            return None
        k, h = self._mask_blocks(), self.units
        if self.fixed_dropout_masks is not None:
            return self._checked_fixed_masks(k, n, d)

        def draw(rate, shape):
            if rate == 0:
                return None
            keep = self.rng.random(shape) >= rate
            return keep * np.asarray(1.0 / (1.0 - rate), dtype=self.dtype)

        return DropoutMasks(draw(self.dropout, (k, n, d)), draw(self.recurrent_dropout, (k, n, h)))

    def _checked_fixed_masks(self, k, n, d):
        owner = type(self).__name__
        fixed = self.fixed_dropout_masks
        if not isinstance(fixed, DropoutMasks):
            raise TypeError(f"{owner}.fixed_dropout_masks must be a DropoutMasks(inputs, "
                            f"recurrent) or None; got {type(fixed).__name__}.")
        out = []
        for what, arr, rate, width in (("inputs", fixed.inputs, self.dropout, d),
                                       ("recurrent", fixed.recurrent, self.recurrent_dropout,
                                        self.units)):
            if rate == 0 or arr is None:
                if rate > 0:
                    raise ValueError(f"{owner}.fixed_dropout_masks.{what} is None, but the layer "
                                     f"has a dropout rate of {rate} for it.")
                out.append(None)
                continue
            arr = _checks.as_float_array(arr, self.dtype, owner, f"fixed_dropout_masks.{what}")
            if arr.shape != (k, n, width):
                raise ValueError(f"{owner}.fixed_dropout_masks.{what} must have shape "
                                 f"({k}, N, {width}) = ({k}, {n}, {width}); got "
                                 f"{_checks.shape_str(arr.shape)}.")
            out.append(arr)
        return DropoutMasks(*out)

    # ------------------------------------------------------------------ backward
    def backward(self, dy):
        """Backpropagate through time.

        Args:
            dy: dL/d(output), of the forward output's shape; with return_state a list
                ``[doutput, dh_T, (dc_T)]`` whose entries may be None (zero).

        Returns:
            dL/dx of shape (N, T, D). Writes ``self.grads`` and ``self.initial_state_grads``.
        """
        n, t, options = self._need_cache()
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
        dseq = None
        if options is None:
            if dout is not None:
                if self.return_sequences:
                    dseq = dout
                else:
                    dfinal[0] += dout  # dfinal[0] is our own array, so dout stays untouched
            dx, dstates0 = self._backward_seq(dseq, dfinal)
        else:
            dx, dstates0 = self._backward_options(options, dout, dfinal)
        if self.go_backwards:
            dx = np.ascontiguousarray(dx[:, ::-1])
        self.initial_state_grads = dstates0
        return dx

    def _backward_options(self, opt, dout, dfinal):
        """``backward`` after :meth:`_forward_options`: ``(dx, dstates0)``, dx in processing
        order. ``dout`` is the checked output gradient (or None), ``dfinal`` our own arrays."""
        n, h = dfinal[0].shape[0], self.units
        dseq = None
        if dout is not None:
            if self.return_sequences:
                dseq = dout if opt.gate is None else dout * opt.gate[..., None]  # gate * h_t
            else:
                dfinal[0] += dout if opt.last_gate is None else dout * opt.last_gate
        if opt.stepwise:
            return stepwise_backward(self, dseq, dfinal)
        if opt.spans is not None:
            # every gradient enters at the last kept step of its sequence (see spans.py)
            dseq = opt.spans.output_grads(dseq, self)
            lost = opt.spans.inject(dseq, dfinal[0])
            dx, dstates0 = self._backward_seq(dseq, [np.zeros((n, h), self.dtype)
                                                     for _ in dfinal])
            dstates0[0] = dstates0[0] + lost
            dx = opt.spans.unroll(dx, self)
        else:
            dx, dstates0 = self._backward_seq(dseq, dfinal)
        if opt.x_mask is not None:
            dx = dx * opt.x_mask  # the inputs were multiplied by the dropout mask
        return dx, dstates0

    # ------------------------------------------------------------------ hooks
    def _forward_seq(self, x, states, keep, copy=True):  # pragma: no cover - abstract
        """Run the time loop (the fast path: no recurrent dropout).

        Args:
            x: (N, T, D) in processing order (already reversed if go_backwards; may be a
                non-contiguous view; never write into it).
            states: list of (N, H) initial states (never write into them).
            keep: None, or the sequence mask (N, T) in processing order (C-contiguous,
                with at least one False): where it is False the step leaves every state
                as it was (h_t = h_{t-1}, c_t = c_{t-1}), and backward passes the state
                gradients straight through.
        Returns:
            ``(seq, final)``: ``seq`` (N, T, H) every hidden state h_t in processing
            order (a fresh array with ``copy``, else possibly a view of a work array, to
            be read before the next call), ``final`` the list of final states (N, H).
            Caches what backward needs.
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
