"""Greedy evaluation on fixed seeds, the random and no-op baselines, and the deception rates.

Evaluation episode j always starts from ``reset(seed=EVAL_SEED + j)``, so every
evaluation of every run and baseline plays the same starting positions.
"""

from __future__ import annotations

import numpy as np

from .env import AGENTS, N_ACTIONS, VecSimpleAdversary

EVAL_SEED = 1_000_000
"""First evaluation seed; far from the training environments' seeds."""

DECEPTION_KEYS = ("good_on_target", "all_landmarks_covered", "adversary_on_target", "adversary_closer_to_target")


def greedy_policy(maddpg):
    """``obs -> (K, N)`` integer actions: each actor's argmax (decentralized execution)."""
    return lambda obs: maddpg.act(obs, explore=False).argmax(-1)


def as_policy(policy):
    """A :class:`~maddpg_lite.maddpg.MADDPG` becomes its greedy policy; a callable
    ``{name: (K, d)} -> (K, N)`` integer actions is kept as it is."""
    return greedy_policy(policy) if hasattr(policy, "act") else policy


def team_policy(adversary, good):
    """Cross-play: the adversary's actions (column 0) from one policy, the good agents'
    (columns 1..N-1) from another. Each may be a MADDPG (greedy) or a callable policy.

    Returns:
        a callable ``{name: (K, d)} -> (K, N)`` integer actions.
    """
    adversary, good = as_policy(adversary), as_policy(good)

    def policy(obs):
        actions = np.array(good(obs))  # (K, N)
        actions[:, 0] = np.asarray(adversary(obs))[:, 0]
        return actions

    return policy


def random_policy(seed: int = 0):
    """Uniformly random actions for every agent."""
    rng = np.random.default_rng(seed)
    return lambda obs: rng.integers(N_ACTIONS, size=(len(obs[AGENTS[0]]), len(AGENTS)))


def noop_policy():
    """Every agent always takes action 0 (stay): nobody moves."""
    return lambda obs: np.zeros((len(obs[AGENTS[0]]), len(AGENTS)), dtype=np.int64)


def evaluate(policy, episodes: int = 100, seed: int = EVAL_SEED, with_env: bool = False) -> dict:
    """Play ``episodes`` full episodes (all at once) and measure them.

    Args:
        policy: a :class:`~maddpg_lite.maddpg.MADDPG` (greedy actions) or a callable
            ``{name: (K, d)} -> (K, N)`` integer actions.
        episodes: number of episodes, K.
        seed: episode j starts from ``reset(seed=seed + j)``.
        with_env: also return the game as it ends (``"env"``: a :class:`VecSimpleAdversary`
            of ``episodes`` slots after the last step), to measure more of that last step.

    Returns:
        ``{"returns": {name: mean return}, "returns_std": {name: std},
        "deception": {rate name: fraction of episodes}, "episodes": K}``. A return is the
        undiscounted sum of the 25 rewards; the deception rates (see
        :meth:`VecSimpleAdversary.deception_flags`) are read at the last step.
    """
    policy = as_policy(policy)
    env = VecSimpleAdversary(episodes)
    obs = env.reset(seeds=[seed + j for j in range(episodes)])
    returns = np.zeros((episodes, len(AGENTS)))
    truncated = np.zeros(episodes, dtype=bool)
    while not truncated.all():
        obs, rewards, _, truncated = env.step(policy(obs))
        returns += rewards
    flags = env.deception_flags()
    result = {
        "returns": {name: float(returns[:, i].mean()) for i, name in enumerate(AGENTS)},
        "returns_std": {name: float(returns[:, i].std()) for i, name in enumerate(AGENTS)},
        "deception": {key: float(flags[key].mean()) for key in DECEPTION_KEYS},
        "episodes": episodes,
    }
    if with_env:
        result["env"] = env
    return result


def baselines(episodes: int = 1000, seed: int = EVAL_SEED) -> dict:
    """The same measurements for a uniformly random and a no-op policy."""
    return {"random": evaluate(random_policy(0), episodes, seed),
            "noop": evaluate(noop_policy(), episodes, seed)}
