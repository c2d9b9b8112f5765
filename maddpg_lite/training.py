"""Train MADDPG on an MPE game (simple_adversary by default): the loop, its outputs, and the
command line of the main job ``python -m maddpg_lite.train``.

The loop is the source's pseudo-code with K games stepped together::

    for each round of K episodes:
        reset the K games
        for t = 1..episode_length (or until every game has ended):
            act with exploration (Gumbel-softmax), step, store (x, a, r, x', done) in D
            (only for the games still running before the step)
            every `update_interval` env steps, once D holds `minimal_size`:
                sample a batch; update each critic, each actor; soft-update the targets
        every `eval_interval` episodes: greedy evaluation on fixed seeds

Run ``python -m maddpg_lite.train --help`` for the flags (one per Config field).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .buffer import ReplayBuffer
from .config import PRESETS, Config, env_kwargs, field_docs
from .evaluation import baselines, evaluate
from .fast import FastMADDPG
from .games import make_vec_game, metric_groups
from .i18n import _
from .maddpg import MADDPG
from .paths import write_atomically, write_text
from .shapes import action_indices


@dataclasses.dataclass
class TrainResult:
    """What a run produced (also written to ``--out``)."""

    maddpg: MADDPG
    buffer: ReplayBuffer
    """The replay buffer D as training left it (rewards scaled by ``config.reward_scale``)."""
    history: list[dict]
    """One row per evaluation: episode, each agent's mean return and the game's metrics (last step)."""
    summary: dict
    """The content of summary.json."""


def training_env_seeds(config: Config) -> list[int]:
    """Seeds of the K training games, derived from ``config.seed``."""
    return [int(s) for s in np.random.SeedSequence(config.seed).generate_state(config.num_envs)]


def _progress_bar(episodes: int, show: bool):
    """The training's progress bar, counting episodes (its unit in the current language)."""
    return tqdm(total=episodes, unit=_("ep"), disable=not show, dynamic_ncols=True)


def train(config: Config, out_dir=None, progress: bool = True, init_from=None) -> TrainResult:
    """Run MADDPG (or independent DDPG, ``config.centralized=False``) for ``config.episodes``.

    Args:
        config: the hyper-parameters.
        out_dir: if given, write summary.json, history.csv, one CSV per metric group of the
            game (simple_adversary: deception.csv and hedging.csv; other games: metrics.csv),
            returns.png and checkpoint.pt there when the run ends (also after Ctrl-C); the CSVs
            are also rewritten after every evaluation, so a killed run keeps its curves so far.
        progress: show a progress bar with the latest evaluation returns.
        init_from: optional checkpoint to start from (must have the same network shapes).
    """
    start = time.perf_counter()
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    game = env_kwargs(config)  # scenario, backend, action mode and the game's keywords, for training and evaluation
    env = make_vec_game(num_envs=config.num_envs, **game)
    agents, action_dims = env.agents, env.action_dims
    maddpg = FastMADDPG.from_config(config, env.obs_dims, action_dims)  # the plain MADDPG's round, faster
    if init_from is not None:
        maddpg.load_weights(init_from)
    obs = env.reset(seeds=training_env_seeds(config))
    buffer = ReplayBuffer(config.buffer_size, env.obs_dims, action_dims)
    groups = metric_groups(env)

    history: list[dict] = []
    env_steps = update_rounds = 0
    update_mark = 0  # index of the last update_interval boundary handled
    episodes_done = 0
    interrupted = False
    bar = _progress_bar(config.episodes, progress)
    try:
        while episodes_done < config.episodes:
            if episodes_done:  # the first round plays the games reset with their seeds above
                obs = env.reset()
            obs = list(obs.values())
            running = np.ones(config.num_envs, dtype=bool)  # games still on before this step
            for _ in range(config.episode_length):
                actions = maddpg.act(obs, explore=True)  # (K, N, A) or per agent (K, A_i): one-hot, or soft samples
                if config.explore_eps > 0:  # epsilon-random rows on top of the Gumbel-softmax samples
                    actions = random_rows(actions, action_dims, config.explore_eps, rng)
                next_obs, rewards, terminated, truncated = env.step(
                    actions if config.action_mode == "soft" else action_indices(actions))
                next_obs = list(next_obs.values())
                # done = termination only: a truncated episode still bootstraps from its real x'
                dones = np.repeat(terminated[:, None], len(agents), axis=1)
                if running.all():
                    buffer.add(obs, actions, rewards * config.reward_scale, next_obs, dones)
                    stored = config.num_envs
                else:  # a game that ended earlier is frozen until the next reset: store nothing for it
                    buffer.add([o[running] for o in obs], _rows(actions, running),
                               rewards[running] * config.reward_scale,
                               [o[running] for o in next_obs], dones[running])
                    stored = int(running.sum())
                obs = next_obs
                env_steps += stored
                mark = env_steps // config.update_interval
                if mark > update_mark:
                    if len(buffer) >= config.minimal_size:
                        for _ in range(mark - update_mark):
                            if config.per_agent_batches:  # the paper's code: a batch per agent
                                batch = buffer.sample_many(len(agents), config.batch_size, rng)
                            else:
                                batch = buffer.sample(config.batch_size, rng)
                            maddpg.update(batch)
                            update_rounds += 1
                    update_mark = mark
                running = ~(terminated | truncated)
                if not running.any():
                    break
            episodes_done += config.num_envs
            bar.update(config.num_envs)
            if episodes_done // config.eval_interval > len(history) or episodes_done == config.episodes:
                result = evaluate(maddpg, config.eval_episodes, env_kwargs=game)
                history.append({"episode": episodes_done, **result["returns"], **result["metrics"]})
                if out_dir is not None:
                    write_history(history, Path(out_dir), agents, groups)
                bar.set_postfix({name: f"{result['returns'][name]:+.1f}" for name in agents})
    except KeyboardInterrupt:
        interrupted = True
        print(f"\ninterrupted after {episodes_done} episodes; evaluating and saving what was learned",
              file=sys.stderr)
    finally:
        bar.close()

    final = evaluate(maddpg, config.final_eval_episodes, env_kwargs=game)
    measured = [*groups, "metrics_over_frames"]  # the game's metrics at the last step, and over all frames
    summary = {
        "scenario": config.scenario,
        "agents": list(agents),
        "adversaries": [bool(a) for a in env.adversaries],
        "metric_groups": {group: list(keys) for group, keys in groups.items()},
        "final_returns": final["returns"],
        "final_returns_std": final["returns_std"],
        **{key: final[key] for key in measured},
        "baselines": {name: {"returns": b["returns"], **{key: b[key] for key in measured}}
                      for name, b in baselines(config.final_eval_episodes, env_kwargs=game).items()},
        "eval_episodes": config.final_eval_episodes,
        "episodes": episodes_done,
        "env_steps": env_steps,
        "update_rounds": update_rounds,
        "wall_seconds": round(time.perf_counter() - start, 2),
        "interrupted": interrupted,
        "config": config.to_dict(),
    }
    result = TrainResult(maddpg, buffer, history, summary)
    if out_dir is not None:
        write_outputs(result, Path(out_dir))
    return result


