"""Does the MADDPG paper's physical-deception table reproduce on mpe2, and which ingredient
moves which number? ``python -m maddpg_lite.paper``.

The study trains MADDPG and independent DDPG under five recipes of
:data:`~maddpg_lite.config.PRESETS` (``book`` and the factorial {one-hot, soft actions} x
{-d, -d^2 adversary reward} on top of the paper's other ingredients), on seeds 0-4, one run per
core, or on a Dask cluster with ``--scheduler tcp://HOST:8786`` (:mod:`maddpg_lite.runner`). Each
finished run is written at once to ``maddpg_lite/data/paper/runs/`` (``<recipe>-<method>-seed<k>.json``
with its final measurement and history, and ``.pt`` with its actors), where the command runs, so a
crash or a cut-off costs at most the runs in flight: the same command again skips every run that
has its files and trains only the rest. Then it plays the cross matchups (MADDPG
good agents against the DDPG adversary of the same recipe and seed, and the reverse) from the
saved actors and writes the table in the paper's format, with the paper's numbers beside it:
``maddpg_lite/data/paper/paper_table.{json,csv,md}``. The table depends only on the run files, so
an interrupted and resumed study gives the same table as one that ran straight through.

Measured as the paper's replication reads the table: at the last frame of 1000 fixed-seed
evaluation episodes, good agents succeed when one of them is within 0.4 of the target, the
adversary when it is (:data:`~maddpg_lite.env.SUCCESS_DISTANCE`); beside them the corrected split
rate and the adversary's mean distances to the target, the decoy and their midpoint.

``--table-only`` rewrites the table from the runs that are finished (no training). In quick mode
(``MADDPG_LITE_QUICK=1``) the runs shrink to seconds and go to ``runs/paper_quick``.
Taught in notebooks/07_deception.ipynb.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path

from . import paths, runner
from .config import PRESETS, Config, env_kwargs, quick_mode
from .env import DECEPTION_KEYS, HEDGING_KEYS
from .evaluation import baselines, evaluate, team_policy
from .i18n import _
from .maddpg import MADDPG
from .runner import METHODS, finished, save_run, write_json  # noqa: F401 - save_run: paper.save_run as before
from .study import _round, mean_ci, train_job

DATA_DIR = paths.DATA_DIR / "paper"
QUICK_DIR = Path("runs") / "paper_quick"
INSTALLED_DIR = Path("runs") / "paper"
"""The default --out of an installed package (under the current folder, never into the package itself);
a checkout writes the shipped files, :data:`DATA_DIR`."""

RECIPES = ("book", "paper-onehot-distance", "paper-onehot", "paper-distance", "paper")
"""The study's recipes, names of :data:`~maddpg_lite.config.PRESETS`."""
SEEDS = tuple(range(5))
QUICK_SEEDS = (0,)
QUICK_OVERRIDES = dict(episodes=100, minimal_size=500, batch_size=128, buffer_size=5000, eval_interval=50,
                       eval_episodes=50, final_eval_episodes=100)
"""Quick mode: runs of 100 episodes that still make real update rounds (from step 500 on)."""

PAIRINGS = (("maddpg", "maddpg"), ("maddpg", "ddpg"), ("ddpg", "maddpg"), ("ddpg", "ddpg"))
"""(good agents, adversary), in the paper's order."""
PAPER_TABLE = {("maddpg", "maddpg"): (0.947, 0.340), ("maddpg", "ddpg"): (0.948, 0.319),
               ("ddpg", "maddpg"): (0.446, 0.340), ("ddpg", "ddpg"): (0.525, 0.356)}
"""The replication of the paper (google/maddpg-replication, 60,000 episodes, 4-5 runs per pairing):
(good success, adversary success) per (good agents, adversary)."""
MEASURES = ("good_success", "adversary_success", "all_landmarks_covered", "good_on_target", "adversary_on_target",
            "adversary_closer_to_target", "adversary_to_target", "adversary_to_decoy", "adversary_to_midpoint",
            "return_adversary_0", "return_agent_0")
"""Columns of a table row after who played and the seed."""


def run_name(recipe: str, method: str, seed: int) -> str:
    return f"{recipe}-{method}-seed{seed}"


