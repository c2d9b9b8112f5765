"""The exercise sets as nbgrader assignments, round trip.

In a scratch course directory with its own gradebook (maddpg_lite.assignments.make_course):
* ``nbgrader generate_assignment`` and ``generate_solution`` (python -m maddpg_lite.assignments runs the
  same two commands) produce exactly the committed student versions (notebooks/exercises/*.ipynb) and
  solution versions (notebooks/exercises/solutions/*.ipynb);
* ``nbgrader autograde`` gives every committed student version (the untouched stubs) 0 points and
  every committed solution version full points, for every set (one autograde run per student, the two
  in parallel: maddpg_lite.assignments.autograde_round_trip, also ``python -m maddpg_lite.assignments
  --check``); the student versions ran top to bottom: every checker printed "NOT IMPLEMENTED YET", and
  the only errors are the hidden tests' assertions; the solutions ran without any error.

nbgrader is an instructor tool (requirements-dev.txt); without it these tests are skipped.
"""

import re
import shutil

import nbformat
import pytest

from maddpg_lite import assignments

if not assignments.nbgrader_installed():
    pytest.skip(f"nbgrader tests skipped: {assignments.NOT_INSTALLED}", allow_module_level=True)

SETS = assignments.exercise_sets()
STUDENTS = ("stub", "solution")
"""The two students of the autograde round trip: the untouched student versions and the solutions."""


ZH = assignments.ZH_EXERCISES_DIR


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """The English course and, once it exists, the Chinese one, generated side by side:
    ``{"en": (course, generated), "zh": ... or None}``."""
    made = {"en": assignments.make_course(tmp_path_factory.mktemp("course"))}
    if (ZH / "source").is_dir():
        made["zh"] = assignments.make_course(tmp_path_factory.mktemp("course-zh"), ZH / "source",
                                             ZH / "nbgrader_config.py")
    generated = assignments.generate_side_by_side(list(made.values()))
    return {"zh": None, **{lang: (course, gen) for (lang, course), gen in zip(made.items(), generated)}}


@pytest.fixture(scope="module")
def course(courses):
    return courses["en"]
ZH_ROUND_TRIP_SET = "05_training_zh"
"""The Chinese set handed in to nbgrader autograde here (one, for time; ``python -m maddpg_lite.assignments --check``
hands in every set of both languages)."""


@pytest.fixture(scope="module")
def zh_course(courses):
    if courses["zh"] is None:
        pytest.skip("no Chinese exercise sets yet (python -m maddpg_lite.translate makes them)")
    return courses["zh"]


@pytest.mark.parametrize("kind, folder", [("student", assignments.EXERCISES_DIR),
                                          ("solution", assignments.SOLUTIONS_DIR),
                                          ("student", ZH), ("solution", ZH / "solutions")])
def test_committed_versions_are_what_nbgrader_generates(request, kind, folder):
    _, generated = request.getfixturevalue("zh_course" if ZH in folder.parents or folder == ZH else "course")
    assert set(generated[kind]) == {p.name for p in folder.glob("*.ipynb")}
    for name, path in generated[kind].items():
        assert assignments.comparable(folder / name) == assignments.comparable(path), (
            f"{folder.name}/{name} differs from nbgrader's output: run python -m maddpg_lite.assignments")


def test_generated_versions_keep_the_answers_in_the_solution_only(course):
    _, generated = course
    for name in generated["student"]:
        student = nbformat.read(generated["student"][name], as_version=4)
        solution = nbformat.read(generated["solution"][name], as_version=4)
        tagged = [c.id for c in solution.cells if "solution-only" in c.metadata.get("tags", [])]
        assert tagged and not set(tagged) & {c.id for c in student.cells}
        assert "### BEGIN SOLUTION" in "".join(c.source for c in solution.cells)


def source_points() -> dict[str, float]:
    points = {}
    for assignment, notebooks in SETS.items():
        cells = [c for nb in notebooks for c in nbformat.read(nb, as_version=4).cells]
        points[assignment] = sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in cells
                                 if c.metadata.get("nbgrader", {}).get("grade"))
    return points


ROUND_TRIP_SETS = ("05_training", "07_deception")
"""The sets the test hands in to nbgrader autograde (two small ones, to keep the suite within its time budget;
``python -m maddpg_lite.assignments --check`` hands in every set). Every other set's stubs and solutions are
checked cell by cell by tests/test_checks.py, and its generated versions above."""


