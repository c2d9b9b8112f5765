"""Evaluation on fixed seeds, the random and no-op baselines, and the deception rates.

Evaluation episode j always starts from ``reset(seed=EVAL_SEED + j)``, so every
evaluation of every run and baseline plays the same starting positions. A trained MADDPG
plays greedily (each actor's argmax); with ``action_mode="soft"`` it plays soft Gumbel-softmax
samples, as the paper's code does, with the noise of episode j drawn from a generator seeded
with the episode's seed, so evaluations stay reproducible.

A *policy* is a callable ``{name: (K, d)} -> actions`` (``(K, N)`` integers, or ``(K, N, A)``
continuous actions for a soft game); it may have ``reset(seeds)``, which :func:`evaluate`
calls with the K episode seeds before the first step.
"""

from __future__ import annotations

import numpy as np
import torch

from .env import AGENTS, EPISODE_LENGTH, N_ACTIONS, VecSimpleAdversary
from .functional import sample_gumbel

EVAL_SEED = 1_000_000
"""First evaluation seed; far from the training environments' seeds."""

DECEPTION_KEYS = ("good_on_target", "all_landmarks_covered", "adversary_on_target", "adversary_closer_to_target",
                  "good_success", "adversary_success")
"""The rates of :meth:`VecSimpleAdversary.deception_flags`, read at the last step."""
RATE_LABELS = {"good_on_target": "good agent on target", "all_landmarks_covered": "both landmarks split",
               "adversary_on_target": "adversary on target",
               "adversary_closer_to_target": "adversary nearer target than decoy",
               "good_success": "good success (paper, 0.4)", "adversary_success": "adversary success (paper, 0.4)"}
"""Short labels of the rates, for tables and plots."""
HEDGING_KEYS = ("adversary_to_target", "adversary_to_decoy", "adversary_to_midpoint")
"""The mean distances of :meth:`VecSimpleAdversary.hedging_distances`, read at the last step."""


def greedy_policy(maddpg):
    """``obs -> (K, N)`` integer actions: each actor's argmax (decentralized execution)."""
    return lambda obs: maddpg.act(obs, explore=False).argmax(-1)


class SoftPolicy:
    """A soft-mode MADDPG's evaluation policy: ``obs -> (K, N, A)`` soft Gumbel-softmax samples.

    :meth:`reset` draws each episode's noise for all its steps from a generator seeded with
    that episode's seed, so episode j plays the same noise however many episodes run at once.
    """

    def __init__(self, maddpg, steps: int = EPISODE_LENGTH):
        self.maddpg, self.steps = maddpg, steps
        self.noise, self.t = None, 0

    def reset(self, seeds) -> None:
        """Draw the ``(K, steps, N, A)`` Gumbel noise of the K episodes started with ``seeds``."""
        shape = (self.steps, self.maddpg.n_agents, self.maddpg.n_actions)
        self.noise = torch.stack([sample_gumbel(shape, generator=torch.Generator().manual_seed(int(s)))
                                  for s in seeds])
        self.t = 0

    def __call__(self, obs):
        k = len(next(iter(obs.values())) if isinstance(obs, dict) else obs[0])
        if self.noise is None or len(self.noise) != k or self.t >= self.steps:
            self.reset(range(k))  # not reset by its caller: seeds 0..K-1, still reproducible
        actions = self.maddpg.act(obs, gumbel_noise=self.noise[:, self.t])
        self.t += 1
        return actions


def as_policy(policy):
    """A :class:`~maddpg_lite.maddpg.MADDPG` becomes its evaluation policy (greedy, or a
    :class:`SoftPolicy` in soft mode); a callable policy is kept as it is."""
    if not hasattr(policy, "act"):
        return policy
    return SoftPolicy(policy) if getattr(policy, "action_mode", "one-hot") == "soft" else greedy_policy(policy)


def plays_soft(policy) -> bool:
    """True if the policy (or a side of a :class:`TeamPolicy`) plays soft, continuous actions."""
    if isinstance(policy, TeamPolicy):
        return plays_soft(policy.adversary) or plays_soft(policy.good)
    return isinstance(policy, SoftPolicy)


def reset_policy(policy, seeds) -> None:
    """Call ``policy.reset(seeds)`` if the policy has one (see the module docstring)."""
    if hasattr(policy, "reset"):
        policy.reset(seeds)


def _as_continuous(actions: np.ndarray) -> np.ndarray:
    """``(K, N)`` integers -> ``(K, N, A)`` one-hot floats; ``(K, N, A)`` is kept."""
    actions = np.asarray(actions)
    return actions if actions.ndim == 3 else np.eye(N_ACTIONS, dtype=np.float32)[actions]


