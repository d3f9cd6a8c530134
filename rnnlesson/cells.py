"""One-step cells for teaching step by step: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``.

``h, state = cell.forward(x_t, state)`` computes one time step and
``dx_t, dstate = cell.backward(dh, dstate)`` goes back through it, adding to
``cell.grads`` until ``cell.zero_grad()``. Each cell lives beside its sequence
layer (``rnnlesson/layers/lstm.py`` holds ``LSTM`` and ``LSTMCell``), and a loop of
cells gives the same outputs and gradients as the layer with the same weights.
"""

from .layers.gru import GRUCell
from .layers.lstm import LSTMCell
from .layers.simple_rnn import SimpleRNNCell

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell"]
