"""rnnlesson.viz live plots: data changed in place, frames blitted onto a kept background.

Every frame must be the picture a plain ``savefig`` of the same figure gives; the
comparisons below allow only the few antialiased pixels where tick marks (in the
background) meet the spines (drawn with the changing artists).
"""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from rnnlesson import viz

SIZE = (5.6, 3.3)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _savefig(fig, dpi=80) -> np.ndarray:
    """Pixels of a plain savefig of the figure: no blitting, every artist drawn."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return _pixels(buf.getvalue())


def _assert_same_picture(fast, full):
    # a stale title, a curve or heatmap drawn over the spines and marks, or a legend
    # pasted over a curve changes many pixels by up to 255
    off = np.abs(fast - full).max(axis=-1)
    assert (off > 2).sum() <= 30 and off.max() <= 16, ((off > 2).sum(), off.max())


def _live_history(losses):
    n = len(losses)
    return {"loss": list(losses), "step": list(range(1, n + 1)),
            "val_loss": list(losses[::10]), "val_step": list(range(1, n + 1, 10))}


def test_live_loss_redraw_reuses_the_background_and_matches_a_full_draw():
    rng = np.random.default_rng(0)
    losses = 0.05 + 0.5 * np.exp(-np.arange(400) / 30) + 0.01 * rng.random(400)
    fig = viz.loss_curves(_live_history(losses[:300]), figsize=SIZE)
    plot = fig.live_plot
    assert isinstance(plot, viz.LossCurves) and plot.figure is fig
    viz.figure_to_png(fig, dpi=80)  # drawn with its layout
    assert plot.full_draws == 1
    viz.loss_curves(_live_history(losses[:310]), fig=fig)
    viz.figure_to_png(fig, dpi=80)  # the layout is kept from now on
    draws = plot.full_draws
    lines = list(fig.axes[0].lines)
    assert viz.loss_curves(_live_history(losses[:330]), fig=fig) is fig
    assert fig.axes[0].get_xlim()[1] == 500  # live x axis: a round number, room to grow
    fast = viz.figure_to_png(fig, dpi=80)
    assert list(fig.axes[0].lines) == lines  # the same artists, new data
    # the same limits and layout: the background was reused, not drawn again
    assert plot.full_draws == draws
    _assert_same_picture(_pixels(fast), _savefig(fig))
    viz.loss_curves(_live_history(list(losses) + [0.06] * 150), fig=fig)  # past 500: it grows
    fast = viz.figure_to_png(fig, dpi=80)
    assert fig.axes[0].get_xlim()[1] == 1000  # a round number above 1.5 x 550
    assert plot.full_draws == draws + 1  # new limits: the background is drawn again
    _assert_same_picture(_pixels(fast), _savefig(fig))


def test_live_loss_lays_out_again_when_a_wider_tick_label_appears():
    # 0.1 and 1 labelled first; then the loss falls to 0.015 and the label 0.01 appears:
    # the y label must move right of the figure's edge, not be cut off
    losses = list(0.05 + 0.5 * np.exp(-np.arange(300) / 20))
    fig = viz.loss_curves(_live_history(losses), figsize=SIZE)
    for _ in range(3):
        viz.figure_to_png(fig, dpi=80)
        fig = viz.loss_curves(_live_history(losses), fig=fig)
    losses += [0.015] * 50  # lower limit 0.015 / 1.3 -> exactly 0.01 on the quarter-decade grid
    for _ in range(3):
        fig = viz.loss_curves(_live_history(losses), fig=fig)
        viz.figure_to_png(fig, dpi=80)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    assert "0.01" in [t.get_text() for t in ax.get_yticklabels()
                      if t.get_visible() and ax.get_ylim()[0] <= t.get_position()[1]]
    assert ax.yaxis.label.get_window_extent(renderer).x0 >= 0
    for label in ax.get_yticklabels():
        if label.get_text():
            assert label.get_window_extent(renderer).x0 >= 0


def test_live_loss_keeps_the_last_step_label_inside_the_figure():
    # as training goes on the step axis grows; a label at its right end sticks out half
    # its width, and the layout must make room for it
    losses = list(0.05 + 0.5 * np.exp(-np.arange(3000) / 200))
    plot = viz.LossCurves(figsize=SIZE)
    for n in range(100, 3001, 100):
        plot.update(_live_history(losses[:n]))
        plot.png(dpi=80)
        renderer = plot.figure.canvas.get_renderer()
        ax = plot.figure.axes[0]
        lo, hi = ax.get_xlim()
        for label in ax.get_xticklabels():
            if label.get_text() and lo <= label.get_position()[0] <= hi:
                assert label.get_window_extent(renderer).x1 <= plot.figure.bbox.x1, (n, hi)


def test_the_legend_is_pasted_unless_a_curve_reaches_into_it(monkeypatch):
    losses = 0.05 + 0.5 * np.exp(-np.arange(300) / 30)  # high on the left, flat and low after
    plot = viz.LossCurves(figsize=SIZE)
    plot.update(_live_history(losses))
    plot.png(dpi=80)
    plot.update(_live_history(losses * 1.001))
    plot.png(dpi=80)  # the layout is kept from now on
    legend = plot.figure.axes[0].get_legend()
    assert plot.overlays == [legend]
    calls = []
    original = legend.draw
    monkeypatch.setattr(legend, "draw", lambda renderer: calls.append(1) or original(renderer))
    draws = plot.full_draws
    plot.update(_live_history(losses * 1.002))
    low = plot.png(dpi=80)
    assert calls == [] and plot.full_draws == draws  # the legend's pixels were pasted back
    _assert_same_picture(_pixels(low), _savefig(plot.figure))
    rising = losses.copy()
    rising[-40:] = 0.5  # the curves end high on the right: through the legend's corner
    plot.update(_live_history(rising))
    high = plot.png(dpi=80)
    assert plot.full_draws == draws  # the same limits: still only the curves redrawn ...
    assert calls != []                # ... and the legend over them
    _assert_same_picture(_pixels(high), _savefig(plot.figure))


def _gates(seed, T=7, H=3):
    rng = np.random.default_rng(seed)
    g = {k: rng.uniform(0, 1, (T, H)) for k in ("i", "f", "o")}
    g.update({k: rng.uniform(-1, 1, (T, H)) for k in ("c~", "h")}, c=rng.normal(0, 2, (T, H)))
    return g


def test_live_gate_heatmaps_and_scatter_blit_what_a_full_draw_shows():
    x = np.random.default_rng(1).uniform(size=(7, 2))
    kw = {"inputs": x, "labels": ["", "*", "", "", "*", "", ""], "highlight": [1, 4],
          "input_names": ["value", "marker"]}
    fig = viz.gate_heatmaps(_gates(0), **kw)
    plot = fig.live_plot
    viz.figure_to_png(fig, dpi=80)
    viz.gate_heatmaps(_gates(1), fig=fig, **kw)
    viz.figure_to_png(fig, dpi=80)  # the layout is kept from now on
    draws = plot.full_draws
    g = _gates(2)
    g["c"] = 5.0 * g["c"]  # a new colour scale for c: its title changes
    viz.gate_heatmaps(g, fig=fig, **kw)
    fast = _pixels(viz.figure_to_png(fig, dpi=80))
    assert plot.full_draws == draws            # only the changing parts redrawn ...
    _assert_same_picture(fast, _savefig(fig))  # ... and the picture savefig gives
    viz.gate_heatmaps(_gates(4), fig=fig, **kw)
    after = _pixels(viz.figure_to_png(fig, dpi=80))
    assert np.abs(after - fast).max() > 50  # the new numbers are in the picture
    viz.gate_heatmaps(_gates(4), fig=fig, **{**kw, "inputs": 1 - x})  # other inputs: rebuilt
    assert plot.full_draws == draws and plot.figure.axes[0].lines[0].get_ydata()[0] == 1 - x[0, 0]

    y = np.linspace(-1, 1, 40)
    sc = viz.prediction_scatter(y, 0.5 * y)
    for scale in (0.6, 0.9):
        viz.figure_to_png(sc, dpi=80)
        viz.prediction_scatter(y, scale * y, fig=sc)
    _assert_same_picture(_pixels(viz.figure_to_png(sc, dpi=80)), _savefig(sc))

    t = np.arange(60)
    pr = viz.predictions(np.sin(t / 5), 0.5 * np.sin(t / 5), t)
    for scale in (0.6, 0.7, 0.9):
        viz.figure_to_png(pr, dpi=80)
        viz.predictions(np.sin(t / 5), scale * np.sin(t / 5), t, fig=pr)
    _assert_same_picture(_pixels(viz.figure_to_png(pr, dpi=80)), _savefig(pr))


def test_an_unchanged_frame_is_not_encoded_again():
    y = np.linspace(0, 1, 30)
    plot = viz.Predictions()
    plot.update(y, 0.5 * y)
    first = plot.png(dpi=80)
    assert plot.png(dpi=80) is first  # same pixels: the same bytes, not encoded again
    plot.update(y, 0.6 * y)
    second = plot.png(dpi=80)
    assert second != first
    assert plot.png(dpi=80, compress_level=6) != second  # other settings: encoded again


def test_plotting_into_other_figures():
    h = _live_history(list(np.linspace(1.0, 0.1, 50)))
    plain = Figure(figsize=SIZE)  # not drawn by viz: cleared and drawn afresh each time
    assert viz.loss_curves(h, fig=plain) is plain
    line = plain.axes[0].lines[0]
    viz.loss_curves(h, fig=plain)
    assert plain.axes[0].lines[0] is not line and len(plain.axes) == 1
    assert viz.figure_to_png(plain, dpi=80)[:8] == b"\x89PNG\r\n\x1a\n"
    fig = viz.loss_curves(h)  # another kind of plot takes the figure over
    viz.predictions([0.0, 1.0], [0.5, 0.5], fig=fig)
    assert isinstance(fig.live_plot, viz.Predictions) and len(fig.axes) == 1
    viz.hidden_states(np.zeros((4, 2)), fig=fig)  # drawn once: no live plot any more
    assert fig.live_plot is None and fig.axes[0].get_ylabel() == "hidden unit"
    with pytest.raises(TypeError, match="matplotlib Figure"):
        viz.LossCurves(fig="a figure")


def test_encode_png_round_trip():
    rgb = np.random.default_rng(0).integers(0, 256, size=(13, 21, 3), dtype=np.uint8)
    for level in (0, 1, 9):
        png = viz.encode_png(rgb, dpi=80, compress_level=level)
        image = Image.open(io.BytesIO(png))
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), rgb)
        assert image.info["dpi"] == pytest.approx((80, 80), abs=0.01)
    with pytest.raises(ValueError, match=r"\(height, width, 3\)"):
        viz.encode_png(rgb[..., :2])
    with pytest.raises(ValueError, match=r"\(height, width, 3\)"):
        viz.encode_png(rgb.astype(np.float32))
    with pytest.raises(ValueError, match="compress_level"):
        viz.encode_png(rgb, compress_level=10)
    with pytest.raises(ValueError, match="compress_level"):
        viz.figure_to_png(viz.loss_curves({"loss": [1.0]}), compress_level=-1)
