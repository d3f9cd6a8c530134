"""Optimizers (``SGD``, ``RMSprop``, ``Adam``) with Keras 3's update rules and defaults,
and gradient clipping by global norm.

An optimizer updates parameter arrays in place, from parallel lists or from two
dicts with the same keys (``model.params`` and ``model.grads`` are such dicts)::

    opt = Adam(learning_rate=1e-3)
    opt.apply(model.params, model.grads)   # one step; opt.iterations counts them
    opt.apply([w, b], [dw, db])            # the same with parallel lists
    opt.learning_rate = 3e-4               # a plain attribute: change it any time

Clipping is its own step, between backward and update::

    norm = clip_by_global_norm(grads, max_norm=5.0)   # in place; returns the norm before

or let ``apply`` clip a scaled copy (your gradient arrays stay untouched), with
Keras's two options and Keras's meaning of each:

* ``global_clipnorm=5.0``: when the norm of *all* gradients taken together as one
  vector exceeds 5, every array is scaled by the same factor; the direction of
  the whole gradient is kept (``clip_by_global_norm``, lesson 02).
* ``clipnorm=5.0``: each gradient array whose own norm exceeds 5 is scaled on its
  own; arrays get different factors, so the overall direction can change.

The update rules, for a parameter w with gradient g (lr = learning rate), as
Keras 3 writes them:

* ``SGD``:   without momentum  w -= lr g;
  with momentum  m = momentum m - lr g;  w += m   (nesterov: w += momentum m - lr g).
* ``RMSprop``: v = rho v + (1 - rho) g^2;  step = lr g / sqrt(v + epsilon);
  w -= step  (with momentum: m = momentum m + step;  w -= m).
* ``Adam``:  t = iterations + 1;  m += (1 - beta_1)(g - m);  v += (1 - beta_2)(g^2 - v);
  w -= lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon).

The optimizer keeps its state (m, v) per parameter *array*: it holds a reference
to each array it has updated, so the state follows the array itself, not its
position in the list. Pass the same arrays every step (layers update their
weights in place, so ``model.params`` always gives the same arrays).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _checks

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "clip_by_global_norm", "global_norm", "get"]


# ---------------------------------------------------------------------- clipping
def _grad_list(grads, owner: str) -> list:
    """The gradient arrays of a list, tuple or dict (its values), checked to be float arrays."""
    if isinstance(grads, dict):
        grads = list(grads.values())
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
        raise TypeError(f"{owner} expects a dict or list of gradient arrays; got "
                        f"{type(grads).__name__}.")
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            got = type(g).__name__ if not isinstance(g, np.ndarray) else f"dtype {g.dtype}"
            raise TypeError(f"{owner} expects float numpy arrays as gradients; item {i} is {got}.")
    return list(grads)


#: entries of a float32 gradient squared and summed in float64 at a time
_NORM_CHUNK = 1 << 16


def _sum_of_squares(g: np.ndarray) -> float:
    """sum(g**2) in float64 (no overflow, no float32 sums). A big float32 array goes
    through a small float64 buffer a chunk at a time (in cache), not one float64 copy of
    its whole size: half the time at a million entries."""
    flat = g.ravel()
    if flat.dtype == np.float64 or flat.size <= _NORM_CHUNK:
        flat = flat.astype(np.float64, copy=False)
        return float(np.dot(flat, flat))
    buf = np.empty(_NORM_CHUNK)
    total = 0.0
    for a in range(0, flat.size, _NORM_CHUNK):
        b = buf[:min(_NORM_CHUNK, flat.size - a)]
        b[...] = flat[a:a + _NORM_CHUNK]
        total += float(np.dot(b, b))
    return total


def global_norm(grads) -> float:
    """The L2 norm of all gradients together: sqrt(sum over arrays of sum(g**2)), in float64.

    ``grads`` is a list or a dict of arrays (e.g. ``model.grads``). NaN or inf in any
    array gives a NaN or inf norm.
    """
    grads = _grad_list(grads, "global_norm")
    return math.sqrt(sum(_sum_of_squares(g) for g in grads))


def clip_by_global_norm(grads, max_norm) -> float:
    """Scale all gradients together, in place, so that their global norm is at most ``max_norm``.

    Args:
        grads: list or dict of float arrays (e.g. ``model.grads``); changed in place.
        max_norm: a positive number.

    Returns:
        The global norm *before* clipping (a float), handy for plotting.

    Every array is multiplied by the same factor ``max_norm / norm`` (only when
    ``norm > max_norm``), so the direction of the whole gradient is kept; only its
    length shrinks. Below ``max_norm`` nothing changes.

    If the gradients hold NaN or inf, the returned norm is NaN or inf and nothing is
    changed (no direction can be kept): check ``math.isfinite(norm)`` and stop, as a
    diverged run must (``Optimizer.apply`` refuses such gradients).
    """
    owner = "clip_by_global_norm"
    max_norm = _checks.real_number(max_norm, "max_norm", owner, low=0, low_inclusive=False)
    grads = _grad_list(grads, owner)
    norm = global_norm(grads)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for g in grads:
            g *= scale
    return norm


# ---------------------------------------------------------------------- base class
class Optimizer:
    """Base class: ``apply(params, grads)`` updates each array of ``params`` in place.

    Args:
        learning_rate: a positive number; ``opt.learning_rate`` may be changed later.
        clipnorm: None, or clip each gradient array to this norm on its own before the
            update: ``g * clipnorm / norm(g)`` where ``norm(g) > clipnorm`` (as Keras).
        global_clipnorm: None, or clip the norm of all gradients taken together to this
            value: every array scaled by ``global_clipnorm / global_norm`` when the global
            norm is larger (as Keras). Give at most one of the two (Keras refuses both too).

    Clipping works on copies: the caller's gradient arrays are never changed.
    """

    name = "optimizer"
    _config_keys: tuple[str, ...] = ("learning_rate",)

    def __init__(self, learning_rate, clipnorm=None, global_clipnorm=None):
        owner = type(self).__name__
        self.learning_rate = learning_rate
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                f"{owner} takes clipnorm or global_clipnorm, not both (as Keras): clipnorm clips "
                "each gradient array's norm, global_clipnorm the norm of all of them together; "
                f"got clipnorm={clipnorm!r} and global_clipnorm={global_clipnorm!r}.")
        self.clipnorm = None if clipnorm is None else _checks.real_number(
            clipnorm, "clipnorm", owner, low=0, low_inclusive=False)
        self.global_clipnorm = None if global_clipnorm is None else _checks.real_number(
            global_clipnorm, "global_clipnorm", owner, low=0, low_inclusive=False)
        self.iterations = 0
        #: the global gradient norm before clipping at the last step (None without
        #: global_clipnorm)
        self.last_grad_norm = None
        self._slots: dict[int, tuple[np.ndarray, dict]] = {}
        self._work: dict[tuple, np.ndarray] = {}  # scratch buffers, see _scratch

    # learning_rate is a plain attribute to the user; the setter only validates it.
    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = _checks.real_number(
            value, "learning_rate", type(self).__name__, low=0, low_inclusive=False)

    # ------------------------------------------------------------------ state
    def _slots_for(self, p: np.ndarray) -> dict:
        """The state dict of array ``p`` (created with zeros the first time ``p`` is seen)."""
        entry = self._slots.get(id(p))
        if entry is None or entry[0] is not p:
            entry = (p, self._new_slots(p))
            self._slots[id(p)] = entry
        return entry[1]

    def _new_slots(self, p: np.ndarray) -> dict:
        return {}

    def slots(self, param: np.ndarray) -> dict:
        """The optimizer's state for one parameter array, e.g. ``{'m': ..., 'v': ...}`` for Adam."""
        entry = self._slots.get(id(param))
        return {} if entry is None or entry[0] is not param else entry[1]

    def reset(self) -> None:
        """Forget all state (moments, step count), as a fresh optimizer."""
        self._slots.clear()
        self._work.clear()
        self.iterations = 0
        self.last_grad_norm = None

    # ------------------------------------------------------------------ update
    def apply(self, params, grads) -> None:
        """One update step: ``params[i] -= ...`` in place from ``grads[i]``.

        Args:
            params: float arrays updated in place: a list, or a dict such as
                ``model.params`` (``{'layer/weight': array}``).
            grads: arrays of the same shapes, never changed: a list parallel to a list of
                params, or a dict with the same keys as a dict of params (``model.grads``).
        """
        owner = f"{type(self).__name__}.apply"
        keys, params, grads = _pair_up(params, grads, owner)
        for key, p, g in zip(keys, params, grads, strict=True):
            name = repr(key) if isinstance(key, str) else str(key)  # for the messages below
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                got = type(p).__name__ if not isinstance(p, np.ndarray) else f"dtype {p.dtype}"
                raise TypeError(f"{owner} expects float numpy arrays as parameters (updated in "
                                f"place); item {name} is {got}.")
            if not p.flags.writeable:
                raise ValueError(f"{owner}: parameter {name} is a read-only array; it must be "
                                 "updated in place.")
            if g.shape != p.shape:
                raise ValueError(f"{owner}: gradient {name} has shape "
                                 f"{_checks.shape_str(g.shape)} but its parameter has shape "
                                 f"{_checks.shape_str(p.shape)}.")
            _checks.check_finite(g, owner, f"gradient {name} (shape {_checks.shape_str(g.shape)})")
        self._apply_checked(params, grads)

    def _apply_checked(self, params: list, grads: list, norm: float | None = None) -> None:
        """The update itself, on parallel lists already checked (float arrays of matching
        shapes, finite gradients). ``norm``: their global norm if the caller has it
        (``train_step`` computes it anyway), so it is not computed twice."""
        scale = 1.0
        if self.global_clipnorm is not None:
            if norm is None:
                norm = global_norm(grads)
            self.last_grad_norm = norm
            if norm > self.global_clipnorm:
                scale = self.global_clipnorm / norm
        for p, g in zip(params, grads, strict=True):
            g = g.astype(p.dtype, copy=False)
            if self.clipnorm is not None:
                norm = math.sqrt(_sum_of_squares(g))
                if norm > self.clipnorm:  # this array alone is too long: scale it down
                    g = np.multiply(g, np.asarray(self.clipnorm / norm, dtype=p.dtype),
                                    out=self._scratch(p, 2))
            elif scale != 1.0:  # a clipped copy: the caller's g stays
                g = np.multiply(g, np.asarray(scale, dtype=p.dtype), out=self._scratch(p, 2))
            self._update(p, g, self._slots_for(p))
        self.iterations += 1

    def _scratch(self, p: np.ndarray, k: int) -> np.ndarray:
        """Work array number ``k`` (0, 1, 2) of ``p``'s shape and dtype, contents undefined.

        Three flat buffers per dtype, as long as the largest parameter seen, shared by
        every update: an update then makes no fresh arrays of a parameter's size (fresh
        megabytes every step cost page faults)."""
        key = (p.dtype.str, k)
        buf = self._work.get(key)
        if buf is None or buf.size < p.size:
            buf = self._work[key] = np.empty(p.size, p.dtype)
        return buf[:p.size].reshape(p.shape)

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras's form: a list of ``(gradient, parameter)`` pairs."""
        pairs = list(grads_and_vars)
        self.apply([v for _, v in pairs], [g for g, _ in pairs])

    def _update(self, p: np.ndarray, g: np.ndarray, slots: dict) -> None:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Name and hyperparameters, JSON-serialisable; ``optimizers.get(config)`` rebuilds it."""
        cfg = {"name": self.name}
        for k in self._config_keys:
            cfg[k] = getattr(self, k)
        cfg["clipnorm"] = self.clipnorm
        cfg["global_clipnorm"] = self.global_clipnorm
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._config_keys)
        for key in ("clipnorm", "global_clipnorm"):
            if getattr(self, key) is not None:
                args += f", {key}={getattr(self, key)!r}"
        return f"{type(self).__name__}({args})"


def _pair_up(params, grads, owner: str):
    """``(keys, params, grads)`` as parallel lists, from two lists or two dicts.

    Dicts must have the same keys; ``keys`` are theirs, or the positions for lists."""
    if isinstance(params, dict) or isinstance(grads, dict):
        if not (isinstance(params, dict) and isinstance(grads, dict)):
            raise TypeError(f"{owner} expects params and grads both as lists or both as dicts "
                            f"(e.g. model.params, model.grads); got {type(params).__name__} and "
                            f"{type(grads).__name__}.")
        if params.keys() != grads.keys():
            missing = [k for k in params if k not in grads]
            extra = [k for k in grads if k not in params]
            raise ValueError(f"{owner} expects grads with the same keys as params; missing "
                             f"{missing or 'none'}, not in params {extra or 'none'}.")
        keys = list(params)
        return keys, list(params.values()), _grad_list([grads[k] for k in keys], owner)
    if isinstance(params, np.ndarray) or not isinstance(params, (list, tuple)):
        raise TypeError(f"{owner} expects a dict or list of parameter arrays; got "
                        f"{type(params).__name__}. For one array use apply([w], [dw]).")
    grads = _grad_list(grads, owner)
    if len(params) != len(grads):
        raise ValueError(f"{owner} expects as many gradients as parameters; got "
                         f"{len(params)} parameters and {len(grads)} gradients.")
    return range(len(params)), list(params), grads


def _unit_interval(value, name, owner) -> float:
    """A number in [0, 1)."""
    return _checks.real_number(value, name, owner, low=0.0, high=1.0, high_inclusive=False)


# ---------------------------------------------------------------------- SGD
class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as Keras.

    Args:
        learning_rate: default 0.01 (Keras's).
        momentum: in [0, 1); 0 gives plain ``w -= lr g``.
        nesterov: use Nesterov momentum.
        clipnorm, global_clipnorm: see :class:`Optimizer`.

    Update: ``m = momentum m - lr g``; ``w += m`` (Nesterov: ``w += momentum m - lr g``).
    """

    name = "sgd"
    _config_keys = ("learning_rate", "momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, clipnorm=None,
                 global_clipnorm=None):
        super().__init__(learning_rate, clipnorm, global_clipnorm)
        self.momentum = _unit_interval(momentum, "momentum", "SGD")
        self.nesterov = _checks.boolean(nesterov, "nesterov", "SGD")

    def _new_slots(self, p):
        return {"m": np.zeros_like(p)} if self.momentum != 0 else {}

    def _update(self, p, g, slots):
        lr = self.learning_rate
        if self.momentum == 0:
            p -= lr * g  # w <- w - lr g
            return
        if "m" not in slots:  # momentum switched on after the first steps
            slots["m"] = np.zeros_like(p)
        m = slots["m"]
        m *= self.momentum
        m -= lr * g  # m <- momentum m - lr g
        if self.nesterov:
            p += self.momentum * m - lr * g  # w <- w + momentum m - lr g
        else:
            p += m  # w <- w + m


