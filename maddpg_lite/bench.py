"""Speed benchmark: ``python -m maddpg_lite.bench`` prints JSON lines.

* ``env_steps_per_s``: bare mpe2 ``parallel_env`` stepping with random actions (one
  game, PettingZoo's API): the speed of the environment as most code meets it.
* ``train_steps_per_s``: the training loop as the main job runs it (acting, storing,
  update rounds, the evaluations and the final evaluation with baselines), after a
  short warm-up run: environment steps trained per second of wall time.
* ``full_run_s``: wall seconds of the full default run (5000 episodes).
* ``update_round_ms``: median milliseconds of one update round (``MADDPG.update``) on a
  batch of 32 and of 1024 with one torch thread, and of 1024 with two: how much of a round
  is fixed per-operation cost, and what a second thread would buy.

``--optimizer-step`` times instead update rounds of the paper recipe (soft actions, per-tensor
clipping 0.5, a batch of 1024 per agent) side by side, alternating: as the trainer takes its optimizer
steps (:func:`maddpg_lite.fast.adam_step`) and with torch's own ``optimizer.step()``; it prints the
medians, their ratio, and whether both ended with the same weights (for ``--optimizer-step`` they must, to the bit;
for ``--agent-threads`` equal weights are what this machine measures, and tests allow float rounding).
``--agent-threads`` does the same for the agents' steps on two threads against the plain loop
(:attr:`~maddpg_lite.config.Config.agent_threads`).

``--plain-vs-fast`` times update rounds of the plain :class:`~maddpg_lite.maddpg.MADDPG` (the readable loop)
against the trainer's :class:`~maddpg_lite.fast.FastMADDPG`, for the book and the paper recipe, alternating.

``--adapter`` measures instead the mpe2 adapter of :mod:`maddpg_lite.games` against bare mpe2
stepping, game by game (``ratio`` >= 0.8 is the goal). ``--preset paper`` times instead one full run of that
recipe (the MADDPG paper's: 60,000
episodes, a batch per agent, soft actions; ``--repeats 1`` is enough for a run of minutes) and
prints ``run_wall_s`` with the number of update rounds, the wall time per round and the
load average before and after, which says whether the machine was quiet.

Each is measured ``--repeats`` times in the same process; the last line has the
medians and ``ratio = train_steps_per_s / env_steps_per_s``. The machines are
noisy: compare medians, and run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import time

import numpy as np
import torch

from .config import PRESETS, Config, preset
from .env import AGENTS, make_env
from .training import train

PLAIN_REFERENCE_S = 330.0
"""Wall time of a plain implementation of the recipe (one env, per-step single-sample
inference, list-based buffer) on a quiet 2-core machine, from the source's reference figures."""


def env_steps_per_s(steps: int = 5000, seed: int = 0) -> float:
    """Random-action steps per second of one mpe2 parallel_env (resets included)."""
    env = make_env()
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    start = time.perf_counter()
    for _ in range(steps):
        actions = {name: int(a) for name, a in zip(AGENTS, rng.integers(5, size=len(AGENTS)))}
        _, _, terminations, truncations, _ = env.step(actions)
        if any(truncations.values()) or any(terminations.values()):
            env.reset()
    return steps / (time.perf_counter() - start)


def random_buffer(size: int, rng: np.random.Generator):
    """A full replay buffer of ``size`` random simple_adversary transitions (normal observations
    and rewards, one-hot actions, no terminations): what the timed update rounds sample from."""
    from .buffer import ReplayBuffer
    from .env import N_ACTIONS, OBS_DIMS

    buffer = ReplayBuffer(size, OBS_DIMS, N_ACTIONS)
    buffer.add([rng.standard_normal((size, d)) for d in OBS_DIMS],
               np.eye(N_ACTIONS)[rng.integers(N_ACTIONS, size=(size, len(OBS_DIMS)))],
               rng.standard_normal((size, len(OBS_DIMS))), [rng.standard_normal((size, d)) for d in OBS_DIMS],
               np.zeros((size, len(OBS_DIMS))))
    return buffer


def update_round_ms(batch_size: int, threads: int = 1, rounds: int = 40, seed: int = 0) -> float:
    """Median wall milliseconds of the trainer's update round (``FastMADDPG.update``, one thread) on random
    batches of ``batch_size``."""
    from .env import N_ACTIONS, OBS_DIMS
    from .fast import FastMADDPG

    rng = np.random.default_rng(seed)
    buffer = random_buffer(4 * batch_size, rng)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        maddpg = FastMADDPG(OBS_DIMS, N_ACTIONS)
        batches = [buffer.sample(batch_size, rng) for _ in range(rounds + 5)]
        times = []
        for k, batch in enumerate(batches):
            start = time.perf_counter()
            maddpg.update(batch)
            if k >= 5:  # the first rounds warm up torch's allocator and kernels
                times.append(1000 * (time.perf_counter() - start))
    finally:
        torch.set_num_threads(before)
    return statistics.median(times)


