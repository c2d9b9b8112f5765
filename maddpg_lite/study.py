"""MADDPG against independent DDPG over many seeds.

* ``python -m maddpg_lite.study`` (about 6 minutes on a quiet 2-core CPU): trains MADDPG
  (``centralized=True``) and independent DDPG (``centralized=False``) with the default
  recipe on seeds 0-9, plays the mixed matchups (MADDPG good agents against the DDPG
  adversary of the same seed, and the reverse), and writes
  ``maddpg_lite/data/study_results.json``, ``maddpg_lite/data/study_results.csv`` (one row
  per pairing and seed) and ``figures/study_{returns,deception,convergence,matchups}.png``.
  The runs are spread over the CPU cores (one training run per worker process), or over a Dask
  cluster with ``--scheduler tcp://HOST:8786`` (:mod:`maddpg_lite.runner`). Each run is saved
  as it finishes under ``maddpg_lite/data/study_runs/``; the same command again trains only the
  runs that are missing there, and the results are made from those files.
* ``python -m maddpg_lite.study --replot`` redraws the four figures from the shipped results
  (seconds, no training).

The deception rates and the adversary's hedging distances are measured at the last step of
the fixed-seed greedy evaluation episodes (see
:meth:`~maddpg_lite.env.VecSimpleAdversary.deception_flags`). Whether deception emerges under
the MADDPG paper's own setup is the job of :mod:`maddpg_lite.paper`.

In quick mode (``MADDPG_LITE_QUICK=1``) the study shrinks to a few seconds and writes to
``runs/`` instead of the shipped files. Taught in notebooks/06_maddpg_vs_ddpg.ipynb.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from . import paths, runner
from .config import Config, quick_mode
from .env import AGENTS, DECEPTION_KEYS, HEDGING_KEYS, RATE_LABELS, VecSimpleAdversary
from .evaluation import EVAL_SEED, evaluate, noop_policy, random_policy, team_policy
from .i18n import N_, Labels, _fig
from .maddpg import MADDPG
from .plots import smooth
from .runner import METHODS, job_cost  # noqa: F401 - job_cost: longest first
from .runner import agents_on_one_thread as _agents_on_one_thread  # noqa: F401 - the study workers' rule, as before
from .runner import round_floats as _round

DATA_DIR = paths.DATA_DIR
FIGURES_DIR = paths.FIGURES_DIR
QUICK_DIR = Path("runs") / "study_quick"
INSTALLED_DIR = Path("runs") / "study"
"""The default --out of an installed package (under the current folder, never into the package itself);
a checkout writes the shipped files, :data:`DATA_DIR` and :data:`FIGURES_DIR`."""
RUNS_FOLDER = "study_runs"
"""Where in the output folder each run is saved as it finishes (:func:`run_study`), for resuming."""

SEEDS = tuple(range(10))
QUICK_SEEDS = (0, 1)
QUICK_OVERRIDES = dict(episodes=100, minimal_size=500, batch_size=128, eval_interval=50, eval_episodes=50,
                       final_eval_episodes=100)
"""Quick mode: a run of 100 episodes that still makes real update rounds (from step 500 on)."""

SMOOTH_WINDOW = 9
"""Evaluations averaged by :func:`~maddpg_lite.plots.smooth` before the threshold test."""
RETURN_THRESHOLD = 0.0
"""Episodes-to-threshold: the good agents' smoothed return stays above this from then on."""
RATE_KEYS = DECEPTION_KEYS
DISTANCE_KEYS = ("agent_0_to_target", "agent_1_to_target", "agent_0_to_decoy", "agent_1_to_decoy",
                 "adversary_to_target", "adversary_to_decoy")
"""Median distances at the last step of the evaluation episodes."""


