"""Where things are: the package's data, and in a checkout the repository's figures, notebooks and
exercise sets; the course a student opens (lessons, exercise sets, figures), found in a checkout or in an
installed package; and the one way files are written (atomically: a reader never sees half a file).

An installed wheel carries the course under ``maddpg_lite/course/`` in the checkout's own layout
(``course/notebooks/...``, ``course/figures/...``), so the lessons' relative links still resolve there;
``setup.py`` copies :data:`COURSE_FILES` into the wheel, and ``python -m maddpg_lite.lessons DIR`` copies
them out again. The commands that rewrite the repository's own files (the README blocks, figures/, the
nbgrader sources, the translations) work in a checkout only: :func:`in_checkout`, :data:`CHECKOUT_ONLY`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
"""Shipped results and checkpoints (package data)."""
REPO_ROOT = PACKAGE_DIR.parent
"""The checkout's top folder (README.md, figures/, notebooks/); only meaningful in a checkout."""
FIGURES_DIR = REPO_ROOT / "figures"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
EXERCISES_DIR = NOTEBOOKS_DIR / "exercises"
COURSE_DIR = PACKAGE_DIR / "course"
"""The course inside an installed wheel (absent in a checkout): notebooks/ and figures/ as in the repository."""

COURSE_FILES = {
    "en": ("notebooks/*.ipynb", "notebooks/glossary.md", "notebooks/exercises/*.ipynb", "figures/*.png",
           "figures/*.gif"),
    "zh": ("notebooks/zh/*.ipynb", "notebooks/glossary.md", "notebooks/zh/exercises/*.ipynb", "figures/*.png",
           "figures/*.gif"),
}
"""What a student gets, per language (glob patterns under the checkout's top folder): the lessons and
appendices, the glossary, the student versions of the exercise sets, and the figures the lessons show. Never
the instructors' files: exercises/solutions/, exercises/source/, exercises/answers.md and the instructor guide
exercises/README.md (none matches these patterns). setup.py ships the union of both languages."""

CHECKOUT_MARKERS = ("pyproject.toml", "README.md", "notebooks/exercises/source")
"""Files of a checkout that no wheel or sdist carries (the nbgrader sources are instructors' files)."""
CHECKOUT_ONLY = ("{prog}: works in a checkout of the maddpg-lite repository only (it {does}), not from the "
                 "installed package; to open the lessons from the package: python -m maddpg_lite.lessons DIR")
"""The one line a checkout-only command prints outside a checkout (:func:`refuse_outside_checkout`)."""


def in_checkout() -> bool:
    """True when the package is imported from a checkout of the repository (README.md, notebooks/ with the
    exercise sets' sources, figures/ next to it); False when it is an installed wheel."""
    return all((REPO_ROOT / marker).exists() for marker in CHECKOUT_MARKERS)


def refuse_outside_checkout(prog: str, does: str) -> int:
    """Print :data:`CHECKOUT_ONLY` (``does``: what the command needs the checkout for) and return 2, the exit
    status. A checkout-only command's main() starts with
    ``if not paths.in_checkout(): return paths.refuse_outside_checkout(parser.prog, "rewrites ...")``."""
    print(CHECKOUT_ONLY.format(prog=prog, does=does), file=sys.stderr)
    return 2


def course_root() -> Path:
    """The folder holding the course's notebooks/ and figures/: the checkout's top folder, or
    :data:`COURSE_DIR` in an installed wheel."""
    return COURSE_DIR if COURSE_DIR.is_dir() and not in_checkout() else REPO_ROOT


def course_files(lang: str | None = None, root: Path | None = None) -> list[str]:
    """The course's files for ``lang`` (``"en"``, ``"zh"``; None: both) under ``root`` (default
    :func:`course_root`), as sorted POSIX paths relative to it, e.g. ``notebooks/05_training.ipynb``."""
    if lang is not None and lang not in COURSE_FILES:
        raise ValueError(f"no course in language {lang!r}; choose among {', '.join(COURSE_FILES)}")
    root = course_root() if root is None else Path(root)
    patterns = {p for name, group in COURSE_FILES.items() if lang in (None, name) for p in group}
    return sorted({f.relative_to(root).as_posix() for p in patterns for f in root.glob(p) if f.is_file()})


def write_atomically(path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` writes the content to a temporary file next to ``path`` (same suffix, so a
    writer that reads the format from the name still works), which then replaces ``path`` in one
    step. Returns ``path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp" + path.suffix)
    write(tmp)
    tmp.replace(path)
    return path


def write_text(path, text: str) -> Path:
    """``text`` to ``path`` (UTF-8), atomically."""
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
