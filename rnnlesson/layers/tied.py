"""``TiedDense``: an output layer that reuses an ``Embedding``'s matrix (weight tying).

A language model reads token ids through an ``Embedding`` (V, E) and ends in a
layer that scores every token of the vocabulary, usually a ``Dense(V)`` with its
own (E, V) kernel. Weight tying (Press & Wolf 2017; Inan et al. 2017; DLFS2's
``BetterRnnlm``) uses the embedding matrix for both: the score of token v is the
dot product of the hidden vector with v's embedding. The model has V·E fewer
weights, and each row of the matrix learns from both places it is used::

    emb = Embedding(V, E)
    model = Sequential([emb, LSTM(E, return_sequences=True), TiedDense(emb)])

Forward, with W the embedding matrix (V, E) and b the bias (V,)::

    y = x @ W.T + b                 x (N, T, E) -> y (N, T, V)

Backward, for dL/dy = dy (N, T, V), rows flattened over N·T::

    dL/dx = dy @ W                  (N, T, E)
    dL/db = sum of dy over N, T     (V,)
    dL/dW = dy^T @ x                (V, E): this use's share of the matrix's gradient

The matrix belongs to the embedding: ``TiedDense.params`` holds the bias alone, so
``model.params`` lists the matrix once (under the embedding) and the optimizer
updates it once. This layer's share of its gradient, ``shared_grad``, is added to
``embedding.grads['embeddings']`` by ``Sequential.backward`` after every layer's
backward has run (the embedding's own backward, which runs last, overwrites its
gradient; the tied share is added after it). A model that calls the layers by hand
adds it itself: ``emb.grads['embeddings'] += tied.shared_grad``.

Saving keeps the tie: the configuration names the embedding layer, and loading
links the new ``TiedDense`` to the new model's layer of that name.
"""

from __future__ import annotations

import numpy as np

from .. import _checks, activations, initializers
from .base import Layer
from .core import Embedding

__all__ = ["TiedDense"]


