"""What a model predicts: a series against its target, a scatter, a bar per phrase.

``task_view`` draws whichever of them ``Trainer.view()`` asks for. The series and
the scatter are live plots (:class:`Predictions`, :class:`PredictionScatter`):
drawn into again, only the predictions change.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .live import LivePlot
from .style import COLORS, FONT, as_vector, new_figure, style_axes


def _same_length(y, p, owner) -> None:
    if y.shape != p.shape:
        raise ValueError(f"{owner} expects target and prediction of the same length; got "
                         f"{y.shape[0]} and {p.shape[0]}.")


def _fit_ylim(ax, limits, values) -> bool:
    """Set the y limits to ``limits`` widened to the finite ``values``; True if they moved."""
    lo, hi = limits
    ok = np.isfinite(values)
    if ok.any():
        lo, hi = min(lo, float(values[ok].min())), max(hi, float(values[ok].max()))
    if (lo, hi) == tuple(ax.get_ylim()):
        return False
    ax.set_ylim(lo, hi)
    return True


class Predictions(LivePlot):
    """Predicted against true values over time, redrawn in place as the predictions change.

    The y range is fixed around the target; a wild prediction widens it, and it
    shrinks back once the predictions are tame again.
    """

    def update(self, target, prediction, t=None, *, title="Predictions", xlabel="time step",
               ylabel="value") -> Predictions:
        """Draw ``prediction`` (N,) against ``target`` (N,) at times ``t`` (N,); returns self."""
        owner = "predictions"
        y = as_vector(target, "target", owner)
        p = as_vector(prediction, "prediction", owner)
        _same_length(y, p, owner)
        t = np.arange(len(y)) if t is None else as_vector(t, "t", owner)
        if not self._start(("predictions", y.tobytes(), title, xlabel, ylabel)):
            self._line.set_data(t, p)  # same target: only the predictions change
            if _fit_ylim(self._ax, self._ylim, p):
                self.relayout()  # new tick labels
            else:
                self.keep_layout()
            return self
        ax = self._ax = self.figure.add_subplot()
        ax.plot(t, y, color=COLORS["grey"], lw=1.0, label="target")
        (self._line,) = ax.plot(t, p, color=COLORS["orange"], lw=2.0, label="prediction")
        style_axes(ax, title, xlabel, ylabel)
        legend = ax.legend(fontsize=FONT["legend"], frameon=False, loc="upper right")
        pad = 0.1 * (y.max() - y.min() + 1e-9)
        self._ylim = (float(y.min() - pad), float(y.max() + pad))
        _fit_ylim(ax, self._ylim, p)
        self.dynamic, self.overlays = [self._line], [legend]
        return self


class PredictionScatter(LivePlot):
    """One dot per sample, prediction against target, with the line y = x and the MSE."""

    def update(self, target, prediction, *, title="Predicted against true", xlabel="true value",
               ylabel="predicted value") -> PredictionScatter:
        """Draw ``prediction`` (N,) against ``target`` (N,); returns self."""
        owner = "prediction_scatter"
        y = as_vector(target, "target", owner)
        p = as_vector(prediction, "prediction", owner)
        _same_length(y, p, owner)
        mse = float(np.mean((p - y) ** 2))
        if not self._start(("scatter", y.tobytes(), title, xlabel, ylabel)):
            self._dots.set_offsets(np.column_stack([y, p]))  # same targets: new predictions
            self._text.set_text(f"MSE {mse:.4f}")
            if _fit_ylim(self._ax, self._lim, p):
                self.relayout()
            else:
                self.keep_layout()
            return self
        ax = self._ax = self.figure.add_subplot()
        lo, hi = float(y.min()), float(y.max())
        pad = 0.05 * (hi - lo + 1e-9)
        lo, hi = self._lim = (lo - pad, hi + pad)
        (diagonal,) = ax.plot([lo, hi], [lo, hi], color=COLORS["grey"], lw=1.0, ls="--",
                              label="perfect")
        self._dots = ax.scatter(y, p, s=10, color=COLORS["blue"], alpha=0.6, edgecolors="none")
        self._text = ax.text(0.03, 0.95, f"MSE {mse:.4f}", transform=ax.transAxes, va="top",
                             fontsize=FONT["legend"])
        style_axes(ax, title, xlabel, ylabel)
        ax.set_xlim(lo, hi)
        _fit_ylim(ax, self._lim, p)
        # the y = x line lies over the dots
        self.dynamic, self.overlays = [self._dots, self._text], [diagonal]
        return self


def predictions(target, prediction, t=None, *, fig=None, title="Predictions",
                xlabel="time step", ylabel="value", figsize=(6.0, 3.4)) -> Figure:
    """Predicted against true values over time: ``target`` and ``prediction`` (N,).

    ``t``: the times (N,), default 0, 1, ...; ``fig``: a Figure to draw into again
    (one this function drew keeps its axes: only the prediction changes), or None.
    """
    plot = Predictions.on(fig, figsize)
    return plot.update(target, prediction, t, title=title, xlabel=xlabel, ylabel=ylabel).figure


def prediction_scatter(target, prediction, *, fig=None, title="Predicted against true",
                       xlabel="true value", ylabel="predicted value", figsize=(4.2, 3.6)) -> Figure:
    """One dot per sample, ``prediction`` (N,) against ``target`` (N,), with the line y = x."""
    plot = PredictionScatter.on(fig, figsize)
    return plot.update(target, prediction, title=title, xlabel=xlabel, ylabel=ylabel).figure


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
    p = as_vector(probability, "probability", owner)
    if len(texts) != len(p):
        raise ValueError(f"{owner} expects one probability per phrase; got {len(texts)} phrases "
                         f"and {len(p)} probabilities.")
    lab = None if label is None else as_vector(label, "label", owner).astype(int)
    height = figsize[1] if figsize[1] is not None else 0.9 + 0.22 * len(texts)
    fig = new_figure(fig, (figsize[0], height))
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
    ax.set_yticklabels(texts, fontsize=FONT["tick"])
    ax.set_xlim(-0.02, 1.02)
    if lab is not None:
        acc = float(np.mean((p > 0.5) == (lab == 1)))
        title = f"{title} (accuracy {acc:.0%})"
        ax.legend(handles=[Patch(color=COLORS["blue"], label="truly positive"),
                           Patch(color=COLORS["orange"], label="truly negative"),
                           Patch(facecolor="white", edgecolor="black", hatch="///",
                                 label="wrong side of 0.5")],
                  fontsize=FONT["legend"] - 1, frameon=False, loc="lower right")
    style_axes(ax, title, "P(positive)", None)
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
