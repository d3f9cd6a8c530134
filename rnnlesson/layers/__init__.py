"""Layers, as Keras names them: ``Dense``, ``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU``,
``Flatten``, ``Dropout``; and ``TiedDense`` (an output layer sharing an Embedding's
matrix). Every layer follows the protocol of :class:`Layer`."""

from .base import Layer, reset_name_counters
from .core import Dense, Dropout, Embedding, Flatten
from .gru import GRU
from .lstm import LSTM
from .recurrent import Recurrent
from .simple_rnn import SimpleRNN
from .tied import TiedDense

__all__ = ["Layer", "Recurrent", "Dense", "Embedding", "Flatten", "Dropout", "SimpleRNN",
           "LSTM", "GRU", "TiedDense", "reset_name_counters"]
