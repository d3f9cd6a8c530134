"""Checkers for lesson 03, Keras-style layers.

Three exercises, one checker each:

* :func:`check_layer_param_count` for ``param_count(layer, input_dim, units) -> int``: the number
  of weights of a ``'simple_rnn'``, ``'lstm'``, ``'gru'`` (Keras's ``reset_after=True``),
  ``'dense'`` or ``'embedding'`` layer (for an embedding, ``input_dim`` is the vocabulary
  size V and ``units`` the vector size E).
* :func:`check_output_shape` for ``output_shape(input_shape, units, return_sequences) ->
  tuple``: what a recurrent layer with ``units`` hidden units returns for an input of
  shape ``(N, T, D)``.
* :func:`check_return_sequences` for ``choose_return_sequences(n_recurrent) -> list[bool]``:
  the ``return_sequences`` flag of each layer in a stack of ``n_recurrent`` recurrent
  layers followed by one ``Dense`` layer that classifies the whole sequence.

Each prints a verdict with a hint and returns a
:class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises ``AssertionError``
instead when the answer is not right (see :mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

from .harness import Formula, Wrong, call, check_counts, run_check

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


def _core(d, h):
    """One SimpleRNN's worth: kernel (d, h), recurrent kernel (h, h), bias (h,)."""
    return h * (h + d) + h


_RECURRENT_HINT = ("An LSTM has four gates (i, f, c, o), each with its own kernel, recurrent "
                   "kernel and bias; a GRU has three and, with reset_after=True, two biases "
                   "per gate.")

#: the typical mistakes for each kind of layer, as formulas of (layer, d, h)
_COUNT_MISTAKES = {
    "simple_rnn": [
        Formula("the bias is missing", lambda _, d, h: h * (h + d),
                "Each of the H units has one bias: add H."),
        Formula("the recurrent kernel (H, H) is missing", lambda _, d, h: h * d + h,
                "A recurrent layer also multiplies h_{t-1} by an (H, H) matrix."),
        Formula("the input kernel (D, H) is missing", lambda _, d, h: h * h + h,
                "The input x_t of size D is multiplied by a (D, H) matrix."),
    ],
    "lstm": [
        Formula("you counted one SimpleRNN's worth of weights", lambda _, d, h: _core(d, h),
                _RECURRENT_HINT),
        Formula("you counted three gates", lambda _, d, h: 3 * _core(d, h),
                "An LSTM has four gates: i, f, c (the candidate) and o."),
        Formula("the biases are missing", lambda _, d, h: 4 * h * (h + d),
                "Each of the four gates has a bias of H numbers: add 4H."),
        Formula("the recurrent kernel (H, 4H) is missing", lambda _, d, h: 4 * (h * d + h),
                "Every gate also multiplies h_{t-1}: add an (H, 4H) recurrent kernel."),
    ],
    "gru": [
        Formula("you counted one SimpleRNN's worth of weights", lambda _, d, h: _core(d, h),
                _RECURRENT_HINT),
        Formula("you counted four gates", lambda _, d, h: 4 * _core(d, h),
                "A GRU has three gates: z, r and h."),
        Formula("you counted one bias per GRU gate", lambda _, d, h: 3 * _core(d, h),
                "With reset_after=True (Keras's default) the GRU's bias has shape (2, 3H): "
                "one for the input part, one for the recurrent part."),
        Formula("the biases are missing", lambda _, d, h: 3 * h * (h + d),
                "The GRU's bias has shape (2, 3H) with reset_after=True: add 6H."),
    ],
    "dense": [
        Formula("the bias is missing", lambda _, d, h: d * h,
                "A Dense layer has one bias per unit."),
        Formula("the bias has the input's size", lambda _, d, h: d * h + d,
                "The bias has one entry per output unit: shape (units,)."),
    ],
    "embedding": [
        Formula("an Embedding has no bias", lambda _, d, h: d * h + h,
                "An Embedding is a plain (V, E) table: V * E numbers."),
    ],
}

_COUNT_CASES = [("simple_rnn", 32, 32), ("simple_rnn", 1, 16), ("simple_rnn", 100, 8),
                ("lstm", 32, 32), ("lstm", 1, 256), ("gru", 32, 32), ("gru", 5, 7),
                ("dense", 32, 1), ("dense", 64, 10), ("embedding", 10000, 32)]


