"""Evaluation on fixed seeds, the random and no-op baselines, and the game's own metrics.

Evaluation episode j always starts from ``reset(seed=EVAL_SEED + j)``, so every
evaluation of every run and baseline plays the same starting positions. A trained MADDPG
plays greedily (each actor's argmax); with ``action_mode="soft"`` it plays soft Gumbel-softmax
samples, as the paper's code does, with the noise of episode j drawn from a generator seeded
with the episode's seed, so evaluations stay reproducible.

The game is any :class:`~maddpg_lite.games.VecGame` (``env_kwargs`` names it: scenario,
backend, action mode and the game's keywords; simple_adversary_v3 by default). Its
``metrics()`` are read at the last step (and averaged over all frames); a game may group its
metrics (``metric_groups``, e.g. simple_adversary's ``"deception"`` rates and ``"hedging"``
distances), and each group appears under its own key.

A *policy* is a callable ``{name: (K, d)} -> actions`` (``(K, N)`` integers, or continuous
actions for a soft game: ``(K, N, A)`` or a list of per-agent ``(K, A_i)``); it may have
``reset(seeds)``, which :func:`evaluate` calls with the K episode seeds before the first step,
and ``bind(game)``, which it calls with the game (a random policy learns the action sizes).
"""

from __future__ import annotations

import numpy as np
import torch

from .functional import sample_gumbel
from .games import DEFAULT_MAX_CYCLES, DEFAULT_SCENARIO, adversary_mask, make_vec_game, metric_groups
from .shapes import action_indices

EVAL_SEED = 1_000_000
"""First evaluation seed; far from the training environments' seeds."""

REPLAY_TOLERANCE = 0.05
"""How far a measurement remade on this computer may be from the one recorded with a shipped result
(mean returns, rates, distances): the same code and seeds give the same bits only on the same
computer, another one rounds differently. Measured by ``python -m maddpg_lite.pretrained
--perturbation 1e-5 --draws 10``: with every weight of the six shipped checkpoints multiplied by
``1 + 1e-5 z`` (a stand-in for another computer's rounding), no recorded value moved by more than
0.0035; this tolerance is about 14 times that (one greedy episode in 500 that plays differently
moves a rate by 0.002 and a mean return by its return's change / 500)."""


def largest_difference(measured, recorded, path: str = "") -> tuple[str, float]:
    """``(where, how much)``: the largest absolute difference between the numbers of ``recorded``
    and the same entries of ``measured`` (nested dicts and lists of numbers; entries only
    ``measured`` has are ignored), e.g. ``("returns.agent_0", 2e-07)``; ``("", 0.0)`` if none differ."""
    if isinstance(recorded, dict):
        pairs = [(f"{path}.{k}" if path else str(k), measured[k], v) for k, v in recorded.items()]
    elif isinstance(recorded, (list, tuple)):
        pairs = [(f"{path}[{i}]", m, v) for i, (m, v) in enumerate(zip(measured, recorded, strict=True))]
    else:
        return path, abs(float(measured) - float(recorded))
    return max((largest_difference(m, v, where) for where, m, v in pairs), key=lambda d: d[1], default=("", 0.0))

def greedy_policy(maddpg):
    """``obs -> (K, N)`` integer actions: each actor's argmax (decentralized execution)."""
    return lambda obs: action_indices(maddpg.act(obs, explore=False))


class SoftPolicy:
    """A soft-mode MADDPG's evaluation policy: ``obs ->`` soft Gumbel-softmax samples.

    :meth:`reset` draws each episode's noise for all its steps from a generator seeded with
    that episode's seed, so episode j plays the same noise however many episodes run at once.
    """

    def __init__(self, maddpg, steps: int | None = None):
        self.maddpg, self.given_steps = maddpg, steps
        self.steps = steps or DEFAULT_MAX_CYCLES
        """Steps of noise per episode: ``steps``, else the game's ``max_cycles`` once bound (25 before)."""
        self.noise, self.t = None, 0

    def bind(self, game) -> None:
        """Play ``game``'s episode length (``max_cycles``) unless a length was given."""
        if self.given_steps is None:
            self.steps = game.max_cycles

    def reset(self, seeds) -> None:
        """Draw the Gumbel noise of the K episodes started with ``seeds``: ``(K, steps, N, A)``,
        or per agent ``(K, steps, A_i)`` when the agents' action sizes differ (the same numbers,
        one ``(steps, sum A_i)`` draw per episode)."""
        dims = self.maddpg.action_dims
        draws = torch.stack([sample_gumbel((self.steps, sum(dims)), generator=torch.Generator().manual_seed(int(s)))
                             for s in seeds])  # (K, steps, sum A_i)
        if self.maddpg.uniform:
            self.noise = draws.reshape(len(seeds), self.steps, len(dims), dims[0])
        else:
            self.noise = list(draws.split(list(dims), dim=-1))
        self.t = 0

    def __call__(self, obs):
        k = len(next(iter(obs.values())) if isinstance(obs, dict) else obs[0])
        if self.noise is None:
            drawn = None
        else:
            drawn = len(self.noise if isinstance(self.noise, torch.Tensor) else self.noise[0])
        if drawn != k or self.t >= self.steps:
            self.reset(range(k))  # not reset by its caller: seeds 0..K-1, still reproducible
        t = self.t
        noise = self.noise[:, t] if isinstance(self.noise, torch.Tensor) else [g[:, t] for g in self.noise]
        self.t += 1
        return self.maddpg.act(obs, gumbel_noise=noise)


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


