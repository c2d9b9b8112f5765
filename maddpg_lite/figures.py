"""Remake every picture in figures/: ``python -m maddpg_lite.figures`` (about 40 s).

* ``returns.png``: the full default run (seed 0) with the random and no-op baselines;
  its numbers go to ``results.json`` (the README quotes them from there);
* ``tau_panel.png``: Gumbel-softmax samples at several temperatures;
* ``scene.png``: the simple_adversary scene, labelled; ``info_flow.png``: CTDE's information flow;
* ``episode.gif`` and ``episode_first_frame.png``: the pretrained MADDPG agents next to random ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import pretrained, scene, widgets  # noqa: E402
from .config import Config  # noqa: E402
from .evaluation import EVAL_SEED, random_policy  # noqa: E402
from .plots import plot_returns  # noqa: E402
from .training import train  # noqa: E402

FIGURES = Path(__file__).resolve().parent.parent / "figures"


def save(fig, name: str, out: Path) -> None:
    fig.savefig(out / name, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print("wrote", out / name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.figures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FIGURES, help="output folder")
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    result = train(Config(), progress=False)
    s = result.summary
    save(plot_returns(result.history, s["baselines"], title="MADDPG on simple_adversary (5000 episodes, seed 0)"),
         "returns.png", out)
    results = {k: s[k] for k in ("final_returns", "final_returns_std", "deception", "baselines", "eval_episodes",
                                 "env_steps", "update_rounds", "wall_seconds", "config")}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("wrote", out / "results.json")

    save(widgets.tau_panel_figure(), "tau_panel.png", out)
    save(scene.draw_info_flow(), "info_flow.png", out)
    fig, ax = plt.subplots(figsize=(5, 5))
    env_scene = scene.rollout_scenes(random_policy(0), seed=EVAL_SEED)[0]
    scene.draw_scene(ax, **env_scene, title="simple_adversary: reset(seed)")
    save(fig, "scene.png", out)

    agent = pretrained.load("maddpg_seed0")
    anim = scene.animate_episodes({"pretrained MADDPG": agent, "random policy": random_policy(0)}, seed=EVAL_SEED)
    scene.save_gif(anim, out / "episode.gif")
    print("wrote", out / "episode.gif")
    anim._func(len(scene.rollout_scenes(agent, EVAL_SEED)) - 1)
    save(anim._fig, "episode_last_frame.png", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