# ----- statistics ----------------------------------------------------------------------------
def t_quantile(p: float, df: int) -> float:
    """Quantile ``p`` (> 0.5) of Student's t distribution with ``df`` degrees of freedom.

    Found by bisection on the CDF, which is 0.5 plus the integral of the density from 0
    (Simpson's rule); accurate to about 1e-6, e.g. ``t_quantile(0.975, 9) = 2.262``.
    """
    if not 0.5 < p < 1 or df < 1:
        raise ValueError(f"need 0.5 < p < 1 and df >= 1, got p={p}, df={df}")
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def cdf(t: float) -> float:
        x = np.linspace(0.0, t, 4001)
        f = np.exp(log_c - (df + 1) / 2 * np.log1p(x * x / df))
        h = x[1] - x[0]
        return 0.5 + h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        lo, hi = hi, 2 * hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2


def mean_ci(values, level: float = 0.95) -> dict:
    """Mean and Student-t confidence interval over seeds: ``{"mean", "low", "high", "n"}``.

    ``low = mean - t * s / sqrt(n)`` with ``s`` the sample standard deviation (ddof=1);
    with one value the bounds are that value.
    """
    x = np.asarray([v for v in values if v is not None], dtype=float)
    if len(x) == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = float(x.mean())
    half = 0.0 if len(x) == 1 else t_quantile(0.5 + level / 2, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": int(len(x))}


def episodes_to_threshold(episodes, good_returns, threshold: float = RETURN_THRESHOLD,
                          window: int = SMOOTH_WINDOW):
    """The first evaluation episode after which the smoothed good-agent return stays above
    ``threshold`` until the end of training; ``None`` if the last smoothed value is not above it.

    Args:
        episodes: training episode of each evaluation, increasing, ``(E,)``.
        good_returns: mean greedy return of a good agent at each evaluation, ``(E,)``.
    """
    s = smooth(good_returns, window)
    above = s > threshold
    if len(s) == 0 or not above[-1]:
        return None
    below = np.flatnonzero(~above)
    first = 0 if len(below) == 0 else int(below[-1]) + 1
    return int(episodes[first])


# ----- policies and measurements ---------------------------------------------------------------
def median_distances(env: VecSimpleAdversary) -> dict:
    """Median over the slots of each agent's distance to the target and to the decoy (:data:`DISTANCE_KEYS`)."""
    d = env.distances()  # (K, 3 agents, 2 landmarks)
    idx = np.arange(env.num_envs)
    to_target, to_decoy = d[idx, :, env.target], d[idx, :, 1 - env.target]  # (K, 3) each
    return {"agent_0_to_target": float(np.median(to_target[:, 1])),
            "agent_1_to_target": float(np.median(to_target[:, 2])),
            "agent_0_to_decoy": float(np.median(to_decoy[:, 1])),
            "agent_1_to_decoy": float(np.median(to_decoy[:, 2])),
            "adversary_to_target": float(np.median(to_target[:, 0])),
            "adversary_to_decoy": float(np.median(to_decoy[:, 0]))}


def measure(policy, episodes: int, seed: int = EVAL_SEED) -> dict:
    """Mean returns, deception rates, hedging distances (means) and median distances of
    ``policy`` over the fixed evaluation episodes: ``{"returns", "deception", "hedging",
    "distances", "episodes"}``.

    The returns and rates are :func:`~maddpg_lite.evaluation.evaluate`'s; the distances come
    from the last step of the same episodes (one game is played, so this holds for random
    policies too).
    """
    result = evaluate(policy, episodes, seed, with_env=True)
    return {"returns": result["returns"], "deception": result["deception"], "hedging": result["hedging"],
            "distances": median_distances(result["env"]), "episodes": episodes}


def actors_only(checkpoint: dict) -> MADDPG:
    """The MADDPG of a run's actors-only checkpoint (``record["checkpoint"]`` of :func:`run_job`, or its
    ``.pt`` file): its critics are untouched, so it can act but not learn."""
    return MADDPG.from_checkpoint(checkpoint)


# ----- one training run per worker ------------------------------------------------------------
def final_measure(maddpg: MADDPG, config: Config) -> dict:
    """:func:`measure` of a trained MADDPG on ``config.final_eval_episodes``."""
    return measure(maddpg, config.final_eval_episodes)


def train_job(job: dict, measure_fn, keys) -> dict:
    """Train one job (in a worker process) and measure its MADDPG with ``measure_fn(maddpg,
    config)``. A pure function of the job: it writes nothing and returns the run record (the job's
    ``keys``, config, agents, final measurement, history, update rounds, times), with the actors'
    actors-only checkpoint under ``"checkpoint"`` (:func:`maddpg_lite.runner.save_run` writes it to the ``.pt``
    file where the command runs). Every study trains its runs with it: :func:`run_job` here, and
    those of :mod:`maddpg_lite.paper` and :mod:`maddpg_lite.six_games`."""
    from .training import train

    config = Config(**job["config"])
    cpu, wall = time.process_time(), time.perf_counter()
    result = train(config, progress=False)
    record = {**{k: job[k] for k in keys}, "config": config.to_dict(),
              "agents": result.summary["agents"], "adversaries": result.summary["adversaries"],
              "final": measure_fn(result.maddpg, config), "history": result.history,
              "update_rounds": result.summary["update_rounds"],
              "wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}
    record["checkpoint"] = result.maddpg.checkpoint(critics=False, name=job["name"])
    return record


def run_job(job: dict) -> dict:
    """Train one recipe (in a worker process) and measure it (:func:`train_job`): a pure function of
    the job, which writes nothing.

    Args:
        job: ``{"name": str, "method": str, "seed": int, "config": Config overrides}``.

    Returns:
        ``{"name", "method", "seed", "config", "agents", "adversaries", "final" (see :func:`measure`),
        "history", "update_rounds", "wall_seconds", "cpu_seconds", "checkpoint",
        "episodes_to_threshold"}``, all picklable (:func:`maddpg_lite.runner.save_run` writes
        ``"checkpoint"`` to the run's ``.pt`` file, the rest to its JSON).
    """
    record = train_job(job, final_measure, ("name", "method", "seed"))
    history = record["history"]
    record["episodes_to_threshold"] = episodes_to_threshold([r["episode"] for r in history],
                                                            [r["agent_0"] for r in history])
    return record


def describe(record: dict) -> str:
    """One log line's summary of a finished run: final returns and the good agents' rate on target."""
    final = record["final"]
    return ("returns " + ", ".join(f"{v:+.2f}" for v in final["returns"].values())
            + f"; good on target {final['deception']['good_on_target']:.1%}")


def _machine() -> dict:
    return {"cpu_count": os.cpu_count(), "load_average": [round(v, 2) for v in os.getloadavg()]}


# ----- the study --------------------------------------------------------------------------------
def study_jobs(seeds=SEEDS, overrides=None) -> list[dict]:
    """One job per method and seed: ``{"name": "maddpg-seed3", "config": {...}}``."""
    overrides = overrides or {}
    return [{"name": f"{method}-seed{seed}", "method": method, "seed": seed,
             "config": {**overrides, "seed": seed, "centralized": centralized}}
            for seed in seeds for method, centralized in METHODS.items()]


def table_row(good: str, adversary: str, seed: int, measured: dict, run: dict | None = None) -> dict:
    """One row of the results table (:data:`TABLE_COLUMNS`)."""
    row = {"good_team": good, "adversary": adversary, "seed": seed}
    row.update({f"return_{name}": measured["returns"][name] for name in AGENTS})
    row.update({key: measured["deception"][key] for key in RATE_KEYS})
    row.update({f"median_{key}": measured["distances"][key] for key in DISTANCE_KEYS})
    row.update({f"mean_{key}": measured["hedging"][key] for key in HEDGING_KEYS})
    row["episodes_to_threshold"] = None if run is None else run["episodes_to_threshold"]
    row["wall_seconds"] = None if run is None else run["wall_seconds"]
    return row


TABLE_COLUMNS = (["good_team", "adversary", "seed"] + [f"return_{name}" for name in AGENTS] + list(RATE_KEYS)
                 + [f"median_{key}" for key in DISTANCE_KEYS] + [f"mean_{key}" for key in HEDGING_KEYS]
                 + ["episodes_to_threshold", "wall_seconds"])
"""Columns of study_results.csv: who played the good agents and the adversary (each the
method trained with that seed), the final mean returns, deception rates, median distances
and the adversary's mean hedging distances, and (for runs, not for mixed matchups) episodes-to-threshold
and wall time."""


def summarize(rows: list[dict]) -> dict:
    """``{"maddpg vs maddpg": {column: mean_ci}}`` over seeds, per pairing (good team vs adversary)."""
    out = {}
    for good, adversary in sorted({(r["good_team"], r["adversary"]) for r in rows}):
        group = [r for r in rows if (r["good_team"], r["adversary"]) == (good, adversary)]
        stats = {col: mean_ci([r[col] for r in group]) for col in TABLE_COLUMNS[3:]}
        reached = [r["episodes_to_threshold"] for r in group if r["episodes_to_threshold"] is not None]
        stats["runs"] = len(group)
        stats["reached_threshold"] = len(reached) if group[0]["wall_seconds"] is not None else None
        stats["median_episodes_to_threshold"] = float(np.median(reached)) if reached else None
        out[f"{good} vs {adversary}"] = stats
    return out


def run_study(seeds=SEEDS, overrides=None, workers: int | None = None, log=print, folder: Path | None = None,
              scheduler: str | None = None) -> dict:
    """Train both methods on ``seeds``, play the mixed matchups, and collect everything.

    The runs go through :mod:`maddpg_lite.runner`: ``workers`` local processes (default: one per
    core; 1: in this process) or the Dask cluster at ``scheduler``. With ``folder``, each run is
    saved there as it finishes (``<method>-seed<k>.json`` and ``.pt``) and only the runs without
    files are trained, so a cut-off study resumes; the results are then made from the files alone.
    Without it, the runs stay in memory.

    Returns:
        ``{"config", "seeds", "rows" (:data:`TABLE_COLUMNS` dicts), "summary"
        (:func:`summarize`), "histories" ({run name: history rows}), "baselines"
        ({"random"|"noop": :func:`measure`}), "study_wall_seconds", "workers",
        "machine_before", "machine_after", "quick"}``.

    Raises:
        maddpg_lite.runner.RunnerError: a run is missing (it failed, and is logged), or, with
            ``scheduler``, no scheduler answers or it went away.
    """
    start = time.perf_counter()
    machine_before = _machine()
    jobs = study_jobs(seeds, overrides)
    config = Config(**jobs[0]["config"])
    episodes = config.final_eval_episodes
    if folder is None:
        runs = {}
        with runner.open_engine(workers, scheduler, log) as engine:
            failed = runner.run_jobs(jobs, run_job, lambda run: runs.__setitem__(run["name"], run), engine.executor,
                                     log, describe)
        used = engine.workers
    else:
        outcome = runner.run_study(folder, jobs, run_job, workers=workers, scheduler=scheduler, log=log,
                                   describe=describe, digits=None)  # exact floats: the same results as in memory
        failed, used = outcome.failed, outcome.workers
        runs = runner.finished(folder)
    missing = [job["name"] for job in jobs if job["name"] not in runs]
    if missing:
        kept = f"; the finished runs are kept in {folder}: run the command again" if folder else ""
        raise runner.RunnerError(f"{len(missing)} of {len(jobs)} runs failed ("
                                 + "; ".join(f"{name}: {failed.get(name, 'not trained')}" for name in missing)
                                 + f"), and the results need them all{kept}")
    agents = {job["name"]: actors_only(runs[job["name"]]["checkpoint"]) if folder is None
              else MADDPG.load(Path(folder) / f"{job['name']}.pt") for job in jobs}
    rows = []
    for seed in seeds:
        m, d = (runs[f"{method}-seed{seed}"] for method in METHODS)
        rows.append(table_row("maddpg", "maddpg", seed, m["final"], m))
        rows.append(table_row("ddpg", "ddpg", seed, d["final"], d))
        m_agent, d_agent = agents[m["name"]], agents[d["name"]]
        rows.append(table_row("maddpg", "ddpg", seed, measure(team_policy(adversary=d_agent, good=m_agent), episodes)))
        rows.append(table_row("ddpg", "maddpg", seed, measure(team_policy(adversary=m_agent, good=d_agent), episodes)))
    base = {"random": measure(random_policy(0), episodes), "noop": measure(noop_policy(), episodes)}
    return {
        "config": {k: v for k, v in config.to_dict().items() if k not in ("seed", "centralized")},
        "seeds": list(seeds),
        "rows": rows,
        "summary": summarize(rows),
        "histories": {name: runs[name]["history"] for name in sorted(job["name"] for job in jobs)},
        "baselines": base,
        "study_wall_seconds": time.perf_counter() - start,
        "workers": used,
        "machine_before": machine_before,
        "machine_after": _machine(),
        "quick": quick_mode(),
    }


def table_csv(rows: list[dict]) -> str:
    """CSV text of the rows (:data:`TABLE_COLUMNS`), floats with 4 decimals, empty for None."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for row in rows:
        writer.writerow(["" if row[c] is None else f"{row[c]:.4f}" if isinstance(row[c], float) else row[c]
                         for c in TABLE_COLUMNS])
    return buf.getvalue()


def write_study(results: dict, out: Path, figures: Path) -> list[Path]:
    """Write study_results.json, study_results.csv (in ``out``) and the study figures (in ``figures``)."""
    out.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    written = [out / "study_results.json", out / "study_results.csv"]
    written[0].write_text(json.dumps(_round(results), indent=1) + "\n")
    written[1].write_text(table_csv(results["rows"]))
    return written + write_study_figures(results, figures)


def write_study_figures(results: dict, figures: Path) -> list[Path]:
    """The four study figures, drawn from ``results`` into ``figures``."""
    return [_save(fig, figures / name) for name, fig in [("study_returns.png", plot_study_returns(results)),
                                                         ("study_deception.png", plot_study_deception(results)),
                                                         ("study_convergence.png", plot_study_convergence(results)),
                                                         ("study_matchups.png", plot_study_matchups(results))]]


def load_results(name: str = "study_results.json", folder: Path = DATA_DIR) -> dict:
    """A shipped result file of the study (``study_results.json`` unless ``name`` says otherwise)."""
    return json.loads((Path(folder) / name).read_text())


# ----- pictures ------------------------------------------------------------------------------
METHOD_COLORS = {"maddpg": "tab:purple", "ddpg": "tab:orange", "random": "tab:gray", "noop": "0.75"}
METHOD_LABELS = Labels({"maddpg": "MADDPG", "ddpg": N_("DDPG (independent)"), "random": N_("random policy"),
                        "noop": N_("no-op policy")})
"""Legend names of the methods and baselines, in the language the package speaks."""


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def curve_band(histories: dict, method: str, column: str):
    """Evaluation episodes and the mean and 95% band over seeds of ``column`` for ``method``'s runs.

    Returns:
        ``(episodes (E,), mean (E,), low (E,), high (E,))``.
    """
    runs = [h for name, h in histories.items() if name.startswith(method + "-")]
    episodes = np.array([r["episode"] for r in runs[0]])
    values = np.array([[r[column] for r in h] for h in runs])  # (seeds, E)
    stats = [mean_ci(values[:, e]) for e in range(values.shape[1])]
    return (episodes, *(np.array([s[k] for s in stats]) for k in ("mean", "low", "high")))


def plot_study_returns(results: dict):
    """Mean greedy return over seeds with 95% bands, MADDPG vs DDPG, adversary and good agents."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    for ax, (column, title) in zip(axes, [("adversary_0", "adversary_0"),
                                          ("agent_0", _fig("good agents (agent_0 = agent_1: shared reward)"))]):
        for method in METHODS:
            episodes, mean, low, high = curve_band(results["histories"], method, column)
            ax.plot(episodes, mean, color=METHOD_COLORS[method], lw=2, label=_fig(METHOD_LABELS[method]))
            ax.fill_between(episodes, low, high, color=METHOD_COLORS[method], alpha=0.2)
        for name, ls in [("random", ":"), ("noop", "-.")]:
            ax.axhline(results["baselines"][name]["returns"][column], color="0.4", ls=ls, lw=1,
                       label=_fig(METHOD_LABELS[name]))
        ax.set_title(title)
        ax.set_xlabel(_fig("training episode"))
        ax.axhline(0, color="gray", lw=0.5)
    axes[0].set_ylabel(_fig("mean return per episode (greedy)"))
    axes[0].legend(fontsize=8)
    fig.suptitle(_fig("Mean over {seeds} seeds, shaded: {level} confidence band").format(
        seeds=len(results["seeds"]), level="95%"), fontsize=10)
    fig.tight_layout()
    return fig


