"""rnnlesson.viz: Figures (no pyplot), labelled axes, PNG bytes, live redraw in place."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnlesson import viz

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _history(n=50, val_every=10):
    steps = list(range(1, n + 1))
    loss = list(1.0 / np.arange(1, n + 1))
    vsteps = [1] + list(range(val_every, n + 1, val_every))
    return {"step": steps, "loss": loss, "val_step": vsteps,
            "val_loss": [1.2 / s for s in vsteps]}


def test_loss_curves_draws_training_and_validation_on_log_scale():
    fig = viz.loss_curves(_history())
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "step" and "loss" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["training (smoothed)", "validation"]
    val_line = [ln for ln in ax.lines if ln.get_label() == "validation"][0]
    np.testing.assert_array_equal(val_line.get_xdata(), [1, 10, 20, 30, 40, 50])
    png = viz.figure_to_png(fig)
    assert png.startswith(PNG_MAGIC)


def test_loss_curves_linear_and_per_epoch_history():
    fig = viz.loss_curves({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.5]},
                          log_scale=False, smoothing=0)
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear" and ax.get_xlabel() == "epoch"
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])


def test_loss_curves_accepts_a_history_object_and_nan():
    class H:
        history = {"loss": [1.0, 0.5, float("nan")]}

    fig = viz.loss_curves(H(), smoothing=0)
    assert viz.figure_to_png(fig).startswith(PNG_MAGIC)


def test_loss_curves_redraws_in_place_and_rejects_mismatch():
    h = _history(30)
    fig = viz.loss_curves(h)
    raw = fig.axes[0].lines[0]
    h2 = _history(60)
    again = viz.loss_curves(h2, fig=fig)
    assert again is fig and fig.axes[0].lines[0] is raw  # same artists, new data
    assert len(raw.get_xdata()) == 60
    with pytest.raises(ValueError, match="'step' has"):
        viz.loss_curves({"step": [1, 2], "loss": [1.0]})
    with pytest.raises(TypeError):
        viz.loss_curves([1, 2, 3])


def test_smooth():
    v = np.array([1.0, 3.0, 2.0, 5.0])
    np.testing.assert_allclose(viz.smooth(v, 0.0), v)
    np.testing.assert_allclose(viz.smooth(np.full(10, 2.5), 0.9), 2.5)  # bias corrected
    s = viz.smooth([1.0, 2.0, np.nan, 1.0], 0.5)
    assert np.isfinite(s[:2]).all() and np.isnan(s[2:]).all()
    with pytest.raises(ValueError):
        viz.smooth(v, 1.0)


@pytest.mark.parametrize("weight", [0.3, 0.9, 0.99, 0.999])
def test_smooth_matches_the_running_average(weight):
    v = np.random.default_rng(0).random(1500)
    acc = norm = 0.0
    ref = []
    for x in v:
        acc = weight * acc + (1 - weight) * x
        norm = weight * norm + (1 - weight)
        ref.append(acc / norm)
    np.testing.assert_allclose(viz.smooth(v, weight), ref, rtol=1e-12, atol=1e-13)


def test_long_curves_are_decimated_keeping_their_envelope():
    n = 20000
    noisy = 1.0 + 0.1 * np.random.default_rng(0).random(n)
    noisy[[4321, 12345]] = [3.0, 0.2]  # two spikes that every-k-th thinning would miss
    fig = viz.loss_curves({"step": list(range(1, n + 1)), "loss": list(noisy)}, smoothing=0)
    raw = fig.axes[0].lines[0]
    x, y = raw.get_xdata(), raw.get_ydata()
    assert len(x) <= 1202 and x[0] == 1 and x[-1] == n
    assert np.all(np.diff(x) > 0)  # in order
    assert y.max() == 3.0 and y.min() == 0.2
    # every kept point is a point of the curve
    np.testing.assert_array_equal(y, noisy[x.astype(int) - 1])
    # each bucket of the curve keeps its own lowest and highest point
    xs, ys = viz.decimate(np.arange(n, dtype=float), noisy, buckets=100)
    for b in range(100):
        lo, hi = b * 200, (b + 1) * 200
        inside = ys[(xs >= lo) & (xs < hi)]
        assert inside.min() == noisy[lo:hi].min() and inside.max() == noisy[lo:hi].max()
    short = np.arange(10.0)
    assert viz.decimate(short, short, buckets=100)[0] is short  # short curves untouched


def test_prediction_plots_update_in_place():
    y = np.linspace(0, 1, 30)
    fig = viz.predictions(y, y * 0.5)
    line = fig.axes[0].lines[1]
    viz.figure_to_png(fig)
    assert viz.predictions(y, y * 0.9, fig=fig) is fig
    assert fig.axes[0].lines[1] is line
    np.testing.assert_allclose(line.get_ydata(), y * 0.9)
    viz.predictions(y, y * 50, fig=fig)  # a wild prediction widens the axis
    assert fig.axes[0].get_ylim()[1] >= 50
    viz.predictions(y, y, fig=fig)  # and it shrinks back around the target
    assert fig.axes[0].get_ylim()[1] < 2
    sc = viz.prediction_scatter(y, y * 0.5)
    viz.prediction_scatter(y, y, fig=sc)
    np.testing.assert_allclose(sc.axes[0].collections[0].get_offsets()[:, 1], y)
    assert "MSE 0.0000" in [t.get_text() for t in sc.axes[0].texts]


def test_predictions_and_scatter():
    t = np.arange(20)
    y = np.sin(t / 3.0)
    fig = viz.predictions(y, y + 0.1, t, title="sine")
    ax = fig.axes[0]
    assert ax.get_title() == "sine" and ax.get_xlabel() and ax.get_ylabel()
    assert [ln.get_label() for ln in ax.lines] == ["target", "prediction"]
    fig = viz.prediction_scatter(y, y)
    assert "MSE 0.0000" in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="same length"):
        viz.predictions(y, y[:5])
    with pytest.raises(ValueError, match="1-D"):
        viz.predictions(np.zeros((3, 3)), np.zeros((3, 3)))


def test_phrase_probabilities_marks_wrong_answers():
    fig = viz.phrase_probabilities(["good", "not good", "bad"], [0.9, 0.7, 0.2], [1, 0, 0])
    ax = fig.axes[0]
    assert "accuracy 67%" in ax.get_title()
    hatched = [p.get_hatch() for p in ax.patches]
    assert hatched == [None, "///", None]
    with pytest.raises(ValueError, match="one probability per phrase"):
        viz.phrase_probabilities(["a"], [0.1, 0.2])


def test_task_view_dispatch():
    y = np.linspace(0, 1, 10)
    assert isinstance(viz.task_view({"kind": "series", "target": y, "prediction": y}), Figure)
    assert isinstance(viz.task_view({"kind": "scatter", "target": y, "prediction": y}), Figure)
    fig = viz.task_view({"kind": "phrases", "texts": ["a", "b"], "probability": [0.2, 0.8],
                         "label": [0, 1]})
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="unknown kind"):
        viz.task_view({"kind": "movie"})
    with pytest.raises(TypeError):
        viz.task_view([1, 2])


def _gates(T=7, H=3, seed=0):
    rng = np.random.default_rng(seed)
    sig = rng.uniform(0, 1, size=(3, T, H))
    cand = np.tanh(rng.normal(size=(T, H)))
    c = np.cumsum(sig[0] * cand, axis=0)
    return {"i": sig[0], "f": sig[1], "o": sig[2], "c~": cand, "c": c,
            "h": sig[2] * np.tanh(c)}


def test_gate_heatmaps_layout_and_scales():
    g = _gates()
    x = np.random.default_rng(1).uniform(size=(7, 2))
    fig = viz.gate_heatmaps(g, inputs=x, labels=["", "*", "", "", "*", "", ""], highlight=[1, 4],
                            input_names=["value", "marker"])
    titles = [ax.get_title() for ax in fig.axes]
    for name in ("input gate i", "forget gate f", "output gate o", "cell candidate c~",
                 "hidden state h"):
        assert name in titles
    assert any(t.startswith("cell state c") for t in titles)
    ims = {ax.get_title(): ax.images[0] for ax in fig.axes if ax.images}
    assert ims["input gate i"].get_clim() == (0.0, 1.0)
    assert ims["input gate i"].get_cmap().name == "viridis"
    assert ims["cell candidate c~"].get_cmap().name == "RdBu_r"
    # heatmaps are (H rows, T columns): time across
    assert ims["forget gate f"].get_array().shape == (3, 7)
    assert viz.figure_to_png(fig).startswith(PNG_MAGIC)


def test_gate_heatmaps_live_update_and_errors():
    g = _gates()
    fig = viz.gate_heatmaps(g)
    img = [ax for ax in fig.axes if ax.get_title() == "input gate i"][0].images[0]
    g2 = _gates(seed=3)
    assert viz.gate_heatmaps(g2, fig=fig) is fig
    np.testing.assert_allclose(img.get_array(), g2["i"].T)
    # batch-first arrays (N, T, H) from LSTM.gate_activations: first sequence shown
    fig3 = viz.gate_heatmaps({k: v[None] for k, v in g.items()})
    assert isinstance(fig3, Figure)
    with pytest.raises(ValueError, match="has no"):
        viz.gate_heatmaps({"i": g["i"]})
    with pytest.raises(ValueError, match="inputs of shape"):
        viz.gate_heatmaps(g, inputs=np.zeros((5, 2)))
    with pytest.raises(TypeError):
        viz.gate_heatmaps([1, 2])


def test_hidden_states_heatmap():
    fig = viz.hidden_states(np.tanh(np.random.default_rng(0).normal(size=(6, 4))),
                            labels=["it", "was", "not", "bad", "at", "all"])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time step" and ax.get_ylabel() == "hidden unit"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["it", "was", "not", "bad", "at",
                                                              "all"]
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        viz.hidden_states(np.zeros(5))


def test_figures_display_as_png_in_jupyter():
    fig = viz.loss_curves({"loss": [1.0, 0.5]})
    assert fig._repr_png_().startswith(PNG_MAGIC)  # IPython shows it when a cell ends with it


def test_figure_to_png_checks_type_and_dpi():
    fig = viz.predictions([0, 1], [0, 1])
    small = viz.figure_to_png(fig, dpi=40)
    big = viz.figure_to_png(fig, dpi=120)
    assert small.startswith(PNG_MAGIC) and len(big) > len(small)
    with pytest.raises(TypeError):
        viz.figure_to_png("not a figure")


def _python(code: str) -> None:
    """Run ``code`` in a fresh interpreter; fail with its stderr if it fails."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_viz_never_imports_pyplot():
    _python("import sys, numpy as np, rnnlesson.viz as v; "
            "v.figure_to_png(v.loss_curves({'loss': [1.0, 0.5]})); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")


