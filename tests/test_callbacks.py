"""Callbacks: the hook order, History, EarlyStopping (as Keras 3), LambdaCallback, progress."""

import sys

import numpy as np
import pytest

from rnnlesson import optimizers
from rnnlesson.callbacks import (
    Callback,
    EarlyStopping,
    History,
    LambdaCallback,
    ProgressBar,
    TerminateOnNaN,
)
from rnnlesson.layers import Dense, SimpleRNN
from rnnlesson.models import Sequential, TrainingDiverged


class FakeModel:
    """Just what EarlyStopping touches: weights and the stop flag."""

    def __init__(self):
        self.w = [np.zeros(2)]
        self.stop_training = False

    def get_weights(self):
        return [a.copy() for a in self.w]

    def set_weights(self, ws):
        self.w = [np.array(a) for a in ws]


def drive(cb, values, key="val_loss"):
    """Feed a sequence of epoch values; the model's weights are the epoch number."""
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    ran = 0
    for epoch, v in enumerate(values):
        model.w = [np.full(2, float(epoch))]
        cb.on_epoch_end(epoch, {key: v})
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end()
    return model, ran


# ---------------------------------------------------------------- EarlyStopping (unit)
def test_patience_counts_epochs_without_improvement():
    cb = EarlyStopping(patience=2)
    model, ran = drive(cb, [1.0, 0.8, 0.9, 0.85, 0.7, 0.6])
    assert ran == 4 and cb.stopped_epoch == 3 and cb.best == 0.8 and cb.best_epoch == 1
    assert model.w[0][0] == 3  # without restore_best_weights the last weights stay


def test_restore_best_weights_puts_back_the_best_epoch():
    cb = EarlyStopping(patience=1, restore_best_weights=True)
    model, ran = drive(cb, [1.0, 0.5, 0.7, 0.9])
    assert ran == 3
    assert model.w[0][0] == 1  # epoch 1 had the best val_loss


def test_restore_also_without_stopping_as_keras3():
    cb = EarlyStopping(patience=5, restore_best_weights=True)
    model, ran = drive(cb, [1.0, 0.4, 0.6])
    assert ran == 3 and cb.stopped_epoch == 0
    assert model.w[0][0] == 1


def test_patience_zero_stops_at_the_first_non_improvement():
    _, ran = drive(EarlyStopping(), [1.0, 0.9, 0.95, 0.1])
    assert ran == 3


def test_min_delta_and_mode():
    _, ran = drive(EarlyStopping(min_delta=0.1), [1.0, 0.95, 0.5])
    assert ran == 2  # 0.05 better is not enough
    _, ran = drive(EarlyStopping(monitor="val_accuracy", patience=1), [0.5, 0.6, 0.55, 0.58],
                   key="val_accuracy")
    assert ran == 3  # 'auto' maximises accuracy (minimising would stop at 0.6, after 2)
    cb = EarlyStopping(monitor="val_accuracy")
    assert cb.direction == "max"
    assert EarlyStopping(monitor="val_mae").direction == "min"
    assert EarlyStopping(monitor="x", mode="max").direction == "max"


def test_baseline_and_start_from_epoch():
    values = [0.9, 0.8, 0.85, 0.84, 0.83]
    _, ran = drive(EarlyStopping(patience=2), values)
    assert ran == 4
    _, ran = drive(EarlyStopping(baseline=0.5, patience=2), values)
    assert ran == 3  # improvements that miss the baseline do not reset the wait
    _, ran = drive(EarlyStopping(start_from_epoch=3), [1.0, 2.0, 3.0, 4.0, 5.0])
    assert ran == 5  # epochs 0-2 ignored, epoch 3 sets the best, epoch 4 stops
    cb = EarlyStopping(start_from_epoch=3)
    _, ran = drive(cb, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert ran == 5 and cb.best == 4.0


def test_missing_monitor_warns_and_skips():
    cb = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="validation_data"):
        _, ran = drive(cb, [1.0, 2.0, 3.0], key="loss")
    assert ran == 3


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    with pytest.raises(TypeError, match="patience"):
        EarlyStopping(patience=1.5)