def jobs(recipes=RECIPES, seeds=SEEDS, overrides=None) -> list[dict]:
    """One job per recipe, method and seed: ``{"name", "recipe", "method", "seed", "config"}``."""
    overrides = overrides or {}
    # seed by seed, so that a study cut off early still has every recipe on its first seeds
    return [{"name": run_name(recipe, method, seed), "recipe": recipe, "method": method, "seed": seed,
             "config": {**PRESETS[recipe], **overrides, "seed": seed, "centralized": centralized}}
            for seed in seeds for recipe in recipes for method, centralized in METHODS.items()]


def measure(policy, config: Config) -> dict:
    """Final returns, rates and hedging distances of ``policy`` in ``config``'s game."""
    result = evaluate(policy, config.final_eval_episodes, env_kwargs=env_kwargs(config))
    return {"returns": result["returns"], "deception": result["deception"], "hedging": result["hedging"]}


def run_job(job: dict) -> dict:
    """Train one job of this study and measure it with :func:`measure` (see :func:`train_job`)."""
    return train_job(job, measure, ("name", "recipe", "method", "seed"))


def describe(record: dict) -> str:
    """One log line's summary of a finished run of this study."""
    final = record["final"]["deception"]
    return f"good success {final['good_success']:.1%}, adversary success {final['adversary_success']:.1%}"


# ----- the table ---------------------------------------------------------------------------------
def load_actors(folder: Path, name: str) -> MADDPG:
    return MADDPG.load(Path(folder) / f"{name}.pt")


def table_row(recipe: str, good: str, adversary: str, seed: int, measured: dict) -> dict:
    row = {"recipe": recipe, "good_team": good, "adversary": adversary, "seed": seed}
    row.update({k: measured["deception"][k] for k in DECEPTION_KEYS if k in MEASURES})
    row.update({k: measured["hedging"][k] for k in HEDGING_KEYS})
    row.update({f"return_{a}": measured["returns"][a] for a in ("adversary_0", "agent_0")})
    return row


def build_table(folder: Path, recipes=RECIPES, seeds=SEEDS) -> dict:
    """Rows for every finished (recipe, seed) (both methods' runs, and their two cross matchups),
    the summary per recipe and pairing (mean and 95% interval over seeds) and the paper's numbers.
    Deterministic: the same run files give the same table."""
    runs = finished(folder)
    rows, cpu = [], 0.0
    for recipe in recipes:
        for seed in seeds:
            names = {m: run_name(recipe, m, seed) for m in METHODS}
            if not all(n in runs for n in names.values()):
                continue
            config = Config(**runs[names["maddpg"]]["config"])
            for m in METHODS:
                rows.append(table_row(recipe, m, m, seed, runs[names[m]]["final"]))
                cpu += runs[names[m]]["cpu_seconds"]
            agents = {m: load_actors(folder, n) for m, n in names.items()}
            for good, adversary in (("maddpg", "ddpg"), ("ddpg", "maddpg")):
                measured = measure(team_policy(adversary=agents[adversary], good=agents[good]), config)
                rows.append(table_row(recipe, good, adversary, seed, measured))
    summary = {}
    for recipe in recipes:
        for good, adversary in PAIRINGS:
            group = [r for r in rows if (r["recipe"], r["good_team"], r["adversary"]) == (recipe, good, adversary)]
            if group:
                summary[f"{recipe}: {good} vs {adversary}"] = {k: mean_ci([r[k] for r in group]) for k in MEASURES}
    base = {}
    for recipe in recipes:
        config = Config(**{**PRESETS[recipe], "final_eval_episodes": Config().final_eval_episodes})
        base[recipe] = {name: {"returns": b["returns"], "deception": b["deception"], "hedging": b["hedging"]}
                        for name, b in baselines(config.final_eval_episodes, env_kwargs=env_kwargs(config)).items()}
    return {"recipes": {r: PRESETS[r] for r in recipes}, "seeds": list(seeds), "rows": rows, "summary": summary,
            "paper": {f"{g} vs {a}": {"good_success": v[0], "adversary_success": v[1]}
                      for (g, a), v in PAPER_TABLE.items()},
            "baselines": base,
            "runs_finished": len([r for r in runs if r.split("-seed")[0].rsplit("-", 1)[0] in recipes]),
            "runs_planned": len(recipes) * len(seeds) * len(METHODS), "cpu_minutes": cpu / 60}


NAMES = {"maddpg": "MADDPG", "ddpg": "DDPG"}


