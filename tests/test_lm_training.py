"""LMTrainer: the char-LM trainer behind the TextGenerator widget (no Jupyter needed)."""

import math

import numpy as np
import pytest

from rnnlesson import lm
from rnnlesson.lm_training import LMTrainer, TrainingDiverged

SMALL = {"hidden_size": 32, "embedding_dim": 16, "batch_size": 8, "seq_len": 32}


@pytest.fixture(scope="module")
def trained():
    tr = LMTrainer(seed=0, val_every=50, **SMALL)
    tr.run(150)
    return tr


def test_it_learns_from_the_uniform_baseline(trained):
    h = trained.history
    V = len(trained.vocab)
    assert V == 65
    assert h["loss"][0] == pytest.approx(math.log(V), abs=0.05)   # a fresh model guesses
    assert h["val_step"] == [1, 50, 100, 150]
    assert h["val_loss"][-1] < 0.8 * math.log(V)
    assert np.mean(h["loss"][-10:]) < 0.8 * h["loss"][0]
    np.testing.assert_allclose(h["val_bpc"], np.array(h["val_loss"]) / math.log(2))
    assert len(h["loss"]) == len(h["grad_norm"]) == len(h["time"]) == 150


def test_reset_replays_the_same_numbers():
    tr = LMTrainer(seed=3, **SMALL)
    tr.run(12)
    first = list(tr.history["loss"]), tr.sample(40)
    tr.reset()
    assert tr.step_count == 0 and tr.history["loss"] == []
    tr.run(12)
    assert (list(tr.history["loss"]), tr.sample(40)) == first


def test_the_text_is_read_in_passes_with_the_state_reset_between():
    text = "to be or not to be, that is the question.\n" * 50      # 2100 characters
    tr = LMTrainer(text, hidden_size=8, embedding_dim=4, batch_size=4, seq_len=20, seed=0)
    per_pass = ((len(tr.train_ids) - 1) // 4) // 20
    tr.run(per_pass)
    assert tr.epoch == 1
    lstm = tr.model.layers[1]
    assert lstm.states is not None and np.abs(lstm.states[0]).max() > 0   # carried
    tr.step()                                                              # the next pass
    assert tr.epoch == 2


def test_samples(trained):
    tr = trained
    lstm = tr.model.layers[1]
    before = [s.copy() for s in lstm.states]
    a = tr.sample(120)
    assert len(a) == 120 and tr.vocab.decode(tr.vocab.encode(a)) == a  # its characters
    assert tr.sample(120) == a                       # the same step: the same sample
    assert tr.sample(120, temperature=1.5) != a      # the temperature changes it
    assert tr.sample(60, temperature=0) == tr.sample(60, temperature=0, seed=99)  # greedy
    # the model reads the held-out text's first speeches, then the prompt, then writes
    primer = tr.primer
    assert primer.endswith("\n\n") and 100 < len(primer) <= 400
    assert tr.vocab.encode(primer) == list(tr.val_ids[:len(primer)])
    seed = tr.seed + tr.step_count
    for prompt in ("JULIET:", ""):
        ids = tr.vocab.encode(primer + prompt)
        assert tr.sample(120, prompt=prompt) == tr.vocab.decode(
            lm.generate(tr.model, ids, 120, temperature=tr.temperature, seed=seed))
    tr.primer = ""                                   # no primer: from the zero state
    try:
        assert tr.sample(120, prompt="JULIET:") == tr.vocab.decode(lm.generate(
            tr.model, tr.vocab.encode("JULIET:"), 120, temperature=tr.temperature, seed=seed))
        assert tr.sample(30, prompt="") == tr.vocab.decode(lm.generate(
            tr.model, tr.vocab.encode("\n"), 30, temperature=tr.temperature, seed=seed))
    finally:
        tr.primer = primer
    for s0, s1 in zip(before, lstm.states, strict=True):
        np.testing.assert_array_equal(s0, s1)        # training's state is left alone
    with pytest.raises(ValueError, match="'~'"):
        tr.sample(10, prompt="~")
    with pytest.raises(ValueError, match="temperature"):
        tr.sample(10, temperature=-1)


def test_learning_rate_applies_to_the_next_step():
    tr = LMTrainer(seed=0, **SMALL)
    tr.run(2)
    tr.learning_rate = 1e-4
    tr.run(2)
    assert tr.history["learning_rate"] == [2e-3, 2e-3, 1e-4, 1e-4]
    assert tr.model.optimizer.learning_rate == 1e-4


def test_a_huge_learning_rate_stops_with_a_message():
    tr = LMTrainer(seed=0, learning_rate=50.0, global_clipnorm=None, **SMALL)
    with pytest.raises(TrainingDiverged, match="Training stopped at step"):
        tr.run(200)
    n = tr.step_count
    with pytest.raises(TrainingDiverged, match="reset"):
        tr.step()
    assert tr.step_count == n
    tr.reset(learning_rate=2e-3)
    tr.run(3)
    assert np.all(np.isfinite(tr.history["loss"]))


def test_bad_arguments():
    with pytest.raises(TypeError, match="one str"):
        LMTrainer(["to be"])
    with pytest.raises(ValueError, match="too few"):
        LMTrainer("to be or not to be", batch_size=4, seq_len=10)
    with pytest.raises(ValueError, match="hidden_size"):
        LMTrainer(hidden_size=0)
    with pytest.raises(TypeError, match="prompt"):
        LMTrainer(**SMALL).sample(5, prompt=3)
    tr = LMTrainer(**SMALL)
    tr.primer = None
    with pytest.raises(TypeError, match="primer must be a str"):
        tr.sample(5)
