"""``Bidirectional``: a recurrent layer run over the sequence both ways, as Keras 3 does it.

Keras 3 (``keras/src/layers/rnn/bidirectional.py``) builds two layers from the wrapped
layer's config: ``forward_<name>`` (the same config) and ``backward_<name>`` (the same
with ``go_backwards=True``). Both read the same input x (N, T, D); the backward one
reads it from the end, and with ``return_sequences`` its outputs are reversed back in
time, so that position t holds what each direction computed at step t::

    y_f = forward(x)                  (N, T, H) or (N, H)
    y_b = reverse_t(backward(x))      reverse only with return_sequences
    y   = merge(y_f, y_b)             concat: (.., 2H); sum, mul, ave: (.., H); None: [y_f, y_b]

With return_state the output is ``[y, *forward states, *backward states]`` (``[y_f, y_b,
...]`` without a merge). With a sequence mask both directions skip the masked steps and,
with return_sequences, output zeros there (Keras forces ``zero_output_for_mask`` to
``return_sequences`` on both). The weights are the forward layer's, then the backward
layer's, so ``get_weights``/``set_weights`` move them to and from Keras.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import _checks
from .base import Layer
from .recurrent import Recurrent

__all__ = ["Bidirectional"]

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _derived_seed(seed):
    """The backward copy's seed: a fixed function of the wrapped layer's, so that the two
    directions start from different weights and the same seed gives the same pair."""
    if seed is None:
        return None
    return int(np.random.SeedSequence(seed).spawn(1)[0].generate_state(1)[0])


def _layer_from_entry(entry):
    from . import recurrent_classes

    classes = recurrent_classes()
    name = entry.get("class_name")
    if name not in classes:
        raise ValueError(f"Bidirectional.from_config: unknown recurrent layer class {name!r}; "
                         f"known: {', '.join(sorted(classes))}.")
    return classes[name].from_config(dict(entry["config"]))


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Bidirectional wrapper for a recurrent layer, as ``keras.layers.Bidirectional``.

    Args:
        layer: a ``SimpleRNN``, ``LSTM`` or ``GRU`` (not used itself: two copies are made
            from its config, ``forward_<name>`` and ``backward_<name>``; the backward copy
            gets a seed derived from the layer's).
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or None (a list
            ``[y_forward, y_backward]``).
        backward_layer: a recurrent layer to use as the backward direction instead of a
            copy (keyword only); it needs ``go_backwards`` opposite to ``layer``'s and the
            same ``return_sequences``, ``return_state`` and ``stateful``.
        name: automatic (``bidirectional``, ``bidirectional_1``...) if None.
        trainable, input_shape: as every layer (input_shape defaults to the layer's).

    Shapes: x (N, T, D) -> (N, T, 2H) with return_sequences and concat, (N, 2H) without;
    H for sum, mul and ave. ``forward(x, initial_state=None, training=False, mask=None)``:
    ``initial_state`` lists the forward layer's states, then the backward layer's.
    Weights (``params`` keys): ``forward_<name>/kernel``, ... then ``backward_<name>/...``.
    """

    supports_masking = True
    takes_mask = True

    def __init__(self, layer, merge_mode="concat", *, backward_layer=None, name=None,
                 trainable=True, input_shape=None):
        owner = "Bidirectional"
        if not isinstance(layer, Recurrent):
            raise TypeError(
                f"{owner} wraps a recurrent layer (SimpleRNN, LSTM or GRU), which reads the "
                f"sequence in one direction; got {type(layer).__name__}. A layer that sees "
                "every step at once (Dense, Embedding...) has no direction to reverse.")
        if backward_layer is not None and not isinstance(backward_layer, Recurrent):
            raise TypeError(f"{owner} expects backward_layer to be a recurrent layer (SimpleRNN, "
                            f"LSTM or GRU) or None; got {type(backward_layer).__name__}.")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"{owner} expects merge_mode to be one of 'concat', 'sum', 'mul', "
                             f"'ave' or None; got {merge_mode!r}.")
        super().__init__(name=name, dtype=layer.dtype, seed=layer.seed, trainable=trainable,
                         input_shape=input_shape if input_shape is not None
                         else layer.input_shape_arg)
        config = layer.get_config()
        config["name"] = "forward_" + _strip(layer.name, "forward_")
        self.forward_layer = type(layer).from_config(config)
        if backward_layer is None:
            config = layer.get_config()
            config.update(go_backwards=True, seed=_derived_seed(layer.seed),
                          name="backward_" + _strip(layer.name, "backward_"))
            backward_layer = type(layer).from_config(config)
        self.backward_layer = backward_layer
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                f"{owner}: the forward and backward layers need different go_backwards; both "
                f"have go_backwards={fwd.go_backwards}. Wrap a layer with go_backwards=False.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(f"{owner}: the forward and backward layers need the same {attr}; "
                                 f"got {getattr(fwd, attr)} and {getattr(bwd, attr)}.")
        if bwd.dtype != fwd.dtype:
            raise ValueError(f"{owner}: the forward and backward layers need the same dtype; got "
                             f"{fwd.dtype.name} and {bwd.dtype.name}.")
        if merge_mode in ("sum", "mul", "ave") and fwd.units != bwd.units:
            raise ValueError(f"{owner}: merge_mode={merge_mode!r} adds or multiplies the two "
                             f"outputs, so both layers need the same units; got {fwd.units} and "
                             f"{bwd.units}.")
        for sub in (fwd, bwd):  # as Keras: masked steps output zeros when returning sequences
            sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = fwd.return_sequences
        self.return_state = fwd.return_state
        self.stateful = fwd.stateful

    @property
    def layers(self) -> list:
        """The two directions, ``[forward_layer, backward_layer]``."""
        return [self.forward_layer, self.backward_layer]

    # ------------------------------------------------------------------ shapes, weights
    def _build(self, input_shape) -> None:
        for sub in self.layers:
            if not sub.built:
                sub.build(input_shape)
        for sub in self.layers:  # the arrays themselves: sublayers write grads in place
            for key, p in sub.params.items():
                self.params[f"{sub.name}/{key}"] = p
                self.grads[f"{sub.name}/{key}"] = sub.grads[key]

    def compute_output_shape(self, input_shape):
        """Keras's shapes: the merged output (a list of two with merge_mode None), then the
        forward and the backward states with return_state."""
        fwd = self.forward_layer.compute_output_shape(input_shape)
        bwd = self.backward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            states = list(fwd[1:]) + list(bwd[1:])
            fwd, bwd = fwd[0], bwd[0]
        if self.merge_mode is None:
            return [tuple(fwd), tuple(bwd)] + states
        out = tuple(fwd)
        if self.merge_mode == "concat":
            out = out[:-1] + (fwd[-1] + bwd[-1],)
        return [out] + states if self.return_state else out

    def compute_mask(self, x, mask=None):
        """The incoming mask with return_sequences (as Keras), else None."""
        return mask if self.return_sequences else None

    # ------------------------------------------------------------------ forward
    def forward(self, x, initial_state=None, training=False, mask=None):
        """x (N, T, D) -> the merged output (see the class docstring); ``mask`` (N, T)."""
        fwd, bwd = self.layers
        fs = bs = None
        if initial_state is not None:
            if isinstance(initial_state, np.ndarray) or not isinstance(initial_state,
                                                                       (list, tuple)):
                initial_state = [initial_state]
            kf, kb = len(fwd.state_names), len(bwd.state_names)
            if len(initial_state) != kf + kb:
                raise ValueError(
                    f"Bidirectional expects initial_state as a list of {kf + kb} arrays: the "
                    f"forward layer's {kf}, then the backward layer's {kb}; got "
                    f"{len(initial_state)}.")
            fs, bs = list(initial_state[:kf]), list(initial_state[kf:])
        yf = fwd.forward(x, initial_state=fs, training=training, mask=mask)
        # the forward layer has checked x for NaN and inf: the backward layer need not
        # again (its own initial states, if given, it still checks)
        with self._checked_if(bs is None):
            yb = bwd.forward(x, initial_state=bs, training=training, mask=mask)
        self._ensure_built(np.shape(x))
        states = []
        if self.return_state:
            states = list(yf[1:]) + list(yb[1:])
            yf, yb = yf[0], yb[0]
        if self.return_sequences:
            yb = yb[:, ::-1]  # back to the input's time order
        mode = self.merge_mode
        if mode == "concat":
            out = np.concatenate([yf, yb], axis=-1)
        elif mode == "sum":
            out = yf + yb
        elif mode == "ave":
            out = (yf + yb) * np.asarray(0.5, self.dtype)
        elif mode == "mul":
            out = yf * yb
        else:
            out = [yf, np.ascontiguousarray(yb)]
        self._cache = (yf, yb) if mode == "mul" else (yf.shape, yb.shape)
        if mode is None:
            return out + states
        return [out] + states if self.return_state else out

    # ------------------------------------------------------------------ backward
    def backward(self, dy):
        """dy: the gradients of what forward returned (a list with return_state or merge_mode
        None; entries after the output may be None). Returns dL/dx (N, T, D); the forward
        layer's initial-state gradients, then the backward layer's, go to
        ``initial_state_grads``."""
        cache = self._need_cache()
        fwd, bwd = self.layers
        mode = self.merge_mode
        n_out = 2 if mode is None else 1
        shape_f, shape_b = (cache[0].shape, cache[1].shape) if mode == "mul" else cache
        n_states = (len(fwd.state_names) + len(bwd.state_names)) if self.return_state else 0
        if n_out + n_states > 1:
            if isinstance(dy, np.ndarray) or not isinstance(dy, (list, tuple)) \
                    or len(dy) != n_out + n_states:
                raise ValueError(f"Bidirectional.backward expects a list of {n_out + n_states} "
                                 "gradients, one per output of forward; got "
                                 f"{type(dy).__name__}.")
            outs, dstates = list(dy[:n_out]), list(dy[n_out:])
        else:
            outs, dstates = [dy], []
        if mode is None:
            dyf = None if outs[0] is None else self._check_grad(outs[0], shape_f)
            dyb = None if outs[1] is None else self._check_grad(outs[1], shape_b)
        else:
            merged = shape_f[:-1] + (shape_f[-1] + shape_b[-1],) if mode == "concat" else shape_f
            d = outs[0]
            if d is None:
                dyf = dyb = None
            else:
                d = self._check_grad(d, merged)
                if mode == "concat":
                    dyf, dyb = d[..., :shape_f[-1]], d[..., shape_f[-1]:]
                elif mode == "sum":
                    dyf = dyb = d
                elif mode == "ave":
                    dyf = dyb = d * np.asarray(0.5, self.dtype)
                else:  # mul: d(yf yb) = yb dyf + yf dyb
                    dyf, dyb = d * cache[1], d * cache[0]
        if dyb is not None and self.return_sequences:
            dyb = dyb[:, ::-1]  # the backward layer's outputs were reversed
        kf = len(fwd.state_names) if self.return_state else 0
        if self.return_state:
            gf, gb = [dyf] + dstates[:kf], [dyb] + dstates[kf:]
        else:
            gf, gb = self._zero_if_none(dyf, shape_f), self._zero_if_none(dyb, shape_b)
        # the output gradient is checked above; gradients of the states are left to the
        # layers' own checks
        with self._checked_if(not self.return_state):
            dx = fwd.backward(gf)
            dx = dx + bwd.backward(gb)
        self.initial_state_grads = list(fwd.initial_state_grads) + list(bwd.initial_state_grads)
        return dx

    @staticmethod
    def _checked_if(done: bool):
        """Skip the layers' NaN and inf checks of what they receive (one pass over each
        array) when ``done``: what they get has been checked here already."""
        return _checks.checked_elsewhere() if done else contextlib.nullcontext()

    def _zero_if_none(self, d, shape):
        return np.zeros(shape, self.dtype) if d is None else d

    # ------------------------------------------------------------------ state, config
    @property
    def states(self):
        """The carried states of a stateful layer: the forward ones, then the backward ones."""
        fwd, bwd = self.layers
        if fwd.states is None or bwd.states is None:
            return None
        return list(fwd.states) + list(bwd.states)

    def reset_states(self) -> None:
        """Forget the carried states of both directions."""
        for sub in self.layers:
            sub.reset_states()

    def get_config(self) -> dict:
        """Keras's form: the merge mode and both layers' class names and configs."""
        cfg = {"name": self.name, "merge_mode": self.merge_mode,
                "layer": {"class_name": type(self.forward_layer).__name__,
                          "config": self.forward_layer.get_config()},
                "backward_layer": {"class_name": type(self.backward_layer).__name__,
                                   "config": self.backward_layer.get_config()}}
        if self.input_shape_arg is not None and \
                self.input_shape_arg != self.forward_layer.input_shape_arg:
            cfg["input_shape"] = list(self.input_shape_arg)
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        """The layer ``get_config`` describes. A ``'dtype'`` entry (as every layer's config
        has) applies to both directions, so ``{**cfg, 'dtype': 'float64'}`` gives a float64
        twin."""
        config = dict(config)
        dtype = config.pop("dtype", None)
        entries = [config.pop("layer"), config.pop("backward_layer", None)]
        if dtype is not None:
            entries = [None if e is None else {**e, "config": {**e["config"], "dtype": dtype}}
                       for e in entries]
        layer = _layer_from_entry(entries[0])
        backward = None if entries[1] is None else _layer_from_entry(entries[1])
        return cls(layer, backward_layer=backward, **config)

    def __repr__(self) -> str:
        return (f"<Bidirectional '{self.name}': {self.forward_layer!r}, "
                f"merge_mode={self.merge_mode!r}>")
