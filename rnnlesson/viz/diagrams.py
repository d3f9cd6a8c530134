"""Diagrams drawn by code, so that their symbols stay those of the lessons' equations.

``lstm_cell_diagram()`` draws one LSTM step in the notation of lesson 04 (rows,
batch first, Keras's gate order i, f, c, o with the candidate written g)::

    i_t = σ(x_t W_i + h_{t-1} U_i + b_i)      f_t = σ(x_t W_f + h_{t-1} U_f + b_f)
    g_t = tanh(x_t W_c + h_{t-1} U_c + b_c)   o_t = σ(x_t W_o + h_{t-1} U_o + b_o)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t           h_t = o_t ⊙ tanh(c_t)

The cell state runs along the top as a conveyor line; the three sigmoid gates are
valves (a × where they scale a signal), and i_t × g_t feeds the + that writes into
the line. Shapes: every arrow carries an (N, H) array, x_t is (N, D).
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from .style import COLORS, FONT, new_figure

__all__ = ["lstm_cell_diagram", "LSTM_GATES"]

#: the four parts of an LSTM step, in Keras's fused order, as the diagram labels them:
#: (symbol in the equations, Keras's block name, activation, what it does)
LSTM_GATES = (
    ("i", "i", "σ", "input gate: how much of g to write"),
    ("f", "f", "σ", "forget gate: how much of c_{t-1} to keep"),
    ("g", "c", "tanh", "candidate: what could be written"),
    ("o", "o", "σ", "output gate: how much of tanh(c_t) to show"),
)

_LINE = COLORS["black"]
_GATE = COLORS["orange"]       # the sigmoid valves
_CAND = COLORS["green"]        # the candidate
_MEMORY = COLORS["blue"]       # the cell state's conveyor line


def _arrow(ax, points, color=_LINE, lw=1.6, head=True):
    """A polyline through ``points`` (data coordinates), with an arrow head at the end."""
    for (x0, y0), (x1, y1) in zip(points[:-2], points[1:-1], strict=False):
        ax.plot([x0, x1], [y0, y1], color=color, lw=lw, solid_capstyle="round")
    style = "-|>" if head else "-"
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle=style, mutation_scale=12,
                                 color=color, lw=lw, shrinkA=0, shrinkB=0))


def _op(ax, x, y, symbol, color=_LINE):
    """A pointwise operation (× or +) as a labelled circle."""
    ax.add_patch(Circle((x, y), 0.22, facecolor="white", edgecolor=color, lw=1.6, zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=FONT["title"] + 1, zorder=4)


def _box(ax, x, y, label, color, w=0.9, h=0.5):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, zorder=3,
                                boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor=_LINE, lw=1.2, alpha=0.9))
    ax.text(x, y, label, ha="center", va="center", fontsize=FONT["label"], zorder=4)


def _tex(ax, x, y, symbol, **kw):
    kw.setdefault("fontsize", FONT["title"] + 1)
    ax.text(x, y, symbol, ha="center", va="center", **kw)


def lstm_cell_diagram(*, fig=None, figsize=(9.0, 4.6), title=None) -> Figure:
    """One LSTM step, drawn with the symbols of the equations (i, f, g, o, c, h, x).

    The cell state c_{t-1} -> c_t runs along the top (the conveyor line): the forget
    gate f_t scales it (×), and the input gate i_t times the candidate g_t is added (+).
    Below, x_t and h_{t-1} feed the four parts (:data:`LSTM_GATES`: σ valves in orange,
    the tanh candidate in green); on the right tanh(c_t), scaled by the output gate
    o_t, is the new hidden state h_t, which leaves to the right (to the next step)
    and upwards (the output).

    Args:
        fig: a figure to draw into (cleared first), or None for a new one.
        figsize: inches, for a new figure.
        title: the axes' title (default: what the picture shows, in one line).

    Returns:
        the Figure (one axes, no ticks), shown as a PNG when it ends a notebook cell.
    """
    fig = new_figure(fig, figsize)
    ax = fig.add_subplot()
    ax.set_xlim(-0.2, 11.2)
    ax.set_ylim(-0.3, 6.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or "One LSTM step: the cell state c runs along the top; "
                 "f, i, o are valves, g the candidate", fontsize=FONT["title"])

    y_c, y_ops, y_gate, y_bus = 5.2, 3.9, 2.5, 1.2
    x_f, x_i, x_g, x_o = 3.0, 4.4, 5.6, 7.6
    x_tanh = 8.8
    # the cell state: a conveyor line from c_{t-1} to c_t, through × f_t and + i_t g_t
    _tex(ax, 0.35, y_c, r"$c_{t-1}$")
    _arrow(ax, [(0.8, y_c), (x_f - 0.22, y_c)], _MEMORY, lw=3, head=False)
    _op(ax, x_f, y_c, "×", _MEMORY)
    _arrow(ax, [(x_f + 0.22, y_c), (5.0 - 0.22, y_c)], _MEMORY, lw=3, head=False)
    _op(ax, 5.0, y_c, "+", _MEMORY)
    _arrow(ax, [(5.0 + 0.22, y_c), (10.4, y_c)], _MEMORY, lw=3)
    _tex(ax, 10.75, y_c, r"$c_t$")

    # inputs: h_{t-1} from the left, x_t from below, joined into one bus under the gates
    _tex(ax, 0.35, y_bus, r"$h_{t-1}$")
    _arrow(ax, [(0.8, y_bus), (x_o, y_bus)], head=False)
    _tex(ax, 1.8, -0.05, r"$x_t$")
    _arrow(ax, [(1.8, 0.2), (1.8, y_bus)], head=False)
    ax.plot([1.8], [y_bus], "o", color=_LINE, ms=4)

    # the four parts, in their order in the equations' fused blocks
    for x, (sym, _, act, _) in zip((x_i, x_f, x_g, x_o), LSTM_GATES, strict=True):
        _arrow(ax, [(x, y_bus), (x, y_gate - 0.25)])
        _box(ax, x, y_gate, act, _CAND if sym == "g" else _GATE)
    # f_t: straight up to the × on the line
    _arrow(ax, [(x_f, y_gate + 0.25), (x_f, y_c - 0.22)])
    _tex(ax, x_f - 0.35, 3.9, r"$f_t$")
    # i_t × g_t, then up into the +
    _op(ax, 5.0, y_ops, "×")
    _arrow(ax, [(x_i, y_gate + 0.25), (x_i, y_ops), (5.0 - 0.22, y_ops)])
    _tex(ax, x_i - 0.35, 3.3, r"$i_t$")
    _arrow(ax, [(x_g, y_gate + 0.25), (x_g, y_ops), (5.0 + 0.22, y_ops)])
    _tex(ax, x_g + 0.35, 3.3, r"$g_t$")
    _arrow(ax, [(5.0, y_ops + 0.22), (5.0, y_c - 0.22)])
    # the output: tanh(c_t) scaled by o_t
    _arrow(ax, [(x_tanh, y_c), (x_tanh, 4.35 + 0.25)])
    ax.plot([x_tanh], [y_c], "o", color=_MEMORY, ms=5)
    _box(ax, x_tanh, 4.35, "tanh", "white", w=0.8, h=0.45)
    _op(ax, x_tanh, 3.0, "×")
    _arrow(ax, [(x_tanh, 4.35 - 0.225), (x_tanh, 3.0 + 0.22)])
    _arrow(ax, [(x_o, y_gate + 0.25), (x_o, 3.0), (x_tanh - 0.22, 3.0)])
    _tex(ax, x_o - 0.35, 3.3, r"$o_t$")
    # h_t: to the next step (right, bottom) and out (up)
    _arrow(ax, [(x_tanh, 3.0 - 0.22), (x_tanh, y_bus), (10.4, y_bus)])
    _tex(ax, 10.75, y_bus, r"$h_t$")
    _arrow(ax, [(x_tanh + 0.22, 3.0), (10.0, 3.0), (10.0, 3.55)])
    _tex(ax, 10.3, 3.25, r"$h_t$", fontsize=FONT["label"])

    # a legend in words, in the order of the fused blocks
    key = "   ".join(f"{sym}: {what.split(':')[0]}" for sym, _, _, what in LSTM_GATES)
    ax.text(5.5, 6.1, key, ha="center", va="center", fontsize=FONT["tick"],
            color=COLORS["grey"])
    return fig
