"""Checkers for lesson 03, Keras-style layers.

Three exercises, one checker each:

* :func:`check_param_count` for ``param_count(layer, input_dim, units) -> int``: the number
  of weights of a ``'simple_rnn'``, ``'lstm'``, ``'gru'`` (Keras's ``reset_after=True``),
  ``'dense'`` or ``'embedding'`` layer (for an embedding, ``input_dim`` is the vocabulary
  size V and ``units`` the vector size E).
* :func:`check_output_shape` for ``output_shape(input_shape, units, return_sequences) ->
  tuple``: what a recurrent layer with ``units`` hidden units returns for an input of
  shape ``(N, T, D)``.
* :func:`check_return_sequences` for ``choose_return_sequences(n_recurrent) -> list[bool]``:
  the ``return_sequences`` flag of each layer in a stack of ``n_recurrent`` recurrent
  layers followed by one ``Dense`` layer that classifies the whole sequence.

Like every checker in ``rnnlesson.exercises`` they return True (correct), False (wrong)
or None (not attempted yet), print a verdict and a hint, and never raise.
"""

from __future__ import annotations

import numbers

from .lesson01 import _call, _run, _Wrong

__all__ = ["check_layer_param_count", "check_output_shape", "check_return_sequences"]


def _reference_count(layer: str, d: int, h: int) -> int:
    if layer == "simple_rnn":
        return h * (h + d) + h
    if layer == "lstm":
        return 4 * (h * (h + d) + h)
    if layer == "gru":
        return 3 * (h * (h + d) + 2 * h)
    if layer == "dense":
        return d * h + h
    if layer == "embedding":
        return d * h
    raise ValueError(layer)


def check_layer_param_count(param_count):
    """Check ``param_count(layer, input_dim, units) -> int`` for five kinds of layer.

    ``layer`` is one of ``'simple_rnn'``, ``'lstm'``, ``'gru'``, ``'dense'``,
    ``'embedding'``. Returns True, False or None (not attempted); prints a verdict.
    """
    cases = [("simple_rnn", 32, 32), ("simple_rnn", 1, 16), ("simple_rnn", 100, 8),
             ("lstm", 32, 32), ("lstm", 1, 256), ("gru", 32, 32), ("gru", 5, 7),
             ("dense", 32, 1), ("dense", 64, 10), ("embedding", 10000, 32)]

    def body():
        for layer, d, h in cases:
            got = _call(param_count, layer, d, h)
            if isinstance(got, bool) or not isinstance(got, numbers.Integral):
                raise _Wrong(
                    f"param_count({layer!r}, {d}, {h}) returned {got!r}; expected a whole number.",
                    "Return an int, e.g. `return h * (h + d) + h`.")
            want = _reference_count(layer, d, h)
            if got == want:
                continue
            core = h * (h + d) + h
            hints = {
                core - h: ("the bias is missing.", "Each of the H units has one bias: add H."),
                h * d + h: ("the recurrent kernel (H, H) is missing.",
                            "A recurrent layer also multiplies h_{t-1} by an (H, H) matrix."),
                h * h + h: ("the input kernel (D, H) is missing.",
                            "The input x_t of size D is multiplied by a (D, H) matrix."),
                core: ("you counted one SimpleRNN's worth of weights.",
                       "An LSTM has four gates (i, f, c, o), each with its own kernel, "
                       "recurrent kernel and bias; a GRU has three and, with "
                       "reset_after=True, two biases per gate."),
                4 * core: ("you counted four gates.", "A GRU has three gates: z, r and h."),
                3 * core: ("you counted one bias per GRU gate.",
                           "With reset_after=True (Keras's default) the GRU's bias has shape "
                           "(2, 3H): one for the input part, one for the recurrent part."),
                d * h: ("the bias is missing.", "A Dense layer has one bias per unit."),
                d * h + d: ("the bias has the input's size.",
                            "The bias has one entry per output unit: shape (units,)."),
                d * h + h + h: ("an Embedding has no bias.",
                                "An Embedding is a plain (V, E) table: V * E numbers."),
            }
            message, hint = hints.get(got, (
                "that is not the count Keras's summary() would print.",
                "Write down the shape of every weight array of the layer, multiply out "
                "each shape and add them up."))
            raise _Wrong(f"param_count({layer!r}, {d}, {h}) = {got}, expected {want}: {message}",
                         hint)
        return ("All ten counts match Keras's summary(), from SimpleRNN(32) on 32 inputs "
                "(2,080) to Embedding(10000, 32) (320,000).")

    return _run("param_count", body)


