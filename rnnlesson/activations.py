"""Activation functions with their backward passes, by Keras name.

Each activation is written so that its backward pass needs only the forward
*output* ``y`` (never the input), which is what the recurrent layers cache:

=========  ======================  ===========================================
name       y = f(z)                dL/dz from dL/dy and y
=========  ======================  ===========================================
linear     z                       dy
tanh       tanh(z)                 dy * (1 - y**2)
sigmoid    1 / (1 + exp(-z))       dy * y * (1 - y)
relu       max(z, 0)               dy * (y > 0)
softmax    exp(z) / sum exp(z)     y * (dy - sum(dy * y, axis=-1))
=========  ======================  ===========================================
"""

from __future__ import annotations

import numpy as np

from .kernels import sigmoid  # the one sigmoid of the package (0.5 tanh(z/2) + 0.5)


def linear(z):
    return z


def tanh(z):
    return np.tanh(z)


def relu(z):
    return np.maximum(z, 0)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def linear_backward(dy, y):
    return dy


def tanh_backward(dy, y):
    return dy * (1 - y * y)


def sigmoid_backward(dy, y):
    return dy * y * (1 - y)


def relu_backward(dy, y):
    return dy * (y > 0)


def softmax_backward(dy, y):
    return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


_FORWARD = {"linear": linear, "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "softmax": softmax}
_BACKWARD = {
    "linear": linear_backward,
    "tanh": tanh_backward,
    "sigmoid": sigmoid_backward,
    "relu": relu_backward,
    "softmax": softmax_backward,
}
NAMES = tuple(_FORWARD)


#: the activations of a recurrent layer's hidden state (a softmax makes no sense there)
RECURRENT_NAMES = ("tanh", "relu", "sigmoid", "linear")


def canonical(name, owner: str, choices=NAMES) -> str:
    """Return the canonical activation name; ``None`` means ``'linear'``.

    Raises ValueError, listing ``choices``, for any other name (recurrent layers and
    cells pass ``RECURRENT_NAMES``).
    """
    if name is None:
        return "linear"
    if not isinstance(name, str) or name not in choices:
        raise ValueError(
            f"{owner} expects activation to be one of {', '.join(repr(n) for n in choices)} "
            f"or None; got {name!r}."
        )
    return name


def get(name: str):
    """Return ``(forward, backward)`` for an activation name (see :func:`canonical`)."""
    return _FORWARD[name], _BACKWARD[name]
