"""The website's page preparation (docs/_ext), without building the site.

``executed.py`` decides whether an executed copy of a lesson is current;
``course_pages.py`` turns an executed notebook into the page the site shows and writes
the lesson map. The browser test (tests/browser/test_site.py) checks the built site.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
import course_pages  # noqa: E402
import executed  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "course_tool", Path(__file__).resolve().parents[1] / "tools" / "course.py")
course_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_tool)

WIDGET = "application/vnd.jupyter.widget-view+json"


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _out(data):
    return nbformat.v4.new_output("display_data", data=data)


def test_fingerprint_follows_sources_and_package_not_outputs():
    code = nbformat.v4.new_code_cell("print(1)")
    nb = _nb(nbformat.v4.new_markdown_cell("# T"), code)
    key = executed.fingerprint(Path("x.ipynb"), nb=nb, digest="pkg")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    code.execution_count = 1
    assert executed.fingerprint(Path("x.ipynb"), nb=nb, digest="pkg") == key
    assert executed.fingerprint(Path("x.ipynb"), nb=nb, digest="other") != key
    code.source = "print(2)"
    assert executed.fingerprint(Path("x.ipynb"), nb=nb, digest="pkg") != key


def test_a_copy_is_used_only_for_its_own_fingerprint(tmp_path):
    notebook = executed.NOTEBOOKS / "99-example.ipynb"  # never written: only its path
    nb = _nb(nbformat.v4.new_code_cell("1"))
    nb.metadata["widgets"] = {"state": "large"}
    dst = executed.write_copy(notebook, nb, "key-1", out_dir=tmp_path)
    assert dst == tmp_path / "99-example.ipynb"
    copy = executed.fresh_copy(notebook, "key-1", out_dir=tmp_path)
    assert copy is not None and "widgets" not in copy.metadata
    assert executed.fresh_copy(notebook, "key-2", out_dir=tmp_path) is None
    dst.write_text("{ not json")
    assert executed.fresh_copy(notebook, "key-1", out_dir=tmp_path) is None


def test_package_digest_sees_code_and_data_but_not_bytecode(tmp_path, monkeypatch):
    monkeypatch.setattr(executed, "PACKAGE", tmp_path)
    (tmp_path / "_data").mkdir()
    (tmp_path / "layers.py").write_text("x = 1\n")
    (tmp_path / "_data" / "words.txt").write_text("a b\n")
    digest = executed.package_digest()
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\0")
    assert executed.package_digest() == digest
    (tmp_path / "_data" / "words.txt").write_text("a c\n")
    assert executed.package_digest() != digest
    (tmp_path / "_data" / "words.txt").write_text("a b\n")
    (tmp_path / "layers.py").write_text("x = 2\n")
    assert executed.package_digest() != digest


PAGES = {"notebooks/01-demo.ipynb", "notebooks/solutions/01-demo-solutions.ipynb"}


def test_solutions_get_their_own_title_and_the_generated_note_goes():
    # the note exactly as tools/course.py writes it, with the id nbstripout gives it
    raw = course_tool._note("01-demo", "solutions notebook")
    note = nbformat.v4.new_markdown_cell("".join(raw["source"]))
    note["id"] = raw["id"]
    nb = _nb(note, nbformat.v4.new_markdown_cell("# Lesson 01 · The demo\n\ntext"),
             nbformat.v4.new_markdown_cell("# Lesson 01 · again"))
    page = course_pages.page(nb, "solutions/01-demo-solutions.ipynb", PAGES)
    assert [c.source for c in page.cells] == ["# Lesson 01 solutions · The demo\n\ntext",
                                             "# Lesson 01 · again"]
    lesson = course_pages.page(nb, "01-demo.ipynb", PAGES)
    assert lesson.cells[0].source.startswith("# Lesson 01 · The demo")
    assert len(nb.cells) == 3  # the executed notebook itself is left as it was


def test_download_cells_lose_their_output_and_say_so():
    cell = nbformat.v4.new_code_cell("x = datasets.imdb(num_words=10)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="Downloading...")]
    quiet = nbformat.v4.new_code_cell("datasets.imdb_note = 1")  # no call: untouched
    quiet.outputs = [nbformat.v4.new_output("stream", name="stdout", text="kept")]
    page = course_pages.page(_nb(cell, quiet), "01-demo.ipynb", PAGES)
    (only,) = page.cells[0].outputs
    assert "downloads a data set" in only["data"]["text/plain"]
    assert page.cells[1].outputs[0]["text"] == "kept"


def test_widgets_show_their_snapshot_or_a_note_never_a_repr():
    snap = nbformat.v4.new_code_cell("dash")
    snap.outputs = [_out({WIDGET: {"model_id": "a"}, "image/png": "iVBOR",
                          "text/plain": "TrainingDashboard(...)"})]
    bare = nbformat.v4.new_code_cell("box")
    bare.outputs = [_out({WIDGET: {"model_id": "b"}, "text/plain": "VBox(children=(...))"})]
    page = course_pages.page(_nb(snap, bare), "01-demo.ipynb", PAGES)
    kept, caption = page.cells[0].outputs
    assert kept["data"]["image/png"] == "iVBOR"
    assert "picture of the widget" in caption["data"]["text/plain"]
    (note,) = page.cells[1].outputs
    assert WIDGET not in note["data"] and "children=" not in str(note)
    assert "interactive widget" in note["data"]["text/html"]


@pytest.mark.parametrize("link, want", [
    ("[lesson 02](02-bptt.ipynb)", "[lesson 02](02-bptt.ipynb)"),
    ("[same page](#a-heading)", "[same page](#a-heading)"),
    ("[web](https://example.org/x.md)", "[web](https://example.org/x.md)"),
    ("[data](../data/README.md)",
     "[data](https://github.com/rnnlesson/rnnlesson/blob/main/data/README.md)"),
    ("[tests](../tests/)", "[tests](https://github.com/rnnlesson/rnnlesson/tree/main/tests)"),
    ("[tool](../tools/course.py#L5)",
     "[tool](https://github.com/rnnlesson/rnnlesson/blob/main/tools/course.py#L5)"),
])
def test_links_to_files_the_site_does_not_have_go_to_github(link, want):
    pages = {"notebooks/02-bptt.ipynb"}
    assert course_pages.fix_links(f"See {link}.", "notebooks/01-demo.ipynb", pages) \
        == f"See {want}."


def test_lesson_map_links_what_exists_and_lists_what_is_planned():
    rows = [{"number": "00", "title": "Play", "doc": "notebooks/00-play"},
            {"number": "01", "title": "One", "doc": "notebooks/01-one",
             "solutions": "notebooks/solutions/01-one-solutions"},
            {"number": "07", "title": "Sequence tasks"}]
    text = course_pages.lessons_markdown(rows, teaching=False)
    assert "| 00 | [Play](notebooks/00-play.ipynb) |" in text
    assert "[solutions](notebooks/solutions/01-one-solutions.ipynb)" in text
    assert "| 07 | Sequence tasks *(in preparation)* |" in text
    toctrees = text[text.index("```{toctree}"):]
    assert "notebooks/00-play\n" in toctrees and "notebooks/01-one\n" in toctrees
    assert "07" not in toctrees and "teaching" not in toctrees
    with_guide = course_pages.lessons_markdown(rows, teaching=True)
    assert "(teaching.md)" in with_guide and ":caption: For teachers" in with_guide
