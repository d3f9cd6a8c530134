"""Checkers for lesson 07, sequence tasks.

Four exercises, each a function the learner writes in the notebook:

* ``rows_as_sequence(flat, height, width)``: flat images (N, height * width), stored row
  after row, as sequences of rows (N, T = height, D = width) for a recurrent layer.
* ``bidirectional_outputs(x, run_forward, run_backward)``: the bidirectional layer by
  hand: run one direction on x, the other on x reversed in time, put the second back in
  time order and concatenate, (N, T, H_f + H_b).
* ``masked_rnn_step(x_t, h_prev, keep, kernel, recurrent_kernel, bias)``: one SimpleRNN step
  that skips the sequences whose step is padding (keep (N,) False): they keep h_prev.
* ``masked_mean_crossentropy(probs, targets, mask)``: the loss of a tagger on padded
  batches, the mean of -log p(target) over the kept steps only (Keras's reduction).

Each checker runs the learner's function on seeded cases, compares it with a float64
reference (the package's kernels and Keras's rules), and when the answer matches a typical
mistake, names it (see :mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, Wrong, as_answer, call, diagnose, run_check

__all__ = ["check_rows_as_sequence", "check_bidirectional_outputs", "check_masked_rnn_step",
           "check_masked_mean_crossentropy"]


# ---------------------------------------------------------------- exercise 1: rows as steps
def _rows_body(rows_as_sequence):
    # height != width, so reading columns instead of rows cannot hide behind a square image
    rng = np.random.default_rng(71)
    for n, height, width in [(3, 4, 6), (2, 7, 3), (1, 5, 2)]:
        images = rng.random((n, height, width))          # the truth: image k, row r, column c
        flat = images.reshape(n, height * width)         # stored row after row (C order)
        what = f"rows_as_sequence(flat of shape {flat.shape}, height={height}, width={width})"
        hint = ("Row r of image k is flat[k, r*width:(r+1)*width]: reshape each flat vector to "
                "(height, width), and keep the batch axis first: (N, T, D) = (N, height, width).")
        got = call(rows_as_sequence, flat, height, width, hint=hint)
        if np.shape(got) == (n, width, height) and height != width:
            columns = images.transpose(0, 2, 1)
            if np.allclose(np.asarray(got, float), columns):
                raise Wrong(f"{what} gives the columns as the time steps (shape (N, width, "
                            "height)).", "A step is one row of pixels: T = height steps of D = "
                            "width pixels, so no transpose.")
            raise Wrong(f"{what} has shape {np.shape(got)}, (N, width, height): the rows are "
                        f"cut {height} pixels long instead of {width}.",
                        "reshape to (N, height, width): the last axis, D, is one row's pixels.")
        got = as_answer(got, images, what, hint=hint)
        mistakes = [
            ("reshaped to (N, width, height), then the last two axes swapped",
             flat.reshape(n, width, height).transpose(0, 2, 1),
             "The shape is right but the pixels are not: reshape straight to (N, height, width); "
             "a transpose afterwards cannot undo rows cut at the wrong places."),
            ("the images are taken in reverse order of rows (bottom row first)",
             images[:, ::-1], "Read the rows from the top: row 0 is the first time step."),
        ]
        diagnose(got, images, mistakes, what=what, terms=1, names=("the sequences",), hint=hint)
    return "Each image becomes height time steps of width pixels, the top row first."


def check_rows_as_sequence(rows_as_sequence, *, strict=False):
    """Check ``rows_as_sequence(flat, height, width) -> (N, height, width)``.

    ``flat`` (N, height * width) holds each image row after row. Prints the verdict and
    returns a CheckResult (truthy when correct); ``strict=True`` raises AssertionError
    instead when the answer is not right.
    """
    return run_check("rows_as_sequence", _rows_body, rows_as_sequence, strict=strict)


# ---------------------------------------------------------------- exercise 2: bidirectional
def _one_way(kernel, recurrent_kernel, bias):
    """A one-way tanh RNN over (N, T, D) returning every state (N, T, H), h_0 = 0."""

    def run(x):
        x = np.asarray(x, dtype=np.float64)
        h = np.zeros((x.shape[0], kernel.shape[1]))
        states = []
        for t in range(x.shape[1]):
            h, _ = kernels.rnn_step_forward(x[:, t], h, kernel, recurrent_kernel, bias)
            states.append(h)
        return np.stack(states, axis=1)
    return run


def _bidirectional_body(bidirectional_outputs):
    rng = np.random.default_rng(72)
    for n, t, d, hf, hb in [(3, 5, 2, 4, 3), (2, 6, 3, 2, 5), (1, 4, 1, 3, 3)]:
        fwd = _one_way(rng.normal(0, 0.8, (d, hf)), rng.normal(0, 0.5, (hf, hf)),
                       rng.normal(0, 0.3, hf))
        bwd = _one_way(rng.normal(0, 0.8, (d, hb)), rng.normal(0, 0.5, (hb, hb)),
                       rng.normal(0, 0.3, hb))
        x = rng.normal(size=(n, t, d))
        what = f"bidirectional_outputs(x of shape {x.shape}, ...) with H_f={hf}, H_b={hb}"
        yf, yb_rev = fwd(x), bwd(x[:, ::-1])
        want = np.concatenate([yf, yb_rev[:, ::-1]], axis=-1)
        hint = ("Concatenate on the last axis: the forward states (N, T, H_f), then the backward "
                "ones (N, T, H_b).")
        got = as_answer(call(bidirectional_outputs, x, fwd, bwd, hint=hint), want, what,
                        hint=hint)
        mistakes = [
            ("the backward outputs were not reversed back into time order",
             np.concatenate([yf, yb_rev], axis=-1),
             "run_backward(x[:, ::-1]) returns its states in its own reading order, last step "
             "first: reverse them again ([:, ::-1]) so that position t holds step t."),
            ("the backward direction read x forwards (not reversed)",
             np.concatenate([yf, bwd(x)], axis=-1),
             "The backward direction must read the sequence from its end: give it x[:, ::-1]."),
            ("x was reversed for the backward direction but its outputs were reversed twice or "
             "not at all", np.concatenate([yf, bwd(x)[:, ::-1]], axis=-1),
             "Reverse the input, run, reverse the output: bwd(x[:, ::-1])[:, ::-1]."),
            ("the two directions concatenated in the wrong order (backward first)",
             np.concatenate([yb_rev[:, ::-1], yf], axis=-1) if hf == hb else None,
             "Keras's concat puts the forward states first, then the backward ones."),
        ]
        diagnose(got, want, mistakes, what=what, terms=t * (d + max(hf, hb) + 1 + ROUNDINGS),
                 names=("the merged states",), hint=hint)
    return "Reverse, run, reverse back, concatenate: position t sees the whole sequence."


def check_bidirectional_outputs(bidirectional_outputs, *, strict=False):
    """Check ``bidirectional_outputs(x, run_forward, run_backward) -> (N, T, H_f + H_b)``.

    ``run_forward`` and ``run_backward`` each map (N, T, D) to the states (N, T, H) of a
    one-way RNN, in the order they read the steps. Prints the verdict and returns a
    CheckResult; ``strict=True`` raises AssertionError instead when the answer is not right.
    """
    return run_check("bidirectional_outputs", _bidirectional_body, bidirectional_outputs,
                     strict=strict)


# ---------------------------------------------------------------- exercise 3: masked step
def _masked_step_body(masked_rnn_step):
    rng = np.random.default_rng(73)
    for n, d, h in [(4, 3, 5), (5, 6, 2), (3, 1, 4)]:
        x = rng.normal(size=(n, d))
        h_prev = rng.normal(0, 0.7, (n, h))
        Wx, Wh, b = rng.normal(0, 0.6, (d, h)), rng.normal(0, 0.6, (h, h)), rng.normal(0, .2, h)
        keep = np.zeros(n, bool)
        keep[::2] = True                                   # some sequences step, some are padding
        what = f"masked_rnn_step(...) for N={n}, D={d}, H={h}, keep={keep.astype(int).tolist()}"
        new, _ = kernels.rnn_step_forward(x, h_prev, Wx, Wh, b)
        want = np.where(keep[:, None], new, h_prev)
        hint = ("Compute the new state for every row, h_new = tanh(x_t @ kernel + h_prev @ "
                "recurrent_kernel + bias), then pick per row: np.where(keep[:, None], h_new, "
                "h_prev).")
        got = as_answer(call(masked_rnn_step, x, h_prev, keep, Wx, Wh, b, hint=hint), want, what,
                        hint=hint)
        zeroed_x, _ = kernels.rnn_step_forward(x * keep[:, None], h_prev, Wx, Wh, b)
        mistakes = [
            ("the state was set to zero at padded steps (h = keep * h_new)",
             new * keep[:, None],
             "A padded step must not change the state: the sequence continues after it (or has "
             "ended) with the state it had, h_prev, not zeros."),
            ("the mask is ignored: padding steps update the state too", new,
             "Rows whose keep is False keep h_prev unchanged."),
            ("only the input was masked (x_t * keep), so the state still moves at padded steps",
             zeroed_x, "Zeroing the input is not enough: h_prev @ recurrent_kernel + bias still "
                       "changes h. Keep h_prev itself."),
            ("the mask was read the wrong way round (padding steps updated, real ones kept)",
             np.where(keep[:, None], h_prev, new), "keep is True at the real steps."),
        ]
        diagnose(got, want, mistakes, what=what, terms=d + h + 1 + ROUNDINGS,
                 names=("h (the new states)",), hint=hint)
        # the mask may come as 0/1 numbers: the same answer
        hint01 = ("keep may come as booleans or as 0/1 numbers (a float mask): turn it into "
                  "booleans first, `keep != 0`, then np.where(...).")
        what01 = what + " with keep as 0.0/1.0 numbers"
        got01 = as_answer(call(masked_rnn_step, x, h_prev, keep.astype(np.float64), Wx, Wh, b,
                               hint=hint01), want, what01, hint=hint01)
        diagnose(got01, want, mistakes, what=what01, terms=d + h + 1 + ROUNDINGS,
                 names=("h (the new states)",), hint=hint01)
    return "Padded rows carry their state unchanged; the others take one tanh RNN step."


def check_masked_rnn_step(masked_rnn_step, *, strict=False):
    """Check ``masked_rnn_step(x_t, h_prev, keep, kernel, recurrent_kernel, bias) -> h``.

    Shapes: x_t (N, D), h_prev (N, H), keep (N,) bool or 0/1, kernel (D, H),
    recurrent_kernel (H, H), bias (H,); h (N, H). Prints the verdict and returns a
    CheckResult; ``strict=True`` raises AssertionError instead when the answer is not right.
    """
    return run_check("masked_rnn_step", _masked_step_body, masked_rnn_step, strict=strict)


# ---------------------------------------------------------------- exercise 4: masked loss
def _as_number(out, what):
    value = np.asarray(out, dtype=np.float64) if out is not None else None
    if value is None or value.shape not in ((), (1,)):
        raise Wrong(f"{what} should be one number; got "
                    f"{'None' if out is None else f'an array of shape {value.shape}'}.",
                    "Sum (or average) over every axis: the loss of a batch is one number.")
    return value.reshape(())


def _masked_loss_body(masked_mean_crossentropy):
    rng = np.random.default_rng(74)
    for n, t, v in [(3, 6, 4), (4, 5, 3), (2, 7, 5)]:
        logits = rng.normal(size=(n, t, v))
        probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
        targets = rng.integers(0, v, size=(n, t))
        lengths = np.array([t - (2 * k) % (t - 1) for k in range(n)])   # t, t - 2, ...: >= 2
        mask = np.arange(t)[None, :] < lengths[:, None]
        what = f"masked_mean_crossentropy(...) for N={n}, T={t}, V={v}"
        nll = -np.log(np.take_along_axis(probs, targets[..., None], axis=-1)[..., 0])   # (N, T)
        want = nll[mask].mean()
        got = _as_number(call(masked_mean_crossentropy, probs, targets, mask), what)
        per_sequence = np.mean([nll[k, mask[k]].mean() for k in range(n)])
        mistakes = [
            ("the padded steps count in the average (sum over kept steps / (N * T))",
             (nll * mask).mean(),
             "Divide by the number of kept steps, mask.sum(), not by N * T: padding is not data."),
            ("the mask is ignored (the mean over every step, padding included)", nll.mean(),
             "Leave out the steps where mask is False."),
            ("the mean of the per-sequence means (short sequences weigh more)", per_sequence,
             "Keras averages over all kept steps of the batch at once: sum(loss * mask) / "
             "sum(mask), so every real step weighs the same."),
            ("a minus sign is missing (log p, not -log p)", -want,
             "Cross-entropy is -log p(target): it is positive, and small when p is close to 1."),
        ]
        diagnose(got, np.asarray(want), mistakes, what=what, terms=n * t + ROUNDINGS,
                 names=("the loss",),
                 hint="Pick p[n, t, targets[n, t]] for every step, take -log, and average over "
                      "the steps where mask is True.")
    return "The mean of -log p(target) over the real steps only: padding adds nothing."


def check_masked_mean_crossentropy(masked_mean_crossentropy, *, strict=False):
    """Check ``masked_mean_crossentropy(probs, targets, mask) -> float``.

    Shapes: probs (N, T, V) probabilities, targets (N, T) ints in [0, V), mask (N, T) bool.
    Prints the verdict and returns a CheckResult; ``strict=True`` raises AssertionError
    instead when the answer is not right.
    """
    return run_check("masked_mean_crossentropy", _masked_loss_body, masked_mean_crossentropy,
                     strict=strict)
