"""Saving and loading models: one ``.npz`` file, the architecture as JSON beside the weights.

The file (format version 2) is a plain numpy archive holding

* ``__rnnlesson__``: the header, UTF-8 JSON stored as a 1-d uint8 array::

      {"format": "rnnlesson.Sequential",      # the kind of model
       "format_version": 2,
       "model": model.get_config(),           # name, seed, layer classes and configs
       "build_input_shape": [null, 500],
       "compile": null or {"loss": {...}, "loss_name": ..., "optimizer": {...},
                           "metrics": ["accuracy"]},
       "weights": [{"layer": "embedding", "name": "embeddings", "key": "weight_000",
                    "shape": [10000, 32], "dtype": "float32"}, ...]}

* ``weight_000``, ``weight_001``, ...: the weight arrays, in ``get_weights()`` order.

What is guaranteed:

* a save is atomic: the archive is written to a temporary file in the target
  directory, flushed to disk and renamed into place, so an interrupted or failed
  save leaves no half-written file and keeps an earlier file of that name intact;
* a load never unpickles (``allow_pickle=False``): a file holding pickled objects is
  refused, since unpickling could run arbitrary code;
* a truncated, damaged or foreign file, or one whose header and weights disagree,
  raises ValueError naming the path and what was expected, never a numpy or zip error;
* the optimizer's settings are kept, its state (momentum, Adam's moments) is not:
  a loaded model is compiled with a fresh optimizer.

Version 1 files differ in one setting: their optimizer's ``clipnorm`` meant the norm
of all gradients together, what version 2 (and Keras) call ``global_clipnorm``. Such
a file is read with that value as ``global_clipnorm``, so the model trains as before.

The header's ``"format"`` names the kind of model; ``_BUILDERS`` maps each kind to
the function that rebuilds a model from a header. A new kind of model adds its entry
there (and ``get_config()``, ``layers``, ``input_shape`` as ``Sequential`` has them).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile

import numpy as np

from ..layers.base import Layer

__all__ = ["save_model", "load_model"]

_FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_HEADER_KEY = "__rnnlesson__"
#: settings read from a loss or optimizer that has no get_config()
_OPT_KEYS = ("learning_rate", "momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon",
             "clipnorm", "global_clipnorm")
_LOSS_KEYS = ("from_logits",)


# ---------------------------------------------------------------------------- writing
def _kind(model) -> str:
    return f"rnnlesson.{type(model).__name__}"


def _object_config(obj, names) -> dict:
    """class name + settings of a loss or optimizer (its get_config() if it has one)."""
    if hasattr(obj, "get_config"):
        cfg = obj.get_config()
    else:
        cfg = {k: getattr(obj, k) for k in names if hasattr(obj, k)}
    clean = {}
    for k, v in cfg.items():
        if isinstance(v, (np.floating, np.integer, np.bool_)):
            v = v.item()
        if v is None or isinstance(v, (bool, int, float, str)):
            clean[k] = v
    return {"class_name": type(obj).__name__, "config": clean}


def _serialise(model):
    """(header, arrays): the JSON header and the weight arrays by archive key."""
    arrays = {}
    weights = []
    for layer in model.layers:
        for key, p in layer.params.items():
            name = f"weight_{len(weights):03d}"
            arrays[name] = p
            weights.append({"layer": layer.name, "name": key, "key": name,
                            "shape": list(p.shape), "dtype": p.dtype.name})
    compiled = None
    if model.loss is not None:
        compiled = {
            "loss": _object_config(model.loss, _LOSS_KEYS),
            "loss_name": model._compile_args.get("loss") if model._compile_args else None,
            "optimizer": _object_config(model.optimizer, _OPT_KEYS),
            "metrics": list(model.metrics),
        }
    header = {
        "format": _kind(model),
        "format_version": _FORMAT_VERSION,
        "model": model.get_config(),
        "build_input_shape": list(model.input_shape),
        "compile": compiled,
        "weights": weights,
    }
    return header, arrays


def save_model(model, path) -> str:
    """Write ``model`` to one ``.npz`` file (``'.npz'`` appended when missing), atomically;
    return the path. ``Sequential.save`` calls this; see its docstring."""
    owner = f"{type(model).__name__}.save"
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"{owner} expects a file path; got {path!r}.")
    if not path.endswith(".npz"):
        path += ".npz"
    if _kind(model) not in _BUILDERS:
        raise TypeError(f"{owner}: models of kind {_kind(model)!r} cannot be saved; known "
                        f"kinds: {sorted(_BUILDERS)}.")
    if not model.built:
        raise RuntimeError(f"{owner}: model '{model.name}' has no weights yet; build it (or "
                           "fit it) first.")
    header, arrays = _serialise(model)
    arrays[_HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{owner}: the directory {directory!r} does not exist (saving "
                                f"to {path!r}).")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


# ---------------------------------------------------------------------------- reading
def _damaged(path, detail):
    return ValueError(
        f"load_model: {path!r} is not a readable rnnlesson model file: {detail}. Expected an "
        f".npz archive written by Sequential.save(), holding '{_HEADER_KEY}' (the "
        "architecture as JSON) and the weight arrays."
    )


def _read_arrays(path) -> dict:
    """Every array of the archive, read without unpickling; any failure is a ValueError."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic.startswith(b"\x93NUMPY"):
        raise _damaged(path, "it is a single .npy array, not an .npz archive")
    if not magic.startswith(b"PK"):
        raise _damaged(path, f"it does not start like a zip (.npz) archive (first bytes "
                             f"{magic!r})")
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = list(data.files)
            if _HEADER_KEY not in keys:
                raise _damaged(path, f"it holds the arrays {keys[:8]} but no '{_HEADER_KEY}' "
                                     "entry, so it was not written by Sequential.save()")
            arrays = {}
            for key in keys:
                try:
                    arrays[key] = data[key]
                except ValueError as exc:
                    if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                        raise _damaged(
                            path, f"the entry {key!r} is a pickled object array; model files "
                            "never hold pickled data, and load_model does not unpickle (that "
                            "could run arbitrary code)") from exc
                    raise
    except ValueError as exc:
        if str(exc).startswith("load_model:"):
            raise
        raise _damaged(path, f"{type(exc).__name__}: {exc}") from exc
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, RuntimeError) as exc:
        raise _damaged(path, f"the archive is truncated or damaged ({type(exc).__name__}: "
                             f"{exc})") from exc
    except Exception as exc:  # zlib.error and friends from a corrupted member
        raise _damaged(path, f"the archive is damaged ({type(exc).__name__}: {exc})") from exc
    return arrays


