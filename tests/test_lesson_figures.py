"""Properties of the lessons' figures, checked here rather than inside the lessons.

Each test runs the lesson's own cells (found by cell id, so that a later edit of the lesson is what gets
tested) in a fresh namespace, then inspects the figure they drew.
"""

import json
import linecache
from pathlib import Path

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]


def run_cells(lesson: str, cell_ids: list[str]) -> dict:
    """Run the cells ``cell_ids`` of ``notebooks/<lesson>`` in order, in one fresh namespace (each cell's
    source is registered for tracebacks), and return the namespace."""
    cells = {c.get("id"): c for c in json.loads((ROOT / "notebooks" / lesson).read_text(encoding="utf-8"))["cells"]}
    namespace = {}
    for cell_id in cell_ids:
        src = "".join(cells[cell_id]["source"])
        filename = f"<notebooks/{lesson}, cell {cell_id}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(keepends=True), filename)
        exec(compile(src, filename, "exec"), namespace)
    return namespace


def test_lesson_02_return_plot_titles_clear_the_frames(monkeypatch):
    """Lesson 02's rewards / running-return figure: the second title holds a sum whose subscript hangs below
    the baseline; the title's pad keeps both titles above their axes' frames (by more than 2 pixels)."""
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)  # keep the figure to inspect it
    namespace = run_cells("02_markov_game.ipynb", [
        "770a3009",  # imports
        "09b255c0",  # env
        "fbf33682",  # state_of, world
        "ca2644a1",  # one random episode: env_rewards
        "8524a131",  # gamma, discounts
        "f3469482",  # the figure
    ])
    fig, axes = namespace["fig"], namespace["axes"]
    try:
        fig.canvas.draw()
        assert len(axes) == 2 and all(ax.get_title() for ax in axes)
        for ax in axes:
            assert ax.title.get_window_extent().y0 > ax.bbox.y1 + 2, ax.get_title()  # title clear of the frame
    finally:
        plt.close(fig)
