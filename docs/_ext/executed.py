"""Executed copies of the lessons, for the website.

The lessons are committed without outputs. The site shows them with their real outputs,
so each notebook must be executed once; this module decides whether a copy that was
executed earlier can be used, and executes the notebook when not.

* The test run writes them: ``tests/executed_notebooks.py`` (a pytest plugin that
  ``tests/conftest.py`` registers) keeps the outputs that nbval collects and writes every
  notebook whose cells all passed to :func:`executed_dir`.
* The docs build reads them: a copy is used when its :func:`fingerprint` equals the one of
  the notebook and package as they are now (the notebook's cells and every file of the
  ``rnnlesson`` package), so a copy made before a notebook or the package changed is
  executed again (:func:`execute`, with nbclient) and written back for the next build.

No import from Sphinx or pytest here: both sides use this module.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PACKAGE = ROOT / "rnnlesson"
#: where the executed copies go unless RNNLESSON_EXECUTED_DIR says otherwise (git-ignored)
DEFAULT_DIR = ROOT / "docs" / "_executed"
#: the notebook metadata key that records which sources a copy was executed from
KEY = "rnnlesson_executed"
#: seconds one cell may run (a cell of lesson 03's solutions trains for about 2 minutes)
CELL_TIMEOUT = 600


def executed_dir() -> Path:
    """The directory of executed copies: $RNNLESSON_EXECUTED_DIR, or docs/_executed/."""
    env = os.environ.get("RNNLESSON_EXECUTED_DIR")
    return Path(env).resolve() if env else DEFAULT_DIR


def lesson_notebooks() -> list[Path]:
    """Every notebook under notebooks/ (lessons and solutions), in name order."""
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def package_digest() -> str:
    """A hash of every file of the rnnlesson package (code and shipped data)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(notebook: Path, nb=None, digest: str | None = None) -> str:
    """A hash of what decides the outputs: the notebook's cells (type and source) and
    every file of the package. Outputs and metadata of the notebook do not count."""
    if nb is None:
        nb = nbformat.read(notebook, as_version=4)
    cells = [[c.cell_type, c.source] for c in nb.cells]
    h = hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode())
    h.update((digest or package_digest()).encode())
    return h.hexdigest()


def copy_path(notebook: Path, out_dir: Path | None = None) -> Path:
    """Where the executed copy of ``notebook`` (a path under notebooks/) lives."""
    return (out_dir or executed_dir()) / notebook.resolve().relative_to(NOTEBOOKS)


def write_copy(notebook: Path, nb, key: str, out_dir: Path | None = None) -> Path:
    """Write the executed notebook ``nb`` of ``notebook``, stamped with its fingerprint."""
    nb.metadata[KEY] = {"fingerprint": key}
    # live widget state is never shown on a static page (and holds every image twice)
    nb.metadata.pop("widgets", None)
    dst = copy_path(notebook, out_dir)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(dst)  # a reader never sees half a notebook
    return dst


def fresh_copy(notebook: Path, key: str, out_dir: Path | None = None):
    """The executed copy of ``notebook`` if one exists for ``key``, else None."""
    dst = copy_path(notebook, out_dir)
    if not dst.exists():
        return None
    try:
        nb = nbformat.read(dst, as_version=4)
    except Exception:  # a broken copy is as good as none: execute again
        return None
    return nb if nb.metadata.get(KEY, {}).get("fingerprint") == key else None


def _this_python_kernel():
    """A kernel manager class that always starts the ipykernel of this Python (as nbval's
    --nbval-current-env does), whatever kernels are installed for the user: the lessons
    run against the environment, and package, that this build documents."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    class Manager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return ThisPython(data_dir=self.data_dir)

    return Manager


def execute(notebook: Path, timeout: int = CELL_TIMEOUT):
    """Run ``notebook`` top to bottom with nbclient; return it with its outputs.

    As under nbval in the test run, the kernel is this Python's and runs in the
    notebook's directory, and it draws figures inline: MPLBACKEND is left out of its
    environment (Agg would hide them). A failing cell raises nbclient's
    CellExecutionError, so a broken lesson is never published.
    """
    from nbclient import NotebookClient  # imported here: the plugin side never needs it

    nb = nbformat.read(notebook, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    client = NotebookClient(nb, timeout=timeout, kernel_manager_class=_this_python_kernel(),
                            resources={"metadata": {"path": str(notebook.parent)}},
                            store_widget_state=False)
    client.execute(env=env)  # passed on to the kernel manager's start_kernel
    return nb


def ensure_executed(log=print) -> dict[Path, object]:
    """An executed notebook for every lesson and solution: ``{notebook path: nb}``.

    Reuses fresh copies and executes the rest (writing them back). ``log`` gets one
    line per notebook saying which it was.
    """
    out_dir = executed_dir()
    digest = package_digest()
    result = {}
    for notebook in lesson_notebooks():
        key = fingerprint(notebook, digest=digest)
        rel = notebook.relative_to(NOTEBOOKS).as_posix()
        nb = fresh_copy(notebook, key, out_dir)
        if nb is not None:
            log(f"rnnlesson: {rel}: executed copy from {out_dir}")
        else:
            t0 = time.perf_counter()
            log(f"rnnlesson: {rel}: no current executed copy, executing it ...")
            nb = execute(notebook)
            write_copy(notebook, nb, key, out_dir)
            log(f"rnnlesson: {rel}: executed in {time.perf_counter() - t0:.0f} s")
        result[notebook] = nb
    return result