def plot_study_deception(results: dict):
    """Final deception rates: MADDPG and DDPG (mean over seeds, 95% CI) vs the random and no-op baselines."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 4))
    groups = ["maddpg", "ddpg", "random", "noop"]
    width = 0.8 / len(groups)
    x = np.arange(len(RATE_KEYS))
    for g, name in enumerate(groups):
        if name in METHODS:
            stats = results["summary"][f"{name} vs {name}"]
            mean = np.array([stats[k]["mean"] for k in RATE_KEYS])
            err = np.array([[stats[k]["mean"] - stats[k]["low"], stats[k]["high"] - stats[k]["mean"]]
                            for k in RATE_KEYS]).T
        else:
            mean, err = np.array([results["baselines"][name]["deception"][k] for k in RATE_KEYS]), None
        ax.bar(x + (g - 1.5) * width, mean, width, yerr=err, capsize=3, color=METHOD_COLORS[name],
               label=_fig(METHOD_LABELS[name]))
    ax.axhline(0.5, color="k", ls="--", lw=0.8)
    ax.text(len(RATE_KEYS) - 0.5, 0.51, "50%", fontsize=8, ha="right")
    ax.set_xticks(x, [_rate_label(RATE_LABELS[k]) for k in RATE_KEYS], fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel(_fig("fraction of evaluation episodes (last step)"))
    ax.set_title(_fig("Deception rates after training (error bars: 95% CI over seeds)"))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _rate_label(label: str) -> str:
    """A rate's label under its bars: English broken after its first two words, a translation as it is."""
    shown = _fig(label)
    return label.replace(" ", "\n", 2) if shown == label else shown


