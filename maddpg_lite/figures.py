"""Remake every picture in figures/: ``python -m maddpg_lite.figures`` (about a minute on the 2-core CPU:
it trains the full default run).

* ``returns.png``: the full default run (seed 0) with the random and no-op baselines (and ``returns.zh_CN.png``,
  the same curves with Chinese text, for the Chinese lesson 05);
  its numbers go to ``results.json`` (the README quotes them from there);
* ``tau_panel.png``: Gumbel-softmax samples at several temperatures;
* ``scene.png``: the simple_adversary scene, labelled; ``info_flow.png``: CTDE's information flow;
  ``update_round.png``: one MADDPG update round (lesson 04);
* ``episode.gif`` and ``episode_last_frame.png``: the pretrained MADDPG agents next to random ones
  (the first evaluation episode; the still shows where everyone ends after 25 steps).

It then rewrites the results block of README.md (between :data:`BEGIN` and :data:`END`)
from ``figures/results.json`` and the study's shipped results, so every number the
README quotes comes from a file a command in this repo wrote, and the same block in Chinese in
README.zh-CN.md (its prose and labels are messages of the package's catalog, see :mod:`maddpg_lite.i18n`).
``--readme-only`` redoes just that step (no training); ``tests/test_readme.py`` checks both blocks are up to date.
"""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import paths, plots, pretrained, scene, widgets  # noqa: E402
from .config import Config  # noqa: E402
from .env import AGENTS, RATE_LABELS  # noqa: E402
from .evaluation import EVAL_SEED, random_policy  # noqa: E402
from .i18n import N_, _fig, language, set_language  # noqa: E402
from .i18n import _ as _current  # noqa: E402
from .paths import REPO_ROOT
from .plots import plot_returns  # noqa: E402
from .training import train  # noqa: E402

ROOT = REPO_ROOT
FIGURES = ROOT / "figures"
README = ROOT / "README.md"
README_ZH = ROOT / "README.zh-CN.md"
"""The Chinese README: the same results block, in Chinese (:func:`update_readme`)."""
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