# ---------------------------------------------------------------------- RMSprop
class RMSprop(Optimizer):
    """RMSprop, as Keras 3 (not centered).

    Args:
        learning_rate: default 0.001.
        rho: decay of the running mean of g^2, in [0, 1); default 0.9.
        momentum: in [0, 1); default 0.
        epsilon: added under the square root; default 1e-7.
        clipnorm, global_clipnorm: see :class:`Optimizer`.

    Update: ``v = rho v + (1 - rho) g^2``; ``step = lr g / sqrt(v + epsilon)``;
    ``w -= step`` (with momentum: ``m = momentum m + step``; ``w -= m``).
    """

    name = "rmsprop"
    _config_keys = ("learning_rate", "rho", "momentum", "epsilon")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, clipnorm=None,
                 global_clipnorm=None):
        super().__init__(learning_rate, clipnorm, global_clipnorm)
        self.rho = _unit_interval(rho, "rho", "RMSprop")
        self.momentum = _unit_interval(momentum, "momentum", "RMSprop")
        self.epsilon = _checks.real_number(epsilon, "epsilon", "RMSprop", low=0,
                                           low_inclusive=False)

    def _new_slots(self, p):
        return {"v": np.zeros_like(p), "m": np.zeros_like(p)}

    def _update(self, p, g, slots):
        v, m = slots["v"], slots["m"]
        v *= self.rho
        v += (1 - self.rho) * (g * g)  # v <- rho v + (1 - rho) g^2
        step = self.learning_rate * g / np.sqrt(v + self.epsilon)  # lr g / sqrt(v + eps)
        if self.momentum > 0:
            m *= self.momentum
            m += step  # m <- momentum m + step
            p -= m
        else:
            p -= step