def _read_npz(path) -> tuple[dict, dict]:
    """Read and check the archive; return (header, weight arrays)."""
    arrays = _read_arrays(path)
    raw = arrays.pop(_HEADER_KEY)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _damaged(path, f"'{_HEADER_KEY}' should be UTF-8 bytes (uint8, 1-d); got "
                             f"{raw.dtype} of shape {raw.shape}")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _damaged(path, f"the architecture JSON does not parse ({exc})") from exc
    kind = header.get("format") if isinstance(header, dict) else None
    if kind not in _BUILDERS:
        raise _damaged(path, f"its header is not an rnnlesson model header (format {kind!r}; "
                             f"known: {', '.join(sorted(_BUILDERS))})")
    version = header.get("format_version")
    if version not in _READABLE_VERSIONS:
        raise _damaged(path, f"format version {version!r}; this rnnlesson reads versions "
                             f"{', '.join(map(str, _READABLE_VERSIONS))}")
    if version == 1 and isinstance(header.get("compile"), dict):
        _upgrade_clipnorm(header["compile"].get("optimizer"))
    return header, arrays


def _upgrade_clipnorm(entry) -> None:
    """Version 1's clipnorm was the global norm: move it to global_clipnorm, in place."""
    config = entry.get("config") if isinstance(entry, dict) else None
    if isinstance(config, dict) and config.get("clipnorm") is not None \
            and config.get("global_clipnorm") is None:
        config["global_clipnorm"] = config.pop("clipnorm")


