"""Plots for the course: each function returns a ``matplotlib.figure.Figure``.

No pyplot: the figures are plain ``Figure`` objects, so they never pop up by
themselves, are safe to draw while a widget trains, and display in Jupyter
when they are the last expression of a cell. ``figure_to_png`` turns one into
PNG bytes for an ``ipywidgets.Image``.

Every plotting function takes ``fig=None``: pass an existing figure to draw into
it again (it is cleared first), which is what the live widgets do.

Colours: lines use the Okabe-Ito palette; heatmaps use ``viridis`` for gates
(values in [0, 1]) and ``RdBu_r`` (ColorBrewer, colour-blind safe) for signed
values centred on 0, so all of them read in grey scale and with colour blindness.

Shapes: T time steps, H hidden units, D input features.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.figure import Figure

__all__ = ["LessonFigure", "loss_curves", "predictions", "prediction_scatter",
           "phrase_probabilities", "task_view", "hidden_states", "gate_heatmaps",
           "figure_to_png", "smooth", "COLORS"]

#: Okabe-Ito colours (distinguishable with every common colour blindness).
COLORS = {"blue": "#0072B2", "orange": "#E69F00", "vermillion": "#D55E00",
          "green": "#009E73", "sky": "#56B4E9", "purple": "#CC79A7", "black": "#000000",
          "grey": "#999999"}

_FONT = {"title": 11, "label": 10, "tick": 9, "legend": 9}
_GATE_CMAP = "viridis"
_SIGNED_CMAP = "RdBu_r"

#: What each LSTM quantity is called in the plots, and its colour scale.
_GATE_INFO = {
    "i": ("input gate i", _GATE_CMAP, (0.0, 1.0)),
    "f": ("forget gate f", _GATE_CMAP, (0.0, 1.0)),
    "o": ("output gate o", _GATE_CMAP, (0.0, 1.0)),
    "c~": ("cell candidate c~", _SIGNED_CMAP, (-1.0, 1.0)),
    "c": ("cell state c", _SIGNED_CMAP, None),
    "h": ("hidden state h", _SIGNED_CMAP, (-1.0, 1.0)),
}


# ----------------------------------------------------------------------------- helpers
def _freeze_layout(fig) -> None:
    """Keep the axes where the last (constrained) layout put them; skip the layout pass.

    Only once ``figure_to_png`` has drawn the figure with its layout (until then the
    axes have not been placed yet).
    """
    if not getattr(fig, "_rnnlesson_drawn", False):
        return
    # set_layout_engine("none") would leave a placeholder engine, and savefig does an extra
    # dry-run draw whenever any engine is set; with no engine it draws once (about half
    # the time). The fast paths add no artists that need an engine; _relayout restores one.
    fig._layout_engine = None


def _relayout(fig) -> None:
    """Lay the figure out again at its next draw."""
    fig.set_layout_engine("constrained")
    fig._rnnlesson_drawn = False


def _live(fig, key):
    """The artists a previous call left on ``fig`` when it drew the same kind of plot."""
    live = getattr(fig, "_rnnlesson_live", None) if fig is not None else None
    return live if live is not None and live["key"] == key else None


class LessonFigure(Figure):
    """A plain ``Figure`` that shows itself as a PNG when it ends a notebook cell.

    A ``Figure`` made without pyplot has no display of its own in Jupyter (only
    its text repr) unless the inline backend happens to be active; this one
    always has ``_repr_png_``.
    """

    def _repr_png_(self) -> bytes:
        return figure_to_png(self)


def _new_figure(fig, figsize) -> Figure:
    if fig is None:
        fig = LessonFigure(figsize=figsize, dpi=100, layout="constrained")
    elif not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure or None; got {type(fig).__name__}.")
    else:
        fig.clear()
        _relayout(fig)
    fig._rnnlesson_dynamic = None     # set again by the plots that are redrawn live
    fig._rnnlesson_background = None
    return fig


def _style(ax, title=None, xlabel=None, ylabel=None) -> None:
    if title:
        ax.set_title(title, fontsize=_FONT["title"])
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=_FONT["label"])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=_FONT["label"])
    ax.tick_params(labelsize=_FONT["tick"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _vector(a, what: str, owner: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{owner} expects {what} to be 1-D (N,) or (N, 1); got shape "
                         f"{arr.shape}.")
    return arr


def _matrix(a, what: str, owner: str) -> np.ndarray:
    """(T, H), or (1, T, H) with the batch axis dropped."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[0] >= 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f"{owner} expects {what} of shape (T, H) (or (N, T, H), first sequence "
                         f"shown); got shape {arr.shape}.")
    return arr


