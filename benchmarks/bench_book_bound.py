"""How fast can rnnlesson's SimpleRNN be against the book-style reference? GEMM rates and floors.

Times, in one process on one BLAS thread and interleaved over rounds (medians):

* every matrix product of one training step as the book-style reference does it
  (6 per time step: x_t Wx, h Wh, x_tᵀ dA, hᵀ dA, dA Wxᵀ, dA Whᵀ) and as rnnlesson
  does it (x W, dL/dW, dL/dU and dL/dX once over all T·N rows; h U and dA Uᵀ per step);
* a 1024³ product, the machine's practical peak for one thread;
* np.tanh and one elementwise pass on an (N, H) block;
* full training steps of ``SimpleRNN`` and ``reference.SimpleRNNReference``.

and prints, per shape, the FLOPs, the GF/s of each product, the time the FLOPs would
take at the peak, rnnlesson's floor (its own products at their measured rates plus
T tanh and 4 elementwise passes per step) and the book step divided by both bounds.

Usage::

    python benchmarks/bench_book_bound.py                  # all shapes, 7 rounds
    python benchmarks/bench_book_bound.py lm,big 9
"""

from __future__ import annotations

import os
import sys
import timeit
from pathlib import Path

for _k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_k, "1")

import numpy as np  # noqa: E402  (after the thread settings)

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import reference  # noqa: E402
from bench_recurrent import SHAPES  # noqa: E402

from rnnlesson.layers import SimpleRNN  # noqa: E402


def _number(fn, seconds=0.01):
    n = 1
    while timeit.timeit(fn, number=n) < seconds:
        n *= 2
    return n


def measure(shape_name, rounds):
    n_, t_, d_, h_ = SHAPES[shape_name]
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape).astype("float32")

    xs = rand(n_, t_, d_)
    xt = xs[:, t_ // 2, :]          # a strided (N, D) view, as the book's xs[:, t, :]
    wx, wh = rand(d_, h_), rand(h_, h_)
    h, da = rand(n_, h_), rand(n_, h_)
    x2, h2, da2 = rand(t_ * n_, d_), rand(t_ * n_, h_), rand(t_ * n_, h_)
    wh_t = np.ascontiguousarray(wh.T)
    z = np.empty((n_, h_), "float32")
    dot, matmul = np.dot, np.matmul
    fx, fh = 2 * n_ * d_ * h_, 2 * n_ * h_ * h_
    # name: (function, flops of one call, calls per training step)
    gemms = {
        "book x_t Wx": (lambda: dot(xt, wx), fx, t_),
        "book h Wh": (lambda: dot(h, wh), fh, t_),
        "book x_tᵀ dA": (lambda: dot(xt.T, da), fx, t_),
        "book hᵀ dA": (lambda: dot(h.T, da), fh, t_),
        "book dA Wxᵀ": (lambda: dot(da, wx.T), fx, t_),
        "book dA Whᵀ": (lambda: dot(da, wh.T), fh, t_),
        "rn X W (all rows)": (lambda: matmul(x2, wx), fx * t_, 1),
        "rn h U (per step)": (lambda: dot(h, wh, z), fh, t_),
        "rn dA Uᵀ (per step)": (lambda: dot(da, wh_t, z), fh, t_),
        "rn Hᵀ dA (all rows)": (lambda: matmul(h2.T, da2), fh * t_, 1),
        "rn Xᵀ dA (all rows)": (lambda: matmul(x2.T, da2), fx * t_, 1),
        "rn dA Wᵀ (all rows)": (lambda: matmul(da2, wx.T), fx * t_, 1),
    }
    big_a, big_b = rand(1024, 1024), rand(1024, 1024)
    zz, oo = rand(n_, h_), np.empty((n_, h_), "float32")
    net = SimpleRNN(h_, return_sequences=True, seed=0)
    net.build((None, t_, d_))
    ref = reference.SimpleRNNReference(*net.get_weights())

    def rn_step():
        net.backward(net.forward(xs))

    def book_step():
        ref.backward(ref.forward(xs))

    others = {"peak 1024³": lambda: matmul(big_a, big_b), "tanh (N, H)": lambda: np.tanh(zz, oo),
              "multiply (N, H)": lambda: np.multiply(zz, zz, oo),
              "step rnnlesson": rn_step, "step book": book_step}
    funcs = {k: v[0] for k, v in gemms.items()} | others
    numbers = {k: _number(f) for k, f in funcs.items()}
    times = {k: [] for k in funcs}
    for _ in range(rounds):
        for k, f in funcs.items():
            times[k].append(min(timeit.repeat(f, number=numbers[k], repeat=3)) / numbers[k])
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}

    print(f"== {shape_name} (N, T, D, H) = {(n_, t_, d_, h_)}")
    total = {"book": 0.0, "rn": 0.0}
    flops = 0
    for k, (_, fl, calls) in gemms.items():
        print(f"  {k:22s} {med[k] * 1e6:10.2f} µs  {fl / med[k] / 1e9:6.1f} GF/s  x{calls}")
        side = k.split()[0]
        total[side] += med[k] * calls
        flops += fl * calls if side == "rn" else 0
    peak = 2 * 1024 ** 3 / med["peak 1024³"]
    bound = flops / peak
    floor = total["rn"] + t_ * (med["tanh (N, H)"] + 4 * med["multiply (N, H)"])
    book, rn = med["step book"], med["step rnnlesson"]
    print(f"  {flops / 1e6:.1f} MFLOP per step; peak {peak / 1e9:.1f} GF/s; tanh (N, H) "
          f"{med['tanh (N, H)'] * 1e6:.2f} µs")
    print(f"  GEMMs alone: book {total['book'] * 1e3:.3f} ms, rnnlesson {total['rn'] * 1e3:.3f} ms")
    print(f"  step: book {book * 1e3:.3f} ms, rnnlesson {rn * 1e3:.3f} ms, book/rn {book / rn:.2f}")
    print(f"  bounds for rnnlesson: FLOPs at peak {bound * 1e3:.3f} ms (book/that "
          f"{book / bound:.2f}); floor {floor * 1e3:.3f} ms (book/floor {book / floor:.2f})")


def main(argv):
    shapes = argv[0].split(",") if argv else list(SHAPES)
    rounds = int(argv[1]) if len(argv) > 1 else 7
    for s in shapes:
        measure(s, rounds)


if __name__ == "__main__":
    main(sys.argv[1:])
