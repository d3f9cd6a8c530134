"""Masks of padded sequences, handled without any work inside the time loop.

A mask from padding (``pad_sequences`` before or after, ``Embedding(mask_zero=True)``)
keeps one run of consecutive steps per sequence: ``start`` (N,) and ``length`` (N,). Then
a recurrent layer need not look at the mask at every step. Each sequence is rotated in
time so that its run starts at step 0 (nothing to do for post-padding), the plain fast
loop runs over every step, and:

* forward: the states after ``length`` steps are the final states (the steps after the
  run compute values nobody reads); the output at a position inside the run is the
  loop's output there, after the run the last one repeats (Keras; zero with
  ``zero_output_for_mask``), before it zero;
* backward: the gradients of the outputs after the run and of the final states are
  added to the run's last step, and nothing enters the steps after the run, so their
  dL/dh, dL/dc and every gate gradient are exactly zero: they change no weight gradient
  and no dL/dx.

The numbers are those of the masked recurrence step by step (the tests check it against
a loop of the kernels); only the order of work differs. Masks with holes inside a
sequence go through the layers' masked loops instead.

Speed: every rearrangement is one ``np.take`` of whole rows of an (N*T, H) matrix, with
an extra zero row for the positions that get zeros (numpy's ``take_along_axis`` and
multiplications by an (N, T, 1) mask were 3 to 30 times slower at the benchmark shapes).
"""

from __future__ import annotations

import numpy as np

from ._buffers import workspace

__all__ = ["Spans"]


def _take_rows(layer, name, a, index, zero_row=False, out=None):
    """Rows ``index`` (N, T) of ``a`` (N, T, H) seen as an (N*T, H) matrix; index N*T means a
    row of zeros when ``zero_row``. Returns (N, T, H): ``out`` if given, else a fresh array.
    The source is copied into the work array ``name`` of ``layer`` when it needs the zero
    row or is not contiguous (fresh arrays of this size on every call cost page faults)."""
    n, t = index.shape
    h = a.shape[-1]
    if zero_row:
        rows = workspace(layer, name, (n * t + 1, h), a.dtype)
        np.copyto(rows[:-1].reshape(a.shape), a)
        rows[-1] = 0
    elif a.flags.c_contiguous:
        rows = a.reshape(n * t, h)
    else:
        rows = workspace(layer, name, (n * t, h), a.dtype)
        np.copyto(rows.reshape(a.shape), a)
    if out is None:
        return np.take(rows, index.ravel(), axis=0).reshape(n, t, h)
    np.take(rows, index.ravel(), axis=0, out=out.reshape(n * t, h))
    return out


class Spans:
    """The runs of a mask ``keep`` (N, T): use :meth:`of`, which gives None for masks with
    holes. ``start`` (N,) first kept step, ``length`` (N,) kept steps (0 for none)."""

    def __init__(self, start, length, t, zero_output):
        n = start.shape[0]
        self.start, self.length, self.n, self.t = start, length, n, t
        self.zero_output = zero_output
        self.rolled = bool(start.any())
        self.base = (np.arange(n) * t)[:, None]  # first flat row of each sequence
        self.pos = np.arange(t)[None, :]
        end = start + length
        self.ended = length > 0
        # does the output at the last position show the final state (else it is zero)?
        last = (end == t) & self.ended if zero_output else self.ended
        self.last_gate = None if last.all() else last

    @classmethod
    def of(cls, keep, zero_output=False):
        """The runs of ``keep`` (N, T), or None if a sequence has a hole (kept, skipped,
        kept again)."""
        t = keep.shape[1]
        length = keep.sum(axis=1)
        start = keep.argmax(axis=1)  # 0 for a sequence with no kept step
        pos = np.arange(t)[None, :]
        if not np.array_equal(keep, (pos >= start[:, None]) & (pos < (start + length)[:, None])):
            return None
        return cls(start, length, t, zero_output)

    def roll(self, a, layer):
        """a (N, T, D) in input order -> rotated so that every run starts at step 0 (a work
        array of ``layer``, valid until its next call)."""
        if not self.rolled:
            return a
        out = workspace(layer, "span_x", a.shape, a.dtype)
        return _take_rows(layer, "span_x_src", a, self.base + (self.pos + self.start[:, None])
                          % self.t, out=out)

    def unroll(self, a, layer):
        """The inverse of :meth:`roll`, as a fresh array."""
        if not self.rolled:
            return a
        return _take_rows(layer, "span_dx_src", a, self.base + (self.pos - self.start[:, None])
                          % self.t)

    def outputs(self, seq, layer):
        """The outputs (N, T, H) in input order from the rotated loop's ``seq`` (N, T, H):
        inside a run the loop's output; after it the run's last one (zero with
        zero_output_for_mask); before it zero."""
        rel = self.pos - self.start[:, None]  # step of the run shown at each position
        shown = (rel >= 0) & self.ended[:, None]
        if self.zero_output:
            shown &= rel < self.length[:, None]
        index = np.where(shown, self.base + np.minimum(rel, self.length[:, None] - 1),
                         self.n * self.t)
        return _take_rows(layer, "span_src", seq, index, zero_row=True)  # a fresh array

    def output_grads(self, dout, layer):
        """The adjoint of :meth:`outputs`: dout (N, T, H) in input order (or None: zero) ->
        dL/d(rotated seq) (N, T, H), the gradients of the repeated outputs summed at the
        run's last step (a work array of ``layer``)."""
        ds = workspace(layer, "span_dseq", (self.n, self.t, layer.units), layer.dtype)
        if dout is None:
            ds.fill(0)
            return ds
        inside = self.pos < self.length[:, None]
        index = np.where(inside, self.base + (self.pos + self.start[:, None]) % self.t,
                         self.n * self.t)
        _take_rows(layer, "span_src", dout, index, zero_row=True, out=ds)
        if not self.zero_output:
            after = (self.pos >= (self.start + self.length)[:, None]) & self.ended[:, None]
            if after.any():
                tail = np.matmul(after[:, None, :].astype(dout.dtype), dout)[:, 0]  # (N, H)
                self.inject(ds, tail)
        return ds

    def inject(self, ds, g):
        """Add ``g`` (N, H), the gradient of the state after each run, to the last step of the
        run in ``ds`` (N, T, H); returns the part that belongs to sequences with no kept
        step (it goes to the initial state)."""
        if self.ended.all():
            ds[np.arange(self.n), self.length - 1] += g
            return np.zeros_like(g)
        rows = np.flatnonzero(self.ended)
        ds[rows, self.length[rows] - 1] += g[rows]
        return np.where(self.ended[:, None], 0, g).astype(g.dtype, copy=False)