class TiedDense(Layer):
    """Scores over the vocabulary with the (transposed) matrix of an ``Embedding``.

    Args:
        embedding: the :class:`~rnnlesson.layers.Embedding` (V, E) whose matrix is the
            kernel, transposed. It must come earlier in the same ``Sequential``.
        use_bias: add a bias (V,) of its own (default True).
        activation: ``None`` (logits, for a loss with ``from_logits=True``) or
            ``'softmax'`` (probabilities), or any other :class:`Dense` activation.
        name, seed, input_shape, trainable: as :class:`Layer`. ``trainable`` concerns
            the bias only; the matrix trains (or not) with its embedding.
        dtype: None takes the embedding's; another dtype than the embedding's is an error.

    Shapes:
        x: (N, T, E) (or (N, E)), E = the embedding's ``output_dim``;
        y: (N, T, V) (or (N, V)), V = its ``input_dim``.

    Weights: ``bias`` (V,), zeros (none with ``use_bias=False``). ``shared_grad``
    (V, E) holds dL/d(embedding matrix) through this layer, written by ``backward``.
    """

    _config_keys = ("use_bias", "activation")
    uses_randomness = False  # the bias starts at zero; the matrix is the embedding's

    def __init__(self, embedding, *, use_bias=True, activation=None, dtype=None, **kwargs):
        if not isinstance(embedding, Embedding):
            raise TypeError(
                "TiedDense expects the Embedding layer whose matrix it shares, e.g. "
                "emb = Embedding(V, E); TiedDense(emb); got "
                f"{type(embedding).__name__}.")
        self._init(embedding.name, use_bias, activation,
                   embedding.dtype if dtype is None else dtype, kwargs)
        if self.dtype != embedding.dtype:
            raise ValueError(
                f"TiedDense shares the matrix of Embedding '{embedding.name}', which is "
                f"{embedding.dtype.name}; got dtype={self.dtype.name}. Leave dtype=None to "
                "take the embedding's.")
        self.embedding = embedding

    def _init(self, embedding_name, use_bias, activation, dtype, kwargs) -> None:
        super().__init__(dtype=dtype, **kwargs)
        self.use_bias = _checks.boolean(use_bias, "use_bias", "TiedDense")
        self.activation = activations.canonical(activation, "TiedDense")
        self._act, self._act_backward = activations.get(self.activation)
        self.embedding = None
        self.embedding_name = embedding_name
        self.shared_grad = None

    # ------------------------------------------------------------------ the tie
    @property
    def layer_references(self) -> tuple:
        """The layers this one uses besides itself: ``(embedding,)``; a model checks that
        they are in it, before this layer."""
        return (self.embedding,) if self.embedding is not None else ()

    def link_layers(self, earlier: dict) -> None:
        """Tie to the embedding named in the configuration, among ``earlier`` (name ->
        layer: the layers before this one), as ``load_model`` does."""
        if self.embedding is not None:
            return
        emb = earlier.get(self.embedding_name)
        if not isinstance(emb, Embedding):
            raise ValueError(
                f"TiedDense '{self.name}' is tied to the Embedding '{self.embedding_name}', "
                "which is not among the layers before it"
                + ("" if emb is None else f" (that name is a {type(emb).__name__})") + ".")
        if emb.dtype != self.dtype:
            raise ValueError(f"TiedDense '{self.name}' is {self.dtype.name} but its Embedding "
                             f"'{emb.name}' is {emb.dtype.name}.")
        self.embedding = emb

    def shared_grads(self):
        """``[(embedding, 'embeddings', shared_grad)]``: the gradient this layer adds to a
        weight of another layer (``Sequential.backward`` adds it in after every backward);
        empty before the first backward."""
        if self.shared_grad is None or self.embedding is None:
            return []
        return [(self.embedding, "embeddings", self.shared_grad)]

    def _matrix(self) -> np.ndarray:
        if self.embedding is None:
            raise RuntimeError(
                f"TiedDense '{self.name}' is not linked to its Embedding "
                f"'{self.embedding_name}' yet; put both in one Sequential (load_model links "
                "them).")
        if not self.embedding.built:  # its weights do not depend on the input's shape
            self.embedding.build((None, None))
        return self.embedding.params["embeddings"]

    # ------------------------------------------------------------------ shapes
    def _check_shape(self, input_shape) -> None:
        if len(input_shape) < 2:
            raise ValueError(f"TiedDense expects input of shape (N, T, E) or (N, E); got "
                             f"{_checks.shape_str(tuple(input_shape))}.")
        e = self.embedding.output_dim if self.embedding is not None else None
        if e is not None and input_shape[-1] != e:
            raise ValueError(
                f"TiedDense '{self.name}' uses the (V, E) = ({self.embedding.input_dim}, {e}) "
                f"matrix of Embedding '{self.embedding.name}', so its input needs E = {e} "
                f"features on the last axis; got {_checks.shape_str(tuple(input_shape))}. "
                f"Make the layer before it output {e} features (e.g. LSTM({e}) or Dense({e})).")

    def _build(self, input_shape) -> None:
        self._matrix()
        self._check_shape(input_shape)
        if self.use_bias:
            self.add_weight("bias", initializers.zeros((self.embedding.input_dim,),
                                                       dtype=self.dtype))

    def compute_output_shape(self, input_shape):
        """``input_shape[:-1] + (V,)``, e.g. (None, 35, 100) -> (None, 35, 10000)."""
        input_shape = tuple(input_shape)
        self._check_shape(input_shape)
        return input_shape[:-1] + (self.embedding.input_dim,)

    # ------------------------------------------------------------------ computing
    def forward(self, x, training=False):
        """x: (N, ..., E) -> y: (N, ..., V) = x @ W.T + b. ``training`` is unused."""
        W = self._matrix()
        x = _checks.as_float_array(x, self.dtype, "TiedDense")
        self._check_shape(x.shape)
        _checks.check_nonempty(x, "TiedDense", "(N, T, E)")
        self._ensure_built(x.shape)
        v, e = W.shape
        x2 = x.reshape(-1, e)            # one (N*T, E) @ (E, V) product, not N batched ones
        z = x2 @ W.T                     # W.T is a view: BLAS reads it transposed
        if self.use_bias:
            z += self.params["bias"]     # z is a fresh array
        y = self._act(z).reshape(x.shape[:-1] + (v,))
        self._cache = (x2, y)
        return y if self.activation == "linear" else y.copy()

    def backward(self, dy):
        """dy: dL/dy (N, ..., V) -> dL/dx (N, ..., E). Writes ``grads['bias']`` and
        ``shared_grad`` (V, E), this use's share of dL/d(embedding matrix)."""
        x2, y = self._need_cache()
        dy = self._check_grad(dy, y.shape)
        W = self._matrix()
        v, e = W.shape
        dz2 = self._act_backward(dy, y).reshape(-1, v)  # dL/dz, rows over N (and T)
        if self.shared_grad is None or self.shared_grad.shape != W.shape:
            self.shared_grad = np.empty_like(W)
        np.matmul(dz2.T, x2, out=self.shared_grad)      # dL/dW = dz^T x      (V, E)
        if self.use_bias:
            self.grads["bias"][...] = dz2.sum(axis=0)   # dL/db = sum of dz over N (and T)
        return (dz2 @ W).reshape(y.shape[:-1] + (e,))  # dL/dx = dz W

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments, with the embedding given by its layer name."""
        cfg = super().get_config()
        cfg["embedding"] = self.embedding.name if self.embedding is not None \
            else self.embedding_name
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        """A TiedDense not yet linked to its embedding (``config['embedding']`` is a layer
        name); :meth:`link_layers` ties it, as ``load_model`` does."""
        cfg = dict(config)
        name = cfg.pop("embedding")
        if not isinstance(name, str):
            raise TypeError(f"TiedDense.from_config expects 'embedding' to be the name of an "
                            f"Embedding layer; got {name!r}.")
        layer = cls.__new__(cls)
        layer._init(name, cfg.pop("use_bias", True), cfg.pop("activation", None),
                    cfg.pop("dtype", "float32"), cfg)
        return layer

    def __repr__(self) -> str:
        return (f"<TiedDense '{self.name}': tied to '{self.embedding_name}', "
                f"use_bias={self.use_bias!r}, activation={self.activation!r}>")
