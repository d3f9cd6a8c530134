"""The generated parts of the website: lesson pages, lesson map, sidebar, teacher's guide.

``docs/conf.py`` calls :func:`prepare` before Sphinx reads anything. It writes, all
git-ignored:

* ``docs/notebooks/**.ipynb``: each lesson and solution as a page, from its executed
  copy (``executed.py``), at the same relative path as in the repository (so the
  theme's Binder button opens ``notebooks/NN-slug.ipynb``), changed only in what a
  static page needs (:func:`page`);
* ``docs/_generated/lessons.md``: the lesson map of the landing page, with every
  lesson that exists now and the planned ones still to come, and the sidebar's
  toctrees (lessons, solutions, the teacher's guide when there is one);
* ``docs/teaching.md``: TEACHING.md from the repository root, when it exists.

A file is rewritten only when its text changes, so an incremental build reads only
the pages that did.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
REPOSITORY = "https://github.com/rnnlesson/rnnlesson"
BRANCH = "main"

#: One line per lesson for the landing page's map, planned lessons included: a lesson
#: is linked once its notebook exists in notebooks/.
LESSON_LINES = {
    "00": "Play first: train an RNN, an LSTM or a GRU live, change the learning rate and "
          "hidden size while it learns, watch an LSTM's gates.",
    "01": "Why sequences need memory; the recurrence, its shapes and parameters; one-hot "
          "words; the forward pass by hand.",
    "02": "Deriving and coding the gradients, checking them numerically, vanishing and "
          "exploding gradients, clipping.",
    "03": "Keras-style models: `Sequential`, `Embedding`, `summary()` and every parameter "
          "count, `fit` with validation and early stopping.",
    "04": "The LSTM's gates one at a time, its backward pass, why the cell state keeps "
          "gradients alive; the adding problem; the GRU.",
    "05": "Predicting a sine wave from windows of past values: one step ahead against many, "
          "and why errors compound.",
    "06": "A loss at every step, perplexity, sampling text, and an LSTM language model "
          "trained live.",
    "07": "Images read row by row, tagging, bidirectional layers, masking, deep RNNs, and "
          "the bridge to Keras and PyTorch.",
    "08": "Addition and date formats learnt from characters by an encoder–decoder, with "
          "attention maps you can read.",
}
#: the planned titles, shown until a lesson's notebook exists
PLANNED_TITLES = {"06": "Language models", "07": "Sequence tasks",
                  "08": "Encoder–decoder and attention"}

#: the first cell of a generated notebook (tools/course.py); nbstripout renumbers cell
#: ids, so the note is known by its text
_GENERATED_NOTE = re.compile(r"\*This .{0,40} is generated from `course/source/")
_H1 = re.compile(r"^#\s+(.+?)\s*$", re.M)
_LESSON_H1 = re.compile(r"^(?:Lesson\s+)?(\d\d)\s*[·:.–-]\s*(.+)$")
#: loaders that download their data: what they print depends on the network and cache
_DOWNLOAD_CALL = re.compile(r"\b(?:imdb|imdb_word_index|mnist|ptb)\s*\(")
_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# ---------------------------------------------------------------- helpers
def _write(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds it; True when written."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def _note(text: str) -> dict:
    """An output that the site adds to a cell: a short note, styled apart (rnnlesson.css)."""
    return nbformat.v4.new_output(
        "display_data", data={"text/html": f'<p class="rnnlesson-note">{text}</p>',
                              "text/plain": text})


LAUNCH = "the rocket button at the top of this page"


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _H1.search(cell.source)
            if m:
                return m.group(1)
    raise ValueError("a lesson notebook needs a '# title' in a Markdown cell")


def _short_title(title: str) -> str:
    """'Lesson 01 · The vanilla RNN: ...' -> 'The vanilla RNN: ...'."""
    m = _LESSON_H1.match(title)
    return m.group(2) if m else title


def github_url(repo_path: str) -> str:
    """The address of a file or folder of the repository on GitHub."""
    kind = "tree" if (ROOT / repo_path).is_dir() else "blob"
    return f"{REPOSITORY}/{kind}/{BRANCH}/{repo_path}"


def fix_links(text: str, where: str, pages: set[str]) -> str:
    """Point relative Markdown links at what the site has.

    ``where`` is the repository path of the file the text comes from; ``pages`` the
    repository paths that are pages of the site, at the same relative place (the
    lessons, TEACHING.md). A link to one of them stays as it is; a link to any other
    file of the repository (a script, a data folder) goes to GitHub, since the site
    does not hold it.
    """
    base = Path(where).parent

    def repl(m):
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return m.group(0)  # an address, an anchor, or a path on the site itself
        path, _, anchor = target.partition("#")
        resolved = (ROOT / base / path).resolve()
        try:
            rel = resolved.relative_to(ROOT).as_posix()
        except ValueError:
            return m.group(0)
        if rel in pages:
            return m.group(0)
        url = github_url(rel) + (f"#{anchor}" if anchor else "")
        return f"{m.group(1)}{url}{m.group(3)}"

    return _LINK.sub(repl, text)


# ---------------------------------------------------------------- one page
def page(nb, rel: str, pages: set[str]):
    """The executed notebook ``nb`` (``notebooks/<rel>``) as the site shows it.

    * The "generated from course/source, edit the source" note is left out: a
      reader of the site edits nothing.
    * A solutions notebook gets its own title ("Lesson 01 solutions · ..."), so that
      the sidebar does not list the lesson's title twice.
    * A cell that downloads a data set shows its code but not its output, which
      depends on the machine's network and cache (a download log, or a message that
      the file is not there), with a note that says so.
    * A widget output without a picture of its own (a widget built in the lesson
      itself) shows a note instead of an empty area or the widget's text repr; the
      package's widgets carry a snapshot PNG, which the page shows, with a note under
      it that says how to use the widget live.
    * Relative links to files that are not pages of the site go to GitHub.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.cells = [c for c in nb.cells
                if not (c.cell_type == "markdown" and _GENERATED_NOTE.match(c.source))]
    solutions = rel.startswith("solutions/")
    titled = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if solutions and not titled:
                m = _H1.search(cell.source)
                if m:
                    t = m.group(1)
                    lm = _LESSON_H1.match(t)
                    new = (f"Lesson {lm.group(1)} solutions · {lm.group(2)}" if lm
                           else f"Solutions · {t}")
                    cell.source = cell.source[:m.start(1)] + new + cell.source[m.end(1):]
                    titled = True
            cell.source = fix_links(cell.source, f"notebooks/{rel}", pages)
        elif cell.cell_type == "code":
            if _DOWNLOAD_CALL.search(cell.source) and cell.outputs:
                cell.outputs = [_note(
                    "The output is not shown on this page: this cell downloads a data set, "
                    "and what it prints depends on the network and on what the machine has "
                    "cached. Run the notebook to see it.")]
                continue
            outputs = []
            for out in cell.outputs:
                data = out.get("data", {})
                if WIDGET_VIEW not in data:
                    outputs.append(out)
                elif "image/png" in data:
                    outputs += [out, _note(
                        "A picture of the widget as this cell left it. To use it live, "
                        f"open the lesson on Binder: {LAUNCH}.")]
                else:
                    outputs.append(_note(
                        "An interactive widget shows here when the notebook runs: open the "
                        f"lesson on Binder with {LAUNCH}."))
            cell.outputs = outputs
    return nb


