"""Graduating: the same model in Keras 3 or PyTorch, with the same weights.

``to_keras(model)`` and ``to_torch(model)`` rebuild a built :class:`~rnnlesson.models.Sequential`
layer by layer in the other library and copy every weight across, so that the new model
computes the same function (to float32 precision) and can be trained further there, on a
GPU if there is one. Keras and torch are imported only when asked for; a missing one gives
an ImportError that says what to install.

The layers that translate, and how (the one mapping of this module, :func:`_torch_weights`
and :func:`_keras_layer`; each line there says why):

=============  ============================  ===============================================
rnnlesson      Keras 3                       torch (``rnnlesson._torch_nets``)
=============  ============================  ===============================================
Embedding      Embedding (mask_zero as is)   nn.Embedding; mask = ids != 0
Masking        Masking                       x * keep; mask = any(x != value)
Dense          Dense                         nn.Linear, weight = kernelᵀ, then activation
Dropout        Dropout                       nn.Dropout (off in ``eval()``)
Flatten        Flatten (drops the mask)      ``x.flatten(1)`` (drops the mask)
SimpleRNN      SimpleRNN                     nn.RNN (tanh or relu), bias_hh = 0
LSTM           LSTM                          nn.LSTM: same gate order i, f, g, o; bias_hh = 0
GRU            GRU (reset_after as is)       nn.GRU (reset_after=True only): z, r, h -> r, z, n
Bidirectional  Bidirectional (merge_mode)    two of the above, the second on reversed time
=============  ============================  ===============================================

Keras keeps the same weight arrays in the same order as rnnlesson (that is the package's
contract), so ``to_keras`` only builds the layers and calls ``set_weights``. torch stores
weight matrices transposed (out, in), keeps the LSTM gates in the same order but the GRU
gates in another, and splits every recurrent bias in two (``bias_ih`` + ``bias_hh``).

Masks in torch. torch has no mask that travels between layers; the translated model
(``_torch_nets.Sequential``) carries one itself, as Keras does. A recurrent layer with a
mask runs an explicit loop over time: torch's own layer is called one step at a time, and
where the mask is False the state is kept as it was (the output there repeats the previous
one, or is zero inside ``Bidirectional`` with ``return_sequences``, as in Keras). This is
exact for any mask: padding before or after the sequence, or holes in it. torch's packed
sequences (``nn.utils.rnn.pack_padded_sequence``) are faster but handle only padding at the
end; pack your batches yourself if you train long sequences in torch. Without a mask the
layer runs in one call (cuDNN on a GPU).

What does not translate gets a clear error: other layers (attention, ``TiedDense``),
``stateful`` or ``return_state`` layers, and, for torch, a ``SimpleRNN`` activation other
than tanh or relu, ``GRU(reset_after=False)`` and dropout inside a recurrent layer (torch's
recurrent layers have neither).

Shapes follow the model's: (N, T) integer ids for an Embedding, (N, T, D) floats for a
recurrent layer first, (N, ...) for Dense.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

import numpy as np

from .layers import GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, Flatten, Masking, SimpleRNN
from .layers.recurrent import Recurrent

__all__ = ["to_keras", "to_torch"]

SUPPORTED = (Embedding, Masking, Dense, Dropout, Flatten, SimpleRNN, LSTM, GRU, Bidirectional)


# ------------------------------------------------------------------ lazy imports
def _import_torch():
    """torch, or an ImportError that says how to install it."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(f"to_torch needs PyTorch, which could not be imported ({exc}). Install "
                          "it with `pip install torch` and restart the kernel.") from exc


def _import_keras():
    """keras (3), or an ImportError that says how to install it.

    Keras 3 runs on a backend (TensorFlow, JAX or torch) chosen when it is first imported,
    from ``KERAS_BACKEND`` or ``~/.keras/keras.json``. When none is set and only torch is
    installed, the torch backend is chosen here, so that ``pip install keras torch`` is
    enough.
    """
    if ("KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None
            and importlib.util.find_spec("jax") is None
            and importlib.util.find_spec("torch") is not None):
        os.environ["KERAS_BACKEND"] = "torch"
    try:
        keras = importlib.import_module("keras")
        version = getattr(keras, "__version__", "0")
    except ImportError as exc:
        raise ImportError(
            f"to_keras needs Keras 3 and one backend, which could not be imported ({exc}). "
            "Install them with `pip install keras torch` (or tensorflow or jax as the backend) "
            "and restart the kernel.") from exc
    if int(version.split(".")[0]) < 3:
        raise ImportError(f"to_keras needs Keras 3; found keras {version}. Upgrade it with "
                          "`pip install -U keras`.")
    return keras


