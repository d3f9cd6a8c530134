"""The step-based trainer behind the widgets, tested on its own (no Jupyter)."""

import subprocess
import sys

import numpy as np
import pytest
from numerics import assert_close

from rnnlesson import optimizers
from rnnlesson.models import TrainingDiverged as ModelsTrainingDiverged
from rnnlesson.optimizers import global_norm
from rnnlesson.training import (
    TASKS,
    Task,
    Trainer,
    TrainingDiverged,
    make_task,
    register_task,
)


@pytest.mark.parametrize("task", ["sine", "sentiment", "adding"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_task_and_cell_steps(task, cell):
    tr = Trainer(task, cell, hidden_size=6, learning_rate=1e-2, seed=1)
    out = tr.step()
    assert out["step"] == 1
    assert np.isfinite(out["loss"]) and out["loss"] > 0
    assert np.isfinite(out["grad_norm"]) and out["grad_norm"] > 0
    assert "val_loss" in out  # validated at step 1
    T = tr.task.probe.shape[1]
    if cell == "lstm":
        assert set(out["gates"]) == {"i", "f", "o", "c~", "c", "h"}
        for v in out["gates"].values():
            assert v.shape == (T, 6)
    else:
        assert "gates" not in out
    assert tr.probe_states().shape == (T, 6)
    view = tr.view()
    assert view["kind"] in {"series", "phrases", "scatter"}


def test_sine_loss_goes_down():
    tr = Trainer("sine", "lstm", 16, 1e-2, seed=0)
    tr.run(300)
    loss = np.array(tr.history["loss"])
    assert loss[-20:].mean() < 0.3 * loss[:5].mean()
    assert tr.history["val_loss"][-1] < 0.3 * tr.history["val_loss"][0]


def test_sentiment_learns_the_toy_phrases():
    tr = Trainer("sentiment", "gru", 16, 1e-2, seed=0)
    tr.run(300)
    assert tr.history["val_accuracy"][-1] >= 0.9
    view = tr.view()
    assert len(view["texts"]) == len(view["probability"]) == len(tr.task.y_val)


def test_sentiment_onehot_encoding():
    tr = Trainer("sentiment", "rnn", 4, seed=0, task_options={"encoding": "onehot"})
    assert tr.task.x_train.ndim == 3  # (N, T, V)
    assert tr.task.x_train.shape[-1] == len(tr.task.info["vocabulary"])
    assert np.isfinite(tr.step()["loss"])


def test_adding_task_shapes_and_options():
    task = make_task("adding", seed=3, T=30, n_train=100, n_val=10)
    assert task.x_train.shape == (100, 30, 2) and task.y_train.shape == (100, 1)
    assert task.x_val.shape == (10, 30, 2)
    assert task.probe_labels.count("*") == 2
    with pytest.raises(ValueError, match="T"):
        make_task("adding", T=1)


def test_reset_replays_identical_numbers():
    tr = Trainer("adding", "lstm", 8, 1e-2, seed=5)
    tr.run(40)
    first = {k: list(v) for k, v in tr.history.items() if k != "time"}
    weights = [p.copy() for p in tr.model.params.values()]
    tr.learning_rate = 0.05
    tr.run(5)
    tr.reset(learning_rate=1e-2)
    assert tr.step_count == 0 and tr.history["loss"] == []
    tr.run(40)
    again = {k: list(v) for k, v in tr.history.items() if k != "time"}
    assert again == first
    for a, b in zip(weights, tr.model.params.values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_different_seeds_give_different_runs():
    a = Trainer("sine", "rnn", 8, seed=0)
    b = Trainer("sine", "rnn", 8, seed=1)
    a.run(5)
    b.run(5)
    assert a.history["loss"] != b.history["loss"]


def test_learning_rate_applies_from_the_next_step():
    tr = Trainer("sine", "gru", 8, 1e-2, seed=0)
    tr.run(3)
    tr.learning_rate = 3e-3
    assert tr.optimizer.learning_rate == 3e-3
    tr.run(2)
    assert tr.history["learning_rate"] == [1e-2] * 3 + [3e-3] * 2
    with pytest.raises(ValueError, match="positive"):
        tr.learning_rate = -1.0
    with pytest.raises(TypeError):
        tr.learning_rate = "fast"


def test_huge_learning_rate_stops_with_a_readable_message():
    tr = Trainer("sine", "lstm", 16, learning_rate=10.0, seed=0)
    with pytest.raises(TrainingDiverged) as info:
        tr.run(200)
    msg = str(info.value)
    assert "Training stopped at step" in msg and "learning rate" in msg
    assert info.value.reason in {"loss_growth", "nonfinite"}
    assert tr.diverged == msg
    n = tr.step_count
    with pytest.raises(TrainingDiverged, match="reset"):
        tr.step()
    assert tr.step_count == n  # no step taken after stopping
    tr.reset(learning_rate=1e-2)
    tr.run(20)
    assert np.all(np.isfinite(tr.history["loss"]))


def test_nonfinite_loss_skips_the_update():
    tr = Trainer("sine", "rnn", 4, 1e-2, seed=0)
    tr.run(2)
    first = next(iter(tr.model.params))  # the recurrent layer's kernel
    tr.model.params[first][...] = np.nan
    before = [p.copy() for p in tr.model.params.values()]
    with pytest.raises(TrainingDiverged) as info:
        tr.step()
    assert info.value.reason == "nonfinite"
    assert "NaN" in str(info.value)
    for a, b in zip(before, tr.model.params.values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_nonfinite_loss_value_is_caught_before_the_update():
    class NanLoss:
        def forward(self, y, t):
            self._d = y - t
            return float("nan")

        def backward(self):
            return 2 * self._d / self._d.size

    tr = Trainer("sine", "rnn", 4, 1e-2, seed=0)
    tr.loss = NanLoss()
    before = [p.copy() for p in tr.model.params.values()]
    with pytest.raises(TrainingDiverged, match="loss became nan"):
        tr.step()
    for a, b in zip(before, tr.model.params.values(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isnan(tr.history["loss"][-1])


def test_loss_growth_guard_uses_the_factor():
    calls = {"n": 0}

    class Growing:
        """A loss that reports a value growing 1, 2, 3, ... (gradients from MSE)."""

        def forward(self, y, t):
            self._d = y - t
            if len(y) != 32:  # the validation set: not part of the training curve
                return 1.0
            calls["n"] += 1
            return float(calls["n"])

        def backward(self):
            return 2 * self._d / self._d.size

    tr = Trainer("sine", "rnn", 4, 1e-3, seed=0, max_loss_factor=3.0, val_every=1000)
    tr.loss = Growing()
    # medians of the last 5 losses: 1, 1.5, 2, 2.5, 3, 4 -> the 6th step exceeds 3 x 1
    for _ in range(5):
        tr.step()
    with pytest.raises(TrainingDiverged) as info:
        tr.step()
    assert info.value.reason == "loss_growth" and info.value.step == 6


def _sgd_step_is(tr, before, clip):
    """The step of an SGD trainer moved each weight by lr * clip(gradient), where ``clip``
    maps the float64 gradients (by key) to the clipped ones."""
    grads = {k: g.astype(np.float64) for k, g in tr.model.grads.items()}  # not clipped in place
    clipped = clip(grads)
    for key, p in tr.model.params.items():
        expected = before[key].astype(np.float64) - tr.learning_rate * clipped[key]
        # one product and one difference in float32, on the scale of the weights
        assert_close(p, expected, dtype="float32", terms=2,
                     scale=float(np.abs(before[key]).max()), what=key)


def test_global_clipnorm_logs_the_norm_before_clipping():
    tr = Trainer("adding", "lstm", 8, 1e-2, seed=0, global_clipnorm=1e-3, optimizer="sgd")
    assert tr.optimizer.global_clipnorm == 1e-3 and tr.optimizer.clipnorm is None
    before = {k: p.copy() for k, p in tr.model.params.items()}
    out = tr.step()
    assert out["grad_norm"] > 1e-3
    assert out["grad_norm"] == pytest.approx(global_norm(tr.model.grads), rel=1e-12)
    # every array scaled by the same factor 1e-3 / (global norm)
    _sgd_step_is(tr, before, lambda g: {k: v * (1e-3 / out["grad_norm"]) for k, v in g.items()})
    free = Trainer("adding", "lstm", 8, 1e-2, seed=0)
    assert free.step()["grad_norm"] == pytest.approx(out["grad_norm"], rel=1e-6)


def test_clipnorm_clips_each_array_on_its_own():
    tr = Trainer("adding", "lstm", 8, 1e-2, seed=0, clipnorm=1e-3, optimizer="sgd")
    assert tr.optimizer.clipnorm == 1e-3 and tr.optimizer.global_clipnorm is None
    before = {k: p.copy() for k, p in tr.model.params.items()}
    tr.step()
    norms = {k: np.sqrt((g.astype(np.float64) ** 2).sum()) for k, g in tr.model.grads.items()}
    assert all(n > 1e-3 for n in norms.values())  # so every array is clipped, each its own way
    assert max(norms.values()) > 2 * min(norms.values())  # (and one factor would not do)
    _sgd_step_is(tr, before, lambda g: {k: v * (1e-3 / norms[k]) for k, v in g.items()})
    with pytest.raises(ValueError, match="not both"):
        Trainer("adding", "lstm", 8, clipnorm=1.0, global_clipnorm=1.0)


def test_trainer_builds_its_optimizer_with_optimizers_get(monkeypatch):
    calls = []
    real_get = optimizers.get

    def spy(identifier):
        calls.append(identifier)
        return real_get(identifier)

    monkeypatch.setattr(optimizers, "get", spy)
    tr = Trainer("sine", "rnn", 4, 3e-3, seed=0, optimizer="rmsprop", global_clipnorm=2.0)
    assert type(tr.optimizer) is optimizers.RMSprop
    assert tr.optimizer.learning_rate == 3e-3 and tr.optimizer.global_clipnorm == 2.0
    n = len(calls)
    tr.reset()
    assert len(calls) == n + 1 and calls[-1]["name"] == "rmsprop"
    # an optimizer object is a template: its settings are kept, the learning rate is ours
    templ = Trainer("sine", "rnn", 4, 1e-2, seed=0, optimizer=optimizers.SGD(0.5, momentum=0.9))
    assert templ.optimizer.momentum == 0.9 and templ.optimizer.learning_rate == 1e-2


def test_one_training_diverged_class():
    assert TrainingDiverged is ModelsTrainingDiverged
    err = TrainingDiverged("boom", step=3, reason="loss_growth")
    assert (err.step, err.reason, err.history, err.epoch, err.batch) == (3, "loss_growth",
                                                                         None, None, None)


def test_validation_is_sparser_and_documented_steps():
    tr = Trainer("sine", "rnn", 4, seed=0, val_every=10)
    tr.run(35)
    assert len(tr.history["loss"]) == 35
    assert tr.history["val_step"] == [1, 10, 20, 30]
    assert len(tr.history["val_loss"]) == 4
    assert np.all(np.diff(tr.history["time"]) >= 0)


def test_probe_gates_are_the_layer_gates():
    tr = Trainer("adding", "lstm", 5, seed=0, task_options={"T": 12})
    tr.run(3)
    g = tr.probe_gates()
    ref = tr.recurrent_layer.gate_activations(tr.task.probe)
    for k in ("i", "f", "o", "c~", "c", "h"):
        np.testing.assert_array_equal(g[k], ref[k][0])
    for k in ("i", "f", "o"):
        assert g[k].min() >= 0 and g[k].max() <= 1
    # h = o * tanh(c): two roundings from the float32 gates
    assert_close(g["h"], g["o"].astype(np.float64) * np.tanh(g["c"].astype(np.float64)),
                 dtype="float32", terms=2, what="h = o * tanh(c)")
    # the last hidden state is what the model's LSTM outputs for the probe
    np.testing.assert_array_equal(g["h"][-1], tr.recurrent_layer.forward(tr.task.probe)[0])
    with pytest.raises(ValueError, match="LSTM"):
        Trainer("adding", "gru", 4).probe_gates()


def test_probe_states_of_gru_match_its_output():
    tr = Trainer("sine", "gru", 5, seed=0)
    s = tr.probe_states()
    np.testing.assert_array_equal(s[-1], tr.recurrent_layer.forward(tr.task.probe)[0])
    assert tr.recurrent_layer.return_sequences is False  # restored


def test_registering_a_task_is_one_function():
    from rnnlesson.layers import Dense
    from rnnlesson.models import Sequential
    from rnnlesson.training import _recurrent

    @register_task("last_value")
    def last_value(seed=0):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(64, 5, 1)).astype(np.float32)
        y = x[:, -1, :].copy()

        def build(cell, hidden_size, seed):
            return Sequential([_recurrent(cell, hidden_size, seed), Dense(1, seed=seed)])

        return Task(name="last_value", title="copy the last value", x_train=x[:48],
                    y_train=y[:48], x_val=x[48:], y_val=y[48:], build_model=build, loss="mse",
                    probe=x[48:49],
                    view=lambda m: {"kind": "scatter", "target": y[48:, 0],
                                    "prediction": m.forward(x[48:])[:, 0]})

    try:
        tr = Trainer("last_value", "rnn", 4, 1e-2, seed=0)
        tr.run(100)
        assert tr.history["val_loss"][-1] < tr.history["val_loss"][0]
    finally:
        TASKS.pop("last_value")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Unknown task"):
        Trainer("poetry")
    with pytest.raises(TypeError, match="task"):
        Trainer(42)
    with pytest.raises(ValueError, match="cell"):
        Trainer("sine", "transformer")
    with pytest.raises((TypeError, ValueError), match="hidden_size"):
        Trainer("sine", "lstm", 0)
    with pytest.raises(ValueError, match="learning_rate"):
        Trainer("sine", "lstm", 4, learning_rate=float("nan"))
    with pytest.raises(TypeError, match="seed"):
        Trainer("sine", seed=1.5)
    with pytest.raises(ValueError, match="make_task expects seed to be an integer >= 0"):
        make_task("adding", seed=-1)
    with pytest.raises(TypeError, match="sine task expects seed"):
        TASKS["sine"](seed=None)
    with pytest.raises((TypeError, ValueError), match="optimizer"):
        Trainer("sine", optimizer="lbfgs")


def test_training_module_has_no_jupyter_or_plot_imports():
    code = ("import sys, rnnlesson.training as t; tr = t.Trainer('sine', 'lstm', 4); tr.run(2); "
            "bad = [m for m in ('ipywidgets', 'matplotlib', 'IPython') if m in sys.modules]; "
            "print(bad); assert not bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