# ---------------------------------------------------------------------- Adam
class Adam(Optimizer):
    """Adam, as Keras 3 (bias correction folded into the step size).

    Args:
        learning_rate: default 0.001.
        beta_1, beta_2: decay rates of the first and second moments, in [0, 1);
            defaults 0.9 and 0.999.
        epsilon: added to sqrt(v); default 1e-7 (Keras's; PyTorch uses 1e-8).
        clipnorm, global_clipnorm: see :class:`Optimizer`.

    Update, with t = iterations + 1:
    ``m += (1 - beta_1)(g - m)``; ``v += (1 - beta_2)(g^2 - v)``;
    ``w -= lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)``.
    """

    name = "adam"
    _config_keys = ("learning_rate", "beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 clipnorm=None, global_clipnorm=None):
        super().__init__(learning_rate, clipnorm, global_clipnorm)
        self.beta_1 = _unit_interval(beta_1, "beta_1", "Adam")
        self.beta_2 = _unit_interval(beta_2, "beta_2", "Adam")
        self.epsilon = _checks.real_number(epsilon, "epsilon", "Adam", low=0, low_inclusive=False)

    def _new_slots(self, p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p)}

    #: entries updated together: a big array goes through in pieces of this size, so
    #: the update's ten passes run over memory in the cache (1.25x faster at 1M entries)
    _CHUNK = 1 << 16

    def _update(self, p, g, slots):
        t = self.iterations + 1
        m, v = slots["m"], slots["v"]
        alpha = self.learning_rate * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        step = self._CHUNK
        if p.size <= step or not all(a.flags.c_contiguous for a in (p, g, m, v)):
            self._adam_step(p, g, m, v, alpha, self._scratch(p, 0), self._scratch(p, 1))
            return
        flat = [a.reshape(-1) for a in (p, g, m, v)]  # views: contiguous arrays
        work = self._scratch(flat[0][:step], 0), self._scratch(flat[0][:step], 1)
        for s in range(0, p.size, step):
            e = min(s + step, p.size)
            self._adam_step(*(a[s:e] for a in flat), alpha, work[0][:e - s], work[1][:e - s])

    def _adam_step(self, p, g, m, v, alpha, a, b):
        """One Adam update of p in place, in the work arrays a and b (the same operations
        in the same order as ``m += (1 - beta_1) * (g - m)`` and so on, so the same
        numbers, without temporaries)."""
        np.subtract(g, m, out=a)
        a *= 1 - self.beta_1
        m += a  # m <- m + (1 - beta_1)(g - m) = beta_1 m + (1 - beta_1) g
        np.multiply(g, g, out=a)
        a -= v
        a *= 1 - self.beta_2
        v += a  # v <- v + (1 - beta_2)(g^2 - v) = beta_2 v + (1 - beta_2) g^2
        np.multiply(m, alpha, out=a)
        np.sqrt(v, out=b)
        b += self.epsilon
        a /= b
        p -= a  # w <- w - alpha m / (sqrt(v) + epsilon)


# ---------------------------------------------------------------------- lookup
_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(identifier) -> Optimizer:
    """An optimizer from a name (``'adam'``, ``'sgd'``, ``'rmsprop'``, with Keras's defaults),
    a config dict (what ``get_config`` gives), or an optimizer object (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        cfg = dict(identifier)
        name = cfg.pop("name", None)
        cls = _BY_NAME.get(str(name).lower()) if name is not None else None
        if cls is None:
            raise ValueError(f"optimizers.get: unknown optimizer name {name!r} in config "
                             f"{identifier!r}; known names: {', '.join(_BY_NAME)}.")
        return cls(**cfg)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizers.get: unknown optimizer {identifier!r}; known names: "
                             f"{', '.join(_BY_NAME)}.")
        return cls()
    if isinstance(identifier, numbers.Number):
        raise TypeError(f"optimizers.get expects a name such as 'adam', a config dict or an "
                        f"optimizer; got the number {identifier!r}. For a learning rate write "
                        f"Adam(learning_rate={identifier!r}).")
    raise TypeError(f"optimizers.get expects a name such as 'adam', a config dict or an "
                    f"optimizer; got {type(identifier).__name__}.")
