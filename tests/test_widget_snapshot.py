"""The live widgets' static snapshot: the PNG a page without a kernel shows in their place.

The widgets' display bundle carries an ``image/png`` beside the widget view (Jupyter
shows the live view; the course website shows the picture). The snapshot must hold the
widget's own pictures, pixel for pixel and laid out as on screen, and its status text.
"""

import io

import ipywidgets as w
import numpy as np
import pytest
from PIL import Image

from rnnlesson.widgets import GateExplorer, TrainingDashboard

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _find(big: np.ndarray, small: np.ndarray) -> tuple[int, int]:
    """Top-left (y, x) where ``small`` appears exactly inside ``big``; fails if nowhere."""
    h, wd = small.shape[:2]
    first = small[0].tobytes()
    for y in range(big.shape[0] - h + 1):
        row, start = big[y].tobytes(), 0
        while (i := row.find(first, start)) != -1:
            start = i + 1
            x = i // 3
            if i % 3 == 0 and x + wd <= big.shape[1] \
                    and np.array_equal(big[y:y + h, x:x + wd], small):
                return y, x
    raise AssertionError(f"picture of shape {small.shape} not found in the snapshot")


@pytest.fixture(scope="module")
def dashboard():
    d = TrainingDashboard(task="sentiment", cell="rnn", hidden_size=8, seed=0)
    d.run(30)
    return d


def test_bundle_has_the_live_view_and_a_png(dashboard):
    bundle = dashboard._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == dashboard.model_id
    assert bundle["text/plain"].startswith("TrainingDashboard(")
    assert bundle["image/png"][:8] == PNG_MAGIC
    assert bundle["image/png"] == dashboard.snapshot()


def test_snapshot_holds_both_pictures_side_by_side(dashboard):
    snap = _pixels(dashboard.snapshot())
    loss, task = _pixels(dashboard.loss_image.value), _pixels(dashboard.task_image.value)
    y1, x1 = _find(snap, loss)
    y2, x2 = _find(snap, task)
    assert y1 == y2 and x2 == x1 + loss.shape[1]  # one row, as the HBox shows them
    assert snap.shape[1] == loss.shape[1] + task.shape[1]
    # the title and status line are written above the pictures (dark pixels up there)
    header = snap[:y1]
    assert header.shape[0] >= 30 and (header.min(axis=2) < 100).sum() > 200


def test_snapshot_follows_training(dashboard):
    d = TrainingDashboard(task="sine", cell="lstm", hidden_size=8, seed=0)
    before = d.snapshot()
    d.run(20)
    after = d.snapshot()
    assert before != after
    _find(_pixels(after), _pixels(d.loss_image.value))  # the new loss curve, not the old


def test_gate_explorer_snapshot_stacks_gates_above_the_small_pictures():
    g = GateExplorer(seed=0, max_steps=50)
    g.run(5)
    snap = _pixels(g.snapshot())
    yg, _ = _find(snap, _pixels(g.gate_image.value))
    yl, xl = _find(snap, _pixels(g.loss_image.value))
    assert yl >= yg + _pixels(g.gate_image.value).shape[0]
    assert xl == 0


def test_status_text_wraps_to_the_picture_width():
    g = GateExplorer(seed=0, max_steps=50)
    g.status_label.value = "word " * 400  # far wider than any picture
    snap = _pixels(g.snapshot())
    assert snap.shape[1] == max(_pixels(g.gate_image.value).shape[1],
                                sum(_pixels(i.value).shape[1] for i in (g.loss_image,
                                                                        g.task_image)))


def test_snapshot_leaves_out_controls_and_nested_text():
    d = TrainingDashboard(seed=0)
    n = len(d.children)
    plain = _pixels(d.snapshot())
    # a row of controls with a label inside adds nothing; a top-level label adds a line
    d.children = [*d.children, w.HBox([w.Button(description="x"), w.Label("inside a row")])]
    assert np.array_equal(_pixels(d.snapshot()), plain)
    d.children = [*d.children[:n], w.Label("one more line")]
    assert _pixels(d.snapshot()).shape[0] == plain.shape[0] + 20
