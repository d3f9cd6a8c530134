"""The TextGenerator widget in a real JupyterLab, driven in headless Chromium.

A notebook with the widget is written into the served folder; after Run All the test
checks that a sample is shown, presses Start and waits for a new sample, drags the
temperature slider and types a prompt (each must write the sample again, at once,
while training goes on), then presses Stop. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from labserver import open_and_run_all

pytestmark = pytest.mark.browser

ERRORS = "[data-mime-type*='stderr'], [data-mime-type*='error']"
CELL = """\
from rnnlesson.widgets import TextGenerator
g = TextGenerator(hidden_size=64, seed=0, batch_size=16, seq_len=64, sample_every=100,
                  sample_length=240, max_steps=20000)
g.run(150)
g"""


def _poll(fn, timeout=60.0, interval=0.1, what="condition"):
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def _step(text: str) -> int:
    m = re.search(r"step (\d+)/", text)
    assert m, f"no step count in status {text!r}"
    return int(m.group(1))


def _header(out):
    """(step, temperature) of the sample shown."""
    text = out.locator("div", has_text="Sample at step").last.text_content()
    m = re.search(r"Sample at step (\d+), temperature ([0-9.]+)", text)
    assert m, text
    return int(m.group(1)), float(m.group(2))


@pytest.fixture(scope="module")
def textgen(jupyter_lab, lab_dir, browser):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, lab_dir / "textgen.ipynb")
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_and_run_all(page, jupyter_lab, "textgen.ipynb")
    page.locator(".widget-label", has_text="paused: step 150/").wait_for(timeout=120000)
    yield page
    page.close()


def test_sample_appears_changes_and_follows_the_slider(textgen, artifacts):
    page = textgen
    out = page.locator(".jp-OutputArea-output", has_text="Text generator").first
    out.scroll_into_view_if_needed()
    status = out.locator(".widget-label", has_text=re.compile(r"step \d+/"))
    sample = out.locator("pre").first
    assert _header(out) == (150, 0.8)
    first = sample.text_content()
    assert first.startswith("ROMEO:") and len(first) == len("ROMEO:") + 240
    assert out.locator("img").count() == 1
    out.screenshot(path=str(artifacts / "textgen-static.png"))

    out.locator("button", has_text="Start").click()
    _poll(lambda: _header(out)[0] >= 300, what="a sample written while training")
    assert status.text_content().startswith("training")
    trained = sample.text_content()
    assert trained != first
    out.screenshot(path=str(artifacts / "textgen-training.png"))

    # drag the temperature slider (the second slider, after the learning rate) to the left
    slider = out.locator(".widget-hslider").nth(1)
    handle = slider.locator(".noUi-handle")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 25, y, steps=8)
    page.mouse.up()
    readout = float(slider.locator(".widget-readout").text_content())
    assert readout < 0.8
    _poll(lambda: abs(_header(out)[1] - readout) < 1e-9,
          what="the sample to be written at the new temperature")
    at_new_temperature = sample.text_content()
    assert at_new_temperature != trained
    out.screenshot(path=str(artifacts / "textgen-temperature.png"))

    # a prompt primes the sample (applied on Enter)
    box = out.locator(".widget-text input")
    box.fill("JULIET:")
    box.press("Enter")
    _poll(lambda: sample.text_content().startswith("JULIET:"), what="the prompt to apply")

    out.locator("button", has_text="Stop").click()
    _poll(lambda: status.text_content().startswith("paused"), what="Stop to take effect")
    stopped = _step(status.text_content())
    time.sleep(1.0)
    assert _step(status.text_content()) == stopped
    out.screenshot(path=str(artifacts / "textgen-stopped.png"))
    assert page.locator(ERRORS).count() == 0
    assert page.locator(".jp-OutputArea-output", has_text="Traceback").count() == 0
