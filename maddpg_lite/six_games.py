"""The six games of the MADDPG paper, measured: ``python -m maddpg_lite.six_games``.

MADDPG and independent DDPG train with the book's recipe (5,000 episodes of 25 steps, every
other hyper-parameter the source's) on each of the paper's six MPE games, 3 seeds each, one run
per core, or on a Dask cluster with ``--scheduler`` (:mod:`maddpg_lite.runner`). Like
:mod:`maddpg_lite.paper`, the study is resumable: each finished run is written at once to
``maddpg_lite/data/six_games/runs/`` (``<game>-<method>-seed<k>.json`` and an actors-only ``.pt``),
and the same command again trains only what is missing. Then it
measures the random and no-op baselines on the same 1000 fixed evaluation episodes and writes
one table (``six_games_table.{json,csv,md}``: mean return per team, and each game's own
metric, mean with a 95% t-interval over seeds) and one figure (``figures/six_games.png``).

The games, under their mpe2 names (:data:`GAMES`): cooperative communication
(simple_speaker_listener_v4), cooperative navigation (simple_spread_v3), keep-away
(simple_push_v3), physical deception (simple_adversary_v3, the fast numpy copy, which equals
mpe2 to the bit), predator-prey (simple_tag_v3) and covert communication (simple_crypto_v3).
Each game's own metrics are :func:`maddpg_lite.games.game_metrics`; :data:`HEADLINES` says which
are reported and how (at the last step, mean over frames, or summed over an episode).

In quick mode (``MADDPG_LITE_QUICK=1``) the runs shrink to seconds and go to ``runs/six_games_quick``.
Taught in notebooks/08_another_game.ipynb.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

from . import paper, paths, runner
from .config import Config, env_kwargs, quick_mode
from .evaluation import baselines, evaluate
from .i18n import N_, _, _fig
from .runner import METHODS, write_json
from .study import _round, mean_ci, train_job

DATA_DIR = paths.DATA_DIR / "six_games"
QUICK_DIR = Path("runs") / "six_games_quick"
INSTALLED_DIR = Path("runs") / "six_games"
"""The default --out of an installed package (under the current folder, never into the package itself);
a checkout writes the shipped files, :data:`DATA_DIR` and :data:`FIGURE`."""
FIGURE = paths.FIGURES_DIR / "six_games.png"

GAMES = {"simple_speaker_listener_v4": N_("cooperative communication"),
         "simple_spread_v3": N_("cooperative navigation"), "simple_push_v3": N_("keep-away"),
         "simple_adversary_v3": N_("physical deception"), "simple_tag_v3": N_("predator-prey"),
         "simple_crypto_v3": N_("covert communication")}
"""The paper's six games: mpe2 scenario -> the paper's name, in the paper's order."""
SEEDS = (0, 1, 2)
QUICK_SEEDS = (0,)
RECIPE = dict(eval_interval=250)
"""The book's recipe (Config defaults); evaluations every 250 episodes instead of 100 (20 per
run: an evaluation costs as many game steps as training does, and does not change training)."""
QUICK_OVERRIDES = dict(episodes=100, minimal_size=500, batch_size=128, eval_interval=50, eval_episodes=20,
                       final_eval_episodes=50)
"""Quick mode: runs of 100 episodes that still make real update rounds (from step 500 on)."""

