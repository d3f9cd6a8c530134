"""Sphinx configuration of the rnnlesson website.

Build (from the repository root; warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

The lessons are shown with their real outputs. Before Sphinx reads a page, every notebook
in notebooks/ gets an executed copy: the one the test run wrote (``python -m pytest``
keeps what nbval executed, see tests/executed_notebooks.py) when it was made from the
notebook and package as they are now, or else a fresh one, executed here with nbclient
(once; it is kept for the next build). So myst-nb never executes anything itself
(``nb_execution_mode = "off"``). _ext/executed.py and _ext/course_pages.py do this work.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # autodoc imports rnnlesson from this checkout
sys.path.insert(0, str(DOCS / "_ext"))

import course_pages  # noqa: E402
import executed  # noqa: E402

course_pages.prepare(executed.ensure_executed())

project = "rnnlesson"
author = "rnnlesson contributors"
copyright = "rnnlesson contributors"
release = "0.1.0"

extensions = [
    "myst_nb",                 # .ipynb and .md pages (loads myst_parser itself)
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",     # the package's Google-style docstrings
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3.2.2 copied into _static/mathjax: no CDN
    "sphinx.ext.githubpages",  # .nojekyll, for a Pages site served from a branch too
]
exclude_patterns = ["_build", "_executed", "_generated", "_ext", "**.ipynb_checkpoints",
                    "jupyter_execute"]

# ------------------------------------------------------------------ lessons (myst-nb)
nb_execution_mode = "off"  # executed above, once (see the module docstring)
nb_merge_streams = True
# No CDN: never load require.js or @jupyter-widgets/html-manager on widget pages.
nb_ipywidgets_js = {}
# A live widget cannot run on a static page: its view is skipped and the snapshot PNG
# that the package's widgets put in the same output is shown instead.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # [text](#a-heading) links inside a lesson work on its page

# ------------------------------------------------------------------ API reference
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # matplotlib gives every Figure subclass a generated set() whose docstring uses
    # matplotlib's private :mpltype: role: an error under -W (rnnlesson.viz.LessonFigure)
    "exclude-members": "set",
}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True

# ------------------------------------------------------------------ theme
html_theme = "sphinx_book_theme"
html_title = "rnnlesson"
html_show_copyright = False  # the footer says "By rnnlesson contributors" already
html_static_path = ["_static"]
html_css_files = ["rnnlesson.css"]
# An empty localStorage otherwise logs "Got invalid theme mode: . Resetting to auto." (a
# console error on a first visit); light also suits matplotlib's white figures.
html_context = {"default_mode": "light"}
html_theme_options = {
    "repository_url": course_pages.REPOSITORY,
    "repository_branch": course_pages.BRANCH,
    # docs/notebooks/ mirrors notebooks/, so a page's path is its notebook's path in the
    # repository: the Binder button opens notebooks/NN-slug.ipynb
    "path_to_docs": "",
    "use_repository_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
}


def _init_signature(app, what, name, obj, options, signature, return_annotation):
    """The widgets are ipywidgets (traitlets) classes, whose ``__new__(*args, **kwargs)``
    autodoc would show as their signature: show their ``__init__``'s arguments instead."""
    if what == "class" and signature == "(*args, **kwargs)" and "__init__" in vars(obj):
        sig = inspect.signature(obj.__init__)
        params = list(sig.parameters.values())[1:]  # without self
        return str(sig.replace(parameters=params,
                               return_annotation=inspect.Signature.empty)), return_annotation
    return None


def setup(app):
    app.connect("autodoc-process-signature", _init_signature)
