"""Copy the course out of the package into a folder a student opens:
``python -m maddpg_lite.lessons DIR [--lang zh]``, then ``jupyter lab DIR``.

What is copied (:data:`maddpg_lite.paths.COURSE_FILES`): the lessons and appendices, the glossary, the students'
versions of the exercise sets and the figures the lessons show; never the instructors' files (the solutions,
the nbgrader sources, the answer key, the instructor guide). They come from the installed wheel
(``maddpg_lite/course/``) or, in a checkout, from the repository itself.

Layout: the repository's own, so that no link is rewritten. A lesson's relative links and images (e.g.
``../figures/returns.png``) resolve in DIR as they do in the repository:

* English: ``DIR/notebooks/`` (lessons 01-08, the appendices, ``glossary.md``), ``DIR/notebooks/exercises/``
  (the exercise sets), ``DIR/figures/``;
* ``--lang zh``, the Chinese edition: ``DIR/notebooks/zh/`` and ``DIR/notebooks/zh/exercises/``, whose links
  point one folder deeper (``../../figures/``), with ``DIR/notebooks/glossary.md`` and ``DIR/figures/``.

DIR must be a new folder or an empty one. Bad input (DIR is a file, is not empty, or cannot be written) stops
with one line naming it and exit status 2, before anything is written; a copy that fails halfway removes what it
wrote, so nothing is overwritten and no half course is left.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from . import paths
from .training import _OneLineParser

PROG = "python -m maddpg_lite.lessons"
LANGUAGES = {"en": "notebooks", "zh": "notebooks/zh"}
"""--lang: the folder under DIR where that edition's lessons are."""


class NoCourse(LookupError):
    """The package holds no lessons for the language asked for (a broken install, or a checkout without them)."""


def folder_problem(target: Path) -> str:
    """"" if ``target`` is a new or empty folder that can be made; else why not, in a few words."""
    if target.exists() and not target.is_dir():
        return "is a file, not a folder"
    if target.is_dir() and any(target.iterdir()):
        return "is not empty (give a new folder, or an empty one: nothing is overwritten)"
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        return f"cannot be made: {existing} is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return "cannot write there (permission denied)"
    return ""


def copy_course(target: Path, lang: str = "en") -> list[str]:
    """Copy the course of ``lang`` into ``target`` (new or empty) in the repository's layout; the copied
    files, relative to ``target``. On an error, what was written is removed before the error goes on."""
    root = paths.course_root()
    files = paths.course_files(lang, root)
    if not any(rel.startswith(LANGUAGES[lang] + "/") and rel.endswith(".ipynb") for rel in files):
        raise NoCourse(f"no lessons for --lang {lang} under {root}")
    made = [p for p in (target, *target.parents) if not p.exists()][::-1]  # the folders to make, outermost first
    try:
        for folder in made:
            folder.mkdir()
        for rel in files:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, target / rel)  # contents only: the copies are the student's to edit
    except BaseException:
        _remove_copy(target, made)
        raise
    return files


def _remove_copy(target: Path, made: list[Path]) -> None:
    """Undo :func:`copy_course`: ``target`` was new or empty, so everything in it is the copy's."""
    if target.is_dir():
        for entry in target.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            pass


def summary(files: list[str], target: Path, lang: str) -> str:
    """Two lines: what was copied where, and how to open it."""
    home = LANGUAGES[lang]
    lessons = [f for f in files if f.startswith(home + "/") and f.count("/") == home.count("/") + 1
               and f.endswith(".ipynb")]
    sets = [f for f in files if f.startswith(home + "/exercises/") and f.endswith(".ipynb")]
    figures = [f for f in files if f.startswith("figures/")]
    return (f"copied {len(lessons)} lessons and appendices, {len(sets)} exercise sets, the glossary and "
            f"{len(figures)} figures to {target}/ ({home}/, {home}/exercises/, figures/)\n"
            f"open them with: jupyter lab {target}  (start at {home}/01_ctde_football.ipynb)")


def main(argv=None) -> int:
    parser = _OneLineParser(prog=PROG, description=(
        "Copy the course (lessons, appendices, glossary, the students' exercise sets, figures) into DIR, in the "
        "repository's layout, so that its links resolve; then open it with: jupyter lab DIR"))
    parser.add_argument("dir", metavar="DIR", type=Path, help="a new or empty folder for the course")
    parser.add_argument("--lang", choices=list(LANGUAGES), default="en",
                        help="en: the English edition (default); zh: the Chinese edition (notebooks/zh/)")
    args = parser.parse_args(argv)
    problem = folder_problem(args.dir)
    if problem:
        print(f"{PROG}: error: DIR {args.dir}: {problem}", file=sys.stderr)
        return 2
    try:
        files = copy_course(args.dir, args.lang)
    except NoCourse as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: DIR {args.dir}: cannot write there ({exc.strerror or type(exc).__name__}); "
              "nothing was left there", file=sys.stderr)
        return 2
    print(summary(files, args.dir, args.lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
