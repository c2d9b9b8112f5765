"""The students' time estimates (maddpg_lite.coursetime): the counting on hand-made notebooks, the
instructor guide's exercise times, the command line, and the README's table against the notebooks."""

import json
from pathlib import Path

import pytest

from maddpg_lite import coursetime
from maddpg_lite.coursetime import Counts, count_notebook, course_rows, exercise_minutes, table_markdown

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = """# Title

<!-- a note for the authors, not read -->
The critic $Q_i(x, a)$ sees **everything** [link text](https://example.org/a/long/address).
![a picture of the scene](figures/scene.png)

```
print(1)

print(2)
```

中心化 CTDE -- | --- |
"""
# words: Title, The, critic, $Q_i(x,, a)$, sees, **everything**, [link, text]. = 9; 中心化 = 3; CTDE = 1
# ("#", "--", "|" and "---" have no letter or digit); code: the fence's 2 non-blank lines


def tiny_notebook(as_lists: bool) -> dict:
    cells = [("markdown", MARKDOWN), ("code", "x = 1\n\n# a comment is read too\ny = 2\n"),
             ("raw", "not counted at all")]

    def source(text):
        return text.splitlines(keepends=True) if as_lists else text

    return {"cells": [{"cell_type": kind, "source": source(text), "metadata": {}} for kind, text in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize("as_lists", [False, True])
def test_counting_a_tiny_notebook_by_hand(as_lists):
    assert count_notebook(tiny_notebook(as_lists)) == Counts(words=13, code_lines=2 + 3)


def test_minutes_at_the_stated_pace():
    assert (coursetime.WORDS_PER_MINUTE, coursetime.LINES_PER_MINUTE) == (150, 10)
    assert Counts(150, 10).minutes() == 2
    assert Counts(75, 0).minutes() == 1 and Counts(74, 0).minutes() == 0  # halves round up
    assert Counts(300, 0).minutes(words_per_minute=100) == 3


GUIDE = """# Guide

## The sets

### 07 · 1 `not_an_exercise_heading` (easy, 99 min)

## The exercises

Times are estimates.

### 01 · 1 `observation(agent_pos, i)` (medium, about 20 min)

### 01 · 2 `sizes(n)` and 3 `critic_sizes(dims, n)` (easy, 10 min each)

### 02 · 1 `discounted(r, gamma)` (lesson 02, about 1.5 h)

### Capstone · 1 `one_game` and 2 `k_games(m, b)` (medium and hard, 1 to 2 h)

## Checking the materials

### 09 · 1 `later` (easy, 5 min)
"""


def test_exercise_times_from_a_hand_made_guide():
    assert exercise_minutes(GUIDE) == {"01": (40, 40), "02": (90, 90), "capstone": (60, 120)}


def test_exercise_times_refuse_a_heading_without_a_time():
    with pytest.raises(ValueError, match="03 · 1 `f\\(x\\)` \\(hard\\)"):
        exercise_minutes(GUIDE.replace("## Checking", "### 03 · 1 `f(x)` (hard)\n\n## Checking"))
    with pytest.raises(ValueError, match="no section"):
        exercise_minutes(GUIDE.replace("## The exercises", "## Exercises"))


def test_exercise_times_of_the_real_guide():
    times = exercise_minutes((ROOT / "notebooks" / "exercises" / "README.md").read_text(encoding="utf-8"))
    assert set(times) == {f"{n:02d}" for n in range(1, 9)} | {"capstone"}
    assert all(0 < low <= high for low, high in times.values())
    assert times["capstone"][0] < times["capstone"][1]  # "1 to 2 h"


def test_every_lesson_and_exercise_set_gets_a_row():
    rows = {row.name: row for row in course_rows()}
    lessons = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(rows) == lessons | {"capstone_training_loop"}
    for name, row in rows.items():
        graded = name[:2].isdigit() or name.startswith("capstone")
        assert (row.exercises is not None) == (row.work is not None) == graded, name
        assert all(c is None or c.words > 0 for c in (row.lesson, row.exercises)), name


def test_the_readme_table_is_what_the_notebooks_give():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(coursetime.BEGIN) == 1 and readme.count(coursetime.END) == 1
    assert coursetime.readme_with_table(readme, table_markdown(course_rows())) == readme, \
        "README's course-time table is stale: run python -m maddpg_lite.coursetime --readme"


def write_course(root: Path, guide: str) -> None:
    (root / "notebooks" / "exercises").mkdir(parents=True)
    notebook = json.dumps(tiny_notebook(as_lists=True))
    (root / "notebooks" / "01_first.ipynb").write_text(notebook)
    (root / "notebooks" / "exercises" / "01_first_exercises.ipynb").write_text(notebook)
    (root / "notebooks" / "exercises" / "README.md").write_text(guide)


def test_rows_of_a_hand_made_course(tmp_path):
    write_course(tmp_path, "## The exercises\n\n### 01 · 1 `f` (easy, about 10 min)\n")
    (row,) = course_rows(tmp_path)
    assert (row.name, row.lesson, row.exercises, row.work) == ("01_first", Counts(13, 5), Counts(13, 5), (10, 10))
    assert row.minutes() == (1, 1, 10, 10)
    table = table_markdown([row])
    assert "| 01_first | 13 / 5 | 1 | 13 / 5 | 1 | 10 | 12 |" in table
    assert "| **all** | 13 / 5 | 1 | 13 / 5 | 1 | 10 | **12** |" in table


def test_a_set_without_times_or_times_without_a_set_is_refused(tmp_path):
    write_course(tmp_path / "a", "## The exercises\n\nTimes to come.\n")
    with pytest.raises(ValueError, match="01_first_exercises.ipynb exists but the instructor guide has no times"):
        course_rows(tmp_path / "a")
    write_course(tmp_path / "b", "## The exercises\n\n### 01 · 1 `f` (easy, 10 min)\n### 02 · 1 `g` (easy, 10 min)\n")
    with pytest.raises(ValueError, match=r"sets without a notebook: \['02'\]"):
        course_rows(tmp_path / "b")


def test_the_command_prints_the_table(capsys):
    assert coursetime.main([]) == 0
    out = capsys.readouterr().out
    assert out.strip() == table_markdown(course_rows())
    assert coursetime.main(["--words-per-minute", "300"]) == 0
    assert "300 words" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--words-per-minute", "0"], "a pace must be a number > 0, got '0'"),
    (["--lines-per-minute", "fast"], "a pace must be a number > 0, got 'fast'"),
    (["--readme", "--words-per-minute", "200"], "leave out --words-per-minute"),
    (["--minutes"], "unrecognized arguments: --minutes"),
])
def test_bad_input_gets_one_line(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        coursetime.main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err
