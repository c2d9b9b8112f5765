"""Pictures of the simple_adversary scene: one frame, an episode's animation, and the
CTDE information-flow diagram.

* :func:`draw_scene` draws one state with discs to scale (agents radius
  :data:`~maddpg_lite.env.AGENT_SIZE` = 0.15, landmarks
  :data:`~maddpg_lite.env.LANDMARK_SIZE` = 0.08): adversary red, good agents blue,
  target landmark green, decoy gray.
* :func:`scene_of` reads a state out of a :class:`~maddpg_lite.env.VecSimpleAdversary`
  slot (or out of mpe2's own environment); :func:`rollout_scenes` plays one episode.
* :func:`animate_episodes` plays several policies from the same start side by side.
* :func:`draw_info_flow` draws who sees what in training and in execution.

Taught in notebooks/01_ctde_football.ipynb and notebooks/02_markov_game.ipynb.
"""

from __future__ import annotations

import re

import numpy as np

from .env import AGENT_SIZE, AGENTS, EPISODE_LENGTH, LANDMARK_SIZE, VecSimpleAdversary
from .evaluation import as_policy, plays_soft, reset_policy
from .i18n import _fig
from .plots import AGENT_COLORS

TARGET_COLOR = "tab:green"
DECOY_COLOR = "tab:gray"


def landmark_colors(target: int) -> list[str]:
    """Colors of landmarks 0 and 1: the target green, the decoy gray."""
    return [TARGET_COLOR if m == int(target) else DECOY_COLOR for m in range(2)]


def _extent(*arrays) -> float:
    """Half-width of a square view centred on 0 holding every point (at least 1.2)."""
    points = np.concatenate([np.asarray(a, dtype=float).reshape(-1, 2) for a in arrays if a is not None])
    return max(1.2, float(np.abs(points).max()) + AGENT_SIZE + 0.15)


def draw_scene(ax, agent_pos, landmark_pos, target, labels=True, title=None, trails=None):
    """Draw one state of simple_adversary on ``ax``, discs to scale.

    Args:
        ax: a matplotlib Axes.
        agent_pos: ``(3, 2)`` positions in :data:`AGENTS` order (adversary first).
        landmark_pos: ``(2, 2)`` landmark positions.
        target: index (0 or 1) of the target landmark; the other one is the decoy.
        labels: write "adversary_0", "agent_0", "agent_1", "target", "decoy" beside the discs.
        title: optional axes title.
        trails: optional ``(T, 3, 2)`` past agent positions (oldest first), drawn as
            faint lines in each agent's color.

    Returns:
        ``ax``. The artists it adds, in order: ``ax.patches`` = 5 discs (landmark 0,
        landmark 1, then the agents in :data:`AGENTS` order); ``ax.lines`` = 3 trails (if
        ``trails`` is given), agents in order; ``ax.texts`` = 5 labels in the discs' order.
    """
    import matplotlib.patches as mpatches

    agent_pos = np.asarray(agent_pos, dtype=float)
    landmark_pos = np.asarray(landmark_pos, dtype=float)
    if agent_pos.shape != (3, 2) or landmark_pos.shape != (2, 2):
        raise ValueError(f"agent_pos must be (3, 2) and landmark_pos (2, 2), got {agent_pos.shape} and "
                         f"{landmark_pos.shape}")
    target = int(target)
    if target not in (0, 1):
        raise ValueError(f"target must be 0 or 1, got {target}")
    if trails is not None:
        trails = np.asarray(trails, dtype=float)
        if trails.ndim != 3 or trails.shape[1:] != (3, 2):
            raise ValueError(f"trails must have shape (T, 3, 2), got {trails.shape}")

    # landmarks below the agents, so an agent sitting on a landmark covers it
    for m, (pos, color) in enumerate(zip(landmark_pos, landmark_colors(target))):
        ax.add_patch(mpatches.Circle(pos, LANDMARK_SIZE, color=color, zorder=2))
        if labels:
            ax.text(pos[0] + LANDMARK_SIZE + 0.04, pos[1], _fig("target") if m == target else _fig("decoy"),
                    ha="left", va="center", fontsize=8, color=color, zorder=5)
    for a, (name, pos) in enumerate(zip(AGENTS, agent_pos)):
        color = AGENT_COLORS[name]
        ax.add_patch(mpatches.Circle(pos, AGENT_SIZE, color=color, alpha=0.75, zorder=3))
        if trails is not None and len(trails):
            path = np.concatenate([trails[:, a], pos[None]])
            ax.plot(path[:, 0], path[:, 1], color=color, alpha=0.35, lw=1.5, zorder=1)
        if labels:
            ax.text(pos[0], pos[1] + AGENT_SIZE + 0.03, name, ha="center", va="bottom", fontsize=8,
                    color=color, zorder=5)
    lim = _extent(agent_pos, landmark_pos, trails)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.grid(True, lw=0.3, alpha=0.5)
    if title is not None:
        ax.set_title(title)
    return ax


