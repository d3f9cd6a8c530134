"""What masking, Bidirectional and dropout cost, relative to the plain recurrent layer.

One training step, as in ``bench_recurrent.py``: forward over the whole sequence with
``return_sequences=True`` and ``training=True``, the loss ``0.5 * sum(out**2)``, backward to
every weight and to dX; float32, one BLAS thread. For each layer and shape (B, T, D, H) of
``bench_recurrent.py`` the variants are timed in ONE process, in interleaved rounds
(plain, mask, ..., plain, mask, ...), each round the best of 3 runs of about 20 ms; a
ratio is the median over rounds of (variant time / plain time) in the same round.

Variants:

* ``mask``: a sequence mask, post-padded: sequence b has length L_b drawn uniformly in
  [T/2, T] (seeded), False after it (what ``Embedding(mask_zero=True)`` gives on
  ``pad_sequences(padding='post')``); ``mask-pre``: the same lengths, pre-padded;
* ``mask-holes``: the post-padded mask with one step in ten also skipped inside the
  sequences (a mask with holes: the layers' masked loops, a copy per step);
* ``bidir``: ``Bidirectional(layer)`` (concat), no mask; ``bidir-mask``: with the mask;
* ``dropout``: ``dropout=0.2`` (one input mask, the fast loop on masked inputs);
* ``rec-dropout``: ``recurrent_dropout=0.2`` (the step-by-step loop, one mask per gate);
* ``last-mask-pre``: many-to-one (``return_sequences=False``, the loss on the last output)
  with the pre-padded mask, against the same layer without a mask (``last``), as a
  classifier on ``pad_sequences`` (padding='pre', Keras's default) runs it.

Usage::

    python benchmarks/bench_sequence_options.py                   # 7 rounds, every shape
    python benchmarks/bench_sequence_options.py --rounds 11 --layers lstm --shapes sine,lm
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

from rnnlesson.layers import GRU, LSTM, Bidirectional, SimpleRNN  # noqa: E402

SHAPES = {
    "tiny": (1, 8, 18, 64),
    "sine": (32, 50, 1, 32),
    "rows": (64, 28, 28, 64),
    "lm": (20, 35, 100, 100),
    "big": (64, 100, 256, 256),
}
CLASSES = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
VARIANTS = ("plain", "mask", "mask-pre", "mask-holes", "bidir", "bidir-mask", "dropout",
            "rec-dropout", "last-mask-pre")
#: the variant each one is compared with (default: plain)
BASELINE = {"last-mask-pre": "last"}
TARGET_SECONDS = 0.02


def lengths_mask(b, t, seed=0, pre=False):
    """(B, T) booleans: sequence i has length L_i uniform in [T/2, T], padded after it (or
    before it with ``pre``)."""
    lengths = np.random.default_rng(seed).integers((t + 1) // 2, t + 1, size=b)
    pos = np.arange(t)[None, :]
    return pos >= (t - lengths[:, None]) if pre else pos < lengths[:, None]


def make_step(kind, variant, shape):
    """A function running one training step of the variant, and a description."""
    b, t, d, h = shape
    cls = CLASSES[kind]
    options = {"return_sequences": not variant.startswith("last"), "seed": 0}
    if variant == "dropout":
        options["dropout"] = 0.2
    elif variant == "rec-dropout":
        options["recurrent_dropout"] = 0.2
    layer = cls(h, **options)
    if variant.startswith("bidir"):
        layer = Bidirectional(layer)
    x = np.random.default_rng(1).standard_normal((b, t, d)).astype("float32")
    kwargs = {"training": True}
    if variant in ("mask", "bidir-mask"):
        kwargs["mask"] = lengths_mask(b, t)
    elif variant == "mask-holes":
        kwargs["mask"] = lengths_mask(b, t) & (np.random.default_rng(2).random((b, t)) >= 0.1)
    elif variant in ("mask-pre", "last-mask-pre"):
        kwargs["mask"] = lengths_mask(b, t, pre=True)

    def step():
        y = layer.forward(x, **kwargs)
        layer.backward(y)  # dL/dy = y for L = 0.5 sum(y^2)

    return step


def measure(kind, shape_name, variants, rounds):
    shape = SHAPES[shape_name]
    steps = {v: make_step(kind, v, shape) for v in variants}
    for step in steps.values():
        step()  # warm up: builds, allocates the work arrays
    numbers = {}
    for v, step in steps.items():
        n = 1
        while timeit.timeit(step, number=n) < TARGET_SECONDS:
            n *= 2
        numbers[v] = n
    times = {v: [] for v in variants}
    for _ in range(rounds):
        for v, step in steps.items():
            times[v].append(min(timeit.repeat(step, number=numbers[v], repeat=3)) / numbers[v])
    return {v: {"ms": statistics.median(ts) * 1e3,
                "ratio": statistics.median(
                    t / p for t, p in zip(ts, times[BASELINE.get(v, "plain")], strict=True))}
            for v, ts in times.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--layers", default=",".join(CLASSES))
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    variants = ["plain"] + [v for v in args.variants.split(",") if v != "plain"]
    for v in list(variants):
        if v in BASELINE and BASELINE[v] not in variants:
            variants.insert(1, BASELINE[v])
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| layer | shape | plain ms | " + " | ".join(variants[1:]) + " |")
    print("|---|---|---:|" + "---:|" * (len(variants) - 1))
    results = {}
    for kind in args.layers.split(","):
        for shape_name in args.shapes.split(","):
            r = measure(kind, shape_name, variants, args.rounds)
            results[f"{kind}/{shape_name}"] = r
            cells = " | ".join(f"{r[v]['ratio']:.2f}" if v != "last" else f"{r[v]['ms']:.3f} ms"
                               for v in variants[1:])
            print(f"| {kind} | {shape_name} | {r['plain']['ms']:.3f} | {cells} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
