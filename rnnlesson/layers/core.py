"""The non-recurrent layers: ``Dense``, ``Embedding``, ``Flatten``, ``Dropout``.

Names, arguments, weight names, shapes and initialisers are Keras's, so weights
move between rnnlesson and Keras with ``get_weights``/``set_weights``:

====================  ==================================  ============================
layer                 weights (Keras order)               input -> output
====================  ==================================  ============================
``Dense(U)``          ``kernel (D, U)``, ``bias (U,)``    (N, ..., D) -> (N, ..., U)
``Embedding(V, E)``   ``embeddings (V, E)``               ids (N, T) -> (N, T, E)
``Flatten()``         none                                (N, T, H) -> (N, T*H)
``Dropout(rate)``     none                                any shape, unchanged
====================  ==================================  ============================
"""

from __future__ import annotations

import numpy as np

from .. import _checks, activations, initializers
from .base import Layer


def _batch_shape_str(shape) -> str:
    return _checks.shape_str(tuple(shape))


# ---------------------------------------------------------------------- Dense
class Dense(Layer):
    """A fully connected layer on the last axis: ``y = activation(x @ kernel + bias)``.

    Args:
        units: the number of outputs per position (U).
        activation: ``None``/``'linear'``, ``'tanh'``, ``'sigmoid'``, ``'relu'`` or
            ``'softmax'`` (over the last axis).
        use_bias: add ``bias`` (default True, as Keras).
        name, dtype, seed, input_shape: as :class:`Layer`.

    Shapes:
        x: (N, D) or (N, T, D) (any number of middle axes); y: (N, U) or (N, T, U).
        The same weights apply at every time step, which is what Keras's ``Dense``
        does on a sequence (``TimeDistributed`` is not needed).

    Weights: ``kernel`` (D, U), Glorot-uniform; ``bias`` (U,), zeros.
    """

    _config_keys = ("units", "activation", "use_bias")
    supports_masking = True  # works step by step: a sequence mask still fits its output

    def __init__(self, units, activation=None, *, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = _checks.positive_int(units, "units", "Dense")
        self.activation = activations.canonical(activation, "Dense")
        self.use_bias = _checks.boolean(use_bias, "use_bias", "Dense")
        self._act, self._act_backward = activations.get(self.activation)

    def _check_shape(self, input_shape) -> None:
        if len(input_shape) < 2:
            raise ValueError(
                f"Dense expects input of shape (N, D) or (N, T, D); got "
                f"{_batch_shape_str(input_shape)}. A single sample needs a batch axis: "
                "x.reshape(1, -1)."
            )
        if input_shape[-1] is None:
            raise ValueError("Dense needs to know D, the last axis of its input; got "
                             f"{_batch_shape_str(input_shape)}.")

    def _build(self, input_shape) -> None:
        self._check_shape(input_shape)
        d = int(input_shape[-1])
        kernel = initializers.glorot_uniform((d, self.units), self.rng, self.dtype)
        self.add_weight("kernel", kernel)
        if self.use_bias:
            self.add_weight("bias", initializers.zeros((self.units,), dtype=self.dtype))

    def compute_output_shape(self, input_shape):
        """``input_shape[:-1] + (units,)``, e.g. (None, 500, 32) -> (None, 500, units)."""
        input_shape = tuple(input_shape)
        self._check_shape(input_shape)
        return input_shape[:-1] + (self.units,)

    def forward(self, x, training=False):
        """x: (N, ..., D) -> y: (N, ..., U). ``training`` is unused (kept for the protocol)."""
        x = _checks.as_float_array(x, self.dtype, "Dense")
        self._check_shape(x.shape)
        _checks.check_nonempty(x, "Dense", "(N, D) or (N, T, D)")
        if self.built and x.shape[-1] != self.params["kernel"].shape[0]:
            raise ValueError(
                f"Dense '{self.name}' was built for inputs with D={self.params['kernel'].shape[0]} "
                f"features on the last axis; got input of shape {_batch_shape_str(x.shape)}."
            )
        self._ensure_built(x.shape)
        d = x.shape[-1]
        # one (N*T, D) @ (D, U) product: x @ kernel on (N, T, D) would be N separate ones
        z = (x.reshape(-1, d) @ self.params["kernel"]).reshape(x.shape[:-1] + (self.units,))
        if self.use_bias:
            z += self.params["bias"]  # z is a fresh array
        y = self._act(z)
        self._cache = (x, y)
        # backward reads y (tanh' = 1 - y^2, ...): the caller gets a copy it may write into
        return y if self.activation == "linear" else y.copy()

    def backward(self, dy):
        """dy: dL/dy (N, ..., U) -> dL/dx (N, ..., D); writes grads['kernel'], grads['bias']."""
        x, y = self._need_cache()
        dy = self._check_grad(dy, y.shape)
        d, u = self.params["kernel"].shape
        dz = self._act_backward(dy, y)  # dL/dz = dL/dy * f'(z), from the output y
        dz2 = dz.reshape(-1, u)         # rows over N (and T): each product below is one GEMM
        np.matmul(x.reshape(-1, d).T, dz2, out=self.grads["kernel"])  # dL/dW = x^T dz
        if self.use_bias:
            self.grads["bias"][...] = dz2.sum(axis=0)  # dL/db = sum of dz over N (and T)
        return (dz2 @ self.params["kernel"].T).reshape(x.shape)  # dL/dx = dz W^T


# ---------------------------------------------------------------------- Embedding
class Embedding(Layer):
    """A lookup table from integer ids to vectors: ``y[n, t] = embeddings[x[n, t]]``.

    Args:
        input_dim: V, the vocabulary size; valid ids are 0 .. V-1.
        output_dim: E, the size of each vector.
        mask_zero: id 0 is padding: the layer's output carries the mask ``x != 0`` (N, T)
            to the layers after it (Keras's; the vectors themselves are unchanged).
        name, dtype, seed, input_shape: as :class:`Layer`.

    Shapes:
        x: integer ids (N, T) (or (N,) for one id per sample); y: (N, T, E).
        Float arrays are accepted when they hold whole numbers (as Keras casts them).

    Weights: ``embeddings`` (V, E), uniform in [-0.05, 0.05] (Keras's default).

    ``backward(dy)`` adds the rows of dy into the rows of ``grads['embeddings']``
    that were looked up (an id used twice gets both contributions) and returns
    ``None``: integer ids have no gradient, so an Embedding must be the first layer.
    """

    _config_keys = ("input_dim", "output_dim", "mask_zero")

    def __init__(self, input_dim, output_dim, *, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = _checks.positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = _checks.positive_int(output_dim, "output_dim", "Embedding")
        self.mask_zero = _checks.boolean(mask_zero, "mask_zero", "Embedding")
        self.supports_masking = self.mask_zero  # as Keras

    def compute_mask(self, x, mask=None):
        """With ``mask_zero``: ``x != 0`` (N, T), True at real tokens; else None."""
        if not self.mask_zero:
            return None
        return np.asarray(x) != 0

    def _build(self, input_shape) -> None:
        self.add_weight(
            "embeddings",
            initializers.uniform((self.input_dim, self.output_dim), self.rng, self.dtype, 0.05),
        )

    def compute_output_shape(self, input_shape):
        """``input_shape + (E,)``, e.g. (None, 500) -> (None, 500, 32)."""
        input_shape = tuple(input_shape)
        if len(input_shape) not in (1, 2):
            raise ValueError(f"Embedding expects integer ids of shape (N, T); got "
                             f"{_batch_shape_str(input_shape)}.")
        return input_shape + (self.output_dim,)

    def _ids(self, x) -> np.ndarray:
        """Validate and return the ids as an int64 array (N, T)."""
        owner = "Embedding"
        arr = np.asarray(x)
        if arr.dtype.kind not in "iuf":
            raise TypeError(
                f"{owner} expects integer token ids of shape (N, T); got an array of dtype "
                f"{arr.dtype}. Turn text into ids first (rnnlesson.text.Vocabulary)."
            )
        if arr.ndim not in (1, 2):
            hint = (" Token ids are not one-hot vectors: pass the ids themselves."
                    if arr.ndim == 3 else "")
            raise ValueError(
                f"{owner} expects integer token ids of shape (N, T); got "
                f"{_batch_shape_str(arr.shape)}.{hint}"
            )
        _checks.check_nonempty(arr, owner, "(N, T) with N >= 1 and T >= 1")
        if arr.dtype.kind == "f":
            _checks.check_finite(arr, owner, "token ids")
            if not np.array_equal(arr, np.round(arr)):
                bad = arr[arr != np.round(arr)].flat[0]
                raise ValueError(
                    f"{owner} expects integer token ids; got floats that are not whole numbers "
                    f"(e.g. {float(bad):g}). Did you pass embeddings or one-hot data instead "
                    "of ids?"
                )
        ids = arr.astype(np.int64, copy=False)
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= self.input_dim:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{owner} '{self.name}' has input_dim={self.input_dim}, so ids must be in "
                f"[0, {self.input_dim - 1}]; got {bad}. Raise input_dim to the vocabulary size "
                "(len(vocabulary)) or cap the ids (Vocabulary(max_size=...))."
            )
        return ids

    def forward(self, x, training=False):
        """x: integer ids (N, T) -> y: (N, T, E). ``training`` is unused."""
        ids = self._ids(x)
        self._ensure_built(ids.shape)
        self._cache = ids
        return self.params["embeddings"][ids]  # fancy indexing: a fresh array

    def backward(self, dy):
        """dy: dL/dy (N, T, E). Writes grads['embeddings'] (V, E); returns None (ids: no gradient).

        dL/dembeddings[v] = sum of dy[n, t] over every (n, t) with x[n, t] = v.

        This scatter-add is done one of two ways, both summing each row's terms in
        float64 in the order they come (so both give the same numbers), whichever is
        cheaper for the sizes (measured against ``np.add.at``, 2-4x slower, and a
        one-hot matrix product, fast only for a few dozen ids):

        * more lookups than ids (a character model: V = 65, N*T = 3200): one
          ``np.bincount`` per column, each a pass over the lookups;
        * fewer lookups than ids (a word model: V = 10000, N*T = 700, most rows of the
          gradient zero): sort the lookups by id (stably), add up each id's run of rows
          with one ``np.add.reduceat``, and write only those rows (3.5x faster there).
        """
        ids = self._need_cache()
        dy = self._check_grad(dy, ids.shape + (self.output_dim,))
        flat = ids.ravel()
        d2 = dy.reshape(-1, self.output_dim)
        g = self.grads["embeddings"]
        if flat.size >= self.input_dim:
            for e in range(self.output_dim):
                g[:, e] = np.bincount(flat, weights=d2[:, e], minlength=self.input_dim)
            return None
        order = np.argsort(flat, kind="stable")   # stable: each id's rows keep their order
        sorted_ids = flat[order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
        g[...] = 0
        g[sorted_ids[starts]] = np.add.reduceat(d2[order].astype(np.float64), starts, axis=0)
        return None


# ---------------------------------------------------------------------- Flatten
class Flatten(Layer):
    """Flatten all axes but the batch axis: (N, T, H) -> (N, T*H); (N,) -> (N, 1) as Keras."""

    _config_keys = ()
    uses_randomness = False

    def compute_output_shape(self, input_shape):
        """(N, T, H) -> (N, T*H); None if any flattened axis is unknown."""
        input_shape = tuple(input_shape)
        if len(input_shape) < 1:
            raise ValueError("Flatten expects input with a batch axis, e.g. (N, T, H); got ().")
        rest = input_shape[1:]
        if any(s is None for s in rest):
            return (input_shape[0], None)
        return (input_shape[0], int(np.prod(rest, dtype=np.int64)))

    def forward(self, x, training=False):
        """x: (N, ...) -> (N, prod(...)). ``training`` is unused."""
        x = _checks.as_float_array(x, self.dtype, "Flatten")
        if x.ndim < 1:
            raise ValueError("Flatten expects input with a batch axis, e.g. (N, T, H); got a "
                             "scalar of shape ().")
        self._ensure_built(x.shape)
        self._cache = x.shape
        return x.reshape(x.shape[0], -1).copy() if x.ndim != 2 else x.copy()

    def backward(self, dy):
        """dy: (N, prod(...)) -> dL/dx with the input's shape (N, ...)."""
        shape = self._need_cache()
        dy = self._check_grad(dy, (shape[0], int(np.prod(shape[1:], dtype=np.int64))))
        return dy.reshape(shape).copy()


# ---------------------------------------------------------------------- Dropout
class Dropout(Layer):
    """Inverted dropout, as Keras: when training, zero each entry with probability
    ``rate`` and scale the rest by ``1 / (1 - rate)``; when not training, the identity.

    Args:
        rate: the fraction to drop, 0 <= rate < 1.
        seed: seeds ``self.rng``, which draws the masks (so a seeded layer gives the
            same sequence of masks on every run).
        name, dtype, input_shape: as :class:`Layer`.

    Shapes: any input (N, ...); the output has the same shape.

    The expected value of every output equals the input, so nothing changes at
    test time. ``backward`` multiplies by the same scaled mask.
    """

    _config_keys = ("rate",)
    supports_masking = True

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = _checks.real_number(rate, "rate", "Dropout", low=0.0, high=1.0,
                                        high_inclusive=False)

    def compute_output_shape(self, input_shape):
        """The input shape, unchanged."""
        return tuple(input_shape)

    def forward(self, x, training=False):
        """x: (N, ...) -> same shape. Drops only when ``training=True``."""
        x = _checks.as_float_array(x, self.dtype, "Dropout")
        training = _checks.boolean(training, "training", "Dropout")
        self._ensure_built(x.shape)
        if not training or self.rate == 0.0:
            self._cache = (x.shape, None)
            return x.copy()
        keep = self.rng.random(x.shape) >= self.rate
        mask = keep * np.asarray(1.0 / (1.0 - self.rate), dtype=self.dtype)  # 0 or 1/(1-rate)
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, dy):
        """dy: dL/dy -> dL/dx = dy * mask (dy itself, copied, when not training)."""
        shape, mask = self._need_cache()
        dy = self._check_grad(dy, shape)
        return dy.copy() if mask is None else dy * mask
