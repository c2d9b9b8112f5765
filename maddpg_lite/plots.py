"""Pictures: return curves with baselines, and the simple_adversary scene."""

from __future__ import annotations

import numpy as np

from .env import AGENTS

AGENT_COLORS = {"adversary_0": "tab:red", "agent_0": "tab:blue", "agent_1": "tab:cyan"}


def smooth(values, window: int = 9) -> np.ndarray:
    """Moving average with a window that shrinks at the ends (same length as ``values``)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    half = window // 2
    return np.array([values[max(0, i - half): i + half + 1].mean() for i in range(len(values))])


def plot_returns(history, baselines=None, ax=None, title="MADDPG on simple_adversary"):
    """Mean greedy return per evaluation (faint) and smoothed (bold), with the random
    and no-op baselines as dotted and dashed lines. Returns the figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    fig = ax.figure
    episodes = [row["episode"] for row in history]
    for name in AGENTS:
        values = [row[name] for row in history]
        style = dict(color=AGENT_COLORS[name], ls="--" if name == "agent_1" else "-")
        ax.plot(episodes, values, alpha=0.25, **style)
        ax.plot(episodes, smooth(values), lw=2, label=name, **style)
    if baselines:
        for key, ls in [("random", ":"), ("noop", "-.")]:
            if key in baselines:
                for name in ("adversary_0", "agent_0"):
                    ax.axhline(baselines[key]["returns"][name], color=AGENT_COLORS[name], ls=ls, lw=1,
                               label=f"{key} policy: {'adversary' if name == 'adversary_0' else 'good agents'}")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xlabel("training episode")
    ax.set_ylabel("mean return per 25-step episode")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    return fig
