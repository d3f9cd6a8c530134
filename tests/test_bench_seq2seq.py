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


def test_starts_runs_lesson_08s_runs_from_both_starts(bench, monkeypatch, capsys):
    import argparse

    monkeypatch.setattr(bench, "LESSON_08", [
        ("addition", 200, 8, 0.01, 2, "peeky + reversed", {"peeky": True, "reverse_source": True}),
        ("dates", 100, 8, 0.02, 1, "dot", {"attention": "dot"}),
    ])
    bench.starts(argparse.Namespace(seed=3))
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()
            if line.startswith("| addition") or line.startswith("| dates")]
    assert [(r[0].strip(), r[2].strip()) for r in rows] == [
        ("addition", "keras"), ("addition", "dlfs2"), ("dates", "keras"), ("dates", "dlfs2")]
    assert [len(r[3].split("/")) for r in rows] == [2, 2, 1, 1]  # one accuracy per epoch
    # the two starts are different networks: their losses after the same training differ
    loss = [float(r[4]) for r in rows]
    assert loss[0] != loss[1] and loss[2] != loss[3]