def results_markdown(run: dict, study: dict, paper: dict | None, six: dict | None = None, *,
                     translate=None) -> str:
    """The README's results block, from ``figures/results.json`` (``run``), the study's
    ``study_results.json``, the paper study's ``paper_table.json`` and the six-game study's
    ``six_games_table.json`` (None: not run yet). Deterministic: same files, same text.
    In the current language (:func:`~maddpg_lite.i18n.set_language`): README.md has the English block,
    README.zh-CN.md the Chinese one (:func:`results_markdown_in`). ``translate`` translates the block's own
    messages (default :func:`maddpg_lite.i18n._`)."""

    _ = translate or _current
    cfg = run["config"]
    rate_labels = list(RATE_LABELS.values())  # env.Labels: in the language the package speaks
    lines = [
        "![" + _("MADDPG return curves with the random and no-op baselines") + "](figures/returns.png)",
        "",
        _("**One run of the source's recipe** (`python -m maddpg_lite.train`, seed {seed}, {episodes} episodes = "
          "{env_steps} environment steps, {update_rounds} update rounds). Greedy evaluation on the same "
          "{eval_episodes} fixed-seed episodes for every row; returns are per 25-step episode, rates are measured "
          "at the last step (\"on\" = centres within 0.23, the discs touch):").format(
            seed=cfg["seed"], episodes=cfg["episodes"], env_steps=f"{run['env_steps']:,}",
            update_rounds=run["update_rounds"], eval_episodes=run["eval_episodes"]),
        "",
        "| " + _("policy") + " | adversary_0 | agent_0 | agent_1 | " + " | ".join(rate_labels) + " |",
        "|---" * (4 + len(RATE_LABELS)) + "|",
    ]
    rows = [(_("MADDPG, trained"), run["final_returns"], run["deception"])]
    rows += [(_(BASELINE_NAMES[name]) if name in BASELINE_NAMES else f"{name} policy", b["returns"], b["deception"])
             for name, b in run["baselines"].items()]
    for label, returns, rates in rows:
        lines.append(f"| {label} | " + " | ".join(f"{returns[a]:+.2f}" for a in AGENTS) + " | "
                     + " | ".join(_pct(rates[k]) for k in RATE_LABELS) + " |")

    def distances(h: dict) -> str:
        return f"{h['adversary_to_target']:.2f} / {h['adversary_to_decoy']:.2f} / {h['adversary_to_midpoint']:.2f}"

    lines += ["", _("Where the adversary ends, on average over the same episodes (distance to the target / the decoy / "
                    "the midpoint between them): trained {trained}; random {random}.").format(
        trained=distances(run["hedging"]), random=distances(run["baselines"]["random"]["hedging"]))]
    summary = study["summary"]
    seeds = study["seeds"]
    mm, dd = summary["maddpg vs maddpg"], summary["ddpg vs ddpg"]
    lines += [
        "",
        _("**Ten seeds, MADDPG against independent DDPG** (`python -m maddpg_lite.study`, seeds {first}-{last}, "
          "the same recipe; mean over seeds with a {level} confidence interval; the mixed rows put one method's "
          "good agents against the other method's adversary of the same seed):").format(
            first=seeds[0], last=seeds[-1], level="95%"),
        "",
        "| " + _("good agents vs adversary") + " | adversary_0 | agent_0 = agent_1 | " + " | ".join(rate_labels)
        + " |",
        "|---" * (3 + len(RATE_LABELS)) + "|",
    ]
    for pairing in ["maddpg vs maddpg", "ddpg vs ddpg", "maddpg vs ddpg", "ddpg vs maddpg"]:
        st = summary[pairing]
        good, adv = (METHOD_NAMES[m] for m in pairing.split(" vs "))
        lines.append(f"| {good} vs {adv} | {_ci(st['return_adversary_0'])} | {_ci(st['return_agent_0'])} | "
                     + " | ".join(_ci({k: 100 * v for k, v in st[key].items() if k != 'n'}, '{:.0f}') + "%"
                                  for key in RATE_LABELS) + " |")
    lines += ["", _("Paired by seed (the same seed's runs, so the spread between seeds cancels), mean difference "
                    "of returns with its {level} confidence interval:").format(level="95%"), ""]
    paired = {"adversary_0": N_("adversary, MADDPG minus DDPG, against the {method} good agents: {difference}, "
                                "MADDPG ahead on {ahead} of {n} seeds"),
              "agent_0": N_("good agents, MADDPG minus DDPG, against the {method} adversary: {difference}, "
                            "MADDPG ahead on {ahead} of {n} seeds")}
    for role, sentence in paired.items():
        for fixed in ("maddpg", "ddpg"):
            d = paired_difference(study, role, fixed)
            lines.append("- " + _(sentence).format(method=METHOD_NAMES[fixed], difference=_ci(d), ahead=d["ahead"],
                                                   n=d["n"]))
    from .study import adversary_episodes_to_random

    def spread(values) -> str:
        reached = [v for v in values if v is not None]
        never = _(", never in {count}").format(count=len(values) - len(reached)) if len(reached) < len(values) else ""
        return _("median {median} (from {low} to {high}{never})").format(
            median=f"{np.median(reached):.0f}", low=min(reached), high=max(reached), never=never)

    ett = {m: [r["episodes_to_threshold"] for r in sorted(study["rows"], key=lambda r: r["seed"])
               if r["good_team"] == r["adversary"] == m] for m in METHOD_NAMES}
    lines += ["", _("Convergence, in training episodes until the smoothed greedy return stays above a threshold for "
                    "good: the adversary above the random adversary's return, MADDPG {adversary_maddpg}, DDPG "
                    "{adversary_ddpg}; the good agents above 0, MADDPG {good_maddpg}, DDPG {good_ddpg} (a measure that "
                    "says little here: a random team already scores above 0, and the first evaluation comes before "
                    "the first update round).").format(
        adversary_maddpg=spread(adversary_episodes_to_random(study, "maddpg")),
        adversary_ddpg=spread(adversary_episodes_to_random(study, "ddpg")),
        good_maddpg=spread(ett["maddpg"]), good_ddpg=spread(ett["ddpg"]))]
    lines += [
        "",
        _("MADDPG's runs took {maddpg} s each on average, DDPG's {ddpg} s (two runs at a time on the 2-core machine; "
          "the whole study {minutes} min).").format(
            maddpg=f"{mm['wall_seconds']['mean']:.0f}", ddpg=f"{dd['wall_seconds']['mean']:.0f}",
            minutes=f"{study['study_wall_seconds'] / 60:.1f}"),
    ]
    if paper is not None:
        from .paper import table_markdown

        lines += [
            "",
            _("**The MADDPG paper's setup, ingredient by ingredient** (`python -m maddpg_lite.paper`: MADDPG and "
              "independent DDPG under the book's recipe and the factorial {{one-hot, soft actions}} x {{-d, -d^2 "
              "adversary reward}} on top of the paper's other ingredients; success as the paper's replication reads "
              "it, at the last frame within 0.4 of the target; mean over seeds [{level} interval, clipped to 0-100]; "
              "{finished} of {planned} runs finished, {cpu_minutes} CPU-minutes):").format(
                level="95%", finished=paper["runs_finished"], planned=paper["runs_planned"],
                cpu_minutes=f"{paper['cpu_minutes']:.0f}"),
            "",
            table_markdown(paper).rstrip("\n"),
        ]
    if six is not None:
        from .six_games import table_markdown as six_table

        lines += [
            "",
            _("**The paper's six games** (`python -m maddpg_lite.six_games`: MADDPG and independent DDPG with the "
              "book's recipe, 5000 episodes, seeds {first}-{last}; mean over seeds [{level} interval]; random and "
              "no-op policies on the same 1000 fixed episodes; the last column names a method only where the two "
              "intervals do not overlap; {finished} of {planned} runs, {cpu_minutes} CPU-minutes of "
              "training):").format(
                first=six["seeds"][0], last=six["seeds"][-1], level="95%", finished=six["runs_finished"],
                planned=six["runs_planned"], cpu_minutes=f"{six['cpu_minutes']:.0f}"),
            "",
            "![" + _("Mean return per team on the six games, MADDPG and DDPG with {level} intervals, random and "
                     "no-op").format(level="95%") + "](figures/six_games.png)",
            "",
            six_table(six).rstrip("\n"),
        ]
    return "\n".join(lines)


