"""How long the course takes a student, lesson by lesson: ``python -m maddpg_lite.coursetime``.

Pace: 150 words of prose a minute and 10 lines of code a minute (read the cell, run it, look at
what it prints). Method: count the words of every markdown cell and the non-blank lines of every
code cell of each lesson notebook (``notebooks/[0-9]*.ipynb``, ``notebooks/appendix_*.ipynb``) and of
each student exercise notebook (``notebooks/exercises/*.ipynb``), divide by the pace, and add the
working time of each exercise that the instructor guide (``notebooks/exercises/README.md``, section
"The exercises") estimates in its heading, e.g. ``(medium, about 20 min)``.

Why 150 words a minute: adults read English non-fiction silently at 238 words a minute on average,
most of them between 175 and 300, and readers of English as a second language read more slowly
(M. Brysbaert, "How many words do we read per minute? A review and meta-analysis of reading rate",
Journal of Memory and Language 109, 2019, 104047). A lesson is dense technical prose with formulas,
read to learn it, so we take a pace below that whole range. The 10 lines a minute are our own
assumption (6 s a line), not a measurement.

What counts as a word: every whitespace-separated token with a letter or a digit in it. Math counts
like prose (``$\\tau$`` is one word, a displayed formula a handful of words); a link counts its text,
not its address; an image and an HTML comment count nothing; a Chinese character counts as one word
(the lessons quote the book's Chinese sentences). A code block fenced with three backticks inside a
markdown cell counts as lines of code, not as words. Not counted: the time to think about the
end-of-lesson questions, and the machine's run time (the README's course map measures that).

``--readme`` rewrites the table in README.md between :data:`BEGIN` and :data:`END`;
``tests/test_coursetime.py`` checks that the README's table is what this module computes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .paths import REPO_ROOT
from .training import _OneLineParser

ROOT = REPO_ROOT
README = ROOT / "README.md"
NOTEBOOKS = ROOT / "notebooks"
GUIDE = NOTEBOOKS / "exercises" / "README.md"
WORDS_PER_MINUTE = 150
"""Reading pace of the lessons' prose (see the module docstring for why)."""
LINES_PER_MINUTE = 10
"""Pace of reading a code cell and running it."""
BEGIN = ("<!-- course time: written by `python -m maddpg_lite.coursetime --readme` from the notebooks and "
         "notebooks/exercises/README.md; do not edit by hand -->")
END = "<!-- end of course time -->"

_FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", flags=re.MULTILINE | re.DOTALL)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TIME = re.compile(r"(\d+(?:\.\d+)?)(?:\s+to\s+(\d+(?:\.\d+)?))?\s*(min|h)\b(\s+each)?")


@dataclass(frozen=True)
class Counts:
    """What a student reads in one notebook: words of prose and lines of code."""

    words: int
    code_lines: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.words + other.words, self.code_lines + other.code_lines)

    def minutes(self, words_per_minute: float = WORDS_PER_MINUTE, lines_per_minute: float = LINES_PER_MINUTE) -> int:
        """Reading and running time, rounded to whole minutes (halves up)."""
        return int(self.words / words_per_minute + self.code_lines / lines_per_minute + 0.5)


