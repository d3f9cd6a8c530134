"""Attention maps: which source tokens each output token looked at.

``attention_heatmap(weights, source_tokens, target_tokens)`` draws the weights of one
answer, (T_out, T_in), with the question across the top and the answer down the side,
as ``Seq2Seq.attention_weights`` returns them (the input axis in the order of the
question as written). Each row sums to 1; the colour runs from 0 (white) to the
row's largest possible weight, 1 (dark).

Shapes: T_in source tokens, T_out output tokens, N examples.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import FONT, new_figure, style_axes

__all__ = ["attention_heatmap"]

#: how a space is shown on an axis (a blank label would hide where it is)
SPACE = "\u00b7"
#: a sequential map from white: the weights lie in [0, 1] and most are near 0
ATTENTION_CMAP = "Blues"


def _tokens(tokens, count: int, what: str, owner: str) -> list[str]:
    """Tokens as a list of ``count`` strings (a str is split into its characters)."""
    if isinstance(tokens, str):
        out = list(tokens)
    elif isinstance(tokens, (list, tuple, np.ndarray)):
        out = [str(t) for t in tokens]
    else:
        raise TypeError(f"{owner} expects {what} as a str (one token per character) or a list "
                        f"of str; got {type(tokens).__name__}.")
    if len(out) != count:
        raise ValueError(f"{owner} expects {count} {what}, one per column/row of the weights; "
                         f"got {len(out)} ({out!r:.80}).")
    return [SPACE if t == " " else t for t in out]


def attention_heatmap(weights, source_tokens, target_tokens, *, title=None, fig=None,
                      figsize=None) -> Figure:
    """Heatmap of attention weights: one row per output token, one column per source token.

    Args:
        weights: (T_out, T_in) weights, or (N, T_out, T_in) (the first example is drawn),
            e.g. ``model.attention_weights(x_src[:1], y_tgt[:1])``.
        source_tokens: the T_in tokens of the question, a str (one per character) or a
            list of str; spaces are drawn as ``·``.
        target_tokens: the T_out output tokens (the answer without its start token).
        title: the axes' title (default "Attention weights").
        fig: a figure to draw into (cleared first), or None for a new one.
        figsize: inches; by default it grows with the number of tokens.

    Returns:
        the Figure, with a colour bar from 0 to 1.
    """
    owner = "attention_heatmap"
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 3 and w.shape[0] >= 1:
        w = w[0]
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"{owner} expects weights of shape (T_out, T_in) (or (N, T_out, T_in), "
                         f"first shown); got {np.asarray(weights).shape}.")
    if not np.isfinite(w).all() or (w < 0).any() or (w > 1 + 1e-6).any():
        raise ValueError(f"{owner} expects attention weights in [0, 1] (a softmax over the "
                         "source, row by row); got values outside it or NaN.")
    t_out, t_in = w.shape
    src = _tokens(source_tokens, t_in, "source tokens", owner)
    tgt = _tokens(target_tokens, t_out, "target tokens", owner)
    if figsize is None:
        figsize = (max(3.5, 0.28 * t_in + 1.6), max(2.0, 0.3 * t_out + 1.1))
    fig = new_figure(fig, figsize)
    ax = fig.add_subplot()
    im = ax.imshow(w, cmap=ATTENTION_CMAP, vmin=0.0, vmax=1.0, aspect="auto",
                   interpolation="nearest")
    style_axes(ax, title or "Attention weights", None, None)
    ax.set_xticks(range(t_in))
    ax.set_xticklabels(src, fontsize=FONT["tick"], family="monospace")
    ax.set_yticks(range(t_out))
    ax.set_yticklabels(tgt, fontsize=FONT["tick"], family="monospace")
    ax.xaxis.tick_top()                      # the question reads along the top, as written
    ax.tick_params(length=0)
    ax.set_xlabel("source (question)", fontsize=FONT["label"])
    ax.xaxis.set_label_position("top")
    ax.set_ylabel("output (answer)", fontsize=FONT["label"])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cb.ax.tick_params(labelsize=FONT["tick"] - 1)
    cb.set_label("weight", fontsize=FONT["tick"])
    return fig
