"""Does the MADDPG paper's physical-deception table reproduce on mpe2, and which ingredient
moves which number? ``python -m maddpg_lite.paper``.

The study trains MADDPG and independent DDPG under five recipes of
:data:`~maddpg_lite.config.PRESETS` (``book`` and the factorial {one-hot, soft actions} x
{-d, -d^2 adversary reward} on top of the paper's other ingredients), on seeds 0-4, two runs at
a time (one per core). Each finished run is written at once to ``maddpg_lite/data/paper/runs/``
(``<recipe>-<method>-seed<k>.json`` with its final measurement and history, and ``.pt`` with its
actors), so a crash or a cut-off costs at most the runs in flight: the same command again skips
every run that has its files and trains only the rest. Then it plays the cross matchups (MADDPG
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
import json
import os
import sys
import time
from pathlib import Path

from .config import PRESETS, Config, quick_mode
from .env import AGENTS
from .env import DECEPTION_KEYS, HEDGING_KEYS
from .evaluation import baselines, env_kwargs, evaluate, team_policy
from .maddpg import MADDPG
from .study import _round, mean_ci, run_jobs

DATA_DIR = Path(__file__).resolve().parent / "data" / "paper"
QUICK_DIR = Path("runs") / "paper_quick"

RECIPES = ("book", "paper-onehot-distance", "paper-onehot", "paper-distance", "paper")
"""The study's recipes, names of :data:`~maddpg_lite.config.PRESETS`."""
METHODS = {"maddpg": True, "ddpg": False}
"""Method name -> ``Config.centralized``."""
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


def claim(folder: Path, name: str) -> bool:
    """Mark run ``name`` as being trained by this process (``<name>.claim`` holds its pid).
    False if another live process holds the claim, so two studies on one folder (say, one per
    core) share the work instead of doing it twice; a dead process's claim is taken over."""
    path = Path(folder) / f"{name}.claim"
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            with open(path, "x") as f:
                f.write(str(os.getpid()))
            return True
        except FileExistsError:
            try:
                pid = int(path.read_text() or 0)
                os.kill(pid, 0)  # raises if no such process
                if pid != os.getpid():
                    return False
                return True
            except (ValueError, ProcessLookupError, FileNotFoundError):
                path.unlink(missing_ok=True)  # stale: its process is gone
            except PermissionError:
                return False
    return False


def run_job(job: dict) -> dict | None:
    """Train one job of this study and measure it with :func:`measure` (see :func:`train_job`)."""
    return train_job(job, measure, ("name", "recipe", "method", "seed"))


def train_job(job: dict, measure_fn, keys) -> dict | None:
    """Train one job (in a worker process) and measure its MADDPG with ``measure_fn(maddpg,
    config)``. Returns the run record (the job's ``keys``, config, agents, final measurement,
    history, update rounds, times), with the actors' weights under ``"actor_state"`` (the caller
    writes them to the ``.pt`` file), or None if another process has claimed the run
    (:func:`claim`). The six-game study (:mod:`maddpg_lite.six_games`) trains its runs with it too."""
    from .training import train

    if not claim(job["folder"], job["name"]):
        return None
    if job["name"] in finished(job["folder"]):  # another process finished it since this study started
        (Path(job["folder"]) / f"{job['name']}.claim").unlink(missing_ok=True)
        return None
    config = Config(**job["config"])
    cpu, wall = time.process_time(), time.perf_counter()
    result = train(config, progress=False)
    record = {**{k: job[k] for k in keys}, "config": config.to_dict(),
              "agents": result.summary["agents"], "adversaries": result.summary["adversaries"],
              "final": measure_fn(result.maddpg, config), "history": result.history,
              "update_rounds": result.summary["update_rounds"],
              "wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}
    record["actor_state"] = {"shape": result.maddpg._shape(), "action_mode": config.action_mode,
                             "actors": [net.state_dict() for net in result.maddpg.actors]}
    return record


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(_round(data), indent=1) + "\n")
    tmp.replace(path)


