"""Build the learner and solution notebooks from the one source of each lesson.

Each lesson has one source, ``course/source/NN-slug/NN-slug.ipynb``: the full lesson with
its solutions marked the way nbgrader marks them. From it this script writes

* ``notebooks/NN-slug.ipynb``, the learner's notebook: every solution region becomes a
  stub that raises ``NotImplementedError``, hidden tests are left out, and graded checks
  print their verdict instead of raising (``strict=True`` is dropped), so "Run All"
  never stops at an exercise the learner has not done yet;
* ``notebooks/solutions/NN-slug-solutions.ipynb``, the same lesson with the solutions
  written out and every check strict (it is run by the tests, so a wrong solution fails).

The same source is an nbgrader assignment: ``nbgrader generate_assignment`` (run in
``course/``) makes the release for a class and ``nbgrader autograde`` scores what comes
back (TEACHING.md has the commands).

Markers, as nbgrader reads them (``#`` comment lines in code, lines of their own in
Markdown)::

    ### BEGIN SOLUTION        ...   ### END SOLUTION
    ### BEGIN HIDDEN TESTS    ...   ### END HIDDEN TESTS

Usage::

    python tools/course.py build     # write notebooks/ from course/source/
    python tools/course.py check     # exit 1 if notebooks/ differ from what build writes
    python tools/course.py list      # the exercises of every lesson, with points and difficulty

Nobody edits the generated notebooks by hand; their first cell says so.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError"]
TEXT_STUB = "*Your answer here.*"
STRICT = re.compile(r",\s*strict=True")
NAME = re.compile(r"^\d\d-[a-z0-9-]+$")
#: what an exercise asks for (cell metadata "rnnlesson": {"kind": ...}): a warm-up repeats
#: what the lesson shows; a derivation or a design asks for something it has not printed
KINDS = ("warm-up", "derivation", "design")


class SourceError(ValueError):
    """A lesson source that breaks the rules above (unbalanced markers, a stray strict...)."""


def _lines(cell) -> list[str]:
    src = cell["source"]
    return (src if isinstance(src, str) else "".join(src)).split("\n")


def _join(lines: list[str]) -> list[str]:
    """Source lines in the form Jupyter writes them: each but the last ends with a newline."""
    text = "\n".join(lines)
    parts = text.splitlines(keepends=True)
    return parts


def _regions(lines, begin, end, where):
    """(start, stop) line indices of each begin...end region; raise on unbalanced markers."""
    found, start = [], None
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == begin:
            if start is not None:
                raise SourceError(f"{where}: '{begin}' inside another region (line {i + 1})")
            start = i
        elif marker == end:
            if start is None:
                raise SourceError(f"{where}: '{end}' without '{begin}' (line {i + 1})")
            found.append((start, i))
            start = None
    if start is not None:
        raise SourceError(f"{where}: '{begin}' at line {start + 1} is never closed")
    return found


def _replace_regions(lines, begin, end, where, replace):
    """Lines with every region replaced by ``replace(region_lines, indent)`` (a list)."""
    out, last = [], 0
    for start, stop in _regions(lines, begin, end, where):
        out.extend(lines[last:start])
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        out.extend(replace(lines[start + 1:stop], indent))
        last = stop + 1
    out.extend(lines[last:])
    return out


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _clean_metadata(cell) -> None:
    """Generated notebooks carry no grading metadata and no outputs."""
    meta = cell.get("metadata", {})
    for key in ("nbgrader", "rnnlesson", "editable", "deletable"):
        meta.pop(key, None)
    cell["metadata"] = meta
    if cell["cell_type"] == "code":
        cell["outputs"] = []
        cell["execution_count"] = None


def _note(lesson: str, kind: str) -> dict:
    text = (f"*This {kind} is generated from `course/source/{lesson}/{lesson}.ipynb` by "
            "`python tools/course.py build`. Edit the source, not this file.*")
    return {"cell_type": "markdown", "id": "0", "metadata": {},
            "source": _join([text])}


def _transform(nb: dict, lesson: str, learner: bool) -> dict:
    out = copy.deepcopy(nb)
    cells = []
    for index, cell in enumerate(out["cells"]):
        where = f"{lesson} cell {index}"
        lines = _lines(cell)
        grading = _nbgrader(cell)
        code = cell["cell_type"] == "code"
        if learner:
            if code:
                lines = _replace_regions(lines, BEGIN_SOLUTION, END_SOLUTION, where,
                                         lambda body, ind: [ind + s for s in CODE_STUB])
            else:
                lines = _replace_regions(lines, BEGIN_SOLUTION, END_SOLUTION, where,
                                         lambda body, ind: [ind + TEXT_STUB])
            lines = _replace_regions(lines, BEGIN_HIDDEN, END_HIDDEN, where,
                                     lambda body, ind: [])
            if grading.get("grade") and not grading.get("solution"):
                lines = [STRICT.sub("", line) for line in lines]
        else:
            for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
                lines = _replace_regions(lines, begin, end, where, lambda body, ind: body)
        cell["source"] = _join(lines)
        _clean_metadata(cell)
        cells.append(cell)
    kind = "learner's notebook" if learner else "solutions notebook"
    out["cells"] = [_note(lesson, kind)] + cells
    for number, cell in enumerate(out["cells"]):
        cell["id"] = str(number)   # as nbstripout numbers them, so --verify passes
    out["metadata"] = {k: v for k, v in out.get("metadata", {}).items()
                       if k in ("kernelspec", "language_info")}
    return out


def validate(nb: dict, lesson: str) -> list[dict]:
    """Check a source's markers and grading metadata; return its exercises (graded cells)."""
    ids, exercises = set(), []
    for index, cell in enumerate(nb["cells"]):
        where = f"{lesson} cell {index}"
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
            raise SourceError(f"{where}: sources are stored without outputs (nbstripout)")
        lines = _lines(cell)
        has_solution = bool(_regions(lines, BEGIN_SOLUTION, END_SOLUTION, where))
        has_hidden = bool(_regions(lines, BEGIN_HIDDEN, END_HIDDEN, where))
        grading = _nbgrader(cell)
        if (has_solution or has_hidden) and not grading:
            raise SourceError(f"{where}: a solution or hidden-test region needs nbgrader "
                              "metadata (solution or grade cell)")
        if has_solution and not grading.get("solution"):
            raise SourceError(f"{where}: solution regions belong in solution cells")
        if grading:
            gid = grading.get("grade_id")
            if not gid or gid in ids:
                raise SourceError(f"{where}: every graded cell needs its own grade_id; got {gid!r}")
            ids.add(gid)
            if grading.get("grade"):
                points = grading.get("points")
                if not isinstance(points, (int, float)) or points <= 0:
                    raise SourceError(f"{where}: graded cell {gid!r} needs points > 0")
                difficulty = cell.get("metadata", {}).get("rnnlesson", {}).get("difficulty", 2)
                if difficulty not in (1, 2, 3):
                    raise SourceError(f"{where}: difficulty of {gid!r} is 1, 2 or 3; got "
                                      f"{difficulty!r}")
                kind = cell.get("metadata", {}).get("rnnlesson", {}).get("kind", "derivation")
                if kind not in KINDS:
                    raise SourceError(f"{where}: kind of {gid!r} is one of {', '.join(KINDS)}; "
                                      f"got {kind!r}")
                exercises.append({"grade_id": gid, "points": points,
                                  **cell.get("metadata", {}).get("rnnlesson", {})})
            elif any(STRICT.search(line) for line in lines):
                raise SourceError(f"{where}: strict=True belongs in graded test cells only")
    return exercises


