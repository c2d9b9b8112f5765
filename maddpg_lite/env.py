"""The MPE ``simple_adversary`` game: mpe2's environment and a vectorised copy of it.

* :func:`make_env` returns mpe2's own ``simple_adversary_v3.parallel_env``; the
  notebooks use it to show the game.
* :class:`VecSimpleAdversary` steps ``K`` copies of the same game at once in numpy.
  It reproduces mpe2 exactly: slot ``k`` reset with seed ``s`` yields the same
  observations and rewards, to the bit, as ``make_env().reset(seed=s)`` followed by
  the same actions, including the later unseeded resets (``tests/test_env.py``
  checks this over many episodes). Training and evaluation use it because stepping 1000
  games costs about as much as stepping one through the PettingZoo wrapper.

The scene: one adversary (``adversary_0``), two good agents (``agent_0``,
``agent_1``) and two landmarks, one of which is the target. Good agents know the
target; the adversary does not. Rewards (mpe2 uses distances, not squared distances):

* adversary: ``-d(adversary, target)``
* each good agent (shared): ``-min_j d(agent_j, target) + d(adversary, target)``

Taught in notebooks/01_ctde_football.ipynb and notebooks/02_markov_game.ipynb.
"""

from __future__ import annotations

import numpy as np
from gymnasium.utils import seeding

AGENTS = ("adversary_0", "agent_0", "agent_1")
"""Agent names in mpe2's order; index 0 is the adversary."""
OBS_DIMS = (8, 10, 10)
"""Observation sizes: adversary 8 (2 landmarks + 2 other agents, relative x/y);
good agents 10 (target, 2 landmarks, 2 other agents)."""
N_ACTIONS = 5
"""Discrete actions: 0 no-op, 1 left, 2 right, 3 down, 4 up."""
EPISODE_LENGTH = 25
"""mpe2's ``max_cycles``: episodes are truncated (never terminated) after 25 steps."""

AGENT_SIZE = 0.15
LANDMARK_SIZE = 0.08
ON_LANDMARK_DISTANCE = AGENT_SIZE + LANDMARK_SIZE
"""An agent is "on" a landmark when the centres are within 0.23 = agent radius (0.15)
+ landmark radius (0.08): the two discs touch. Being inside this radius is what a
viewer of the rendered scene reads as "sitting on the landmark"."""

# mpe2's constants (World and SimpleEnv defaults for this scenario)
_DT, _DAMPING, _SENSITIVITY = 0.1, 0.25, 5.0
_ACTION_TO_U = np.array([[0.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 1.0]])


def make_env(seed: int | None = None, **kwargs):
    """mpe2's ``simple_adversary_v3.parallel_env`` with N=2, max_cycles=25, discrete actions.

    Args:
        seed: if given, the environment is reset once with it, so the next
            ``reset()`` continues that random stream.
        **kwargs: passed to ``parallel_env`` (e.g. ``render_mode="rgb_array"``), overriding the defaults.
    """
    from mpe2 import simple_adversary_v3

    options = dict(N=2, max_cycles=EPISODE_LENGTH, continuous_actions=False)
    options.update(kwargs)
    env = simple_adversary_v3.parallel_env(**options)
    if seed is not None:
        env.reset(seed=seed)
    return env