def check_output_shape(output_shape):
    """Check ``output_shape(input_shape, units, return_sequences) -> tuple``."""
    cases = [((32, 500, 32), 32, False), ((32, 500, 32), 32, True), ((1, 8, 18), 64, True),
             ((None, 50, 1), 16, False), ((None, 50, 1), 16, True), ((7, 1, 3), 5, True)]

    def body():
        for shape, units, rs in cases:
            got = _call(output_shape, shape, units, rs)
            n, t, d = shape
            want = (n, t, units) if rs else (n, units)
            if got is None:
                raise _Wrong(f"output_shape{(shape, units, rs)} returned None.",
                             "Did you forget the `return` statement?")
            try:
                got_t = tuple(got)
            except TypeError:
                raise _Wrong(f"output_shape{(shape, units, rs)} returned {got!r}; expected "
                             "a tuple such as (32, 500, 16).", "Return a tuple.") from None
            if got_t == want:
                continue
            if rs and got_t == (n, units):
                raise _Wrong(f"output_shape{(shape, units, rs)} = {got_t}, expected {want}: with "
                             "return_sequences=True the time axis stays.",
                             "return_sequences=True returns h_1 ... h_T: one vector per step.")
            if not rs and got_t == (n, t, units):
                raise _Wrong(f"output_shape{(shape, units, rs)} = {got_t}, expected {want}: "
                             "by default only the last state comes out.",
                             "return_sequences=False returns h_T alone, shape (N, units).")
            if got_t in ((n, t, d), (n, d)):
                raise _Wrong(f"output_shape{(shape, units, rs)} = {got_t}, expected {want}: the "
                             "feature size D of the input does not survive the layer.",
                             "A recurrent layer's output has `units` features, whatever D is.")
            raise _Wrong(f"output_shape{(shape, units, rs)} = {got_t}, expected {want}.",
                         "Batch first: (N, T, units) with the time axis, (N, units) without.")
        return "Your shapes match the layer's compute_output_shape on six cases."

    return _run("output_shape", body)


def check_return_sequences(choose_return_sequences):
    """Check ``choose_return_sequences(n_recurrent) -> list[bool]`` for stacks of 1 to 4."""

    def body():
        for n in (1, 2, 3, 4):
            got = _call(choose_return_sequences, n)
            want = [True] * (n - 1) + [False]
            if got is None:
                raise _Wrong(f"choose_return_sequences({n}) returned None.",
                             "Did you forget the `return` statement?")
            try:
                got_l = [bool(v) for v in got]
            except TypeError:
                raise _Wrong(f"choose_return_sequences({n}) returned {got!r}; expected a "
                             "list of True/False.",
                             "Return a list such as [True, False].") from None
            if got_l == want:
                continue
            if len(got_l) != n:
                raise _Wrong(f"choose_return_sequences({n}) has {len(got_l)} flags; expected "
                             f"{n}, one per recurrent layer.", "One flag for each layer.")
            if got_l and got_l[-1]:
                raise _Wrong(f"choose_return_sequences({n}) = {got_l}: the last recurrent layer "
                             "returns the whole sequence, so Dense would classify every "
                             "time step instead of the review.",
                             "The last recurrent layer hands one vector (h_T) to Dense: False.")
            raise _Wrong(f"choose_return_sequences({n}) = {got_l}, expected {want}: a recurrent "
                         "layer that feeds another recurrent layer must hand it the whole "
                         "sequence.", "Every layer but the last needs return_sequences=True; "
                         "otherwise the next one gets (N, H) and raises the shape error you saw.")
        return "Every recurrent layer but the last returns sequences, for stacks of 1 to 4."

    return _run("choose_return_sequences", body)