def paper_rounds_ms(torch_step: bool, rounds: int = 100, seed: int = 0,
                    agent_threads: int = 1, batch_size: int = 1024) -> tuple[float, torch.Tensor]:
    """Median milliseconds of one paper-recipe update round (3 agents, a batch of ``batch_size`` each, soft
    actions, clipping 0.5) over ``rounds`` rounds after 5 warm-up rounds, and all critic weights at
    the end (flat). ``torch_step``: take the optimizer steps with torch's ``optimizer.step()``
    instead of :func:`~maddpg_lite.fast.adam_step`; ``agent_threads``: see :class:`~maddpg_lite.config.Config`."""
    from unittest import mock

    from . import fast
    from .env import N_ACTIONS, OBS_DIMS

    torch.set_num_threads(1)  # as the trainer runs (Config.threads)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    buffer = random_buffer(20_000, rng)
    m = fast.FastMADDPG(OBS_DIMS, N_ACTIONS, action_mode="soft", grad_clip=0.5, agent_threads=agent_threads)
    step = (lambda optimizer, params: optimizer.step()) if torch_step else fast.adam_step
    times = []
    with mock.patch.object(fast, "adam_step", step):
        for k in range(rounds + 5):
            batches = buffer.sample_many(len(OBS_DIMS), batch_size, rng)
            start = time.perf_counter()
            m.update(batches)
            if k >= 5:
                times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), torch.cat([p.detach().flatten() for net in m.critics for p in net.parameters()])


def side_by_side(repeats: int, first: str, run_first, second: str, run_second) -> int:
    """``repeats`` alternating pairs of two ``() -> (ms, weights)`` measurements; one JSON line per
    pair (with whether both ended with the same weights) and the medians with their ratio."""
    ours, theirs = [], []
    for r in range(repeats):
        (a, weights_a), (b, weights_b) = run_first(), run_second()
        ours.append(a)
        theirs.append(b)
        print(json.dumps({"pair": r, first: round(a, 2), second: round(b, 2),
                          "same_weights": bool(torch.equal(weights_a, weights_b))}), flush=True)
    print(json.dumps({first: round(statistics.median(ours), 2), second: round(statistics.median(theirs), 2),
                      "ratio": round(statistics.median(ours) / statistics.median(theirs), 2), "repeats": repeats,
                      "load_after": round(os.getloadavg()[0], 2)}), flush=True)
    return 0


def bench_optimizer_step(repeats: int) -> int:
    """Paper-recipe update rounds with :func:`~maddpg_lite.fast.adam_step` against torch's ``optimizer.step()``."""
    return side_by_side(repeats, "adam_step_ms", lambda: paper_rounds_ms(False),
                        "torch_step_ms", lambda: paper_rounds_ms(True))


def bench_agent_threads(repeats: int) -> int:
    """Paper-recipe update rounds with the agents on two threads against the plain loop (one thread),
    on batches of 1024 (the recipes'), 768, 512 and 256 (the lessons' quick mode). The threads are used
    here on every batch size, to show where they pay: the trainer uses them from
    :data:`~maddpg_lite.fast.MIN_THREADED_ROWS` rows on."""
    from unittest import mock

    from . import fast

    def threaded(batch_size: int):
        with mock.patch.object(fast, "MIN_THREADED_ROWS", 1):
            return paper_rounds_ms(False, agent_threads=2, batch_size=batch_size)

    for batch_size in (1024, 768, 512, 256):
        print(json.dumps({"batch_size": batch_size}), flush=True)
        side_by_side(repeats, "agent_threads2_ms", functools.partial(threaded, batch_size),
                     "agent_threads1_ms",
                     functools.partial(paper_rounds_ms, False, agent_threads=1, batch_size=batch_size))
    return 0


def recipe_rounds_ms(recipe: str, plain: bool, rounds: int = 100, seed: int = 0,
                     batch_size: int = 1024) -> tuple[float, torch.Tensor]:
    """Median milliseconds of one update round of ``recipe`` (``"book"``: one batch, one-hot actions;
    ``"paper"``: a batch per agent, soft actions, clipping 0.5) over ``rounds`` rounds after 5 warm-up
    rounds, by the plain :class:`~maddpg_lite.maddpg.MADDPG` or by the trainer's
    :class:`~maddpg_lite.fast.FastMADDPG` (2 agent threads, as ``Config``), and all weights at the end."""
    from .env import N_ACTIONS, OBS_DIMS
    from .fast import FastMADDPG
    from .maddpg import MADDPG

    torch.set_num_threads(1)  # as the trainer runs (Config.threads)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    buffer = random_buffer(20_000, rng)
    kwargs = dict(action_mode="soft", grad_clip=0.5) if recipe == "paper" else {}
    m = MADDPG(OBS_DIMS, N_ACTIONS, **kwargs) if plain else FastMADDPG(OBS_DIMS, N_ACTIONS, agent_threads=2, **kwargs)
    times = []
    for k in range(rounds + 5):
        if recipe == "paper":
            batch = buffer.sample_many(len(OBS_DIMS), batch_size, rng)
        else:
            batch = buffer.sample(batch_size, rng)
        start = time.perf_counter()
        m.update(batch)
        if k >= 5:
            times.append(1000 * (time.perf_counter() - start))
    weights = [p.detach().flatten() for net in m.actors + m.critics + m.target_actors + m.target_critics
               for p in net.parameters()]
    return statistics.median(times), torch.cat(weights)