# ------------------------------------------------------------------ checks
def _check_model(model, target: str) -> None:
    from .models import Sequential  # the models floor is below this one

    if not isinstance(model, Sequential):
        raise TypeError(f"{target} expects an rnnlesson Sequential model; got "
                        f"{type(model).__name__}.")
    if not model.built:
        raise ValueError(f"{target}: the model is not built yet, so it has no weights to copy; "
                         "call model.build(input_shape) or fit/predict it first.")
    for layer in model.layers:
        if not isinstance(layer, SUPPORTED):
            names = ", ".join(cls.__name__ for cls in SUPPORTED)
            raise ValueError(f"{target} cannot translate layer '{layer.name}' of type "
                             f"{type(layer).__name__}; the layers it knows are {names}.")
        for sub in getattr(layer, "layers", [layer]):
            if isinstance(sub, Recurrent) and (sub.stateful or sub.return_state):
                raise ValueError(
                    f"{target} cannot translate '{sub.name}' with stateful={sub.stateful}, "
                    f"return_state={sub.return_state}: a translated model starts every call "
                    "from zero states and passes one array between layers.")


# ------------------------------------------------------------------ Keras
def _keras_layer(keras, layer):
    """The Keras 3 layer that computes what ``layer`` does (weights are set afterwards)."""
    KL = keras.layers
    common = {"name": layer.name, "dtype": layer.dtype.name}
    if isinstance(layer, Embedding):  # ids -> rows of the same (V, E) matrix
        return KL.Embedding(layer.input_dim, layer.output_dim, mask_zero=layer.mask_zero,
                            **common)
    if isinstance(layer, Masking):  # the same rule: a step is padding if all features match
        return KL.Masking(mask_value=layer.mask_value, **common)
    if isinstance(layer, Dense):  # same kernel (D, U) and bias (U,); same activation names
        return KL.Dense(layer.units, activation=layer.activation, use_bias=layer.use_bias,
                        **common)
    if isinstance(layer, Dropout):
        return KL.Dropout(layer.rate, **common)
    if isinstance(layer, Flatten):  # Keras's Flatten drops the mask too
        return KL.Flatten(**common)
    if isinstance(layer, Bidirectional):
        # Keras copies the wrapped layer into forward_<name> and backward_<name>, as we do
        fwd, bwd = layer.layers
        inner = _keras_recurrent(keras, fwd, fwd.name.removeprefix("forward_"))
        back = _keras_recurrent(keras, bwd, bwd.name)
        return KL.Bidirectional(inner, merge_mode=layer.merge_mode, backward_layer=back,
                                name=layer.name)
    return _keras_recurrent(keras, layer, layer.name)


def _keras_recurrent(keras, layer, name):
    """SimpleRNN, LSTM, GRU: the same flags; Keras's weights have our shapes and gate order."""
    KL = keras.layers
    flags = {"return_sequences": layer.return_sequences, "go_backwards": layer.go_backwards,
             "dropout": layer.dropout, "recurrent_dropout": layer.recurrent_dropout,
             "zero_output_for_mask": layer.zero_output_for_mask, "name": name,
             "dtype": layer.dtype.name}
    if isinstance(layer, SimpleRNN):
        return KL.SimpleRNN(layer.units, activation=layer.activation, **flags)
    if isinstance(layer, LSTM):  # gates i, f, c, o in both; unit_forget_bias only initialises
        return KL.LSTM(layer.units, **flags)
    return KL.GRU(layer.units, reset_after=layer.reset_after, **flags)  # bias (2, 3H) or (3H,)


def to_keras(model):
    """A Keras 3 ``keras.Sequential`` with the same layers and weights as ``model``.

    Args:
        model: a built rnnlesson ``Sequential`` of the layers in this module's table.

    Returns the Keras model (not compiled: ``compile`` it with the loss and optimizer you
    want). Its ``predict`` gives the same numbers as ``model.predict`` to float32 precision.
    Input: (N, T) ids or (N, T, D) / (N, D) floats, as ``model`` takes.
    """
    _check_model(model, "to_keras")
    keras = _import_keras()
    shape = tuple(model.input_shape[1:])
    first = model.layers[0]
    dtype = "int32" if isinstance(first, Embedding) else first.dtype.name
    kmodel = keras.Sequential([keras.Input(shape=shape, dtype=dtype)]
                              + [_keras_layer(keras, layer) for layer in model.layers],
                              name=model.name)
    # the same arrays in the same order: Keras's names and shapes are rnnlesson's contract
    kmodel.set_weights(model.get_weights())
    return kmodel


# ------------------------------------------------------------------ torch
def _gru_to_torch(a):
    """Keras's GRU blocks [z | r | h] along the last axis -> torch's [r | z | n]."""
    h = a.shape[-1] // 3
    return np.concatenate([a[..., h:2 * h], a[..., :h], a[..., 2 * h:]], axis=-1)


