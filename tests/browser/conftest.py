"""Fixtures for the browser tests: a private JupyterLab server and Debian's Chromium.

Everything is skipped where Chromium (``chromium`` on PATH) or the Python
``playwright`` package is missing. The server (``labserver.py``, shared with
benchmarks/bench_widgets.py) runs on 127.0.0.1 on a free port, with its Jupyter
config, settings, workspaces and runtime directories in a temporary folder (so
nothing from the user's own Jupyter leaks in), the news toast turned off, and is
stopped by its PID at the end.

Screenshots go to ``test-artifacts/`` at the repository root (gitignored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from labserver import CHROMIUM_ARGS, start_lab, stop_lab

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = None
    if CHROMIUM is None:
        reason = "Chromium is not installed (apt-get install chromium)"
    elif sync_playwright is None:
        reason = "the playwright Python package is not installed"
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
    # The website's tests go last, after the notebooks: the site is built from the
    # notebooks as nbval has just executed them, so nothing is executed twice.
    site = [item for item in items if Path(str(item.fspath)).name == "test_site.py"
            and Path(str(item.fspath)).is_relative_to(here)]
    if site:
        items[:] = [item for item in items if item not in site] + site


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


#: the folder each running server serves, by its URL (see the lab_dir fixture)
_SERVED: dict[str, Path] = {}


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory):
    """A JupyterLab server serving a copy of notebooks/; yields its base URL."""
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "work"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    try:
        proc, log, url = start_lab(tmp, work)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    _SERVED[url] = work
    try:
        yield url
    finally:
        stop_lab(proc, log)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(tmp / "lab.log", ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="session")
def lab_dir(jupyter_lab) -> Path:
    """The folder the server serves: a test may write its own notebook there."""
    return _SERVED[jupyter_lab]


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download needed).

    Module-scoped on purpose: Playwright's sync API keeps an asyncio loop marked as
    running in the main thread while it is open, and the widget tests that run later
    in the same session start their own loops with ``asyncio.run``.
    """
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