def smooth(values, weight: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction (as TensorBoard's smoothing).

    ``a_k = w a_{k-1} + (1 - w) x_k``, ``a_{-1} = 0``, shown as ``a_k / (1 - w^{k+1})``.
    ``weight`` w in [0, 1): 0 returns the values, near 1 smooths strongly. From the
    first NaN or inf on, the result is NaN (the curve stops there). Vectorised in
    blocks (a closed form per block), so long histories smooth quickly.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smooth expects 0 <= weight < 1; got {weight!r}.")
    out = np.full(v.shape, np.nan)
    bad = np.flatnonzero(~np.isfinite(v))
    n = int(bad[0]) if bad.size else len(v)
    if weight == 0.0:
        out[:n] = v[:n]
        return out
    w = float(weight)
    # within a block of B steps: a_{s+i} = w^{i+1} a_{s-1} + (1-w) w^i sum_{j<=i} w^{-j} x_{s+j};
    # B keeps w^{-B} far from overflow
    B = int(max(1, min(256, 250 / max(1e-12, -math.log10(w)))))
    ar = np.arange(B)
    pw, inv = w ** ar, w ** -ar.astype(np.float64)
    acc = 0.0
    for s0 in range(0, n, B):
        x = v[s0:min(n, s0 + B)]
        m = len(x)
        a = pw[:m] * (w * acc + (1 - w) * np.cumsum(x * inv[:m]))
        out[s0:s0 + m] = a
        acc = a[-1]
    out[:n] /= 1.0 - w ** np.arange(1, n + 1)
    return out


def _thin(x, y, max_points: int = 3000):
    """Every k-th point (and the last) when a curve has more than ``max_points``."""
    n = len(x)
    if n <= max_points:
        return x, y
    k = -(-n // max_points)
    idx = np.r_[np.arange(0, n - 1, k), n - 1]
    return x[idx], y[idx]


# ----------------------------------------------------------------------------- loss curves
def _history_get(history, key):
    if hasattr(history, "history") and isinstance(history.history, dict):  # a History object
        history = history.history
    if not isinstance(history, dict):
        raise TypeError(f"loss_curves expects a dict of lists (or a History); got "
                        f"{type(history).__name__}.")
    return history.get(key)


def loss_curves(history, *, log_scale: bool = True, smoothing: float = 0.9, fig=None,
                title: str = "Loss", xlabel: str | None = None, figsize=(6.0, 3.4)) -> Figure:
    """Training (raw and smoothed) and validation loss against step or epoch.

    Args:
        history: a dict of lists (or a ``History``) with ``'loss'`` and optionally
            ``'val_loss'``. Step positions come from ``'step'`` and ``'val_step'`` when
            present (the trainer's history, where validation is sparser); otherwise
            entries are numbered 1, 2, ... (a ``fit`` history, one per epoch).
        log_scale: logarithmic y axis (losses span decades).
        smoothing: EMA weight for the bold training curve (0 = none); the raw curve
            stays faint behind it.
        fig: a Figure to draw into again, or None for a new one.
        title, xlabel: labels (xlabel defaults to 'step' or 'epoch').
    """
    loss = _history_get(history, "loss")
    val = _history_get(history, "val_loss")
    loss = np.asarray([] if loss is None else loss, dtype=np.float64).ravel()
    val = np.asarray([] if val is None else val, dtype=np.float64).ravel()
    steps = _history_get(history, "step")
    vsteps = _history_get(history, "val_step")
    per_step = steps is not None
    x = np.asarray(steps if per_step else np.arange(1, len(loss) + 1), dtype=np.float64)
    if len(x) != len(loss):
        raise ValueError(f"loss_curves: 'step' has {len(x)} entries but 'loss' has {len(loss)}.")
    if vsteps is not None:
        vx = np.asarray(vsteps, dtype=np.float64)
    else:
        vx = np.arange(1, len(val) + 1, dtype=np.float64)
    if len(vx) != len(val):
        raise ValueError(f"loss_curves: 'val_step' has {len(vx)} entries but 'val_loss' has "
                         f"{len(val)}.")
    has = (len(loss) > 0, len(val) > 0)
    key = ("loss", log_scale, smoothing > 0 and len(loss) > 3, has, per_step, title, xlabel)
    live = getattr(fig, "_rnnlesson_live", None) if fig is not None else None
    if live is not None and live["key"] == key:  # fast path: same layout, new numbers
        ax = live["ax"]
        for name, (lx, ly) in (("raw", (x, loss)), ("smooth", (x, None)), ("val", (vx, val))):
            line = live["lines"].get(name)
            if line is not None:
                line.set_data(*_thin(lx, smooth(loss, smoothing) if ly is None else ly))
        if "val" in live["lines"]:
            live["lines"]["val"].set_marker("o" if len(val) <= 30 else "None")
        sig = _autoscale(ax, log_scale, live=per_step)
        if sig == live.get("sig"):
            _freeze_layout(fig)  # same tick labels as last time: keep the layout
        else:  # wider or narrower tick labels: lay out again on the next draw
            _relayout(fig)
            live["sig"] = sig
        return fig
    fig = _new_figure(fig, figsize)
    ax = fig.add_subplot()
    lines = {}
    if has[0]:
        if key[2]:
            (lines["raw"],) = ax.plot(*_thin(x, loss), color=COLORS["sky"], lw=0.8, alpha=0.5)
            (lines["smooth"],) = ax.plot(*_thin(x, smooth(loss, smoothing)),
                                         color=COLORS["blue"], lw=2.0, label="training (smoothed)")
        else:
            (lines["raw"],) = ax.plot(*_thin(x, loss), color=COLORS["blue"], lw=1.6,
                                      label="training")
    if has[1]:
        (lines["val"],) = ax.plot(vx, val, color=COLORS["vermillion"], lw=1.6,
                                  marker="o" if len(val) <= 30 else "None", ms=3,
                                  label="validation")
    if not any(has):
        ax.text(0.5, 0.5, "no steps yet", ha="center", va="center",
                transform=ax.transAxes, fontsize=_FONT["label"], color=COLORS["grey"])
        ax.set_xticks([])
        ax.set_yticks([])
    _style(ax, title, xlabel or ("step" if per_step else "epoch"),
           "loss (log scale)" if log_scale else "loss")
    if any(has):
        ax.legend(fontsize=_FONT["legend"], frameon=False, loc="upper right")
    ax.grid(True, which="major", alpha=0.3)
    sig = _autoscale(ax, log_scale, live=per_step)
    fig._rnnlesson_live = {"key": key, "ax": ax, "lines": lines, "sig": sig}
    if per_step:  # a live training history: redrawn often, only the curves change
        fig._rnnlesson_dynamic = [a for a in (*lines.values(), ax.get_legend()) if a is not None]
    return fig


def _plain(v, _pos=None) -> str:
    return f"{v:g}"


def _nice_ceil(v: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten that is >= v."""
    if v <= 0:
        return 1.0
    p = 10.0 ** math.floor(math.log10(v))
    return next(m * p for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * p >= v * (1 - 1e-12))


def _autoscale(ax, log_scale: bool, live: bool = False):
    """Fit the axes to the finite data; log scale with plain-number tick labels.

    ``live``: the data grows while it is shown (a training run), so the limits move in
    steps instead (x up to a round number, a log y axis to quarter decades): the axes
    then stay put for many redraws, and their drawing can be reused.

    Returns a signature of the tick labels (the x range's digits; for a log y axis the
    widest label shown, else the magnitude): when it is unchanged, the last layout
    still fits.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ys = [np.asarray(line.get_ydata(), dtype=np.float64) for line in ax.lines]
    xs = [np.asarray(line.get_xdata(), dtype=np.float64) for line in ax.lines]
    ys = np.concatenate(ys) if ys else np.empty(0)
    xs = np.concatenate(xs) if xs else np.empty(0)
    ok = np.isfinite(ys) & ((ys > 0) if log_scale else True)
    sig = [None, None]
    if xs.size:
        lo, hi = float(np.nanmin(xs)), float(np.nanmax(xs))
        if live and hi - lo >= 1:
            hi = _nice_ceil(hi)
        ax.set_xlim(lo - 0.5, hi + 0.5) if hi - lo < 1 else ax.set_xlim(lo, hi)
        sig[0] = len(str(int(abs(hi))))
    if ok.any():
        lo, hi = float(ys[ok].min()), float(ys[ok].max())
        if log_scale:
            if ax.get_yscale() != "log":
                ax.set_yscale("log")
                ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
                ax.yaxis.set_major_formatter(FuncFormatter(_plain))
                ax.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0), numticks=12))
            hi = hi * 1.3 if hi > lo else hi * 2
            lo = lo / 1.3 if hi > lo else lo / 2
            if live:  # quarter decades
                lo = 10.0 ** (math.floor(4 * math.log10(lo)) / 4)
                hi = 10.0 ** (math.ceil(4 * math.log10(hi)) / 4)
            # fewer than two labelled decades: label 2x and 5x too
            few = math.floor(math.log10(hi)) - math.ceil(math.log10(lo)) < 1
            ax.yaxis.set_minor_formatter(FuncFormatter(_plain) if few else NullFormatter())
            # the widest tick label shown decides the layout's left margin
            k0, k1 = math.floor(math.log10(lo)), math.floor(math.log10(hi))
            shown = [m * 10.0 ** k for k in range(k0, k1 + 1)
                     for m in ((1, 2, 5) if few else (1,))
                     if lo * (1 - 1e-9) <= m * 10.0 ** k <= hi * (1 + 1e-9)]
            sig[1] = (max((len(_plain(v)) for v in shown), default=0), few)
        else:
            pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
            lo, hi = lo - pad, hi + pad
            sig[1] = (math.floor(math.log10(max(abs(lo), abs(hi), 1e-12))),
                      lo < 0)
        ax.set_ylim(lo, hi)
    return tuple(sig)


# ----------------------------------------------------------------------------- task views
def predictions(target, prediction, t=None, *, fig=None, title="Predictions",
                xlabel="time step", ylabel="value", figsize=(6.0, 3.4)) -> Figure:
    """Predicted against true values over time: ``target`` and ``prediction`` (N,)."""
    owner = "predictions"
    y = _vector(target, "target", owner)
    p = _vector(prediction, "prediction", owner)
    if y.shape != p.shape:
        raise ValueError(f"{owner} expects target and prediction of the same length; got "
                         f"{y.shape[0]} and {p.shape[0]}.")
    t = np.arange(len(y)) if t is None else _vector(t, "t", owner)
    key = ("predictions", len(y), title, xlabel, ylabel)
    live = _live(fig, key)
    if live is not None and np.array_equal(live["target"], y):  # fast path: new predictions
        live["line"].set_data(t, p)
        ok = np.isfinite(p)
        lo = min(live["ylim"][0], float(p[ok].min()) if ok.any() else 0.0)
        hi = max(live["ylim"][1], float(p[ok].max()) if ok.any() else 0.0)
        if (lo, hi) == tuple(live["ax"].get_ylim()):
            _freeze_layout(fig)
        else:  # the axis grew: new tick labels, new layout
            live["ax"].set_ylim(lo, hi)
            _relayout(fig)
        return fig
    fig = _new_figure(fig, figsize)
    ax = fig.add_subplot()
    ax.plot(t, y, color=COLORS["grey"], lw=1.0, label="target")
    (line,) = ax.plot(t, p, color=COLORS["orange"], lw=2.0, label="prediction")
    _style(ax, title, xlabel, ylabel)
    ax.legend(fontsize=_FONT["legend"], frameon=False, loc="upper right")
    # fixed y range around the target (a wild prediction widens it)
    pad = 0.1 * (y.max() - y.min() + 1e-9)
    ylim = (float(y.min() - pad), float(y.max() + pad))
    ax.set_ylim(ylim)
    ok = np.isfinite(p)
    if ok.any():
        ax.set_ylim(min(ylim[0], float(p[ok].min())), max(ylim[1], float(p[ok].max())))
    fig._rnnlesson_live = {"key": key, "line": line, "ax": ax, "target": y.copy(),
                           "ylim": ylim}
    fig._rnnlesson_dynamic = [line, ax.get_legend()]  # redrawn live: only these change
    return fig


def prediction_scatter(target, prediction, *, fig=None, title="Predicted against true",
                       xlabel="true value", ylabel="predicted value", figsize=(4.2, 3.6)) -> Figure:
    """One dot per sample, ``prediction`` (N,) against ``target`` (N,), with the line y = x."""
    owner = "prediction_scatter"
    y = _vector(target, "target", owner)
    p = _vector(prediction, "prediction", owner)
    if y.shape != p.shape:
        raise ValueError(f"{owner} expects target and prediction of the same length; got "
                         f"{y.shape[0]} and {p.shape[0]}.")
    mse = float(np.mean((p - y) ** 2))
    key = ("scatter", len(y), title, xlabel, ylabel, figsize)
    live = _live(fig, key)
    finite = np.isfinite(p)
    if live is not None and np.array_equal(live["target"], y):  # fast path: new predictions
        live["dots"].set_offsets(np.column_stack([y, p]))
        live["text"].set_text(f"MSE {mse:.4f}")
        lo = min(live["lim"][0], float(p[finite].min()) if finite.any() else 0.0)
        hi = max(live["lim"][1], float(p[finite].max()) if finite.any() else 0.0)
        if (lo, hi) == tuple(live["ax"].get_ylim()):
            _freeze_layout(fig)
        else:  # the axis grew: new tick labels, new layout
            live["ax"].set_ylim(lo, hi)
            _relayout(fig)
        return fig
    fig = _new_figure(fig, figsize)
    ax = fig.add_subplot()
    lo, hi = float(y.min()), float(y.max())
    pad = 0.05 * (hi - lo + 1e-9)
    lo, hi = lo - pad, hi + pad
    ax.plot([lo, hi], [lo, hi], color=COLORS["grey"], lw=1.0, ls="--", label="perfect")
    dots = ax.scatter(y, p, s=10, color=COLORS["blue"], alpha=0.6, edgecolors="none")
    text = ax.text(0.03, 0.95, f"MSE {mse:.4f}", transform=ax.transAxes, va="top",
                   fontsize=_FONT["legend"])
    _style(ax, title, xlabel, ylabel)
    ax.set_xlim(lo, hi)
    ax.set_ylim(min(lo, float(p[finite].min()) if finite.any() else lo),
                max(hi, float(p[finite].max()) if finite.any() else hi))
    fig._rnnlesson_live = {"key": key, "dots": dots, "text": text, "ax": ax,
                           "target": y.copy(), "lim": (lo, hi)}
    # redrawn live: the dots and the text change; the y = x line, drawn over the dots in
    # a full draw, is redrawn with them
    fig._rnnlesson_dynamic = [dots, *ax.lines, text]
    return fig


def phrase_probabilities(texts, probability, label=None, *, fig=None,
                         title="P(positive) per phrase", figsize=(6.0, None)) -> Figure:
    """A horizontal bar per phrase: the predicted probability of the positive class.

    Args:
        texts: N phrases; probability: (N,) in [0, 1]; label: (N,) true 0/1 labels or None.
        Bars are blue for truly positive and orange for truly negative phrases; a
        hatched bar is on the wrong side of 0.5.
    """
    owner = "phrase_probabilities"
    texts = [str(t) for t in texts]
    p = _vector(probability, "probability", owner)
    if len(texts) != len(p):
        raise ValueError(f"{owner} expects one probability per phrase; got {len(texts)} phrases "
                         f"and {len(p)} probabilities.")
    lab = None if label is None else _vector(label, "label", owner).astype(int)
    height = figsize[1] if figsize[1] is not None else 0.9 + 0.22 * len(texts)
    fig = _new_figure(fig, (figsize[0], height))
    ax = fig.add_subplot()
    yy = np.arange(len(texts))[::-1]
    if lab is None:
        colors, hatches = [COLORS["blue"]] * len(p), [None] * len(p)
    else:
        colors = [COLORS["blue"] if v == 1 else COLORS["orange"] for v in lab]
        hatches = [None if (pp > 0.5) == (v == 1) else "///" for pp, v in zip(p, lab, strict=True)]
    for y0, pp, c, h in zip(yy, p, colors, hatches, strict=True):
        ax.barh(y0, pp, color=c, hatch=h, edgecolor="white" if h is None else "black",
                linewidth=0.5)
    ax.scatter(p, yy, s=14, c=colors, edgecolors="black", linewidths=0.5, zorder=3)
    ax.axvline(0.5, color=COLORS["grey"], lw=1.0, ls="--")
    ax.set_yticks(yy)
    ax.set_yticklabels(texts, fontsize=_FONT["tick"])
    ax.set_xlim(-0.02, 1.02)
    if lab is not None:
        acc = float(np.mean((p > 0.5) == (lab == 1)))
        title = f"{title} (accuracy {acc:.0%})"
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=COLORS["blue"], label="truly positive"),
                           Patch(color=COLORS["orange"], label="truly negative"),
                           Patch(facecolor="white", edgecolor="black", hatch="///",
                                 label="wrong side of 0.5")],
                  fontsize=_FONT["legend"] - 1, frameon=False, loc="lower right")
    _style(ax, title, "P(positive)", None)
    return fig


