"""benchmarks/bench_seq2seq.py's DLFS2 starting point for our model (``--start dlfs2``)."""

import numpy as np
import pytest
from bench_scripts import load_script

from rnnlesson.models import Seq2Seq


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_seq2seq")


def test_dlfs2_start_sets_weights_and_zeroes_the_decoders_c(bench):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 7, size=(16, 5))
    y = rng.integers(0, 7, size=(16, 4))
    model = Seq2Seq(7, 7, 4, 6, attention="dot", seed=0)
    model.compile("adam")
    seen = []  # what reaches the encoder's own backward (installed before the start's hook)
    backward = model.encoder.backward
    model.encoder.backward = lambda g: (seen.append(g[2]), backward(g))[1]
    bench.dlfs2_start(model, np.random.default_rng(1))
    for name, w in model.params.items():
        if name.endswith("bias"):
            assert not w.any(), name  # no forget-gate bias of 1
        elif name.endswith("embeddings"):
            assert 0.005 < w.std() < 0.015, name
        else:
            assert 0.5 < w.std() * np.sqrt(w.shape[0]) < 1.5, name
    h, c = model.encode(x)[2]
    assert h.any() and not c.any()
    # c = 0 is a constant: the encoder's final c gets no gradient from the decoder
    first = model.train_on_batch(x, y)
    assert seen and not seen[0].any()
    for _ in range(20):
        last = model.train_on_batch(x, y)
    assert last < first


def test_dlfs2_start_on_a_gru_model_keeps_its_one_state(bench):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 7, size=(8, 5))
    y = rng.integers(0, 7, size=(8, 4))
    model = Seq2Seq(7, 7, 4, 6, cell="gru", peeky=True, seed=0)
    model.compile("adam")
    bench.dlfs2_start(model, np.random.default_rng(1))
    (h,) = model.encode(x)[2]
    assert h.any()
    assert np.isfinite(model.train_on_batch(x, y))
