"""The course website, built and opened in headless Chromium as a reader would.

The site is built with the exact command of the README,
``python -m sphinx -W -b html docs docs/_build/html``, then served on 127.0.0.1 and
every lesson and solution page is opened. These tests run after the notebooks
(tests/browser/conftest.py orders them last), so the build renders the notebooks that
nbval has just executed (tests/executed_notebooks.py) and executes none again; run
alone, the build executes the lessons first (a few minutes).

On every page: no console error or warning, no failed request, no request to another
host (all of them are blocked, so a CDN load would also fail), every image loaded,
the maths typeset by the site's own MathJax, and for a lesson, one picture per
figure or widget snapshot of the notebook, no empty widget area, and the launch
button for the lesson's notebook on Binder. Screenshots go to test-artifacts/site/.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from local_server import LocalServer

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # pragma: no cover - skipped by conftest.py then
    PlaywrightTimeout = TimeoutError

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "docs" / "_build" / "html"
BUILD = [sys.executable, "-m", "sphinx", "-W", "-b", "html", "docs", "docs/_build/html"]
BINDER = "https://mybinder.org/v2/gh/rnnlesson/rnnlesson/main?urlpath=lab/tree/notebooks/"
NOTEBOOKS = sorted(p.relative_to(ROOT / "notebooks").as_posix()
                   for p in (ROOT / "notebooks").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
MISSING = [m for m in ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx-mathjax-offline")
           if importlib.util.find_spec(m) is None]

# what a page without a kernel would show for a widget it cannot render
WIDGET_LEFTOVERS = ("script[type='application/vnd.jupyter.widget-view+json'], "
                    "script[type='application/vnd.jupyter.widget-state+json']")


@pytest.fixture(scope="session")
def site(artifacts):
    """Build the site (incrementally, when it was built before); yields its directory."""
    if MISSING:
        pytest.skip(f"the docs tools are not installed ({', '.join(MISSING)}): "
                    "pip install -r requirements-dev.txt")
    t0 = time.perf_counter()
    proc = subprocess.run(BUILD, cwd=ROOT, capture_output=True, text=True)
    (artifacts / "site-build.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        pytest.fail("the site does not build with -W:\n" + (proc.stdout + proc.stderr)[-6000:])
    executed = [line for line in proc.stdout.splitlines() if "executed in" in line]
    print(f"site built in {time.perf_counter() - t0:.0f} s; executed during the build: "
          f"{executed or 'none'}")
    return SITE


@pytest.fixture(scope="module")
def served(site):
    server = LocalServer(site)
    try:
        yield server.base_url
    finally:
        server.stop()


class PageRecord:
    """What happened while a page loaded: console messages, requests, failures."""

    def __init__(self, page):
        self.console, self.failed, self.external = [], [], []

        def route(r):  # the page may load from the loopback server or the disk, no more
            url = urlparse(r.request.url)
            if url.scheme in ("data", "blob", "file") or url.hostname == "127.0.0.1":
                r.continue_()
            else:
                self.external.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}")
                if r.url not in self.external else None)
        page.on("response", lambda r: self.failed.append(f"{r.url} HTTP {r.status}")
                if r.status >= 400 else None)


def _open(browser, url: str, shot: Path | None = None):
    """Open ``url``, wait for MathJax; return (page, record, facts about the page)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    record = PageRecord(page)
    page.goto(url, wait_until="load")
    n_math = page.locator(".math").count()
    typeset = True
    if n_math:
        try:
            # "attached": some maths sits in collapsed blocks, never visible
            page.wait_for_selector("mjx-container", state="attached", timeout=30000)
            page.wait_for_function("() => window.MathJax && MathJax.startup && "
                                   "MathJax.startup.promise", timeout=30000)
            page.evaluate("() => MathJax.startup.promise")
        except PlaywrightTimeout:
            typeset = False  # reported by _assert_clean, after what may explain it
    page.wait_for_load_state("networkidle")
    facts = {
        "math": n_math,
        "typeset": typeset,
        "mjx": page.locator("mjx-container").count(),
        "mjx_errors": page.locator("mjx-merror").count(),
        "images": page.evaluate("() => Array.from(document.images).map(i => "
                                "[i.getAttribute('src'), i.complete && i.naturalWidth > 0])"),
        "output_images": page.locator(".cell_output img").count(),
        "binder": page.locator("a[href*='mybinder.org']").evaluate_all(
            "els => els.map(e => e.href)"),
        "widget_leftovers": page.locator(WIDGET_LEFTOVERS).count(),
    }
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
    return page, record, facts


def _assert_clean(url, record, facts):
    assert record.console == [], f"{url}: console errors/warnings {record.console}"
    assert record.external == [], f"{url}: requests to another host {record.external}"
    assert record.failed == [], f"{url}: failed requests {record.failed}"
    broken = [src for src, ok in facts["images"] if not ok]
    assert broken == [], f"{url}: images that did not load {broken}"
    assert facts["typeset"], f"{url}: MathJax did not typeset the page within 30 s"
    assert facts["mjx_errors"] == 0, f"{url}: MathJax could not typeset some maths"
    assert facts["mjx"] >= facts["math"], \
        f"{url}: {facts['math']} maths elements, {facts['mjx']} typeset by MathJax"