def task_view(data: dict, *, fig=None) -> Figure:
    """Draw a task's picture from ``Trainer.view()`` data (dispatches on ``data['kind']``)."""
    if not isinstance(data, dict) or "kind" not in data:
        raise TypeError("task_view expects the dict returned by Trainer.view() (with a 'kind').")
    kind = data["kind"]
    if kind == "series":
        return predictions(data["target"], data["prediction"], data.get("t"), fig=fig,
                           title=data.get("title", "Predictions"),
                           xlabel=data.get("xlabel", "time step"),
                           ylabel=data.get("ylabel", "value"))
    if kind == "scatter":
        return prediction_scatter(data["target"], data["prediction"], fig=fig,
                                  title=data.get("title", "Predicted against true"),
                                  xlabel=data.get("xlabel", "true value"),
                                  ylabel=data.get("ylabel", "predicted value"),
                                  figsize=(6.0, 3.4))
    if kind == "phrases":
        return phrase_probabilities(data["texts"], data["probability"], data.get("label"),
                                    fig=fig, title=data.get("title", "P(positive) per phrase"))
    raise ValueError(f"task_view: unknown kind {kind!r}; expected 'series', 'scatter' or "
                     "'phrases'.")


# ----------------------------------------------------------------------------- heatmaps
def _heatmap(ax, values, title, cmap, limits, labels, highlight):
    """values (T, H) drawn with time across and units up; returns the image."""
    v = np.asarray(values, dtype=np.float64)
    T, H = v.shape
    im = ax.imshow(v.T, aspect="auto", origin="lower", cmap=cmap, vmin=limits[0],
                   vmax=limits[1], interpolation="nearest", extent=(-0.5, T - 0.5, -0.5, H - 0.5))
    _style(ax, title, None, None)
    for s in ("top", "right"):
        ax.spines[s].set_visible(True)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    _time_ticks(ax, T, labels)
    for t in highlight or ():  # a small mark above the panel, not over the data
        ax.plot([t], [H - 0.5], marker="v", ms=5, color=COLORS["black"], clip_on=False)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(-0.5, H - 0.5)
    return im


