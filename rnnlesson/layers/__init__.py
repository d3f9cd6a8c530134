"""Layers, as Keras names them: ``Dense``, ``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU``,
``Bidirectional``, ``Masking``, ``Flatten``, ``Dropout``, ``Attention``,
``AdditiveAttention``, and ``TiedDense`` (an output layer sharing an Embedding's matrix).
Every layer follows the protocol of :class:`Layer`; masks pass between them as
:mod:`~rnnlesson.layers.masking` describes."""

from .attention import AdditiveAttention, Attention
from .base import Layer, reset_name_counters
from .bidirectional import Bidirectional
from .core import Dense, Dropout, Embedding, Flatten
from .gru import GRU
from .lstm import LSTM
from .masking import Masking
from .recurrent import DropoutMasks, Recurrent
from .simple_rnn import SimpleRNN
from .tied import TiedDense

__all__ = ["Layer", "Recurrent", "Dense", "Embedding", "Flatten", "Dropout", "SimpleRNN",
           "LSTM", "GRU", "TiedDense", "Bidirectional", "Masking", "DropoutMasks",
           "Attention", "AdditiveAttention", "reset_name_counters", "recurrent_classes"]


def recurrent_classes() -> dict:
    """The recurrent layer classes by name (what ``Bidirectional`` can wrap)."""
    return {cls.__name__: cls for cls in (SimpleRNN, LSTM, GRU)}
