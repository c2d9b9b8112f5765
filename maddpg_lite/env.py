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

* adversary: ``-d(adversary, target)``, or with ``adversary_reward="squared"`` the original
  MPE's ``-d(adversary, target)^2`` (the game the MADDPG paper and the book's code used);
* each good agent (shared): ``-min_j d(agent_j, target) + d(adversary, target)``.

Actions are mpe2's discrete ones (``action_mode="one-hot"``, integers 0-4) or, with
``action_mode="soft"``, mpe2's ``continuous_actions=True`` vectors ``a`` of 5 numbers in
[0, 1], applied as the force ``(a[2] - a[1], a[4] - a[3]) * 5``: a one-hot vector gives the
same force as the discrete action of its index.

Taught in notebooks/01_ctde_football.ipynb and notebooks/02_markov_game.ipynb.
"""

from __future__ import annotations

import numpy as np
from gymnasium.utils import seeding

from .i18n import N_, Labels

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
SUCCESS_DISTANCE = 0.4
"""The MADDPG paper's success distance for physical deception. Its appendix table reports,
for each side, the fraction of episodes it "succeeds" at the LAST frame: the good agents
when at least one of them is within 0.4 of the target, the adversary when it is within 0.4
of the target. This is how the public replication of the paper (google/maddpg-replication)
reads the table. 0.4 is looser than :data:`ON_LANDMARK_DISTANCE` (0.23): about two agent
radii plus a landmark radius."""

# mpe2's constants (World and SimpleEnv defaults for this scenario)
_DT, _DAMPING, _SENSITIVITY = 0.1, 0.25, 5.0
_ACTION_TO_U = np.array([[0.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 1.0]])


DECEPTION_KEYS = ("good_on_target", "all_landmarks_covered", "adversary_on_target", "adversary_closer_to_target",
                  "good_success", "adversary_success")
"""The rates of :meth:`VecSimpleAdversary.deception_flags`, read at the last step."""
RATE_LABELS = Labels({"good_on_target": N_("good agent on target"),
                      "all_landmarks_covered": N_("both landmarks split"),
                      "adversary_on_target": N_("adversary on target"),
                      "adversary_closer_to_target": N_("adversary nearer target than decoy"),
                      "good_success": N_("good success (paper, 0.4)"),
                      "adversary_success": N_("adversary success (paper, 0.4)")})
"""Short labels of the rates, for tables and plots, in the language the package speaks."""
HEDGING_KEYS = ("adversary_to_target", "adversary_to_decoy", "adversary_to_midpoint")
"""The mean distances of :meth:`VecSimpleAdversary.hedging_distances`, read at the last step."""

ADVERSARY_REWARDS = ("distance", "squared")
"""Values of the game keyword ``adversary_reward``: mpe2's ``-d`` or the original MPE's ``-d^2``."""
GAME_KWARGS = {"adversary_reward": ADVERSARY_REWARDS}
"""The game's own keyword arguments (``Config.game_kwargs``) and their allowed values."""


