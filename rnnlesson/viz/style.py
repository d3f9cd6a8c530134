"""What every plot shares: colours, font sizes, the figure class, axis styling, input checks.

Shapes: T time steps, H hidden units, N samples.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .png import figure_to_png

#: Okabe-Ito colours (distinguishable with every common colour blindness).
COLORS = {"blue": "#0072B2", "orange": "#E69F00", "vermillion": "#D55E00",
          "green": "#009E73", "sky": "#56B4E9", "purple": "#CC79A7", "black": "#000000",
          "grey": "#999999"}

FONT = {"title": 11, "label": 10, "tick": 9, "legend": 9}
#: gates lie in [0, 1]: a sequential map
GATE_CMAP = "viridis"
#: signed values centred on 0: a diverging map (ColorBrewer, colour-blind safe)
SIGNED_CMAP = "RdBu_r"


class LessonFigure(Figure):
    """A plain ``Figure`` that shows itself as a PNG when it ends a notebook cell.

    A ``Figure`` made without pyplot has no display of its own in Jupyter (only
    its text repr) unless the inline backend happens to be active; this one
    always has ``_repr_png_``.

    Attributes:
        live_plot: the :class:`~rnnlesson.viz.LivePlot` that draws this figure and
            redraws it in place, or None (a picture drawn once).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.live_plot = None

    def _repr_png_(self) -> bytes:
        return figure_to_png(self)


def new_figure(fig, figsize) -> Figure:
    """``fig`` cleared for a new picture (no longer redrawn by a live plot), or a new figure.

    The figure keeps its size; a new one gets ``figsize`` (inches) at 100 dpi. Either
    way it is laid out (constrained layout) at its next draw.
    """
    if fig is None:
        return LessonFigure(figsize=figsize, dpi=100, layout="constrained")
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure or None; got {type(fig).__name__}.")
    fig.clear()
    fig.set_layout_engine("constrained")
    if isinstance(fig, LessonFigure):
        fig.live_plot = None
    return fig


def style_axes(ax, title=None, xlabel=None, ylabel=None) -> None:
    """Titles and labels in the course's font sizes; no top and right spines."""
    if title:
        ax.set_title(title, fontsize=FONT["title"])
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=FONT["label"])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def as_vector(a, what: str, owner: str) -> np.ndarray:
    """``a`` as a float64 vector (N,); (N, 1) and (1, N) are flattened."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{owner} expects {what} to be 1-D (N,) or (N, 1); got shape "
                         f"{arr.shape}.")
    return arr


def as_matrix(a, what: str, owner: str) -> np.ndarray:
    """``a`` as a float64 matrix (T, H); from (N, T, H) the first sequence is taken."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[0] >= 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f"{owner} expects {what} of shape (T, H) (or (N, T, H), first sequence "
                         f"shown); got shape {arr.shape}.")
    return arr
