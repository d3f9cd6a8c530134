"""Time a language model's training step, rnnlesson against PyTorch, and how far each
gets in a fixed wall time.

Two models, the same in both libraries (same initial weights, same batches):

* ``char``: ``Embedding(65, 32) -> LSTM(128) -> Dense(65)`` on tiny-shakespeare, B=32, T=100;
* ``word``: ``Embedding(10000, 100) -> LSTM(100) -> Dense(10000)``, B=20, T=35, on a
  stream of word ids drawn from a Zipf law (Penn Treebank's shape without its download).

One training step, as a learner writes it: the next window of ``lm.lm_batches`` (the
LSTM is stateful: the state is carried, the gradient is not), forward, softmax
cross-entropy on the logits, backward, clipping of the global gradient norm to 5
(``global_clipnorm=5`` against ``torch.nn.utils.clip_grad_norm_(params, 5)``), an Adam
update (learning rate 2e-3, epsilon 1e-7 on both sides). rnnlesson runs it as
``model.train_on_batch(x, y)``; torch as the usual zero_grad/forward/backward/clip/step.

What it reports, with one BLAS thread everywhere:

1. **Step time** of each model (median over interleaved rounds, each the best of
   ``--repeat`` timeit runs of about 0.2 s) and the ratio rnnlesson / torch, the median of
   the ratios of the same round. Before timing, both sides compute the loss and every
   gradient of one batch from the same weights and they are compared (float32).
2. **A fixed wall time** (``--seconds``, 10 s) of training the char LM from the same
   initial weights, interleaved (rn, torch, rn, torch...): characters per second, and the
   validation bits per character (log2 of the perplexity on the last 100,000 characters,
   held out) that each reaches.
3. ``lm.generate`` of 1,000 characters with the char model (best of 5).
4. **The BLAS alone**: the matrix products of one rnnlesson step (``step_products``),
   timed with numpy's BLAS and with torch's on the same shapes, in the same two
   processes. Their ratio is the part of the step ratio that no change to rnnlesson's
   Python can remove; the step minus its products is the part it can.

Every (implementation, model) runs in its own process (two libraries' thread pools in
one process spin against each other); the load average of the machine is printed
before and after, since the machine may be shared.

Usage::

    python benchmarks/bench_lm.py                   # steps, 10 s training x 2 rounds, generate
    python benchmarks/bench_lm.py --rounds 9 --train-rounds 3
    python benchmarks/bench_lm.py --models word --no-train
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: name -> (B, T, V, E, H)
MODELS = {"char": (32, 100, 65, 32, 128), "word": (20, 35, 10000, 100, 100)}
IMPLS = ("rn", "torch")
LEARNING_RATE = 2e-3
CLIP = 5.0
#: characters at the end of tiny-shakespeare held out for validation
VALID_CHARS = 100_000
THREAD_ENV = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
#: seconds of one timeit run
TARGET_SECONDS = 0.2


# ============================================================================ data and weights
def _stream(model):
    """(train ids, valid ids) as int64 arrays."""
    import numpy as np

    if model == "char":
        from rnnlesson import datasets, text

        raw = datasets.shakespeare()
        ids = np.asarray(text.Vocabulary(level="char").fit([raw]).encode(raw), dtype=np.int64)
        return ids[:-VALID_CHARS], ids[-VALID_CHARS:]
    V = MODELS[model][2]
    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, V + 1)  # Zipf: the k-th commonest word has frequency ~ 1/k
    ids = rng.choice(V, size=300_000, p=p / p.sum())
    return ids[:-30_000], ids[-30_000:]


def _initial_weights(model):
    """rnnlesson's seeded initial weights (Keras layout) and a random LSTM bias."""
    import numpy as np

    B, T, V, E, H = MODELS[model]
    m = _rn_model(model)
    w = m.get_weights()
    w[3] = w[3] + np.random.default_rng(1).normal(0, 0.1, w[3].shape).astype(np.float32)
    return w


def _rn_model(model):
    from rnnlesson.layers import LSTM, Dense, Embedding
    from rnnlesson.losses import SparseCategoricalCrossentropy
    from rnnlesson.models import Sequential
    from rnnlesson.optimizers import Adam

    B, T, V, E, H = MODELS[model]
    m = Sequential([Embedding(V, E, seed=0),
                    LSTM(H, return_sequences=True, stateful=True, seed=1),
                    Dense(V, seed=2)])
    m.build((None, T))
    m.compile(optimizer=Adam(learning_rate=LEARNING_RATE, global_clipnorm=CLIP),
              loss=SparseCategoricalCrossentropy(from_logits=True))
    return m