HEADLINES = {
    "simple_speaker_listener_v4": [
        ("listener_to_goal", "last", N_("listener's distance to its goal (last step)"), N_("lower"))],
    "simple_spread_v3": [
        ("min_dist_sum", "frames", N_("sum over landmarks of the nearest agent's distance (mean over frames)"),
         N_("lower")),
        ("collisions", "episode", N_("colliding agent pairs, summed over the episode"), N_("lower")),
        ("landmarks_covered", "last", N_("landmarks with an agent within 0.1 (last step)"), N_("higher"))],
    "simple_push_v3": [
        ("agent_to_goal", "last", N_("good agent's distance to the goal (last step)"), N_("lower")),
        ("adversary_to_goal", "last", N_("adversary's distance to the goal (last step)"),
         N_("lower for the adversary"))],
    "simple_adversary_v3": [
        ("good_success", "last", N_("good success: a good agent within 0.4 of the target (last step)"),
         N_("higher")),
        ("adversary_success", "last", N_("adversary success: within 0.4 of the target (last step)"),
         N_("lower for the good agents"))],
    "simple_tag_v3": [
        ("catches", "episode", N_("catches (adversary-prey contacts), summed over the episode"),
         N_("higher for the predators"))],
    "simple_crypto_v3": [
        ("bob_correct", "last", N_("Bob names the goal (last step)"), N_("higher")),
        ("eve_correct", "last", N_("Eve names the goal (last step)"), N_("lower for Alice and Bob"))],
}
"""Per game, the metrics the table reports: ``(metric, how, label, which way is good)`` with
``how`` ``"last"`` (the mean at the last step), ``"frames"`` (the mean over all 25 frames, as the
paper's replication averages simple_spread's distance) or ``"episode"`` (the frames' mean times the
episode length: a count per episode; no game here ends early with the defaults)."""

SPREAD_ANCHOR = {"maddpg": {"min_dist_sum": 0.629, "collisions": 0.388},
                 "ddpg": {"min_dist_sum": 0.692, "collisions": 0.371}}
"""The public replication of the paper (google/maddpg-replication, 60,000 episodes, 4 MADDPG / 3 DDPG
runs) on simple_spread: the mean over all frames of the sum over landmarks of the nearest agent's
distance, and collisions per episode. For scale only: it trained 12x longer."""


def run_name(scenario: str, method: str, seed: int) -> str:
    return f"{scenario}-{method}-seed{seed}"


def jobs(games=tuple(GAMES), seeds=SEEDS, overrides=None) -> list[dict]:
    """One job per game, method and seed, seed by seed (a study cut off early has every game on seed 0)."""
    overrides = overrides or {}
    return [{"name": run_name(game, method, seed), "scenario": game, "method": method, "seed": seed,
             "config": {**RECIPE, **overrides, "scenario": game, "seed": seed, "centralized": centralized}}
            for seed in seeds for game in games for method, centralized in METHODS.items()]


def measure(policy, config: Config) -> dict:
    """Returns, the game's metrics at the last step and over frames, on ``config.final_eval_episodes``."""
    result = evaluate(policy, config.final_eval_episodes, env_kwargs=env_kwargs(config))
    return {k: result[k] for k in ("returns", "metrics", "metrics_over_frames")}


def run_job(job: dict) -> dict:
    """Train one job and measure it (:func:`maddpg_lite.study.train_job`; the paper study's file layout)."""
    return train_job(job, measure, ("name", "scenario", "method", "seed"))


def describe(record: dict) -> str:
    """One log line's summary of a finished run: each agent's final return."""
    return ", ".join(f"{a} {v:+.1f}" for a, v in record["final"]["returns"].items())


# ----- the table ---------------------------------------------------------------------------------
def team_returns(returns: dict, agents, adversaries) -> dict:
    """``{"good": mean return of the good agents, "adversary": of the adversaries}`` (a team that
    does not exist is left out)."""
    out = {}
    for team, flag in (("good", False), ("adversary", True)):
        members = [returns[a] for a, is_adv in zip(agents, adversaries) if is_adv == flag]
        if members:
            out[team] = float(np.mean(members))
    return out


def headline_values(measured: dict, scenario: str, episode_length: int) -> dict:
    """The :data:`HEADLINES` metrics of one measurement."""
    out = {}
    for key, how, _label, _better in HEADLINES[scenario]:
        if how == "last":
            out[key] = measured["metrics"][key]
        elif how == "frames":
            out[key] = measured["metrics_over_frames"][key]
        else:
            out[key] = measured["metrics_over_frames"][key] * episode_length
    return out