def _layer_classes(custom_objects):
    from .. import layers as layers_module
    from ..layers.recurrent import Recurrent

    classes = {}
    for name in dir(layers_module):
        obj = getattr(layers_module, name)
        if isinstance(obj, type) and issubclass(obj, Layer) and obj not in (Layer, Recurrent):
            classes[name] = obj
    classes.update(custom_objects or {})
    return classes


def layers_from_config(path, entries, custom_objects) -> list:
    """The layers a header lists (``[{"class_name": ..., "config": ...}, ...]``), fresh."""
    classes = _layer_classes(custom_objects)
    layers = []
    for entry in entries:
        cls_name = entry["class_name"]
        if cls_name not in classes:
            raise _damaged(path, f"it uses the layer class {cls_name!r}, which is not in "
                                 "rnnlesson.layers; pass custom_objects={"
                                 f"{cls_name!r}: TheClass}}")
        layer = classes[cls_name].from_config(dict(entry["config"]))
        link = getattr(layer, "link_layers", None)
        if link is not None:  # a tie to an earlier layer, saved by its name (TiedDense)
            link({earlier.name: earlier for earlier in layers})
        layers.append(layer)
    return layers


#: model kind (the header's "format") -> function(path, header, custom_objects) -> model;
#: each model class registers its own kind (Sequential in models/sequential.py)
_BUILDERS: dict = {}


def register_model_kind(kind: str, build) -> None:
    """Let :func:`load_model` rebuild models whose header says ``"format": kind`` with
    ``build(path, header, custom_objects)``, which returns the model without weights."""
    _BUILDERS[kind] = build


def load_model(path, custom_objects=None, compile=True):
    """Read a model written by :meth:`Sequential.save`.

    Args:
        path: the file; if it does not exist but ``path + '.npz'`` does, that is read
            (``save`` appends ``.npz`` when missing).
        custom_objects: ``{'MyLayer': MyLayer}`` for layer classes outside
            ``rnnlesson.layers``.
        compile: compile the model with the saved loss, metrics and optimizer settings
            (a fresh optimizer: its state was not saved).

    The file is read with ``allow_pickle=False``. A file that is truncated, damaged,
    not an ``.npz``, a foreign ``.npz`` (no rnnlesson header), or holding pickled
    object arrays raises ValueError naming the path and what was expected.
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_model: no file at {path!r}.")
    header, arrays = _read_npz(path)
    try:
        model = _BUILDERS[header["format"]](path, header, custom_objects)
        weights = []
        for w in header["weights"]:
            arr = arrays[w["key"]]
            if list(arr.shape) != list(w["shape"]):
                raise _damaged(path, f"weight {w['name']!r} of layer {w['layer']!r} has shape "
                                     f"{arr.shape}, but the header says {tuple(w['shape'])}")
            weights.append(arr)
        model.set_weights(weights)
    except ValueError as exc:
        if str(exc).startswith("load_model:"):
            raise
        raise _damaged(path, f"its architecture or weights do not fit together ({exc})") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise _damaged(path, f"its header is incomplete or malformed ({type(exc).__name__}: "
                             f"{exc})") from exc
    if compile and header.get("compile"):
        _compile_from_header(model, header["compile"])
    return model


def _compile_from_header(model, spec) -> None:
    from .. import losses, optimizers

    def build(module, entry, fallback):
        cls = getattr(module, entry.get("class_name", ""), None)
        if isinstance(cls, type):
            config = dict(entry.get("config", {}))
            try:
                if hasattr(cls, "from_config"):
                    return cls.from_config(config)
                return cls(**config)
            except (TypeError, ValueError):
                pass
        return fallback

    loss = build(losses, spec["loss"], spec.get("loss_name"))
    optimizer = build(optimizers, spec["optimizer"], None)
    if loss is None or optimizer is None:
        warnings.warn("load_model: could not rebuild the saved loss or optimizer; the model is "
                      "returned uncompiled. Call model.compile(...) yourself.", stacklevel=3)
        return
    model.compile(optimizer=optimizer, loss=loss, metrics=spec.get("metrics") or [])
