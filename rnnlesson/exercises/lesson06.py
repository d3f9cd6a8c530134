"""Checkers for lesson 06, language models.

Four exercises, each a function the learner writes in the notebook:

* ``perplexity_from_losses(losses, counts)``: the warm-up. Per-window mean
  cross-entropies (nats) and the number of tokens in each window, (K,) each, give the
  perplexity of the whole text and its bits per token: the windows are weighted by
  their tokens, not averaged as they come.
* ``masked_softmax_loss(logits, y, mask)``: a derivation. The temporal softmax
  cross-entropy of scores (N, T, V) and targets (N, T) with a 0/1 mask (N, T) that
  leaves some steps out: the loss is the mean over the steps that count, and the
  gradient is mask * (softmax - one-hot) / (number of steps that count).
* ``sample_next(logits, temperature, top_k, rng)``: a design. One token id drawn from
  softmax(logits / temperature), restricted to the top_k most likely (None: all),
  greedy at temperature 0. The checker draws thousands of tokens with a seeded
  generator and compares their frequencies with the distribution.
* ``lm_positions(L, batch_size, seq_len)``: a design. The positions (W, B, T) in a
  stream of L tokens that the windows of :func:`rnnlesson.lm.lm_batches` read, so that
  row k of window j + 1 continues row k of window j.

Each checker names a typical mistake when the answer matches one, prints a verdict
with a hint and returns a :class:`~rnnlesson.exercises.harness.CheckResult`;
``strict=True`` raises ``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import math

import numpy as np

from .harness import ROUNDINGS, Wrong, as_answer, as_count, call, close, diagnose, run_check

__all__ = ["check_perplexity_from_losses", "check_masked_softmax_loss", "check_sample_next",
           "check_lm_positions"]


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------- exercise 1: perplexity
def _ref_perplexity(losses, counts):
    """(perplexity, bits per token) of a text scored window by window: losses (K,) are the
    windows' mean cross-entropies in nats, counts (K,) their numbers of tokens."""
    mean = float(np.sum(losses * counts) / np.sum(counts))
    return math.exp(mean), mean / math.log(2)


def _as_float(out, what):
    try:
        value = float(out)
    except (TypeError, ValueError):
        raise Wrong(f"{what} is {out!r}, not a number.", "Return plain floats.") from None
    if not math.isfinite(value):
        raise Wrong(f"{what} is {value}.", "Look for an overflow or a division by zero.")
    return value


