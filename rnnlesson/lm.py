"""Language models: batches for truncated BPTT, perplexity, and sampling text.

A language model reads a stream of token ids and, at every step, predicts the next
one: ``model(x)`` maps ids (N, T) to scores over the vocabulary (N, T, V). These
three functions are what training and using such a model need beyond ``fit``::

    from rnnlesson import lm
    for x, y in lm.lm_batches(ids, batch_size=32, seq_len=100):   # (B, T) each
        model.train_on_batch(x, y)                                # y is x shifted by one
    lm.perplexity(model, valid_ids, batch_size=32, seq_len=100)   # exp(mean cross-entropy)
    lm.generate(model, prompt_ids, 300, temperature=0.8, seed=0)  # 300 new ids

They work whether the model ends in logits (a loss with ``from_logits=True``) or in a
softmax, and whether its recurrent layers are stateful or not: for perplexity and
sampling the state is carried from window to window (from token to token) either
way, and the layers are left as they were found.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np

from . import _checks

__all__ = ["lm_batches", "perplexity", "generate"]


def _ids(ids, owner: str, what: str = "ids") -> np.ndarray:
    """A 1-D integer array from a list or array of token ids."""
    arr = np.asarray(ids)
    if arr.size == 0:
        arr = arr.astype(np.int64)  # [] is an empty stream, not a float array
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{owner} expects {what} as a list or 1-D array of integer token ids; "
                        f"got an array of dtype {arr.dtype}.")
    if arr.ndim != 1:
        raise ValueError(f"{owner} expects {what} as one stream of ids, a 1-D array; got shape "
                         f"{_checks.shape_str(arr.shape)}. Concatenate the texts first.")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{owner} expects token ids >= 0; got {int(arr.min())}.")
    return arr.astype(np.int64, copy=False)


def lm_batches(ids, batch_size, seq_len):
    """Yield ``(x, y)`` windows of a token stream for stateful truncated BPTT.

    The stream is cut into ``batch_size`` parallel streams that start at the offsets
    ``k * ((len(ids) - 1) // batch_size)``, k = 0..B-1. Window j holds tokens
    ``j*T .. j*T+T-1`` of every stream, so row k of one window continues row k of the
    window before it: a stateful model that carries its state from window to window
    reads every stream in order. The partial last window is dropped.

    Args:
        ids: the token ids, a list or 1-D integer array of length L.
        batch_size: B, the number of parallel streams.
        seq_len: T, the window length (the truncation length of BPTT).

    Yields:
        ``x, y``: int64 arrays of shape (B, T); ``y[k, t]`` is the token after ``x[k, t]``.

    Raises:
        ValueError: when the stream is too short for one window, ``(L - 1) // B < T``.
    """
    owner = "lm_batches"
    data = _ids(ids, owner)
    B = _checks.positive_int(batch_size, "batch_size", owner)
    T = _checks.positive_int(seq_len, "seq_len", owner)
    jump = (len(data) - 1) // B
    if jump < T:
        raise ValueError(
            f"{owner}: {len(data)} ids make {B} streams of {max(jump, 0)} steps, shorter than one "
            f"window of seq_len={T}; need at least B * T + 1 = {B * T + 1} ids. Use a smaller "
            "batch_size or seq_len, or more text.")
    starts = np.arange(B) * jump
    for j in range(jump // T):
        idx = starts[:, None] + j * T + np.arange(T)[None, :]   # (B, T) positions
        yield data[idx], data[idx + 1]


def _recurrent_layers(model):
    from .layers import Recurrent

    return [layer for layer in model.layers if isinstance(layer, Recurrent)]


@contextlib.contextmanager
def _carried_state(model):
    """Make every recurrent layer carry its state from call to call, starting from zeros,
    and put back each layer's ``stateful`` flag and carried state afterwards."""
    layers = _recurrent_layers(model)
    saved = [(layer.stateful, None if layer.states is None else [s.copy() for s in layer.states])
             for layer in layers]
    try:
        for layer in layers:
            layer.stateful = True
            layer.states = None
        yield
    finally:
        for layer, (flag, states) in zip(layers, saved, strict=True):
            layer.stateful = flag
            layer.states = states


def _ends_in_softmax(model) -> bool:
    last = model.layers[-1] if model.layers else None
    return getattr(last, "activation", None) == "softmax"


def _log_probs(model, scores: np.ndarray) -> np.ndarray:
    """log p over the last axis, in float64, from the model's logits or probabilities."""
    s = scores.astype(np.float64)
    if _ends_in_softmax(model):
        return np.log(np.clip(s, 1e-300, None))
    s = s - s.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _check_model(model, owner):
    layers = getattr(model, "layers", None)
    if not layers:
        raise TypeError(f"{owner} expects a model with layers (a Sequential) whose output is "
                        f"scores over the vocabulary, (N, T, V); got {type(model).__name__}.")


def perplexity(model, ids, batch_size, seq_len) -> float:
    """Perplexity of ``model`` on a token stream: exp of the mean cross-entropy per token.

    The windows are those of :func:`lm_batches`; the state starts from zeros and is
    carried from each window to the next (as in stateful training), and the model's
    layers are left as they were. A model that predicts uniformly over V tokens has
    perplexity V; one that is always sure and right has perplexity 1.

    Args:
        model: a Sequential mapping ids (B, T) to logits or probabilities (B, T, V).
        ids: the token ids, a list or 1-D integer array.
        batch_size, seq_len: B and T of the windows.

    Returns:
        a float >= 1.
    """
    owner = "perplexity"
    _check_model(model, owner)
    total, count = 0.0, 0
    with _carried_state(model):
        for x, y in lm_batches(ids, batch_size, seq_len):
            logp = _log_probs(model, model.forward(x, training=False))
            if logp.shape[:2] != x.shape or y.max() >= logp.shape[-1]:
                raise ValueError(
                    f"{owner}: the model maps ids {_checks.shape_str(x.shape)} to "
                    f"{_checks.shape_str(logp.shape)}; expected (B, T, V) scores with V larger "
                    f"than every id (the largest is {int(y.max())}).")
            total -= float(np.take_along_axis(logp, y[..., None], axis=-1).sum())
            count += y.size
    return float(np.exp(total / count))


def _sample(scores: np.ndarray, softmax: bool, temperature: float, top_k, rng) -> int:
    """One id from the scores (V,) of the last position: greedy, or sampled at a temperature
    from the top k.

    ``scores`` are logits, or probabilities when ``softmax``. Sampling at temperature tau
    draws from softmax(log p / tau); logits are log p up to a constant, which the shift
    by the maximum removes, so they are used as they are. The draw is numpy's own
    ``Generator.choice(V, p=...)`` (the cumulative sums, normalised, searched for one
    uniform number), written out to skip that function's checks of ``p``.
    """
    z = scores.astype(np.float64)
    if softmax:
        z = np.log(np.clip(z, 1e-300, None))
    if temperature == 0 or top_k == 1:
        return int(np.argmax(z))
    z /= temperature
    if top_k is not None and top_k < z.size:
        cut = np.partition(z, -top_k)[-top_k]
        z[z < cut] = -np.inf
    cdf = np.cumsum(np.exp(z - z.max()))
    cdf /= cdf[-1]
    return int(cdf.searchsorted(rng.random(), side="right"))


class _Stepper:
    """A model's next-token scores, one token at a time, for a plain stack of layers.

    ``Sequential.forward`` on a (1, 1) batch checks its input at every layer, makes the
    recurrent layer's (T, ..., N) work arrays and packs its weights for a fused time
    loop, all for one step. Here each layer is one small function made once: an
    embedding row, the recurrent step of :mod:`rnnlesson.kernels` (the reference the
    layers are tested against) with the state kept here, a matrix product. Dropout is
    the identity at inference. :meth:`for_model` returns None for a model with any other
    layer (or an Embedding that masks), which ``generate`` then runs through
    ``model.forward`` token by token.
    """

    def __init__(self, steps):
        self.steps = steps

    @classmethod
    def for_model(cls, model):
        from . import kernels
        from .layers import GRU, LSTM, Dense, Dropout, Embedding, SimpleRNN, TiedDense

        layers = model.layers
        if type(layers[0]) is not Embedding or getattr(layers[0], "mask_zero", False):
            return None
        table = layers[0].params["embeddings"]
        steps = [lambda token, table=table: table[token:token + 1]]   # (1, E)
        for layer in layers[1:]:
            kind = type(layer)
            p = layer.params
            if kind is Dropout:
                continue
            if kind in (Dense, TiedDense):
                kernel = p["kernel"] if kind is Dense else layer.embedding.params["embeddings"].T
                bias = p.get("bias")
                steps.append(lambda x, k=kernel, b=bias, act=layer._act:
                             act(x @ k if b is None else x @ k + b))
                continue
            if kind not in (LSTM, GRU, SimpleRNN) or layer.states is None:
                return None
            state = [s.copy() for s in layer.states]   # (1, H) each, carried from here on
            w = (p["kernel"], p["recurrent_kernel"], p["bias"])
            if kind is LSTM:
                def step(x, st=state, w=w):
                    st[0], st[1], _ = kernels.lstm_step_forward(x, st[0], st[1], *w)
                    return st[0]
            elif kind is GRU:
                def step(x, st=state, w=w, ra=layer.reset_after):
                    st[0], _ = kernels.gru_step_forward(x, st[0], *w, reset_after=ra)
                    return st[0]
            else:
                def step(x, st=state, w=w, act=layer.activation):
                    st[0], _ = kernels.rnn_step_forward(x, st[0], *w, activation=act)
                    return st[0]
            steps.append(step)
        return cls(steps)

    def __call__(self, token: int) -> np.ndarray:
        """The scores (V,) after reading ``token``."""
        x = token
        for step in self.steps:
            x = step(x)
        return x[0]


def generate(model, prompt_ids, length, temperature=1.0, top_k=None, seed=None) -> list[int]:
    """Sample ``length`` new token ids from a language model, one at a time.

    The model first reads the prompt (priming its state), then each step feeds the
    token just chosen and carries the state on, so each new token costs one step of
    the network, not a pass over everything before it. The layers' state and
    ``stateful`` flags are put back afterwards, so sampling in the middle of training
    changes nothing.

    Args:
        model: a Sequential mapping ids (1, T) to logits or probabilities (1, T, V).
        prompt_ids: at least one id, a list or 1-D integer array.
        length: how many new ids to return (>= 0).
        temperature: > 0 divides the log-probabilities before sampling (below 1: bolder
            choices of the likely tokens; above 1: more random); 0 means greedy (argmax).
        top_k: None, or sample only among the k most probable tokens (``top_k=1`` is
            greedy).
        seed: seeds the sampling, so the same call gives the same text.

    Returns:
        a list of ``length`` ints: the new ids, without the prompt.
    """
    owner = "generate"
    _check_model(model, owner)
    prompt = _ids(prompt_ids, owner, "prompt_ids")
    if prompt.size == 0:
        raise ValueError(f"{owner} needs a prompt of at least one token id to start from; "
                         "got an empty one.")
    length = _checks.nonneg_int(length, "length", owner)
    temperature = _checks.real_number(temperature, "temperature", owner, low=0.0)
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k < 1:
            raise ValueError(f"{owner} expects top_k to be None or an integer >= 1; got {top_k!r}.")
        top_k = int(top_k)
    rng = np.random.default_rng(_checks.seed(seed, owner))
    vocab = getattr(model.layers[0], "input_dim", None)  # an Embedding knows its vocabulary
    if vocab is not None and prompt.max() >= vocab:
        raise ValueError(f"{owner}: prompt id {int(prompt.max())} is outside the model's "
                         f"vocabulary of {vocab} ids (0..{vocab - 1}).")
    out: list[int] = []
    softmax = _ends_in_softmax(model)
    with _carried_state(model):
        scores = model.forward(prompt[None, :], training=False)
        if scores.ndim != 3 or scores.shape[:2] != (1, prompt.size):
            raise ValueError(f"{owner}: the model maps a prompt of shape (1, {prompt.size}) to "
                             f"{_checks.shape_str(scores.shape)}; expected (1, T, V) scores "
                             "(a language model with return_sequences=True).")
        last = scores[0, -1]
        stepper = _Stepper.for_model(model)  # after the prompt: it starts from its state
        for k in range(length):
            token = _sample(last, softmax, temperature, top_k, rng)
            out.append(token)
            if k + 1 < length:  # the scores after the last token are not needed
                last = stepper(token) if stepper is not None else \
                    model.forward(np.array([[token]]), training=False)[0, -1]
    return out