def reset_policy(policy, seeds, game=None) -> None:
    """Before an episode: ``policy.bind(game)`` and ``policy.reset(seeds)``, where the policy
    has them (see the module docstring)."""
    if game is not None and hasattr(policy, "bind"):
        policy.bind(game)
    if hasattr(policy, "reset"):
        policy.reset(seeds)


def as_columns(actions, action_dims) -> list[np.ndarray]:
    """Any form of actions -> per agent ``(K, A_i)`` float32 rows (integers become one-hots)."""
    if isinstance(actions, (list, tuple)):
        return [np.asarray(a, dtype=np.float32) for a in actions]
    actions = np.asarray(actions)
    if actions.ndim == 3:
        return [actions[:, i].astype(np.float32) for i in range(actions.shape[1])]
    return [np.eye(a, dtype=np.float32)[actions[:, i]] for i, a in enumerate(action_dims)]


def team_policy(adversary, good):
    """Cross-play: the adversaries' actions (agents named ``adversary_*``/``eve_*``, see
    :func:`~maddpg_lite.games.adversary_mask`) from one policy, the good agents' from another.
    Each may be a MADDPG (greedy) or a callable policy.

    Returns:
        a policy with ``reset`` and ``bind``: ``(K, N)`` integer actions, or continuous actions
        if either side plays soft ones.
    """
    return TeamPolicy(as_policy(adversary), as_policy(good))


class TeamPolicy:
    """See :func:`team_policy`."""

    def __init__(self, adversary, good):
        self.adversary, self.good = adversary, good
        self.action_dims = None

    def bind(self, game) -> None:
        self.action_dims = tuple(game.action_dims)
        for side in (self.adversary, self.good):
            if hasattr(side, "bind"):
                side.bind(game)

    def reset(self, seeds) -> None:
        reset_policy(self.adversary, seeds)
        reset_policy(self.good, seeds)

    def __call__(self, obs):
        mask = adversary_mask(list(obs))
        good, adversary = self.good(obs), self.adversary(obs)
        continuous = [isinstance(a, (list, tuple)) or np.ndim(a) == 3 for a in (good, adversary)]
        if not any(continuous):
            good = np.array(good)
            good[:, mask] = np.asarray(adversary)[:, mask]
            return good
        dims = self.action_dims or _dims_of(good if continuous[0] else adversary)
        good, adversary = as_columns(good, dims), as_columns(adversary, dims)
        mixed = [a if is_adversary else g for g, a, is_adversary in zip(good, adversary, mask)]
        return np.stack(mixed, axis=1) if len(set(dims)) == 1 else mixed


def _dims_of(actions) -> tuple[int, ...]:
    """Per-agent action sizes of continuous actions."""
    if isinstance(actions, (list, tuple)):
        return tuple(np.shape(a)[-1] for a in actions)
    return (np.shape(actions)[-1],) * np.shape(actions)[1]


