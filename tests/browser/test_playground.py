"""The playground notebook in a real JupyterLab, clicked and dragged in headless Chromium.

Checks what a learner sees: Run All works, Start makes the loss picture change,
dragging the learning rate changes the rate the running training uses (shown in
the status line) while it goes on, Stop stops it, and no cell shows an error.
Screenshots are saved in test-artifacts/ (look at them when a test fails).
Timings seen here are written to test-artifacts/browser-timings.json; they are
measurements, not asserts (benchmarks/bench_widgets.py measures properly).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from labserver import open_and_run_all

pytestmark = pytest.mark.browser

STATUS = re.compile(r"step \d+/\d+")
ERRORS = "[data-mime-type*='stderr'], [data-mime-type*='error']"


def _step(text: str) -> int:
    m = re.search(r"step (\d+)/", text)
    assert m, f"no step count in status {text!r}"
    return int(m.group(1))


def _lr(text: str) -> float:
    m = re.search(r"learning rate ([0-9.e+-]+)", text)
    assert m, f"no learning rate in status {text!r}"
    return float(m.group(1))


def _poll(fn, timeout=60.0, interval=0.1, what="condition"):
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="module")
def playground(jupyter_lab, browser, artifacts):
    """The playground notebook open in JupyterLab after Run All; yields the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_and_run_all(page, jupyter_lab, "00-playground.ipynb")
    # the last cell's widget has finished its static run(300)
    page.locator(".widget-label", has_text="step 300/").wait_for(timeout=120000)
    yield page
    page.close()


def _dashboard(page):
    return page.locator(".jp-OutputArea-output", has_text="Training dashboard").first


def test_run_all_shows_widgets_and_no_errors(playground, artifacts):
    page = playground
    dash = _dashboard(page)
    status = dash.locator(".widget-label", has_text=STATUS)
    assert "paused: step 200/" in status.text_content()
    assert dash.locator("img").count() == 2
    dash.scroll_into_view_if_needed()
    dash.screenshot(path=str(artifacts / "playground-dashboard-static.png"))
    gates = page.locator(".jp-OutputArea-output", has_text="LSTM gate explorer").first
    gates.scroll_into_view_if_needed()
    gates.screenshot(path=str(artifacts / "playground-gates-static.png"))
    assert page.locator(ERRORS).count() == 0
    assert page.locator(".jp-OutputArea-output", has_text="Traceback").count() == 0


def test_start_slider_stop(playground, artifacts):
    page = playground
    timings = {}
    dash = _dashboard(page)
    dash.scroll_into_view_if_needed()
    status = dash.locator(".widget-label", has_text=STATUS)
    loss_img = dash.locator("img").first
    src0 = loss_img.get_attribute("src")

    dash.locator("button", has_text="Start").click()
    t0 = time.monotonic()
    _poll(lambda: loss_img.get_attribute("src") != src0, what="the loss picture to change")
    timings["start_to_first_new_picture_s"] = time.monotonic() - t0
    _poll(lambda: _step(status.text_content()) > 260, what="training to go on")
    assert status.text_content().startswith("training")
    dash.screenshot(path=str(artifacts / "playground-dashboard-training.png"))

    # drag the learning-rate slider (the second slider: after hidden size) to the left
    handle = dash.locator(".widget-hslider").nth(1).locator(".noUi-handle")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 35, y, steps=8)
    step_before = _step(status.text_content())
    page.mouse.up()
    t_release = time.monotonic()
    readout = dash.locator(".widget-hslider").nth(1).locator(".widget-readout")
    new_lr = float(readout.text_content())
    assert new_lr < 5e-3  # moved down from 1e-2
    _poll(lambda: abs(_lr(status.text_content()) - new_lr) < 0.06 * new_lr,
          what="the status to show the new learning rate")
    timings["slider_release_to_status_s"] = time.monotonic() - t_release
    # training goes on with the new rate
    _poll(lambda: _step(status.text_content()) > step_before + 50 and
          status.text_content().startswith("training"), what="training to continue")
    dash.screenshot(path=str(artifacts / "playground-dashboard-new-lr.png"))

    dash.locator("button", has_text="Stop").click()
    t_stop = time.monotonic()
    _poll(lambda: status.text_content().startswith("paused"), what="Stop to take effect")
    timings["stop_to_paused_s"] = time.monotonic() - t_stop
    stopped_at = _step(status.text_content())
    time.sleep(1.5)
    assert _step(status.text_content()) == stopped_at  # it really stopped
    assert abs(_lr(status.text_content()) - new_lr) < 0.06 * new_lr
    dash.screenshot(path=str(artifacts / "playground-dashboard-stopped.png"))

    assert page.locator(ERRORS).count() == 0
    assert page.locator(".jp-OutputArea-output", has_text="Traceback").count() == 0
    (artifacts / "browser-timings.json").write_text(json.dumps(timings, indent=2))


def test_gate_explorer_live(playground, artifacts):
    page = playground
    out = page.locator(".jp-OutputArea-output", has_text="LSTM gate explorer").first
    out.scroll_into_view_if_needed()
    status = out.locator(".widget-label", has_text=STATUS)
    gate_img = out.locator("img").first
    src0 = gate_img.get_attribute("src")
    out.locator("button", has_text="Start").click()
    _poll(lambda: gate_img.get_attribute("src") != src0, what="the gate heatmaps to change")
    _poll(lambda: _step(status.text_content()) > 600, timeout=120, what="the explorer to train")
    out.locator("button", has_text="Stop").click()
    _poll(lambda: status.text_content().startswith("paused"), what="Stop to take effect")
    out.screenshot(path=str(artifacts / "playground-gates-trained.png"))
    assert page.locator(ERRORS).count() == 0


def test_the_error_check_can_see_errors(playground, artifacts):
    """Control for the checks above: an output on stderr is found by the same selector."""
    page = playground
    assert page.locator(ERRORS).count() == 0
    page.locator(".jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below, in command mode
    page.keyboard.press("Enter")  # edit it
    page.keyboard.type("import sys; print('deliberate error output', file=sys.stderr)")
    page.keyboard.press("Shift+Enter")
    page.locator(ERRORS).first.wait_for(timeout=30000)
    assert "deliberate error output" in page.locator(ERRORS).first.text_content()