def _torch_weights(layer) -> dict:
    """The torch parameters (by their names in torch) of one recurrent layer."""
    w = layer.params
    if isinstance(layer, GRU):
        # torch's GRU is Keras's reset_after=True: n = tanh(W_n x + b_in + r * (U_n h + b_hn)),
        # the two bias rows are torch's two biases; the blocks z, r, h become r, z, n
        return {"weight_ih_l0": _gru_to_torch(w["kernel"]).T,
                "weight_hh_l0": _gru_to_torch(w["recurrent_kernel"]).T,
                "bias_ih_l0": _gru_to_torch(w["bias"][0]),
                "bias_hh_l0": _gru_to_torch(w["bias"][1])}
    # SimpleRNN and LSTM: torch adds two biases where Keras has one, so the second is zero;
    # LSTM gate blocks are i, f, g (Keras's c), o in both libraries: no reordering
    return {"weight_ih_l0": w["kernel"].T, "weight_hh_l0": w["recurrent_kernel"].T,
            "bias_ih_l0": w["bias"], "bias_hh_l0": np.zeros_like(w["bias"])}


def _check_torch_recurrent(layer) -> None:
    if isinstance(layer, SimpleRNN) and layer.activation not in ("tanh", "relu"):
        raise ValueError(f"to_torch: torch's nn.RNN has tanh or relu only; '{layer.name}' uses "
                         f"activation={layer.activation!r}.")
    if isinstance(layer, GRU) and not layer.reset_after:
        raise ValueError(f"to_torch: torch's nn.GRU applies the reset gate after the recurrent "
                         f"product (reset_after=True); '{layer.name}' has reset_after=False. "
                         "Use GRU(reset_after=True), the default.")
    if layer.dropout or layer.recurrent_dropout:
        raise ValueError(f"to_torch: torch's recurrent layers have no dropout inside the time "
                         f"loop; '{layer.name}' has dropout={layer.dropout}, recurrent_dropout="
                         f"{layer.recurrent_dropout}. Put a Dropout layer between layers instead.")


def _torch_recurrent(nets, torch, layer):
    _check_torch_recurrent(layer)
    kind = type(layer).__name__
    net = nets.Recurrent(kind, layer.params["kernel"].shape[0], layer.units,
                         nonlinearity=getattr(layer, "activation", "tanh"),
                         return_sequences=layer.return_sequences,
                         go_backwards=layer.go_backwards,
                         zero_output_for_mask=layer.zero_output_for_mask)
    nets.load(net.rnn, _torch_weights(layer))
    return net


def _torch_layer(nets, torch, layer):
    """The torch module (``rnnlesson._torch_nets``) that computes what ``layer`` does."""
    if isinstance(layer, Embedding):  # the same (V, E) table; ids 0 make the mask if asked
        net = nets.Embedding(layer.input_dim, layer.output_dim, layer.mask_zero)
        nets.load(net.embedding, {"weight": layer.params["embeddings"]})
        return net
    if isinstance(layer, Masking):
        return nets.Masking(layer.mask_value)
    if isinstance(layer, Dense):  # torch's Linear stores the (U, D) transpose of the kernel
        d = layer.params["kernel"].shape[0]
        net = nets.Dense(d, layer.units, layer.activation, layer.use_bias)
        weights = {"weight": layer.params["kernel"].T}
        if layer.use_bias:
            weights["bias"] = layer.params["bias"]
        nets.load(net.linear, weights)
        return net
    if isinstance(layer, Dropout):
        return nets.Dropout(layer.rate)
    if isinstance(layer, Flatten):
        return nets.Flatten()
    if isinstance(layer, Bidirectional):
        fwd, bwd = layer.layers
        return nets.Bidirectional(_torch_recurrent(nets, torch, fwd),
                                  _torch_recurrent(nets, torch, bwd), layer.merge_mode)
    return _torch_recurrent(nets, torch, layer)


def to_torch(model):
    """A torch ``nn.Module`` with the same layers and weights as ``model``, in ``eval()`` mode.

    Args:
        model: a built rnnlesson ``Sequential`` of the layers in this module's table.

    Returns a ``torch.nn.Module`` whose ``forward(x)`` takes what ``model`` takes (a torch
    tensor or a numpy array: (N, T) ids, (N, T, D) or (N, D) floats) and returns a tensor in
    the model's dtype. Masks are carried from layer to layer as Keras does (see the module
    docstring); after a call, ``net.output_mask`` holds the output's mask (N, T) or None.
    It is in ``eval()`` mode (dropout off); call ``net.train()`` before training it.
    """
    _check_model(model, "to_torch")
    torch = _import_torch()
    from . import _torch_nets as nets  # defines nn.Module classes: needs torch imported

    dtype = {"float32": torch.float32, "float64": torch.float64}[model.layers[0].dtype.name]
    net = nets.Sequential([_torch_layer(nets, torch, layer) for layer in model.layers])
    return net.to(dtype).eval()
