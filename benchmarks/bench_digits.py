"""The digits models of lesson 07, trained by rnnlesson and by torch: time and accuracy.

For each model (``SimpleRNN(32)`` or ``LSTM(32)``, then ``Dense(10)``) on
``datasets.digits()`` (1,347 training images read as 8 rows of 8 pixels, 450 test images),
both libraries train the same network from the same initial weights (``interop.to_torch``
copies them) with the same settings: Adam with learning rate 0.01 (and Keras's eps 1e-7),
batch size 32, 20 epochs, the training set shuffled every epoch, cross-entropy on the
softmax of the last layer. rnnlesson runs ``Sequential.fit``; torch runs the usual loop
(``nn.LSTM``/``nn.RNN`` + ``nn.Linear``, ``F.cross_entropy`` on the logits, ``optimizer.step``).

One process, one thread for numpy and for torch. Each round uses a new seed (initial
weights and shuffling) and trains both, in alternating order; a time ratio is the median
over rounds of rnnlesson's time / torch's time in the same round (below 1: rnnlesson is
faster). The test accuracies are reported per round, with their mean and spread, so that
"the same accuracy within noise" can be read off.

Usage::

    python benchmarks/bench_digits.py                      # 5 rounds, SimpleRNN and LSTM
    python benchmarks/bench_digits.py --rounds 9 --layers lstm --epochs 20
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy and torch are imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from rnnlesson.datasets import digits  # noqa: E402
from rnnlesson.interop import to_torch  # noqa: E402
from rnnlesson.layers import LSTM, Dense, SimpleRNN  # noqa: E402
from rnnlesson.models import Sequential  # noqa: E402
from rnnlesson.optimizers import Adam  # noqa: E402

torch.set_num_threads(1)
LAYERS = {"simple_rnn": SimpleRNN, "lstm": LSTM}


def build(kind, seed):
    """The lesson's model, built, with initial weights drawn from ``seed``."""
    model = Sequential([LAYERS[kind](32, seed=seed), Dense(10, activation="softmax",
                                                           seed=seed + 1)], seed=seed)
    model.build((None, 8, 8))
    return model


def train_ours(model, data, epochs, batch_size):
    (x, y), (x_test, y_test) = data
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean(model.predict(x_test).argmax(axis=1) == y_test))


def train_torch(model, data, epochs, batch_size, seed):
    """The same network in torch, from the same weights; logits into F.cross_entropy (the
    softmax of the last layer is moved into the loss, as torch code does)."""
    (x, y), (x_test, y_test) = data
    net = to_torch(model)
    net.steps[-1].activation = "linear"
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=0.01, eps=1e-7)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        for k in range(0, len(x), batch_size):
            idx = order[k:k + batch_size]
            opt.zero_grad()
            F.cross_entropy(net(xt[idx]), yt[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        predicted = net(torch.from_numpy(x_test)).argmax(dim=1).numpy()
    return seconds, float(np.mean(predicted == y_test))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--layers", default=",".join(LAYERS))
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args(argv)
    data = digits()
    print(f"load average before: {os.getloadavg()[0]:.2f} | torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread | {args.epochs} epochs, batch {args.batch_size}")
    print("| model | rnnlesson s | torch s | time ratio (ours/torch) | rnnlesson accuracy "
          "| torch accuracy |")
    print("|---|---:|---:|---:|---|---|")
    for kind in args.layers.split(","):
        ours, theirs = [], []
        for r in range(args.rounds):
            seed = 100 + r
            for who in (("torch", "ours") if r % 2 else ("ours", "torch")):  # alternate
                if who == "ours":
                    ours.append(train_ours(build(kind, seed), data, args.epochs,
                                           args.batch_size))
                else:
                    theirs.append(train_torch(build(kind, seed), data, args.epochs,
                                              args.batch_size, seed))
        ratio = statistics.median(o[0] / t[0] for o, t in zip(ours, theirs, strict=True))

        def acc(results):
            a = np.array([r[1] for r in results]) * 100
            return f"{a.mean():.1f}% ± {a.std(ddof=1) if len(a) > 1 else 0:.1f} " \
                   f"({', '.join(f'{v:.1f}' for v in a)})"

        print(f"| {kind} | {statistics.median(o[0] for o in ours):.2f} | "
              f"{statistics.median(t[0] for t in theirs):.2f} | {ratio:.2f} | {acc(ours)} | "
              f"{acc(theirs)} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