def build_table(folder: Path, games=tuple(GAMES), seeds=SEEDS, episodes: int | None = None) -> dict:
    """Per game: MADDPG and DDPG (mean and 95% interval over the finished seeds) of each team's
    return and of the headline metrics, and the random and no-op baselines on the same episodes.
    Deterministic: the same run files give the same table."""
    runs = paper.finished(folder)
    table, cpu = {}, 0.0
    for game in games:
        entry = {"name": GAMES[game], "methods": {}, "baselines": {}}
        config = None
        for method in METHODS:
            records = [runs[n] for n in (run_name(game, method, s) for s in seeds) if n in runs]
            if not records:
                continue
            config = Config(**records[0]["config"])
            cpu += sum(r["cpu_seconds"] for r in records)
            rows = [{**{f"return_{t}": v
                        for t, v in team_returns(r["final"]["returns"], r["agents"], r["adversaries"]).items()},
                     **headline_values(r["final"], game, config.episode_length)} for r in records]
            entry["methods"][method] = {"seeds": [r["seed"] for r in records], "rows": rows,
                                        "stats": {k: mean_ci([row[k] for row in rows]) for k in rows[0]},
                                        "cpu_minutes": sum(r["cpu_seconds"] for r in records) / 60}
            entry["agents"], entry["adversaries"] = records[0]["agents"], records[0]["adversaries"]
        if config is None:
            continue
        for name, b in baselines(episodes or config.final_eval_episodes, env_kwargs=env_kwargs(config)).items():
            teams = team_returns(b["returns"], entry["agents"], entry["adversaries"])
            entry["baselines"][name] = {**{f"return_{t}": v for t, v in teams.items()},
                                        **headline_values(b, game, config.episode_length)}
        table[game] = entry
    planned = len(games) * len(seeds) * len(METHODS)
    done = sum(len(m["seeds"]) for e in table.values() for m in e["methods"].values())
    return {"games": table, "seeds": list(seeds), "recipe": {**RECIPE}, "runs_finished": done, "runs_planned": planned,
            "cpu_minutes": cpu / 60, "spread_anchor": SPREAD_ANCHOR}


def _ci(stats: dict, digits: int = 2, scale: float = 1.0, clip=None) -> str:
    """``mean [low, high]``; ``clip=(a, b)`` bounds the interval for display (a rate's t-interval over 3
    seeds can reach past 0 or 1)."""
    if not stats or stats["n"] == 0:
        return "-"
    if stats["n"] == 1:
        return f"{scale * stats['mean']:.{digits}f}"
    low, high = stats["low"], stats["high"]
    if clip is not None:
        low, high = max(clip[0], low), min(clip[1], high)
    return f"{scale * stats['mean']:.{digits}f} [{scale * low:.{digits}f}, {scale * high:.{digits}f}]"


def verdict(entry: dict, key: str, higher_is_better: bool) -> str:
    """Compare MADDPG with DDPG on ``key``: "MADDPG" or "DDPG" when the two 95% intervals do not
    overlap, else "no clear difference" (a conservative reading with 3 seeds)."""
    m, d = (entry["methods"].get(k, {}).get("stats", {}).get(key) for k in ("maddpg", "ddpg"))
    if not m or not d or m["n"] < 2 or d["n"] < 2:
        return "-"
    if m["low"] > d["high"]:
        return "MADDPG" if higher_is_better else "DDPG"
    if d["low"] > m["high"]:
        return "DDPG" if higher_is_better else "MADDPG"
    return N_("no clear difference")