def test_import_rnnlesson_stays_light():
    _python("import sys, rnnlesson; "
            "bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]; "
            "assert not bad, bad")


# ---------------------------------------------------------------------- attention maps
def test_attention_heatmap_labels_rows_and_columns():
    w = np.full((2, 5, 4), 0.25)
    w[0, 1] = [0.7, 0.1, 0.1, 0.1]
    fig = viz.attention_heatmap(w, "12 +", ["a", "b", "c", "d", " "], title="map")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "\u00b7", "+"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c", "d", "\u00b7"]
    image = ax.get_images()[0]
    np.testing.assert_array_equal(image.get_array(), w[0])  # the first example, as given
    assert image.get_clim() == (0.0, 1.0) and ax.get_title() == "map"
    assert viz.figure_to_png(fig).startswith(PNG_MAGIC)
    again = viz.attention_heatmap(w[1], "12 +", "abcd ", fig=fig)
    assert again is fig and len(fig.axes) == 2  # the map and its colour bar, nothing left over


@pytest.mark.parametrize("weights, src, tgt, err, match", [
    (np.full((3, 4), 0.25), "abc", "xyz", ValueError, "4 source tokens"),
    (np.full((3, 4), 0.25), "abcd", ["x"], ValueError, "3 target tokens"),
    (np.full(4, 0.25), "abcd", "x", ValueError, "T_out, T_in"),
    (np.full((1, 2), 1.5), "ab", "x", ValueError, r"\[0, 1\]"),
    (np.full((1, 2), 0.5), 12, "x", TypeError, "str"),
])
def test_attention_heatmap_rejects_bad_input(weights, src, tgt, err, match):
    with pytest.raises(err, match=match):
        viz.attention_heatmap(weights, src, tgt)


