"""The update-round diagram (maddpg_lite.plots.draw_update_round) says what MADDPG.update does:
target networks make y, gradients stop at y and at stored actions, the actor gradient reaches actor i
only through its own straight-through sample."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.patches as mpatches  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from maddpg_lite.plots import _GRAD_COLOR, _TARGET_BOX, draw_update_round  # noqa: E402


def box_texts(ax, color=None):
    """Texts of the boxes of ``ax`` (optionally only those filled with ``color``), matched by centre."""
    boxes = [p for p in ax.patches if isinstance(p, mpatches.FancyBboxPatch) and p.get_facecolor()[3] > 0]
    if color is not None:
        boxes = [p for p in boxes if matplotlib.colors.same_color(p.get_facecolor(), color)]
    centres = [(p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2) for p in boxes]
    return [t.get_text() for t in ax.texts if t.get_position() in centres]


def gradient_arrows(ax):
    return [a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None
            and matplotlib.colors.same_color(a.arrow_patch.get_edgecolor(), _GRAD_COLOR)]


def stops(ax):
    return [line for line in ax.lines if line.get_marker() == "X"]


def test_update_round_diagram():
    fig = draw_update_round()
    critic_step, actor_step, soft = fig.axes
    # the label y is made by the target networks only: the target actors' greedy one-hots and the target critic
    targets = " ".join(box_texts(critic_step, _TARGET_BOX))
    assert "target actors" in targets and "greedy one-hots" in targets and "target critic" in targets
    assert any(text.startswith("$y = r_i + \\gamma (1 - $done") for text in box_texts(critic_step))
    # critic step: one gradient path (loss -> critic i), stopped at y
    assert len(gradient_arrows(critic_step)) == 1 and len(stops(critic_step)) == 1
    # actor step: loss -> critic -> a_i -> actor i; stopped at the stored actions and at the critic's weights
    assert len(gradient_arrows(actor_step)) == 3 and len(stops(actor_step)) == 2
    texts = " ".join(box_texts(actor_step))
    assert "straight-through" in texts and "$a_j$, $j \\neq i$" in texts and "stored" in texts
    # the soft update: no gradients at all
    assert len(gradient_arrows(soft)) == 0 and len(stops(soft)) == 0
    assert len(box_texts(soft, _TARGET_BOX)) == 2