def _perplexity_body(perplexity_from_losses):
    cases = [(np.array([1.9, 1.7, 2.3]), np.array([3200, 3200, 800])),
             (np.array([4.17, 2.5]), np.array([100, 900])),
             (np.array([1.2]), np.array([50])),
             (np.array([2.0, 1.5, 1.0, 0.8]), np.array([10, 20, 30, 40]))]
    for losses, counts in cases:
        what = f"perplexity_from_losses({losses.tolist()}, {counts.tolist()})"
        out = call(perplexity_from_losses, losses, counts)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Wrong(f"{what} should return a pair (perplexity, bits per token); it "
                        f"returned {type(out).__name__}.", "End with `return ppl, bits`.")
        ppl = _as_float(out[0], f"the perplexity from {what}")
        bits = _as_float(out[1], f"the bits per token from {what}")
        want_ppl, want_bits = _ref_perplexity(losses, counts)
        terms = len(losses) + ROUNDINGS
        plain = float(np.mean(losses))
        if not close(ppl, want_ppl, terms=terms):
            for label, value, hint in [
                ("the mean of the windows' perplexities",
                 float(np.mean(np.exp(losses))),
                 "Average the cross-entropies first (weighted by tokens), then take exp once: "
                 "perplexity is exp of the mean loss, not the mean of exps (exp is convex, "
                 "so that mean is too large)."),
                ("exp of the plain mean of the losses: the windows are not weighted by "
                 "their tokens", math.exp(plain),
                 "A window of 800 tokens counts for less than one of 3200: weight each loss "
                 "by its count, sum(losses * counts) / sum(counts)."),
                ("2 ** (mean loss): the losses are in nats", 2.0 ** (math.log(want_ppl)),
                 "The cross-entropy here uses the natural log, so perplexity is e ** loss; "
                 "2 ** x belongs to losses in bits."),
                ("the mean loss itself, without the exp", math.log(want_ppl),
                 "Perplexity is exp(mean cross-entropy): a uniform guess among V tokens has "
                 "loss ln V and perplexity V."),
            ]:
                if close(ppl, value, terms=terms) and not close(value, want_ppl, terms=terms):
                    raise Wrong(f"{what}: perplexity {ppl:.6g}, expected {want_ppl:.6g}: "
                                f"{label}.", hint)
            raise Wrong(f"{what}: perplexity {ppl:.6g}, expected {want_ppl:.6g}.",
                        "Mean cross-entropy per token over the whole text (weighted by the "
                        "counts), then exp.")
        if not close(bits, want_bits, terms=terms):
            for label, value, hint in [
                ("the loss times ln 2", want_bits * math.log(2) ** 2,
                 "bits = nats / ln 2 (log2 x = ln x / ln 2), so divide by ln 2."),
                ("log10 where log2 belongs", math.log10(want_ppl),
                 "Bits are log base 2 of the perplexity."),
                ("the mean loss in nats, not bits", want_bits * math.log(2),
                 "One nat is 1 / ln 2 = 1.44 bits: divide the mean loss by ln 2."),
                ("the bits of the unweighted mean", plain / math.log(2),
                 "Use the same weighted mean for the bits as for the perplexity."),
            ]:
                if close(bits, value, terms=terms) and not close(value, want_bits, terms=terms):
                    raise Wrong(f"{what}: bits per token {bits:.6g}, expected "
                                f"{want_bits:.6g}: {label}.", hint)
            raise Wrong(f"{what}: bits per token {bits:.6g}, expected {want_bits:.6g}.",
                        "bits per token = log2(perplexity) = mean loss / ln 2.")
    return "exp of the token-weighted mean loss, and the same mean in bits (divided by ln 2)."


