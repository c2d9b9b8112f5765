"""Where things are: the package's data, and in a checkout the repository's figures, notebooks and
exercise sets; and the one way files are written (atomically: a reader never sees half a file)."""

from __future__ import annotations

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
