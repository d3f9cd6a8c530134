"""Heatmaps over time: a hidden-state sequence, and the LSTM's gates while it learns.

Time runs left to right, one row of pixels per hidden unit. Gates (values in
[0, 1]) use ``viridis``; signed values centred on 0 use ``RdBu_r``.
:class:`GateHeatmaps` is the live version that the ``GateExplorer`` widget redraws.

Shapes: T time steps, H hidden units, D input features, N sequences.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .live import LivePlot
from .style import COLORS, FONT, GATE_CMAP, SIGNED_CMAP, as_matrix, new_figure, style_axes

#: What each LSTM quantity is called in the plots, and its colour scale.
GATE_INFO = {
    "i": ("input gate i", GATE_CMAP, (0.0, 1.0)),
    "f": ("forget gate f", GATE_CMAP, (0.0, 1.0)),
    "o": ("output gate o", GATE_CMAP, (0.0, 1.0)),
    "c~": ("cell candidate c~", SIGNED_CMAP, (-1.0, 1.0)),
    "c": ("cell state c", SIGNED_CMAP, None),
    "h": ("hidden state h", SIGNED_CMAP, (-1.0, 1.0)),
}
_GATE_ROWS = (("i", "f", "o"), ("c~", "c", "h"))


def _heatmap(ax, values, title, cmap, limits, labels, highlight):
    """values (T, H) drawn with time across and units up; returns the image."""
    v = np.asarray(values, dtype=np.float64)
    T, H = v.shape
    im = ax.imshow(v.T, aspect="auto", origin="lower", cmap=cmap, vmin=limits[0],
                   vmax=limits[1], interpolation="nearest", extent=(-0.5, T - 0.5, -0.5, H - 0.5))
    style_axes(ax, title, None, None)
    for s in ("top", "right"):
        ax.spines[s].set_visible(True)
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
        ax.set_xticklabels(texts, fontsize=FONT["tick"] - (0 if not long else 1),
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
    v = as_matrix(states, "states", "hidden_states")
    fig = new_figure(fig, figsize)
    ax = fig.add_subplot()
    m = _sym_limit(v)
    im = _heatmap(ax, v, title, SIGNED_CMAP, (-m, m), labels, None)
    ax.set_xlabel("time step", fontsize=FONT["label"])
    ax.set_ylabel("hidden unit", fontsize=FONT["label"])
    cb = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    cb.ax.tick_params(labelsize=FONT["tick"] - 1)
    return fig


def _inputs(inputs, T, owner):
    """The input sequence as (T, D), or None."""
    if inputs is None:
        return None
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim == 3:
        x = x[0]
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != T:
        raise ValueError(f"{owner} expects inputs of shape (T, D) with T={T}; got "
                         f"{np.asarray(inputs).shape}.")
    return x


class GateHeatmaps(LivePlot):
    """The LSTM's gates, candidate and cell state over one sequence, redrawn in place.

    See :func:`gate_heatmaps` for the picture. While the shapes, the input sequence,
    the labels and the highlights stay the same, an update only puts new numbers
    into the six images (and the cell state's colour scale into its title).
    """

    def update(self, gates: dict, *, inputs=None, labels=None, highlight=None, title=None,
               input_names=None) -> GateHeatmaps:
        """Draw ``gates`` (see :func:`gate_heatmaps` for the arguments); returns self."""
        owner = "gate_heatmaps"
        if not isinstance(gates, dict):
            raise TypeError(f"{owner} expects a dict of arrays (from gate_activations); got "
                            f"{type(gates).__name__}.")
        keys = [k for row in _GATE_ROWS for k in row]
        missing = [k for k in keys if k not in gates]
        if missing:
            raise ValueError(f"{owner}: gates has no {missing}; it has {sorted(gates)}.")
        mats = {k: as_matrix(gates[k], f"gates['{k}']", owner) for k in keys}
        T, H = mats["i"].shape
        for k, m in mats.items():
            if m.shape != (T, H):
                raise ValueError(f"{owner}: gates['{k}'] has shape {m.shape}; gates['i'] has "
                                 f"{(T, H)}.")
        x = _inputs(inputs, T, owner)
        cmax = _sym_limit(mats["c"])
        key = ("gates", T, H, None if x is None else (x.shape, x.tobytes()),
               None if labels is None else tuple(labels), tuple(highlight or ()), title,
               None if input_names is None else tuple(input_names))
        if self._start(key):
            self._build(mats, x, cmax, labels, highlight, title, input_names)
            return self
        self.keep_layout()  # same shapes and labels: only the numbers change
        for k, im in self._images.items():
            im.set_data(mats[k].T)
        self._images["c"].set_clim(-cmax, cmax)
        self._c_title.set_text(_c_title(cmax))
        return self

    def _build(self, mats, x, cmax, labels, highlight, title, input_names) -> None:
        fig = self.figure
        T = mats["i"].shape[0]
        gs = fig.add_gridspec(2 + (x is not None), 4, width_ratios=[1, 1, 1, 0.06],
                              height_ratios=([0.7] if x is not None else []) + [1.0, 1.0])
        r0 = 0
        if x is not None:  # the input does not change: it stays in the background
            ax = fig.add_subplot(gs[0, :3])
            if x.shape[1] <= 4:
                palette = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"]]
                for d in range(x.shape[1]):
                    name = input_names[d] if input_names is not None else f"x[{d}]"
                    ax.step(np.arange(T), x[:, d], where="mid", color=palette[d], lw=1.6,
                            label=name)
                ax.legend(fontsize=FONT["legend"], frameon=False, loc="lower left",
                          bbox_to_anchor=(0.0, 1.0), ncol=x.shape[1], borderaxespad=0.0)
                ax.set_xlim(-0.5, T - 0.5)
                style_axes(ax, None, None, "input")
                _time_ticks(ax, T, labels)
                for t in highlight or ():
                    ax.axvline(t, color=COLORS["grey"], lw=1.2, ls=":")
            else:
                _heatmap(ax, x, "input sequence", "cividis",
                         (float(x.min()), float(x.max()) + 1e-9), labels, highlight)
            r0 = 1
        images = self._images = {}
        for r, row in enumerate(_GATE_ROWS):
            for c, k in enumerate(row):
                name, cmap, limits = GATE_INFO[k]
                if k == "c":
                    limits, name = (-cmax, cmax), _c_title(cmax)
                ax = fig.add_subplot(gs[r0 + r, c])
                images[k] = _heatmap(ax, mats[k], name, cmap, limits, labels, highlight)
                if k == "c":
                    self._c_title = ax.title
                if c == 0:
                    ax.set_ylabel("hidden unit", fontsize=FONT["label"])
                if r == len(_GATE_ROWS) - 1:
                    ax.set_xlabel("time step", fontsize=FONT["label"])
            cax = fig.add_subplot(gs[r0 + r, 3])
            cb = fig.colorbar(images[row[0]], cax=cax)  # i and c~: fixed scales
            cb.ax.tick_params(labelsize=FONT["tick"] - 1)
        if title:
            fig.suptitle(title, fontsize=FONT["title"] + 1)
        # what changes: the heatmaps and the cell state's title. The highlight marks lie
        # over the heatmaps, so they are drawn with them.
        self.dynamic = [self._c_title]
        for im in images.values():
            self.dynamic += [im, *im.axes.lines]


def _c_title(cmax: float) -> str:
    return f"cell state c (colour scale \u00b1{cmax:.2g})"


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
        fig: a Figure to draw into again. When this function drew it with the same
            shapes and inputs, only the data are replaced (fast enough for live
            updates: :class:`GateHeatmaps`).
        input_names: names of the D input channels for the legend.
        figsize: inches, for a new figure.
    """
    plot = GateHeatmaps.on(fig, figsize)
    plot.update(gates, inputs=inputs, labels=labels, highlight=highlight, title=title,
                input_names=input_names)
    return plot.figure
