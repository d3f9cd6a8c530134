"""rnnlesson: recurrent neural networks in numpy, for learning.

How the package is laid out (each module owns one idea; imports only point down):

* Floor 1, the maths. ``kernels``: one time step of the RNN, LSTM and GRU, forward
  and backward, as pure functions; the reference for everything recurrent.
  ``activations``, ``initializers`` (Keras's), ``_checks`` (every argument check and
  its message, seeds included).
* Floor 2, the pieces. ``layers``: ``Layer`` (params and grads side by side, forward,
  backward), ``Dense``, ``Embedding``, the fused sequence layers ``SimpleRNN``,
  ``LSTM``, ``GRU`` (fast loops, tested against the kernels; masks and dropout as
  Keras 3), ``Bidirectional``, ``Masking`` (masks pass from layer to layer:
  ``layers.masking``); ``cells``: one-step
  cells for teaching, computed by the kernels; ``losses``; ``optimizers`` (update
  rules, ``clipnorm`` per array and ``global_clipnorm``, ``global_norm``);
  ``callbacks`` (History, EarlyStopping, TerminateOnNaN, progress); ``gradcheck``;
  ``divergence`` (``StepResult``, ``TrainingDiverged``: what a step reports).
* Floor 3, models. ``models``: ``Sequential`` (structure), ``models.training`` (the
  one training step and the fit/evaluate/predict loops), ``metrics``, ``summary``
  (Keras's table), ``saving`` (one .npz file). ``lm``: windows, perplexity and
  sampling for language models. ``datasets`` and ``text``: data made or shipped by
  the course, vocabularies.
* Floor 4, the course around it. ``training``: the step-based ``Trainer`` and the
  tasks of the widgets; ``lm_training``: ``LMTrainer``, a character language model
  trained window by window and sampled (the text widget's); ``exercises``: the
  checkers (one harness, one verdict format); ``viz`` (matplotlib, ``LivePlot``) and
  ``widgets`` (ipywidgets; ``_snapshot`` draws one into a PNG for static pages), and
  ``interop`` (``to_keras``, ``to_torch``: the same model in Keras 3 or PyTorch),
  imported only when asked for, so ``import rnnlesson`` loads
  numpy alone.

A training step, the same for ``Sequential.fit``, ``train_on_batch`` and the
widgets' ``Trainer.step`` (``models.training.train_step``): check the batch; each
layer's ``forward(training=True)`` (handing on the sequence mask, if a layer made one),
outputs checked finite; ``loss.forward`` (on the unmasked steps only) then
``model.backward(loss.backward())``, which overwrites every layer's ``grads``; the
global gradient norm; ``optimizer.apply(model.params, model.grads)``, which clips a
copy of the gradients and updates the weights in place (put back if they turn
non-finite). The step returns a ``StepResult``; ``fit`` hands a diverged one to the
``TerminateOnNaN`` callback, which stops with a readable message.
"""

from . import (
    callbacks,
    cells,
    datasets,
    exercises,
    gradcheck,
    kernels,
    layers,
    lm,
    losses,
    models,
    optimizers,
    text,
)

__version__ = "0.1.0"

__all__ = ["kernels", "layers", "cells", "losses", "optimizers", "models", "lm", "callbacks",
           "gradcheck", "datasets", "text", "exercises", "__version__"]
