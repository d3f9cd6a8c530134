"""Import a script of ``benchmarks/`` as a module, for the tests of its functions."""

import importlib.util
import os
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_script(name: str):
    """``benchmarks/<name>.py`` as a module. The scripts pin BLAS threads in
    ``os.environ`` when imported; the environment is put back as it was, so that the
    kernels and subprocesses of later tests do not inherit it."""
    saved = dict(os.environ)
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return mod
