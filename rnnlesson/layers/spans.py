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

Speed: every rearrangement is one ``np.take`` of whole rows, straight from the loop's
time-major work array when its memory allows, and the positions that get zeros are
set afterwards (numpy's ``take_along_axis`` and multiplications by an (N, T, 1) mask
were 3 to 30 times slower at the benchmark shapes, and fresh (N, T, H) arrays on every
call cost page faults, so the sources and the gradients live in work arrays).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._buffers import workspace

__all__ = ["Spans"]


def _rows(a):
    """``a`` (N, T, H) as a 2-D (rows, H) view, if its memory allows one without a copy:
    ``(rows, 'n')`` with row n*T + t (batch-major), ``(rows, 't')`` with row t*N + n
    (time-major, as the fast loops keep their states), or ``(None, None)``."""
    n, t, h = a.shape
    sn, st, sh = a.strides
    if sn == t * st or n == 1:
        return as_strided(a, (n * t, h), (st, sh)), "n"
    if st == n * sn or t == 1:
        return as_strided(a, (n * t, h), (sn, sh)), "t"
    return None, None


def _take_steps(layer, name, a, steps, valid=None, out=None):
    """out[n, p] = a[n, steps[n, p]] (and 0 where ``valid`` is False): one ``np.take`` of whole
    rows, straight from ``a``'s memory when it allows (``a`` (N, T, H) may be a view of a
    work array), else from a copy in the work array ``name`` of ``layer``. Returns ``out``
    (N, T, H), or a fresh array when it is None."""
    n, t, h = a.shape
    rows, order = _rows(a)
    if rows is None:
        buf = workspace(layer, name, a.shape, a.dtype)
        np.copyto(buf, a)
        rows, order = buf.reshape(n * t, h), "n"
    seq = np.arange(n)[:, None]
    index = seq * t + steps if order == "n" else steps * n + seq
    if out is None:
        out = np.take(rows, index.ravel(), axis=0).reshape(n, t, h)
    else:
        np.take(rows, index.ravel(), axis=0, out=out.reshape(n * t, h))
    if valid is not None:
        out[~valid] = 0
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
        return _take_steps(layer, "span_x_src", a, (self.pos + self.start[:, None]) % self.t,
                           out=out)

    def unroll(self, a, layer):
        """The inverse of :meth:`roll`, as a fresh array."""
        if not self.rolled:
            return a
        return _take_steps(layer, "span_dx_src", a, (self.pos - self.start[:, None]) % self.t)

    def outputs(self, seq, layer):
        """The outputs (N, T, H) in input order from the rotated loop's ``seq`` (N, T, H), a
        fresh array: inside a run the loop's output; after it the run's last one (zero with
        zero_output_for_mask); before it zero."""
        rel = self.pos - self.start[:, None]  # step of the run shown at each position
        steps = np.clip(rel, 0, np.maximum(self.length - 1, 0)[:, None])
        shown = (rel >= 0) & self.ended[:, None]
        if self.zero_output:
            shown &= rel < self.length[:, None]
        return _take_steps(layer, "span_seq", seq, steps, None if shown.all() else shown)

    def output_grads(self, dout, layer):
        """The adjoint of :meth:`outputs`: dout (N, T, H) in input order (or None: zero) ->
        dL/d(rotated seq) (N, T, H), the gradients of the repeated outputs summed at the
        run's last step (a work array of ``layer``)."""
        ds = workspace(layer, "span_dseq", (self.n, self.t, layer.units), layer.dtype)
        if dout is None:
            ds.fill(0)
            return ds
        inside = self.pos < self.length[:, None]
        steps = (self.pos + self.start[:, None]) % self.t
        _take_steps(layer, "span_dout", dout, steps, None if inside.all() else inside, out=ds)
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