class RandomPolicy:
    """Uniformly random actions for every agent: ``(K, N)`` integers, agent i's in ``[0, A_i)``.

    The action sizes come from ``action_dims``, or from the game (:meth:`bind`), or, for a policy
    called before either, from the default game (:data:`~maddpg_lite.games.DEFAULT_SCENARIO`)."""

    def __init__(self, seed: int = 0, action_dims=None):
        self.rng = np.random.default_rng(seed)
        self.action_dims = None if action_dims is None else tuple(action_dims)

    def bind(self, game) -> None:
        self.action_dims = tuple(game.action_dims)

    def __call__(self, obs):
        if self.action_dims is None:
            self.action_dims = make_vec_game(DEFAULT_SCENARIO, 1).action_dims
        k, dims = len(next(iter(obs.values()))), self.action_dims
        if len(set(dims)) == 1:  # one draw for all agents (the numbers every shipped baseline used)
            return self.rng.integers(dims[0], size=(k, len(dims)))
        return self.rng.integers(np.array(dims), size=(k, len(dims)))


def random_policy(seed: int = 0, action_dims=None) -> RandomPolicy:
    """Uniformly random actions for every agent (see :class:`RandomPolicy`)."""
    return RandomPolicy(seed, action_dims)


def noop_policy():
    """Every agent always takes action 0 (stay; for an agent that speaks, stay and say word 0): nobody moves."""
    return lambda obs: np.zeros((len(next(iter(obs.values()))), len(obs)), dtype=np.int64)


def evaluate(policy, episodes: int = 100, seed: int = EVAL_SEED, with_env: bool = False,
             env_kwargs: dict | None = None) -> dict:
    """Play ``episodes`` full episodes (all at once) and measure them.

    Args:
        policy: a :class:`~maddpg_lite.maddpg.MADDPG` (see :func:`as_policy`) or a policy.
        episodes: number of episodes, K.
        seed: episode j starts from ``reset(seed=seed + j)``.
        with_env: also return the game as it ends (``"env"``: the game of ``episodes`` slots
            after the last step), to measure more of that last step.
        env_kwargs: the game, as keyword arguments of
            :func:`~maddpg_lite.games.make_vec_game` (:func:`env_kwargs` makes them from a
            Config): ``scenario`` (default simple_adversary_v3), ``backend``, ``max_cycles``,
            ``action_mode`` and the game's keywords, e.g. ``{"adversary_reward": "squared"}``.

    Returns:
        ``{"returns": {name: mean return}, "returns_std": {name: std},
        "metrics": {name: mean at the last step}, "metrics_over_frames": {name: mean over every
        step's state}, "episodes": K}``, plus one entry per metric group of the game (e.g.
        ``"deception"`` and ``"hedging"`` for simple_adversary) with that group's last-step
        means. A return is the undiscounted sum of the episode's rewards; an episode ends when
        its slot terminates or truncates.
    """
    policy = as_policy(policy)
    kwargs = dict(env_kwargs or {})
    scenario = kwargs.pop("scenario", DEFAULT_SCENARIO)
    # a soft policy needs a game that takes continuous actions, whatever env_kwargs leaves out
    kwargs = {"action_mode": "soft" if plays_soft(policy) else "one-hot", **kwargs}
    env = make_vec_game(scenario, episodes, **kwargs)
    seeds = [seed + j for j in range(episodes)]
    obs = env.reset(seeds=seeds)
    reset_policy(policy, seeds, env)
    returns = np.zeros((episodes, len(env.agents)))
    finished = np.zeros(episodes, dtype=bool)
    frame_sums, frames = {}, 0
    while not finished.all():
        obs, rewards, terminated, truncated = env.step(policy(obs))
        returns += rewards  # a finished slot is frozen: reward 0
        finished = terminated | truncated
        metrics = env.metrics()  # of this frame; after the loop, of the last one
        for key, value in metrics.items():
            frame_sums[key] = frame_sums.get(key, 0.0) + np.asarray(value, dtype=float)
        frames += 1
    last = {key: float(np.mean(value)) for key, value in metrics.items()}
    result = {
        "returns": {name: float(returns[:, i].mean()) for i, name in enumerate(env.agents)},
        "returns_std": {name: float(returns[:, i].std()) for i, name in enumerate(env.agents)},
        "metrics": last,
        "metrics_over_frames": {key: float(np.mean(total) / frames) for key, total in frame_sums.items()},
        "episodes": episodes,
    }
    for group, keys in metric_groups(env).items():
        result[group] = {key: last[key] for key in keys}
    if with_env:
        result["env"] = env
    return result


def baselines(episodes: int = 1000, seed: int = EVAL_SEED, env_kwargs: dict | None = None) -> dict:
    """The same measurements for a uniformly random and a no-op policy."""
    return {"random": evaluate(random_policy(0), episodes, seed, env_kwargs=env_kwargs),
            "noop": evaluate(noop_policy(), episodes, seed, env_kwargs=env_kwargs)}
