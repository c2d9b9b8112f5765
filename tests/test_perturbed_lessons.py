"""The lessons that load shipped networks, run on "another computer": every weight of every loaded
checkpoint multiplied by ``1 + 1e-5 z`` (``MADDPG_LITE_PERTURB_WEIGHTS``, one fixed draw), a
stand-in for a machine that rounds differently from the one that trained and recorded them. A
lesson whose assertions need an exact replay of the recorded numbers fails here; the lessons
compare with recorded numbers within ``evaluation.REPLAY_TOLERANCE`` instead.

Each lesson runs top to bottom in quick mode through nbval, in a fresh kernel, as in the main
run of the notebooks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIZE = "1e-5"
LESSONS = ["05_training", "06_maddpg_vs_ddpg", "07_deception", "08_another_game"]
"""The lessons that load the shipped checkpoints (pretrained, the paper study's runs)."""


def loads_shipped_networks(notebook: Path) -> bool:
    text = notebook.read_text(encoding="utf-8")
    return "pretrained.load(" in text or "load_actors(" in text


def test_the_list_is_every_lesson_that_loads_shipped_networks():
    loading = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb") if loads_shipped_networks(p)}
    assert loading == set(LESSONS)


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_holds_with_every_loaded_weight_perturbed(lesson):
    env = {**os.environ, "MADDPG_LITE_PERTURB_WEIGHTS": SIZE, "MADDPG_LITE_QUICK": "1"}
    notebook = ROOT / "notebooks" / f"{lesson}.ipynb"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                          str(notebook)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"{lesson} fails with weights x (1 + {SIZE} z):\n{run.stdout[-3000:]}"
