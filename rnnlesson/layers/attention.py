"""Attention layers, as Keras has them: ``Attention`` (Luong, dot product) and
``AdditiveAttention`` (Bahdanau's additive score).

Both read a list ``[query, value]`` or ``[query, value, key]`` (the key defaults to
the value) and compute, for every query position i and every value position j::

    s[n, i, j]  = score(query[n, i], key[n, j])           scores        (N, Tq, Tv)
    w[n, i, :]  = softmax(s[n, i, :])                     weights       (N, Tq, Tv)
    out[n, i]   = sum_j w[n, i, j] value[n, j]            context       (N, Tq, Dv)

``Attention`` scores with a dot product ``q . k`` (times a learnt scalar ``scale``
when ``use_scale=True``), or with ``score_mode='concat'``:
``concat_score_weight * sum_d tanh(scale * (q + k))``. ``AdditiveAttention`` scores
``sum_d scale[d] tanh(q[d] + k[d])`` with a learnt vector ``scale`` (D,). Keras's
additive layer has no projection matrices of its own: Bahdanau's
``v . tanh(W_q q + W_k k)`` is ``Dense`` layers on the query and key followed by it
(``models.Seq2Seq(attention='additive')`` is built that way).

Keras's call options are here: ``return_attention_scores`` (then the output is the
pair ``(out, w)``), ``use_causal_mask`` (position i sees only j <= i), ``mask=
[query_mask, value_mask]`` and ``dropout`` on the weights when training. Masked
scores are lowered by 1e9 before the softmax, as Keras does.

The backward pass is written by hand (every line below is one line of maths)::

    dw    = dout value^T  (+ the caller's gradient of w)   (N, Tq, Tv)
    dv    = w^T dout                                       (N, Tv, Dv)
    ds    = w * (dw - sum_j w dw)                          softmax backward, per row
    dot:      dq = ds k,  dk = ds^T q                      (times scale; dscale = sum ds q.k)
    additive: du = ds scale (1 - tanh^2),  dq = sum_j du,  dk = sum_i du

``backward(dout)`` returns the list ``[dquery, dvalue]`` (or ``[dquery, dvalue,
dkey]`` when a key was given); with a key defaulting to the value, ``dvalue`` holds
both uses.
"""

from __future__ import annotations

import numpy as np

from .. import _checks, initializers
from .base import Layer

__all__ = ["Attention", "AdditiveAttention"]

#: Keras lowers masked scores by this much before the softmax
_MASK_PENALTY = 1e9


def _shape(s) -> str:
    return _checks.shape_str(tuple(s))