def check_perplexity_from_losses(perplexity_from_losses, *, strict=False):
    """Check ``perplexity_from_losses(losses, counts) -> (perplexity, bits_per_token)``.

    ``losses`` (K,) are mean cross-entropies per token in nats, one per window;
    ``counts`` (K,) the windows' numbers of tokens. Both answers are floats.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("perplexity_from_losses", _perplexity_body, perplexity_from_losses,
                     strict=strict)


# ---------------------------------------------------------------- exercise 2: masked loss
def _ref_masked(logits, y, mask):
    """loss = sum(mask * CE) / sum(mask); dlogits = mask * (softmax - onehot) / sum(mask).

    logits (N, T, V), y (N, T) ints, mask (N, T) of 0/1 -> (float, (N, T, V))."""
    p = _softmax(logits)
    N, T, V = logits.shape
    onehot = np.eye(V)[y]
    ce = -np.log(np.take_along_axis(p, y[..., None], axis=-1)[..., 0])
    count = mask.sum()
    return float((mask * ce).sum() / count), mask[..., None] * (p - onehot) / count


def _masked_cases():
    rng = np.random.default_rng(6)
    cases = []
    for N, T, V in [(3, 5, 7), (2, 4, 4), (4, 3, 6)]:
        logits = rng.normal(0.0, 2.0, size=(N, T, V))
        y = rng.integers(0, V, size=(N, T))
        lengths = rng.integers(1, T + 1, size=N)
        lengths[0] = T                              # one full row, the others padded
        lengths[1] = max(1, T - 2)
        mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.float64)
        cases.append((logits, y, mask))
    return cases


def _masked_body(masked_softmax_loss):
    for logits, y, mask in _masked_cases():
        N, T, V = logits.shape
        what = f"masked_softmax_loss on logits {logits.shape} with {int(mask.sum())} real steps"
        want_loss, want_grad = _ref_masked(logits, y, mask)
        out = call(masked_softmax_loss, logits, y, mask)
        loss, grad = as_answer(out, (np.float64(want_loss), want_grad), what,
                               names=("loss", "dlogits"),
                               hint="loss is one number; dlogits has the shape of logits, "
                                    "(N, T, V).")
        p = _softmax(logits)
        onehot = np.eye(V)[y]
        count, m = mask.sum(), mask[..., None]
        ce = -np.log(np.take_along_axis(p, y[..., None], axis=-1)[..., 0])
        diagnose(loss, np.float64(want_loss), [
            ("the mean over all N*T steps, padding included", np.float64(ce.mean()),
             "Leave the masked steps out of the sum AND out of the count: divide by "
             "mask.sum(), the number of real steps."),
            ("the masked steps are left out of the sum but still counted (divided by N*T)",
             np.float64((mask * ce).sum() / (N * T)),
             "Divide by the number of steps that count, mask.sum(), not by N*T."),
            ("the masked sum is divided by N: a sum over time, a mean over the batch",
             np.float64((mask * ce).sum() / N),
             "The loss is the mean over every real step, so divide by mask.sum()."),
            ("the sign: the loss is -log p", np.float64(-want_loss),
             "Cross-entropy is minus the log-probability of the target."),
        ], what=f"the loss from {what}", terms=N * T + V + ROUNDINGS,
            scale=float(np.abs(logits).max()),
            hint="loss = sum over steps of mask * (-log softmax(logits)[target]) / mask.sum().")
        diagnose(grad, want_grad, [
            ("softmax minus one-hot at every step: the mask is missing from the gradient",
             (p - onehot) / count,
             "A padded step adds nothing to the loss, so its logits get a zero gradient: "
             "multiply by mask[..., None]."),
            ("the gradient is divided by N*T, not by the number of real steps",
             m * (p - onehot) / (N * T),
             "The loss divides by mask.sum(); its gradient must divide by the same count."),
            ("the gradient of the unmasked mean", (p - onehot) / (N * T),
             "Multiply by the mask and divide by mask.sum()."),
            ("the one-hot of the target is not subtracted", m * p / count,
             "d(-log p_y)/dz = softmax(z) - onehot(y): the target's own logit gets p_y - 1."),
            ("the sign is flipped: one-hot minus softmax", -want_grad,
             "Increasing the target's logit lowers the loss, so its gradient p_y - 1 is "
             "negative."),
            ("the softmax is taken over time (axis 1), not over the vocabulary",
             m * (_softmax(logits, axis=1) - onehot) / count,
             "Each step's distribution is over the V tokens: softmax along the last axis."),
        ], what=f"dlogits from {what}", terms=V + ROUNDINGS,
            hint="dlogits = mask[..., None] * (softmax(logits) - onehot(y)) / mask.sum().")
    return ("the mean over the real steps, and mask * (softmax - one-hot) / mask.sum(), on "
            "three padded batches.")


def check_masked_softmax_loss(masked_softmax_loss, *, strict=False):
    """Check ``masked_softmax_loss(logits, y, mask) -> (loss, dlogits)``.

    ``logits`` (N, T, V) scores, ``y`` (N, T) target ids, ``mask`` (N, T) of 1.0 where a
    step counts and 0.0 where it is padding. ``loss`` is the mean cross-entropy over the
    steps that count (a float); ``dlogits`` (N, T, V) its gradient.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("masked_softmax_loss", _masked_body, masked_softmax_loss, strict=strict)


# ---------------------------------------------------------------- exercise 3: sampling
#: draws per distribution; the frequencies are then within about 0.01 of the probabilities
DRAWS = 4000
#: total variation allowed between the frequencies and the distribution they should follow
#: (its spread with DRAWS draws over 6 tokens is about 0.012; every typical mistake is
#: farther than 0.1 on some case)
TV_BOUND = 0.05


def _sample_distribution(logits, temperature, top_k, least=False):
    """The distribution (V,) that sample_next should draw from (``least``: the mistake
    that keeps the k least likely tokens)."""
    z = logits / temperature
    if top_k is not None:
        keep = np.argsort(z if least else -z, kind="stable")[:top_k]
        masked = np.full_like(z, -np.inf)
        masked[keep] = z[keep]
        z = masked
    return _softmax(z)


def _token(sample_next, logits, temperature, top_k, rng, what, **hint):
    """One token id from the learner's sampler, checked to be in 0..V-1."""
    token, _ = as_count(call(sample_next, logits, temperature, top_k, rng, **hint), what)
    if not 0 <= token < len(logits):
        raise Wrong(f"{what} returned {token}, not a token id in 0..{len(logits) - 1}.",
                    "Return the index of the chosen token, e.g. rng.choice(V, p=p).")
    return token