def random_rows(actions, action_dims, eps: float, rng: np.random.Generator):
    """Replace each agent's action, with probability ``eps`` per game and agent, by a uniformly
    random one-hot (in place). ``actions``: ``(K, N, A)`` or per agent ``(K, A_i)``."""
    if isinstance(actions, np.ndarray):  # every agent with A actions: one draw for all
        rows = rng.random(actions.shape[:2]) < eps  # (K, N)
        actions[rows] = np.eye(action_dims[0], dtype=np.float32)[rng.integers(action_dims[0], size=int(rows.sum()))]
        return actions
    for a, size in zip(actions, action_dims):
        rows = rng.random(len(a)) < eps  # (K,)
        a[rows] = np.eye(size, dtype=np.float32)[rng.integers(size, size=int(rows.sum()))]
    return actions


def _rows(actions, keep: np.ndarray):
    """The rows ``keep`` of ``(K, N, A)`` actions or of each per-agent ``(K, A_i)``."""
    return actions[keep] if isinstance(actions, np.ndarray) else [a[keep] for a in actions]


def history_csv(history: list[dict], columns) -> str:
    """CSV text of the chosen columns; returns with 4 decimals, so equal runs give equal bytes."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in history:
        writer.writerow([row["episode"]] + [f"{row[c]:.4f}" for c in columns[1:]])
    return buf.getvalue()


def write_history(history: list[dict], out: Path, agents, groups: dict) -> None:
    """history.csv (each agent's mean return) and one ``<group>.csv`` per metric group in
    ``out`` (each replaced whole, never half-written)."""
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "history.csv", history_csv(history, ["episode", *agents]))
    for group, keys in groups.items():
        write_text(out / f"{group}.csv", history_csv(history, ["episode", *keys]))


def output_names(groups: dict) -> list[str]:
    """The files a run writes to ``--out``, for a game with metric ``groups``."""
    return ["summary.json", "history.csv", *(f"{g}.csv" for g in groups), "returns.png", "checkpoint.pt"]


def write_outputs(result: TrainResult, out: Path) -> None:
    """summary.json, history.csv, the metric CSVs, returns.png, checkpoint.pt in ``out``."""
    from .plots import plot_returns

    s = result.summary
    write_history(result.history, out, s["agents"], s["metric_groups"])
    write_text(out / "summary.json", json.dumps(result.summary, indent=2) + "\n")
    result.maddpg.save(out / "checkpoint.pt", config=result.summary["config"],
                       final_returns=result.summary["final_returns"],
                       eval_episodes=result.summary["eval_episodes"])
    fig = plot_returns(result.history, s["baselines"], agents=s["agents"], adversaries=s["adversaries"],
                       title=f"{'MADDPG' if s['config']['centralized'] else 'DDPG'} on {s['scenario']}")
    write_atomically(out / "returns.png", lambda tmp: fig.savefig(tmp, dpi=120, bbox_inches="tight"))
    import matplotlib.pyplot as plt

    plt.close(fig)


# ----- command line ------------------------------------------------------------------------
def unwritable_folder(folder: Path) -> str:
    """"" if ``folder`` exists or can be made, and a file can be written in it (it is made, and the
    probe file removed); else why not, in a few words (for a one-line error before any training)."""
    if folder.exists() and not folder.is_dir():
        return "exists and is not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"cannot write there ({exc.strerror or type(exc).__name__})"
    return ""


class _OneLineParser(argparse.ArgumentParser):
    """Bad flags end with one line on stderr (no usage block, no traceback) and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_game_kwargs(items) -> dict:
    """``["adversary_reward=squared", "N=3"]`` -> ``{"adversary_reward": "squared", "N": 3}``:
    a value that reads as a Python number, bool or None becomes one, anything else stays a
    string; ValueError naming an item without ``=``."""
    import ast

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--game-kwargs takes KEY=VALUE items, got {item!r}")
        try:
            parsed = ast.literal_eval(value)
            out[key] = parsed if isinstance(parsed, (int, float, bool, type(None))) else value
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def build_parser(prog: str = "python -m maddpg_lite.train") -> argparse.ArgumentParser:
    """One flag per :class:`Config` field (``--minimal-size``, ``--gumbel-tau``, ...), plus
    ``--preset``, ``--out``, ``--checkpoint`` and ``--no-progress``. Config flags that are not
    given stay out of the parsed namespace, so that a preset can fill them."""
    parser = _OneLineParser(prog=prog, description=(
        "Train MADDPG on an MPE game (simple_adversary and the source chapter's recipe by default) and "
        "write summary.json, history.csv, the game's metrics (deception.csv and hedging.csv for "
        "simple_adversary, metrics.csv for the others), returns.png and checkpoint.pt to --out."))
    docs = field_docs(Config)
    defaults = Config()
    for f in dataclasses.fields(Config):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        help_text = f"{docs[f.name]} (default: {default!r})".replace("%", "%%")
        if f.type in (bool, "bool"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help_text)
        elif f.name == "game_kwargs":
            parser.add_argument(flag, nargs="*", default=argparse.SUPPRESS, metavar="KEY=VALUE", help=help_text)
        else:
            parser.add_argument(flag, type=type(default), default=argparse.SUPPRESS, metavar=f.name.upper(),
                                help=help_text)
    parser.add_argument("--preset", default="book", choices=list(PRESETS),
                        help="a named recipe (maddpg_lite.config.PRESETS); the flags above override it (default: book)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: runs/maddpg-seedS, or runs/ddpg-seedS; with a preset other "
                             "than book, runs/PRESET-maddpg-seedS; on another game, runs/SCENARIO-maddpg-seedS)")
    parser.add_argument("--checkpoint", default=None, metavar="PATH",
                        help="start from the networks of this checkpoint.pt")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """The preset's recipe with the flags that were given on top."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(Config) if hasattr(args, f.name)}
    if "game_kwargs" in given:
        given["game_kwargs"] = parse_game_kwargs(given["game_kwargs"])
    return Config(**{**PRESETS[getattr(args, "preset", "book")], **given})


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        if args.checkpoint is not None:  # check it before anything is trained or written
            probe = make_vec_game(num_envs=1, **env_kwargs(config))
            MADDPG.from_config(config, probe.obs_dims, probe.action_dims).load_weights(args.checkpoint)
    except ValueError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    prefix = "" if args.preset == "book" else f"{args.preset}-"
    if config.scenario != Config.scenario:
        prefix = f"{config.scenario}-{prefix}"
    out = Path(args.out or f"runs/{prefix}{'maddpg' if config.centralized else 'ddpg'}-seed{config.seed}")
    problem = unwritable_folder(out)
    if problem:
        print(f"{parser.prog}: error: --out {out}: {problem}", file=sys.stderr)
        return 2
    result = train(config, out_dir=out, progress=not args.no_progress, init_from=args.checkpoint)
    s = result.summary
    print(f"wrote {out}/ ({', '.join(output_names(s['metric_groups']))})")
    print("final returns: " + ", ".join(f"{k} {v:+.2f}" for k, v in s["final_returns"].items())
          + f"  [{s['env_steps']} env steps, {s['update_rounds']} update rounds, {s['wall_seconds']:.1f} s]")
    return 130 if s["interrupted"] else 0
