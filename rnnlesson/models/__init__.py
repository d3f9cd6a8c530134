"""Models: ``Sequential`` (a stack of layers with Keras's API), ``Seq2Seq`` (an
encoder–decoder) and ``load_model``.

::

    from rnnlesson.models import Sequential, load_model

    model = Sequential([
        Embedding(10000, 32, input_shape=(500,)),   # (N, 500) ids -> (N, 500, 32)
        SimpleRNN(32),                              # -> (N, 32), the last hidden state
        Dense(1, activation="sigmoid"),             # -> (N, 1), P(positive)
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10, batch_size=128, validation_split=0.2)
    model.summary()
    model.save("imdb_rnn.npz"); same = load_model("imdb_rnn.npz")

One file per concern:

=================  =======================================================================
``sequential``     ``Sequential``: layers, building shape by shape, forward, backward,
                   weights (``params``/``grads`` dicts), ``reset_states``, and the Keras
                   methods (compile, fit, evaluate, predict...) that hand over to the rest
``training``       ``train_step`` (the one training step every trainer calls),
                   ``StepResult``, ``TrainingDiverged``, and the loops of fit/evaluate/predict
``metrics``        ``Metric``: accuracy, MAE, MSE by name, accumulated over batches
``summary``        the Keras 3 table that ``summary()`` prints
``saving``         ``save_model``/``load_model``: the ``.npz`` format and its guarantees
``seq2seq``        ``Seq2Seq``: the encoder–decoder (structure, forward, backward, weights)
``seq2seq_fit``    its training step, ``fit`` and ``evaluate``
``decoding``       its answers: greedy decoding, beam search, log-probabilities
=================  =======================================================================

The steps under ``fit`` stay separate, so a learner (or a widget) can run them one by
one::

    y_pred = model.forward(x, training=True)          # (N, ...) predictions
    loss = model.loss.forward(y_pred, y)              # a float: the batch mean
    model.backward(model.loss.backward())             # fills every layer's grads
    model.optimizer.apply(model.params, model.grads)  # clips (if asked) and updates
"""

from .saving import load_model
from .seq2seq import Seq2Seq
from .sequential import Sequential
from .training import StepResult, TrainingDiverged, train_step

__all__ = ["Sequential", "Seq2Seq", "load_model", "TrainingDiverged", "train_step", "StepResult"]
