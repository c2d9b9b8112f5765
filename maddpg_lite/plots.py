"""Pictures: return curves with baselines (:func:`plot_returns`), and one MADDPG update round as a
diagram (:func:`draw_update_round`, saved as ``figures/update_round.png``).

Taught in notebooks/04_critic_loss.ipynb (the update round) and notebooks/05_training.ipynb (the curves).
"""

from __future__ import annotations

import numpy as np

from .env import AGENTS
from .i18n import N_, _fig

AGENT_COLORS = {"adversary_0": "tab:red", "agent_0": "tab:blue", "agent_1": "tab:cyan"}
RETURNS_TITLE = N_("MADDPG on simple_adversary")
"""The default title of :func:`plot_returns` (drawn in the current language)."""
_BASELINE_LABELS = {"random": N_("random policy: {team}"), "noop": N_("noop policy: {team}")}


def smooth(values, window: int = 9) -> np.ndarray:
    """Moving average with a window that shrinks at the ends (same length as ``values``)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    half = window // 2
    return np.array([values[max(0, i - half): i + half + 1].mean() for i in range(len(values))])


def plot_returns(history, baselines=None, ax=None, title=RETURNS_TITLE, agents=AGENTS,
                 adversaries=None):
    """Mean greedy return per evaluation (faint) and smoothed (bold), with the random
    and no-op baselines as dotted and dashed lines (one per team: the first adversary and the
    first good agent). ``agents``: the names whose returns ``history`` holds (simple_adversary's
    by default); ``adversaries``: per agent, True for an adversary (default: names starting with
    "adversary" or "eve"). Returns the figure."""
    import matplotlib.pyplot as plt

    from .games import adversary_mask

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    fig = ax.figure
    agents = list(agents)
    adversaries = adversary_mask(agents) if adversaries is None else np.asarray(adversaries, dtype=bool)
    palette = plt.get_cmap("tab10").colors
    colors = {name: AGENT_COLORS.get(name, palette[i % len(palette)]) for i, name in enumerate(agents)}
    episodes = [row["episode"] for row in history]
    for i, name in enumerate(agents):
        values = [row[name] for row in history]
        style = dict(color=colors[name], ls="--" if i % 2 == 0 and i > 0 and not adversaries[i] else "-")
        ax.plot(episodes, values, alpha=0.25, **style)
        ax.plot(episodes, smooth(values), lw=2, label=name, **style)
    first = [int(np.flatnonzero(adversaries == side)[0]) for side in (True, False) if (adversaries == side).any()]
    teams = [(agents[i], _fig("adversary") if adversaries[i] else _fig("good agents")) for i in first]
    if baselines:
        for key, ls in [("random", ":"), ("noop", "-.")]:
            if key in baselines:
                for name, team in teams:
                    ax.axhline(baselines[key]["returns"][name], color=colors[name], ls=ls, lw=1,
                               label=_fig(_BASELINE_LABELS[key]).format(team=team))
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xlabel(_fig("training episode"))
    ax.set_ylabel(_fig("mean return per episode"))
    ax.set_title(_fig(title) if title == RETURNS_TITLE else title)
    ax.legend(fontsize=7, ncol=2)
    return fig


# ----- one update round, as a diagram --------------------------------------------------------------
_DATA_COLOR, _ACTOR_BOX, _CRITIC_BOX, _TARGET_BOX, _LOSS_BOX = "#eeeeee", "#fde0c5", "#e8dcf0", "#fff3b0", "#f8d7d7"
_GRAD_COLOR = "tab:red"


def _diagram_box(ax, xy, text, color, width=0.3, height=0.1, fontsize=9, ls="-"):
    """A rounded box centred at ``xy``; returns its (left, bottom, right, top)."""
    import matplotlib.patches as mpatches

    x, y = xy
    ax.add_patch(mpatches.FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                         boxstyle="round,pad=0.008,rounding_size=0.02", facecolor=color,
                                         edgecolor="0.3", lw=1.0, ls=ls, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return (x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def _diagram_arrow(ax, start, end, gradient=False, rad=0.0):
    """A forward arrow (dark) or a gradient arrow (red, dashed) from ``start`` to ``end``."""
    style = dict(color=_GRAD_COLOR, lw=1.8, ls=(0, (4, 2))) if gradient else dict(color="0.25", lw=1.1)
    ax.annotate("", xy=end, xytext=start, zorder=4 if gradient else 1,
                arrowprops=dict(arrowstyle="-|>", shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}", **style))


def _stop(ax, xy, label=None, dx=0.02):
    """A red cross where gradients stop, with an optional note to its right."""
    ax.plot(*xy, marker="X", color=_GRAD_COLOR, markersize=11, markeredgecolor="white", zorder=5)
    if label:
        ax.text(xy[0] + dx, xy[1], label, ha="left", va="center", fontsize=7.5, color=_GRAD_COLOR, zorder=5)


def draw_update_round(fig=None):
    """One update round of MADDPG for agent ``i``: what feeds the target ``y``, what feeds the actor
    loss, and where gradients stop.

    Left, the critic step: the target actors pick greedy one-hots ``a'_j = onehot(mu'_j(o'_j))`` from
    the stored ``x'``, the target critic scores them, and ``y = r_i + gamma (1 - done_i) Q'_i(x', a')`` is
    a fixed label (no gradient); the loss ``mean (Q_i(x, a) - y)^2`` trains critic ``i`` on the stored
    actions. Middle, the actor step: only ``a_i`` is new, a straight-through Gumbel-softmax sample of
    ``mu_i(o_i)``; the other agents' actions come from the replay buffer; the gradient of
    ``-mean Q_i`` flows back through ``a_i`` into actor ``i`` only (critic ``i`` is frozen). Right, after
    every agent had both steps, each target moves by a soft update.

    Args:
        fig: optional figure to draw on (three axes are added); a new 15 x 6.2 inch one by default.

    Returns:
        the figure. Saved as ``figures/update_round.png``.

    Taught in notebooks/04_critic_loss.ipynb.
    """
    import matplotlib.lines as mlines
    import matplotlib.patches as mpatches
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(15, 6.2))
    ax_c, ax_a, ax_s = fig.subplots(1, 3, gridspec_kw=dict(width_ratios=[1.1, 1.1, 0.62], left=0.01, right=0.99,
                                                             bottom=0.1, top=0.86, wspace=0.06))
    for ax in (ax_c, ax_a, ax_s):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")

    # ---- 1. critic step ----
    ax = ax_c
    ax.add_patch(mpatches.FancyBboxPatch((0.02, 0.14), 0.52, 0.7, boxstyle="round,pad=0.01", facecolor="none",
                                         edgecolor="0.5", ls="--", lw=1.0, zorder=0))
    ax.text(0.04, 0.82, _fig("torch.no_grad(): y is a fixed label"), fontsize=8, color="0.35", va="top")
    next_obs = _diagram_box(ax, (0.2, 0.05), _fig("from D: $x' = (o'_1, \\dots, o'_N)$"), _DATA_COLOR, width=0.36)
    reward = _diagram_box(ax, (0.51, 0.05), _fig("from D: $r_i$, done$_i$"), _DATA_COLOR, width=0.18)
    stored = _diagram_box(ax, (0.8, 0.05), _fig("from D: $x$, $a_1, \\dots, a_N$\n(actions as played)"), _DATA_COLOR,
                          width=0.3, height=0.1)
    t_actors = _diagram_box(ax, (0.23, 0.3), _fig("target actors $\\mu'_j(o'_j)$\ngreedy one-hots $a'_j$"), _TARGET_BOX,
                            width=0.3, height=0.11)
    t_critic = _diagram_box(ax, (0.23, 0.52), _fig("target critic\n$Q'_i(x', a'_1, \\dots, a'_N)$"), _TARGET_BOX,
                            width=0.3, height=0.11)
    y_box = _diagram_box(ax, (0.36, 0.72), "$y = r_i + \\gamma (1 - $done$_i)\\, Q'_i$", _DATA_COLOR, width=0.34)
    critic = _diagram_box(ax, (0.8, 0.52), _fig("critic $Q_i(x, a_1, \\dots, a_N)$"), _CRITIC_BOX, width=0.32)
    loss = _diagram_box(ax, (0.62, 0.93), _fig("critic loss: mean $(Q_i - y)^2$"), _LOSS_BOX, width=0.42, height=0.09)
    _diagram_arrow(ax, (0.23, next_obs[3]), (0.23, t_actors[1]))
    ax.plot([0.04, 0.04], [next_obs[3], 0.52], color="0.25", lw=1.1, zorder=1)  # x' also goes to the target critic
    _diagram_arrow(ax, (0.04, 0.52), (t_critic[0], 0.52))
    _diagram_arrow(ax, (0.23, t_actors[3]), (0.23, t_critic[1]))
    _diagram_arrow(ax, (0.25, t_critic[3]), (0.25, y_box[1]))
    _diagram_arrow(ax, (0.51, reward[3]), (0.51, y_box[1]))
    _diagram_arrow(ax, (0.8, stored[3]), (0.8, critic[1]))
    _diagram_arrow(ax, (0.45, y_box[3]), (0.5, loss[1]))
    _diagram_arrow(ax, (0.8, critic[3]), (0.75, loss[1]))
    _diagram_arrow(ax, (0.7, loss[1]), (0.72, critic[3]), gradient=True)
    ax.text(0.66, 0.7, _fig("gradient:\ncritic $i$'s\nweights"), fontsize=8, color=_GRAD_COLOR, ha="right", va="center")
    _stop(ax, (0.475, 0.8), _fig("stops at y"))
    ax.set_title(_fig("1. critic step for agent $i$\n(target networks make the label; the stored actions are scored)"),
                 fontsize=10.5)

    # ---- 2. actor step ----
    ax = ax_a
    obs_i = _diagram_box(ax, (0.17, 0.05), _fig("from D: $o_i$"), _DATA_COLOR, width=0.22)
    joint = _diagram_box(ax, (0.47, 0.05), _fig("from D: $x$"), _DATA_COLOR, width=0.2)
    others = _diagram_box(ax, (0.8, 0.05), _fig("from D: $a_j$, $j \\neq i$\n(stored, as played)"), _DATA_COLOR,
                          width=0.3, height=0.1)
    actor = _diagram_box(ax, (0.17, 0.28), _fig("actor $\\mu_i(o_i)$: logits"), _ACTOR_BOX, width=0.3)
    sample = _diagram_box(ax, (0.17, 0.5), _fig("$a_i$ = straight-through\nGumbel-softmax sample"), _ACTOR_BOX,
                          width=0.32, height=0.11)
    critic = _diagram_box(ax, (0.55, 0.7), _fig("critic $Q_i(x, a_1, .., a_i, .., a_N)$\n"
                                                "(just updated; frozen here)"), _CRITIC_BOX, width=0.48, height=0.11)
    loss = _diagram_box(ax, (0.55, 0.93), _fig("actor loss: $-$mean $Q_i$ + 0.001 mean logits$^2$"), _LOSS_BOX,
                        width=0.7, height=0.09)
    _diagram_arrow(ax, (0.17, obs_i[3]), (0.17, actor[1]))
    _diagram_arrow(ax, (0.17, actor[3]), (0.17, sample[1]))
    _diagram_arrow(ax, (0.17, sample[3]), (0.33, critic[1]))
    _diagram_arrow(ax, (0.47, joint[3]), (0.5, critic[1]))
    _diagram_arrow(ax, (0.8, others[3]), (0.72, critic[1]))
    _diagram_arrow(ax, (0.55, critic[3]), (0.55, loss[1]))
    _diagram_arrow(ax, (0.36, loss[1]), (0.36, critic[3]), gradient=True)
    _diagram_arrow(ax, (0.3, critic[1]), (0.23, sample[3]), gradient=True)
    _diagram_arrow(ax, (0.27, sample[1]), (0.27, actor[3]), gradient=True)
    ax.text(0.29, 0.39, _fig("the soft\nsample's\ngradient"), fontsize=8, color=_GRAD_COLOR, va="center")
    _stop(ax, (0.76, 0.4), _fig("stored: no\ngradient"), dx=0.03)
    _stop(ax, (0.8, 0.7))
    ax.text(0.8, 0.6, _fig("critic weights\nnot trained here"), fontsize=7.5, color=_GRAD_COLOR, ha="center",
            va="center")
    ax.set_title(_fig("2. actor step for agent $i$\n(only $a_i$ is new; the gradient reaches actor $i$ only)"),
                 fontsize=10.5)

    # ---- 3. soft update ----
    ax = ax_s
    ax.text(0.5, 0.93, _fig("repeat 1 and 2 for every agent $i$,\nthen once:"), ha="center", va="center", fontsize=9.5)
    for y, (net, target, color) in zip((0.66, 0.4), ((_fig("actor $\\mu_j$"), _fig("target $\\mu'_j$"), _ACTOR_BOX),
                                                     (_fig("critic $Q_j$"), _fig("target $Q'_j$"), _CRITIC_BOX))):
        src = _diagram_box(ax, (0.25, y), net, color, width=0.38, height=0.09)
        dst = _diagram_box(ax, (0.75, y), target, _TARGET_BOX, width=0.38, height=0.09)
        _diagram_arrow(ax, (src[2], y), (dst[0], y))
    ax.text(0.5, 0.2, _fig("$\\theta' \\leftarrow \\tau\\,\\theta + (1 - \\tau)\\,\\theta'$\n"
                           "$\\tau$ = 0.01, for every agent $j$\n(targets never take gradients)"), ha="center",
            va="center", fontsize=9.5)
    ax.set_title(_fig("3. soft update of the targets"), fontsize=10.5)

    handles = [mlines.Line2D([], [], color="0.25", lw=1.1, label=_fig("forward (values)")),
               mlines.Line2D([], [], color=_GRAD_COLOR, lw=1.8, ls=(0, (4, 2)), label=_fig("gradient (backward)")),
               mlines.Line2D([], [], color=_GRAD_COLOR, marker="X", ls="none", markersize=9,
                             label=_fig("gradient stops")),
               mpatches.Patch(facecolor=_DATA_COLOR, edgecolor="0.3", label=_fig("data from the replay buffer D")),
               mpatches.Patch(facecolor=_TARGET_BOX, edgecolor="0.3", label=_fig("target networks (slow copies)")),
               mpatches.Patch(facecolor=_ACTOR_BOX, edgecolor="0.3", label=_fig("actor i")),
               mpatches.Patch(facecolor=_CRITIC_BOX, edgecolor="0.3", label=_fig("critic i"))]
    fig.legend(handles=handles, loc="lower center", ncol=7, fontsize=8.5, frameon=False)
    fig.suptitle(_fig("One MADDPG update round (MADDPG.update): a batch from D, then for each agent a critic step "
                      "and an actor step, then the soft updates"), fontsize=12)
    return fig
