"""Pretrained checkpoints shipped with the package, so a class can watch trained agents
without training. Remake them all with ``python -m maddpg_lite.pretrained`` (about 3
minutes on a 2-core CPU); each stores the config it was trained with and the greedy
evaluation returns it reached, which ``tests/test_pretrained.py`` reproduces within
:data:`~maddpg_lite.evaluation.REPLAY_TOLERANCE` (``python -m maddpg_lite.pretrained
--perturbation 1e-5`` measures how far another computer's rounding can move them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from . import paths
from .config import PRESETS, Config, env_kwargs
from .evaluation import REPLAY_TOLERANCE, evaluate, largest_difference
from .maddpg import MADDPG, perturb_weights

DATA_DIR = paths.DATA_DIR

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


RECORDED_KEYS = ("returns", "deception", "hedging", "metrics", "metrics_over_frames")
"""What a checkpoint may record of its evaluation (each records the keys its game has)."""


def replay(name: str, agent: MADDPG | None = None) -> tuple[dict, dict]:
    """``(recorded, measured)``: what checkpoint ``name`` recorded of its evaluation and the same
    evaluation measured now with ``agent`` (default: the checkpoint's own networks), each restricted
    to :data:`RECORDED_KEYS`; compare them with :func:`~maddpg_lite.evaluation.largest_difference`."""
    rec = recorded(name)
    config = Config(**rec["config"])
    measured = evaluate(agent or load(name), rec["episodes"], env_kwargs=env_kwargs(config))  # its own game
    keys = [k for k in RECORDED_KEYS if k in rec]
    return {k: rec[k] for k in keys}, {k: measured[k] for k in keys}


def perturbation_study(size: float, draws: int, names=tuple(RECIPES)) -> dict[str, tuple[str, float]]:
    """For each checkpoint, the largest change of a recorded value over ``draws`` evaluations with
    every weight multiplied by ``1 + size * z`` (perturbation seeds 0 .. draws-1): ``{name: (where, change)}``.
    What :data:`~maddpg_lite.evaluation.REPLAY_TOLERANCE` is set from."""
    worst = {}
    for name in names:
        worst[name] = ("", 0.0)
        for seed in range(draws):
            state = MADDPG.read_checkpoint(path(name))
            perturb_weights(state, size, seed)
            agent = MADDPG.from_checkpoint(state, path(name))
            rec, measured = replay(name, agent)
            worst[name] = max(worst[name], largest_difference(measured, rec), key=lambda d: d[1])
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m maddpg_lite.pretrained",
        description="Remake the shipped checkpoints (all, or the NAMEs given), or with --perturbation measure "
                    "how far their recorded evaluations move when every weight is perturbed.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"checkpoints: {', '.join(RECIPES)}")
    parser.add_argument("--perturbation", type=float, metavar="SIZE",
                        help="measure, do not train: weights times 1 + SIZE * normal draw, e.g. 1e-5")
    parser.add_argument("--draws", type=int, default=10, help="perturbation draws per checkpoint (default 10)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in RECIPES]
    if unknown:
        parser.exit(2, f"unknown pretrained checkpoint {unknown[0]!r}; choose from {', '.join(RECIPES)}\n")
    names = args.names or list(RECIPES)
    if args.perturbation is not None:
        if not args.perturbation > 0 or args.draws < 1:
            parser.exit(2, f"--perturbation must be > 0 and --draws >= 1, got --perturbation {args.perturbation} "
                           f"--draws {args.draws}\n")
        torch.set_num_threads(1)
        worst = perturbation_study(args.perturbation, args.draws, names)
        print(f"largest change of a recorded value over {args.draws} draws of weights x (1 + {args.perturbation:g} z):")
        for name, (where, change) in worst.items():
            print(f"  {name:20s} {change:.3g}  ({where or 'nothing changed'})")
        print(f"all checkpoints: {max(c for _, c in worst.values()):.3g}; "
              f"evaluation.REPLAY_TOLERANCE = {REPLAY_TOLERANCE}")
        return 0
    from . import paths

    if not paths.in_checkout():  # remaking writes the package's shipped checkpoints
        return paths.refuse_outside_checkout(parser.prog, "rewrites the shipped checkpoints in maddpg_lite/data/")
    for name in names:
        measured = make(name)
        print(name, {k: round(v, 3) for k, v in measured["returns"].items()}, f"-> {path(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