def save_run(record: dict, folder: Path) -> None:
    """``<name>.pt`` (actors only) then ``<name>.json``: a run counts as finished once its JSON exists."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    state = record.pop("actor_state")
    # the layout of MADDPG.save(..., critics=False): MADDPG.load reads it
    checkpoint = {"shape": state["shape"], "hyper": {"action_mode": state["action_mode"]},
                  "actors": state["actors"], "extra": {"name": record["name"]}}
    tmp = folder / f"{record['name']}.pt.tmp"
    torch.save(checkpoint, tmp)
    tmp.replace(folder / f"{record['name']}.pt")
    _write_json(folder / f"{record['name']}.json", record)


def finished(folder: Path) -> dict[str, dict]:
    """The finished runs in ``folder``: ``{name: record}`` for every JSON whose ``.pt`` exists too."""
    out = {}
    for path in sorted(Path(folder).glob("*.json")):
        if path.with_suffix(".pt").is_file():
            out[path.stem] = json.loads(path.read_text())
    return out


def describe(record: dict) -> str:
    """One log line's summary of a finished run of this study."""
    final = record["final"]["deception"]
    return f"good success {final['good_success']:.1%}, adversary success {final['adversary_success']:.1%}"


def run_study(folder: Path, all_jobs: list[dict], workers: int = 2, max_runs: int | None = None, log=print,
              run=run_job, summary=describe) -> int:
    """Train every job of ``all_jobs`` that has no finished run in ``folder`` yet with ``run``
    (:func:`run_job`; another study passes its own), writing each as it finishes and logging
    ``summary(record)``; ``max_runs`` stops after that many (a test's stand-in for a cut-off).

    Returns:
        the number of runs trained now.
    """
    done = finished(folder)
    todo = [{**job, "folder": str(folder)} for job in all_jobs if job["name"] not in done]
    if max_runs is not None:
        todo = todo[:max_runs]
    log(f"{len(done)} runs finished before, {len(todo)} to train now, {workers} at a time")
    start = time.perf_counter()
    count = 0
    for record in run_jobs(todo, workers, run=run):
        if record is None:  # another process trains it
            continue
        save_run(record, folder)
        (Path(folder) / f"{record['name']}.claim").unlink(missing_ok=True)
        count += 1
        log(f"[{(time.perf_counter() - start) / 60:5.1f} min] {record['name']}: {summary(record)}; "
            f"{record['wall_seconds'] / 60:.1f} min")
    return count


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
            "paper": {f"{g} vs {a}": {"good_success": v[0], "adversary_success": v[1]} for (g, a), v in PAPER_TABLE.items()},
            "baselines": base, "runs_finished": len([r for r in runs if r.split("-seed")[0].rsplit("-", 1)[0] in recipes]),
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
    lines = ["| recipe | good agents vs adversary | seeds | good success % | adversary success % | paper: good / adversary % "
             "| both landmarks split % | adversary to target / decoy / midpoint |",
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
    paths = [folder / "paper_table.json", folder / "paper_table.csv", folder / "paper_table.md"]
    _write_json(paths[0], table)
    paths[1].write_text(table_csv(table["rows"]))
    paths[2].write_text(table_markdown(table))
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.paper", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="training runs in parallel (one per core)")
    parser.add_argument("--seeds", type=int, default=None, help=f"number of seeds (default {len(SEEDS)})")
    parser.add_argument("--out", type=Path, default=None, help="folder (default maddpg_lite/data/paper, or runs/paper_quick)")
    parser.add_argument("--table-only", action="store_true", help="only rewrite the table from the finished runs")
    args = parser.parse_args(argv)
    quick = quick_mode()
    out = args.out or (QUICK_DIR if quick else DATA_DIR)
    seeds = tuple(range(args.seeds)) if args.seeds else (QUICK_SEEDS if quick else SEEDS)
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    if args.workers < 1:
        print(f"{parser.prog}: error: --workers must be >= 1, got {args.workers}", file=sys.stderr)
        return 2
    if not args.table_only:
        run_study(out / "runs", jobs(RECIPES, seeds, QUICK_OVERRIDES if quick else None), args.workers, log=log)
    table = _round(build_table(out / "runs", RECIPES, seeds))  # as the JSON keeps it
    paths = write_table(table, out)
    log(table_markdown(table))
    log(f"{table['runs_finished']} of {table['runs_planned']} runs finished, {table['cpu_minutes']:.0f} CPU-minutes "
        f"of training; wrote " + ", ".join(str(p) for p in paths) + f" (load average {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