def adversary_episodes_to_random(results: dict, method: str) -> list:
    """Per seed of ``method``'s runs: the first evaluation episode after which the adversary's
    smoothed return stays above the random adversary's (:func:`episodes_to_threshold`), or None.

    A convergence measure that means something in this game, unlike the good agents' return,
    which a random team already keeps above 0.
    """
    threshold = results["baselines"]["random"]["returns"]["adversary_0"]
    return [episodes_to_threshold([r["episode"] for r in h], [r["adversary_0"] for r in h], threshold)
            for h in (results["histories"][f"{method}-seed{seed}"] for seed in results["seeds"])]


def plot_study_convergence(results: dict):
    """Per run: episodes until the good agents' smoothed return stays above 0 (the issue's
    measure), until the adversary's stays above the random adversary's, and wall time."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    runs = [r for r in results["rows"] if r["good_team"] == r["adversary"]]
    never = results["config"]["episodes"] * 1.08
    for m, method in enumerate(METHODS):
        mine = sorted((r for r in runs if r["good_team"] == method), key=lambda r: r["seed"])
        jitter = m + np.linspace(-0.15, 0.15, len(mine))
        ett = [never if r["episodes_to_threshold"] is None else r["episodes_to_threshold"] for r in mine]
        axes[0].scatter(jitter, ett, color=METHOD_COLORS[method])
        adv = [never if e is None else e for e in adversary_episodes_to_random(results, method)]
        axes[1].scatter(jitter, adv, color=METHOD_COLORS[method])
        axes[2].scatter(jitter, [r["wall_seconds"] for r in mine], color=METHOD_COLORS[method])
    for ax in axes[:2]:
        ax.axhline(never, color="0.5", ls=":", lw=1)
        ax.text(1.45, never, _fig("never"), va="center", fontsize=8)
        ax.set_ylim(0, never * 1.05)
    axes[0].set_ylabel(_fig("training episode"))
    axes[0].set_title(_fig("Good agents' smoothed return stays > {threshold} from ...\n"
                           "(a random team already scores above it)").format(threshold=f"{RETURN_THRESHOLD:g}"),
                      fontsize=9)
    axes[1].set_title(_fig("Adversary's smoothed return stays above\nthe random adversary's from ..."), fontsize=9)
    axes[2].set_ylabel(_fig("wall seconds per run"))
    axes[2].set_title(_fig("Cost of one run (one worker, shared machine)"), fontsize=9)
    for ax in axes:
        ax.set_xticks(range(len(METHODS)), [_fig(METHOD_LABELS[m]) for m in METHODS])
        ax.set_xlim(-0.6, 1.8)
    axes[1].set_ylim(0, None)
    fig.tight_layout()
    return fig


def plot_study_matchups(results: dict):
    """Mean final returns (95% CI over seeds) of the four pairings good team vs adversary."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    pairings = [(g, a) for g in METHODS for a in METHODS]
    labels = [_fig("good: {good}\nadv.: {adversary}").format(good=METHOD_LABELS[g].split()[0],
                                                             adversary=METHOD_LABELS[a].split()[0])
              for g, a in pairings]
    panels = [(axes[0], "return_agent_0", "good", _fig("good agents' return (bar color: who trained that side)")),
              (axes[1], "return_adversary_0", "adversary",
               _fig("adversary's return (bar color: who trained that side)"))]
    for ax, column, side, title in panels:
        stats = [results["summary"][f"{g} vs {a}"][column] for g, a in pairings]
        mean = np.array([s["mean"] for s in stats])
        err = np.array([[s["mean"] - s["low"], s["high"] - s["mean"]] for s in stats]).T
        colors = [METHOD_COLORS[g if side == "good" else a] for g, a in pairings]
        ax.bar(range(len(pairings)), mean, yerr=err, capsize=3, color=colors)
        ax.set_xticks(range(len(pairings)), labels, fontsize=8)
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel(_fig("mean return per episode"))
    fig.tight_layout()
    return fig


