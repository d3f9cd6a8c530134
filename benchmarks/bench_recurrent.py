"""Time one full training step of rnnlesson's recurrent layers against PyTorch and book-style code.

One training step = forward over the whole sequence, loss ``0.5 * sum(out**2)`` on the
full sequence output (N, T, H), backward to every parameter and to the input dX.
No optimizer step. Implementations:

* ``rn``     rnnlesson ``SimpleRNN`` / ``LSTM`` / ``GRU``, float32, ``return_sequences=True``
* ``torch``  ``torch.nn.RNN`` / ``LSTM`` / ``GRU``, float32, ``batch_first=True`` (the same
             (N, T, D) layout as rnnlesson), ``torch.set_num_threads(1)``
* ``book``   the one-cell-object-per-time-step references in ``benchmarks/reference.py``
             (the classic from-scratch textbook structure), float32; skipped if absent
* ``rn64``   rnnlesson in float64

How it measures (each point is a ratio measured inside one run; absolute times on a
shared machine drift):

* every (implementation, shape) runs in its own fresh process, with one BLAS thread
  (``OPENBLAS_NUM_THREADS=1`` and friends, ``torch.set_num_threads(1)``);
* before timing, every process computes the step once on the same weights and inputs
  and the outputs, dX and every gradient are compared with torch's (float32 against
  torch float32, float64 against torch float64); a mismatch is reported and marked;
* each process warms up and calibrates ``timeit`` to about 40 ms per run; then rounds
  are interleaved (rn, torch, book, rn64, rn, torch, ...) while the other processes
  wait idle. In a round a process reports the best of ``--repeat`` runs (3), which
  filters out runs hit by other work on a shared machine; the table reports the
  median time over rounds and the spread (max - min) / median;
* a ratio (rn/torch, book/rn, f64/f32) is the median over rounds of the ratio of the
  two times of the same round, measured seconds apart: a shared machine's speed drifts
  over minutes, and within a round both sides see the same machine.

Usage::

    python benchmarks/bench_recurrent.py                 # everything, 7 rounds (~10 minutes)
    python benchmarks/bench_recurrent.py --quick         # 3 rounds of 1 run, ~2 minutes
    python benchmarks/bench_recurrent.py --layers lstm --shapes tiny,big --rounds 11
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: (B, T, D, H)
SHAPES = {
    "tiny": (1, 8, 18, 64),     # one sentence of one-hot words
    "sine": (32, 50, 1, 32),    # sine-wave regression
    "rows": (64, 28, 28, 64),   # an image read row by row
    "lm": (20, 35, 100, 100),   # a small language model
    "big": (64, 100, 256, 256),  # the largest a learner would try
}
LAYERS = ("simple_rnn", "lstm", "gru")
IMPLS = ("rn", "torch", "book", "rn64")
THREAD_ENV = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
TARGET_SECONDS = 0.04
#: agreement required before timing: (abs tolerance on out/dX, relative tolerance on grads)
TOLERANCES = {"float32": (1e-5, 1e-4), "float64": (1e-10, 1e-10)}


# ============================================================================ worker side
def _weights(layer, D, H, seed=0):
    """Keras-layout float64 weights shared by every implementation: rnnlesson's own init
    (seed 0) plus a random bias so that the bias gradients are exercised."""
    import numpy as np

    from rnnlesson.layers import GRU, LSTM, SimpleRNN

    cls = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}[layer]
    ref = cls(H, dtype="float64", seed=seed)
    ref.build((None, None, D))
    W, U, b = ref.get_weights()
    b = b + np.random.default_rng(seed + 1).normal(scale=0.1, size=b.shape)
    return [W, U, b]


def _inputs(shape, seed=0):
    import numpy as np

    B, T, D, _ = shape
    return np.random.default_rng(seed).normal(size=(B, T, D))


def _torch_params(layer, weights, H):
    """torch tensors (weight_ih, weight_hh, bias_ih, bias_hh) from Keras-layout weights."""
    import numpy as np

    W, U, b = weights
    if layer == "gru":
        # Keras z, r, h  ->  torch r, z, n; Keras bias (2, 3H) = [input bias; recurrent bias]
        perm = np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 3 * H)])
        return W[:, perm].T, U[:, perm].T, b[0][perm], b[1][perm]
    return W.T, U.T, b, np.zeros_like(b)  # SimpleRNN, LSTM: same gate order, one bias


def _keras_grads_from_torch(layer, m, H):
    import numpy as np

    gi = m.weight_ih_l0.grad.numpy().T
    gh = m.weight_hh_l0.grad.numpy().T
    bi, bh = m.bias_ih_l0.grad.numpy(), m.bias_hh_l0.grad.numpy()
    if layer == "gru":
        inv = np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 3 * H)])
        return [gi[:, inv], gh[:, inv], np.stack([bi[inv], bh[inv]])]
    return [gi, gh, bi]  # bias_ih and bias_hh have the same gradient


def _make_step(impl, layer, shape, weights, x64):
    """Return (step, check): step() runs one training step; check() returns the arrays
    (out, dx, grad...) of one step for the agreement check."""
    import numpy as np

    B, T, D, H = shape
    if impl in ("rn", "rn64"):
        from rnnlesson.layers import GRU, LSTM, SimpleRNN

        dtype = "float64" if impl == "rn64" else "float32"
        cls = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}[layer]
        net = cls(H, return_sequences=True, dtype=dtype, seed=0)
        net.build((None, T, D))
        net.set_weights(weights)
        x = x64.astype(dtype)

        def step():
            out = net.forward(x)
            return out, net.backward(out)  # dL/dout = out for L = 0.5 sum(out^2)

        def check():
            out, dx = step()
            return [out, dx] + [g.copy() for g in net.grads.values()]

        return step, check

    if impl == "torch":
        import torch

        torch.set_num_threads(1)
        mod = {"simple_rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer]

        def build(dtype):
            m = mod(D, H, batch_first=True)
            m = m.double() if dtype == torch.float64 else m.float()
            with torch.no_grad():
                for p, w in zip((m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0),
                                _torch_params(layer, weights, H), strict=True):
                    p.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            return m

        m32 = build(torch.float32)
        x32 = torch.from_numpy(x64.astype("float32")).requires_grad_(True)

        def run(m, x):
            m.zero_grad(set_to_none=True)
            x.grad = None
            out, _ = m(x)
            loss = 0.5 * (out * out).sum()
            loss.backward()
            return out

        def step():
            return run(m32, x32)

        def check():
            res = {}
            for name, m, x in (("float32", m32, x32),
                               ("float64", build(torch.float64),
                                torch.from_numpy(x64.copy()).requires_grad_(True))):
                out = run(m, x)
                res[name] = [out.detach().numpy(), x.grad.numpy()] + \
                    _keras_grads_from_torch(layer, m, H)
            return res

        return step, check

    if impl == "book":
        sys.path.insert(0, str(HERE))
        import reference

        ref = reference.build(layer, [w.astype("float32") for w in weights])
        x = x64.astype("float32")

        def step():
            seq = ref.forward(x)
            return seq, ref.backward(seq)

        def check():
            seq = ref.forward(x)
            dx, grads = ref.backward(seq)
            if isinstance(grads, dict):
                grads = [grads[k] for k in ("kernel", "recurrent_kernel", "bias")]
            return [seq, dx] + list(grads)

        return step, check
    raise ValueError(impl)


def worker(impl, layer, shape_name, outdir):
    """Serve timing requests on stdin: 'calibrate', 'time <number>', 'quit'."""
    import numpy as np

    shape = SHAPES[shape_name]
    weights = _weights(layer, shape[2], shape[3])
    step, check = _make_step(impl, layer, shape, weights, _inputs(shape))
    res = check()
    if isinstance(res, dict):
        np.savez(Path(outdir) / f"{impl}.npz", **{f"{k}_{i}": a for k, v in res.items()
                                                  for i, a in enumerate(v)})
    else:
        np.savez(Path(outdir) / f"{impl}.npz", **{f"x_{i}": a for i, a in enumerate(res)})
    step()  # warm-up
    print("ready", flush=True)
    number = 1
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "calibrate":
            number = 1
            while True:
                t = timeit.timeit(step, number=number)
                if t >= TARGET_SECONDS:
                    break
                number = max(number * 2, int(number * TARGET_SECONDS / max(t, 1e-9) * 1.1))
            print(number, flush=True)
        elif cmd[0] == "time":
            n, repeat = int(cmd[1]), int(cmd[2])
            print(repr(min(timeit.repeat(step, number=n, repeat=repeat)) / n), flush=True)


# ============================================================================ parent side
def _spawn(impl, layer, shape_name, outdir):
    env = dict(os.environ, **THREAD_ENV)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", impl, layer, shape_name,
         outdir],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)


def _ask(proc, cmd):
    proc.stdin.write(cmd + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(proc.stderr.read())
    return line.strip()


def _agreement(outdir, impls):
    """Max differences of each implementation against torch (same dtype)."""
    import numpy as np

    path = Path(outdir) / "torch.npz"
    if not path.exists():
        return {}
    t = np.load(path)
    ref = {dt: [t[f"{dt}_{i}"] for i in range(len([k for k in t if k.startswith(dt)]))]
           for dt in ("float32", "float64")}
    res = {}
    for impl in impls:
        if impl == "torch":
            continue
        d = np.load(Path(outdir) / f"{impl}.npz")
        ours = [d[f"x_{i}"] for i in range(len(d.files))]
        dt = "float64" if impl == "rn64" else "float32"
        theirs = ref[dt]
        if len(ours) != len(theirs) or any(a.shape != b.shape
                                           for a, b in zip(ours, theirs, strict=True)):
            res[impl] = (float("inf"), float("inf"), False)
            continue
        out_err = max(float(np.abs(a - b).max()) for a, b in zip(ours[:2], theirs[:2], strict=True))
        grad_err = max(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
                       for a, b in zip(ours[2:], theirs[2:], strict=True))
        atol, rtol = TOLERANCES[dt]
        res[impl] = (out_err, grad_err, out_err <= atol and grad_err <= rtol)
    return res


def run_group(layer, shape_name, impls, rounds, repeat, log):
    """Time every implementation on one (layer, shape); returns per-impl list of seconds."""
    with tempfile.TemporaryDirectory() as outdir:
        procs = {impl: _spawn(impl, layer, shape_name, outdir) for impl in impls}
        alive = {}
        for impl, p in procs.items():
            line = p.stdout.readline().strip()
            if line == "ready":
                alive[impl] = p
            else:
                err = p.stderr.read().strip().splitlines()
                log(f"  {impl}: not run ({err[-1] if err else 'no output'})")
                p.kill()
        agree = _agreement(outdir, list(alive))
        for impl, (oe, ge, ok) in agree.items():
            log(f"  {impl} vs torch: max |out, dX| diff {oe:.1e}, max grad diff / max|grad| "
                f"{ge:.1e} {'ok' if ok else 'MISMATCH'}")
        numbers = {impl: int(_ask(p, "calibrate")) for impl, p in alive.items()}
        times = {impl: [] for impl in alive}
        order = list(alive)
        for r in range(rounds):
            for impl in order[r % len(order):] + order[:r % len(order)]:
                times[impl].append(float(_ask(alive[impl], f"time {numbers[impl]} {repeat}")))
        for p in alive.values():
            p.stdin.write("quit\n")
            p.stdin.flush()
            p.wait(timeout=30)
    return times, agree


def _median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _fmt_ms(t):
    ms = t * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.1f}"


def machine_info():
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        tv = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                            capture_output=True, text=True, timeout=120).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        tv = "?"
    return (f"{datetime.date.today().isoformat()}, {cpu}, {os.cpu_count()} vCPU, "
            f"Python {platform.python_version()}, numpy {np.__version__}, torch {tv or 'absent'}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", default=",".join(LAYERS),
                    help="comma-separated subset of " + ", ".join(LAYERS))
    ap.add_argument("--shapes", default=",".join(SHAPES),
                    help="comma-separated subset of " + ", ".join(SHAPES))
    ap.add_argument("--impls", default=",".join(IMPLS), help="subset of " + ", ".join(IMPLS))
    ap.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (default 7)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="timeit runs of ~40 ms per round, the best one counts (default 3)")
    ap.add_argument("--quick", action="store_true",
                    help="3 rounds of 1 run (about 2 minutes in all)")
    ap.add_argument("--json", help="also write the raw times to this file")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    layers = [s.strip() for s in args.layers.split(",") if s.strip()]
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    impls = [s.strip() for s in args.impls.split(",") if s.strip()]
    for name, got, allowed in (("layers", layers, LAYERS), ("shapes", shapes, SHAPES),
                               ("impls", impls, IMPLS)):
        bad = [g for g in got if g not in allowed]
        if bad:
            ap.error(f"unknown {name} {bad}; choose from {', '.join(allowed)}")
    if not (HERE / "reference.py").exists() and "book" in impls:
        impls.remove("book")
        print("(benchmarks/reference.py not found: the book-style column is skipped)")
    rounds = 3 if args.quick else args.rounds
    repeat = 1 if args.quick else args.repeat

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    info = machine_info()
    log(f"# {info}; {rounds} rounds, best of {repeat} per round")
    results = []
    for layer in layers:
        for shape_name in shapes:
            log(f"{layer} {shape_name} {SHAPES[shape_name]}")
            times, agree = run_group(layer, shape_name, impls, rounds, repeat, log)
            results.append((layer, shape_name, times, agree))

    print(f"\nOne training step (forward, loss 0.5*sum(out**2) on the full sequence, backward "
          f"to all parameters and dX), median ms over {rounds} interleaved rounds, each "
          f"the best of {repeat} timeit run(s) of about 40 ms; "
          "one thread each; torch float32 batch_first=True.")
    print(f"Machine: {info}.\n")
    print("| layer | shape | B, T, D, H | rnnlesson f32 | torch | book | rnnlesson f64 | "
          "rn/torch | book/rn | f64/f32 | spread |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    raw = []
    for layer, shape_name, times, agree in results:
        med = {k: _median(v) for k, v in times.items() if v}
        spread = max(((max(v) - min(v)) / _median(v) for v in times.values() if v), default=0)

        def cell(k, med=med, agree=agree):
            if k not in med:
                return "–"
            mark = "" if k == "torch" or agree.get(k, (0, 0, True))[2] else " (!)"
            return _fmt_ms(med[k]) + mark

        def ratio(a, b, times=times):
            if not (times.get(a) and times.get(b)):
                return "–"
            return f"{_median([x / y for x, y in zip(times[a], times[b], strict=True)]):.2f}"

        print(f"| {layer} | {shape_name} | {', '.join(map(str, SHAPES[shape_name]))} | "
              f"{cell('rn')} | {cell('torch')} | {cell('book')} | {cell('rn64')} | "
              f"{ratio('rn', 'torch')} | {ratio('book', 'rn')} | {ratio('rn64', 'rn')} | "
              f"{spread * 100:.0f}% |")
        raw.append({"layer": layer, "shape": shape_name, "times": times,
                    "agreement": {k: list(v) for k, v in agree.items()}})
    print("\nRatios: median over rounds of the two times of one round. spread: the largest "
          "(max - min) / median of the row's implementations. (!) marks an implementation "
          "whose outputs or gradients disagreed with torch.")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rounds": rounds, "repeat": repeat,
                                               "results": raw}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