def _layer_param_count_body(param_count):
    notes = []
    for layer, mistakes in _COUNT_MISTAKES.items():
        # all the cases of one kind together, so that a mistake is told by its formula
        # over cases with D != H as well as D == H, not by one number
        notes.append(check_counts(
            param_count, [c for c in _COUNT_CASES if c[0] == layer],
            _reference_count, mistakes, show=lambda lyr, d, h: f"param_count({lyr!r}, {d}, {h})",
            hint="That is not the count Keras's summary() would print. Write down the shape "
                 "of every weight array of the layer, multiply out each shape and add them up."))
    return ("All ten counts match Keras's summary(), from SimpleRNN(32) on 32 inputs "
            "(2,080) to Embedding(10000, 32) (320,000).", next((n for n in notes if n), ""))


def check_layer_param_count(param_count, *, strict=False):
    """Check ``param_count(layer, input_dim, units) -> int`` for five kinds of layer.

    ``layer`` is one of ``'simple_rnn'``, ``'lstm'``, ``'gru'``, ``'dense'``,
    ``'embedding'``. A whole number given as a float (2080.0) is accepted with a note.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("param_count", _layer_param_count_body, param_count, strict=strict)


def _output_shape_body(output_shape):
    cases = [((32, 500, 32), 32, False), ((32, 500, 32), 32, True), ((1, 8, 18), 64, True),
             ((None, 50, 1), 16, False), ((None, 50, 1), 16, True), ((7, 1, 3), 5, True)]
    for shape, units, rs in cases:
        got = call(output_shape, shape, units, rs)
        n, t, d = shape
        want = (n, t, units) if rs else (n, units)
        show = f"output_shape{(shape, units, rs)}"
        if got is None:
            raise Wrong(f"{show} returned None.", "Did you forget the `return` statement?")
        try:
            got_t = tuple(got)
        except TypeError:
            raise Wrong(f"{show} returned {got!r}; expected a tuple such as (32, 500, 16).",
                        "Return a tuple.") from None
        if got_t == want:
            continue
        if rs and got_t == (n, units):
            raise Wrong(f"{show} = {got_t}, expected {want}: with return_sequences=True the "
                        "time axis stays.",
                        "return_sequences=True returns h_1 ... h_T: one vector per step.")
        if not rs and got_t == (n, t, units):
            raise Wrong(f"{show} = {got_t}, expected {want}: by default only the last state "
                        "comes out.", "return_sequences=False returns h_T alone, shape (N, units).")
        if got_t in ((n, t, d), (n, d)):
            raise Wrong(f"{show} = {got_t}, expected {want}: the feature size D of the input "
                        "does not survive the layer.",
                        "A recurrent layer's output has `units` features, whatever D is.")
        raise Wrong(f"{show} = {got_t}, expected {want}.",
                    "Batch first: (N, T, units) with the time axis, (N, units) without.")
    return "Your shapes match the layer's compute_output_shape on six cases."


def check_output_shape(output_shape, *, strict=False):
    """Check ``output_shape(input_shape, units, return_sequences) -> tuple``.

    ``input_shape`` is (N, T, D) (N may be None); the answer is (N, T, units) with
    ``return_sequences=True`` and (N, units) without.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("output_shape", _output_shape_body, output_shape, strict=strict)


def _return_sequences_body(choose_return_sequences):
    for n in (1, 2, 3, 4):
        got = call(choose_return_sequences, n)
        want = [True] * (n - 1) + [False]
        show = f"choose_return_sequences({n})"
        if got is None:
            raise Wrong(f"{show} returned None.", "Did you forget the `return` statement?")
        try:
            got_l = [bool(v) for v in got]
        except TypeError:
            raise Wrong(f"{show} returned {got!r}; expected a list of True/False.",
                        "Return a list such as [True, False].") from None
        if got_l == want:
            continue
        if len(got_l) != n:
            raise Wrong(f"{show} has {len(got_l)} flags; expected {n}, one per recurrent layer.",
                        "One flag for each layer.")
        if got_l and got_l[-1]:
            raise Wrong(f"{show} = {got_l}: the last recurrent layer returns the whole "
                        "sequence, so Dense would classify every time step instead of the "
                        "review.",
                        "The last recurrent layer hands one vector (h_T) to Dense: False.")
        raise Wrong(f"{show} = {got_l}, expected {want}: a recurrent layer that feeds another "
                    "recurrent layer must hand it the whole sequence.",
                    "Every layer but the last needs return_sequences=True; otherwise the next "
                    "one gets (N, H) and raises the shape error you saw.")
    return "Every recurrent layer but the last returns sequences, for stacks of 1 to 4."


def check_return_sequences(choose_return_sequences, *, strict=False):
    """Check ``choose_return_sequences(n_recurrent) -> list[bool]`` for stacks of 1 to 4.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("choose_return_sequences", _return_sequences_body,
                     choose_return_sequences, strict=strict)