# ----- command line --------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.study", description=__doc__.split("\n\n")[0])
    runner.add_arguments(parser)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the JSON/CSV and, under study_runs/, each run's files (default: "
                             "maddpg_lite/data in a checkout, runs/study from an installed package, or "
                             "runs/study_quick in quick mode)")
    parser.add_argument("--replot", action="store_true",
                        help="only redraw the figures from the result files in --out (no training; without "
                             "--out, from the shipped results)")
    parser.add_argument("--figures", type=Path, default=None,
                        help="folder for the study_*.png figures (default: figures/ in a checkout; --out when --out "
                             "is given, in quick mode or from an installed package, so a study elsewhere never "
                             "overwrites the shipped figures)")
    args = parser.parse_args(argv)
    quick = quick_mode()
    checkout = paths.in_checkout()
    results = args.out or (QUICK_DIR if quick else DATA_DIR)  # what --replot reads
    out = args.out or (QUICK_DIR if quick else DATA_DIR if checkout else INSTALLED_DIR)
    figures = args.figures or (out if (quick or args.out or not checkout) else FIGURES_DIR)
    overrides = QUICK_OVERRIDES if quick else {}
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    if args.workers is not None and args.workers < 1:
        print(f"{parser.prog}: error: --workers must be >= 1, got {args.workers}", file=sys.stderr)
        return 2
    if args.replot:
        figures.mkdir(parents=True, exist_ok=True)
        written = write_study_figures(load_results(folder=results), figures)
        log("redrew " + ", ".join(str(p) for p in written))
        return 0
    try:
        results = run_study(QUICK_SEEDS if quick else SEEDS, overrides, args.workers, log, folder=out / RUNS_FOLDER,
                            scheduler=args.scheduler)
    except runner.RunnerError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return exc.status
    written = write_study(results, out, figures)
    where = args.scheduler or f"{results['workers']} workers"
    log(f"study: {results['study_wall_seconds'] / 60:.1f} min on {where} "
        f"(load average before {results['machine_before']['load_average']}, "
        f"after {results['machine_after']['load_average']}); wrote " + ", ".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
