"""Seq2Seq against the numpy code of "Deep Learning from Scratch 2" (DLFS2), on one machine.

DLFS2's code is not part of this project: give the path of a copy (its repository's
root, holding ``common/``, ``ch07/``, ``ch08/`` and ``dataset/``) with ``--dlfs2``.
Both sides run with one BLAS thread, each in its own process, and take turns, so
both see the same machine. The modes::

    python benchmarks/bench_seq2seq.py speed --dlfs2 PATH              # ms per training step
    python benchmarks/bench_seq2seq.py accuracy --dlfs2 PATH --task addition --epochs 16
    python benchmarks/bench_seq2seq.py accuracy --dlfs2 PATH --task dates --epochs 4
    python benchmarks/bench_seq2seq.py generate --dlfs2 PATH           # 5,000 greedy answers
    python benchmarks/bench_seq2seq.py lesson --seconds 30             # ours alone, small sizes
    python benchmarks/bench_seq2seq.py starts --seed 0                 # lesson 08 from each start
    python benchmarks/bench_seq2seq.py floor --dlfs2 PATH              # the products alone
    python benchmarks/bench_seq2seq.py parity --dlfs2 PATH             # same weights, same grads?

The two settings (DLFS2's ``ch07/train_seq2seq.py`` and ``ch08/train.py``)::

    addition  PeekySeq2seq, reversed input, E=16, H=128, batch 128, Adam, global norm 5
    dates     AttentionSeq2seq (dot), reversed input, E=16, H=256, batch 128, Adam, norm 5

and ours is ``Seq2Seq(V, V, 16, H, peeky=True, reverse_source=True)`` /
``Seq2Seq(V, V, 16, 256, attention='dot', reverse_source=True)`` compiled with
``Adam(global_clipnorm=5.0)``. The data are DLFS2's files read by its own
``dataset/sequence.py`` (shuffled with seed 1984, the last 10% for testing), or with
``--data ours`` our generated ``datasets.addition()`` / ``dates()`` split the same way.

* ``speed``: rounds of one process per implementation and task; each warms up, then
  times a block of consecutive training steps (forward, loss, backward, global-norm
  clip, Adam). The table gives medians over rounds and the ratio ours/DLFS2 per round.
* ``accuracy``: two long-lived processes train one epoch in turn (DLFS2 with its own
  ``Trainer``), then report the exact-match accuracy of greedy answers on the test
  rows and the seconds the epoch took (training only; evaluation timed apart). With
  ``--start dlfs2`` ours starts where DLFS2 starts (its kind of initial weights, the
  decoder from h and c = 0; ``dlfs2_start``), so that the two learn from alike points.
* ``generate``: greedy answers for 5,000 test questions; DLFS2 answers one question
  at a time, as its scripts do, and also in one batch (its layers, our loop).
* ``lesson``: what ours reaches within a time budget at lesson sizes.
* ``starts``: lesson 08's own training runs (its sizes and learning rates), ours from
  its own start and from DLFS2's, the held-out accuracy after every epoch.
* ``floor``: the matrix products alone of one of our steps (the same arithmetic as
  DLFS2's), at this machine's rates, against DLFS2's whole step: no implementation of
  these models can take less than the products.
* ``parity``: DLFS2's dates model and ours from the same weights on one batch: the
  loss and every gradient, with ours as it is and with its decoder's c set to 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

for _k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_k] = "1"

import numpy as np  # noqa: E402  (after the thread settings)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TASKS = {"addition": {"file": "addition.txt", "units": 128, "dlfs2": "peeky"},
         "dates": {"file": "date.txt", "units": 256, "dlfs2": "attention"}}
BATCH, EMBED, CLIP = 128, 16, 5.0


# ------------------------------------------------------------------------- data
def load(task, data, dlfs2):
    """((x_train, y_train), (x_test, y_test), vocab size, start id): DLFS2's split."""
    if data == "dlfs2":
        _dlfs2_path(dlfs2)
        from dataset import sequence

        (xt, yt), (xv, yv) = sequence.load_data(TASKS[task]["file"])
        char_to_id, _ = sequence.get_vocab()
        return (xt, yt), (xv, yv), len(char_to_id), int(char_to_id["_"])
    from rnnlesson import datasets

    gen = datasets.addition() if task == "addition" else datasets.dates()
    x, y = gen.encode()
    idx = np.arange(len(x))
    np.random.RandomState(1984).shuffle(idx)  # dataset/sequence.py's shuffle and split
    x, y = x[idx], y[idx]
    cut = len(x) - len(x) // 10
    return (x[:cut], y[:cut]), (x[cut:], y[cut:]), len(gen.vocab), gen.start_id


