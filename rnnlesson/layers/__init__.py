"""Layers, as Keras names them: ``Dense``, ``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU``,
``Flatten``, ``Dropout``, ``Attention``, ``AdditiveAttention``. Every layer follows the
protocol of :class:`Layer`."""

from .attention import AdditiveAttention, Attention
from .base import Layer, reset_name_counters
from .core import Dense, Dropout, Embedding, Flatten
from .gru import GRU
from .lstm import LSTM
from .recurrent import Recurrent
from .simple_rnn import SimpleRNN

__all__ = ["Layer", "Recurrent", "Dense", "Embedding", "Flatten", "Dropout", "SimpleRNN",
           "LSTM", "GRU", "Attention", "AdditiveAttention", "reset_name_counters"]
