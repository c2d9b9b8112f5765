"""Pretrained checkpoints shipped with the package, so a class can watch trained agents
without training. Remake them all with ``python -m maddpg_lite.pretrained`` (about 3
minutes on a 2-core CPU); each stores the config it was trained with and the greedy
evaluation returns it reached, which ``tests/test_pretrained.py`` reproduces.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .config import PRESETS, Config
from .evaluation import env_kwargs, evaluate
from .maddpg import MADDPG

DATA_DIR = Path(__file__).parent / "data"

RECIPES = {
    "maddpg_seed0": dict(seed=0, centralized=True),
    "ddpg_seed0": dict(seed=0, centralized=False),
    "maddpg_long_seed0": dict(seed=0, centralized=True, episodes=20_000),
    "maddpg_paper_seed0": {**PRESETS["paper"], "seed": 0, "centralized": True},
    "maddpg_spread_seed0": dict(scenario="simple_spread_v3", seed=0, centralized=True),
    "maddpg_tag_seed0": dict(scenario="simple_tag_v3", seed=0, centralized=True),
}
"""Name -> Config overrides of the source recipe."""

RECORDED_EPISODES = 500
"""Fixed-seed greedy episodes whose mean returns are recorded in each checkpoint."""


def path(name: str) -> Path:
    if name not in RECIPES:
        raise ValueError(f"unknown pretrained checkpoint {name!r}; choose one of {sorted(RECIPES)}")
    return DATA_DIR / f"{name}.pt"


def load(name: str) -> MADDPG:
    """The pretrained MADDPG (or DDPG) called ``name``, e.g. ``load("maddpg_seed0")``."""
    return MADDPG.load(path(name))


def recorded(name: str) -> dict:
    """What was stored with the checkpoint: ``config``, ``returns`` (mean greedy return per
    agent over :data:`RECORDED_EPISODES` fixed-seed episodes), ``metrics`` (the game's, at the
    last step) and ``metrics_over_frames``; simple_adversary's also ``deception`` and ``hedging``."""
    return MADDPG.read_checkpoint(path(name))["extra"]


def make(name: str) -> dict:
    """Train recipe ``name`` from scratch and save it (without target networks)."""
    from .training import train

    config = Config(**RECIPES[name])
    result = train(config, progress=False)
    measured = evaluate(result.maddpg, RECORDED_EPISODES, env_kwargs=env_kwargs(config))
    DATA_DIR.mkdir(exist_ok=True)
    groups = {g: measured[g] for g in result.summary["metric_groups"] if g != "metrics"}  # deception, hedging
    result.maddpg.save(path(name), targets=False, config=config.to_dict(), returns=measured["returns"],
                       metrics=measured["metrics"], metrics_over_frames=measured["metrics_over_frames"], **groups,
                       episodes=RECORDED_EPISODES, wall_seconds=result.summary["wall_seconds"])
    return measured


def main(argv=None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(RECIPES)
    for name in names:
        measured = make(name)
        print(name, {k: round(v, 3) for k, v in measured["returns"].items()}, f"-> {path(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