def test_autograde_gives_a_stub_zero_and_the_solution_full_points(course):
    root, _ = course
    scores = assignments.autograde_round_trip(root, only=ROUND_TRIP_SETS)  # both students, two runs in parallel
    courses = scores.pop("autograded")
    points = source_points()
    assert set(scores) == set(ROUND_TRIP_SETS)
    for assignment, row in scores.items():
        assert row["max_score"] == points[assignment] > 0
        assert row["stub"] == 0, f"{assignment}: an untouched stub scored {row['stub']}"
        assert row["solution"] == row["max_score"], f"{assignment}: the solution scored {row['solution']}"
        assert not row["stub_needs_manual_grade"] and not row["solution_needs_manual_grade"]

    for assignment, notebooks in SETS.items():
        if assignment not in ROUND_TRIP_SETS:
            continue
        for nb in notebooks:
            for student in STUDENTS:
                ran = nbformat.read(courses[student] / "autograded" / student / assignment / nb.name, as_version=4)
                for cell in ran.cells:
                    if cell.cell_type != "code":
                        continue
                    grade = cell.metadata.get("nbgrader", {}).get("grade", False)
                    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                    errors = [o.ename for o in cell.outputs if o.output_type == "error"]
                    where = f"{student}/{nb.name}: {cell.source.splitlines()[0]!r}"
                    if student == "solution":
                        assert not errors, where
                        assert not grade or re.match(r"PASSED  \w+: all \d+ checks hold", text), where
                    elif grade:  # the checker ran, printed its verdict, and only the hidden assert failed
                        assert text.startswith("NOT IMPLEMENTED YET"), where
                        assert errors == ["AssertionError"], where
                    else:
                        assert not errors, where


HAND_BACKS_07 = {  # the graded function -> a hand-back of the package's own implementation
    "success_rates": "def success_rates(agent_pos, landmark_pos, target):\n"
                     "    from maddpg_lite.checks import _flags\n"
                     "    flags = _flags(agent_pos, landmark_pos, target)\n"
                     "    return flags['good_success'], flags['adversary_success']\n",
    "split": "import maddpg_lite as ml\n\n"
             "def split(agent_pos, landmark_pos):\n"
             "    env = ml.VecSimpleAdversary(len(agent_pos))\n"
             "    target = np.zeros(len(agent_pos), int)\n"
             "    env.agent_pos, env.landmark_pos, env.target = agent_pos, landmark_pos, target\n"
             "    return env.deception_flags()['all_landmarks_covered']\n",
}


def test_autograde_gives_a_hand_back_no_points(course, tmp_path):
    """A student who hands back the package's implementation of success_rates and split (and writes
    expected_penalty, here the solution's) scores only expected_penalty's points."""
    root, _ = course
    assignment = "07_deception"
    folder = tmp_path / "handback"
    folder.mkdir()
    kept = 0
    for nb_path in SETS[assignment]:
        nb = nbformat.read(assignments.SOLUTIONS_DIR / nb_path.name, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in HAND_BACKS_07:
                cell.source = HAND_BACKS_07[grade_id]
            elif cell.metadata.get("nbgrader", {}).get("grade") and not any(
                    f"check_{name}(" in cell.source for name in HAND_BACKS_07):
                kept += cell.metadata["nbgrader"]["points"]
        nbformat.write(nb, folder / nb_path.name)
    handback_course = root.parent / f"{root.name}-handback-only"
    shutil.copytree(root, handback_course, dirs_exist_ok=True)
    scores = assignments.autograde_round_trip(handback_course, only=(assignment,), handed_in={"handback": folder})
    row = scores[assignment]
    assert 0 < kept < row["max_score"]
    assert row["handback"] == kept, f"the hand-back scored {row['handback']} of {row['max_score']}"
    ran = nbformat.read(scores["autograded"]["handback"] / "autograded" / "handback" / assignment
                        / SETS[assignment][0].name, as_version=4)
    verdicts = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs
                       if o.output_type == "stream")
    assert ("this exercise asks you to write success_rates yourself; your function called "
            "maddpg_lite.checks.set07_deception._flags") in verdicts
    assert "your function called maddpg_lite.env.VecSimpleAdversary.deception_flags" in verdicts


def test_the_chinese_sets_are_the_english_ones_with_zh_names_and_a_round_trip(zh_course):
    """Both languages share one gradebook: the Chinese assignments are the English ones with ``_zh``, with the same
    points; autograde gives a Chinese stub 0 and its solution full points, and their verdicts are Chinese."""
    root, _ = zh_course
    zh_sets = assignments.exercise_sets(ZH / "source")
    assert set(zh_sets) == {f"{name}_zh" for name in SETS}
    for name, notebooks in SETS.items():
        assert [nb.name for nb in zh_sets[f"{name}_zh"]] == [nb.name for nb in notebooks]
    scores = assignments.autograde_round_trip(root, ZH, only=(ZH_ROUND_TRIP_SET,))
    courses = scores.pop("autograded")
    row = scores[ZH_ROUND_TRIP_SET]
    assert row["max_score"] == source_points()[ZH_ROUND_TRIP_SET.removesuffix("_zh")] > 0
    assert row["stub"] == 0 and row["solution"] == row["max_score"], row
    for nb in zh_sets[ZH_ROUND_TRIP_SET]:
        for student in STUDENTS:
            ran = nbformat.read(courses[student] / "autograded" / student / ZH_ROUND_TRIP_SET / nb.name, as_version=4)
            for cell in ran.cells:
                if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
                    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                    assert re.search(r"[\u4e00-\u9fff]", text.split("\n", 1)[0]), f"{student}: {text[:80]!r}"
                    assert not re.match(r"(PASSED|FAILED|NOT IMPLEMENTED|ERROR) ", text), f"{student}: {text[:80]!r}"
