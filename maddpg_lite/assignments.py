"""The exercise notebooks, generated from their nbgrader sources by nbgrader's own commands.

Every exercise set has ONE source notebook, ``notebooks/exercises/source/<set>/<notebook>.ipynb``,
with nbgrader's solution regions and autograded checker cells (see
``notebooks/exercises/README.md``). The command ::

    python -m maddpg_lite.assignments

copies ``notebooks/exercises/nbgrader_config.py`` and ``source/`` into a scratch course directory
(with its own gradebook), runs there ::

    nbgrader generate_assignment "*" --force     # student versions: release/<set>/<notebook>.ipynb
    nbgrader generate_solution "*" --force       # solution versions: solution/<set>/<notebook>.ipynb

and copies the results to ``notebooks/exercises/<notebook>.ipynb`` (what students open) and
``notebooks/exercises/solutions/<notebook>.ipynb``; the same for the Chinese edition's course directory,
``notebooks/zh/exercises/`` (its sets are the assignments ``<set>_zh``), once it exists.
``python -m maddpg_lite.assignments --check``
writes nothing: it compares the committed notebooks with nbgrader's output, then runs
``nbgrader autograde`` on the untouched student versions (0 points) and on the solutions (full
points) and prints the table. nbgrader is an instructor tool (``pip install -r requirements-dev.txt``);
students never need it. ``tests/test_nbgrader.py`` runs the same round trip.

Adding a set: write ``source/<set>/<notebook>.ipynb`` and run the command; nothing else lists the sets.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import paths
from .paths import REPO_ROOT

ROOT = REPO_ROOT
EXERCISES_DIR = ROOT / "notebooks" / "exercises"
"""The course directory of the exercise sets: students' notebooks here, solutions in solutions/."""
SOURCE_DIR = EXERCISES_DIR / "source"
SOLUTIONS_DIR = EXERCISES_DIR / "solutions"
CONFIG_FILE = EXERCISES_DIR / "nbgrader_config.py"
ZH_EXERCISES_DIR = ROOT / "notebooks" / "zh" / "exercises"
"""The Chinese edition's course directory (made by ``python -m maddpg_lite.translate``): the nbgrader
assignments ``<set>_zh`` in ``source/``, students' notebooks here, solutions in ``solutions/``."""


def course_dirs() -> list[Path]:
    """The course directories to generate: the English one, and the Chinese one once it has sources."""
    return [EXERCISES_DIR] + ([ZH_EXERCISES_DIR] if (ZH_EXERCISES_DIR / "source").is_dir() else [])
NOT_INSTALLED = "nbgrader not installed (pip install -r requirements-dev.txt)"
COURSE_ID = "maddpg-lite"
"""``CourseDirectory.course_id`` in nbgrader_config.py."""


def exercise_sets(source_dir: Path = SOURCE_DIR) -> dict[str, list[Path]]:
    """``{set (nbgrader assignment id): [its source notebooks]}``, sorted by set."""
    return {d.name: sorted(d.glob("*.ipynb")) for d in sorted(source_dir.iterdir())
            if d.is_dir() and any(d.glob("*.ipynb"))}


def nbgrader_installed() -> bool:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        return False
    return True


def nbgrader_process(course: Path, *args: str) -> subprocess.Popen:
    """Start ``nbgrader <args>`` in the course directory ``course`` (it reads nbgrader_config.py there)
    without waiting for it."""
    return subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=course, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(run: subprocess.Popen, what: str) -> str:
    """Wait for an nbgrader process; its output, or ``RuntimeError`` with that output if it failed."""
    out, err = run.communicate()
    if run.returncode != 0:
        raise RuntimeError(f"nbgrader {what} failed (exit {run.returncode}):\n{out}{err}")
    return out + err


def nbgrader(course: Path, *args: str) -> str:
    """Run ``nbgrader <args>`` in ``course``; its output (``RuntimeError`` if it fails)."""
    return finish(nbgrader_process(course, *args), " ".join(args))


