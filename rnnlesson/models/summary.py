"""``summary()``: Keras 3's table of layers, output shapes and parameter counts.

::

    Model: "imdb_rnn"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ embedding (Embedding)           │ (None, 500, 32)        │       320,000 │
    ...
     Total params: 322,113 (1.23 MB)

The layout (76 characters wide, columns 33 | 24 | 15, sizes in powers of 1024 with
two decimals) is what Keras 3 prints in Jupyter or an 80-column terminal, so the
lessons' tables can be compared with Keras's character for character.
"""

from __future__ import annotations

import textwrap

from .. import _checks

__all__ = ["render_summary", "readable_bytes"]

#: Keras 3's column widths (with padding) in a 76-character table
_BASE_WIDTHS = (33, 24, 15)
_HEADERS = ("Layer (type)", "Output Shape", "Param #")


def readable_bytes(n) -> str:
    """Bytes as Keras writes them: powers of 1024, two decimals (``1.23 MB``, ``0.00 B``)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PB"


def _column_widths(rows, total_width: int) -> list[int]:
    """Keras's widths scaled to ``total_width``, widened where a cell does not fit."""
    scale = (total_width - 4) / sum(_BASE_WIDTHS)
    widths = [max(6, int(w * scale)) for w in _BASE_WIDTHS]
    widths[2] = max(6, total_width - 4 - widths[0] - widths[1])
    for j in range(3):
        need = max([len(_HEADERS[j])] + [len(r[j]) for r in rows]) + 2
        widths[j] = max(widths[j], need)
    return widths


def _param_totals(model):
    """(trainable count, non-trainable count, their bytes) over every layer's weights."""
    trainable = non_trainable = t_bytes = n_bytes = 0
    if model.built:
        for layer in model.layers:
            for p in layer.params.values():
                if layer.trainable:
                    trainable += p.size
                    t_bytes += p.nbytes
                else:
                    non_trainable += p.size
                    n_bytes += p.nbytes
    return trainable, non_trainable, t_bytes, n_bytes


def _shared_notes(model, width: int) -> list[str]:
    """Lines under the table for each layer that uses another layer's weights (a
    TiedDense and its Embedding): those weights are counted once, in their owner."""
    notes = []
    if not model.built:
        return notes
    for layer in model.layers:
        for ref in getattr(layer, "layer_references", ()):
            size = sum(p.size for p in ref.params.values())
            text = (f"Note: {layer.name} ({type(layer).__name__}) shares the {size:,} weights "
                    f"of {ref.name} ({type(ref).__name__}); they are counted once, in "
                    f"{ref.name}.")
            notes.extend(textwrap.wrap(text, width=width, initial_indent=" ",
                                       subsequent_indent="       "))
    return notes


def render_summary(model, line_length=None) -> str:
    """The summary table of ``model`` (its ``name``, ``layers``, ``built``, ``output_shapes``).

    Args:
        model: a model with layers; an unbuilt one shows ``?`` and ``0 (unbuilt)``.
        line_length: total width (default 76); columns widen when a cell does not fit.
    """
    rows = []
    for layer, shape in zip(model.layers, model.output_shapes, strict=True):
        label = f"{layer.name} ({type(layer).__name__})"
        if model.built:
            rows.append((label, _checks.shape_str(shape), f"{layer.count_params():,}"))
        else:
            rows.append((label, "?", "0 (unbuilt)"))
    total_width = 76 if line_length is None else _checks.positive_int(
        line_length, "line_length", "Sequential.summary")
    widths = _column_widths(rows, total_width)

    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, bar):
        parts = [" " + values[0].ljust(widths[0] - 2) + " ",
                 " " + values[1].ljust(widths[1] - 2) + " ",
                 " " + values[2].rjust(widths[2] - 2) + " "]
        return bar + bar.join(parts) + bar

    out = [f'Model: "{model.name}"', line("┏", "━", "┳", "┓"), cells(_HEADERS, "┃"),
           line("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out.append(cells(row, "│"))
    out.append(line("└", "─", "┴", "┘"))
    out.extend(_shared_notes(model, sum(widths) + 4))
    trainable, non_trainable, t_bytes, n_bytes = _param_totals(model)
    out.append(f" Total params: {trainable + non_trainable:,} "
               f"({readable_bytes(t_bytes + n_bytes)})")
    out.append(f" Trainable params: {trainable:,} ({readable_bytes(t_bytes)})")
    out.append(f" Non-trainable params: {non_trainable:,} ({readable_bytes(n_bytes)})")
    return "\n".join(out)
