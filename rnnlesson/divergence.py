"""What a training step reports when numbers blow up: ``StepResult`` and ``TrainingDiverged``.

These sit below both the models and the callbacks: ``models.training.train_step``
returns a :class:`StepResult`; the :class:`~rnnlesson.callbacks.TerminateOnNaN`
callback, ``train_on_batch`` and the widgets' ``Trainer`` turn a failed one into a
:class:`TrainingDiverged` with advice in its message (:func:`diverged_error`).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

__all__ = ["StepResult", "TrainingDiverged", "diverged_error"]


class TrainingDiverged(RuntimeError):
    """Training stopped because numbers blew up (NaN or inf), or, in the widgets'
    trainer, because the loss kept growing.

    The step that found it did not change the weights: the model holds the weights
    from just before it.

    Attributes:
        history: for ``fit``, the :class:`~rnnlesson.callbacks.History` of the epochs that
            finished (also kept as ``model.history``); None otherwise.
        epoch, batch: where ``fit`` stopped (counted from 1, as the progress bar shows),
            or None outside ``fit``.
        loss: the loss value of the bad step (NaN when the forward pass already failed;
            finite when only a gradient or the update was not).
        step: for the widgets' trainer, the step at which it stopped (counted from 1).
        reason: ``'nonfinite'`` (NaN or inf), ``'loss_growth'`` (the trainer's guard) or
            ``'stopped'`` (the trainer was asked to step again after stopping).
    """

    def __init__(self, message, *, history=None, epoch=None, batch=None, loss=None, step=None,
                 reason="nonfinite"):
        super().__init__(message)
        self.history = history
        self.epoch = epoch
        self.batch = batch
        self.loss = loss
        self.step = step
        self.reason = reason


@dataclass(frozen=True)
class StepResult:
    """What one :func:`train_step` did.

    Attributes:
        loss: the batch loss before the update (NaN if the forward pass failed).
        grad_norm: the global norm of the gradients before any clipping (NaN if none
            were computed).
        problem: None when the weights were updated; otherwise a sentence saying what
            became NaN or inf, and the weights are as they were before the step.
    """

    loss: float
    grad_norm: float
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when the step updated the weights."""
        return self.problem is None

    def __str__(self) -> str:
        return self.problem or f"loss {self.loss:.4g}, gradient norm {self.grad_norm:.4g}"


def diverged_error(model, step: StepResult, *, epoch=None, batch=None, steps=None,
                   history=None) -> TrainingDiverged:
    """The TrainingDiverged for a failed ``step`` of ``model``, with advice in the message.

    ``epoch``, ``batch`` (from 1) and ``steps`` say where in ``fit``; None means
    ``train_on_batch``. ``history`` is the History of the finished epochs.
    """
    lr = getattr(model.optimizer, "learning_rate", None)
    where = (f"at epoch {epoch}, batch {batch} of {steps}" if epoch is not None
             else "in train_on_batch")
    done = ""
    if history is not None:
        done = (f" model.history (and this error's .history) holds the {len(history.epoch)} "
                "finished epoch(s).")
    rate = f" (it is {lr:g} now)" if isinstance(lr, numbers.Real) else ""
    message = (f"Training diverged {where}: {step.problem}. The weights are those from before "
               f"this step.{done} Try a smaller learning rate{rate} or clip the gradients, "
               "e.g. optimizer=Adam(learning_rate=1e-3, global_clipnorm=1.0).")
    return TrainingDiverged(message, history=history, epoch=epoch, batch=batch, loss=step.loss)


# ------------------------------------------------------------------------ arguments