def _draws(sample_next, logits, temperature, top_k, seed):
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(logits))
    what = f"sample_next(logits, temperature={temperature}, top_k={top_k}, rng)"
    for _ in range(DRAWS):
        counts[_token(sample_next, logits, temperature, top_k, rng, what)] += 1
    return counts / DRAWS, what


def _tv(a, b):
    return 0.5 * float(np.abs(a - b).sum())


def _sample_body(sample_next):
    logits = np.array([1.6, 1.2, 1.0, 0.7, -0.2, -1.5])
    V = len(logits)
    # temperature 0 and top_k = 1: greedy, the same token every time
    for temperature, top_k in [(0.0, None), (1.0, 1)]:
        rng = np.random.default_rng(1)
        what = f"sample_next(logits, temperature={temperature}, top_k={top_k}, rng)"
        with np.errstate(all="ignore"):
            tokens = {_token(sample_next, logits, temperature, top_k, rng, what,
                             hint="Temperature 0 means greedy: return argmax(logits) before "
                                  "dividing by the temperature.")
                      for _ in range(20)}
        if tokens != {int(np.argmax(logits))}:
            raise Wrong(f"{what} returned {sorted(tokens)}; expected always "
                        f"{int(np.argmax(logits))}, the most likely token.",
                        "Temperature 0 (and top_k = 1) is greedy: always the argmax, no "
                        "random draw.")
    for k, (temperature, top_k) in enumerate([(1.0, None), (0.5, None), (2.0, None),
                                              (1.0, 3), (0.5, 2)]):
        freq, what = _draws(sample_next, logits, temperature, top_k, seed=10 + k)
        want = _sample_distribution(logits, temperature, top_k)
        if _tv(freq, want) <= TV_BOUND:
            continue
        greedy = np.eye(V)[np.argmax(logits)]
        for label, dist, hint in [
            ("always the most likely token", greedy,
             "Only temperature 0 is greedy: otherwise draw at random, e.g. rng.choice(V, p=p)."),
            ("the logits are multiplied by the temperature",
             _sample_distribution(logits, 1 / temperature, top_k),
             "Divide the logits by the temperature: a small temperature sharpens the "
             "distribution, a large one flattens it."),
            ("the temperature is ignored", _sample_distribution(logits, 1.0, top_k),
             "Divide the logits (not the probabilities: those get renormalised back) by the "
             "temperature before the softmax."),
            ("top_k is ignored", _sample_distribution(logits, temperature, None),
             "Keep only the top_k largest logits (set the others to -inf) before the softmax."),
            ("the k LEAST likely tokens are kept",
             _sample_distribution(logits, temperature, top_k, least=True) if top_k else None,
             "np.argsort sorts ascending: the top k are the last k indices, or argsort(-z)."),
            ("top_k keeps one token too many",
             _sample_distribution(logits, temperature, top_k + 1) if top_k else None,
             "Keep exactly top_k tokens: check the cut-off of your sort or partition."),
            ("a uniform draw", np.full(V, 1 / V),
             "Draw with the probabilities: rng.choice(V, p=p)."),
        ]:
            if dist is not None and _tv(freq, dist) <= TV_BOUND and _tv(dist, want) > TV_BOUND:
                raise Wrong(f"{what}: the frequencies of {DRAWS} draws look like a typical "
                            f"mistake: {label}.", hint)
        raise Wrong(f"{what}: the frequencies of {DRAWS} draws, {np.round(freq, 3).tolist()}, "
                    f"are not softmax(logits / temperature) = {np.round(want, 3).tolist()}.",
                    "p = softmax(logits / temperature), zero outside the top_k; then draw "
                    "one index with the rng passed in.")
    return (f"greedy at temperature 0 and top_k 1; otherwise the frequencies of {DRAWS} draws "
            "follow softmax(logits / temperature) on the top k, at five settings.")