def step_products(model):
    """The matrix products of one rnnlesson training step of ``model``, as (rows, inner,
    columns, count): the LSTM's per-step product over [h_{t-1}; x_t; 1] (K = H + E + 1
    rows of weights), its per-step backward product, the weight and input gradients over
    all T*N columns, and the output layer's three products. ``gemm`` times exactly these
    with each side's BLAS, which shows how much of the step ratio is the BLAS alone."""
    B, T, V, E, H = MODELS[model]
    K, N = H + E + 1, B * T
    return [(4 * H, K, B, T),      # forward, one step: [U; W; b]^T [h; x; 1]
            (H, 4 * H, B, T),      # backward, one step: dL/dh_{t-1} = U dz_t
            (K, N, 4 * H, 1),      # [dU; dW; db] over all steps
            (N, 4 * H, E, 1),      # dL/dx
            (N, H, V, 1),          # output layer: logits
            (H, N, V, 1),          # its weight gradient
            (N, V, H, 1)]          # its input gradient


def time_products(model, impl, repeat=7):
    """Seconds (best of ``repeat``) for every product of :func:`step_products` once, in
    float32 on preallocated arrays, with numpy (``rn``) or torch (``torch``)."""
    import numpy as np

    rng = np.random.default_rng(0)
    work = []
    for m, k, n, count in step_products(model):
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        work.append((a, b, np.empty((m, n), np.float32), count))
    if impl == "torch":
        import torch

        torch.set_num_threads(1)
        mm = torch.matmul
        work = [(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(o), c)
                for a, b, o, c in work]
    else:
        mm = np.matmul

    def run():
        for a, b, out, count in work:
            for _ in range(count):
                mm(a, b, out=out)

    run()
    return min(timeit.repeat(run, number=1, repeat=repeat))


# ============================================================================ the two sides
class RnSide:
    """rnnlesson: ``train_on_batch`` on a stateful model."""

    def __init__(self, model, weights):
        self.m = _rn_model(model)
        self.m.set_weights(weights)

    def grads(self, x, y):
        """Loss and gradients (Keras layout) of one batch, without an update."""
        m = self.m
        m.reset_states()
        loss = m.loss.forward(m.forward(x, training=True), y)
        m.backward(m.loss.backward())
        m.reset_states()
        return float(loss), [g.copy() for g in m.grads.values()]

    def step(self, x, y):
        self.m.train_on_batch(x, y)

    def reset(self, weights):
        self.m.set_weights(weights)
        self.m.reset_states()
        self.m.optimizer.reset()

    def bits_per_char(self, ids, B, T):
        from rnnlesson import lm

        return math.log2(lm.perplexity(self.m, ids, B, T))