# ------------------------------------------------------------------ the LSTM cell diagram

def test_lstm_cell_diagram_uses_the_symbols_of_the_equations():
    fig = viz.lstm_cell_diagram()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    texts = [t.get_text() for t in fig.axes[0].texts]
    for symbol in ["$x_t$", "$h_{t-1}$", "$c_{t-1}$", "$c_t$", "$h_t$",
                   "$i_t$", "$f_t$", "$g_t$", "$o_t$"]:
        assert symbol in texts, symbol
    # three sigmoid valves and the candidate's tanh, plus the tanh of the output path
    assert texts.count("σ") == 3 and texts.count("tanh") == 2
    assert texts.count("×") == 3 and texts.count("+") == 1
    assert viz.figure_to_png(fig).startswith(PNG_MAGIC)


def test_lstm_cell_diagram_gates_follow_the_package_fused_order():
    from rnnlesson.cells import LSTMCell

    cell = LSTMCell(2, input_dim=3, seed=0)
    cell.forward(np.zeros((1, 3), dtype=np.float32))
    package_order = [name.rstrip("~") for name in cell.last_gates][:4]   # i, f, c~, o
    assert [keras for _, keras, _, _ in viz.LSTM_GATES] == package_order
    assert [sym for sym, _, _, _ in viz.LSTM_GATES] == ["i", "f", "g", "o"]


def test_lstm_cell_diagram_redraws_into_a_figure_and_rejects_other_things():
    fig = viz.lstm_cell_diagram()
    again = viz.lstm_cell_diagram(fig=fig, title="step t")
    assert again is fig and len(fig.axes) == 1
    assert fig.axes[0].get_title() == "step t"
    with pytest.raises(TypeError, match="matplotlib Figure"):
        viz.lstm_cell_diagram(fig="not a figure")
