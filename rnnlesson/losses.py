"""Loss functions, as Keras defines them, with their backward passes.

Every loss is an object with two steps::

    value = loss.forward(y_pred, y_true)   # a float: the mean over the batch (and time)
    dy_pred = loss.backward()              # dL/dy_pred, same shape and dtype as y_pred

Note the order: the prediction comes first, like every ``forward(x)`` in this
package (Keras's ``loss(y_true, y_pred)`` puts the labels first).

=======================================  ==============================  =========================
loss (Keras string)                      y_pred                          y_true
=======================================  ==============================  =========================
``BinaryCrossentropy``                   probabilities (N, 1) (or        0/1 labels (N, 1) or
(``'binary_crossentropy'``)              logits with from_logits=True)   (N,); soft labels allowed
``CategoricalCrossentropy``              (N, C) or (N, T, C)             one-hot, same shape
(``'categorical_crossentropy'``)
``SparseCategoricalCrossentropy``        (N, C) or (N, T, C)             integer class ids (N,) or
(``'sparse_categorical_crossentropy'``)                                  (N, T), in [0, C-1]
``MeanSquaredError`` (``'mse'``)         any shape, e.g. (N, 1)          same shape (or (N,))
=======================================  ==============================  =========================

How the value is averaged (Keras's ``sum_over_batch_size``): each loss is computed
per position over the last axis (a sum over classes for the cross-entropies, a
mean over the last axis for binary cross-entropy and MSE), then averaged over
every other axis: over N, and over T for sequence outputs (N, T, C).

With ``from_logits=False`` the probabilities are clipped to [1e-7, 1 - 1e-7]
before the log, as Keras does, so a confident wrong answer costs at most
-ln(1e-7) ~ 16.1 instead of infinity; where clipping acts, the gradient is 0
(again as Keras). The categorical losses also divide each row of y_pred by its
sum first, as Keras does. With ``from_logits=True`` the losses work on the raw
scores with a numerically stable log-sum-exp; this is the better choice when
you can make it.

Sanity baselines: binary cross-entropy of p = 0.5 is ln 2 ~ 0.693; a uniform
prediction over C classes gives ln C (2.303 for 10 classes).
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .kernels import sigmoid

__all__ = ["Loss", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "MeanSquaredError", "get", "EPSILON"]

#: Keras's fuzz factor ``keras.config.epsilon()``: probabilities are clipped to
#: [EPSILON, 1 - EPSILON].
EPSILON = 1e-7


def _shape(s) -> str:
    return _checks.shape_str(tuple(s))


class Loss:
    """Base class: ``forward(y_pred, y_true) -> float``, then ``backward() -> dL/dy_pred``."""

    #: Keras's name of the loss (its string form for ``losses.get``).
    name = "loss"

    def __init__(self, from_logits=False):
        self.from_logits = _checks.boolean(from_logits, "from_logits", type(self).__name__)
        self._cache = None

    # ----------------------------------------------------------------- helpers
    def _pred(self, y_pred, expected: str, min_ndim: int = 1) -> np.ndarray:
        owner = f"{type(self).__name__}.forward"
        arr = np.asarray(y_pred) if not isinstance(y_pred, np.ndarray) else y_pred
        dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        arr = _checks.as_float_array(y_pred, dtype, owner, "y_pred")
        if arr.ndim < min_ndim:
            raise ValueError(f"{owner} expects y_pred of shape {expected}; "
                             f"got {_shape(arr.shape)}.")
        _checks.check_nonempty(arr, owner, expected)
        return arr

    def _true(self, y_true) -> np.ndarray:
        owner = f"{type(self).__name__}.forward"
        arr = np.asarray(y_true)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{owner} expects y_true to be a numeric array; got an array of "
                            f"dtype {arr.dtype}.")
        if arr.dtype.kind == "f":
            _checks.check_finite(arr, owner, "y_true")
        return arr

    @staticmethod
    def _match(y_true: np.ndarray, shape, owner: str, expected: str) -> np.ndarray:
        """Bring y_true to ``shape``, allowing a missing or extra trailing axis of 1 (as Keras)."""
        shape = tuple(shape)
        if y_true.shape == shape:
            return y_true
        if y_true.size == int(np.prod(shape)) and (
            y_true.shape + (1,) == shape or y_true.shape == shape + (1,)
        ):
            return y_true.reshape(shape)
        raise ValueError(
            f"{owner} expects y_true {expected} to match y_pred {_shape(shape)}; "
            f"got y_true {_shape(y_true.shape)}."
        )

    def _need_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward(); "
                               "compute the loss value first.")
        return self._cache

    def _check_probabilities(self, p: np.ndarray, owner: str, high: float = 1.0) -> None:
        lo, hi = float(p.min()), float(p.max())
        if lo < 0.0 or hi > high:
            raise ValueError(
                f"{owner} expects probabilities in [0, 1] in y_pred (from_logits=False); got "
                f"values in [{lo:.4g}, {hi:.4g}]. If y_pred holds raw scores (logits), use "
                f"{type(self).__name__}(from_logits=True), or end the model with a "
                f"{'sigmoid' if isinstance(self, BinaryCrossentropy) else 'softmax'} activation."
            )

    # ----------------------------------------------------------------- protocol
    def forward(self, y_pred, y_true) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        """``{'name': ..., 'from_logits': ...}``: enough for ``losses.get`` to rebuild the loss."""
        return {"name": self.name, "from_logits": self.from_logits}

    @classmethod
    def from_config(cls, config: dict):
        cfg = {k: v for k, v in config.items() if k != "name"}
        return cls(**cfg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(from_logits={self.from_logits})"


# ---------------------------------------------------------------------- binary
class BinaryCrossentropy(Loss):
    """Binary cross-entropy: ``-[y ln p + (1 - y) ln(1 - p)]``, averaged over all entries.

    Args:
        from_logits: False (default) if y_pred holds probabilities (a sigmoid
            output), True if it holds raw scores z, with p = sigmoid(z).

    Shapes: y_pred (N, 1) (or (N, K) for K independent labels, (N, T, 1) per
    step); y_true the same shape, or (N,) for y_pred (N, 1). Labels are in [0, 1].

    Gradient: dL/dz = (sigmoid(z) - y) / n with logits; dL/dp = (p - y) / (p (1 - p)) / n
    with probabilities (0 where clipping acts); n = the number of entries.
    """

    name = "binary_crossentropy"

    def forward(self, y_pred, y_true) -> float:
        owner = "BinaryCrossentropy.forward"
        p = self._pred(y_pred, "(N, 1)")
        y = self._match(self._true(y_true), p.shape, owner, "(0/1 labels)").astype(p.dtype)
        ymin, ymax = float(y.min()), float(y.max())
        if ymin < 0 or ymax > 1:
            raise ValueError(f"{owner} expects labels y_true in [0, 1]; got values in "
                             f"[{ymin:.4g}, {ymax:.4g}]. For more than two classes use "
                             "SparseCategoricalCrossentropy.")
        n = p.size
        if self.from_logits:
            z = p
            # ln(1 + e^z) - y z, written so that exp never overflows
            per = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            self._cache = ("logits", z, y, n)
        else:
            self._check_probabilities(p, owner)
            pc = np.clip(p, EPSILON, 1 - EPSILON)
            per = -(y * np.log(pc) + (1 - y) * np.log1p(-pc))
            inside = (p >= EPSILON) & (p <= 1 - EPSILON)
            self._cache = ("probs", pc, y, n, inside)
        return float(per.mean(dtype=np.float64))

    def backward(self) -> np.ndarray:
        """dL/dy_pred, the shape and dtype of y_pred."""
        cache = self._need_cache()
        if cache[0] == "logits":
            _, z, y, n = cache
            sig = sigmoid(z)
            return (sig - y) / n  # dL/dz = (sigmoid(z) - y) / n
        _, pc, y, n, inside = cache
        # dL/dp = (p - y) / (p (1 - p)) / n, zero where the clip is active
        return np.where(inside, (pc - y) / (pc * (1 - pc) * n), 0).astype(pc.dtype, copy=False)


# ---------------------------------------------------------------------- categorical
def _log_softmax(z: np.ndarray) -> np.ndarray:
    """ln softmax(z) over the last axis, stable for any z: z - max - ln sum exp(z - max)."""
    m = z.max(axis=-1, keepdims=True)
    s = z - m
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


class _CategoricalBase(Loss):
    """What the two categorical cross-entropies share: the forward pass, with either
    logits (a stable log-softmax) or probabilities (renormalised and clipped, as Keras).

    A subclass says how its targets look (:meth:`_target`) and how the target picks
    the log-probabilities of each position (:meth:`_nll`)."""

    def _target(self, y_true, p, owner):  # pragma: no cover - abstract
        """``(target, n)``: the targets in the form ``_nll`` takes, and the positions N (or N*T)."""
        raise NotImplementedError

    def _nll(self, a, target, is_log):  # pragma: no cover - abstract
        """-ln p of the target at each position, from ``a`` = ln p (``is_log``) or p."""
        raise NotImplementedError

    def forward(self, y_pred, y_true) -> float:
        owner = f"{type(self).__name__}.forward"
        p = self._pred(y_pred, "(N, C) or (N, T, C)", min_ndim=2)
        target, n = self._target(y_true, p, owner)
        if self.from_logits:
            logp = _log_softmax(p)
            per = self._nll(logp, target, is_log=True)
            self._cache = ("logits", logp, target, n)
        else:
            s, q, c, inside = self._normalised(p, owner)
            per = self._nll(c, target, is_log=False)
            self._cache = ("probs", s, q, c, inside, target, n)
        return float(per.mean(dtype=np.float64))

    def _normalised(self, p, owner):
        """q = p / sum(p) per row (as Keras), and its clipped version."""
        self._check_probabilities(p, owner, high=np.inf)  # rows are renormalised, as Keras
        s = p.sum(axis=-1, keepdims=True)
        if not np.all(s > 0):
            raise ValueError(f"{owner} got a row of y_pred that sums to 0; expected "
                             "probabilities over the last axis (a softmax output).")
        q = p / s
        return s, q, np.clip(q, EPSILON, 1 - EPSILON), (q >= EPSILON) & (q <= 1 - EPSILON)


class CategoricalCrossentropy(_CategoricalBase):
    """Categorical cross-entropy with one-hot (or soft) targets: ``-sum_c y_c ln p_c``.

    Args:
        from_logits: False (default) if y_pred holds probabilities (a softmax
            output), True for raw scores z, with p = softmax(z).

    Shapes: y_pred (N, C) or (N, T, C); y_true the same shape (one-hot rows).
    The value is averaged over N (and T).

    Gradient with logits: dL/dz = (softmax(z) * sum_c y_c - y) / n, which is
    (p - y) / n for one-hot y; n = N (or N*T).
    """

    name = "categorical_crossentropy"

    def _targets(self, y_true, shape, owner):
        y = self._true(y_true)
        if y.shape != tuple(shape):
            hint = ""
            if y.shape == tuple(shape[:-1]) or y.shape == tuple(shape[:-1]) + (1,):
                hint = (" These look like integer class ids: use SparseCategoricalCrossentropy, "
                        "or one-hot encode them (rnnlesson.text.one_hot).")
            raise ValueError(f"{owner} expects one-hot y_true of the shape of y_pred "
                             f"{_shape(shape)}; got {_shape(y.shape)}.{hint}")
        return y

    def _target(self, y_true, p, owner):
        return self._targets(y_true, p.shape, owner).astype(p.dtype), p.size // p.shape[-1]

    def _nll(self, a, y, is_log):
        return -(y * (a if is_log else np.log(a))).sum(axis=-1)  # -sum_c y_c ln p_c

    def backward(self) -> np.ndarray:
        """dL/dy_pred, the shape and dtype of y_pred."""
        cache = self._need_cache()
        if cache[0] == "logits":
            _, logp, y, n = cache
            # dL/dz = softmax(z) * sum(y) - y, over n positions
            return (np.exp(logp) * y.sum(axis=-1, keepdims=True) - y) / n
        _, s, q, c, inside, y, n = cache
        g = np.where(inside, -y / (c * n), 0).astype(q.dtype, copy=False)  # dL/dq
        # q = p / sum(p):  dL/dp_j = (dL/dq_j - sum_k dL/dq_k q_k) / sum(p)
        return (g - (g * q).sum(axis=-1, keepdims=True)) / s


class SparseCategoricalCrossentropy(_CategoricalBase):
    """Cross-entropy with integer class ids: ``-ln p[label]``, averaged over N (and T).

    Args:
        from_logits: False (default) if y_pred holds probabilities (a softmax
            output), True for raw scores z.

    Shapes: y_pred (N, C) or (N, T, C); y_true integer ids (N,) or (N, T) (or with
    a trailing axis of 1), each in [0, C-1].

    Gradient with logits: dL/dz = (softmax(z) - onehot(y)) / n; n = N (or N*T).

    With logits the forward and backward are fused for speed (a language model's
    (N, T, V) scores are the biggest array of its step): see :meth:`_forward_logits`.
    A logit of -inf means probability 0 (as in torch); NaN or +inf is an error.
    """

    name = "sparse_categorical_crossentropy"

    def forward(self, y_pred, y_true) -> float:
        if not self.from_logits:
            return super().forward(y_pred, y_true)
        return self._forward_logits(y_pred, y_true)

    def _forward_logits(self, y_pred, y_true) -> float:
        """-mean ln softmax(z)[label] in two passes over the (N*T, V) scores, keeping
        exp(z) for backward, which finishes the gradient in place in one more pass.

        The textbook route (z - max, exp, sum, log, subtract, pick; then exp again, put
        back the label, divide) makes about ten passes and several temporaries of the
        size of z. Here::

            e = exp(z)              one pass, the only array of z's size that is made
            s = sum_v e             one pass; per row: ln sum exp(z) = ln s
            loss = mean(ln s - z[label])        only N*T numbers

        and backward turns e into the gradient where it lies::

            dL/dz = (e / s - onehot(label)) / n  =  e * (1 / (n s)) - onehot / n

        Shifting by the row maximum (z - max) is only needed when exp could overflow or
        every entry of a row underflows; both show in s (not finite, or below
        tiny**0.75, where the dropped underflowed terms could matter), and then those
        rows are recomputed the shifted way. A NaN or +inf in z also shows in s, and
        then the usual check names it. n = N (or N*T).
        """
        owner = "SparseCategoricalCrossentropy.forward"
        z = _checks.numeric_array(y_pred, owner, "y_pred")
        if z.dtype not in (np.float32, np.float64):
            z = z.astype(np.float64)
        if z.ndim < 2:
            raise ValueError(f"{owner} expects y_pred of shape (N, C) or (N, T, C); "
                             f"got {_shape(z.shape)}.")
        _checks.check_nonempty(z, owner, "(N, C) or (N, T, C)")
        ids = self._labels(y_true, z.shape, owner).reshape(-1)
        v = z.shape[-1]
        z2 = z.reshape(-1, v)
        rows = np.arange(z2.shape[0])
        with np.errstate(over="ignore", under="ignore"):
            e = np.exp(z2)                  # exp(z), our own array: backward works in it
            s = e.sum(axis=1)               # sum_v exp(z_v), per row
        with np.errstate(divide="ignore"):
            lse = np.log(s.astype(np.float64))  # ln sum exp(z) (float64: N*T numbers)
        bad = ~(np.isfinite(s) & (s >= np.finfo(z.dtype).tiny ** 0.75))
        if bad.any():
            r = np.flatnonzero(bad)
            zr = z2[r]
            if np.isnan(zr).any() or np.isposinf(zr).any():
                _checks.check_finite(zr, owner, "y_pred")  # NaN or +inf: the usual error
            m = zr.max(axis=1, keepdims=True)             # else: shift these rows by their max
            er = np.exp(zr - m)
            sr = er.sum(axis=1)
            e[r] = er * (1 / sr)[:, None]               # softmax itself: s = 1 below
            s[r] = 1
            lse[r] = m[:, 0].astype(np.float64) + np.log(sr.astype(np.float64))
        n = ids.size
        value = float((lse - z2[rows, ids]).mean())  # ln sum exp(z) - z_label, in float64
        self._cache = ("fused", e, s, rows, ids, n, z.shape)
        return value

    def _backward_logits(self, cache) -> np.ndarray:
        _, e, s, rows, ids, n, shape = cache
        if s is None:  # a later call: e already is the gradient
            return e
        scale = (1.0 / (s.astype(np.float64) * n)).astype(e.dtype)
        np.multiply(e, scale[:, None], out=e)                        # softmax / n
        e[rows, ids] -= e.dtype.type(1 / n)                          # - onehot / n
        grad = e.reshape(shape)
        self._cache = ("fused", grad, None, rows, ids, n, shape)
        return grad

    def _labels(self, y_true, shape, owner):
        y = self._true(y_true)
        lead = tuple(shape[:-1])
        if y.shape == tuple(shape) and shape[-1] != 1:
            raise ValueError(
                f"{owner} expects integer class ids y_true of shape {_shape(lead)}; got "
                f"{_shape(y.shape)}, the shape of y_pred. These look like one-hot rows: use "
                "CategoricalCrossentropy, or pass y_true.argmax(-1)."
            )
        if y.shape == lead + (1,):
            y = y.reshape(lead)
        if y.shape != lead:
            raise ValueError(f"{owner} expects integer class ids y_true of shape {_shape(lead)} "
                             f"for y_pred {_shape(shape)}; got {_shape(y.shape)}.")
        if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
            raise ValueError(f"{owner} expects integer class ids in y_true; got non-integer "
                             f"values such as {float(y[y != np.round(y)].flat[0]):g}.")
        ids = y.astype(np.int64)
        c = shape[-1]
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= c:
            raise ValueError(
                f"{owner} expects class ids in [0, {c - 1}] for y_pred with C={c} classes; got "
                f"{lo if lo < 0 else hi}. Does the last layer have as many units as there are "
                "classes?"
            )
        return ids

    def _target(self, y_true, p, owner):
        ids = self._labels(y_true, p.shape, owner)
        return ids[..., None], ids.size  # (N[, T], 1) indices into the last axis

    def _nll(self, a, idx, is_log):
        picked = np.take_along_axis(a, idx, axis=-1)  # only the label's entry: log of N*T values
        return -(picked if is_log else np.log(picked))

    def backward(self) -> np.ndarray:
        """dL/dy_pred, the shape and dtype of y_pred. With logits it is computed in place,
        in the array forward made (a second call returns that same array)."""
        cache = self._need_cache()
        if cache[0] == "fused":  # dL/dz = (softmax(z) - onehot(y)) / n, see _forward_logits
            return self._backward_logits(cache)
        _, s, q, c, inside, idx, n = cache
        # only the label's q_y enters: dL/dq_y = -1 / (q_y n) (0 if clipped)
        c_y = np.take_along_axis(c, idx, axis=-1)
        g_y = np.where(np.take_along_axis(inside, idx, axis=-1), -1.0 / (c_y * n), 0)
        g_y = g_y.astype(q.dtype, copy=False)
        q_y = np.take_along_axis(q, idx, axis=-1)
        # dL/dp_j = (g_y [j = y] - g_y q_y) / sum(p)
        d = np.broadcast_to(-g_y * q_y / s, q.shape).copy()
        np.put_along_axis(d, idx, (g_y - g_y * q_y) / s, axis=-1)
        return d


# ---------------------------------------------------------------------- regression
class MeanSquaredError(Loss):
    """Mean squared error ``mean((y_pred - y_true)**2)`` over every entry.

    Shapes: y_pred of any shape, e.g. (N, 1) or (N, T, 1); y_true the same shape
    (or (N,) for (N, 1)). Gradient: dL/dy_pred = 2 (y_pred - y_true) / n, n = the
    number of entries.
    """

    name = "mean_squared_error"

    def __init__(self):
        super().__init__(from_logits=False)

    def forward(self, y_pred, y_true) -> float:
        owner = "MeanSquaredError.forward"
        p = self._pred(y_pred, "(N, K)")
        y = self._match(self._true(y_true), p.shape, owner, "(targets)").astype(p.dtype)
        diff = p - y
        self._cache = (diff, p.size)
        return float(np.mean(diff * diff, dtype=np.float64))

    def backward(self) -> np.ndarray:
        """dL/dy_pred = 2 (y_pred - y_true) / n."""
        diff, n = self._need_cache()
        return diff * (2.0 / n)

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return "MeanSquaredError()"


# ---------------------------------------------------------------------- lookup
_BY_NAME = {
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
}
_CLASSES = {cls.__name__: cls for cls in (BinaryCrossentropy, CategoricalCrossentropy,
                                           SparseCategoricalCrossentropy, MeanSquaredError)}


def get(identifier) -> Loss:
    """A loss object from a Keras string, a config dict, or a loss object (returned as is).

    ``get('mse')``, ``get('binary_crossentropy')``, ``get('sparse_categorical_crossentropy')``,
    ``get({'name': 'binary_crossentropy', 'from_logits': True})`` (what ``get_config`` gives).
    Class names (``'BinaryCrossentropy'``) work too. Strings give ``from_logits=False``.
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        cfg = dict(identifier)
        name = cfg.pop("name", None)
        cls = _BY_NAME.get(name) or _CLASSES.get(name)
        if cls is None:
            raise ValueError(f"losses.get: unknown loss name {name!r} in config {identifier!r}; "
                             f"known names: {', '.join(sorted(_BY_NAME))}.")
        return cls(**cfg)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"losses.get: unknown loss {identifier!r}; known names: "
                             f"{', '.join(sorted(_BY_NAME))}.")
        return cls()
    raise TypeError(f"losses.get expects a loss name (e.g. 'mse'), a config dict or a loss "
                    f"object; got {type(identifier).__name__}.")