def count_words(text: str) -> int:
    """Words of a piece of markdown prose, by the rules of the module docstring (no fences here)."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # images
    text = re.sub(r"\]\([^)]*\)", "]", text)  # a link's address
    words = 0
    for token in text.split():
        words += len(_CJK.findall(token))
        words += bool(re.search(r"[^\W_]", _CJK.sub("", token)))
    return words


def count_markdown(text: str) -> Counts:
    """A markdown cell: its words, and the non-blank lines of its fenced code blocks."""
    code_lines = sum(_code_lines(block) for block in _FENCE.findall(text))
    return Counts(count_words(_FENCE.sub(" ", text)), code_lines)


def _code_lines(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip())


def count_notebook(notebook: dict) -> Counts:
    """Words and code lines of a notebook given as its JSON dict (nbformat 4; raw cells are not counted)."""
    total = Counts(0, 0)
    for cell in notebook["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            total += count_markdown(source)
        elif cell["cell_type"] == "code":
            total += Counts(0, _code_lines(source))
    return total


def exercise_minutes(guide: str) -> dict[str, tuple[int, int]]:
    """Working time per exercise set, ``{"01": (40, 40), ..., "capstone": (60, 120)}`` in minutes, summed
    from the headings of the guide's section "## The exercises": ``### SET · N `name` (..., TIME)``.

    TIME is the last parenthesis of the heading (code spans left out): ``about 20 min``, ``10 min each``
    (times the number of code spans in the heading: one per exercise), ``1 to 2 h`` (a range, low and
    high). ValueError, naming the heading, when a heading has no set or no time.
    """
    parts = re.split(r"^## The exercises[ \t]*$", guide, maxsplit=1, flags=re.MULTILINE)
    if len(parts) < 2:
        raise ValueError('the instructor guide has no section "## The exercises"')
    section = re.split(r"^## ", parts[1], maxsplit=1, flags=re.MULTILINE)[0]
    times: dict[str, tuple[int, int]] = {}
    for heading in re.findall(r"^### (.+)$", section, flags=re.MULTILINE):
        name, sep, _ = heading.partition(" · ")
        prose = re.sub(r"`[^`]*`", "", heading)
        parentheses = re.findall(r"\(([^()]*)\)", prose)
        match = _TIME.search(parentheses[-1]) if parentheses else None
        if not sep or match is None:
            raise ValueError(f"instructor guide: no 'SET · ... (..., TIME)' in the heading {heading!r}")
        low, high, unit, each = match.groups()
        scale = (60 if unit == "h" else 1) * (len(re.findall(r"`[^`]*`", heading)) if each else 1)
        key = name.strip().lower()
        before = times.get(key, (0, 0))
        times[key] = (before[0] + round(float(low) * scale), before[1] + round(float(high or low) * scale))
    return times


@dataclass(frozen=True)
class Row:
    """One line of the course: a lesson with its exercise set, or the capstone alone (``lesson`` None)."""

    name: str
    lesson: Counts | None
    exercises: Counts | None
    work: tuple[int, int] | None
    """The guide's working time of the exercise set, (low, high) minutes."""

    def minutes(self, words_per_minute: float = WORDS_PER_MINUTE,
                lines_per_minute: float = LINES_PER_MINUTE) -> tuple[int, int, int, int]:
        """(lesson, exercise set read and run, work low, work high) in whole minutes; 0 where there is none."""
        lesson, exercises = (c.minutes(words_per_minute, lines_per_minute) if c else 0
                             for c in (self.lesson, self.exercises))
        low, high = self.work or (0, 0)
        return lesson, exercises, low, high


def _read_notebook(path: Path) -> Counts:
    return count_notebook(json.loads(path.read_text(encoding="utf-8")))


def course_rows(root: Path = ROOT) -> list[Row]:
    """Every lesson (numbered, then the appendices) with its exercise set, then the capstone.

    ValueError when an exercise notebook and the guide's times do not pair up."""
    notebooks, exercises = root / "notebooks", root / "notebooks" / "exercises"
    guide = exercise_minutes((exercises / "README.md").read_text(encoding="utf-8"))
    lessons = sorted(notebooks.glob("[0-9]*.ipynb")) + sorted(notebooks.glob("appendix_*.ipynb"))
    if not lessons:
        raise ValueError(f"no lesson notebooks in {notebooks}")
    pairs = [(lesson, exercises / f"{lesson.stem}_exercises.ipynb", lesson.stem.split("_")[0]) for lesson in lessons]
    pairs += [(None, path, "capstone") for path in sorted(exercises.glob("capstone_*.ipynb"))]
    rows = []
    for lesson, exercise, key in pairs:
        has_exercises = exercise.is_file()
        if has_exercises != (key in guide):
            raise ValueError(f"{exercise.name} {'exists' if has_exercises else 'does not exist'} but the instructor "
                             f"guide {'has no' if has_exercises else 'has'} times for set {key!r}")
        rows.append(Row(lesson.stem if lesson else exercise.stem, _read_notebook(lesson) if lesson else None,
                        _read_notebook(exercise) if has_exercises else None, guide.get(key)))
    unused = set(guide) - {key for *_, key in pairs}
    if unused:
        raise ValueError(f"the instructor guide times sets without a notebook: {sorted(unused)}")
    return rows


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _counts(counts: Counts | None) -> str:
    return f"{counts.words} / {counts.code_lines}" if counts else "-"


