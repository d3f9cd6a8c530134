"""``LivePlot``: a figure drawn again and again with new numbers, cheaply.

A training widget shows the same plot many times a second with new data. Drawing
a whole matplotlib figure each time is slow, and most of it (axes, tick labels,
titles, colour bars) does not change. A live plot therefore

* owns its figure, its axes and the artists in them; it builds them once and
  later only changes their data (``set_data``, ``set_offsets``, ...);
* keeps the layout: the constrained layout runs when the picture is built and
  again only when the subclass says the tick labels changed (:meth:`relayout`);
* blits: it draws everything that does not change once, keeps that background
  (``FigureCanvasAgg.copy_from_bbox``), and for each frame copies it back
  (``restore_region``) and draws only the changing artists on it
  (``Artist.draw``), in the order of their ``zorder``, as a full draw would;
* pastes overlays: a static artist drawn *above* changing ones (a legend over
  the curves) is drawn once and its pixels kept; a frame pastes them back unless
  something drawn in that frame reaches into its box, and only then draws it;
* encodes the frame with a fast PNG writer, and not at all when the pixels are
  the same as last time.

Only public matplotlib API is used (``Figure.set_layout_engine``,
``Artist.set_animated``, the Agg canvas's ``draw``, ``copy_from_bbox``,
``restore_region``, ``get_renderer`` and ``buffer_rgba``). The frame is the
picture a plain ``savefig`` of the same figure gives (tests/test_viz_live.py compares
them pixel by pixel).

Subclasses (the loss curves, the task views, the gate heatmaps) build the picture
when :meth:`_start` says so, and list the artists that change in ``dynamic`` and
the static ones above them in ``overlays``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.spines import Spine
from matplotlib.transforms import Bbox

from .png import encode_png
from .style import LessonFigure

#: pixels around an artist that antialiasing may touch
_AA_PAD = 2.0


class LivePlot:
    """A figure redrawn in place: built once, then new data drawn onto a kept background.

    Args:
        fig: the Figure to draw into (cleared when the picture is built), or None
            for a new :class:`LessonFigure` of ``figsize`` inches at 100 dpi.

    Attributes:
        figure: the Figure this plot draws (its ``live_plot`` is this object).
        dynamic: the artists that change from frame to frame.
        overlays: static artists drawn above dynamic ones (legends, reference lines).
        full_draws: how many times the whole figure has been drawn; a frame that only
            redraws the changing artists does not count.
    """

    def __init__(self, fig=None, figsize=(6.0, 3.4)):
        if fig is None:
            fig = LessonFigure(figsize=figsize, dpi=100, layout="constrained")
        elif not isinstance(fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure or None; got {type(fig).__name__}.")
        self.figure = fig
        if isinstance(fig, LessonFigure):
            fig.live_plot = self
        self.key = None
        self.dynamic: list = []
        self.overlays: list = []
        self.full_draws = 0
        self._laid_out = False   # drawn with its layout since it was (re)built
        self._background = None  # (what it depends on, the pixels, the overlays' pixels)
        self._frame = None       # (dpi and level, the pixels, the PNG) of the last frame

    @classmethod
    def on(cls, fig, figsize):
        """The plot of this kind that draws ``fig``, or a new one that will.

        This is how the plotting functions' ``fig=`` works: a figure they drew is
        a :class:`LessonFigure` that knows its live plot, so drawing into it again
        only changes the data. Any other Figure is cleared and drawn afresh.
        """
        if isinstance(fig, LessonFigure) and type(fig.live_plot) is cls:
            return fig.live_plot
        return cls(fig, figsize)

    # ------------------------------------------------------------------ for subclasses
    def _start(self, key) -> bool:
        """True when the picture must be built (first call, or ``key`` changed).

        ``key`` sums up what decides the picture's structure (which curves, titles,
        shapes): while it stays the same, new data only replace the old. On True
        the figure has been cleared for building.
        """
        if key == self.key:
            return False
        self.key = key
        self.figure.clear()
        self.dynamic, self.overlays = [], []
        self.relayout()
        return True

    def relayout(self) -> None:
        """Lay the figure out again at its next draw (wider tick labels need more room)."""
        self.figure.set_layout_engine("constrained")
        self._laid_out = False
        self._background = None

    def keep_layout(self) -> None:
        """Keep the axes where the last layout put them: later draws skip the layout pass.

        Only once the figure has been drawn with its layout (before, the axes have
        not been placed). The engine left is a placeholder that does nothing.
        """
        if self._laid_out and isinstance(self.figure.get_layout_engine(),
                                         ConstrainedLayoutEngine):
            self.figure.set_layout_engine("none")

    # ------------------------------------------------------------------ frames
    def pixels(self, dpi: float | None = None) -> np.ndarray:
        """Draw the current frame; its RGB pixels (height, width, 3), a view of the canvas.

        ``dpi`` defaults to the figure's (and becomes the figure's).
        """
        fig = self.figure
        dpi = float(dpi or fig.dpi)
        if fig.dpi != dpi:
            fig.set_dpi(dpi)
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        fig.patch.set_facecolor("white")  # as figure_to_png's savefig
        if self.dynamic:
            self._blit(canvas, dpi)
        else:
            canvas.draw()
            self._laid_out = True
            self.full_draws += 1
        return np.asarray(canvas.buffer_rgba())[..., :3]

    def png(self, dpi: float | None = None, compress_level: int = 1) -> bytes:
        """The current frame as PNG bytes (the same bytes again if no pixel changed)."""
        rgb = self.pixels(dpi)
        settings = (self.figure.dpi, compress_level)
        if self._frame is not None and self._frame[0] == settings \
                and np.array_equal(self._frame[1], rgb):
            return self._frame[2]
        data = encode_png(rgb, self.figure.dpi, compress_level)
        self._frame = (settings, rgb.copy(), data)
        return data

    def _changing(self) -> list:
        """What a frame draws, in a full draw's order: the dynamic artists, the spines
        of their axes (in a full draw they lie over a curve or heatmap that reaches the
        edge) and the overlays, sorted by zorder (the sort keeps the listed order
        among equals)."""
        axes = dict.fromkeys(a.axes for a in self.dynamic if a.axes is not None)
        spines = [sp for ax in axes for sp in ax.spines.values()]
        return sorted([*self.dynamic, *spines, *self.overlays], key=lambda a: a.get_zorder())

    def _static_state(self, dpi):
        """What the background depends on: while it is the same, the axes, ticks, labels
        and legends drawn last time are still right."""
        fig = self.figure
        return (dpi, tuple(fig.get_size_inches()),
                tuple((ax.get_xlim(), ax.get_ylim(), ax.get_position().bounds)
                      for ax in fig.axes))

    def _blit(self, canvas, dpi) -> None:
        drawn = self._changing()
        state = self._static_state(dpi)
        if self._background is None or self._background[0] != state:
            self._draw_background(canvas, dpi, drawn)
        _, background, pasted = self._background
        canvas.restore_region(background)
        renderer = canvas.get_renderer()
        pad = _AA_PAD * dpi / 72.0
        boxes = []  # where this frame has drawn so far
        for artist in drawn:
            if not artist.get_visible():
                continue
            if artist in pasted:
                box, region = pasted[artist]
                if not any(_touches(a, box, renderer, pad) for a in boxes):
                    canvas.restore_region(region)
                    continue
            artist.draw(renderer)
            boxes.append(artist)

    def _draw_background(self, canvas, dpi, drawn) -> None:
        """Draw the figure without the changing artists and keep it; then draw each
        overlay on it and keep the pixels of its box."""
        for artist in drawn:
            artist.set_animated(True)  # left out of canvas.draw()
        try:
            canvas.draw()
        finally:  # a plain savefig of the figure still shows everything
            for artist in drawn:
                artist.set_animated(False)
        self._laid_out = True
        self.full_draws += 1
        background = canvas.copy_from_bbox(self.figure.bbox)
        renderer = canvas.get_renderer()
        pasted = {}
        for artist in drawn:
            if artist in self.overlays and artist.get_visible():
                box = Bbox.intersection(artist.get_window_extent(renderer).padded(
                    _AA_PAD * dpi / 72.0), self.figure.bbox)
                artist.draw(renderer)
                if box is not None:
                    pasted[artist] = (box, canvas.copy_from_bbox(box))
        # the layout may have moved the axes: key the background on where they are now
        self._background = (self._static_state(dpi), background, pasted)


def _touches(artist, box: Bbox, renderer, pad: float) -> bool:
    """Whether ``artist``, as drawn, may reach into ``box`` (display pixels).

    May say yes when it does not (then an overlay is drawn for nothing), never the
    reverse. Lines and spines are tested segment by segment (a step line stays inside
    the box of each pair of its points too): a loss curve spans the whole axes, but
    passes through the legend's corner only now and then.
    """
    if artist.get_clip_on() and artist.get_clip_box() is not None:
        # clipping cuts at whole pixels: nothing is drawn beyond the clip box
        box = Bbox.intersection(box, artist.get_clip_box().padded(1.0))
        if box is None:
            return False
    if not isinstance(artist, (Line2D, Spine)):
        return artist.get_window_extent(renderer).padded(pad).overlaps(box)
    path = artist.get_path()
    xy = artist.get_transform().transform(path.vertices)
    # half the line width and half the marker, points to pixels
    width = artist.get_linewidth()
    if isinstance(artist, Line2D) and artist.get_marker() not in (None, "None", "none", "", " "):
        width += artist.get_markersize()
    reach = pad + width * renderer.dpi / 144.0
    ok = np.isfinite(xy).all(axis=1)
    if path.codes is not None:  # curves lie inside their control points' box, not the pairs'
        lo, hi = xy[ok].min(axis=0, initial=np.inf), xy[ok].max(axis=0, initial=-np.inf)
        lo, hi = lo[None] - reach, hi[None] + reach
    else:
        both = ok[:-1] & ok[1:]
        lo = np.concatenate([np.minimum(xy[:-1], xy[1:])[both], xy[ok]]) - reach
        hi = np.concatenate([np.maximum(xy[:-1], xy[1:])[both], xy[ok]]) + reach
    return bool(np.any((lo[:, 0] <= box.x1) & (hi[:, 0] >= box.x0)
                       & (lo[:, 1] <= box.y1) & (hi[:, 1] >= box.y0)))
