"""The ``Layer`` base class: the protocol every layer follows.

A layer is a plain object with its parameters and their gradients side by side::

    layer.build(input_shape)              # full shape, batch first, None allowed
    y = layer.forward(x, training=False)  # also layer(x)
    dx = layer.backward(dy)               # returns dL/dx, writes layer.grads
    layer.params                          # dict: Keras weight name -> array
    layer.grads                           # same keys and shapes

``params`` and ``grads`` are created once, in ``build``; afterwards they are only
ever written in place (``grads[k][...] = ...``), so an optimizer that holds
references to them always sees the current values. ``backward`` never changes
the array it is given, nor anything ``forward`` cached.
"""

from __future__ import annotations

import re

import numpy as np

from .. import _checks

_NAME_COUNTS: dict[str, int] = {}


def _snake(name: str) -> str:
    """``SimpleRNN`` -> ``simple_rnn``, ``LSTM`` -> ``lstm`` (Keras's layer names)."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", s)
    return s.lower()


def reset_name_counters() -> None:
    """Start automatic layer names afresh (``dense``, ``dense_1``, ...), like Keras's
    clear_session."""
    _NAME_COUNTS.clear()


def _auto_name(cls_name: str) -> str:
    base = _snake(cls_name)
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Layer:
    """Base class of all layers.

    Args:
        name: the layer's name in ``summary()``; automatic (``dense``, ``dense_1``...) if None.
        dtype: ``'float32'`` (default, as Keras) or ``'float64'``. Inputs are cast to it.
        seed: integer seed for the initial weights (and dropout masks); None draws fresh entropy.
        input_shape: optional shape of one sample (without the batch axis), as in Keras,
            so a ``Sequential`` model can build itself before seeing data.
    """

    #: Names of the constructor arguments that ``get_config`` records (subclasses extend).
    _config_keys: tuple[str, ...] = ()
    #: False for layers that draw no random numbers at all (Flatten): a model's
    #: shuffling is still reproducible when such a layer has no seed.
    uses_randomness: bool = True
    #: Masks (see :mod:`rnnlesson.layers.masking`): the layer can receive a sequence mask
    #: (N, T) without destroying it (Keras's ``supports_masking``) ...
    supports_masking: bool = False
    #: ... and its ``forward`` takes ``mask=`` and uses it (recurrent layers).
    takes_mask: bool = False

    def __init__(self, *, name=None, dtype="float32", seed=None, input_shape=None, trainable=True):
        owner = type(self).__name__
        self.dtype = _checks.resolve_dtype(dtype, owner)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{owner} expects name to be a string or None; got {name!r}.")
        self.name = name if name is not None else _auto_name(owner)
        self.seed = _checks.seed(seed, owner)
        self.rng = np.random.default_rng(seed)
        if input_shape is not None:
            input_shape = tuple(input_shape)
        self.input_shape_arg = input_shape
        self.trainable = bool(trainable)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.built = False
        self.input_shape = None
        self._cache = None

    # ------------------------------------------------------------------ building
    def add_weight(self, name: str, value: np.ndarray) -> np.ndarray:
        """Register a parameter (and a zero gradient of the same shape) under ``name``."""
        value = np.ascontiguousarray(value, dtype=self.dtype)
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)
        return value

    def add_weights(self, weights: dict) -> None:
        """Register each ``name -> array`` of ``weights``, in order, with :meth:`add_weight`."""
        for name, value in weights.items():
            self.add_weight(name, value)

    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch first; None allowed)."""
        input_shape = tuple(input_shape)
        self._build(input_shape)
        self.input_shape = input_shape
        self.built = True

    def _build(self, input_shape) -> None:  # pragma: no cover - layers without weights
        pass

    def _ensure_built(self, input_shape) -> None:
        if not self.built:
            self.build((None,) + tuple(input_shape[1:]))

    # ------------------------------------------------------------------ computing
    def __call__(self, x, *args, **kwargs):
        return self.forward(x, *args, **kwargs)

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def compute_mask(self, x, mask=None):
        """The mask (N, T) of the output for input ``x`` and incoming ``mask`` (or None):
        by default the incoming mask if the layer supports masking, else None."""
        return mask if self.supports_masking else None

    def _need_cache(self):
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': backward() called before forward(). "
                "Run forward(x) on a batch first; backward uses what forward stored."
            )
        return self._cache

    def _check_grad(self, dy, expected_shape, what="the output gradient") -> np.ndarray:
        """Validate an upstream gradient: numeric, finite, and of the output's shape."""
        owner = f"{type(self).__name__}.backward"
        dy = _checks.as_float_array(dy, self.dtype, owner, what)
        if dy.shape != tuple(expected_shape):
            raise ValueError(
                f"{owner} expects {what} to have the shape of the forward output "
                f"{_checks.shape_str(expected_shape)}; got {_checks.shape_str(dy.shape)}."
            )
        return dy

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, in Keras's order and shapes."""
        return [p.copy() for p in self.params.values()]

    def set_weights(self, weights) -> None:
        """Overwrite the weights in place from a list in Keras's order and shapes."""
        owner = f"{type(self).__name__}.set_weights"
        if not self.built:
            raise RuntimeError(
                f"{owner}: layer '{self.name}' has no weights yet; call build(input_shape) "
                "or run it on data first."
            )
        names = list(self.params)
        weights = list(weights)
        if len(weights) != len(names):
            raise ValueError(
                f"{owner} expects {len(names)} arrays ({', '.join(names)}); got {len(weights)}."
            )
        arrays = []
        for key, w in zip(names, weights, strict=True):
            w = _checks.as_float_array(w, self.dtype, owner, f"weight '{key}'")
            if w.shape != self.params[key].shape:
                raise ValueError(
                    f"{owner}: weight '{key}' of layer '{self.name}' has shape "
                    f"{_checks.shape_str(self.params[key].shape)}; "
                    f"got {_checks.shape_str(w.shape)}."
                )
            arrays.append(w)
        for key, w in zip(names, arrays, strict=True):  # all checked first: nothing half-written
            self.params[key][...] = w

    @property
    def weights(self) -> list[np.ndarray]:
        """The parameter arrays themselves (not copies), in Keras's order."""
        return list(self.params.values())

    def count_params(self) -> int:
        """Number of scalar parameters."""
        if not self.built:
            raise RuntimeError(
                f"{type(self).__name__}.count_params: layer '{self.name}' is not built yet; "
                "call build(input_shape) first."
            )
        return int(sum(p.size for p in self.params.values()))

    def zero_grad(self) -> None:
        """Set every gradient to zero (in place)."""
        for g in self.grads.values():
            g[...] = 0

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable, so ``from_config`` rebuilds the layer."""
        cfg = {"name": self.name, "dtype": self.dtype.name, "seed": self.seed}
        if self.input_shape_arg is not None:
            cfg["input_shape"] = list(self.input_shape_arg)
        for key in self._config_keys:
            cfg[key] = getattr(self, key)
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._config_keys[:3])
        return f"<{type(self).__name__} '{self.name}'{': ' + args if args else ''}>"
