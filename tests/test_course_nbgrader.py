"""The course as an nbgrader course: release, collect and autograde, on a copy of course/.

For every lesson with graded cells, in a temporary copy of the course directory, this
runs the commands TEACHING.md gives a teacher::

    nbgrader generate_assignment NN-slug --CourseDirectory.root=COURSE --force
    nbgrader autograde NN-slug --CourseDirectory.root=COURSE --force
    nbgrader export --to=COURSE/grades.csv --CourseDirectory.root=COURSE

with three submissions per lesson:

* ``solution``: the release with every solution cell filled in from the source; it must
  score full marks;
* ``mutants``: the release with every solution cell replaced by a wrong answer from
  ``course/mutants/NN-slug.py`` (all the wrong answers of a lesson in one notebook, so a
  lesson is executed three times, not once per exercise); every graded cell must lose
  its points;
* ``untouched``: the release as handed out; it must be scored (0 points) without a crash.

It also checks that the release holds no solution code, no hidden tests and no
solution or hidden-test markers. Each lesson gets its own course directory (and so its
own gradebook), and two lessons are graded at a time.

These tests need nbgrader (``requirements-dev.txt``); they execute every lesson three
times, so they are marked ``slow``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import runpy
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_tool", ROOT / "tools" / "course.py")
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)

pytestmark = pytest.mark.slow

if importlib.util.find_spec("nbgrader") is None:  # pragma: no cover - depends on the env
    pytest.skip("nbgrader is not installed (pip install -r requirements-dev.txt)",
                allow_module_level=True)

STUDENTS = ("solution", "mutants", "untouched")
MARKERS = (course.BEGIN_SOLUTION, course.END_SOLUTION, course.BEGIN_HIDDEN, course.END_HIDDEN)


def graded_lessons() -> list[str]:
    return [name for name in course.lessons(ROOT)
            if course.validate(course.read_source(ROOT, name), name)]


def _grading(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _text(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _region_lines(text: str, begin: str, end: str) -> list[str]:
    """The non-blank lines inside every begin...end region of ``text``, stripped."""
    lines, inside = [], False
    for line in text.split("\n"):
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def _without_markers(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line.strip() not in MARKERS)


def mutants(lesson: str) -> dict[str, str]:
    path = ROOT / "course" / "mutants" / f"{lesson}.py"
    if not path.is_file():
        raise AssertionError(f"lesson {lesson} has graded cells but no course/mutants/{lesson}.py")
    return runpy.run_path(str(path))["MUTANTS"]


def nbgrader(*args: str, root: Path) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS --CourseDirectory.root=ROOT`` from outside the course directory."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)             # the lessons draw inline, as in Jupyter
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args,
                           f"--CourseDirectory.root={root}"],
                          cwd=root.parent, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def _submission(release: dict, source: dict, lesson: str, kind: str) -> dict:
    """The release notebook as one learner hands it in."""
    nb = json.loads(json.dumps(release))
    if kind == "untouched":
        return nb
    answers = mutants(lesson) if kind == "mutants" else {
        _grading(c)["grade_id"]: _without_markers(_text(c))
        for c in source["cells"] if _grading(c).get("solution")}
    missing = [_grading(c)["grade_id"] for c in nb["cells"]
               if _grading(c).get("solution") and _grading(c)["grade_id"] not in answers]
    assert not missing, f"{lesson}: no {kind} answer for the solution cells {missing}"
    for cell in nb["cells"]:
        if _grading(cell).get("solution"):
            cell["source"] = answers[_grading(cell)["grade_id"]]
    return nb


def grade_lesson(lesson: str, work: Path) -> dict:
    """Release, submit and autograde one lesson in its own course directory."""
    root = work / lesson / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy(ROOT / "course" / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "course" / "source" / lesson, root / "source" / lesson)
    nbgrader("generate_assignment", lesson, "--force", root=root)
    release = json.loads((root / "release" / lesson / f"{lesson}.ipynb").read_text())
    source = course.read_source(ROOT, lesson)
    for student in STUDENTS:
        folder = root / "submitted" / student / lesson
        folder.mkdir(parents=True)
        (folder / f"{lesson}.ipynb").write_text(
            json.dumps(_submission(release, source, lesson, student)))
    proc = nbgrader("autograde", lesson, "--force", root=root)
    nbgrader("export", f"--to={root / 'grades.csv'}", root=root)

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {}
        for student in STUDENTS:
            nb = gb.find_submission_notebook(lesson, lesson, student)
            scores[student] = {g.name: (g.score, g.max_score) for g in nb.grades}
    with open(root / "grades.csv", newline="") as f:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    return {"release": release, "source": source, "scores": scores, "root": root,
            "exported": exported, "log": proc.stdout + proc.stderr}


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Every graded lesson released, submitted three times and autograded."""
    work = tmp_path_factory.mktemp("nbgrader")
    lessons = graded_lessons()
    with ThreadPoolExecutor(max_workers=2) as pool:   # two lessons at a time (2 cores)
        futures = {lesson: pool.submit(grade_lesson, lesson, work) for lesson in lessons}
        return {lesson: future.result() for lesson, future in futures.items()}