def team_policy(adversary, good):
    """Cross-play: the adversary's actions (column 0) from one policy, the good agents'
    (columns 1..N-1) from another. Each may be a MADDPG (greedy) or a callable policy.

    Returns:
        a policy with ``reset``: ``(K, N)`` integer actions, or ``(K, N, A)`` continuous ones
        if either side plays soft actions.
    """
    return TeamPolicy(as_policy(adversary), as_policy(good))


class TeamPolicy:
    """See :func:`team_policy`."""

    def __init__(self, adversary, good):
        self.adversary, self.good = adversary, good

    def reset(self, seeds) -> None:
        reset_policy(self.adversary, seeds)
        reset_policy(self.good, seeds)

    def __call__(self, obs):
        good, adversary = np.array(self.good(obs)), np.asarray(self.adversary(obs))
        if good.ndim != adversary.ndim:  # one side soft: both continuous
            good, adversary = _as_continuous(good), _as_continuous(adversary)
        good[:, 0] = adversary[:, 0]
        return good


def random_policy(seed: int = 0):
    """Uniformly random actions for every agent."""
    rng = np.random.default_rng(seed)
    return lambda obs: rng.integers(N_ACTIONS, size=(len(obs[AGENTS[0]]), len(AGENTS)))


def noop_policy():
    """Every agent always takes action 0 (stay): nobody moves."""
    return lambda obs: np.zeros((len(obs[AGENTS[0]]), len(AGENTS)), dtype=np.int64)


def evaluate(policy, episodes: int = 100, seed: int = EVAL_SEED, with_env: bool = False,
             env_kwargs: dict | None = None) -> dict:
    """Play ``episodes`` full episodes (all at once) and measure them.

    Args:
        policy: a :class:`~maddpg_lite.maddpg.MADDPG` (see :func:`as_policy`) or a policy.
        episodes: number of episodes, K.
        seed: episode j starts from ``reset(seed=seed + j)``.
        with_env: also return the game as it ends (``"env"``: a :class:`VecSimpleAdversary`
            of ``episodes`` slots after the last step), to measure more of that last step.
        env_kwargs: keyword arguments of the game, e.g. ``{"action_mode": "soft",
            "adversary_reward": "squared"}`` (:func:`env_kwargs`).

    Returns:
        ``{"returns": {name: mean return}, "returns_std": {name: std},
        "deception": {rate name: fraction of episodes}, "hedging": {distance name: mean},
        "episodes": K}``. A return is the undiscounted sum of the 25 rewards; the deception
        rates (:meth:`VecSimpleAdversary.deception_flags`) and the adversary's mean
        distances (:meth:`VecSimpleAdversary.hedging_distances`) are read at the last step.
    """
    policy = as_policy(policy)
    # a soft policy needs a game that takes continuous actions, whatever env_kwargs leaves out
    env = VecSimpleAdversary(episodes, **{"action_mode": "soft" if plays_soft(policy) else "one-hot",
                                          **(env_kwargs or {})})
    seeds = [seed + j for j in range(episodes)]
    obs = env.reset(seeds=seeds)
    reset_policy(policy, seeds)
    returns = np.zeros((episodes, len(AGENTS)))
    truncated = np.zeros(episodes, dtype=bool)
    while not truncated.all():
        obs, rewards, _, truncated = env.step(policy(obs))
        returns += rewards
    flags, hedging = env.deception_flags(), env.hedging_distances()
    result = {
        "returns": {name: float(returns[:, i].mean()) for i, name in enumerate(AGENTS)},
        "returns_std": {name: float(returns[:, i].std()) for i, name in enumerate(AGENTS)},
        "deception": {key: float(flags[key].mean()) for key in DECEPTION_KEYS},
        "hedging": {key: float(hedging[key].mean()) for key in HEDGING_KEYS},
        "episodes": episodes,
    }
    if with_env:
        result["env"] = env
    return result


def baselines(episodes: int = 1000, seed: int = EVAL_SEED, env_kwargs: dict | None = None) -> dict:
    """The same measurements for a uniformly random and a no-op policy."""
    return {"random": evaluate(random_policy(0), episodes, seed, env_kwargs=env_kwargs),
            "noop": evaluate(noop_policy(), episodes, seed, env_kwargs=env_kwargs)}


def env_kwargs(config) -> dict:
    """The game's keyword arguments for :class:`VecSimpleAdversary` that ``config`` asks for:
    its action mode and its ``game_kwargs``."""
    return {"action_mode": config.action_mode, **config.game_kwargs}