class TorchSide:
    """torch: the same network, state carried and detached between windows."""

    def __init__(self, model, weights):
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
        B, T, V, E, H = MODELS[model]
        self.torch = torch
        self.V = V

        class LM(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = torch.nn.Embedding(V, E)
                self.lstm = torch.nn.LSTM(E, H, batch_first=True)
                self.out = torch.nn.Linear(H, V)

            def forward(self, x, state):
                h, state = self.lstm(self.emb(x), state)
                return self.out(h), state

        self.m = LM()
        self.loss = torch.nn.CrossEntropyLoss()
        self.reset(weights)

    def reset(self, weights):
        torch = self.torch
        emb, W, U, b, K, c = (torch.from_numpy(a.copy()) for a in weights)
        with torch.no_grad():
            self.m.emb.weight.copy_(emb)
            self.m.lstm.weight_ih_l0.copy_(W.T)
            self.m.lstm.weight_hh_l0.copy_(U.T)
            self.m.lstm.bias_ih_l0.copy_(b)
            self.m.lstm.bias_hh_l0.zero_()
            self.m.out.weight.copy_(K.T)
            self.m.out.bias.copy_(c)
        self.opt = torch.optim.Adam(self.m.parameters(), lr=LEARNING_RATE, eps=1e-7)
        self.state = None

    def _loss(self, x, y):
        torch = self.torch
        out, state = self.m(torch.from_numpy(x), self.state)
        self.state = tuple(s.detach() for s in state)
        return self.loss(out.reshape(-1, self.V), torch.from_numpy(y).reshape(-1))

    def grads(self, x, y):
        self.state = None
        self.m.zero_grad()
        loss = self._loss(x, y)
        loss.backward()
        self.state = None
        lstm, out = self.m.lstm, self.m.out
        return float(loss), [g.detach().numpy().copy() for g in (
            self.m.emb.weight.grad, lstm.weight_ih_l0.grad.T, lstm.weight_hh_l0.grad.T,
            lstm.bias_ih_l0.grad, out.weight.grad.T, out.bias.grad)]

    def step(self, x, y):
        self.opt.zero_grad()
        loss = self._loss(x, y)
        loss.backward()
        self.torch.nn.utils.clip_grad_norm_(self.m.parameters(), CLIP)
        self.opt.step()

    def bits_per_char(self, ids, B, T):
        from rnnlesson import lm

        torch = self.torch
        state, total, count = None, 0.0, 0
        with torch.no_grad():
            for x, y in lm.lm_batches(ids, B, T):
                out, state = self.m(torch.from_numpy(x), state)
                nll = torch.nn.functional.cross_entropy(
                    out.reshape(-1, self.V).double(), torch.from_numpy(y).reshape(-1),
                    reduction="sum")
                total += float(nll)
                count += y.size
        return total / count / math.log(2)


# ============================================================================ worker
def worker(impl, model, outdir):
    """Serve requests on stdin: calibrate, time N R, train SECONDS, generate, quit."""
    import numpy as np

    from rnnlesson import lm

    B, T, V, E, H = MODELS[model]
    train_ids, valid_ids = _stream(model)
    windows = list(lm.lm_batches(train_ids, B, T))
    weights = _initial_weights(model)
    side = (RnSide if impl == "rn" else TorchSide)(model, weights)
    loss, grads = side.grads(*windows[0])
    np.savez(Path(outdir) / f"{impl}.npz", *grads, loss=loss)
    k = [0]

    def step():
        side.step(*windows[k[0] % len(windows)])
        k[0] += 1

    step()
    print("ready", flush=True)
    number = 1
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "calibrate":
            number = 1
            while (t := timeit.timeit(step, number=number)) < TARGET_SECONDS:
                number = max(number + 1, int(number * TARGET_SECONDS / max(t, 1e-9) * 1.1))
            print(number, flush=True)
        elif cmd[0] == "time":
            n, repeat = int(cmd[1]), int(cmd[2])
            print(repr(min(timeit.repeat(step, number=n, repeat=repeat)) / n), flush=True)
        elif cmd[0] == "train":
            seconds = float(cmd[1])
            side.reset(weights)
            steps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                side.step(*windows[steps % len(windows)])
                steps += 1
            elapsed = time.perf_counter() - t0
            bpc = side.bits_per_char(valid_ids, B, T)
            print(json.dumps({"steps": steps, "seconds": elapsed,
                              "chars_per_s": steps * B * T / elapsed, "bpc": bpc}), flush=True)
        elif cmd[0] == "gemm":
            print(repr(time_products(model, impl)), flush=True)
        elif cmd[0] == "generate":
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                lm.generate(side.m, train_ids[:20], 1000, temperature=0.8, seed=0)
                times.append(time.perf_counter() - t0)
            print(repr(min(times)), flush=True)


# ============================================================================ parent
def _spawn(impl, model, outdir):
    env = dict(os.environ, **THREAD_ENV)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", impl,
                             model, outdir], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _ask(proc, cmd):
    proc.stdin.write(cmd + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(proc.stderr.read())
    return line.strip()


def _median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _agreement(outdir):
    """(|loss difference| / loss, max over gradients of max |diff| / max |torch grad|)."""
    import numpy as np

    a, b = np.load(Path(outdir) / "rn.npz"), np.load(Path(outdir) / "torch.npz")
    loss = abs(float(a["loss"]) - float(b["loss"])) / abs(float(b["loss"]))
    keys = sorted((k for k in a.files if k.startswith("arr_")), key=lambda k: int(k[4:]))
    grad = max(float(np.abs(a[k] - b[k]).max() / np.abs(b[k]).max()) for k in keys)
    return loss, grad


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="char,word", help="comma-separated: char, word")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved step-timing rounds")
    ap.add_argument("--repeat", type=int, default=3, help="timeit runs per round (best counts)")
    ap.add_argument("--seconds", type=float, default=10.0, help="wall time of a training run")
    ap.add_argument("--train-rounds", type=int, default=2,
                    help="interleaved training runs per side (char LM)")
    ap.add_argument("--no-train", action="store_true", help="skip the fixed-time training")
    ap.add_argument("--json", help="also write the raw numbers to this file")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if any(m not in MODELS for m in models):
        ap.error(f"unknown model in {models}; choose from {', '.join(MODELS)}")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    sys.path.insert(0, str(HERE))
    from bench_recurrent import machine_info

    info = machine_info()
    load_before = _load()
    log(f"# {info}; load average {load_before}")
    raw = {"machine": info, "load_before": load_before, "models": {}}
    rows, train_rows, gen, gemm_rows = [], [], None, []
    for model in models:
        with tempfile.TemporaryDirectory() as outdir:
            procs = {impl: _spawn(impl, model, outdir) for impl in IMPLS}
            for impl, p in procs.items():
                if p.stdout.readline().strip() != "ready":
                    raise RuntimeError(f"{impl} {model} worker failed:\n{p.stderr.read()}")
            loss_diff, grad_diff = _agreement(outdir)
            log(f"{model}: rn vs torch on one batch: loss rel diff {loss_diff:.1e}, "
                f"max grad diff / max |grad| {grad_diff:.1e}")
            numbers = {impl: int(_ask(p, "calibrate")) for impl, p in procs.items()}
            times = {impl: [] for impl in IMPLS}
            for r in range(args.rounds):
                for impl in IMPLS[r % 2:] + IMPLS[:r % 2]:
                    times[impl].append(float(_ask(procs[impl],
                                                  f"time {numbers[impl]} {args.repeat}")))
            ratio = _median([a / b for a, b in zip(times["rn"], times["torch"], strict=True)])
            spread = max((max(v) - min(v)) / _median(v) for v in times.values())
            gemm = {impl: [] for impl in IMPLS}
            for r in range(args.rounds):
                for impl in IMPLS[r % 2:] + IMPLS[:r % 2]:
                    gemm[impl].append(float(_ask(procs[impl], "gemm")))
            gemm_rows.append((model, _median(gemm["rn"]), _median(gemm["torch"]),
                              _median(times["rn"]), _median(times["torch"])))
            raw["models"].setdefault(model, {})["gemm"] = gemm
            rows.append((model, _median(times["rn"]), _median(times["torch"]), ratio, spread,
                         loss_diff, grad_diff))
            raw["models"][model].update(times=times, agreement=[loss_diff, grad_diff])
            if model == "char" and not args.no_train:
                runs = {impl: [] for impl in IMPLS}
                for r in range(args.train_rounds):
                    for impl in IMPLS[r % 2:] + IMPLS[:r % 2]:
                        res = json.loads(_ask(procs[impl], f"train {args.seconds}"))
                        log(f"  train {impl}: {res}")
                        runs[impl].append(res)
                train_rows = runs
                raw["train"] = runs
            if model == "char":
                gen = float(_ask(procs["rn"], "generate"))
                raw["generate_1000_s"] = gen
            for p in procs.values():
                p.stdin.write("quit\n")
                p.stdin.flush()
                p.wait(timeout=60)
    load_after = _load()
    raw["load_after"] = load_after

    print(f"\nOne LM training step (next window, forward, cross-entropy, backward, global "
          f"clipnorm 5, Adam), median ms over {args.rounds} interleaved rounds, each the best "
          f"of {args.repeat} timeit runs of about {TARGET_SECONDS} s; one thread each.")
    print(f"Machine: {info}. Load average before {load_before}, after {load_after}.\n")
    print("| model | B, T, V, E, H | rnnlesson ms | torch ms | rn/torch | spread | agreement "
          "(loss, grads) |")
    print("|---|---|---:|---:|---:|---:|---|")
    for model, rn, tt, ratio, spread, ld, gd in rows:
        print(f"| {model} | {', '.join(map(str, MODELS[model]))} | {rn * 1e3:.2f} | "
              f"{tt * 1e3:.2f} | {ratio:.2f} | {spread * 100:.0f}% | {ld:.0e}, {gd:.0e} |")
    if gemm_rows:
        print("\nThe same step's matrix products alone (`step_products`: the LSTM's per-step "
              "products, its weight and input gradients, the output layer's three), float32 "
              "on preallocated arrays, timed with numpy's BLAS and with torch's on the very "
              "same shapes (median of the rounds, each the best of 7):\n")
        print("| model | products, numpy ms | products, torch ms | BLAS ratio | rn step minus "
              "products ms | torch step minus products ms |")
        print("|---|---:|---:|---:|---:|---:|")
        for model, g_rn, g_t, rn, tt in gemm_rows:
            print(f"| {model} | {g_rn * 1e3:.2f} | {g_t * 1e3:.2f} | {g_rn / g_t:.2f} | "
                  f"{(rn - g_rn) * 1e3:.2f} | {(tt - g_t) * 1e3:.2f} |")
    if train_rows:
        B, T = MODELS["char"][:2]
        print(f"\nChar LM trained for {args.seconds:g} s from the same weights, interleaved "
              f"({args.train_rounds} run(s) each); validation: the last {VALID_CHARS:,} "
              "characters.\n")
        print("| side | steps | chars/s | bits/char |")
        print("|---|---:|---:|---:|")
        for impl in IMPLS:
            rs = train_rows[impl]
            print(f"| {impl} | {_median([r['steps'] for r in rs]):.0f} | "
                  f"{_median([r['chars_per_s'] for r in rs]):,.0f} | "
                  f"{_median([r['bpc'] for r in rs]):.3f} |")
        cps = _median([a["chars_per_s"] / b["chars_per_s"]
                       for a, b in zip(train_rows["rn"], train_rows["torch"], strict=True)])
        print(f"\nrnnlesson / torch characters per second: {cps:.2f}")
    if gen is not None:
        print(f"\nlm.generate, 1,000 characters with the char model: {gen * 1e3:.0f} ms "
              "(best of 5)")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