# ---------------------------------------------------------------- the site
def _lesson_rows(executed: dict[Path, object]) -> list[dict]:
    lessons = {}
    for path, nb in executed.items():
        rel = path.relative_to(ROOT / "notebooks").as_posix()
        number = path.name[:2]
        if not number.isdigit():
            continue
        entry = lessons.setdefault(number, {"number": number})
        doc = "notebooks/" + rel[: -len(".ipynb")]
        if rel.startswith("solutions/"):
            entry["solutions"] = doc
        else:
            entry["doc"] = doc
            entry["title"] = _short_title(_title(nb))
    for number, title in PLANNED_TITLES.items():
        lessons.setdefault(number, {"number": number, "title": title})
    return [lessons[n] for n in sorted(lessons)]


def lessons_markdown(rows: list[dict], teaching: bool) -> str:
    """The landing page's lesson map and the sidebar's (hidden) toctrees."""
    out = ["| # | lesson | what you learn | solutions |", "|---|---|---|---|"]
    for r in rows:
        line = LESSON_LINES.get(r["number"], "")
        if "doc" in r:
            title = f"[{r['title']}]({r['doc']}.ipynb)"
        else:
            title = f"{r['title']} *(in preparation)*"
        sol = f"[solutions]({r['solutions']}.ipynb)" if "solutions" in r else ""
        out.append(f"| {r['number']} | {title} | {line} | {sol} |")
    out.append("")
    if teaching:
        out += ["Teaching a class with the course? The [teacher's guide](teaching.md) says "
                "how to hand out the lessons and grade the exercises.", ""]

    def toctree(caption, docs):
        return ["```{toctree}", ":hidden:", f":caption: {caption}", ":maxdepth: 1", "",
                *docs, "```", ""]

    out += toctree("Lessons", [r["doc"] for r in rows if "doc" in r])
    solutions = [r["solutions"] for r in rows if "solutions" in r]
    if solutions:
        out += toctree("Solutions", solutions)
    if teaching:
        out += toctree("For teachers", ["teaching"])
    return "\n".join(out)


def prepare(executed: dict[Path, object], log=print) -> None:
    """Write the generated pages (see the module docstring) from the executed notebooks."""
    notebooks_src = ROOT / "notebooks"
    teaching_src = ROOT / "TEACHING.md"
    pages = {p.relative_to(ROOT).as_posix() for p in executed}
    if teaching_src.exists():
        pages.add("TEACHING.md")
    wanted = set()
    for path, nb in executed.items():
        rel = path.relative_to(notebooks_src).as_posix()
        dst = DOCS / "notebooks" / rel
        wanted.add(dst)
        text = nbformat.writes(page(nb, rel, pages)) + "\n"
        if _write(dst, text):
            log(f"rnnlesson: page notebooks/{rel} updated")
    for old in sorted((DOCS / "notebooks").rglob("*.ipynb")) if (DOCS / "notebooks").exists() \
            else []:
        if old not in wanted:  # its notebook is gone
            old.unlink()
    teaching_dst = DOCS / "teaching.md"
    if teaching_src.exists():
        text = teaching_src.read_text(encoding="utf-8")
        _write(teaching_dst, fix_links(text, "TEACHING.md", pages))
    elif teaching_dst.exists():
        teaching_dst.unlink()
    _write(DOCS / "_generated" / "lessons.md",
           lessons_markdown(_lesson_rows(executed), teaching_src.exists()))

