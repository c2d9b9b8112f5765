"""Remake every picture in figures/: ``python -m maddpg_lite.figures`` (about a minute on the 2-core CPU:
it trains the full default run).

* ``returns.png``: the full default run (seed 0) with the random and no-op baselines;
  its numbers go to ``results.json`` (the README quotes them from there);
* ``tau_panel.png``: Gumbel-softmax samples at several temperatures;
* ``scene.png``: the simple_adversary scene, labelled; ``info_flow.png``: CTDE's information flow;
  ``update_round.png``: one MADDPG update round (lesson 04);
* ``episode.gif`` and ``episode_last_frame.png``: the pretrained MADDPG agents next to random ones
  (the first evaluation episode; the still shows where everyone ends after 25 steps).

It then rewrites the results block of README.md (between :data:`BEGIN` and :data:`END`)
from ``figures/results.json`` and the study's shipped results, so every number the
README quotes comes from a file a command in this repo wrote. ``--readme-only`` redoes
just that step (no training); ``tests/test_readme.py`` checks the block is up to date.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import plots, pretrained, scene, widgets  # noqa: E402
from .config import Config  # noqa: E402
from .env import AGENTS, RATE_LABELS  # noqa: E402
from .evaluation import EVAL_SEED, random_policy  # noqa: E402
from .paths import REPO_ROOT
from .plots import plot_returns  # noqa: E402
from .training import train  # noqa: E402

ROOT = REPO_ROOT
FIGURES = ROOT / "figures"
README = ROOT / "README.md"
BEGIN = ("<!-- results: written by `python -m maddpg_lite.figures` from figures/results.json and maddpg_lite/data; "
         "do not edit by hand -->")
END = "<!-- end of results -->"


def save(fig, name: str, out: Path) -> None:
    fig.savefig(out / name, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print("wrote", out / name)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _ci(stats: dict, fmt: str = "{:+.2f}") -> str:
    """``mean [low, high]`` of a :func:`~maddpg_lite.study.mean_ci` dict."""
    return f"{fmt.format(stats['mean'])} [{fmt.format(stats['low'])}, {fmt.format(stats['high'])}]"


def results_markdown(run: dict, study: dict, paper: dict | None, six: dict | None = None) -> str:
    """The README's results block, from ``figures/results.json`` (``run``), the study's
    ``study_results.json``, the paper study's ``paper_table.json`` and the six-game study's
    ``six_games_table.json`` (None: not run yet). Deterministic: same files, same text."""

    cfg = run["config"]
    lines = [
        "![MADDPG return curves with the random and no-op baselines](figures/returns.png)",
        "",
        f"**One run of the source's recipe** (`python -m maddpg_lite.train`, seed {cfg['seed']}, "
        f"{cfg['episodes']} episodes = {run['env_steps']:,} environment steps, {run['update_rounds']} update "
        f"rounds). Greedy evaluation on the same {run['eval_episodes']} fixed-seed episodes for every row; "
        "returns are per 25-step episode, rates are measured at the last step "
        "(\"on\" = centres within 0.23, the discs touch):",
        "",
        "| policy | adversary_0 | agent_0 | agent_1 | " + " | ".join(RATE_LABELS.values()) + " |",
        "|---" * (4 + len(RATE_LABELS)) + "|",
    ]
    rows = [("MADDPG, trained", run["final_returns"], run["deception"])]
    rows += [(f"{ {'noop': 'no-op'}.get(name, name)} policy", b["returns"], b["deception"])
             for name, b in run["baselines"].items()]
    for label, returns, rates in rows:
        lines.append(f"| {label} | " + " | ".join(f"{returns[a]:+.2f}" for a in AGENTS) + " | "
                     + " | ".join(_pct(rates[k]) for k in RATE_LABELS) + " |")
    hedging = [("trained", run["hedging"]), ("random", run["baselines"]["random"]["hedging"])]
    lines += ["", "Where the adversary ends, on average over the same episodes (distance to the target / the decoy / "
              "the midpoint between them): " + "; ".join(
                  f"{label} {h['adversary_to_target']:.2f} / {h['adversary_to_decoy']:.2f} / "
                  f"{h['adversary_to_midpoint']:.2f}"
                  for label, h in hedging) + "."]
    summary = study["summary"]
    seeds = study["seeds"]
    mm, dd = summary["maddpg vs maddpg"], summary["ddpg vs ddpg"]
    lines += [
        "",
        f"**Ten seeds, MADDPG against independent DDPG** (`python -m maddpg_lite.study`, seeds "
        f"{seeds[0]}-{seeds[-1]}, the same recipe; mean over seeds with a 95% confidence interval; the mixed rows "
        "put one method's good agents against the other method's adversary of the same seed):",
        "",
        "| good agents vs adversary | adversary_0 | agent_0 = agent_1 | " + " | ".join(RATE_LABELS.values()) + " |",
        "|---" * (3 + len(RATE_LABELS)) + "|",
    ]
    for pairing in ["maddpg vs maddpg", "ddpg vs ddpg", "maddpg vs ddpg", "ddpg vs maddpg"]:
        st = summary[pairing]
        good, adv = (METHOD_NAMES[m] for m in pairing.split(" vs "))
        lines.append(f"| {good} vs {adv} | {_ci(st['return_adversary_0'])} | {_ci(st['return_agent_0'])} | "
                     + " | ".join(_ci({k: 100 * v for k, v in st[key].items() if k != 'n'}, '{:.0f}') + "%"
                                  for key in RATE_LABELS) + " |")
    lines += ["", "Paired by seed (the same seed's runs, so the spread between seeds cancels), mean difference "
              "of returns with its 95% confidence interval:", ""]
    for role, _ in [("adversary_0", "agent_0"), ("agent_0", "adversary_0")]:
        for fixed in ("maddpg", "ddpg"):
            d = paired_difference(study, role, fixed)
            who = "adversary" if role == "adversary_0" else "good agents"
            against = "good agents" if role == "adversary_0" else "adversary"
            lines.append(f"- {who}, MADDPG minus DDPG, against the {METHOD_NAMES[fixed]} {against}: "
                         f"{_ci(d)}, MADDPG ahead on {d['ahead']} of {d['n']} seeds")
    from .study import adversary_episodes_to_random

    def spread(values) -> str:
        reached = [v for v in values if v is not None]
        never = f", never in {len(values) - len(reached)}" if len(reached) < len(values) else ""
        return f"median {np.median(reached):.0f} (from {min(reached)} to {max(reached)}{never})"

    ett = {m: [r["episodes_to_threshold"] for r in sorted(study["rows"], key=lambda r: r["seed"])
               if r["good_team"] == r["adversary"] == m] for m in METHOD_NAMES}
    lines += ["", "Convergence, in training episodes until the smoothed greedy return stays above a threshold for "
              "good: the adversary above the random adversary's return, MADDPG "
              f"{spread(adversary_episodes_to_random(study, 'maddpg'))}, DDPG "
              f"{spread(adversary_episodes_to_random(study, 'ddpg'))}; the good agents above 0, MADDPG "
              f"{spread(ett['maddpg'])}, DDPG {spread(ett['ddpg'])} (a measure that says little here: a random "
              "team already scores above 0, and the first evaluation comes before the first update round)."]
    lines += [
        "",
        f"MADDPG's runs took {mm['wall_seconds']['mean']:.0f} s each on average, DDPG's "
        f"{dd['wall_seconds']['mean']:.0f} s (two runs at a time on the 2-core machine; "
        f"the whole study {study['study_wall_seconds'] / 60:.1f} min).",
    ]
    if paper is not None:
        from .paper import table_markdown

        lines += [
            "",
            "**The MADDPG paper's setup, ingredient by ingredient** (`python -m maddpg_lite.paper`: MADDPG and "
            "independent DDPG under the book's recipe and the factorial {one-hot, soft actions} x {-d, -d^2 adversary "
            "reward} on top of the paper's other ingredients; success as the paper's replication reads it, at the last "
            "frame within 0.4 of the target; mean over seeds [95% interval, clipped to 0-100]; "
            f"{paper['runs_finished']} of {paper['runs_planned']} runs finished, "
            f"{paper['cpu_minutes']:.0f} CPU-minutes):",
            "",
            table_markdown(paper).rstrip("\n"),
        ]
    if six is not None:
        from .six_games import table_markdown as six_table

        lines += [
            "",
            "**The paper's six games** (`python -m maddpg_lite.six_games`: MADDPG and independent DDPG with the book's "
            f"recipe, 5000 episodes, seeds {six['seeds'][0]}-{six['seeds'][-1]}; mean over seeds [95% interval]; "
            "random "
            "and no-op policies on the same 1000 fixed episodes; the last column names a method only where the two "
            f"intervals do not overlap; {six['runs_finished']} of {six['runs_planned']} runs, "
            f"{six['cpu_minutes']:.0f} CPU-minutes of training):",
            "",
            "![Mean return per team on the six games, MADDPG and DDPG with 95% intervals, random and no-op]"
            "(figures/six_games.png)",
            "",
            six_table(six).rstrip("\n"),
        ]
    return "\n".join(lines)


METHOD_NAMES = {"maddpg": "MADDPG", "ddpg": "DDPG"}


def paired_difference(study: dict, role: str, fixed: str) -> dict:
    """Per seed, ``role``'s return (``"adversary_0"`` or ``"agent_0"``) when MADDPG plays that role
    minus when DDPG does, the other role played by method ``fixed`` of the same seed.

    Returns:
        :func:`~maddpg_lite.study.mean_ci` of the differences, plus ``"ahead"``: seeds where MADDPG's is higher.
    """
    from .study import mean_ci

    rows = {(r["good_team"], r["adversary"], r["seed"]): r for r in study["rows"]}
    key = (lambda m, s: (fixed, m, s)) if role == "adversary_0" else (lambda m, s: (m, fixed, s))
    diffs = [rows[key("maddpg", s)][f"return_{role}"] - rows[key("ddpg", s)][f"return_{role}"] for s in study["seeds"]]
    return {**mean_ci(diffs), "ahead": sum(d > 0 for d in diffs)}


def load_shipped_results(figures: Path = FIGURES) -> tuple[dict, dict, dict | None, dict | None]:
    """``(run, study, paper, six)``: figures/results.json, the study's, the paper study's and the six-game
    study's shipped tables (None where not shipped)."""
    from .paper import DATA_DIR as PAPER_DIR
    from .six_games import DATA_DIR as SIX_DIR
    from .study import load_results

    def table(path: Path):
        return json.loads(path.read_text()) if path.is_file() else None

    run = json.loads((figures / "results.json").read_text())
    return run, load_results(), table(PAPER_DIR / "paper_table.json"), table(SIX_DIR / "six_games_table.json")