def table_markdown(table: dict) -> str:
    """One row per game and team: returns of MADDPG, DDPG (mean [95% CI] over seeds), random, no-op, and
    which method's good team / adversary is ahead; then one row per headline metric."""
    lines = [_("| game | measure | MADDPG | DDPG | random | no-op | ahead (intervals apart) |"),
             "|---|---|---|---|---|---|---|"]
    for game, e in table["games"].items():
        title = f"{_(e['name'])} (`{game}`)"
        m, d = e["methods"].get("maddpg", {}).get("stats", {}), e["methods"].get("ddpg", {}).get("stats", {})
        for team in ("good", "adversary"):
            key = f"return_{team}"
            if key in e["baselines"]["random"]:
                label = _("good agents' return") if team == "good" else _("adversaries' return")
                lines.append(f"| {title} | {label} | {_ci(m.get(key))} | {_ci(d.get(key))} "
                             f"| {e['baselines']['random'][key]:.2f} | {e['baselines']['noop'][key]:.2f} "
                             f"| {_(verdict(e, key, True))} |")
                title = ""
        for key, _how, label, better in HEADLINES[game]:
            pct = key.endswith(("_success", "_correct", "_covered"))
            scale, digits, clip = (100.0, 1, (0.0, 1.0)) if pct else (1.0, 3, (0.0, float("inf")))
            unit = _(" % (interval clipped to 0-100)") if pct else ""
            lines.append(f"| {title} | {_(label)}{unit} | {_ci(m.get(key), digits, scale, clip)} "
                         f"| {_ci(d.get(key), digits, scale, clip)} "
                         f"| {scale * e['baselines']['random'][key]:.{digits}f} "
                         f"| {scale * e['baselines']['noop'][key]:.{digits}f} "
                         f"| {_(verdict(e, key, better.startswith('higher')))} ({_(better)}) |")
            title = ""
    return "\n".join(lines) + "\n"


def table_csv(table: dict) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["game", "method", "seed", "measure", "value"])
    for game, e in table["games"].items():
        for method, m in e["methods"].items():
            for seed, row in zip(m["seeds"], m["rows"]):
                for key, value in row.items():
                    writer.writerow([game, method, seed, key, f"{value:.4f}"])
        for name, row in e["baselines"].items():
            for key, value in row.items():
                writer.writerow([game, name, "", key, f"{value:.4f}"])
    return buf.getvalue()


