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

Speed: this runs once per call, so what counts is the number of numpy calls (about a
microsecond each) and of passes over (N, T, H) arrays. Every rearrangement is one
``np.take`` of whole rows, straight from the loop's time-major work array when its
memory allows; zeros are written afterwards, only where there are some; the gradients
of repeated outputs are summed by one batched product. (numpy's ``take_along_axis``,
``clip``, ``add.reduceat`` and multiplications by an (N, T, 1) mask cost 3 to 30 times
as much at the benchmark shapes, and fresh (N, T, H) arrays on every call cost page
faults.)
"""

from __future__ import annotations

import numpy as np

from ._buffers import workspace

__all__ = ["Spans"]


def _take_steps(layer, name, a, steps, zero=None, out=None):
    """out[n, p] = a[n, steps[n, p]], and 0 where ``zero`` (N, T) is True: one ``np.take`` of
    whole rows, straight from ``a``'s memory when it can be seen as a 2-D array of rows
    (batch-major, or time-major as the fast loops keep their states), else from a copy in
    the work array ``name`` of ``layer``. Returns ``out``, or a fresh (N, T, H) array."""
    n, t, h = a.shape
    sn, st, _ = a.strides
    if st == n * sn and t > 1:  # time-major memory: row t*N + n
        rows = a.transpose(1, 0, 2).reshape(n * t, h)  # a view (reshape copies otherwise)
        index = steps * n + np.arange(n)[:, None]
    else:
        if sn == t * st or n == 1:
            rows = a.reshape(n * t, h)
        else:
            rows = workspace(layer, name, (n * t, h), a.dtype)
            np.copyto(rows.reshape(a.shape), a)
        index = steps + np.arange(0, n * t, t)[:, None]
    # mode="clip": every index is in range by construction, and the default "raise" makes
    # np.take gather into a temporary before it writes ``out`` (twice the time)
    if out is None:
        out = np.take(rows, index.ravel(), axis=0, mode="clip").reshape(n, t, h)
    elif out.flags.c_contiguous:
        np.take(rows, index.ravel(), axis=0, out=out.reshape(n * t, h), mode="clip")
    else:  # ``out`` is the (N, T, H) view of a time-major (T, N, H) array
        np.take(rows, index.T.ravel(), axis=0, out=out.transpose(1, 0, 2).reshape(t * n, h),
                mode="clip")
    if zero is not None:
        out[zero] = 0
    return out


class Spans:
    """The runs of a mask ``keep`` (N, T): use :meth:`of`, which gives None for masks with
    holes. ``start`` (N,) first kept step, ``length`` (N,) kept steps (0 for none)."""

    def __init__(self, start, length, t, zero_output, pos=None):
        self.start, self.length, self.t = start, length, t
        self.n = start.shape[0]
        self.end = start + length
        self.zero_output = zero_output
        self.rolled = bool(start.any())
        self.pos = np.arange(t) if pos is None else pos
        self.empty = None if length.all() else length == 0  # sequences with no kept step
        # does the output at the last position show the final state (else it is zero)?
        last = length > 0
        if zero_output:
            last &= self.end == t
        self.last_gate = None if last.all() else last[:, None]

    @classmethod
    def of(cls, keep, zero_output=False):
        """The runs of ``keep`` (N, T), or None if a sequence has a hole (kept, skipped,
        kept again)."""
        t = keep.shape[1]
        length = np.count_nonzero(keep, axis=1)
        pos = np.arange(t)
        if np.array_equal(keep, pos < length[:, None]):  # post-padding, the common case
            return cls(np.zeros_like(length), length, t, zero_output, pos)
        start = keep.argmax(axis=1)  # 0 for a sequence with no kept step
        rel = pos - start[:, None]
        if not (keep == (rel >= 0) & (rel < length[:, None])).all():
            return None
        return cls(start, length, t, zero_output, pos)

    def roll(self, a, layer):
        """a (N, T, D) in input order -> rotated so that every run starts at step 0 (a work
        array of ``layer``, valid until its next call)."""
        if not self.rolled:
            return a
        steps = self.pos + self.start[:, None]
        steps %= self.t
        return _take_steps(layer, "span_x_src", a, steps,
                           out=workspace(layer, "span_x", a.shape, a.dtype))

    def unroll(self, a, layer):
        """The inverse of :meth:`roll`, as a fresh array."""
        if not self.rolled:
            return a
        steps = self.pos - self.start[:, None]
        steps %= self.t
        return _take_steps(layer, "span_dx_src", a, steps)

    def outputs(self, seq, layer):
        """The outputs (N, T, H) in input order from the rotated loop's ``seq`` (N, T, H), a
        fresh array: inside a run the loop's output; after it the run's last one (zero with
        zero_output_for_mask); before it zero."""
        last = self.length - 1
        if not self.rolled:  # post-padding: position p shows step min(p, length - 1)
            steps = np.minimum(self.pos, last[:, None])
            zero = None
            if self.zero_output:
                zero = self.pos >= self.length[:, None]
            elif self.empty is not None:
                zero = np.broadcast_to(self.empty[:, None], steps.shape)
        else:
            rel = self.pos - self.start[:, None]  # the run's step shown at position p
            zero = rel < 0
            if self.zero_output:
                zero |= rel >= self.length[:, None]
            if self.empty is not None:
                zero |= self.empty[:, None]
            steps = np.minimum(rel, last[:, None])
            steps[zero] = 0
        if zero is not None and not zero.any():
            zero = None
        return _take_steps(layer, "span_seq", seq, steps, zero)

    def output_grads(self, dout, layer):
        """The adjoint of :meth:`outputs`: dout (N, T, H) in input order (or None: zero) ->
        dL/d(rotated seq) (N, T, H), the gradients of the repeated outputs summed at the
        run's last step (a work array of ``layer``; the (N, T, H) view of a time-major one
        when ``layer.time_major_dseq``)."""
        n, t = self.n, self.t
        if layer.time_major_dseq:  # the layer's backward reads (T, N, H) memory as it is
            ds = workspace(layer, "span_dseq", (t, n, layer.units), layer.dtype)
            ds = ds.transpose(1, 0, 2)
        else:
            ds = workspace(layer, "span_dseq", (n, t, layer.units), layer.dtype)
        if dout is None:
            ds.fill(0)
            return ds
        steps = self.pos + self.start[:, None]
        if self.rolled:
            steps %= t
        outside = self.pos >= self.length[:, None]  # rotated steps after the run
        _take_steps(layer, "span_dout", dout, steps, outside if outside.any() else None,
                    out=ds)
        if not self.zero_output and (self.end < t).any():
            # the outputs after each run repeat its last one: their gradients add up there
            after = self.pos >= self.end[:, None]
            tail = np.matmul(after[:, None, :].astype(dout.dtype), dout)[:, 0]  # (N, H)
            self.inject(ds, tail)
        return ds

    def inject(self, ds, g):
        """Add ``g`` (N, H), the gradient of the state after each run, to the last step of the
        run in ``ds`` (N, T, H); returns the part that belongs to sequences with no kept
        step (it goes to the initial state)."""
        if self.empty is None:
            ds[np.arange(self.n), self.length - 1] += g
            return np.zeros_like(g)
        rows = np.flatnonzero(~self.empty)
        ds[rows, self.length[rows] - 1] += g[rows]
        return np.where(self.empty[:, None], g, 0).astype(g.dtype, copy=False)