def bench_plain_vs_fast(repeats: int) -> int:
    """Update rounds of the plain MADDPG against the trainer's FastMADDPG, both recipes, batches of 1024."""
    for recipe in ("book", "paper"):
        print(json.dumps({"recipe": recipe}), flush=True)
        side_by_side(repeats, "fast_ms", functools.partial(recipe_rounds_ms, recipe, plain=False),
                     "plain_ms", functools.partial(recipe_rounds_ms, recipe, plain=True))
    return 0


def train_run(config: Config) -> dict:
    start = time.perf_counter()
    result = train(config, progress=False)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "env_steps": result.summary["env_steps"],
            "train_steps_per_s": result.summary["env_steps"] / wall}


def bench_preset(name: str, repeats: int) -> int:
    """Time ``repeats`` full runs of preset ``name``; print one JSON line per run and the medians."""
    walls = []
    for r in range(repeats):
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        result = train(preset(name), progress=False)
        walls.append(time.perf_counter() - start)
        rounds = result.summary["update_rounds"]
        print(json.dumps({"repeat": r, "preset": name, "run_wall_s": round(walls[-1], 1), "update_rounds": rounds,
                          "ms_per_round_incl_env": round(1000 * walls[-1] / max(rounds, 1), 2),
                          "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}),
              flush=True)
    median = round(statistics.median(walls), 1)
    print(json.dumps({"preset": name, "run_wall_s": median, "repeats": repeats}), flush=True)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="measurements of each figure")
    parser.add_argument("--episodes", type=int, default=Config.episodes, help="episodes of the timed training run")
    parser.add_argument("--env-steps", type=int, default=5000, help="steps of the bare env measurement")
    parser.add_argument("--preset", default=None, choices=list(PRESETS),
                        help="time full runs of this recipe instead (e.g. paper); nothing else is measured")
    parser.add_argument("--optimizer-step", action="store_true",
                        help="instead: paper-recipe update rounds with fast.adam_step against torch's optimizer.step()")
    parser.add_argument("--agent-threads", action="store_true",
                        help="instead: paper-recipe update rounds with the agents on 2 threads against 1 "
                             "(Config.agent_threads)")
    parser.add_argument("--plain-vs-fast", action="store_true",
                        help="instead: update rounds of the plain MADDPG against the trainer's FastMADDPG, "
                             "both recipes")
    parser.add_argument("--adapter", action="store_true",
                        help="instead: steps/s of maddpg_lite.games.Mpe2VecGame (50 games) against bare mpe2 "
                             "stepping of the same games, for each game of the paper")
    args = parser.parse_args(argv)
    if args.preset is not None:
        return bench_preset(args.preset, args.repeats)
    if args.optimizer_step:
        return bench_optimizer_step(args.repeats)
    if args.agent_threads:
        return bench_agent_threads(args.repeats)
    if args.plain_vs_fast:
        return bench_plain_vs_fast(args.repeats)
    if args.adapter:
        from .games import PAPER_SCENARIOS, adapter_speed

        for scenario in PAPER_SCENARIOS:
            speed = adapter_speed(scenario, repeats=args.repeats)
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in speed.items()}), flush=True)
        return 0

    train_run(Config(episodes=100, minimal_size=500, batch_size=256, final_eval_episodes=100))  # warm-up
    env_rates, train_rates, walls = [], [], []
    for r in range(args.repeats):
        env_rates.append(env_steps_per_s(args.env_steps, seed=r))
        run = train_run(Config(episodes=args.episodes))
        train_rates.append(run["train_steps_per_s"])
        walls.append(run["wall_s"])
        print(json.dumps({"repeat": r, "env_steps_per_s": round(env_rates[-1]),
                          "train_steps_per_s": round(train_rates[-1]), "run_wall_s": round(walls[-1], 2),
                          "episodes": args.episodes}), flush=True)
    env_rate, train_rate, wall = (statistics.median(x) for x in (env_rates, train_rates, walls))
    summary = {"env_steps_per_s": round(env_rate), "train_steps_per_s": round(train_rate),
               "ratio": round(train_rate / env_rate, 2), "episodes": args.episodes, "run_wall_s": round(wall, 2),
               "repeats": args.repeats}
    summary["update_round_ms"] = {"batch32_threads1": round(update_round_ms(32), 2),
                                  "batch1024_threads1": round(update_round_ms(1024), 2),
                                  "batch1024_threads2": round(update_round_ms(1024, threads=2), 2)}
    if args.episodes == Config.episodes:
        summary["full_run_s"] = summary["run_wall_s"]
        summary["speedup_vs_plain_reference"] = round(PLAIN_REFERENCE_S / wall, 1)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