def _pct(stats: dict) -> str:
    """``mean [low, high]`` in %, the interval clipped to [0, 100] (with two seeds a t-interval of a rate
    can reach past either end)."""
    if stats["n"] == 0:
        return "-"
    low, high = max(0.0, stats["low"]), min(1.0, stats["high"])
    return f"{100 * stats['mean']:.1f} [{100 * low:.1f}, {100 * high:.1f}]"


def table_markdown(table: dict) -> str:
    """The paper-format table: per recipe and pairing, good / adversary success (mean [95% CI]
    over seeds, in %, clipped to [0, 100]), the paper's numbers beside, the split rate and the
    adversary's distances."""
    lines = [_("| recipe | good agents vs adversary | seeds | good success % | adversary success % "
               "| paper: good / adversary % | both landmarks split % | adversary to target / decoy / midpoint |"),
             "|---|---|---|---|---|---|---|---|"]
    for key, st in table["summary"].items():
        recipe, pairing = key.split(": ")
        good, adversary = pairing.split(" vs ")
        paper = table["paper"][pairing]
        lines.append(f"| {recipe} | {NAMES[good]} vs {NAMES[adversary]} | {st['good_success']['n']} "
                     f"| {_pct(st['good_success'])} | {_pct(st['adversary_success'])} "
                     f"| {100 * paper['good_success']:.1f} / {100 * paper['adversary_success']:.1f} "
                     f"| {_pct(st['all_landmarks_covered'])} "
                     f"| {st['adversary_to_target']['mean']:.2f} / {st['adversary_to_decoy']['mean']:.2f} / "
                     f"{st['adversary_to_midpoint']['mean']:.2f} |")
    return "\n".join(lines) + "\n"


def table_csv(rows: list[dict]) -> str:
    columns = ["recipe", "good_team", "adversary", "seed", *MEASURES]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([f"{r[c]:.4f}" if isinstance(r[c], float) else r[c] for c in columns])
    return buf.getvalue()


def write_table(table: dict, folder: Path) -> list[Path]:
    """The JSON, CSV and markdown table, all from the same numbers, rounded as the JSON keeps them
    (so ``table_markdown(json)`` gives the markdown file again)."""
    table = _round(table)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "paper_table.json", folder / "paper_table.csv", folder / "paper_table.md"]
    write_json(paths[0], table)
    paths[1].write_text(table_csv(table["rows"]))
    paths[2].write_text(table_markdown(table))
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.paper", description=__doc__.split("\n\n")[0])
    runner.add_arguments(parser)
    parser.add_argument("--seeds", type=int, default=None, help=f"number of seeds (default {len(SEEDS)})")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder (default maddpg_lite/data/paper in a checkout, runs/paper from an installed "
                             "package, or runs/paper_quick in quick mode)")
    parser.add_argument("--table-only", action="store_true",
                        help="only rewrite the table from the finished runs (in --out; without --out, the shipped "
                             "runs)")
    args = parser.parse_args(argv)
    quick = quick_mode()
    finished_in = args.out or (QUICK_DIR if quick else DATA_DIR)  # the runs --table-only reads
    out = args.out or (QUICK_DIR if quick else DATA_DIR if paths.in_checkout() else INSTALLED_DIR)
    seeds = tuple(range(args.seeds)) if args.seeds else (QUICK_SEEDS if quick else SEEDS)
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    if args.workers is not None and args.workers < 1:
        print(f"{parser.prog}: error: --workers must be >= 1, got {args.workers}", file=sys.stderr)
        return 2
    failed = {}
    if not args.table_only:
        planned = jobs(RECIPES, seeds, QUICK_OVERRIDES if quick else None)
        failed = runner.train_missing(parser.prog, out / "runs", planned, run_job, args, log, describe)
        if isinstance(failed, int):
            return failed
        finished_in = out
    table = _round(build_table(finished_in / "runs", RECIPES, seeds))  # as the JSON keeps it
    written = write_table(table, out)
    log(table_markdown(table))
    log(f"{table['runs_finished']} of {table['runs_planned']} runs finished, {table['cpu_minutes']:.0f} CPU-minutes "
        f"of training; wrote " + ", ".join(str(p) for p in written) + f" (load average {os.getloadavg()[0]:.2f})")
    if failed:
        print(f"{parser.prog}: {len(failed)} runs failed: " + "; ".join(f"{n}: {e}" for n, e in failed.items()),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