def _time_ticks(ax, T, labels):
    """Label the time axis with ``labels`` (only the non-empty ones), else a few step numbers."""
    if labels is not None and len(labels) == T and T <= 60:
        pos = [t for t, s in enumerate(labels) if str(s)]
        texts = [str(labels[t]) for t in pos]
        ax.set_xticks(pos)
        long = max((len(s) for s in texts), default=0) > 3
        ax.set_xticklabels(texts, fontsize=_FONT["tick"] - (0 if not long else 1),
                           rotation=30 if long else 0, ha="right" if long else "center")
    else:
        ax.set_xticks(np.linspace(0, T - 1, min(T, 6)).round().astype(int))


def _sym_limit(v) -> float:
    v = np.asarray(v)
    m = float(np.nanmax(np.abs(v))) if np.isfinite(v).any() else 1.0
    return max(m, 1e-6)


def hidden_states(states, *, labels=None, fig=None, title="Hidden state over time",
                  figsize=(6.0, 2.8)) -> Figure:
    """Heatmap of a hidden-state sequence ``states`` (T, H) (or (N, T, H): first shown).

    ``labels``: one label per time step (e.g. the words read), or None.
    """
    v = _matrix(states, "states", "hidden_states")
    fig = _new_figure(fig, figsize)
    ax = fig.add_subplot()
    m = _sym_limit(v)
    im = _heatmap(ax, v, title, _SIGNED_CMAP, (-m, m), labels, None)
    ax.set_xlabel("time step", fontsize=_FONT["label"])
    ax.set_ylabel("hidden unit", fontsize=_FONT["label"])
    cb = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    cb.ax.tick_params(labelsize=_FONT["tick"] - 1)
    return fig