def _dlfs2_path(root):
    if root is None:
        raise SystemExit("give the path of DLFS2's code with --dlfs2 PATH")
    root = str(Path(root).resolve())
    for sub in ("", "ch07", "ch08"):
        p = os.path.join(root, sub) if sub else root
        if p not in sys.path:
            sys.path.insert(0, p)


# ------------------------------------------------------------------------- the two sides
class Ours:
    def __init__(self, task, vocab, seed, start="keras"):
        from rnnlesson.models import Seq2Seq
        from rnnlesson.optimizers import Adam

        kw = ({"peeky": True} if task == "addition" else {"attention": "dot"})
        self.model = Seq2Seq(vocab, vocab, EMBED, TASKS[task]["units"], reverse_source=True,
                             seed=seed, **kw)
        self.model.compile(Adam(global_clipnorm=CLIP))
        if start == "dlfs2":
            dlfs2_start(self.model, np.random.default_rng(seed))

    def step(self, x, y):
        from rnnlesson.models.seq2seq_fit import train_step

        train_step(self.model, x, y)

    def epoch(self, x, y):
        self.model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)

    def answers(self, x, start, length):
        return self.model.generate(x, start, length)


class Book:
    """DLFS2's model, optimizer and trainer, driven as its chapter scripts drive them."""

    def __init__(self, task, vocab, seed, root):
        _dlfs2_path(root)
        from common.optimizer import Adam
        from common.trainer import Trainer

        np.random.seed(seed)
        if TASKS[task]["dlfs2"] == "peeky":
            from peeky_seq2seq import PeekySeq2seq as cls
        else:
            from attention_seq2seq import AttentionSeq2seq as cls
        self.model = cls(vocab, EMBED, TASKS[task]["units"])
        self.optimizer = Adam()
        self.trainer = Trainer(self.model, self.optimizer)

    def step(self, x, y):
        from common.trainer import remove_duplicate
        from common.util import clip_grads

        self.model.forward(x[:, ::-1], y)
        self.model.backward()
        params, grads = remove_duplicate(self.model.params, self.model.grads)
        clip_grads(grads, CLIP)
        self.optimizer.update(params, grads)

    def epoch(self, x, y):
        self.trainer.fit(x[:, ::-1], y, max_epoch=1, batch_size=BATCH, max_grad=CLIP,
                         eval_interval=None)

    def answers(self, x, start, length):
        """Greedy answers of all rows at once: the steps of DLFS2's ``generate``, batched."""
        enc, dec = self.model.encoder, self.model.decoder
        xs = np.ascontiguousarray(x[:, ::-1])
        hs = enc.forward(xs)
        peeky = hs.ndim == 2
        h = hs if peeky else hs[:, -1]
        dec.lstm.set_state(h)
        ids = np.full((len(x), 1), start)
        out = []
        for _ in range(length):
            e = dec.embed.forward(ids)
            if peeky:
                e = np.concatenate((h[:, None, :], e), axis=2)
            o = dec.lstm.forward(e)
            if peeky:
                o = np.concatenate((h[:, None, :], o), axis=2)
            else:
                o = np.concatenate((dec.attention.forward(hs, o), o), axis=2)
            ids = dec.affine.forward(o).argmax(axis=2)
            out.append(ids[:, 0])
        return np.stack(out, axis=1)

    def answers_one_by_one(self, x, start, length):
        """DLFS2's own ``model.generate``, one question at a time (as ``eval_seq2seq``)."""
        xs = x[:, ::-1]
        return np.array([self.model.generate(xs[[i]], start, length) for i in range(len(x))])


