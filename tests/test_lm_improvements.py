"""benchmarks/lm_improvements.py: the four models, a tiny run, and the offline message."""

import pytest
from bench_scripts import load_script

from rnnlesson.layers import Dropout, TiedDense


@pytest.fixture(scope="module")
def script():
    return load_script("lm_improvements")


def test_each_variant_adds_one_change(script):
    V, H = 50, 8
    lstm = 4 * H * (2 * H + 1)
    counts = {}
    for v in script.VARIANTS:
        m = script.build(v, V, H, 0.3, 0.0)
        m.build((None, 5))
        counts[v] = m.count_params()
        assert any(isinstance(layer, Dropout) for layer in m.layers) == (v in ("dropout", "tied"))
        assert isinstance(m.layers[-1], TiedDense) == (v == "tied")
    assert counts["rnnlm"] == V * H + lstm + H * V + V
    assert counts["2 layers"] == counts["dropout"] == counts["rnnlm"] + lstm
    assert counts["tied"] == counts["dropout"] - H * V        # the output matrix is shared


def test_a_tiny_run_prints_the_table(script, capsys):
    script.main(["--data", "shakespeare", "--variants", "rnnlm,tied", "--epochs", "1",
                 "--size", "8", "--batch", "4", "--seq-len", "20", "--train-tokens", "4001",
                 "--valid-tokens", "801"])
    out = capsys.readouterr().out
    assert "| model | parameters | validation perplexity | bits/char | training time |" in out
    assert "| rnnlm | 1,649 |" in out and "| tied | 1,673 |" in out   # V = 65, H = 8
    assert "--train-tokens 4001" in out


def test_without_penn_treebank_it_says_why(script, monkeypatch):
    def offline(*a, **k):
        raise ConnectionError("Could not download ptb.train.txt (offline)")

    monkeypatch.setattr("rnnlesson.datasets.ptb", offline)
    with pytest.raises(SystemExit, match="(?s)Penn Treebank is not available.*offline.*--data "
                                         "shakespeare"):
        script.main(["--data", "ptb"])