def table_markdown(rows: list[Row], words_per_minute: float = WORDS_PER_MINUTE,
                   lines_per_minute: float = LINES_PER_MINUTE) -> str:
    """The table of :func:`course_rows` in markdown, with a total row and the total in hours."""
    header = ("| notebook | lesson: words / code lines | lesson: read and run | exercise set: words / code lines "
              "| exercise set: read and run | exercises: work (instructor guide) | total |")
    lines = [header, "|---|---|---|---|---|---|---|"]
    sums = [0, 0, 0, 0]
    lesson_total, exercise_total = Counts(0, 0), Counts(0, 0)
    for row in rows:
        lesson, exercises, low, high = minutes = row.minutes(words_per_minute, lines_per_minute)
        sums = [s + m for s, m in zip(sums, minutes)]
        lesson_total += row.lesson or Counts(0, 0)
        exercise_total += row.exercises or Counts(0, 0)
        total = _span(lesson + exercises + low, lesson + exercises + high)
        lines.append(f"| {row.name} | {_counts(row.lesson)} | {lesson if row.lesson else '-'} "
                     f"| {_counts(row.exercises)} | {exercises if row.exercises else '-'} "
                     f"| {_span(low, high) if row.work else '-'} | {total} |")
    lesson, exercises, low, high = sums
    low_total, high_total = lesson + exercises + low, lesson + exercises + high
    lines.append(f"| **all** | {_counts(lesson_total)} | {lesson} | {_counts(exercise_total)} | {exercises} "
                 f"| {_span(low, high)} | **{_span(low_total, high_total)}** |")
    pace = f"{words_per_minute:g} words and {lines_per_minute:g} code lines a minute"
    lines += ["", f"Minutes at {pace}. In all, {low_total / 60:.1f} to {high_total / 60:.1f} hours."]
    return "\n".join(lines)


def readme_with_table(readme: str, block: str) -> str:
    """``readme`` with the text between :data:`BEGIN` and :data:`END` replaced by ``block``."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no course-time block: it needs the lines {BEGIN!r} and {END!r}")
    return readme[: start + len(BEGIN)] + "\n" + block + "\n" + readme[end:]


def _pace(text: str) -> float:
    """A pace given on the command line: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"a pace must be a number > 0, got {text!r}")
    return value


def main(argv=None) -> int:
    parser = _OneLineParser(prog="python -m maddpg_lite.coursetime", description=__doc__.split("\n\n")[0])
    parser.add_argument("--words-per-minute", type=_pace, default=WORDS_PER_MINUTE,
                        help=f"reading pace of prose (default {WORDS_PER_MINUTE})")
    parser.add_argument("--lines-per-minute", type=_pace, default=LINES_PER_MINUTE,
                        help=f"pace of reading and running code (default {LINES_PER_MINUTE})")
    parser.add_argument("--readme", action="store_true", help="rewrite the course-time table of README.md")
    args = parser.parse_args(argv)
    if not paths.in_checkout():
        return paths.refuse_outside_checkout(parser.prog, "reads the instructor guide notebooks/exercises/README.md, "
                                                           "and --readme rewrites README.md")
    if args.readme and (args.words_per_minute, args.lines_per_minute) != (WORDS_PER_MINUTE, LINES_PER_MINUTE):
        parser.error(f"--readme writes the table at the README's pace ({WORDS_PER_MINUTE} words, "
                     f"{LINES_PER_MINUTE} lines a minute): leave out --words-per-minute and --lines-per-minute")
    try:
        block = table_markdown(course_rows(), args.words_per_minute, args.lines_per_minute)
        if args.readme:
            README.write_text(readme_with_table(README.read_text(encoding="utf-8"), block), encoding="utf-8")
            print("wrote the course-time table of", README)
        else:
            print(block)
    except (OSError, ValueError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
