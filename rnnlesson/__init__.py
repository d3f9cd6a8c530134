"""rnnlesson: recurrent neural networks in numpy, for learning.

The submodules below import only numpy (and the standard library). The plotting
module ``rnnlesson.viz`` and the widgets ``rnnlesson.widgets`` pull in matplotlib
and ipywidgets, so they are imported only when asked for.
"""

from . import (
    callbacks,
    cells,
    datasets,
    exercises,
    gradcheck,
    layers,
    losses,
    models,
    optimizers,
    text,
)

__version__ = "0.1.0"

__all__ = ["layers", "cells", "losses", "optimizers", "models", "callbacks", "gradcheck",
           "datasets", "text", "exercises", "__version__"]