# ---------------------------------------------------------------- with a real fit
def moving_away_task():
    """Training pulls y = x; validation wants y = -x, so val_loss rises every epoch."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    model = Sequential([Dense(3, input_shape=(3,), seed=0)], seed=0)
    model.set_weights([np.zeros((3, 3), np.float32), np.zeros(3, np.float32)])
    model.compile(optimizers.SGD(learning_rate=0.1), "mse")
    return model, x


def test_early_stopping_stops_and_restores_in_fit():
    model, x = moving_away_task()
    weights = []
    record = LambdaCallback(on_epoch_end=lambda e, logs: weights.append(model.get_weights()))
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    h = model.fit(x, x, epochs=20, batch_size=16, validation_data=(x, -x), verbose=0,
                  callbacks=[record, stop])
    vals = h.history["val_loss"]
    assert all(b > a for a, b in zip(vals[:-1], vals[1:], strict=True))  # as designed
    assert len(vals) == 3 and h.epoch == [0, 1, 2] and stop.stopped_epoch == 2
    for a, b in zip(model.get_weights(), weights[0], strict=True):
        np.testing.assert_array_equal(a, b)


def test_callback_hooks_order_and_counts():
    model, x = moving_away_task()
    calls = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            calls.append(("train_begin", self.params["steps"], self.params["epochs"]))

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(("epoch_begin", epoch))

        def on_batch_begin(self, batch, logs=None):
            calls.append(("batch_begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("batch_end", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            calls.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            calls.append(("train_end",))

    model.fit(x[:40], x[:40], batch_size=16, epochs=2, verbose=0, callbacks=[Spy()],
              validation_split=0.2)
    batch = [("batch_begin", 0), ("batch_end", 0, ["loss"]), ("batch_begin", 1),
             ("batch_end", 1, ["loss"])]
    assert calls == ([("train_begin", 2, 2), ("epoch_begin", 0)] + batch
                     + [("epoch_end", 0, ["loss", "val_loss"]), ("epoch_begin", 1)] + batch
                     + [("epoch_end", 1, ["loss", "val_loss"]), ("train_end",)])


def test_stop_training_from_a_batch_hook_stops_after_that_batch():
    model, x = moving_away_task()
    seen = []

    def on_batch_end(batch, logs):
        seen.append(batch)
        if batch == 1:
            model.stop_training = True

    h = model.fit(x, x, batch_size=8, epochs=5, verbose=0,
                  callbacks=[LambdaCallback(on_batch_end=on_batch_end)])
    assert seen == [0, 1] and len(h.history["loss"]) == 1


def test_batch_logs_are_running_means_and_epoch_log_is_their_last_value():
    model, x = moving_away_task()
    running = []
    h = model.fit(x, x, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[
        LambdaCallback(on_batch_end=lambda b, logs: running.append(logs["loss"]))])
    assert len(running) == 4 and running[-1] == h.history["loss"][0]


def test_lambda_callback_rejects_non_functions():
    with pytest.raises(TypeError, match="on_epoch_end"):
        LambdaCallback(on_epoch_end=3)


def test_fit_rejects_non_callbacks():
    model, x = moving_away_task()
    with pytest.raises(TypeError, match="LambdaCallback"):
        model.fit(x, x, verbose=0, callbacks=[print])


def test_history_repr_and_fresh_history_per_fit():
    model, x = moving_away_task()
    h1 = model.fit(x, x, epochs=2, verbose=0)
    h2 = model.fit(x, x, epochs=1, verbose=0)
    assert isinstance(h1, History) and h1 is not h2
    assert len(h1.history["loss"]) == 2 and len(h2.history["loss"]) == 1
    assert "2 epoch(s)" in repr(h1)


# ---------------------------------------------------------------- TerminateOnNaN
def exploding_task():
    """SGD with a huge learning rate on large targets: diverges within a few epochs."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5, 3)).astype(np.float32)
    y = (100 * x.sum(axis=(1, 2))[:, None]).astype(np.float32)
    model = Sequential([SimpleRNN(8, seed=0), Dense(1, seed=1)], seed=0)
    model.compile(optimizers.SGD(learning_rate=5.0), "mse")
    model.build((None, 5, 3))
    return model, x, y