def scene_of(env, k: int = 0) -> dict:
    """The current state of one game, as keyword arguments for :func:`draw_scene`.

    Args:
        env: a :class:`~maddpg_lite.env.VecSimpleAdversary` (slot ``k`` is read), or
            mpe2's environment from :func:`~maddpg_lite.env.make_env` (``k`` ignored).

    Returns:
        ``{"agent_pos": (3, 2), "landmark_pos": (2, 2), "target": int}`` (copies).
    """
    if isinstance(env, VecSimpleAdversary):
        return {"agent_pos": env.agent_pos[k].copy(), "landmark_pos": env.landmark_pos[k].copy(),
                "target": int(env.target[k])}
    world = env.unwrapped.world
    goal = world.agents[0].goal_a
    return {"agent_pos": np.array([agent.state.p_pos for agent in world.agents], dtype=float),
            "landmark_pos": np.array([lm.state.p_pos for lm in world.landmarks], dtype=float),
            "target": next(m for m, lm in enumerate(world.landmarks) if lm is goal)}


def rollout_scenes(policy, seed: int) -> list[dict]:
    """Play one episode from ``reset(seed=seed)`` and record every state.

    Args:
        policy: a :class:`~maddpg_lite.maddpg.MADDPG` (greedy actions) or a callable
            ``{name: (1, d)} -> (1, 3)`` integer actions (see :mod:`maddpg_lite.evaluation`).
        seed: the reset seed (the same start as mpe2's ``reset(seed=seed)``).

    Returns:
        26 scene dicts (:func:`scene_of`): the reset state, then the state after each of the 25 steps.
    """
    policy = as_policy(policy)
    env = VecSimpleAdversary(1, action_mode="soft" if plays_soft(policy) else "one-hot")
    obs = env.reset(seeds=[seed])
    reset_policy(policy, [seed], env)  # a soft policy's noise comes from the episode's seed, as in evaluate
    scenes = [scene_of(env)]
    truncated = np.zeros(1, dtype=bool)
    while not truncated.all():
        actions = np.asarray(policy(obs))
        obs, _, _, truncated = env.step(actions if actions.ndim == 3 else actions.reshape(1, len(AGENTS)))
        scenes.append(scene_of(env))
    return scenes


VIEW_REACH = 1.6
"""The animation's view holds every position an agent reaches within this distance of the arena's
centre (in x and in y). An agent that runs farther is drawn as an arrow on the panel's edge."""

_ICON_PATHS = {  # the player's buttons, 16 x 16 SVG paths drawn in the button's text color
    "fa-play": "M4 2 14 8 4 14z",
    "fa-pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "fa-step-forward": "M2 2 11 8 2 14zM11 2h3v12h-3z",
    "fa-step-backward": "M14 2 5 8 14 14zM2 2h3v12H2z",
    "fa-fast-forward": "M0 2 6.5 8 0 14zM6.5 2 13 8 6.5 14zM13 2h3v12h-3z",
    "fa-fast-backward": "M16 2 9.5 8 16 14zM9.5 2 3 8 9.5 14zM0 2h3v12H0z",
    "fa-minus": "M2 7h12v2H2z",
    "fa-plus": "M7 2h2v5h5v2H9v5H7V9H2V7h5z",
}


def offline_player_html(html: str) -> str:
    """``anim.to_jshtml()`` without its one request to the internet.

    matplotlib's player links a Font Awesome style sheet on a CDN for the icons of its buttons.
    Offline the link fails (the buttons work, but blank, and the browser logs a failed request).
    This drops the link and draws the same icons with inline SVG masks instead.
    """
    from urllib.parse import quote

    stripped = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    rules = [".anim-buttons i.fa { display: inline-block; width: 1em; height: 1em; vertical-align: -0.125em;"
             " background-color: currentColor; -webkit-mask: var(--icon) center / contain no-repeat;"
             " mask: var(--icon) center / contain no-repeat; }",
             ".anim-buttons i.fa-flip-horizontal { transform: scaleX(-1); }"]
    for name, path in _ICON_PATHS.items():
        svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><path d='{path}'/></svg>"
        rules.append(f".anim-buttons i.{name} {{ --icon: url(\"data:image/svg+xml,{quote(svg)}\"); }}")
    return "<style>\n" + "\n".join(rules) + "\n</style>\n" + stripped