def _source(root: Path) -> Path:
    return root / "course" / "source"


def lessons(root: Path) -> list[str]:
    source = _source(root)
    if not source.is_dir():
        raise SourceError(f"no lesson sources: {source} does not exist")
    found = sorted(p.name for p in source.iterdir() if p.is_dir() and NAME.match(p.name))
    for name in found:
        if not (source / name / f"{name}.ipynb").is_file():
            raise SourceError(f"course/source/{name}/ has no {name}.ipynb")
    return found


def read_source(root: Path, lesson: str) -> dict:
    path = _source(root) / lesson / f"{lesson}.ipynb"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path.relative_to(root)} is not valid notebook JSON: {exc}") from exc


def render(root: Path, lesson: str) -> dict[Path, str]:
    """The generated files of one lesson: path -> text."""
    nb = read_source(root, lesson)
    exercises = validate(nb, lesson)
    notebooks = root / "notebooks"
    files = {notebooks / f"{lesson}.ipynb": _dump(_transform(nb, lesson, learner=True))}
    if exercises:
        files[notebooks / "solutions" / f"{lesson}-solutions.ipynb"] = _dump(
            _transform(nb, lesson, learner=False))
    return files


def _dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def expected_files(root: Path) -> dict[Path, str]:
    files = {}
    for lesson in lessons(root):
        files.update(render(root, lesson))
    return files


def cmd_build(root: Path) -> int:
    files = expected_files(root)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # never a half-written notebook
            print(f"wrote {path.relative_to(root)}")
    print(f"{len(files)} notebooks up to date with course/source/")
    return 0


def cmd_check(root: Path) -> int:
    files = expected_files(root)
    stale = [p for p, text in files.items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    generated = {p.resolve() for p in files}
    notebooks = root / "notebooks"
    strays = [p for p in sorted(notebooks.glob("*.ipynb")) + sorted(
        (notebooks / "solutions").glob("*.ipynb")) if p.resolve() not in generated]
    for p in stale:
        print(f"out of date: {p.relative_to(root)}")
    for p in strays:
        print(f"not generated from any source: {p.relative_to(root)}")
    if stale or strays:
        print("Run `python tools/course.py build` and commit the result; edit course/source/, "
              "never the generated notebooks.")
        return 1
    print(f"{len(files)} notebooks match course/source/")
    return 0


def cmd_list(root: Path) -> int:
    for lesson in lessons(root):
        exercises = validate(read_source(root, lesson), lesson)
        total = sum(e["points"] for e in exercises)
        print(f"{lesson}: {len(exercises)} graded cells, {total:g} points")
        for e in exercises:
            extra = "".join(f", {k} {v}" for k, v in e.items() if k not in ("grade_id", "points"))
            print(f"  {e['grade_id']}: {e['points']:g} points{extra}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the repository (default: the one this script is in)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write notebooks/ from course/source/")
    sub.add_parser("check", help="exit 1 if notebooks/ are out of step with course/source/")
    sub.add_parser("list", help="list every lesson's graded exercises")
    args = parser.parse_args(argv)
    try:
        command = {"build": cmd_build, "check": cmd_check, "list": cmd_list}[args.command]
        return command(args.root.resolve())
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