LESSONS = graded_lessons()


def test_there_are_graded_lessons():
    assert len(LESSONS) >= 5, LESSONS


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_release_holds_no_solutions_and_no_hidden_tests(graded, lesson):
    release, source = graded[lesson]["release"], graded[lesson]["source"]
    text = json.dumps(release)
    for marker in MARKERS:
        assert marker not in text, f"{lesson}: '{marker}' left in the release"
    by_id = {_grading(c)["grade_id"]: c for c in release["cells"] if _grading(c).get("grade_id")}
    graded_ids = [_grading(c)["grade_id"] for c in source["cells"] if _grading(c).get("grade_id")]
    assert set(by_id) == set(graded_ids)
    for cell in source["cells"]:
        grading = _grading(cell)
        if not grading:
            continue
        released = _text(by_id[grading["grade_id"]])
        for begin, end in ((course.BEGIN_SOLUTION, course.END_SOLUTION),
                           (course.BEGIN_HIDDEN, course.END_HIDDEN)):
            for line in _region_lines(_text(cell), begin, end):
                assert line not in released, f"{lesson} {grading['grade_id']}: {line!r} released"
        if grading.get("solution") and cell["cell_type"] == "code":
            assert "raise NotImplementedError" in released


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_solutions_score_full_marks(graded, lesson):
    scores = graded[lesson]["scores"]["solution"]
    assert scores and all(score == full > 0 for score, full in scores.values()), scores


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_wrong_answer_loses_its_points(graded, lesson):
    """All the lesson's wrong answers are in one submission; every graded cell is scored
    apart, so each one must have lost its points to its own mutant."""
    scores = graded[lesson]["scores"]["mutants"]
    kept = {name: s for name, s in scores.items() if s[0] > 0}
    assert scores and not kept, f"{lesson}: these graded cells kept points: {kept}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_an_untouched_release_is_scored_zero_without_a_crash(graded, lesson):
    scores = graded[lesson]["scores"]["untouched"]
    assert set(scores) == set(graded[lesson]["scores"]["solution"])
    assert all(score == 0 for score, _ in scores.values()), scores
    autograded = graded[lesson]["root"] / "autograded" / "untouched" / lesson / f"{lesson}.ipynb"
    nb = json.loads(autograded.read_text())
    errors = [o.get("ename") for c in nb["cells"] if _grading(c).get("grade")
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    # each graded cell failed on purpose: the check says the exercise is not attempted
    assert errors and set(errors) == {"AssertionError"}, errors
    assert "not attempted yet" in json.dumps(nb)


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_exported_grades_are_the_gradebook_scores(graded, lesson):
    exported, scores = graded[lesson]["exported"], graded[lesson]["scores"]
    assert set(exported) == set(STUDENTS)
    for student in STUDENTS:
        assert exported[student] == sum(score for score, _ in scores[student].values())