def check_sample_next(sample_next, *, strict=False):
    """Check ``sample_next(logits, temperature, top_k, rng) -> int``.

    ``logits`` (V,) scores of the next token; ``temperature`` >= 0 (0 means greedy);
    ``top_k`` None or the number of most likely tokens to keep; ``rng`` a numpy Generator
    to draw with. Returns one token id. The checker draws thousands of tokens with
    seeded generators and compares their frequencies with the right distribution.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("sample_next", _sample_body, sample_next, strict=strict)


# ---------------------------------------------------------------- exercise 4: offsets
def _ref_positions(L, B, T):
    """(W, B, T) positions of x in the windows of lm_batches over a stream of L tokens."""
    jump = (L - 1) // B
    starts = np.arange(B) * jump
    return np.stack([starts[:, None] + j * T + np.arange(T)[None, :]
                     for j in range(jump // T)])


def _positions_body(lm_positions):
    # 3 * 4 * 5 + 1 tokens: every token but the last is read; 60 tokens (L % B = 0) make the
    # (L - 1) // B of the targets differ from L // B; 47: a partial last window to drop
    for L, B, T in [(61, 3, 4), (60, 4, 5), (47, 3, 4), (101, 2, 7)]:
        what = f"lm_positions(L={L}, batch_size={B}, seq_len={T})"
        want = _ref_positions(L, B, T)
        W = want.shape[0]
        out = call(lm_positions, L, B, T)
        try:
            got = np.asarray(out)
        except (TypeError, ValueError):
            got = np.asarray(None)
        if got.dtype.kind not in "iuf" or (got.dtype.kind == "f" and not np.all(
                np.isfinite(got) & (got == np.round(got)))):
            raise Wrong(f"{what} returned {type(out).__name__}, not an array of positions.",
                        "Return an int array of shape (number of windows, B, T).")
        jump_full = L // B
        if got.ndim == 3 and got.shape[1:] == (B, T) and got.shape[0] != W:
            raise Wrong(f"{what} has {got.shape[0]} windows; expected {W}.",
                        "A window needs T tokens of every stream and the target after each: "
                        "there are (jump // T) full windows, jump = (L - 1) // B; drop the "
                        "partial last one.")
        if got.shape != want.shape:
            raise Wrong(f"{what} has shape {got.shape}; expected (windows, B, T) = "
                        f"{want.shape}.",
                        "One (B, T) block per window, stacked: shape (jump // T, B, T).")
        got = got.astype(np.int64)
        if np.array_equal(got, want):
            continue
        reshape = np.arange(W * B * T).reshape(W, B, T)
        full = np.stack([np.arange(B)[:, None] * jump_full + j * T + np.arange(T)[None, :]
                         for j in range(W)])
        for label, value, hint in [
            ("the stream is cut into consecutive windows, one row after another",
             reshape,
             "Then row k of window j + 1 does not continue row k of window j, and a "
             "stateful model carries its state into unrelated text. Start stream k at "
             "k * jump and walk each stream T tokens per window."),
            ("the streams start every L // B tokens: the targets need one more token",
             full,
             "y reads one position further than x, so only L - 1 tokens can be inputs: "
             "jump = (L - 1) // B."),
            ("these are the targets' positions (x's plus one)", want + 1,
             "Return the positions x reads; y reads the same plus one."),
            ("the windows step by one token, not by T", np.stack(
                [np.arange(B)[:, None] * ((L - 1) // B) + j + np.arange(T)[None, :]
                 for j in range(W)]),
             "Window j reads tokens j*T .. j*T + T - 1 of each stream: consecutive windows "
             "must not overlap, or the state would read text twice."),
        ]:
            if value.shape == got.shape and np.array_equal(got, value):
                raise Wrong(f"{what}: {label}.", hint)
        bad = np.argwhere(got != want)[0]
        raise Wrong(f"{what}: window {bad[0]}, row {bad[1]}, step {bad[2]} reads position "
                    f"{got[tuple(bad)]}; expected {want[tuple(bad)]}.",
                    "Stream k starts at k * jump, jump = (L - 1) // B; window j reads its "
                    "tokens j*T .. j*T + T - 1.")
    return "the offsets k * ((L - 1) // B), windows of T tokens in order, the partial one dropped."


def check_lm_positions(lm_positions, *, strict=False):
    """Check ``lm_positions(L, batch_size, seq_len) -> positions`` (W, B, T).

    For a stream of L tokens, ``positions[j, k, t]`` is the index of the token that
    window j of :func:`rnnlesson.lm.lm_batches` reads at row k, step t (its target is the
    next index). W is the number of full windows.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("lm_positions", _positions_body, lm_positions, strict=strict)