def _episode_animation_class():
    from matplotlib.animation import FuncAnimation

    class EpisodeAnimation(FuncAnimation):
        """A ``FuncAnimation`` whose HTML player works offline without asking the internet for a font."""

        def to_jshtml(self, fps=None, embed_frames=True, default_mode=None):
            return offline_player_html(super().to_jshtml(fps, embed_frames, default_mode))

    return EpisodeAnimation


def _view_half_width(runs) -> float:
    """Half-width of the animation's square view, centred on the arena's centre: it holds the
    landmarks, the start, and every agent position within :data:`VIEW_REACH`, plus room for a disc."""
    points = [np.concatenate([run[0]["landmark_pos"], run[0]["agent_pos"]]) for run in runs]
    for run in runs:
        path = np.array([s["agent_pos"] for s in run]).reshape(-1, 2)
        points.append(path[np.abs(path).max(axis=1) <= VIEW_REACH])
    return max(1.2, float(np.abs(np.concatenate(points)).max()) + AGENT_SIZE + 0.15)


def _boxes_overlap(a, b) -> float:
    """Overlap area of two boxes ``(x0, y0, x1, y1)``."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _place_label(point, radius, size, taken, lim):
    """Centre and box of a ``size = (w, h)`` label beside a disc of ``radius`` at ``point``: the first
    place (above, below, right, left, the four diagonals, then the same a step farther out) that stays
    in view and covers none of the boxes ``taken`` (with a small margin); else the least covering one."""
    (x, y), (w, h), gap, pad = point, size, 0.03, 0.03
    best = None
    for reach in (0.0, h + gap):
        dx, dy = radius + gap + reach + w / 2, radius + gap + reach + h / 2
        for ux, uy in [(0, 1), (0, -1), (1, 0), (-1, 0), (0.7, 0.7), (-0.7, 0.7), (0.7, -0.7), (-0.7, -0.7)]:
            cx, cy = x + ux * dx, y + uy * dy
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            padded = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
            outside = max(0.0, -lim - box[0], box[2] - lim, -lim - box[1], box[3] - lim)
            cost = sum(_boxes_overlap(padded, other) for other in taken) + 10 * outside + 1e-3 * reach
            if best is None or cost < best[0]:
                best = (cost, (cx, cy), box)
            if cost == 0:
                return best[1], best[2]
    return best[1], best[2]


def off_view(name: str) -> str:
    """The label of an agent drawn as an arrow on the panel's edge: "name (off view)"."""
    return _fig("{name} (off view)").format(name=name)


def step_title(title: str, step: int, last: int) -> str:
    """A panel's title in the animation: "title  (step t/25)"."""
    return _fig("{title}  (step {step}/{last})").format(title=title, step=step, last=last)