class Attention(Layer):
    """Dot-product attention (Luong), as ``keras.layers.Attention``.

    Args:
        use_scale: learn a scalar ``scale`` (initialised to 1) that multiplies the scores.
        score_mode: ``'dot'`` (``q . k``) or ``'concat'``
            (``concat_score_weight * sum(tanh(scale * (q + k)))``, with a learnt scalar
            ``concat_score_weight`` initialised to 1).
        dropout: the fraction of attention weights dropped when training (0 <= rate < 1).
        name, dtype, seed: as :class:`Layer` (``seed`` draws the dropout masks).

    Shapes:
        query (N, Tq, D), value (N, Tv, Dv), key (N, Tv, D) -> output (N, Tq, Dv);
        weights (N, Tq, Tv).

    Weights (Keras's names and order): ``scale`` () when use_scale, then
    ``concat_score_weight`` () when score_mode='concat'. The plain dot-product layer
    has none.
    """

    _config_keys = ("use_scale", "score_mode", "dropout")

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.use_scale = _checks.boolean(use_scale, "use_scale", owner)
        self.score_mode = _checks.one_of(score_mode, "score_mode", owner, ("dot", "concat"))
        self.dropout = _checks.real_number(dropout, "dropout", owner, low=0.0, high=1.0,
                                           high_inclusive=False)

    # ------------------------------------------------------------------ shapes
    def _check_shapes(self, shapes) -> None:
        owner = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or len(shapes) not in (2, 3) or any(
                not isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(
                f"{owner} expects a list [query, value] or [query, value, key] of arrays "
                f"(N, T, D); got {shapes!r}.")
        shapes = [tuple(s) for s in shapes]
        for what, s in zip(("query", "value", "key"), shapes, strict=False):
            if len(s) != 3:
                raise ValueError(f"{owner} expects {what} of shape (N, T, D); got {_shape(s)}.")
        q, v = shapes[0], shapes[1]
        k = shapes[2] if len(shapes) == 3 else v
        if k[1] is not None and v[1] is not None and k[1] != v[1]:
            raise ValueError(f"{owner} expects key and value with the same number of steps Tv; "
                             f"got key {_shape(k)} and value {_shape(v)}.")
        if q[2] is not None and k[2] is not None and q[2] != k[2]:
            which = "key" if len(shapes) == 3 else "value (the key when none is given)"
            raise ValueError(f"{owner} compares query and key feature by feature, so they need "
                             f"the same last axis D; got query {_shape(q)} and {which} "
                             f"{_shape(k)}. Project one of them with a Dense layer first.")
        batch = {s[0] for s in shapes if s[0] is not None}
        if len(batch) > 1:
            raise ValueError(f"{owner} expects query, value (and key) with the same batch size "
                             f"N; got {', '.join(_shape(s) for s in shapes)}.")

    def build(self, input_shape) -> None:
        """Create the weights for ``[query_shape, value_shape(, key_shape)]``."""
        self._check_shapes(input_shape)
        shapes = [tuple(s) for s in input_shape]
        self._build(shapes)
        self.input_shape = shapes
        self.built = True

    def _scalar_weight(self, name: str) -> None:
        """A scalar weight of shape () as Keras has it, initialised to 1 (``add_weight``
        would make it 1-d)."""
        self.params[name] = np.ones((), self.dtype)
        self.grads[name] = np.zeros((), self.dtype)

    def _build(self, shapes) -> None:
        if self.use_scale:
            self._scalar_weight("scale")
        if self.score_mode == "concat":
            self._scalar_weight("concat_score_weight")

    def compute_output_shape(self, input_shape):
        """``query_shape[:-1] + (value_shape[-1],)``, e.g. [(None, 4, 8), (None, 7, 8)] ->
        (None, 4, 8)."""
        self._check_shapes(input_shape)
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    # ------------------------------------------------------------------ scores
    def _scores(self, q, k):
        """Scores (N, Tq, Tv) and what their backward needs."""
        p = self.params
        if self.score_mode == "dot":
            raw = q @ k.transpose(0, 2, 1)          # s = q . k  (N, Tq, Tv)
            if self.use_scale:
                return raw * p["scale"], raw
            return raw, None
        u = q[:, :, None, :] + k[:, None, :, :]      # q + k  (N, Tq, Tv, D)
        if self.use_scale:
            u *= p["scale"]
        t = np.tanh(u, out=u)                        # tanh(scale (q + k))
        tsum = t.sum(axis=-1)
        return p["concat_score_weight"] * tsum, (t, tsum)

    def _scores_backward(self, ds, q, k, saved):
        """dq, dk from ds = dL/ds (N, Tq, Tv); writes the weights' gradients."""
        p, g = self.params, self.grads
        if self.score_mode == "dot":
            if self.use_scale:
                g["scale"][...] = np.vdot(ds, saved)           # dL/dscale = sum ds (q . k)
                ds = ds * p["scale"]                           # dL/d(q . k)
            return ds @ k, ds.transpose(0, 2, 1) @ q           # dq = ds k, dk = ds^T q
        t, tsum = saved
        g["concat_score_weight"][...] = np.vdot(ds, tsum)      # dL/dw_c = sum ds sum_d tanh
        du = (ds * p["concat_score_weight"])[..., None] * (1.0 - t * t)  # through the tanh
        if self.use_scale:
            z = q[:, :, None, :] + k[:, None, :, :]
            g["scale"][...] = np.vdot(du, z)                   # dL/dscale = sum du (q + k)
            du *= p["scale"]
        return du.sum(axis=2), du.sum(axis=1)                  # q and k are broadcast: sum

    # ------------------------------------------------------------------ forward
    def _inputs(self, inputs):
        owner = type(self).__name__
        if isinstance(inputs, np.ndarray) or not isinstance(inputs, (list, tuple)) or len(
                inputs) not in (2, 3):
            got = (f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple))
                   else f"{type(inputs).__name__}")
            raise ValueError(f"{owner} must be called on a list [query, value] or [query, "
                             f"value, key] of float arrays (N, T, D); got {got}.")
        arrays = [_checks.as_float_array(a, self.dtype, owner, what)
                  for a, what in zip(inputs, ("query", "value", "key"), strict=False)]
        self._check_shapes([a.shape for a in arrays])
        for a, what in zip(arrays, ("query", "value", "key"), strict=False):
            _checks.check_nonempty(a, owner, f"{what} (N, T, D) with N, T, D >= 1")
        return arrays

    def _mask(self, mask, n, tq, tv, use_causal_mask):
        """(query mask (N, Tq) or None, score mask broadcastable to (N, Tq, Tv) or None)."""
        owner = type(self).__name__
        q_mask = v_mask = None
        if mask is not None:
            if not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3):
                raise ValueError(f"{owner} expects mask as a list [query_mask, value_mask] of "
                                 f"bool arrays (N, Tq) and (N, Tv) (entries may be None); got "
                                 f"{type(mask).__name__}.")
            for m, shape, what in ((mask[0], (n, tq), "query_mask"),
                                   (mask[1], (n, tv), "value_mask")):
                if m is not None and np.shape(m) != shape:
                    raise ValueError(f"{owner} expects {what} of shape {_shape(shape)}; got "
                                     f"{_shape(np.shape(m))}.")
            q_mask = None if mask[0] is None else np.asarray(mask[0], dtype=bool)
            v_mask = None if mask[1] is None else np.asarray(mask[1], dtype=bool)[:, None, :]
        if use_causal_mask:
            causal = np.tril(np.ones((tq, tv), dtype=bool))[None]   # j <= i
            v_mask = causal if v_mask is None else v_mask & causal
        return q_mask, v_mask

    def forward(self, inputs, training=False, return_attention_scores=False,
                use_causal_mask=False, mask=None):
        """Attend from every query position to the values.

        Args:
            inputs: ``[query, value]`` or ``[query, value, key]``: query (N, Tq, D),
                value (N, Tv, Dv), key (N, Tv, D).
            training: apply dropout to the weights (when ``dropout`` > 0).
            return_attention_scores: also return the weights (N, Tq, Tv) after the
                softmax (and dropout), as Keras.
            use_causal_mask: query position i attends only to value positions j <= i.
            mask: None or ``[query_mask (N, Tq), value_mask (N, Tv)]`` of bools (either
                may be None): outputs at masked queries are 0; masked values get no weight.

        Returns:
            out (N, Tq, Dv), or ``(out, weights)`` with return_attention_scores.
        """
        arrays = self._inputs(inputs)
        if not self.built:
            self.build([(None,) + a.shape[1:] for a in arrays])
        training = _checks.boolean(training, "training", type(self).__name__)
        q, v = arrays[0], arrays[1]
        k = arrays[2] if len(arrays) == 3 else v
        n, tq, tv = q.shape[0], q.shape[1], v.shape[1]
        q_mask, s_mask = self._mask(mask, n, tq, tv, use_causal_mask)
        s, saved = self._scores(q, k)
        if s_mask is not None:
            s = np.where(s_mask, s, s - _MASK_PENALTY)
        # softmax over the value positions, shifted by the row maximum for safety
        w = s - s.max(axis=-1, keepdims=True)
        np.exp(w, out=w)
        w /= w.sum(axis=-1, keepdims=True)
        keep = None
        if training and self.dropout > 0:
            keep = (self.rng.random(w.shape) >= self.dropout) * np.asarray(
                1.0 / (1.0 - self.dropout), dtype=self.dtype)
            wd = w * keep
        else:
            wd = w
        out = wd @ v                                  # context: sum_j w_ij v_j  (N, Tq, Dv)
        if q_mask is not None:
            out *= q_mask[:, :, None]
        self._cache = (q, v, k, len(arrays), w, wd, keep, saved, q_mask,
                       bool(return_attention_scores))
        if return_attention_scores:
            return out, wd.copy()
        return out

    # ------------------------------------------------------------------ backward
    def backward(self, dy):
        """dy: dL/dout (N, Tq, Dv); after ``return_attention_scores=True`` also the pair
        ``(dout, dweights)`` (either may be None).

        Returns ``[dL/dquery, dL/dvalue]`` (``[..., dL/dkey]`` when a key was given);
        writes the gradients of ``scale`` / ``concat_score_weight``.
        """
        q, v, k, n_inputs, w, wd, keep, saved, q_mask, scores_out = self._need_cache()
        owner = f"{type(self).__name__}.backward"
        out_shape = q.shape[:2] + (v.shape[2],)
        dweights = None
        if isinstance(dy, (list, tuple)):
            if not scores_out or len(dy) != 2:
                raise ValueError(
                    f"{owner} expects dL/dout (N, Tq, Dv) = {_shape(out_shape)}, or the pair "
                    "(dout, dweights) after forward(..., return_attention_scores=True); got a "
                    f"{type(dy).__name__} of length {len(dy)}.")
            dy, dweights = dy
            if dweights is not None:
                dweights = self._check_grad(dweights, w.shape, "the weights' gradient")
        dout = (np.zeros(out_shape, self.dtype) if dy is None
                else self._check_grad(dy, out_shape))
        if q_mask is not None:
            dout = dout * q_mask[:, :, None]          # masked queries output a constant 0
        dwd = dout @ v.transpose(0, 2, 1)             # dL/dw = dout value^T  (N, Tq, Tv)
        if dweights is not None:
            dwd = dwd + dweights
        dv = wd.transpose(0, 2, 1) @ dout             # dL/dvalue = w^T dout  (N, Tv, Dv)
        dw = dwd * keep if keep is not None else dwd  # through the dropout mask
        # softmax backward, row by row: ds = w * (dw - sum_j w dw)
        ds = w * (dw - (w * dw).sum(axis=-1, keepdims=True))
        dq, dk = self._scores_backward(ds, q, k, saved)
        if n_inputs == 3:
            return [dq, dv, dk]
        return [dq, dv + dk]                          # the value served as the key too


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau's score), as ``keras.layers.AdditiveAttention``.

    ``s[n, i, j] = sum_d scale[d] * tanh(query[n, i, d] + key[n, j, d])``; the rest
    (softmax, context, options, ``backward``) as :class:`Attention`.

    Args:
        use_scale: learn the vector ``scale`` (D,) (glorot-uniform, as Keras); without it
            the tanh terms are simply summed.
        dropout, name, dtype, seed: as :class:`Attention`.

    Shapes: query (N, Tq, D), value (N, Tv, Dv), key (N, Tv, D) -> (N, Tq, Dv).

    The sum ``q + k`` is formed for every pair (i, j): (N, Tq, Tv, D) numbers, the
    memory this layer needs (Keras does the same).
    """

    _config_keys = ("use_scale", "dropout")

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, score_mode="dot", dropout=dropout, **kwargs)

    def _build(self, shapes) -> None:
        dim = shapes[0][-1]
        if dim is None:
            raise ValueError("AdditiveAttention needs to know D, the last axis of the query; "
                             f"got {_shape(shapes[0])}.")
        if self.use_scale:
            self.add_weight("scale", initializers.glorot_uniform((int(dim),), self.rng,
                                                                 self.dtype))

    def _scores(self, q, k):
        u = q[:, :, None, :] + k[:, None, :, :]       # q_i + k_j  (N, Tq, Tv, D)
        t = np.tanh(u, out=u)
        if self.use_scale:
            return t @ self.params["scale"], t        # sum_d scale_d tanh(q_d + k_d)
        return t.sum(axis=-1), t

    def _scores_backward(self, ds, q, k, t):
        if self.use_scale:
            d = t.shape[-1]
            # dL/dscale = sum over n, i, j of ds tanh(q + k): one product (N Tq Tv) x D
            self.grads["scale"][...] = ds.reshape(-1) @ t.reshape(-1, d)
            du = ds[..., None] * self.params["scale"]  # dL/dtanh
        else:
            du = np.repeat(ds[..., None], t.shape[-1], axis=-1)
        du *= 1.0 - t * t                              # dL/du = dL/dtanh (1 - tanh^2)
        return du.sum(axis=2), du.sum(axis=1)          # q_i meets every j, k_j every i