_GATE_ROWS = (("i", "f", "o"), ("c~", "c", "h"))


def gate_heatmaps(gates: dict, *, inputs=None, labels=None, highlight=None, fig=None,
                  title=None, input_names=None, figsize=(8.4, 5.6)) -> Figure:
    """The LSTM's gates, candidate and cell state over the time steps of one sequence.

    Layout: the input sequence on top (if given); then the three gates
    (input i, forget f, output o; values in [0, 1], viridis); then the cell
    candidate c~, the cell state c and the hidden state h (signed, RdBu_r;
    c~ and h lie in [-1, 1], c is unbounded and gets its own symmetric scale,
    stated in its title). Time runs left to right, one row of pixels per hidden unit.

    Args:
        gates: dict from ``LSTM.gate_activations`` (arrays (N, T, H): the first sequence
            is shown) or from ``Trainer.probe_gates`` ((T, H)), with keys ``'i'``, ``'f'``,
            ``'o'``, ``'c~'``, ``'c'``, ``'h'``.
        inputs: the input sequence (T, D) (or (1, T, D)) drawn on top, or None.
        labels: a label per time step (words, markers) for the time axis, or None.
        highlight: time steps to mark (a dotted line on the input, a small triangle
            above each heatmap).
        fig: a Figure to draw into again. When it was drawn by this function with the
            same shapes, only the data are replaced (fast enough for live updates).
        input_names: names of the D input channels for the legend.
    """
    owner = "gate_heatmaps"
    if not isinstance(gates, dict):
        raise TypeError(f"{owner} expects a dict of arrays (from gate_activations); got "
                        f"{type(gates).__name__}.")
    keys = [k for row in _GATE_ROWS for k in row]
    missing = [k for k in keys if k not in gates]
    if missing:
        raise ValueError(f"{owner}: gates has no {missing}; it has {sorted(gates)}.")
    mats = {k: _matrix(gates[k], f"gates['{k}']", owner) for k in keys}
    T, H = mats["i"].shape
    for k, m in mats.items():
        if m.shape != (T, H):
            raise ValueError(f"{owner}: gates['{k}'] has shape {m.shape}; gates['i'] has {(T, H)}.")
    x = None
    if inputs is not None:
        x = np.asarray(inputs, dtype=np.float64)
        if x.ndim == 3:
            x = x[0]
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[0] != T:
            raise ValueError(f"{owner} expects inputs of shape (T, D) with T={T}; got "
                             f"{np.asarray(inputs).shape}.")
    cmax = _sym_limit(mats["c"])
    key = ("gates", T, H, None if x is None else x.shape,
           None if labels is None else tuple(labels), tuple(highlight or ()), title)
    live = getattr(fig, "_rnnlesson_live", None) if fig is not None else None
    if live is not None and live["key"] == key:  # fast path: same layout, new numbers
        _freeze_layout(fig)
        for k, im in live["images"].items():
            im.set_data(mats[k].T)
        live["images"]["c"].set_clim(-cmax, cmax)
        live["c_title"].set_text(f"cell state c (colour scale \u00b1{cmax:.2g})")
        if x is not None:
            for d, line in enumerate(live["input_lines"]):
                line.set_ydata(x[:, d])
        return fig
    fig = _new_figure(fig, figsize)
    nrows = 2 + (x is not None)
    gs = fig.add_gridspec(nrows, 4, width_ratios=[1, 1, 1, 0.06],
                          height_ratios=([0.7] if x is not None else []) + [1.0, 1.0])
    r0 = 0
    lines = []
    palette = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"]]
    if x is not None:
        ax = fig.add_subplot(gs[0, :3])
        if x.shape[1] <= 4:
            for d in range(x.shape[1]):
                name = input_names[d] if input_names is not None else f"x[{d}]"
                (line,) = ax.step(np.arange(T), x[:, d], where="mid", color=palette[d], lw=1.6,
                                  label=name)
                lines.append(line)
            ax.legend(fontsize=_FONT["legend"], frameon=False, loc="lower left",
                      bbox_to_anchor=(0.0, 1.0), ncol=x.shape[1], borderaxespad=0.0)
            ax.set_xlim(-0.5, T - 0.5)
            _style(ax, None, None, "input")
            _time_ticks(ax, T, labels)
            for t in highlight or ():
                ax.axvline(t, color=COLORS["grey"], lw=1.2, ls=":")
        else:
            _heatmap(ax, x, "input sequence", "cividis",
                     (float(x.min()), float(x.max()) + 1e-9), labels, highlight)
        r0 = 1
    images = {}
    c_title = None
    for r, row in enumerate(_GATE_ROWS):
        for c, k in enumerate(row):
            name, cmap, limits = _GATE_INFO[k]
            if k == "c":
                limits = (-cmax, cmax)
                name = f"cell state c (colour scale \u00b1{cmax:.2g})"
            ax = fig.add_subplot(gs[r0 + r, c])
            images[k] = _heatmap(ax, mats[k], name, cmap, limits, labels, highlight)
            if k == "c":
                c_title = ax.title
            if c == 0:
                ax.set_ylabel("hidden unit", fontsize=_FONT["label"])
            if r == len(_GATE_ROWS) - 1:
                ax.set_xlabel("time step", fontsize=_FONT["label"])
        cax = fig.add_subplot(gs[r0 + r, 3])
        cb = fig.colorbar(images[row[0]], cax=cax)
        cb.ax.tick_params(labelsize=_FONT["tick"] - 1)
    if title:
        fig.suptitle(title, fontsize=_FONT["title"] + 1)
    fig._rnnlesson_live = {"key": key, "images": images, "input_lines": lines,
                           "c_title": c_title}
    # redrawn live: the heatmaps, the cell-state title and the input lines change. What
    # is drawn over them in a full draw (highlight marks, dotted lines) is redrawn with
    # them, so the picture is the same.
    dynamic = [c_title]
    for im in images.values():
        dynamic += [im, *im.axes.lines]
    if lines:
        dynamic += list(lines[0].axes.lines)  # the input lines, then the dotted marks
    fig._rnnlesson_dynamic = dynamic
    return fig