def plot_table(table: dict):
    """One panel per game: each team's mean return for MADDPG and DDPG (95% intervals over seeds)
    beside the random and no-op policies. Returns the figure."""
    import matplotlib.pyplot as plt

    games = list(table["games"])
    cols = 3
    rows = max(1, -(-len(games) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    colors = {"MADDPG": "tab:blue", "DDPG": "tab:orange", "random": "0.6", "no-op": "0.85"}
    for ax, game in zip(axes.flat, games):
        e = table["games"][game]
        teams = [t for t in ("good", "adversary") if f"return_{t}" in e["baselines"]["random"]]
        width = 0.2
        sources = [("MADDPG", "maddpg"), ("DDPG", "ddpg"), (N_("random"), "random"), (N_("no-op"), "noop")]
        for j, (label, source) in enumerate(sources):
            values, errors = [], []
            for team in teams:
                key = f"return_{team}"
                if source in METHODS:
                    st = e["methods"].get(source, {}).get("stats", {}).get(key)
                    values.append(st["mean"] if st else np.nan)
                    errors.append([[st["mean"] - st["low"]], [st["high"] - st["mean"]]] if st else [[0], [0]])
                else:
                    values.append(e["baselines"][source][key])
                    errors.append([[0], [0]])
            x = np.arange(len(teams)) + (j - 1.5) * width
            err = np.concatenate(errors, axis=1) if source in METHODS else None
            ax.bar(x, values, width, color=colors[label], label=_fig(label), yerr=err, capsize=3)
            if source in METHODS:  # each seed's value, so three seeds' spread is seen, not only their interval
                for t, team in enumerate(teams):
                    seeds = [row[f"return_{team}"] for row in e["methods"].get(source, {}).get("rows", [])]
                    ax.scatter([x[t]] * len(seeds), seeds, s=9, color="black", zorder=3,
                               label=_fig("one seed") if (j, t) == (0, 0) else None)
        ax.set_xticks(np.arange(len(teams)))
        ax.set_xticklabels([_fig("good agents") if t == "good" else _fig("adversaries") for t in teams])
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_title(f"{_fig(e['name'])}\n{game}", fontsize=10)
        ax.set_ylabel(_fig("mean return per episode"))
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(games):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    n = table["runs_finished"]
    fig.suptitle(_fig("MADDPG vs independent DDPG on the paper's six games: book recipe (5,000 episodes), "
                      "{seeds} seeds, {level} intervals ({runs} runs)").format(seeds=len(table["seeds"]), level="95%",
                                                                               runs=n),
                 fontsize=11)
    fig.tight_layout()
    return fig


def write_outputs(table: dict, folder: Path, figure: Path | None = FIGURE) -> list[Path]:
    """The JSON, CSV and markdown table and the figure, all from the same numbers, rounded as the JSON
    keeps them (so ``table_markdown(json)`` gives the markdown file again)."""
    table = _round(table)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "six_games_table.json", folder / "six_games_table.csv", folder / "six_games_table.md"]
    write_json(paths[0], table)
    paths[1].write_text(table_csv(table))
    paths[2].write_text(table_markdown(table))
    if figure is not None:
        import matplotlib.pyplot as plt

        fig = plot_table(table)
        fig.savefig(figure, dpi=100)
        plt.close(fig)
        paths.append(figure)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.six_games", description=__doc__.split("\n\n")[0])
    runner.add_arguments(parser)
    parser.add_argument("--games", default=",".join(GAMES), help="comma-separated scenarios (default: the six)")
    parser.add_argument("--seeds", type=int, default=None, help=f"number of seeds (default {len(SEEDS)})")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder (default maddpg_lite/data/six_games in a checkout, runs/six_games from an "
                             "installed package, or runs/six_games_quick in quick mode)")
    parser.add_argument("--table-only", action="store_true",
                        help="only rewrite the table and figure from the finished runs (in --out; without --out, "
                             "the shipped runs)")
    args = parser.parse_args(argv)
    games = tuple(g for g in args.games.split(",") if g)
    for game in games:
        if game not in GAMES:
            print(f"{parser.prog}: error: unknown game {game!r}; choose among {', '.join(GAMES)}", file=sys.stderr)
            return 2
    if args.workers is not None and args.workers < 1:
        print(f"{parser.prog}: error: --workers must be >= 1, got {args.workers}", file=sys.stderr)
        return 2
    quick = quick_mode()
    checkout = paths.in_checkout()
    finished_in = args.out or (QUICK_DIR if quick else DATA_DIR)  # the runs --table-only reads
    out = args.out or (QUICK_DIR if quick else DATA_DIR if checkout else INSTALLED_DIR)
    seeds = tuple(range(args.seeds)) if args.seeds else (QUICK_SEEDS if quick else SEEDS)
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    start = time.perf_counter()
    failed = {}
    if not args.table_only:
        planned = jobs(games, seeds, QUICK_OVERRIDES if quick else None)
        failed = runner.train_missing(parser.prog, out / "runs", planned, run_job, args, log, describe)
        if isinstance(failed, int):
            return failed
        finished_in = out
    table = _round(build_table(finished_in / "runs", games, seeds))  # as the JSON keeps it
    written = write_outputs(table, out, None if (quick or args.out or not checkout) else FIGURE)
    log(table_markdown(table))
    log(f"{table['runs_finished']} of {table['runs_planned']} runs finished, {table['cpu_minutes']:.0f} CPU-minutes "
        f"of training; this command took {(time.perf_counter() - start) / 60:.1f} min; wrote "
        + ", ".join(str(p) for p in written) + f" (load average {os.getloadavg()[0]:.2f})")
    if failed:
        print(f"{parser.prog}: {len(failed)} runs failed: " + "; ".join(f"{n}: {e}" for n, e in failed.items()),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