def make(impl, task, vocab, seed, root, start="keras"):
    return Ours(task, vocab, seed, start) if impl == "ours" else Book(task, vocab, seed, root)


def decoder_from_h_only(model):
    """Make ``model`` (an LSTM Seq2Seq) start its decoder from the encoder's h and c = 0, as
    DLFS2's decoders do, on this instance only: c = 0 is then a constant, so no gradient
    flows back to the encoder's final c."""
    encode, encoder_backward = model.encode, model.encoder.backward

    def encode_zero_c(x_src, training=False):
        enc_seq, keys, states = encode(x_src, training)
        return enc_seq, keys, [states[0], np.zeros_like(states[1])]

    def backward_zero_c(grads):
        grads = list(grads)
        grads[2] = np.zeros_like(grads[2])
        return encoder_backward(grads)

    model.encode, model.encoder.backward = encode_zero_c, backward_zero_c


def dlfs2_start(model, rng):
    """DLFS2's starting point for ``model``: its kind of initial weights (embeddings
    Gaussian with standard deviation 0.01, every kernel Gaussian with 1/sqrt(fan-in),
    biases 0, so no forget-gate bias of 1) drawn from ``rng``, and an LSTM decoder
    started from h and c = 0."""
    model.forward(np.zeros((1, 2), np.int64), np.zeros((1, 2), np.int64))  # builds the layers
    for name, w in model.params.items():
        if name.endswith("embeddings"):
            w[...] = 0.01 * rng.standard_normal(w.shape)
        elif name.endswith("bias"):
            w[...] = 0.0
        else:  # kernels are (fan-in, fan-out)
            w[...] = rng.standard_normal(w.shape) / np.sqrt(w.shape[0])
    if len(model.decoder.state_names) == 2:  # an LSTM: c = 0, as DLFS2's TimeLSTM starts
        decoder_from_h_only(model)


# ------------------------------------------------------------------------- workers
def worker_speed(cfg):
    (x, y), _, vocab, _ = load(cfg["task"], cfg["data"], cfg["dlfs2"])
    side = make(cfg["impl"], cfg["task"], vocab, 0, cfg["dlfs2"])
    order = np.random.default_rng(0).permutation(len(x))
    batches = [(x[order[i:i + BATCH]], y[order[i:i + BATCH]])
               for i in range(0, BATCH * (cfg["warmup"] + cfg["steps"]), BATCH)]
    for xb, yb in batches[:cfg["warmup"]]:
        side.step(xb, yb)
    t0 = time.perf_counter()
    for xb, yb in batches[cfg["warmup"]:]:
        side.step(xb, yb)
    return {"ms": (time.perf_counter() - t0) / cfg["steps"] * 1e3}


def worker_loop(cfg):
    """Accuracy mode: train one epoch per line read from stdin; answer with one JSON line."""
    (x, y), (xv, yv), vocab, start = load(cfg["task"], cfg["data"], cfg["dlfs2"])
    side = make(cfg["impl"], cfg["task"], vocab, cfg["seed"], cfg["dlfs2"],
                cfg.get("start", "keras"))
    if cfg["impl"] == "dlfs2":  # the batched answers are DLFS2's own, row by row
        rows = slice(0, 40)
        assert np.array_equal(side.answers(xv[rows], start, yv.shape[1] - 1),
                              side.answers_one_by_one(xv[rows], start, yv.shape[1] - 1))
    print(json.dumps({"ready": True}), flush=True)
    for _line in sys.stdin:
        t0 = time.perf_counter()
        side.epoch(x, y)
        train = time.perf_counter() - t0
        t0 = time.perf_counter()
        answers = side.answers(xv, start, yv.shape[1] - 1)
        evaluate = time.perf_counter() - t0
        acc = float((answers == yv[:, 1:]).all(axis=1).mean())
        print(json.dumps({"train_s": train, "eval_s": evaluate, "accuracy": acc}), flush=True)