def test_nan_guard_keeps_history_and_weights_before_the_bad_step():
    model, x, y = exploding_task()  # fit adds TerminateOnNaN(raise_error=True) itself
    snapshots = [model.get_weights()]
    recorder = LambdaCallback(on_batch_end=lambda b, logs: snapshots.append(model.get_weights()))
    with pytest.raises(TrainingDiverged) as info:
        model.fit(x, y, batch_size=8, epochs=50, callbacks=[recorder], verbose=0)
    err = info.value
    msg = str(err)
    assert f"epoch {err.epoch}, batch {err.batch} of 8" in msg
    assert "learning rate" in msg and "global_clipnorm" in msg and "(it is 5 now)" in msg
    assert err.history is model.history
    finished = len(err.history.history.get("loss", []))
    assert finished == err.epoch - 1 and err.history.epoch == list(range(finished))
    assert len(snapshots) == 1 + 8 * (err.epoch - 1) + (err.batch - 1)
    for p, q in zip(model.get_weights(), snapshots[-1], strict=True):
        np.testing.assert_array_equal(p, q)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_terminate_on_nan_stops_quietly_as_keras(capsys):
    model, x, y = exploding_task()
    snapshots = [model.get_weights()]
    batch_logs = []

    def record(batch, logs):
        batch_logs.append(dict(logs))
        snapshots.append(model.get_weights())

    h = model.fit(x, y, batch_size=8, epochs=50, verbose=0,
                  callbacks=[TerminateOnNaN(), LambdaCallback(on_batch_end=record)])
    assert "terminating training" in capsys.readouterr().out
    bad = batch_logs[-1]["diverged"]  # the refused step, as fit logged it
    assert not bad.ok and bad.problem in str(bad) and ("inf" in bad.problem or "NaN" in bad.problem)
    assert all("diverged" not in logs for logs in batch_logs[:-1])
    n = len(h.history["loss"])
    assert 1 < n < 50 and "diverged" not in h.history  # the interrupted epoch is the last
    # the refused step left the weights as they were after the last good one
    for p, q in zip(model.get_weights(), snapshots[-2], strict=True):
        np.testing.assert_array_equal(p, q)


def test_fit_raises_through_its_own_terminate_on_nan():
    model, x, y = exploding_task()
    with pytest.raises(TrainingDiverged) as info:
        model.fit(x, y, batch_size=8, epochs=50, verbose=0)
    default = info.value
    model, x, y = exploding_task()
    with pytest.raises(TrainingDiverged) as info:
        model.fit(x, y, batch_size=8, epochs=50, verbose=0,
                  callbacks=[TerminateOnNaN(raise_error=True)])
    assert str(info.value) == str(default)
    assert (info.value.epoch, info.value.batch) == (default.epoch, default.batch)
    assert len(info.value.history.history["loss"]) == default.epoch - 1


def test_terminate_on_nan_reads_the_loss_as_keras_does():
    cb = TerminateOnNaN()
    cb.set_model(FakeModel())
    cb.on_train_batch_end(0, {"loss": 0.5})
    assert not cb.model.stop_training
    cb.on_train_batch_end(1, {"loss": float("inf")})
    assert cb.model.stop_training
    with pytest.raises(TypeError, match="raise_error"):
        TerminateOnNaN(raise_error="yes")


# ---------------------------------------------------------------- progress display
def test_verbose_1_draws_one_bar_per_epoch(capsys):
    model, x = moving_away_task()
    model.fit(x, x, batch_size=16, epochs=2, validation_split=0.25, verbose="auto")
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err
    assert "loss:" in err and "val_loss:" in err and "3/3" in err


def test_many_epochs_draw_one_overall_bar(capsys):
    model, x = moving_away_task()
    model.fit(x, x, batch_size=32, epochs=12, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 12/12" in err and "24/24" in err
    assert "Epoch 1/12" not in err.split("Epoch 12/12")[-1]


def test_progress_bar_modes_can_be_chosen(capsys):
    model, x = moving_away_task()
    model.fit(x, x, batch_size=32, epochs=2, verbose=0, callbacks=[ProgressBar(mode="overall")])
    assert "4/4" in capsys.readouterr().err


def test_verbose_0_is_silent_and_verbose_2_prints_lines(capsys):
    model, x = moving_away_task()
    model.fit(x, x, epochs=2, verbose=0)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    model.fit(x, x, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ") and "loss: " in lines[0]


def test_progress_falls_back_to_lines_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes `from tqdm.auto import` fail
    model, x = moving_away_task()
    model.fit(x, x, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert [line[:9] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]
