"""Training curves: the loss (raw and smoothed) and the validation loss, by step or epoch.

``loss_curves`` draws a history once; :class:`LossCurves` is the same plot kept
alive and redrawn with each new step, as the training widgets do.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .live import LivePlot
from .style import COLORS, FONT, style_axes


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


def decimate(x, y, buckets: int = 600):
    """A long curve cut to at most ``2 * buckets + 2`` points that draw the same picture.

    The points (N,) are split into ``buckets`` runs of consecutive points; of each
    run the lowest and the highest are kept, in their order, and so are both ends.
    A bucket is about a pixel column wide, so a noisy curve keeps its envelope (taking
    every k-th point instead would drop most spikes). A run with NaN or inf keeps a
    finite point if it has one.
    """
    n = len(x)
    if n <= 2 * buckets + 2:
        return x, y
    k = -(-n // buckets)  # points per bucket; the last bucket may be shorter
    m = -(-n // k)
    low = np.full(m * k, np.inf)
    high = np.full(m * k, -np.inf)
    finite = np.isfinite(y)
    low[:n][finite], high[:n][finite] = y[finite], y[finite]
    start = np.arange(m) * k
    keep = np.concatenate([[0, n - 1], start + low.reshape(m, k).argmin(axis=1),
                           start + high.reshape(m, k).argmax(axis=1)])
    keep = np.unique(np.minimum(keep, n - 1))  # sorted: the curve's order
    return x[keep], y[keep]


def _history_get(history, key):
    if hasattr(history, "history") and isinstance(history.history, dict):  # a History object
        history = history.history
    if not isinstance(history, dict):
        raise TypeError(f"loss_curves expects a dict of lists (or a History); got "
                        f"{type(history).__name__}.")
    return history.get(key)


class LossCurves(LivePlot):
    """Training (raw and smoothed) and validation loss, redrawn in place as training goes on.

    ``LossCurves(figsize=(5.6, 3.3)).update(history).png()`` gives the picture; later
    ``update`` calls with a longer history change the curves' data, and the PNG is
    made by blitting them onto the kept axes (see :class:`LivePlot`). For a history
    by step (a trainer's, with ``'step'``) the axes grow in round steps, so that the
    background lasts for many redraws.
    """

    def update(self, history, *, log_scale: bool = True, smoothing: float = 0.9,
               title: str = "Loss", xlabel: str | None = None) -> LossCurves:
        """Draw ``history`` (see :func:`loss_curves` for the arguments); returns self."""
        loss = _history_get(history, "loss")
        val = _history_get(history, "val_loss")
        loss = np.asarray([] if loss is None else loss, dtype=np.float64).ravel()
        val = np.asarray([] if val is None else val, dtype=np.float64).ravel()
        steps = _history_get(history, "step")
        vsteps = _history_get(history, "val_step")
        per_step = steps is not None
        x = np.asarray(steps if per_step else np.arange(1, len(loss) + 1), dtype=np.float64)
        if len(x) != len(loss):
            raise ValueError(f"loss_curves: 'step' has {len(x)} entries but 'loss' has "
                             f"{len(loss)}.")
        vx = np.asarray(np.arange(1, len(val) + 1) if vsteps is None else vsteps,
                        dtype=np.float64)
        if len(vx) != len(val):
            raise ValueError(f"loss_curves: 'val_step' has {len(vx)} entries but 'val_loss' "
                             f"has {len(val)}.")
        has = (len(loss) > 0, len(val) > 0)
        # a few epochs are shown as they are; a trainer's history (by step) is smoothed from
        # its first step on, so that its picture is not built again at the fourth
        smoothed = smoothing > 0 and (per_step or len(loss) > 3)
        data = {"raw": (x, loss), "val": (vx, val)}
        if smoothed:
            data["smooth"] = (x, smooth(loss, smoothing))
        if self._start(("loss", log_scale, smoothed, has, per_step, title, xlabel)):
            self._build(data, has, smoothed, per_step, log_scale, title, xlabel)
            return self
        for name, line in self._lines.items():  # same picture, new numbers
            line.set_data(*decimate(*data[name], self._buckets()))
        if "val" in self._lines:
            self._lines["val"].set_marker("o" if len(val) <= 30 else "None")
        sig = _autoscale(self._ax, log_scale, live=per_step, keep=True)
        if sig == self._sig:
            self.keep_layout()  # same tick labels as last time
        else:  # wider or narrower tick labels: lay out again on the next draw
            self.relayout()
            self._sig = sig
        return self

    def _buckets(self) -> int:
        """About one bucket of :func:`decimate` per pixel column of the axes."""
        return max(100, int(self._ax.bbox.width))

    def _build(self, data, has, smoothed, per_step, log_scale, title, xlabel) -> None:
        ax = self._ax = self.figure.add_subplot()
        n = self._buckets()
        lines = self._lines = {}
        if has[0]:
            if smoothed:
                (lines["raw"],) = ax.plot(*decimate(*data["raw"], n), color=COLORS["sky"],
                                          lw=0.8, alpha=0.5)
                (lines["smooth"],) = ax.plot(*decimate(*data["smooth"], n), color=COLORS["blue"],
                                             lw=2.0, label="training (smoothed)")
            else:
                (lines["raw"],) = ax.plot(*decimate(*data["raw"], n), color=COLORS["blue"],
                                          lw=1.6, label="training")
        if has[1]:
            (lines["val"],) = ax.plot(*decimate(*data["val"], n), color=COLORS["vermillion"],
                                      lw=1.6, marker="o" if len(data["val"][1]) <= 30 else "None",
                                      ms=3, label="validation")
        if not any(has):
            ax.text(0.5, 0.5, "no steps yet", ha="center", va="center",
                    transform=ax.transAxes, fontsize=FONT["label"], color=COLORS["grey"])
            ax.set_xticks([])
            ax.set_yticks([])
        style_axes(ax, title, xlabel or ("step" if per_step else "epoch"),
                   "loss (log scale)" if log_scale else "loss")
        legend = None
        if any(has):
            legend = ax.legend(fontsize=FONT["legend"], frameon=False, loc="upper right")
        ax.grid(True, which="major", alpha=0.3)
        self._sig = _autoscale(ax, log_scale, live=per_step)
        if per_step:  # a live training history: redrawn often, only the curves change
            self.dynamic = list(lines.values())
            self.overlays = [legend] if legend is not None else []


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
        fig: a Figure to draw into again, or None for a new one. A figure this function
            drew keeps its axes and lines, and only their data change
            (:class:`LossCurves`).
        title, xlabel: labels (xlabel defaults to 'step' or 'epoch').
        figsize: inches, for a new figure.
    """
    plot = LossCurves.on(fig, figsize)
    plot.update(history, log_scale=log_scale, smoothing=smoothing, title=title, xlabel=xlabel)
    return plot.figure


def _plain(v, _pos=None) -> str:
    return f"{v:g}"


def _nice_ceil(v: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten that is >= v."""
    if v <= 0:
        return 1.0
    p = 10.0 ** math.floor(math.log10(v))
    return next(m * p for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * p >= v * (1 - 1e-12))


def _autoscale(ax, log_scale: bool, live: bool = False, keep: bool = False):
    """Fit the axes to the finite data; log scale with plain-number tick labels.

    ``live``: the data grows while it is shown (a training run), so the limits move in
    steps and leave room, and the axes then stay put for many redraws (their drawing
    is reused): the x axis ends at a round number, at least 100, with room to grow; a
    log y axis moves by quarter decades, with a quarter decade of room below for a
    falling loss. With ``keep`` (the axes' limits were set by this function) the x
    end and the log y bottom stay where they are while the data fit and fill most
    of the room (more than 40% of the x axis, all but 3/4 decade below).

    Returns a signature of the tick labels (the last x label's width and distance from
    the end; for a log y axis the widest label shown, else the magnitude): when it is
    unchanged, the last layout still fits.
    """
    ys = [np.asarray(line.get_ydata(), dtype=np.float64) for line in ax.lines]
    xs = [np.asarray(line.get_xdata(), dtype=np.float64) for line in ax.lines]
    ys = np.concatenate(ys) if ys else np.empty(0)
    xs = np.concatenate(xs) if xs else np.empty(0)
    ok = np.isfinite(ys) & ((ys > 0) if log_scale else True)
    sig = [None, None]
    if xs.size:
        lo, hi = float(np.nanmin(xs)), float(np.nanmax(xs))
        if live:  # from the first step on: room for 100 steps at least
            end = ax.get_xlim()[1]
            hi = end if keep and hi <= end <= max(2.5 * hi, 100) else _nice_ceil(max(1.5 * hi, 100))
        lo, hi = (lo - 0.5, hi + 0.5) if hi - lo < 1 else (lo, hi)
        _set_limits(ax.get_xlim, ax.set_xlim, lo, hi)
        # the last tick label may reach past the axes' right end (at the end, half of it
        # does): its width and place decide the layout's right margin
        ticks = ax.xaxis.get_major_locator().tick_values(lo, hi)
        last = max((t for t in ticks if lo <= t <= hi), default=hi)
        sig[0] = (len(_plain(last)), round(100 * (hi - last) / (hi - lo)))
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
                now = ax.get_ylim()[0]
                bottom = math.log10(now) if keep and now > 0 else math.inf
                low = math.log10(lo)
                lo = 10.0 ** (bottom if bottom <= low <= bottom + 0.75
                              else math.floor(4 * low - 1) / 4)
                hi = 10.0 ** (math.ceil(4 * math.log10(hi)) / 4)
            # fewer than two labelled decades: label 2x and 5x too
            few = math.floor(math.log10(hi)) - math.ceil(math.log10(lo)) < 1
            if few != isinstance(ax.yaxis.get_minor_formatter(), FuncFormatter):
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
        _set_limits(ax.get_ylim, ax.set_ylim, lo, hi)
    return tuple(sig)


def _set_limits(get, set_, lo, hi) -> None:
    """Set axis limits only when they change (setting them is slower than a redraw's
    other bookkeeping: units, callbacks, and the axes marked stale)."""
    if tuple(get()) != (lo, hi):
        set_(lo, hi)
