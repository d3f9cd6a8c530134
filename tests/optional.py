"""Optional packages for parity tests: imported lazily, absent or broken counts as missing."""

from __future__ import annotations

import importlib
import importlib.util
import os


def keras_module(name: str = "keras"):
    """Import ``name`` (``keras`` or one of its submodules) on the torch backend, or None.

    ``KERAS_BACKEND`` must be set before keras is first imported; torch is the backend
    the parity tests use. A keras that is not installed, or fails to import, gives None,
    and the caller skips.
    """
    if importlib.util.find_spec("keras") is None:
        return None
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        return importlib.import_module(name)
    except Exception:  # pragma: no cover - a broken install counts as absent
        return None
