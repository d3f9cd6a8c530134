"""tools/course.py: one lesson source -> the learner's and the solutions notebook."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_tool", ROOT / "tools" / "course.py")
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)


def _cell(kind, source, grading=None, **meta):
    cell = {"cell_type": kind, "id": f"c{abs(hash(source)) % 10**8}",
            "metadata": dict(meta), "source": source}
    if grading is not None:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "locked": False, "task": False,
                                        **grading}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


SOLUTION = {"grade": False, "grade_id": "step", "solution": True}
TEST = {"grade": True, "grade_id": "step-test", "points": 2, "solution": False,
        "locked": True}
ANSWER = {"grade": True, "grade_id": "why", "points": 1, "solution": True}


def _lesson(cells):
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3",
            "display_name": "Python 3", "language": "python"}, "nbgrader": {"x": 1}},
            "nbformat": 4, "nbformat_minor": 5}


def _write(root, cells, name="01-demo"):
    d = root / "course" / "source" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.ipynb").write_text(json.dumps(_lesson(cells)))


GOOD = [
    _cell("markdown", "# Lesson 01 · Demo"),
    _cell("code", "def step(x):\n    # one line\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                  "    ### END SOLUTION", SOLUTION),
    _cell("code", "check_step(step, strict=True)\n### BEGIN HIDDEN TESTS\nassert step(3) == 6\n"
                  "### END HIDDEN TESTS", TEST),
    _cell("markdown", "Why twice?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", ANSWER),
]


def _sources(path):
    nb = json.loads(path.read_text())
    return nb, ["".join(c["source"]) for c in nb["cells"]]


def test_build_writes_learner_and_solutions(tmp_path, capsys):
    _write(tmp_path, GOOD)
    assert course.main(["--root", str(tmp_path), "build"]) == 0
    learner, ls = _sources(tmp_path / "notebooks" / "01-demo.ipynb")
    solution, ss = _sources(tmp_path / "notebooks" / "solutions" / "01-demo-solutions.ipynb")
    assert "generated from `course/source/01-demo/01-demo.ipynb`" in ls[0]
    assert "Edit the source" in ss[0]
    assert ls[2] == ("def step(x):\n    # one line\n    # YOUR CODE HERE\n"
                     "    raise NotImplementedError")
    assert ls[3] == "check_step(step)"                       # prints, never raises
    assert ls[4] == "Why twice?\n\n*Your answer here.*"
    assert ss[2] == "def step(x):\n    # one line\n    return 2 * x"
    assert ss[3] == "check_step(step, strict=True)\nassert step(3) == 6"
    assert ss[4] == "Why twice?\n\nBecause."
    for nb in (learner, solution):
        assert set(nb["metadata"]) == {"kernelspec"}
        for c in nb["cells"]:
            assert "nbgrader" not in c["metadata"]
            if c["cell_type"] == "code":
                assert c["outputs"] == [] and c["execution_count"] is None
                compile("".join(c["source"]), "cell", "exec")   # the stubs stay valid Python
    assert course.main(["--root", str(tmp_path), "check"]) == 0


def test_check_finds_edited_and_stray_notebooks(tmp_path, capsys):
    _write(tmp_path, GOOD)
    course.main(["--root", str(tmp_path), "build"])
    capsys.readouterr()
    learner = tmp_path / "notebooks" / "01-demo.ipynb"
    learner.write_text(learner.read_text().replace("one line", "two lines"))
    (tmp_path / "notebooks" / "99-stray.ipynb").write_text("{}")
    assert course.main(["--root", str(tmp_path), "check"]) == 1
    out = capsys.readouterr().out
    assert "out of date: notebooks/01-demo.ipynb" in out
    assert "not generated from any source: notebooks/99-stray.ipynb" in out
    (tmp_path / "notebooks" / "99-stray.ipynb").unlink()
    course.main(["--root", str(tmp_path), "build"])
    assert course.main(["--root", str(tmp_path), "check"]) == 0


def test_a_lesson_without_exercises_has_no_solutions_notebook(tmp_path):
    _write(tmp_path, [_cell("markdown", "# Lesson 00"), _cell("code", "x = 1")], "00-play")
    course.main(["--root", str(tmp_path), "build"])
    assert (tmp_path / "notebooks" / "00-play.ipynb").exists()
    assert not (tmp_path / "notebooks" / "solutions").exists()


@pytest.mark.parametrize("cells, message", [
    ([_cell("code", "### BEGIN SOLUTION\nx = 1", SOLUTION)], "never closed"),
    ([_cell("code", "x = 1\n### END SOLUTION", SOLUTION)], "without"),
    ([_cell("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION")], "needs nbgrader metadata"),
    ([_cell("code", "check(f, strict=True)", SOLUTION)], "graded test cells only"),
    ([_cell("code", "assert 1", {**TEST, "points": 0})], "points > 0"),
    ([_cell("code", "assert 1", TEST), _cell("code", "assert 2", TEST)], "its own grade_id"),
    ([_cell("code", "assert 1", TEST, rnnlesson={"difficulty": 4})], "1, 2 or 3"),
])
def test_bad_sources_are_refused_with_a_reason(tmp_path, capsys, cells, message):
    _write(tmp_path, cells)
    assert course.main(["--root", str(tmp_path), "build"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "notebooks").exists()   # nothing half-built


def test_sources_with_outputs_are_refused(tmp_path, capsys):
    cell = _cell("code", "print(1)")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    _write(tmp_path, [cell])
    assert course.main(["--root", str(tmp_path), "check"]) == 2
    assert "without outputs" in capsys.readouterr().err


def test_generated_cells_are_numbered_as_nbstripout_numbers_them(tmp_path):
    """Cell ids 0, 1, 2, ...: what `nbstripout` writes, so `nbstripout --verify` passes."""
    _write(tmp_path, GOOD)
    course.main(["--root", str(tmp_path), "build"])
    for path in (tmp_path / "notebooks").rglob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert [c["id"] for c in nb["cells"]] == [str(k) for k in range(len(nb["cells"]))]


def test_list_shows_points_and_difficulty(tmp_path, capsys):
    cells = [GOOD[1], _cell("code", GOOD[2]["source"], TEST, rnnlesson={"difficulty": 3})]
    _write(tmp_path, cells)
    assert course.main(["--root", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "01-demo: 1 graded cells, 2 points" in out and "step-test: 2 points, difficulty 3" in out


def test_the_course_sources_of_this_repository_build_what_is_committed(capsys):
    """`check` on the real course: notebooks/ is what course/source/ generates."""
    assert course.main(["check"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("lesson", [name for name in course.lessons(ROOT)
                                    if course.validate(course.read_source(ROOT, name), name)])
def test_every_lesson_asks_mostly_for_derivations_and_designs(lesson):
    """At least three graded exercises, each with points and a difficulty (1-3, also shown
    as stars in its text), and at least two thirds of them derivations or designs rather
    than warm-ups that repeat what the lesson prints."""
    nb = course.read_source(ROOT, lesson)
    exercises = course.validate(nb, lesson)
    assert len(exercises) >= 3, exercises
    for exercise in exercises:
        assert exercise["points"] > 0 and exercise.get("difficulty") in (1, 2, 3), exercise
        assert exercise.get("kind") in course.KINDS, exercise
    asking = sum(e["kind"] in ("derivation", "design") for e in exercises)
    assert 3 * asking >= 2 * len(exercises), exercises
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for exercise in exercises:
        stars = "\u2605" * exercise["difficulty"] + "\u2606" * (3 - exercise["difficulty"])
        assert f"{stars} ({exercise['kind']}" in text, (exercise, stars)
