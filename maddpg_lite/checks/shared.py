"""What several exercise sets check against: states of mpe2's simple_adversary (sets 01 and 02), the MADDPG
and batch of :func:`exercise_setup` (sets 04 and 05), and the update schedule of :func:`maddpg_lite.train`
(set 05 and the capstone). Imports the framework only, never an exercise set.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import torch

from ..buffer import Batch, ReplayBuffer
from ..env import EPISODE_LENGTH, N_ACTIONS, OBS_DIMS, VecSimpleAdversary
from ..i18n import _
from ..maddpg import MADDPG
from .core import _fmt, _one_thread


@functools.lru_cache(maxsize=8)
def _mpe2_states(n_good: int, seeds: tuple, steps: int) -> tuple:
    """States of mpe2's own simple_adversary with ``n_good`` good agents, read from its world after
    ``reset(seed)`` and after each of ``steps`` random steps, with the observations and rewards mpe2
    returned there (rewards are None right after a reset)."""
    from ..env import make_env

    env = make_env(N=n_good)
    states = []
    for seed in seeds:
        obs, _info = env.reset(seed=seed)
        names = list(env.possible_agents)
        world = env.unwrapped.world
        rng = np.random.default_rng(seed)
        for t in range(steps + 1):
            rewards = None
            if t:
                obs, rew, *_rest = env.step({name: int(rng.integers(N_ACTIONS)) for name in names})
                rewards = np.array([rew[name] for name in names], dtype=np.float64)
            states.append(dict(
                n_good=n_good, seed=seed, step=t,
                agent_pos=np.array([a.state.p_pos for a in world.agents], dtype=np.float64),
                landmark_pos=np.array([lm.state.p_pos for lm in world.landmarks], dtype=np.float64),
                target=[lm is world.agents[0].goal_a for lm in world.landmarks].index(True),
                obs=[np.array(obs[name], dtype=np.float64) for name in names], rewards=rewards))
    return tuple(states)


def _state_input(s: dict, extra: str = "") -> str:
    where = _("(mpe2 with N={n_good} good agents, reset(seed={seed}), then {steps} random steps)").format(
        n_good=s["n_good"], seed=s["seed"], steps=s["step"])
    return (f"agent_pos = {_fmt(s['agent_pos'])}, landmark_pos = {_fmt(s['landmark_pos'])}, target = {s['target']}"
            f"{extra}  {where}")


def _rollout_buffer(seed: int, num_envs: int = 16) -> ReplayBuffer:
    """One 25-step episode of uniformly random actions in ``num_envs`` games, stored."""
    rng = np.random.default_rng(seed)
    env = VecSimpleAdversary(num_envs, seed=seed)
    buffer = ReplayBuffer(num_envs * EPISODE_LENGTH, OBS_DIMS, N_ACTIONS)
    obs = list(env.reset().values())
    for _step in range(EPISODE_LENGTH):
        actions = rng.integers(N_ACTIONS, size=(num_envs, len(OBS_DIMS)))
        next_obs, rewards, terminated, _info = env.step(actions)
        next_obs = list(next_obs.values())
        dones = np.repeat(terminated[:, None], len(OBS_DIMS), axis=1)  # termination only (never, in this game)
        buffer.add(obs, np.eye(N_ACTIONS, dtype=np.float32)[actions], rewards, next_obs, dones)
        obs = next_obs
    return buffer


@functools.lru_cache(maxsize=4)
def _setup(seed: int, batch_size: int) -> tuple[MADDPG, Batch]:
    with _one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        buffer = _rollout_buffer(seed)
        maddpg = MADDPG(OBS_DIMS, N_ACTIONS, hidden_dim=16)
        for _round in range(20):  # real update rounds: the networks now differ from their targets
            maddpg.update(buffer.sample(64, rng))
        return maddpg, buffer.sample(batch_size, rng)


def exercise_setup(seed: int = 0, batch_size: int = 64) -> tuple[MADDPG, Batch]:
    """A small MADDPG and a batch to try the exercises on (the checkers use the same recipe).

    The MADDPG has the game's sizes (observations 8, 10, 10; 5 actions) and hidden layers of
    16. It was trained for 20 update rounds on 400 real transitions (one episode of random
    play in 16 copies of simple_adversary), so its networks differ from their targets. The
    batch is ``batch_size`` transitions of the same data. simple_adversary never terminates,
    so every ``done`` in it is 0. Fresh copies each call: change them freely.

    Returns:
        ``(maddpg, batch)``.
    """
    return copy.deepcopy(_setup(seed, batch_size))


def _update_schedule(episodes: int, num_envs: int, update_interval: int, minimal_size: int,
                     episode_length: int = EPISODE_LENGTH, before_add: bool = False) -> list[int]:
    """Update rounds after each ``env.step()`` of K = ``num_envs`` games, as :func:`maddpg_lite.train`
    schedules them (the replay buffer assumed large enough): after step j, ``env_steps = j K``; each
    multiple of ``update_interval`` crossed gives one round if the buffer holds ``minimal_size``
    transitions, and none otherwise (boundaries crossed while the buffer warms up are skipped).
    ``before_add``: the buffer is measured before the step's K transitions are stored.
    tests/test_training_loop.py checks this against train()."""
    counts, mark = [], 0
    for j in range(1, episodes // num_envs * episode_length + 1):
        stored = (j - 1) * num_envs if before_add else j * num_envs
        new_mark = j * num_envs // update_interval
        counts.append(new_mark - mark if stored >= minimal_size else 0)
        mark = new_mark
    return counts