def animate_episodes(policies: dict, seed: int = 0, interval: int = 200, panel_size: float = 3.6,
                     dpi: int = 80):
    """One episode per policy, all from ``reset(seed=seed)``, animated side by side with trails.

    Every panel shows the same square view around the arena's centre, sized by
    :func:`_view_half_width`: the landmarks, the start and most of the play (every position
    within :data:`VIEW_REACH`). An agent that runs farther stays visible as an arrow on the
    panel's edge pointing its way, labelled "name (off view)", so one runaway agent cannot shrink
    the other teams into the centre. In every frame each agent's name goes beside its disc (above,
    below, to a side or a diagonal), wherever it covers no other label or disc.

    Args:
        policies: ``{panel title: policy}`` (policies as in :func:`rollout_scenes`).
        seed: the shared reset seed.
        interval: milliseconds between frames.
        panel_size: inches per panel.
        dpi: resolution of the frames (80 keeps ``to_jshtml`` output small).

    Returns:
        a ``matplotlib.animation.FuncAnimation`` of 26 frames (reset + 25 steps). Show it
        in a notebook with ``IPython.display.HTML(anim.to_jshtml())``; its player needs no internet
        (:func:`offline_player_html`). Extra attributes: ``anim.scenes`` (``{title: list of 26
        scene dicts}``), ``anim.view`` (the half-width of the square view) and ``anim.show_frame(t)``
        (draws frame ``t``; returns the axes). The artists of each panel: ``patches[2:5]`` the
        agents' discs, ``lines[0:3]`` their trails, ``lines[3:6]`` their off-view arrows,
        ``texts[2:5]`` their labels. The figure is closed so that a notebook does not also show it as a still.
    """
    import matplotlib.pyplot as plt

    if not policies:
        raise ValueError("animate_episodes needs at least one policy")
    scenes = {title: rollout_scenes(policy, seed) for title, policy in policies.items()}
    n_frames = EPISODE_LENGTH + 1
    lim = _view_half_width(list(scenes.values()))
    fig, axes = plt.subplots(1, len(scenes), figsize=(panel_size * len(scenes), panel_size + 0.3),
                             dpi=dpi, squeeze=False)
    axes = axes[0]
    paths = {}  # title -> (26, 3, 2) agent positions over the episode
    for ax, (title, run) in zip(axes, scenes.items()):
        paths[title] = np.array([s["agent_pos"] for s in run])
        draw_scene(ax, **run[0], trails=paths[title][:1], title=step_title(title, 0, n_frames - 1))
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        for name in AGENTS:  # off-view arrows, hidden while the agent is in view
            ax.plot([], [], ls="none", marker=(3, 0, 0), ms=10, color=AGENT_COLORS[name], zorder=6)
        for text in ax.texts[2:5]:
            text.set_verticalalignment("center")
    fig.tight_layout()

    # label sizes in data units, measured once (the same in every panel)
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()
    to_data = axes[0].transData.inverted()

    def size_of(text):
        box = text.get_window_extent(renderer).transformed(to_data)
        return box.width, box.height

    sizes = {}
    for a, (name, text) in enumerate(zip(AGENTS, axes[0].texts[2:5])):
        sizes[a, False] = size_of(text)
        text.set_text(off_view(name))
        sizes[a, True] = size_of(text)
        text.set_text(name)
    landmark_boxes = [[tuple(t.get_window_extent(renderer).transformed(ax.transData.inverted()).extents)
                       for t in ax.texts[:2]] for ax in axes]
    edge = lim - 0.12  # where an off-view agent's arrow sits

    def show_frame(t: int):
        # move the artists draw_scene made: patches[2:5] agents, lines trails, texts[2:5] agent labels
        for ax, (title, _), fixed in zip(axes, scenes.items(), landmark_boxes):
            pos = paths[title][t]
            away = np.abs(pos).max(axis=1) > lim - AGENT_SIZE / 2  # (3,) mostly out of the view
            shown = np.where(away[:, None], pos * (edge / np.abs(pos).max(axis=1, keepdims=True)), pos)
            discs = [(x - AGENT_SIZE, y - AGENT_SIZE, x + AGENT_SIZE, y + AGENT_SIZE)
                     for (x, y), off in zip(shown, away) if not off]
            taken = list(fixed) + discs
            for a, name in enumerate(AGENTS):
                ax.patches[2 + a].set_center(pos[a])
                ax.lines[a].set_data(paths[title][: t + 1, a, 0], paths[title][: t + 1, a, 1])
                arrow = ax.lines[3 + a]
                if away[a]:
                    angle = np.degrees(np.arctan2(pos[a, 1], pos[a, 0]))
                    arrow.set_data([shown[a, 0]], [shown[a, 1]])
                    arrow.set_marker((3, 0, angle - 90))
                else:
                    arrow.set_data([], [])
                mine = (shown[a, 0] - AGENT_SIZE, shown[a, 1] - AGENT_SIZE,
                        shown[a, 0] + AGENT_SIZE, shown[a, 1] + AGENT_SIZE)
                centre, box = _place_label(shown[a], 0.1 if away[a] else AGENT_SIZE, sizes[a, bool(away[a])],
                                           [b for b in taken if b != mine], lim)
                ax.texts[2 + a].set_text(off_view(name) if away[a] else name)
                ax.texts[2 + a].set_position(centre)
                taken.append(box)
            ax.set_title(step_title(title, t, n_frames - 1))
        return list(axes)

    show_frame(0)
    anim = _episode_animation_class()(fig, show_frame, frames=n_frames, interval=interval, blit=False)
    anim.scenes = scenes
    anim.view = lim
    anim.show_frame = show_frame
    plt.close(fig)
    return anim


def save_gif(anim, path, fps: int = 5) -> None:
    """Write ``anim`` to ``path`` as a GIF with matplotlib's PillowWriter."""
    from matplotlib.animation import PillowWriter

    anim.save(str(path), writer=PillowWriter(fps=fps))


# ----- the CTDE diagram ---------------------------------------------------------------------