@contextmanager
def _speaking(lang: str):
    """Speak ``lang`` inside the block; the language spoken before, and matplotlib's settings (which
    :func:`~maddpg_lite.i18n.set_language` changes for Chinese figure text), come back after."""
    previous = language()
    with matplotlib.rc_context():
        set_language(lang)
        try:
            yield
        finally:
            set_language(previous)


def results_markdown_in(lang: str, *results) -> str:
    """:func:`results_markdown` of ``results`` in ``lang`` (``"en"`` or ``"zh_CN"``)."""
    with _speaking(lang):
        return results_markdown(*results)


def untranslated_messages(lang: str, *results) -> list[str]:
    """The messages of the results block (its own, not those of the tables it includes) that ``lang``'s
    compiled catalog leaves in English."""
    missing = []

    def recording(message: str) -> str:
        text = _current(message)
        if text == message:
            missing.append(message)
        return text

    with _speaking(lang):
        results_markdown(*results, translate=recording)
    return list(dict.fromkeys(missing))


BASELINE_NAMES = {"random": N_("random policy"), "noop": N_("no-op policy")}
"""The rows of the baselines in the results block (other baselines: ``"<name> policy"``)."""


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
        raise ValueError(f"the README has no results block: it needs the lines {BEGIN!r} and {END!r}")
    return readme[: start + len(BEGIN)] + "\n" + block + "\n" + readme[end:]


def update_readme(readme: Path = README, figures: Path = FIGURES, readme_zh: Path = README_ZH) -> None:
    """Rewrite the results block of README.md (English) and of README.zh-CN.md (Chinese, through the compiled
    catalog ``maddpg_lite/locale/zh_CN/LC_MESSAGES/maddpg_lite.mo``)."""
    results = load_shipped_results(figures)
    english = results_markdown_in("en", *results)
    readme.write_text(readme_with_results(readme.read_text(), english))
    print("wrote the results block of", readme)
    missing = untranslated_messages("zh_CN", *results)
    if missing:
        print(f"did not rewrite {readme_zh.name}: the compiled Chinese catalog lacks {len(missing)} of the results "
              f"block's messages, e.g. {missing[0][:60]!r} (python -m maddpg_lite.translate compiles "
              "maddpg_lite/locale/zh_CN/LC_MESSAGES/maddpg_lite.mo from maddpg_lite.po)")
        return
    chinese = results_markdown_in("zh_CN", *results)
    readme_zh.write_text(readme_with_results(readme_zh.read_text(), chinese))
    print("wrote the results block of", readme_zh)


RETURNS_FIGURES = {"en": "returns.png", "zh_CN": "returns.zh_CN.png"}
"""The full run's return curves, one picture per edition (the Chinese lesson 05 shows the Chinese one)."""


def save_returns_figures(history, baselines, out: Path) -> None:
    """Draw the full default run's return curves once per language into ``out`` (:data:`RETURNS_FIGURES`)."""
    for lang, name in RETURNS_FIGURES.items():
        with _speaking(lang):
            title = _fig("MADDPG on simple_adversary ({episodes} episodes, seed {seed})").format(
                episodes=Config().episodes, seed=Config().seed)
            save(plot_returns(history, baselines, title=title), name, out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.figures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FIGURES, help="output folder")
    parser.add_argument("--readme-only", action="store_true",
                        help="only rewrite the results block of README.md and README.zh-CN.md from the shipped "
                             "results (no training)")
    args = parser.parse_args(argv)
    if not paths.in_checkout():
        return paths.refuse_outside_checkout(parser.prog, "rewrites figures/ and the results blocks of README.md and "
                                                           "README.zh-CN.md")
    if args.readme_only:
        update_readme(figures=args.out)
        return 0
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    result = train(Config(), progress=False)
    s = result.summary
    save_returns_figures(result.history, s["baselines"], out)
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
