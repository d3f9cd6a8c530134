"""Keep the notebooks that nbval executes, for the website (a pytest plugin).

nbval runs every lesson and solution cell by cell and keeps each cell's outputs on its
test item, but writes nothing. This plugin puts those outputs back into the cells and,
as soon as the last code cell of a notebook has passed, and every one before it ran
and passed, writes the notebook to the executed-copies directory (``docs/_executed/``,
or $RNNLESSON_EXECUTED_DIR), stamped with the fingerprint of the notebook and package
it ran from. The docs build (``docs/_ext/executed.py``) renders those copies instead of
running the lessons again.

A notebook with a failing or skipped cell is not written and its old copy is removed;
one with deselected cells is not written. So the site never shows outputs that this
code did not produce.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
import executed  # noqa: E402  (docs/_ext/executed.py: shared with the docs build)


class ExecutedNotebooks:
    """Collects nbval's outputs per notebook; writes each notebook that ran completely."""

    def __init__(self):
        self.files = {}  # IPyNbFile -> {"passed": cells passed so far, "ok": none failed}
        self.digest = executed.package_digest()  # the package as this session runs it

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        """Start nbval's kernels without MPLBACKEND (conftest.py sets Agg for the unit
        tests): under Agg a notebook's pyplot figures would not be shown at all, and
        ``plt.show()`` would warn. The kernel draws inline, as in Jupyter."""
        if not hasattr(item, "test_outputs"):
            yield
            return
        saved = os.environ.pop("MPLBACKEND", None)
        try:
            yield
        finally:
            if saved is not None:
                os.environ["MPLBACKEND"] = saved

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        nbfile = item.parent
        if not hasattr(item, "test_outputs") or not hasattr(nbfile, "nb"):
            return  # not an nbval cell
        path = Path(str(nbfile.path)).resolve()
        if not path.is_relative_to(executed.NOTEBOOKS):
            return
        report = outcome.get_result()
        state = self.files.setdefault(nbfile, {"passed": 0, "ok": True})
        if report.skipped or report.failed:
            if state["ok"]:  # this run did not execute the whole notebook: no copy of it
                executed.copy_path(path).unlink(missing_ok=True)
            state["ok"] = False
        elif call.when == "call" and report.passed:
            state["passed"] += 1
            item.cell.outputs = list(item.test_outputs or [])
            # nbval runs without history, so the counts are numbered here, in run order
            item.cell.execution_count = state["passed"]
            for out in item.cell.outputs:
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = state["passed"]
            n_code = sum(c.cell_type == "code" for c in nbfile.nb.cells)
            if state["ok"] and state["passed"] == n_code:
                # written at once, not at the end of the session: the website test, which
                # runs after the notebooks, builds the site from these copies
                key = executed.fingerprint(path, nb=nbfile.nb, digest=self.digest)
                executed.write_copy(path, nbfile.nb, key)