_OBS_COLOR, _ACTOR_COLOR, _ACTION_COLOR, _CRITIC_COLOR = "#dbe9f6", "#fde0c5", "#e2f0d9", "#e8dcf0"


def _box(ax, xy, text, color, width=0.22, height=0.085, fontsize=10):
    """A rounded box centred at ``xy`` with ``text``; returns its (left, bottom, right, top)."""
    import matplotlib.patches as mpatches

    x, y = xy
    ax.add_patch(mpatches.FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                         boxstyle="round,pad=0.008,rounding_size=0.02",
                                         facecolor=color, edgecolor="0.3", lw=1.0, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return (x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def _arrow(ax, start, end, color="0.25", **kw):
    ax.annotate("", xy=end, xytext=start, zorder=1,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=1.1, shrinkA=0, shrinkB=0, **kw))


def _actor_column(ax, x, i, y_obs, y_actor, y_action):
    """o_i -> mu_i(o_i) -> a_i for agent i (1-based) at column ``x``; returns the three boxes."""
    obs = _box(ax, (x, y_obs), f"$o_{i}$", _OBS_COLOR, width=0.14)
    actor = _box(ax, (x, y_actor), _fig(r"actor $\mu_{i}(o_{i})$").format(i=i), _ACTOR_COLOR)
    action = _box(ax, (x, y_action), f"$a_{i}$", _ACTION_COLOR, width=0.14)
    _arrow(ax, (x, obs[3]), (x, actor[1]))
    _arrow(ax, (x, actor[3]), (x, action[1]))
    return obs, actor, action


def draw_info_flow(fig=None):
    """The information flow of centralized training with decentralized execution (CTDE).

    Left, training (the coach): three actors ``mu_i(o_i)`` and three critics ``Q_i``;
    every critic receives all observations ``o_1..o_3`` and all actions ``a_1..a_3``.
    Right, execution (the players): each actor maps its own ``o_i`` to its ``a_i``; the
    critics are not used.

    Args:
        fig: optional figure to draw on (two axes are added); a new 12 x 5 inch one by default.

    Returns:
        the figure.
    """
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(12, 5))
    ax_train, ax_exec = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1.25, 1], left=0.01, right=0.99,
                                                             bottom=0.02, top=0.88, wspace=0.08))
    xs = (0.2, 0.5, 0.8)
    y_obs, y_actor, y_action = 0.08, 0.3, 0.5

    # training: actors as below, plus the joint input and one critic per agent
    y_joint, y_critic = 0.7, 0.9
    joint = _box(ax_train, (0.5, y_joint), _fig(r"all observations $o_1, o_2, o_3$ + all actions $a_1, a_2, a_3$"),
                 "#f3f3f3", width=0.9, height=0.085)
    for i, x in enumerate(xs, start=1):
        obs, actor, action = _actor_column(ax_train, x, i, y_obs, y_actor, y_action)
        # o_i also goes to the joint input, passing to the right of its actor and action
        side = actor[2] + 0.035
        ax_train.plot([obs[2], side, side], [y_obs, y_obs, joint[1] - 0.04], color="tab:purple", lw=1.0,
                      ls="--", zorder=1)
        _arrow(ax_train, (side, joint[1] - 0.04), (side, joint[1]), color="tab:purple")
        _arrow(ax_train, (x, action[3]), (x, joint[1]))
        critic = _box(ax_train, (x, y_critic), _fig(r"critic $Q_{i}$").format(i=i), _CRITIC_COLOR, width=0.16)
        _arrow(ax_train, (x, joint[3]), (x, critic[1]), color="tab:purple")
    ax_train.text(0.5, -0.03, _fig("dashed: every observation also goes to every critic (only during training)"),
                  ha="center", va="center", fontsize=9, color="tab:purple")
    ax_train.set_title(_fig("training (centralized): the coach sees the whole match\n"
                            "each agent has its own critic $Q_i(o_1, o_2, o_3, a_1, a_2, a_3)$"), fontsize=11)

    # execution: only the actors
    for i, x in enumerate(xs, start=1):
        _actor_column(ax_exec, x, i, y_obs, y_actor, y_action)
    ax_exec.text(0.5, 0.8, _fig("no critics, no shared information:\n"
                                r"agent $i$ acts from its own $o_i$ only"), ha="center", va="center", fontsize=10,
                 color="0.35")
    ax_exec.set_title(_fig("execution (decentralized): each player decides alone\n"
                           r"$a_i = \mu_i(o_i)$"), fontsize=11)

    for ax in (ax_train, ax_exec):
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.06, 1)
        ax.axis("off")
    return fig