def check_game_kwargs(game_kwargs: dict) -> None:
    """ValueError naming the first unknown keyword or bad value of ``game_kwargs``."""
    for key, value in game_kwargs.items():
        if key not in GAME_KWARGS:
            raise ValueError(f"unknown game keyword {key!r} for simple_adversary; known: {', '.join(GAME_KWARGS)}")
        if value not in GAME_KWARGS[key]:
            raise ValueError(f"game keyword {key} must be one of {', '.join(GAME_KWARGS[key])}, got {key}={value!r}")


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

    scenario = "simple_adversary_v3"
    agents = AGENTS
    obs_dims = OBS_DIMS
    n_actions = N_ACTIONS
    action_dims = (N_ACTIONS,) * len(AGENTS)
    """Actions per agent (5 each), in both action modes (:class:`maddpg_lite.games.VecGame`)."""
    adversaries = (True, False, False)
    """Per agent, True for the adversary."""
    metric_groups = {"deception": DECEPTION_KEYS, "hedging": HEDGING_KEYS}
    """The groups of :meth:`metrics`: the rates of :meth:`deception_flags` and the distances of
    :meth:`hedging_distances` (each a key of ``evaluate()``'s result and a CSV of a training run)."""

    def __init__(self, num_envs: int, seed: int | None = None, max_cycles: int = EPISODE_LENGTH,
                 action_mode: str = "one-hot", adversary_reward: str = "distance"):
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got num_envs={num_envs!r}")
        if action_mode not in ("one-hot", "soft"):
            raise ValueError(f"action_mode must be one-hot or soft, got action_mode={action_mode!r}")
        check_game_kwargs({"adversary_reward": adversary_reward})
        self.num_envs = num_envs
        self.max_cycles = max_cycles
        self.action_mode = action_mode
        self.adversary_reward = adversary_reward
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
            actions: ``(K, 3)`` integers in ``[0, 5)``, agents in :data:`AGENTS` order; with
                ``action_mode="soft"`` also ``(K, 3, 5)`` continuous actions in [0, 1], cast to
                float32 as mpe2 receives them.

        Returns:
            ``(obs, rewards, terminated, truncated)``: obs ``{name: (K, d) float32}``,
            rewards ``(K, 3)`` float64, terminated ``(K,)`` (always False in this game),
            truncated ``(K,)`` (True after ``max_cycles`` steps).
        """
        if (self.action_mode == "soft" and isinstance(actions, (list, tuple)) and len(actions) == 3
                and all(np.ndim(a) == 2 for a in actions)):  # the VecGame form: a (K, 5) array per agent
            actions = np.stack([np.asarray(a) for a in actions], axis=1)
        actions = np.asarray(actions)
        if self.action_mode == "soft" and actions.shape == (self.num_envs, 3, N_ACTIONS):
            a = actions.astype(np.float32)
            # mpe2's _set_action: u = (a[2] - a[1], a[4] - a[3]) in float32, into a float64 u, times 5
            u = np.stack([a[..., 2] - a[..., 1], a[..., 4] - a[..., 3]], axis=-1).astype(np.float64)
            force = u * _SENSITIVITY  # (K, 3, 2); mass is 1
        elif actions.shape == (self.num_envs, 3) and np.issubdtype(actions.dtype, np.integer):
            force = _ACTION_TO_U[actions] * _SENSITIVITY  # (K, 3, 2); mass is 1
        else:
            expected = f"({self.num_envs}, 3) integers" + (
                f" or ({self.num_envs}, 3, {N_ACTIONS}) continuous actions" if self.action_mode == "soft" else "")
            raise ValueError(f"actions must be {expected} (action_mode={self.action_mode}), "
                             f"got shape {actions.shape} of {actions.dtype}")
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
        squared = np.sum(np.square(d), axis=-1)  # (K, 3) squared distance to the target
        dist = np.sqrt(squared)
        adversary = -squared[:, 0] if self.adversary_reward == "squared" else -dist[:, 0]
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
        * ``all_landmarks_covered``: the deceptive formation, two *different* good agents
          on the two landmarks, one on each (one agent touching two close landmarks
          does not count);
        * ``adversary_on_target``: the adversary is on the target;
        * ``adversary_closer_to_target``: the adversary is nearer the target than the
          decoy (50% of episodes means it cannot tell them apart);
        * ``good_success``: the paper's metric, some good agent within
          :data:`SUCCESS_DISTANCE` (0.4) of the target;
        * ``adversary_success``: the paper's metric, the adversary within 0.4 of the target.

        "On" means within :data:`ON_LANDMARK_DISTANCE` (0.23).
        """
        d = self.distances()  # (K, 3 agents, 2 landmarks)
        idx = np.arange(self.num_envs)
        on = d <= ON_LANDMARK_DISTANCE
        d_target = d[idx, :, self.target]  # (K, 3)
        d_decoy = d[idx, :, 1 - self.target]  # (K, 3)
        # agent_0 on landmark 0 and agent_1 on landmark 1, or the other way round
        split = (on[:, 1, 0] & on[:, 2, 1]) | (on[:, 1, 1] & on[:, 2, 0])
        return {
            "good_on_target": on[idx, 1, self.target] | on[idx, 2, self.target],
            "all_landmarks_covered": split,
            "adversary_on_target": on[idx, 0, self.target],
            "adversary_closer_to_target": d_target[:, 0] < d_decoy[:, 0],
            "good_success": np.minimum(d_target[:, 1], d_target[:, 2]) < SUCCESS_DISTANCE,
            "adversary_success": d_target[:, 0] < SUCCESS_DISTANCE,
        }

    def metrics(self) -> dict[str, np.ndarray]:
        """The game's measures of the current state (:class:`maddpg_lite.games.VecGame`):
        :meth:`deception_flags` and :meth:`hedging_distances`, per slot ``(K,)``."""
        return {**self.deception_flags(), **self.hedging_distances()}

    def hedging_distances(self) -> dict[str, np.ndarray]:
        """Per-slot distances ``(K,)`` of the adversary to the target, to the decoy and to
        the midpoint between the two landmarks.

        An adversary that cannot tell the landmarks apart can *hedge*: wait near the
        midpoint instead of guessing. Under the original MPE's squared-distance penalty
        -d^2 that is the best reply to a 50/50 guess (the midpoint minimises the expected
        d^2); under mpe2's -d any point on the segment between the landmarks is as good.
        """
        idx = np.arange(self.num_envs)
        adversary = self.agent_pos[:, 0]  # (K, 2)
        target, decoy = self.landmark_pos[idx, self.target], self.landmark_pos[idx, 1 - self.target]
        midpoint = (target + decoy) / 2
        return {"adversary_to_target": np.linalg.norm(adversary - target, axis=-1),
                "adversary_to_decoy": np.linalg.norm(adversary - decoy, axis=-1),
                "adversary_to_midpoint": np.linalg.norm(adversary - midpoint, axis=-1)}