class VecSimpleAdversary:
    """``num_envs`` copies of mpe2's simple_adversary (N=2, discrete actions) in numpy.

    State arrays (K = ``num_envs``):
        ``agent_pos``, ``agent_vel``: ``(K, 3, 2)``, agents in :data:`AGENTS` order;
        ``landmark_pos``: ``(K, 2, 2)``; ``target``: ``(K,)`` index of the target landmark.

    Each slot has its own random generator, seeded like mpe2's (gymnasium's
    ``np_random``), and draws the initial state in mpe2's order, so slot ``k`` behaves
    exactly like one mpe2 environment.
    """

    agents = AGENTS
    obs_dims = OBS_DIMS
    n_actions = N_ACTIONS

    def __init__(self, num_envs: int, seed: int | None = None, max_cycles: int = EPISODE_LENGTH):
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got num_envs={num_envs!r}")
        self.num_envs = num_envs
        self.max_cycles = max_cycles
        seeds = [None] * num_envs if seed is None else [seed + k for k in range(num_envs)]
        self._rngs = [seeding.np_random(s)[0] for s in seeds]
        self.agent_pos = np.zeros((num_envs, 3, 2))
        self.agent_vel = np.zeros((num_envs, 3, 2))
        self.landmark_pos = np.zeros((num_envs, 2, 2))
        self.target = np.zeros(num_envs, dtype=np.int64)
        self.steps = 0

    def reset(self, seeds=None) -> dict[str, np.ndarray]:
        """Start a new episode in every slot.

        Args:
            seeds: optional list of ``num_envs`` seeds; slot ``k`` is then reseeded with
                ``seeds[k]`` as mpe2's ``reset(seed=seeds[k])`` does.

        Returns:
            observations ``{name: (K, obs_dim) float32}``.
        """
        if seeds is not None:
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset needs {self.num_envs} seeds, got {len(seeds)}")
            self._rngs = [seeding.np_random(int(s))[0] for s in seeds]
        for k, rng in enumerate(self._rngs):  # mpe2's Scenario.reset_world, draw for draw
            self.target[k] = int(rng.integers(2))
            for a in range(3):
                self.agent_pos[k, a] = rng.uniform(-1, +1, 2)
            for m in range(2):
                self.landmark_pos[k, m] = rng.uniform(-1, +1, 2)
        self.agent_vel[:] = 0.0
        self.steps = 0
        return self.observations()

    def step(self, actions: np.ndarray):
        """Advance every slot one step.

        Args:
            actions: ``(K, 3)`` integers in ``[0, 5)``, agents in :data:`AGENTS` order.

        Returns:
            ``(obs, rewards, terminated, truncated)``: obs ``{name: (K, d) float32}``,
            rewards ``(K, 3)`` float64, terminated ``(K,)`` (always False in this game),
            truncated ``(K,)`` (True after ``max_cycles`` steps).
        """
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs, 3):
            raise ValueError(f"actions must have shape ({self.num_envs}, 3), got {actions.shape}")
        force = _ACTION_TO_U[actions] * _SENSITIVITY  # (K, 3, 2); mass is 1
        # mpe2's World.integrate_state: position with the old velocity, then damping, then force
        self.agent_pos += self.agent_vel * _DT
        self.agent_vel = self.agent_vel * (1 - _DAMPING)
        self.agent_vel += (force / 1.0) * _DT
        self.steps += 1
        truncated = np.full(self.num_envs, self.steps >= self.max_cycles)
        terminated = np.zeros(self.num_envs, dtype=bool)
        return self.observations(), self.rewards(), terminated, truncated

    def target_pos(self) -> np.ndarray:
        """``(K, 2)`` position of each slot's target landmark."""
        return self.landmark_pos[np.arange(self.num_envs), self.target]

    def distances(self) -> np.ndarray:
        """``(K, 3, 2)`` distance of every agent to every landmark."""
        d = self.agent_pos[:, :, None, :] - self.landmark_pos[:, None, :, :]
        return np.sqrt(np.sum(np.square(d), axis=-1))

    def rewards(self) -> np.ndarray:
        """``(K, 3)`` rewards of the current state (see the module docstring)."""
        d = self.agent_pos - self.target_pos()[:, None, :]
        dist = np.sqrt(np.sum(np.square(d), axis=-1))  # (K, 3) distance to the target
        adversary = -dist[:, 0]
        good = -np.minimum(dist[:, 1], dist[:, 2]) + dist[:, 0]
        return np.stack([adversary, good, good], axis=1)

    def observations(self) -> dict[str, np.ndarray]:
        """``{name: (K, obs_dim) float32}`` in mpe2's layout: relative positions ``other - self``."""
        lm_rel = self.landmark_pos[:, None, :, :] - self.agent_pos[:, :, None, :]  # (K, 3, 2, 2)
        ag_rel = self.agent_pos[:, None, :, :] - self.agent_pos[:, :, None, :]  # (K, 3, 3, 2)
        goal_rel = self.target_pos()[:, None, :] - self.agent_pos  # (K, 3, 2)
        K = self.num_envs
        obs = {}
        for i, name in enumerate(AGENTS):
            others = [j for j in range(3) if j != i]
            parts = [] if i == 0 else [goal_rel[:, i]]
            parts += [lm_rel[:, i].reshape(K, 4), ag_rel[:, i, others].reshape(K, 4)]
            obs[name] = np.concatenate(parts, axis=1).astype(np.float32)
        return obs

    def deception_flags(self) -> dict[str, np.ndarray]:
        """Per-slot booleans ``(K,)`` describing where everyone is *now*.

        * ``good_on_target``: some good agent is on the target landmark;
        * ``all_landmarks_covered``: every landmark has a good agent on it;
        * ``adversary_on_target``: the adversary is on the target;
        * ``adversary_closer_to_target``: the adversary is nearer the target than the
          decoy (50% of episodes means it cannot tell them apart).

        "On" means within :data:`ON_LANDMARK_DISTANCE`.
        """
        d = self.distances()  # (K, 3 agents, 2 landmarks)
        idx = np.arange(self.num_envs)
        on = d <= ON_LANDMARK_DISTANCE
        d_target = d[idx, 0, self.target]
        d_decoy = d[idx, 0, 1 - self.target]
        return {
            "good_on_target": on[idx, 1, self.target] | on[idx, 2, self.target],
            "all_landmarks_covered": on[:, 1:, :].any(axis=1).all(axis=1),
            "adversary_on_target": on[idx, 0, self.target],
            "adversary_closer_to_target": d_target < d_decoy,
        }