def _page_notebook(rel: str) -> dict:
    """The notebook the site rendered for notebooks/<rel> (with its outputs)."""
    return json.loads((ROOT / "docs" / "notebooks" / rel).read_text(encoding="utf-8"))


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_lesson_page(rel, served, browser, artifacts):
    nb = _page_notebook(rel)
    url = served + "notebooks/" + rel.replace(".ipynb", ".html")
    page, record, facts = _open(browser, url,
                                artifacts / "site" / rel.replace("/", "_").replace(".ipynb",
                                                                                  ".png"))
    try:
        _assert_clean(url, record, facts)
        outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        pictures = sum("image/png" in o.get("data", {}) for o in outputs)
        assert facts["output_images"] == pictures, \
            f"{url}: {pictures} figures and widget snapshots, {facts['output_images']} shown"
        widgets = [o for o in outputs
                   if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert all("image/png" in o["data"] for o in widgets)
        assert facts["widget_leftovers"] == 0, f"{url}: an empty widget area"
        text = page.locator("main").inner_text()
        assert "children=(" not in text, f"{url}: a widget shown as its text repr"
        markdown = "".join("".join(c["source"]) for c in nb["cells"]
                           if c["cell_type"] == "markdown")
        if "$" in markdown:
            assert facts["math"] > 0, f"{url}: the lesson's maths is not on the page"
        assert BINDER + rel in facts["binder"], \
            f"{url}: no launch button for notebooks/{rel}: {facts['binder']}"
        # a lesson's title is its own: the solutions are told apart in the sidebar
        title = page.locator("h1").first.inner_text()
        assert ("solutions" in title.lower()) == rel.startswith("solutions/"), title
    finally:
        page.close()


def test_landing_page_maps_every_lesson(served, browser, artifacts):
    url = served + "index.html"
    page, record, facts = _open(browser, url, artifacts / "site" / "index.png")
    try:
        _assert_clean(url, record, facts)
        main = page.locator("main")
        text = main.inner_text()
        assert "pip install -r requirements.txt && jupyter lab notebooks/" in text
        assert "pip install -r requirements-dev.txt && python -m pytest" in text
        links = set(main.locator("a").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"))
        for rel in NOTEBOOKS:
            assert "notebooks/" + rel.replace(".ipynb", ".html") in links, rel
        if (ROOT / "TEACHING.md").exists():
            assert "teaching.html" in links, "TEACHING.md is not linked from the landing page"
        sidebar = page.locator(".bd-sidebar-primary").inner_text()
        titles = [line.strip() for line in sidebar.splitlines() if line.strip()]
        assert len(titles) == len(set(titles)), f"a title twice in the sidebar: {titles}"
    finally:
        page.close()


def test_every_other_page(site, served, browser):
    """The API reference, the teacher's guide and the index pages load cleanly too."""
    lessons = {"notebooks/" + rel.replace(".ipynb", ".html") for rel in NOTEBOOKS}
    others = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                    if not p.relative_to(site).as_posix().startswith(("_", "notebooks/"))
                    and p.relative_to(site).as_posix() not in lessons | {"index.html"})
    assert "api/layers.html" in others and "api/widgets.html" in others
    for rel in others:
        page, record, facts = _open(browser, served + rel)
        try:
            _assert_clean(rel, record, facts)
        finally:
            page.close()


def test_site_opens_as_plain_files(site, browser):
    """From docs/_build/html/ on disk, without a server: maths, images and fonts work."""
    rel = next(r for r in NOTEBOOKS if not r.startswith("solutions/") and r[:2] != "00")
    for url in [(site / "index.html").as_uri(),
                (site / "notebooks" / rel.replace(".ipynb", ".html")).as_uri()]:
        page, record, facts = _open(browser, url)
        try:
            _assert_clean(url, record, facts)
        finally:
            page.close()


def test_api_reference_documents_every_public_name(site):
    """One page per public module, each documenting every class and function it exports
    (constants without a docstring are left out by autodoc, as they should be)."""
    import rnnlesson

    modules = [m for m in rnnlesson.__all__ if not m.startswith("_")] + ["viz", "widgets"]
    for name in modules:
        html = site / "api" / f"{name}.html"
        assert html.exists(), f"no API page for rnnlesson.{name}"
        ids = set(re.findall(r'id="(rnnlesson\.[^"]+)"', html.read_text(encoding="utf-8")))
        module = importlib.import_module(f"rnnlesson.{name}")
        public = [n for n in module.__all__ if callable(getattr(module, n))]
        missing = [n for n in public if f"rnnlesson.{name}.{n}" not in ids]
        assert missing == [], f"api/{name}.html does not document {missing}"