# ----------------------------------------------------------------------------- output
def figure_to_png(fig: Figure, dpi: int | None = None, compress_level: int = 6) -> bytes:
    """The figure as PNG bytes (for ``ipywidgets.Image(value=..., format='png')``).

    ``dpi`` defaults to the figure's; ``compress_level`` 0-9 trades size for speed
    (the live widgets use 1: about as large, several times faster to encode).
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"figure_to_png expects a matplotlib Figure; got {type(fig).__name__}.")
    if getattr(fig, "_rnnlesson_dynamic", None):
        return _blit_png(fig, dpi or fig.dpi, int(compress_level))
    buf = io.BytesIO()
    fig._rnnlesson_drawn = True  # the layout (if any) runs in this draw
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor="white",
                pil_kwargs={"compress_level": int(compress_level)})
    return buf.getvalue()


def _static_state(fig, dpi):
    """What the background of a live figure depends on: when it is unchanged, the
    axes, ticks, labels and legends drawn last time are still right."""
    return (dpi, tuple(fig.get_size_inches()), fig.get_layout_engine() is None,
            tuple((ax.get_xlim(), ax.get_ylim(), ax.get_position().bounds) for ax in fig.axes))


def _blit_png(fig, dpi, compress_level) -> bytes:
    """PNG of a live figure whose only changing parts are ``fig._rnnlesson_dynamic``.

    The first time, and whenever the axes limits, the layout or the size change, the
    whole figure is drawn without the dynamic artists (and the spines of their axes)
    and that background is kept; otherwise the background is copied back and only
    those artists are drawn on it. Text (tick labels, titles, legends) is most of a
    redraw's cost, and it sits in the background.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    # the spines of their axes go with the changing artists: in a full draw they lie over
    # a curve or heatmap that reaches the edge. All are drawn in a full draw's order (by
    # zorder; the sort keeps the given order among equals).
    dynamic = fig._rnnlesson_dynamic
    spines = [sp for ax in dict.fromkeys(a.axes for a in dynamic if a.axes is not None)
              for sp in ax.spines.values()]
    drawn = sorted([*dynamic, *spines], key=lambda a: a.get_zorder())
    state = _static_state(fig, dpi)
    cached = getattr(fig, "_rnnlesson_background", None)
    if cached is None or cached[0] != state:
        fig.patch.set_facecolor("white")
        for artist in drawn:
            artist.set_animated(True)      # left out of canvas.draw()
        fig._rnnlesson_drawn = True        # the layout (if any) runs in this draw
        try:
            canvas.draw()
        finally:  # a plain savefig of the figure still shows everything
            for artist in drawn:
                artist.set_animated(False)
        # the layout may have moved the axes: key the background on where they are now
        fig._rnnlesson_background = (_static_state(fig, dpi), canvas.copy_from_bbox(fig.bbox))
    else:
        canvas.restore_region(cached[1])
    renderer = canvas.get_renderer()
    for artist in drawn:
        if artist.get_visible():
            artist.draw(renderer)
    image = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=compress_level, dpi=(dpi, dpi))
    return buf.getvalue()