def readme_with_results(readme: str, block: str) -> str:
    """``readme`` with the text between :data:`BEGIN` and :data:`END` replaced by ``block``."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no results block: it needs the lines {BEGIN!r} and {END!r}")
    return readme[: start + len(BEGIN)] + "\n" + block + "\n" + readme[end:]


def update_readme(readme: Path = README, figures: Path = FIGURES) -> None:
    readme.write_text(readme_with_results(readme.read_text(), results_markdown(*load_shipped_results(figures))))
    print("wrote the results block of", readme)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.figures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FIGURES, help="output folder")
    parser.add_argument("--readme-only", action="store_true",
                        help="only rewrite README.md's results block from the shipped results (no training)")
    args = parser.parse_args(argv)
    if args.readme_only:
        update_readme(figures=args.out)
        return 0
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    result = train(Config(), progress=False)
    s = result.summary
    save(plot_returns(result.history, s["baselines"], title="MADDPG on simple_adversary (5000 episodes, seed 0)"),
         "returns.png", out)
    results = {k: s[k] for k in ("final_returns", "final_returns_std", "deception", "hedging", "baselines",
                                 "eval_episodes",
                                 "env_steps", "update_rounds", "wall_seconds", "config")}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("wrote", out / "results.json")

    save(widgets.tau_panel_figure(), "tau_panel.png", out)
    save(scene.draw_info_flow(), "info_flow.png", out)
    save(plots.draw_update_round(), "update_round.png", out)
    fig, ax = plt.subplots(figsize=(5, 5))
    env_scene = scene.rollout_scenes(random_policy(0), seed=EVAL_SEED)[0]
    scene.draw_scene(ax, **env_scene, title=f"simple_adversary after reset(seed={EVAL_SEED})")
    save(fig, "scene.png", out)

    agent = pretrained.load("maddpg_seed0")
    anim = scene.animate_episodes({"pretrained MADDPG": agent, "random policy": random_policy(0)}, seed=EVAL_SEED)
    scene.save_gif(anim, out / "episode.gif")
    print("wrote", out / "episode.gif")
    anim._func(len(scene.rollout_scenes(agent, EVAL_SEED)) - 1)
    save(anim._fig, "episode_last_frame.png", out)
    if out == FIGURES:
        update_readme()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
