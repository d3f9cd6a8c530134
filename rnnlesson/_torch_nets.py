"""The torch modules that :func:`rnnlesson.interop.to_torch` builds (imports torch: only
``interop`` imports this module, after checking that torch is there).

Every module's ``forward(x, mask)`` returns ``(output, mask)``: torch has no mask that
travels with a tensor, so :class:`Sequential` hands it from module to module, as Keras
does. Shapes: x (N, T) ids, (N, T, D) or (N, D) floats; mask (N, T) bool or None.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

_ACTIVATIONS = {"linear": lambda z: z, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
                "relu": torch.relu, "softmax": lambda z: torch.softmax(z, dim=-1)}


def load(module: nn.Module, weights: dict) -> None:
    """Put numpy ``weights`` (by parameter name) into ``module``, shapes checked. The
    parameter takes the array's dtype; ``Sequential.to(dtype)`` makes them all alike."""
    params = dict(module.named_parameters())
    for name, value in weights.items():
        if tuple(params[name].shape) != tuple(value.shape):
            raise ValueError(f"to_torch: {name} has shape {tuple(params[name].shape)} in torch; "
                             f"the translated weight has {tuple(value.shape)}.")
        params[name].data = torch.from_numpy(np.array(value))  # a copy, not a view


class Embedding(nn.Module):
    """ids (N, T) -> vectors (N, T, E); with ``mask_zero`` the mask is ``ids != 0``."""

    def __init__(self, vocab: int, dim: int, mask_zero: bool):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.mask_zero = mask_zero

    def forward(self, x, mask=None):
        return self.embedding(x), (x != 0) if self.mask_zero else None


class Masking(nn.Module):
    """(N, T, D) -> the same, zero at the masked steps; mask = some feature != mask_value."""

    def __init__(self, mask_value: float):
        super().__init__()
        self.mask_value = mask_value

    def forward(self, x, mask=None):
        keep = (x != self.mask_value).any(dim=-1)
        return x * keep.unsqueeze(-1).to(x.dtype), keep


class Dense(nn.Module):
    """activation(x W + b) on the last axis; works step by step, so the mask passes on."""

    def __init__(self, d: int, units: int, activation: str, use_bias: bool):
        super().__init__()
        self.linear = nn.Linear(d, units, bias=use_bias)
        self.activation = activation

    def forward(self, x, mask=None):
        return _ACTIVATIONS[self.activation](self.linear(x)), mask


class Dropout(nn.Module):
    def __init__(self, rate: float):
        super().__init__()
        self.dropout = nn.Dropout(rate)

    def forward(self, x, mask=None):
        return self.dropout(x), mask


class Flatten(nn.Module):
    """(N, ...) -> (N, prod(...)); the time axis is gone, and so is the mask (as Keras)."""

    def forward(self, x, mask=None):
        return x.flatten(1), None


class Recurrent(nn.Module):
    """torch's nn.RNN, nn.LSTM or nn.GRU (batch first) with Keras's flags and masks.

    Without a mask, one call of the torch layer over the whole sequence. With one, a loop
    over time that calls it one step at a time and keeps the old state (h, and c for the
    LSTM) where the mask is False; the output there repeats the previous output (zeros
    before the first real step), or is zero with ``zero_output_for_mask``. ``go_backwards``
    reads the sequence (and the mask) from the end and returns the outputs in that order.
    """

    def __init__(self, kind: str, d: int, units: int, *, nonlinearity: str,
                 return_sequences: bool, go_backwards: bool, zero_output_for_mask: bool):
        super().__init__()
        if kind == "SimpleRNN":
            self.rnn = nn.RNN(d, units, nonlinearity=nonlinearity, batch_first=True)
        else:
            self.rnn = {"LSTM": nn.LSTM, "GRU": nn.GRU}[kind](d, units, batch_first=True)
        self.units = units
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards
        self.zero_output_for_mask = zero_output_for_mask

    def _masked(self, x, mask):
        n, t = x.shape[:2]
        h0 = x.new_zeros(1, n, self.units)
        state = (h0, h0.clone()) if isinstance(self.rnn, nn.LSTM) else h0
        out = x.new_zeros(n, self.units)
        outputs = []
        for s in range(t):
            y, new = self.rnn(x[:, s:s + 1], state)
            keep = mask[:, s, None]  # (N, 1): this step counts for these sequences
            if isinstance(state, tuple):
                state = tuple(torch.where(keep[None], a, b)
                              for a, b in zip(new, state, strict=True))
            else:
                state = torch.where(keep[None], new, state)
            out = torch.where(keep, y[:, 0], torch.zeros_like(out) if self.zero_output_for_mask
                              else out)
            outputs.append(out)
        return torch.stack(outputs, dim=1)

    def forward(self, x, mask=None):
        steps, step_mask = x, mask
        if self.go_backwards:
            steps = x.flip(1)
            step_mask = None if mask is None else mask.flip(1)
        seq = self.rnn(steps)[0] if mask is None else self._masked(steps, step_mask)
        if self.return_sequences:  # the incoming mask passes on unchanged, as Keras
            return seq, mask
        return seq[:, -1], None


class Bidirectional(nn.Module):
    """Two recurrent modules, the second with go_backwards; its outputs are put back in time
    order (with return_sequences) and merged: concat, sum, mul or ave."""

    def __init__(self, forward_rnn: Recurrent, backward_rnn: Recurrent, merge_mode: str):
        super().__init__()
        self.forward_rnn = forward_rnn
        self.backward_rnn = backward_rnn
        self.merge_mode = merge_mode

    def forward(self, x, mask=None):
        yf, out_mask = self.forward_rnn(x, mask)
        yb, _ = self.backward_rnn(x, mask)
        if self.forward_rnn.return_sequences:
            yb = yb.flip(1)
        if self.merge_mode == "concat":
            return torch.cat([yf, yb], dim=-1), out_mask
        if self.merge_mode == "sum":
            return yf + yb, out_mask
        if self.merge_mode == "mul":
            return yf * yb, out_mask
        return (yf + yb) * 0.5, out_mask


class Sequential(nn.Module):
    """The translated layers in order; ``forward(x)`` takes a tensor or a numpy array and
    hands the mask from module to module. ``output_mask``: the last call's output mask."""

    def __init__(self, steps):
        super().__init__()
        self.steps = nn.ModuleList(steps)
        self.output_mask = None

    def forward(self, x):
        if not torch.is_tensor(x):
            x = torch.from_numpy(np.asarray(x))
        if x.is_floating_point():
            params = list(self.parameters())
            x = x.to(params[0].dtype if params else torch.get_default_dtype())
        else:
            x = x.long()  # ids, for nn.Embedding
        mask = None
        for step in self.steps:
            x, mask = step(x, mask)
        self.output_mask = mask
        return x
