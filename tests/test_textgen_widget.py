"""The TextGenerator widget, headless: values and clicks set from Python (see test_widgets)."""

import asyncio

import ipywidgets as w
import numpy as np
import pytest

from rnnlesson.widgets import TextGenerator

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = {"hidden_size": 32, "embedding_dim": 16, "batch_size": 8, "seq_len": 32,
         "sample_every": 50, "sample_length": 80}


async def _until(pred, timeout=30.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def test_controls_and_a_first_sample():
    g = TextGenerator(seed=0, **SMALL)
    assert isinstance(g, w.VBox)
    assert g.temperature_slider.continuous_update is False
    assert g.prompt_box.continuous_update is False
    assert g.lr_slider.continuous_update is False
    assert g.loss_image.value[:8] == PNG_MAGIC
    assert len(g.sample) == 80 and g.sample_count == 1
    assert "<b>ROMEO:</b>" in g.sample_html.value and "step 0" in g.sample_html.value
    assert "step 0" in g.status and g.job is None


def test_run_refreshes_the_sample_every_few_steps():
    g = TextGenerator(seed=0, **SMALL)
    first, image = g.sample, g.loss_image.value
    g.run(120)
    assert g.sample_count == 2 and g.sample != first       # drawn once, at the end
    assert "Sample at step 120" in g.sample_html.value
    assert g.loss_image.value != image
    assert "val bits/char" in g.status and "step 120" in g.status
    g.run(20)                # fewer than sample_every, but run() ends on a fresh sample
    assert g.sample_count == 3 and "Sample at step 140" in g.sample_html.value
    g.run(0)                                               # nothing trained: nothing new
    assert g.sample_count == 3


def test_snapshot_shows_the_sample_under_the_loss_curve():
    from io import BytesIO

    from PIL import Image

    g = TextGenerator(seed=0, **SMALL)
    g.run(10)
    snap = Image.open(BytesIO(g.snapshot()))
    loss = Image.open(BytesIO(g.loss_image.value))
    # beside the curve the picture would be wider than a page shows unscaled: under it
    assert loss.width + 560 > 760 and snap.width == max(loss.width, 560)
    g.sample_html.value = ""
    bare = Image.open(BytesIO(g.snapshot()))
    assert bare.height <= snap.height - 36 and bare.width == max(loss.width, 480)  # 2+ lines
    below = np.asarray(snap.convert("L"))[bare.height - 4:]  # what the sample added
    assert (below < 128).mean() > 0.01                          # is text


def test_temperature_and_prompt_apply_at_once():
    g = TextGenerator(seed=1, **SMALL)
    g.run(60)
    at_08 = g.sample
    g.temperature_slider.value = 0.0
    greedy = g.sample
    assert greedy != at_08 and "temperature 0.00" in g.sample_html.value
    g.temperature_slider.value = 0.8
    assert g.sample == at_08                               # same model, same random numbers
    g.prompt_box.value = "JULIET:"
    assert "<b>JULIET:</b>" in g.sample_html.value
    # written from the new prompt (a model this small forgets it within a few characters,
    # so the text itself may match the last sample; test_lm_training checks the priming)
    assert g.sample == g.trainer.sample(80, temperature=0.8, prompt="JULIET:")
    shown = g.sample
    g.prompt_box.value = "café"                            # 'é' is not in the text
    assert "Prompt not used" in g.status and "'é'" in g.status
    assert g.sample == shown                               # the last good sample stays
    assert len(g.history["loss"]) == 60                    # sampling trained nothing


def test_start_stop_samples_while_training():
    g = TextGenerator(seed=0, **SMALL)

    async def main():
        g.start_button.click()
        job = g.job
        assert job is not None and not job.done()
        await _until(lambda: g.trainer.step_count >= 120 and g.sample_count >= 3)
        g.stop_button.click()
        await asyncio.wait([job], timeout=10)
        assert job.done()

    asyncio.run(main())
    assert "paused" in g.status
    n = g.trainer.step_count
    assert g.progress.value == n and n >= 120


def test_reset_gives_the_same_numbers_and_sample():
    g = TextGenerator(seed=2, **SMALL)
    g.run(55)
    first = list(g.history["loss"]), g.sample
    g.reset_button.click()
    assert g.history["loss"] == [] and "step 0" in g.status and "step 0" in g.sample_html.value
    g.run(55)
    assert (list(g.history["loss"]), g.sample) == first


def test_divergence_ends_with_a_status():
    g = TextGenerator(seed=0, learning_rate=10.0, global_clipnorm=None, **SMALL)
    g.run(300)
    assert "Training stopped at step" in g.status
    assert np.isfinite(g.trainer.history["loss"][0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="sample_every"):
        TextGenerator(sample_every=0)
    with pytest.raises(ValueError, match="sample_length"):
        TextGenerator(sample_length=-3)
    with pytest.raises(ValueError, match="max_steps"):
        TextGenerator(max_steps=0, **SMALL)
