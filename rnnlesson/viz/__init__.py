"""Plots for the course: each function returns a ``matplotlib.figure.Figure``.

No pyplot: the figures are plain ``Figure`` objects, so they never pop up by
themselves, are safe to draw while a widget trains, and display in Jupyter
when they are the last expression of a cell. ``figure_to_png`` turns one into
PNG bytes for an ``ipywidgets.Image``.

Every plotting function takes ``fig=None``: pass a figure it drew before to draw
into it again. The plots that the widgets show many times a second are live plots
(:class:`LivePlot`): drawn again, they keep their axes and only change their data,
and ``figure_to_png`` then draws just what changed. The widgets hold these
objects directly (``LossCurves``, ``GateHeatmaps``).

Colours: lines use the Okabe-Ito palette; heatmaps use ``viridis`` for gates
(values in [0, 1]) and ``RdBu_r`` (ColorBrewer, colour-blind safe) for signed
values centred on 0, so all of them read in grey scale and with colour blindness.

The modules:

=============  ==================================================================
``style``      colours, font sizes, ``LessonFigure``, axis styling, input checks
``live``       ``LivePlot``: owns a figure, redraws its changing artists by blitting
``png``        ``figure_to_png`` and a fast PNG writer for live frames
``curves``     ``loss_curves`` / ``LossCurves``, ``smooth``, ``decimate``
``tasks``      ``predictions``, ``prediction_scatter``, ``phrase_probabilities``,
               ``task_view``
``heatmaps``   ``hidden_states``, ``gate_heatmaps`` / ``GateHeatmaps``
``attention``  ``attention_heatmap``: which source tokens each output token looked at
``diagrams``   ``lstm_cell_diagram``: one LSTM step, in the symbols of the equations
=============  ==================================================================

Shapes: T time steps, H hidden units, D input features, N samples.
"""

from .attention import attention_heatmap
from .curves import LossCurves, decimate, loss_curves, smooth
from .diagrams import LSTM_GATES, lstm_cell_diagram
from .heatmaps import GateHeatmaps, gate_heatmaps, hidden_states
from .live import LivePlot
from .png import encode_png, figure_to_png
from .style import COLORS, LessonFigure
from .tasks import (
    Predictions,
    PredictionScatter,
    phrase_probabilities,
    prediction_scatter,
    predictions,
    task_view,
)

__all__ = ["LessonFigure", "LivePlot", "LossCurves", "Predictions", "PredictionScatter",
           "GateHeatmaps", "loss_curves", "predictions", "prediction_scatter",
           "phrase_probabilities", "task_view", "hidden_states", "gate_heatmaps",
           "figure_to_png", "encode_png", "smooth", "decimate", "COLORS",
           "attention_heatmap", "lstm_cell_diagram", "LSTM_GATES"]