def worker_generate(cfg):
    _, (xv, yv), vocab, start = load(cfg["task"], cfg["data"], cfg["dlfs2"])
    xv = xv[:5000]
    side = make(cfg["impl"], cfg["task"], vocab, 0, cfg["dlfs2"])
    side.answers(xv[:50], start, yv.shape[1] - 1)
    out = {}
    t0 = time.perf_counter()
    side.answers(xv, start, yv.shape[1] - 1)
    out["batched_s"] = time.perf_counter() - t0
    if cfg["impl"] == "dlfs2":
        t0 = time.perf_counter()
        side.answers_one_by_one(xv, start, yv.shape[1] - 1)
        out["one_by_one_s"] = time.perf_counter() - t0
    return out


def _spawn(cfg, mode, **kw):
    return subprocess.Popen([sys.executable, __file__, "_worker", mode, json.dumps(cfg)],
                            stdout=subprocess.PIPE, text=True, **kw)


def _run(cfg, mode):
    proc = _spawn(cfg, mode)
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"worker {cfg} failed")
    return json.loads(out.strip().splitlines()[-1])


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# ------------------------------------------------------------------------- modes
def speed(args):
    print(f"# speed: ms per training step, {args.rounds} interleaved rounds; load at start "
          f"{load_average()}")
    rows = []
    for task in args.tasks.split(","):
        steps = args.steps or (60 if task == "addition" else 8)
        times = {"ours": [], "dlfs2": []}
        for _ in range(args.rounds):
            for impl in ("ours", "dlfs2"):
                cfg = {"task": task, "impl": impl, "data": args.data, "dlfs2": args.dlfs2,
                       "warmup": 3, "steps": steps}
                times[impl].append(_run(cfg, "speed")["ms"])
        ratios = [a / b for a, b in zip(times["ours"], times["dlfs2"], strict=True)]
        rows.append((task, statistics.median(times["ours"]), statistics.median(times["dlfs2"]),
                     statistics.median(ratios), min(ratios), max(ratios)))
    print("\n| task | ours ms/step | DLFS2 ms/step | ours/DLFS2 (median) | min - max |")
    print("|---|---:|---:|---:|---|")
    for task, a, b, r, lo, hi in rows:
        print(f"| {task} | {a:.2f} | {b:.2f} | {r:.2f} | {lo:.2f} - {hi:.2f} |")
    print(f"\nload at end {load_average()}")


