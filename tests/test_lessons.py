"""The lessons' section numbering: in every notebook, the numbered headings run 1, 2, 3, ... without a gap.

A numbered heading is a markdown heading of level 2 or deeper whose text starts with a number, optionally
followed by one lowercase letter: ``### 3. The target``, ``## 3 Title``, ``### 2b. What train ran`` (a
lettered step of section 2). In the exercise notebooks the numbered headings are the exercises,
``## Exercise 1 · ...`` and ``## Exercise 1a · ...``; they form their own sequence. Level-1 headings are the
notebooks' titles (``# 03 · Gumbel-softmax``), not sections, and lines inside fenced code blocks are not
headings.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [path for folder in ("notebooks", "notebooks/exercises", "notebooks/zh", "notebooks/zh/exercises")
             for path in sorted((ROOT / folder).glob("*.ipynb"))]
"""The English lessons and exercise notebooks, and the Chinese edition's (whose exercises are ``## 练习 1 · ...``)."""

NUMBERED = re.compile(r"^#{2,6}\s+(?P<prefix>(?:Exercise|练习)\s*)?(?P<number>\d+)(?P<letter>[a-z]?)(?=[.:·)\s]|$)")


def numbered_headings(markdown_cells):
    """[(prefix, number, letter, heading line)] of the numbered headings in these markdown sources, in order.

    ``prefix`` is "Exercise" for exercise headings and "" for sections."""
    found = []
    for source in markdown_cells:
        fenced = False
        for line in source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            m = None if fenced else NUMBERED.match(line)
            if m:
                found.append(("Exercise" if m["prefix"] else "", int(m["number"]), m["letter"], line))
    return found


def numbering_problems(headings):
    """What is wrong with the numbering of ``headings`` (as numbered_headings returns them); [] when nothing is.

    Each prefix's headings must start at 1 and either go on to the next number or add a later letter to the
    same number: 1, 2, 2b, 3 and 1a, 1b, 2 are fine; 1, 2, 4 (a gap), 2, 3 (no 1), 1, 2, 2 (a repeat) and
    2b, 2a (letters backwards) are not."""
    problems = []
    last = {}
    for prefix, number, letter, line in headings:
        previous = last.get(prefix)
        if previous is None:
            if number != 1:
                problems.append(f"{line!r}: the first numbered heading should be 1")
        elif number == previous[0]:
            if letter <= previous[1]:
                problems.append(f"{line!r}: repeats number {number} without a later letter")
        elif number != previous[0] + 1:
            problems.append(f"{line!r}: after {previous[0]}{previous[1]} comes {previous[0] + 1}, not {number}")
        last[prefix] = (number, letter)
    return problems


def markdown_sources(path):
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "markdown"]


HAND_MADE = [
    "# 03 · A lesson title\n\n## Goals\n\n## Idea",
    "## Code\n\n### 1. First section\n\ntext that mentions 2. in passing",
    "### 2 Second section, no dot\n\n```\n### 7. inside a code block: not a heading\n```",
    "### 2b. A lettered step\n\n#### 3: Third, one level deeper",
    "## Exercise 1a · `one` (easy, 1 point)\n\n## Exercise 1b · `two` (hard, 3 points)",
    "## Exercise 2 · `three` (medium, 2 points)\n\n### The $x$ of 2 things\n\n## Try it",
]


def test_the_parser_finds_exactly_the_numbered_headings():
    found = [(prefix, number, letter) for prefix, number, letter, _ in numbered_headings(HAND_MADE)]
    assert found == [("", 1, ""), ("", 2, ""), ("", 2, "b"), ("", 3, ""),
                     ("Exercise", 1, "a"), ("Exercise", 1, "b"), ("Exercise", 2, "")]
    assert numbering_problems(numbered_headings(HAND_MADE)) == []


@pytest.mark.parametrize("sections, wrong", [
    (["### 1. a", "### 2. b", "### 4. d"], "### 4. d"),  # a gap: 4 after 2
    (["### 1. a", "### 2. b", "### 3. c", "### 7. g"], "### 7. g"),  # lesson 06 before its fix
    (["### 2. b", "### 3. c"], "### 2. b"),  # no section 1
    (["### 1. a", "### 2. b", "### 2. b again"], "### 2. b again"),  # a repeat
    (["### 1. a", "### 2b. b", "### 2a. a"], "### 2a. a"),  # letters backwards
    (["## Exercise 2a · x", "## Exercise 2b · y", "## Exercise 3 · z"], "## Exercise 2a · x"),  # set 04 before its fix
])
def test_a_gap_or_a_wrong_start_is_reported(sections, wrong):
    problems = numbering_problems(numbered_headings(["\n\n".join(sections)]))
    assert len(problems) == 1 and problems[0].startswith(repr(wrong)), problems


def test_every_notebook_is_covered():
    names = {p.name for p in NOTEBOOKS}
    assert {f"0{n}" for n in range(1, 9)} <= {name[:2] for name in names if not name.startswith("appendix")}
    assert "04_critic_loss_exercises.ipynb" in names and "appendix_vectorised_game.ipynb" in names
    # lessons 03 to 08 number their sections, and every exercise notebook its exercises
    numbered = {p for p in NOTEBOOKS if numbered_headings(markdown_sources(p))}
    assert {p for p in NOTEBOOKS if p.name[:2] in {"03", "04", "05", "06", "07", "08"}} <= numbered
    assert {p for p in NOTEBOOKS if p.parent.name == "exercises"} <= numbered


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_numbered_headings_run_without_gaps(path):
    assert numbering_problems(numbered_headings(markdown_sources(path))) == []
