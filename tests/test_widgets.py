"""The live widgets, headless: no browser, widget values and clicks set from Python.

Clicks (``button.click()``) and slider changes (``slider.value = ...``) fire the same
handlers as in Jupyter. Live training needs an event loop, so those tests run inside
``asyncio.run``, as the kernel's loop does in a notebook.
"""

import asyncio

import ipywidgets as w
import numpy as np
import pytest

from rnnlesson.layers import GRU, LSTM
from rnnlesson.widgets import GateExplorer, TrainingDashboard

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _until(pred, timeout=20.0):
    """Let the event loop run until pred() holds (fails the test after timeout seconds)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def test_dashboard_is_a_vbox_with_the_controls():
    d = TrainingDashboard(task="sine", cell="lstm", hidden_size=16, learning_rate=1e-2, seed=0)
    assert isinstance(d, w.VBox)
    assert isinstance(d.lr_slider, w.FloatLogSlider) and d.lr_slider.value == pytest.approx(1e-2)
    assert d.hidden_slider.continuous_update is False
    assert d.lr_slider.continuous_update is False
    assert [o[0] for o in d.cell_dropdown.options] == ["SimpleRNN", "LSTM", "GRU"]
    assert d.loss_image.value[:8] == PNG_MAGIC
    assert d.task_image.value[:8] == PNG_MAGIC
    assert "step 0" in d.status and d.job is None
    # it displays as a widget when it is the last expression of a cell
    bundle = d._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == d.model_id


def test_run_trains_blocking_and_redraws():
    d = TrainingDashboard(seed=0)
    before = d.loss_image.value
    d.run(60)
    assert len(d.history["loss"]) == 60
    assert d.progress.value == 60
    assert d.loss_image.value != before
    assert "step 60" in d.status and "loss" in d.status
    assert d.history["val_step"][-1] == 60


def test_hidden_slider_rebuilds_the_model():
    d = TrainingDashboard(hidden_size=16, seed=0)
    d.run(10)
    d.hidden_slider.value = 32
    rec = d.trainer.recurrent_layer
    assert isinstance(rec, LSTM) and rec.units == 32
    assert d.history["loss"] == []
    assert "32 hidden units" in d.status
    d.run(5)
    assert len(d.history["loss"]) == 5


def test_cell_dropdown_switches_the_layer():
    d = TrainingDashboard(seed=0)
    d.cell_dropdown.value = "gru"
    assert isinstance(d.trainer.recurrent_layer, GRU)
    assert "GRU" in d.status
    d.run(5)
    assert np.all(np.isfinite(d.history["loss"]))


def test_learning_rate_slider_applies_to_the_next_steps():
    d = TrainingDashboard(seed=0)
    d.run(3)
    d.lr_slider.value = 1e-3
    assert "learning rate now 0.001" in d.status
    d.run(2)
    np.testing.assert_allclose(d.history["learning_rate"], [1e-2] * 3 + [1e-3] * 2)


def test_reset_gives_identical_numbers():
    d = TrainingDashboard(task="adding", seed=3)
    d.run(25)
    first = list(d.history["loss"])
    d.reset_button.click()
    assert d.history["loss"] == [] and "step 0" in d.status
    d.run(25)
    assert d.history["loss"] == first


def test_divergence_reports_and_the_widget_stays_usable():
    d = TrainingDashboard(seed=0)
    d.lr_slider.value = 10.0
    d.run(300)  # no exception escapes
    assert "Training stopped at step" in d.status
    assert "Lower the learning rate and press Reset" in d.status
    n = len(d.history["loss"])
    assert n < 300
    d.run(10)  # still stopped: nothing more happens, still no exception
    assert len(d.history["loss"]) == n
    d.lr_slider.value = 1e-2
    d.reset_button.click()
    d.run(20)
    assert len(d.history["loss"]) == 20 and np.all(np.isfinite(d.history["loss"]))
    assert "paused" in d.status


def test_start_and_stop_buttons_in_an_event_loop():
    d = TrainingDashboard(seed=0)

    async def main():
        d.start_button.click()
        job = d.job
        assert job is not None and not job.done()
        assert d.start_button.disabled and not d.stop_button.disabled
        await _until(lambda: len(d.history["loss"]) >= 30)
        assert d.redraw_count >= 2
        d.stop_button.click()
        await asyncio.wait([job], timeout=5)
        assert job.done()
        return len(d.history["loss"])

    n = asyncio.run(main())
    assert n >= 30 and "paused" in d.status
    assert not d.start_button.disabled and d.stop_button.disabled
    assert d.progress.value == n


def test_learning_rate_change_while_training_is_used():
    d = TrainingDashboard(seed=0)

    async def main():
        d.start()
        await _until(lambda: len(d.history["loss"]) >= 10)
        d.lr_slider.value = 2e-3
        n_change = len(d.history["loss"])
        await _until(lambda: len(d.history["loss"]) >= n_change + 10)
        d.stop()
        await asyncio.wait([d.job], timeout=5)
        return n_change

    n_change = asyncio.run(main())
    lrs = np.array(d.history["learning_rate"])
    assert np.all(lrs[:n_change] == 1e-2)
    assert np.all(lrs[n_change:] == 2e-3)
    assert "learning rate 0.002" in d.status


def test_divergence_in_the_live_loop_ends_with_a_status():
    d = TrainingDashboard(seed=0, learning_rate=10.0)

    async def main():
        job = d.start()
        await asyncio.wait([job], timeout=30)
        assert job.done() and job.exception() is None
        assert d.start() is None  # Start after divergence explains instead of training
        assert "diverged" in d.status
        d.reset()
        d.lr_slider.value = 1e-2
        job = d.start()
        await _until(lambda: len(d.history["loss"]) >= 5)
        d.stop()
        await asyncio.wait([job], timeout=5)

    asyncio.run(main())
    assert np.all(np.isfinite(d.history["loss"]))
    assert "paused" in d.status


def test_many_rapid_start_stop_cycles_leak_no_task():
    d = TrainingDashboard(seed=0)

    async def main():
        jobs = []
        for k in range(40):
            jobs.append(d.start())
            if k % 3 == 0:
                await asyncio.sleep(0)
            d.stop()
            if k % 5 == 0:
                await asyncio.sleep(0)
        d.start()
        d.start()  # a second Start while running does not start a second task
        jobs.append(d.job)
        await asyncio.sleep(0.05)
        d.stop()
        await asyncio.wait([j for j in jobs if j is not None], timeout=10)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return jobs, others

    jobs, others = asyncio.run(main())
    assert others == []
    assert all(j.done() for j in jobs if j is not None)
    assert len({id(j) for j in jobs}) == 41  # the double Start reused the running task
    assert "paused" in d.status
    assert not d.start_button.disabled


def test_start_without_an_event_loop_explains():
    d = TrainingDashboard(seed=0)
    with pytest.raises(RuntimeError, match=r"run\(steps\)"):
        d.start()
    d.start_button.click()  # a click never raises: the status line says it
    assert "run(steps)" in d.status
    assert d.job is None


def test_budget_ends_the_run():
    d = TrainingDashboard(seed=0, max_steps=25)

    async def main():
        job = d.start()
        await asyncio.wait([job], timeout=30)

    asyncio.run(main())
    assert len(d.history["loss"]) == 25
    assert "finished" in d.status
    assert d.start() is None and "Press Reset" in d.status


def test_sentiment_dashboard_shows_accuracy():
    d = TrainingDashboard(task="sentiment", cell="gru", seed=0)
    d.run(40)
    assert "val accuracy" in d.status
    assert d.task_image.value[:8] == PNG_MAGIC


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown task"):
        TrainingDashboard(task="chess")
    with pytest.raises(ValueError, match="max_steps"):
        TrainingDashboard(max_steps=0)
    d = TrainingDashboard(seed=0)
    with pytest.raises(ValueError, match="steps"):
        d.run(-1)


def test_gate_explorer_runs_and_shows_gates():
    g = GateExplorer(seed=0)
    assert isinstance(g, w.VBox) and g.trainer.cell == "lstm"
    before = g.gate_image.value
    assert bytes(before[:8]) == PNG_MAGIC
    g.run(30)
    assert g.gate_image.value != before
    gates = g.gates
    assert gates["i"].shape == (20, 8)  # T = 20 steps of the adding problem, H = 8
    g.hidden_slider.value = 4
    assert g.gates["f"].shape == (20, 4)

    async def main():
        job = g.start()
        await _until(lambda: len(g.history["loss"]) >= 20)
        g.stop_button.click()
        await asyncio.wait([job], timeout=5)
        assert job.done()

    asyncio.run(main())
    assert "paused" in g.status
    first = None
    g.reset()
    g.run(15)
    first = list(g.history["loss"])
    g.reset()
    g.run(15)
    assert g.history["loss"] == first


def test_gate_explorer_on_sentiment_labels_words():
    g = GateExplorer(seed=0, task="sentiment", hidden_size=6)
    g.run(5)
    text = g.trainer.task.info["probe_text"]
    assert "not" in text.split()
    labels = g.trainer.task.probe_labels
    assert labels[-len(text.split()):] == text.split()  # the words, padded in front
    assert g.gate_image.value[:8] == PNG_MAGIC