def accuracy(args):
    procs = {}
    for impl in ("ours", "dlfs2"):
        cfg = {"task": args.task, "impl": impl, "data": args.data, "dlfs2": args.dlfs2,
               "seed": args.seed, "start": args.start}
        procs[impl] = _spawn(cfg, "loop", stdin=subprocess.PIPE)
        json.loads(procs[impl].stdout.readline())
    print(f"# accuracy: {args.task}, seed {args.seed}, data {args.data}, ours from the "
          f"{args.start} start; load at start "
          f"{load_average()}")
    print("\n| epoch | ours acc | DLFS2 acc | ours s/epoch | DLFS2 s/epoch | ratio | "
          "ours eval s | DLFS2 eval s | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for epoch in range(1, args.epochs + 1):
        got = {}
        for impl, proc in procs.items():
            proc.stdin.write("epoch\n")
            proc.stdin.flush()
            got[impl] = json.loads(proc.stdout.readline())
        a, b = got["ours"], got["dlfs2"]
        print(f"| {epoch} | {a['accuracy']:.3f} | {b['accuracy']:.3f} | {a['train_s']:.1f} | "
              f"{b['train_s']:.1f} | {a['train_s'] / b['train_s']:.2f} | {a['eval_s']:.2f} | "
              f"{b['eval_s']:.2f} | {load_average()} |", flush=True)
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()


def generate(args):
    print(f"# greedy answers to 5,000 test questions; load at start {load_average()}")
    print("\n| task | ours (batched) s | DLFS2 one by one s | DLFS2 batched s |")
    print("|---|---:|---:|---:|")
    for task in args.tasks.split(","):
        res = {}
        for impl in (("ours", "dlfs2") if args.dlfs2 else ("ours",)):
            cfg = {"task": task, "impl": impl, "data": args.data, "dlfs2": args.dlfs2}
            res[impl] = _run(cfg, "generate")
        d = res.get("dlfs2", {})
        print(f"| {task} | {res['ours']['batched_s']:.2f} | "
              f"{d.get('one_by_one_s', float('nan')):.1f} | "
              f"{d.get('batched_s', float('nan')):.2f} |")


def step_products(task):
    """The matrix products of one training step of ours: {name: ((m, k, n), calls)}.

    The LSTM layer folds the inputs and the bias into each step's product
    ([h; x; 1] (K, N) times [U; W; b]^T, K = H + D + 1), and computes every weight
    gradient over all T*N columns at once; DLFS2 does the same arithmetic as per-step
    products. The attention's batched products (N small ones) are left out.
    """
    n, h, e = BATCH, TASKS[task]["units"], EMBED
    t_in, t_out, v = (7, 4, 13) if task == "addition" else (29, 10, 59)
    d_dec = e + h if task == "addition" else e   # the peeky decoder reads [embedding, h]
    f = 2 * h                                    # the output layer: [h, peeky h] or [context, h]
    out = {}
    for name, t, d in (("encoder", t_in, e), ("decoder", t_out, d_dec)):
        k = h + d + 1
        out[f"{name} step z = W^T [h; x; 1]"] = ((4 * h, k, n), t)
        out[f"{name} step dh = U dz"] = ((h, 4 * h, n), t)
        out[f"{name} [dU; dW; db] over T*N"] = ((k, t * n, 4 * h), 1)
        out[f"{name} dX over T*N"] = ((t * n, 4 * h, d), 1)
    out["output layer forward"] = ((t_out * n, f, v), 1)
    out["output layer dW"] = ((f, t_out * n, v), 1)
    out["output layer dX"] = ((t_out * n, v, f), 1)
    return out


def floor(args):
    """How long the matrix products alone of one of our training steps take, at the rates
    this machine gives them, against DLFS2's whole step measured in the same run."""
    rng = np.random.default_rng(0)
    print(f"# floor: the matrix products of one training step; load at start {load_average()}")
    print("\n| task | MFLOP | products alone ms | DLFS2 step ms | products / DLFS2 | "
          "GF/s of the products |")
    print("|---|---:|---:|---:|---:|---:|")
    for task in args.tasks.split(","):
        prods, book = [], []
        for _ in range(args.rounds):
            total = flops = 0.0
            for (m, k, nn), calls in step_products(task).values():
                a = rng.standard_normal((m, k)).astype("f")
                b = rng.standard_normal((k, nn)).astype("f")
                c = np.empty((m, nn), "f")
                np.matmul(a, b, c)
                reps = 20
                t0 = time.perf_counter()
                for _ in range(reps):
                    np.matmul(a, b, c)
                total += (time.perf_counter() - t0) / reps * calls
                flops += 2.0 * m * k * nn * calls
            prods.append(total * 1e3)
            cfg = {"task": task, "impl": "dlfs2", "data": args.data, "dlfs2": args.dlfs2,
                   "warmup": 3, "steps": 60 if task == "addition" else 8}
            book.append(_run(cfg, "speed")["ms"])
        p, b = statistics.median(prods), statistics.median(book)
        print(f"| {task} | {flops / 1e6:.0f} | {p:.2f} | {b:.2f} | "
              f"{statistics.median([x / y for x, y in zip(prods, book, strict=True)]):.2f} | "
              f"{flops / p / 1e6:.0f} |")
    print(f"\nload at end {load_average()}")


def _dlfs2_gates(w):
    """DLFS2's fused LSTM columns (f, g, i, o) in Keras's order (i, f, c~, o)."""
    f, g, i, o = np.split(w, 4, axis=-1)
    return np.concatenate([i, f, g, o], axis=-1)


def parity(args):
    """Ours and DLFS2's AttentionSeq2seq on one batch of dates from the same weights: the
    loss and every gradient. DLFS2's decoder starts from the encoder's h with c = 0,
    ours from h and c; the second row gives ours c = 0 as well (on this instance only),
    which isolates that one difference."""
    from rnnlesson.losses import SparseCategoricalCrossentropy
    from rnnlesson.models import Seq2Seq

    (x, y), _, vocab, _ = load("dates", args.data, args.dlfs2)
    from attention_seq2seq import AttentionSeq2seq

    units, n = 64, 32
    xb, yb = x[:n], y[:n]
    np.random.seed(args.seed)
    book = AttentionSeq2seq(vocab, EMBED, units)
    book_loss = book.forward(xb[:, ::-1], yb)
    book.backward()
    names = ["encoder_embedding/embeddings", "encoder/kernel", "encoder/recurrent_kernel",
             "encoder/bias", "decoder_embedding/embeddings", "decoder/kernel",
             "decoder/recurrent_kernel", "decoder/bias", "output/kernel", "output/bias"]
    lstm = {"encoder/kernel", "encoder/recurrent_kernel", "encoder/bias", "decoder/kernel",
            "decoder/recurrent_kernel", "decoder/bias"}
    print(f"# parity: AttentionSeq2seq(V={vocab}, E={EMBED}, H={units}), {n} rows of dates, "
          f"DLFS2's initial weights (seed {args.seed})")
    print("\n| ours | loss, relative difference | largest gradient difference / largest "
          "gradient | worst weight |")
    print("|---|---:|---:|---|")
    for zero_c in (False, True):
        model = Seq2Seq(vocab, vocab, EMBED, units, attention="dot", reverse_source=True,
                        seed=0)
        model.compile("adam")
        model.train_on_batch(xb[:2], yb[:2])  # builds every layer
        for name, w in zip(names, book.params, strict=True):
            model.params[name][...] = _dlfs2_gates(w) if name in lstm else w
        if zero_c:
            decoder_from_h_only(model)
        loss_fn = SparseCategoricalCrossentropy(from_logits=True)
        loss = loss_fn.forward(model.forward(xb, yb[:, :-1], training=True), yb[:, 1:])
        model.backward(loss_fn.backward())
        worst, where = 0.0, ""
        for name, g in zip(names, book.grads, strict=True):
            ref = _dlfs2_gates(g) if name in lstm else g
            err = float(np.abs(model.grads[name] - ref).max() / np.abs(ref).max())
            if err > worst:
                worst, where = err, name
        label = "decoder from h and c = 0 (DLFS2's)" if zero_c else "decoder from h and c"
        print(f"| {label} | {abs(loss - book_loss) / abs(book_loss):.1e} | {worst:.1e} | "
              f"{where} |")


LESSON_RUNS = [  # (task, n questions, units, kwargs)
    ("addition", 50000, 128, {"peeky": True, "reverse_source": True}),
    ("addition", 20000, 128, {"peeky": True, "reverse_source": True}),
    ("dates", 20000, 64, {"attention": "dot", "reverse_source": True}),
    ("dates", 20000, 128, {"attention": "dot", "reverse_source": True}),
]


def lesson(args):
    """Ours alone: accuracy on 1,000 held-out questions after each epoch, against time."""
    from rnnlesson import datasets
    from rnnlesson.models import Seq2Seq
    from rnnlesson.optimizers import Adam

    print(f"# lesson sizes: training time budget {args.seconds} s; load at start "
          f"{load_average()}")
    print("\n| task | n | H | settings | epoch | s so far | val acc |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for task, n, units, kw in LESSON_RUNS:
        gen = (datasets.addition if task == "addition" else datasets.dates)(n + 1000, seed=0)
        x, y = gen.encode()
        model = Seq2Seq(gen.vocab, gen.vocab, 16, units, seed=0, **kw)
        model.compile(Adam(global_clipnorm=CLIP))
        spent, epoch = 0.0, 0
        settings = ", ".join(k for k in kw)
        while spent < args.seconds:
            epoch += 1
            t0 = time.perf_counter()
            model.fit(x[:n], y[:n], batch_size=BATCH, epochs=1, verbose=0)
            spent += time.perf_counter() - t0
            acc = model.evaluate(x[n:], y[n:])["accuracy"]
            print(f"| {task} | {n} | {units} | {settings} | {epoch} | {spent:.1f} | {acc:.3f} |",
                  flush=True)
    print(f"\nload at end {load_average()}")


#: lesson 08's training runs, with the notebook's settings: task, training questions (the
#: next 1,000 held out), H, learning rate, epochs, name, options
LESSON_08 = [
    ("addition", 20000, 64, 0.01, 4, "plain", {}),
    ("addition", 20000, 64, 0.01, 4, "reversed", {"reverse_source": True}),
    ("addition", 20000, 64, 0.01, 4, "peeky + reversed",
     {"peeky": True, "reverse_source": True}),
    ("dates", 10000, 64, 0.02, 3, "dot", {"attention": "dot", "reverse_source": True}),
    ("dates", 10000, 64, 0.02, 3, "additive", {"attention": "additive", "reverse_source": True}),
]


def starts(args):
    """Lesson 08's own runs from each starting point: ours as shipped (Keras's initial
    weights, the decoder from h and c) and DLFS2's (``dlfs2_start``), same seed."""
    from rnnlesson import datasets
    from rnnlesson.models import Seq2Seq
    from rnnlesson.optimizers import Adam

    print(f"# lesson 08's runs from each start, seed {args.seed}; load at start "
          f"{load_average()}")
    print("\n| task | model | start | held-out exact match, epoch 1, 2, ... | last val loss |")
    print("|---|---|---|---|---:|")
    for task, n, units, rate, epochs, name, kw in LESSON_08:
        gen = (datasets.addition if task == "addition" else datasets.dates)(n + 1000, seed=0)
        x, y = gen.encode()
        for start in ("keras", "dlfs2"):
            model = Seq2Seq(gen.vocab, gen.vocab, EMBED, units, seed=args.seed, **kw)
            model.compile(Adam(learning_rate=rate, global_clipnorm=CLIP))
            if start == "dlfs2":
                dlfs2_start(model, np.random.default_rng(args.seed))
            hist = model.fit(x[:n], y[:n], batch_size=BATCH, epochs=epochs,
                             validation_data=(x[n:], y[n:]), verbose=0).history
            accs = " / ".join(f"{a:.3f}" for a in hist["val_accuracy"])
            print(f"| {task} | {name} | {start} | {accs} | {hist['val_loss'][-1]:.3f} |",
                  flush=True)
    print(f"\nload at end {load_average()}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        mode, cfg = sys.argv[2], json.loads(sys.argv[3])
        if mode == "loop":
            worker_loop(cfg)
        else:
            result = worker_speed(cfg) if mode == "speed" else worker_generate(cfg)
            print(json.dumps(result))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["speed", "accuracy", "generate", "lesson", "starts",
                                  "floor", "parity"])
    p.add_argument("--dlfs2", help="root of DLFS2's code (common/, ch07/, ch08/, dataset/)")
    p.add_argument("--tasks", default="addition,dates")
    p.add_argument("--task", default="addition", choices=list(TASKS))
    p.add_argument("--data", default="dlfs2", choices=["dlfs2", "ours"])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=0, help="timed steps per round (0: auto)")
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", default="keras", choices=["keras", "dlfs2"],
                   help="accuracy: ours from its own initial weights (keras) or from DLFS2's "
                        "starting point (its kind of weights, the decoder from h and c = 0)")
    p.add_argument("--seconds", type=float, default=30.0)
    args = p.parse_args()
    if args.data == "dlfs2" and args.mode not in ("lesson", "starts") and not args.dlfs2:
        p.error("--dlfs2 PATH is needed (or --data ours for our generated data)")
    modes = {"speed": speed, "accuracy": accuracy, "generate": generate, "lesson": lesson,
             "starts": starts, "floor": floor, "parity": parity}
    modes[args.mode](args)


if __name__ == "__main__":
    main()