def comparable(path: Path) -> dict:
    """What a notebook holds, without what nbformat may fill in differently: every cell's type, id, source,
    metadata, outputs and execution count, and the notebook's metadata."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return {"metadata": nb.metadata,
            "cells": [(c.cell_type, c.get("id"), c.source, c.metadata, c.get("outputs", []), c.get("execution_count"))
                      for c in nb.cells]}


def make_course(course: Path, source_dir: Path = SOURCE_DIR, config_file: Path = CONFIG_FILE) -> Path:
    """A scratch nbgrader course in ``course``: the configuration and a copy of ``source/``."""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(config_file, course / "nbgrader_config.py")
    shutil.copytree(source_dir, course / "source", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def generate(course: Path) -> dict[str, dict[str, Path]]:
    """Run nbgrader's two commands in ``course`` (made by :func:`make_course`).

    Returns:
        ``{"student": {notebook file name: generated path}, "solution": {...}}``.
    """
    return generate_side_by_side([course])[0]


def generate_side_by_side(courses: list[Path]) -> list[dict[str, dict[str, Path]]]:
    """:func:`generate` for several courses (the English and the Chinese one), their nbgrader commands running
    at the same time (one per core on a 2-core machine)."""
    for command in ("generate_assignment", "generate_solution"):
        runs = [nbgrader_process(course, command, "*", "--force") for course in courses]
        for course, run in zip(courses, runs):
            finish(run, f"{command} in {course}")
    return [_generated(course) for course in courses]


def _generated(course: Path) -> dict[str, dict[str, Path]]:
    out = {"student": {}, "solution": {}}
    for assignment, notebooks in exercise_sets(course / "source").items():
        for nb in notebooks:
            out["student"][nb.name] = course / "release" / assignment / nb.name
            out["solution"][nb.name] = course / "solution" / assignment / nb.name
    return out


def autograde_round_trip(course: Path, exercises_dir: Path = EXERCISES_DIR, only=None,
                         handed_in: dict[str, Path] | None = None) -> dict[str, dict]:
    """Hand in the committed versions of every set (or of the sets named in ``only``) to
    ``nbgrader autograde`` and read the gradebook.

    Two students hand in: "stub", the student versions as they are (untouched stubs), and "solution",
    the solution versions (or the students of ``handed_in``: ``{student: folder of notebooks}``). Each
    gets its own copy of ``course`` (made by :func:`make_course` and :func:`generate`) and gradebook,
    so the autograde runs go in parallel.

    Returns:
        ``{set: {"max_score": points, "stub": score, "solution": score, "stub_needs_manual_grade": bool,
        "solution_needs_manual_grade": bool}}`` and, under the key ``"autograded"``,
        ``{student: course directory}`` (the executed notebooks are in ``<course>/autograded/<student>/<set>/``).
    """
    handed_in = handed_in or {"stub": exercises_dir, "solution": exercises_dir / "solutions"}
    first, *others = handed_in
    courses = {first: course, **{student: course.parent / f"{course.name}-{student}" for student in others}}
    for student in others:
        shutil.copytree(course, courses[student], dirs_exist_ok=True)
    sets = exercise_sets(course / "source")
    if only is not None:
        unknown = sorted(set(only) - set(sets))
        if unknown:
            raise ValueError(f"no exercise set named {', '.join(unknown)}; the sets: {', '.join(sets)}")
        sets = {name: notebooks for name, notebooks in sets.items() if name in only}
    for student, folder in handed_in.items():
        for assignment, notebooks in sets.items():
            target = courses[student] / "submitted" / student / assignment
            target.mkdir(parents=True, exist_ok=True)
            for nb in notebooks:
                shutil.copyfile(folder / nb.name, target / nb.name)
    runs = {student: nbgrader_process(directory, "autograde", "*", "--force") for student, directory in courses.items()}
    for student, run in runs.items():
        try:
            finish(run, f"autograde of the {student} versions")
        except RuntimeError as exc:
            # two kernels started side by side can pick the same free TCP port (jupyter_client asks the
            # system for one, then binds it later); that run alone is graded again
            if "Address already in use" not in str(exc):
                raise
            finish(nbgrader_process(courses[student], "autograde", "*", "--force"),
                   f"autograde of the {student} versions (again: a kernel's port was taken)")

    from nbgrader.api import Gradebook

    scores = {assignment: {} for assignment in sets}
    for student, directory in courses.items():
        with Gradebook(f"sqlite:///{directory / 'gradebook.db'}", course_id=COURSE_ID) as gb:
            for assignment in sets:
                submission = gb.find_submission(assignment, student)
                scores[assignment]["max_score"] = submission.max_score
                scores[assignment][student] = submission.score
                scores[assignment][f"{student}_needs_manual_grade"] = submission.needs_manual_grade
    return {**scores, "autograded": courses}


def build(exercises_dir: Path = EXERCISES_DIR) -> list[str]:
    """Regenerate every student and solution notebook of ``exercises_dir`` from ``exercises_dir/source``.

    Returns:
        one line per file written or removed (stale notebooks whose source is gone).
    """
    solutions_dir = exercises_dir / "solutions"
    report = []
    with tempfile.TemporaryDirectory(prefix="maddpg-lite-course-") as tmp:
        course = make_course(Path(tmp) / "course", exercises_dir / "source", exercises_dir / "nbgrader_config.py")
        generated = generate(course)
        for kind, target_dir in [("student", exercises_dir), ("solution", solutions_dir)]:
            target_dir.mkdir(exist_ok=True)
            for name, path in generated[kind].items():
                target = target_dir / name
                if target.exists() and filecmp.cmp(path, target, shallow=False):
                    continue
                shutil.copyfile(path, target)
                report.append(f"wrote   {target.relative_to(exercises_dir.parent.parent)}")
            for stale in sorted(set(p.name for p in target_dir.glob("*.ipynb")) - set(generated[kind])):
                (target_dir / stale).unlink()
                report.append(f"removed {(target_dir / stale).relative_to(exercises_dir.parent.parent)} (no source)")
    return report


def check(exercises_dir: Path = EXERCISES_DIR) -> bool:
    """The whole round trip in a scratch course, printed: are the committed notebooks what nbgrader generates,
    and does ``nbgrader autograde`` give every untouched stub 0 points and every solution full points?"""
    ok = True
    with tempfile.TemporaryDirectory(prefix="maddpg-lite-course-") as tmp:
        course = make_course(Path(tmp) / "course", exercises_dir / "source", exercises_dir / "nbgrader_config.py")
        generated = generate(course)
        for kind, folder in [("student", exercises_dir), ("solution", exercises_dir / "solutions")]:
            for name, path in generated[kind].items():
                same = (folder / name).exists() and comparable(folder / name) == comparable(path)
                ok &= same
                print(f"{kind:8s} version {name:40s} {'= generated' if same else 'DIFFERS from nbgrader output'}")
        scores = autograde_round_trip(course, exercises_dir)
        print(f"\n{'set':22s} {'points':>6s} {'stub':>5s} {'solution':>8s}   (nbgrader autograde)")
        for assignment, row in scores.items():
            if assignment == "autograded":
                continue
            good = row["stub"] == 0 and row["solution"] == row["max_score"] > 0
            ok &= good
            verdict = "ok" if good else "WRONG"
            print(f"{assignment:22s} {row['max_score']:6g} {row['stub']:5g} {row['solution']:8g}   {verdict}")
    print("\nround trip ok" if ok else "\nround trip FAILED")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m maddpg_lite.assignments",
        description="Regenerate the student and solution versions of every exercise set from its nbgrader source "
                    "(notebooks/exercises/source/<set>/*.ipynb) with nbgrader generate_assignment and "
                    "generate_solution.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing: compare the committed notebooks with nbgrader's output, then autograde "
                             "the untouched student versions (must score 0) and the solutions (full points)")
    args = parser.parse_args(argv)
    if not paths.in_checkout():
        return paths.refuse_outside_checkout(parser.prog, "makes the exercise sets from their nbgrader sources in "
                                                           "notebooks/exercises/source/")
    if not nbgrader_installed():
        print(f"{parser.prog}: error: {NOT_INSTALLED}", file=sys.stderr)
        return 2
    if args.check:
        return 0 if all([check(folder) for folder in course_dirs()]) else 1
    for folder in course_dirs():
        report = build(folder)
        sets = exercise_sets(folder / "source")
        print("\n".join(report) if report else f"{folder.relative_to(ROOT)}: all student and solution notebooks are "
                                                "up to date")
        print(f"{len(sets)} exercise sets: {', '.join(sets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
