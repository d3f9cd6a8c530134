"""Seed 004's language-model improvements, one at a time: two layers, dropout, weight tying.

DLFS2 (Deep Learning from Scratch 2, chapter 6) trains ``Rnnlm`` (Embedding, one LSTM,
Affine) on Penn Treebank and improves it into ``BetterRnnlm`` with three changes. This
script trains the four models below in turn, each with the change before it, and
prints a table of validation perplexity, parameter count and training time:

=============  ==========================================================================
``rnnlm``      Embedding(V, E) -> LSTM(H) -> Dense(V)
``2 layers``   Embedding -> LSTM(H) -> LSTM(H) -> Dense(V)
``dropout``    Embedding -> Dropout -> LSTM -> Dropout -> LSTM -> Dropout -> Dense(V)
``tied``       the same, ending in TiedDense(embedding) instead of Dense(V) (needs E = H):
               DLFS2's BetterRnnlm
=============  ==========================================================================

The LSTMs are stateful (truncated BPTT over the windows of ``lm.lm_batches``; the state
starts from zeros at each epoch). Dropout is ``layers.Dropout`` between the layers, a
fresh mask for every entry, as DLFS2's ``TimeDropout``. Recurrent dropout (Keras's
``dropout=``/``recurrent_dropout=``, one mask per sequence, Gal & Ghahramani's
variational dropout) plugs in at :func:`_lstm` once the recurrent layers take those
arguments; ``--recurrent-dropout P`` passes them then, and says so before that.

Data:

* ``--data ptb``: Penn Treebank, word level (10,000 words), ``rnnlesson.datasets.ptb()``.
  It is downloaded once (about 6 MB) and cached; offline, with no cached copy, the
  script stops with the download error, which says where to put the files by hand.
  Full size, as DLFS2: E = H = 650, B = 20, T = 35, dropout 0.5, SGD with learning
  rate 20, global norm clipped to 0.25, the learning rate divided by 4 after an epoch
  whose validation perplexity is worse than the best so far, 40 epochs.
* ``--data shakespeare``: tiny-shakespeare (shipped), character level (65 characters),
  the last 10% held out. Defaults: E = H = 128, B = 32, T = 100, dropout 0.2, Adam 2e-3,
  global norm clipped to 5, 3 epochs.
* ``--data auto`` (default): PTB if it can be had (cached or downloaded), else says
  why and uses tiny-shakespeare.

Every setting can be changed on the command line (``--help``); the table is printed in
Markdown with the command that made it, for benchmarks/README.md.

Usage::

    python benchmarks/lm_improvements.py --data shakespeare              # ~8 min, 2 cores
    python benchmarks/lm_improvements.py --data ptb                      # full size: days
    python benchmarks/lm_improvements.py --data ptb --size 200 --epochs 4
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from rnnlesson import layers, lm  # noqa: E402
from rnnlesson.losses import SparseCategoricalCrossentropy  # noqa: E402
from rnnlesson.models import Sequential  # noqa: E402
from rnnlesson.optimizers import SGD, Adam  # noqa: E402

VARIANTS = ("rnnlm", "2 layers", "dropout", "tied")
#: per data set: size (E = H), batch, seq_len, dropout, epochs, optimizer, lr, clip
DEFAULTS = {
    "ptb": dict(size=650, batch=20, seq_len=35, dropout=0.5, epochs=40, optimizer="sgd",
                lr=20.0, clip=0.25, eval_batch=10),
    "shakespeare": dict(size=128, batch=32, seq_len=100, dropout=0.2, epochs=3,
                        optimizer="adam", lr=2e-3, clip=5.0, eval_batch=8),
}


# ----------------------------------------------------------------------------- data
def load(data: str):
    """(train ids, valid ids, V, unit): int64 arrays; unit 'word' or 'character'."""
    from rnnlesson import datasets, text

    if data in ("ptb", "auto"):
        try:
            corpus = datasets.ptb()
        except (ConnectionError, OSError, ImportError) as exc:
            if data == "ptb":
                raise SystemExit(f"lm_improvements: Penn Treebank is not available, so the "
                                 f"word-level comparison cannot run.\n{exc}\nRun it where "
                                 "the files can be downloaded (or are cached), or use "
                                 "--data shakespeare.") from None
            print(f"(Penn Treebank is not available: {str(exc).splitlines()[0]}\n using "
                  "tiny-shakespeare, character level.)", file=sys.stderr)
        else:
            words = {w: i for i, w in enumerate(dict.fromkeys(corpus["train"]))}
            train = np.array([words[w] for w in corpus["train"]], dtype=np.int64)
            valid = np.array([words[w] for w in corpus["valid"]], dtype=np.int64)
            return "ptb", train, valid, len(words), "word"
    raw = datasets.shakespeare()
    ids = np.asarray(text.Vocabulary(level="char").fit([raw]).encode(raw), dtype=np.int64)
    cut = int(len(ids) * 0.9)
    return "shakespeare", ids[:cut], ids[cut:], int(ids.max()) + 1, "character"


# ----------------------------------------------------------------------------- models
def _lstm(units, seed, recurrent_dropout):
    """A stateful LSTM; where recurrent dropout plugs in once the layer takes it."""
    if recurrent_dropout:
        # Keras semantics: one input mask and one recurrent mask per sequence, shared by
        # the gates, active only in training
        return layers.LSTM(units, return_sequences=True, stateful=True, seed=seed,
                           dropout=recurrent_dropout, recurrent_dropout=recurrent_dropout)
    return layers.LSTM(units, return_sequences=True, stateful=True, seed=seed)


def build(variant: str, V: int, size: int, dropout: float, recurrent_dropout: float):
    """The model of one variant, ids (B, T) -> logits (B, T, V); E = H = size."""
    emb = layers.Embedding(V, size, seed=0)
    if variant == "rnnlm":
        return Sequential([emb, _lstm(size, 1, recurrent_dropout), layers.Dense(V, seed=3)])
    stack = [emb]
    drop = variant in ("dropout", "tied")
    for k in (1, 2):
        if drop:
            stack.append(layers.Dropout(dropout, seed=10 + k))
        stack.append(_lstm(size, k, recurrent_dropout))
    if drop:
        stack.append(layers.Dropout(dropout, seed=13))
    stack.append(layers.TiedDense(emb) if variant == "tied" else layers.Dense(V, seed=3))
    return Sequential(stack)


# ----------------------------------------------------------------------------- training
def train(model, train_ids, valid_ids, cfg, log):
    """Train for cfg['epochs'] epochs; returns (best validation perplexity, seconds)."""
    opt = (SGD(learning_rate=cfg["lr"], global_clipnorm=cfg["clip"]) if cfg["optimizer"] == "sgd"
           else Adam(learning_rate=cfg["lr"], global_clipnorm=cfg["clip"]))
    model.compile(optimizer=opt, loss=SparseCategoricalCrossentropy(from_logits=True))
    best, seconds = math.inf, 0.0
    for epoch in range(cfg["epochs"]):
        model.reset_states()
        t0 = time.perf_counter()
        losses = [model.train_on_batch(x, y)
                  for x, y in lm.lm_batches(train_ids, cfg["batch"], cfg["seq_len"])]
        seconds += time.perf_counter() - t0
        ppl = lm.perplexity(model, valid_ids, cfg["eval_batch"], cfg["seq_len"])
        log(f"    epoch {epoch + 1}: train perplexity {math.exp(np.mean(losses)):.2f}, "
            f"valid {ppl:.2f}, {seconds:.0f} s, lr {opt.learning_rate:g}")
        if cfg["optimizer"] == "sgd" and ppl > best:
            opt.learning_rate = opt.learning_rate / 4.0  # DLFS2's schedule
        best = min(best, ppl)
    return best, seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", choices=("auto", "ptb", "shakespeare"), default="auto")
    ap.add_argument("--variants", default=",".join(VARIANTS),
                    help="comma-separated subset of: " + ", ".join(VARIANTS))
    for key in ("size", "batch", "seq_len", "epochs", "eval_batch"):
        ap.add_argument("--" + key.replace("_", "-"), type=int, help="default: per data set")
    for key in ("dropout", "lr", "clip"):
        ap.add_argument("--" + key, type=float, help="default: per data set")
    ap.add_argument("--optimizer", choices=("sgd", "adam"), help="default: per data set")
    ap.add_argument("--recurrent-dropout", type=float, default=0.0,
                    help="dropout= and recurrent_dropout= of the LSTMs (needs layers that "
                         "take them)")
    ap.add_argument("--valid-tokens", type=int, default=None,
                    help="score only the first this many validation tokens (default: all)")
    ap.add_argument("--train-tokens", type=int, default=None,
                    help="train on only the first this many tokens (default: all)")
    args = ap.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if any(v not in VARIANTS for v in variants):
        ap.error(f"unknown variant in {variants}; choose from {', '.join(VARIANTS)}")
    if args.recurrent_dropout and "recurrent_dropout" not in inspect.signature(
            layers.LSTM).parameters:
        ap.error("--recurrent-dropout needs LSTM(dropout=..., recurrent_dropout=...), which "
                 "this version of rnnlesson does not have yet; use --dropout (layers.Dropout "
                 "between the layers) for now.")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    name, train_ids, valid_ids, V, unit = load(args.data)
    cfg = dict(DEFAULTS[name])
    for key in cfg:
        if getattr(args, key, None) is not None:
            cfg[key] = getattr(args, key)
    if args.valid_tokens:
        valid_ids = valid_ids[:args.valid_tokens]
    if args.train_tokens:
        train_ids = train_ids[:args.train_tokens]
    log(f"# {name}: {len(train_ids):,} training and {len(valid_ids):,} validation {unit}s, "
        f"V = {V}; {cfg}")
    rows = []
    for variant in variants:
        model = build(variant, V, cfg["size"], cfg["dropout"], args.recurrent_dropout)
        model.build((None, cfg["seq_len"]))
        log(f"  {variant}: {model.count_params():,} parameters")
        ppl, seconds = train(model, train_ids, valid_ids, cfg, log)
        rows.append((variant, model.count_params(), ppl, seconds))

    command = "python benchmarks/lm_improvements.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    print(f"\n`{command.strip()}`: {name}, {unit} level, V = {V}, E = H = {cfg['size']}, "
          f"B = {cfg['batch']}, T = {cfg['seq_len']}, {cfg['epochs']} epoch(s), "
          f"{cfg['optimizer']} (learning rate {cfg['lr']:g}, global norm clipped to "
          f"{cfg['clip']:g}), dropout {cfg['dropout']:g}; validation: {len(valid_ids):,} "
          f"{unit}s.\n")
    per = "bits/char" if unit == "character" else "bits/word"
    print(f"| model | parameters | validation perplexity | {per} | training time |")
    print("|---|---:|---:|---:|---:|")
    for variant, n, ppl, seconds in rows:
        print(f"| {variant} | {n:,} | {ppl:.2f} | {math.log2(ppl):.3f} | {seconds:.0f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
