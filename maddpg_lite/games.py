"""Every MPE game of the MADDPG paper behind one small vectorised interface.

The trainer and the evaluation talk to a game only through :class:`VecGame` (a
``typing.Protocol``, the PettingZoo parallel API stepped over ``K`` copies at once):

* attributes
    - ``scenario``: mpe2's module name, e.g. ``"simple_spread_v3"``;
    - ``agents``: tuple of agent names in mpe2's order;
    - ``obs_dims``: tuple, observation size per agent;
    - ``action_dims``: tuple, per agent the number of discrete actions
      (``action_mode="one-hot"``) or the size of the continuous action vector
      (``action_mode="soft"``); agents may differ (speaker 3, listener 5);
    - ``num_envs`` (``K``), ``max_cycles``, ``action_mode`` (``"one-hot"`` or ``"soft"``);
* ``reset(seeds=None) -> {name: (K, obs_dim) float32}``: a new episode in every slot;
  with ``seeds`` slot ``k`` is reseeded with ``seeds[k]`` exactly like mpe2's
  ``reset(seed=seeds[k])``; without, each slot continues its own random stream;
* ``step(actions) -> (obs, rewards, terminated, truncated)``: ``actions`` are ``(K, N)``
  integers (either mode), or, with ``action_mode="soft"``, a list of ``N`` per-agent
  ``(K, action_dims[i])`` float arrays in [0, 1] (mpe2's ``continuous_actions=True`` vectors,
  cast to float32 as its Box space holds them); returns obs ``{name: (K, obs_dim) float32}``,
  rewards ``(K, N)`` float64, terminated ``(K,)`` bool, truncated ``(K,)`` bool;
* ``metrics() -> {name: (K,) array}``: the game's own measures of the *current* state
  (see :func:`game_metrics`; ``{}`` for a game without any).

Two implementations:

* :class:`maddpg_lite.env.VecSimpleAdversary`: simple_adversary in numpy, bit-identical to
  mpe2 and ~100x faster (the default for that game);
* :class:`Mpe2VecGame`: ``K`` real mpe2 environments stepped together, for every mpe2
  scenario (:data:`SCENARIOS`); exact by construction (tests compare it with ``K``
  independent ``parallel_env``s), and 1.5-3x faster than stepping those ``parallel_env``s
  (:func:`adapter_speed`), because it drives mpe2's AEC environments directly.

:func:`make_vec_game` picks one. Episodes: every mpe2 game truncates after ``max_cycles``
steps. mpe2's ``terminate_on_success=True`` (simple_spread_v3, simple_tag_v3, and the
formation/line games) is supported: it ends single slots early (``terminated[k]``). A
finished slot (terminated or truncated) is *frozen* until the next ``reset()``: later steps
ignore its actions and return its last observation, reward 0 and the same flags. The
trainer must therefore store slot ``k``'s transition only while the slot was still running
*before* the step (keep ``running = ~(terminated | truncated)`` from the previous step, all
True after a reset) and reset when every slot has finished (``(terminated | truncated).all()``);
with the default ``terminate_on_success=False`` every slot truncates together at
``max_cycles``, as in VecSimpleAdversary.

Taught in notebooks/08_another_game.ipynb (one trainer for every game of the paper).
"""

from __future__ import annotations

import importlib
import inspect
import time
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

PAPER_SCENARIOS = ("simple_adversary_v3", "simple_crypto_v3", "simple_push_v3", "simple_reference_v3",
                   "simple_speaker_listener_v4", "simple_spread_v3", "simple_tag_v3")
"""The MADDPG paper's games under their mpe2 names: physical deception, covert communication,
keep-away, cooperative communication with 2 speakers (reference), cooperative communication,
cooperative navigation, predator-prey."""

SCENARIOS = PAPER_SCENARIOS + ("collect_treasure_v1", "simple_formation_v1", "simple_line_v1",
                               "simple_v3", "simple_world_comm_v3")
"""Every scenario mpe2 1.1.1 ships (``mpe2.all_modules``); :class:`Mpe2VecGame` runs any of them."""

DEFAULT_MAX_CYCLES = 25
"""mpe2's default episode length (``max_cycles``) in every scenario."""

DEFAULT_SCENARIO = "simple_adversary_v3"
"""The game of the book and of every lesson before lesson 08 (``Config.scenario``'s default)."""

ADVERSARY_PREFIXES = ("adversary", "eve")
"""mpe2 names its adversaries ``adversary_<i>`` (simple_adversary, simple_push, simple_tag,
simple_world_comm) or ``eve_0`` (simple_crypto); every other agent is a good agent."""


def adversary_mask(agents) -> np.ndarray:
    """``(N,)`` bool, True for the adversaries among the agent names ``agents`` (:data:`ADVERSARY_PREFIXES`)."""
    return np.array([str(name).startswith(ADVERSARY_PREFIXES) for name in agents], dtype=bool)


def metric_groups(game) -> dict[str, tuple[str, ...]]:
    """``{group: metric names}``: the game's own grouping (``game.metric_groups``, e.g.
    simple_adversary's ``"deception"`` and ``"hedging"``), or one group ``"metrics"`` with every
    metric (``{}`` for a game without metrics)."""
    groups = getattr(game, "metric_groups", None)
    if groups:
        return dict(groups)
    keys = tuple(game.metrics())
    return {"metrics": keys} if keys else {}


ACTION_MODES = ("one-hot", "soft")
BACKENDS = ("auto", "numpy", "mpe2")

_OWN_KEYWORDS = {"max_cycles": "pass max_cycles as the game's own argument",
                 "continuous_actions": "choose continuous actions with action_mode='soft'",
                 "render_mode": "the vectorised games never render; use mpe2's parallel_env to draw"}
"""mpe2 keywords the adapter sets itself, and what to do instead."""

_MOVE_DIM = 5
"""mpe2's movement actions (no-op, left, right, down, up): ``world.dim_p * 2 + 1``."""


@runtime_checkable
class VecGame(Protocol):
    """``K`` copies of one MPE game stepped together (see the module docstring)."""

    scenario: str
    agents: tuple[str, ...]
    obs_dims: tuple[int, ...]
    action_dims: tuple[int, ...]
    num_envs: int
    max_cycles: int
    action_mode: str

    def reset(self, seeds: Sequence[int] | None = None) -> dict[str, np.ndarray]: ...

    def step(self, actions) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]: ...

    def metrics(self) -> dict[str, np.ndarray]: ...


# ----- scenarios and their keywords ---------------------------------------------------------------
def scenario_module(scenario: str):
    """mpe2's module of ``scenario`` (e.g. ``mpe2.simple_spread_v3``); ValueError if unknown."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    return importlib.import_module(f"mpe2.{scenario}")


def scenario_keywords(scenario: str) -> dict[str, object]:
    """The game keywords of ``scenario`` with mpe2's defaults, read from its ``raw_env``
    signature (``max_cycles``, ``continuous_actions`` and ``render_mode`` excluded: the
    adapter sets those). E.g. simple_spread_v3: ``N=3, local_ratio=0.5, ...``."""
    signature = inspect.signature(scenario_module(scenario).raw_env.__init__)
    return {name: p.default for name, p in signature.parameters.items()
            if name != "self" and name not in _OWN_KEYWORDS}


def check_scenario_kwargs(scenario: str, game_kwargs: dict) -> None:
    """ValueError, one line, naming the first keyword of ``game_kwargs`` that ``scenario``'s
    mpe2 ``parallel_env`` does not take (or that the adapter sets itself)."""
    known = scenario_keywords(scenario)
    for key in game_kwargs:
        if key in _OWN_KEYWORDS:
            raise ValueError(f"{scenario}: {key} is not a game keyword here; {_OWN_KEYWORDS[key]}")
        if key not in known:
            raise ValueError(f"{scenario} has no keyword {key!r}; its keywords: {', '.join(known)}")


# ----- the adapter over real mpe2 -----------------------------------------------------------------
class Mpe2VecGame:
    """``num_envs`` mpe2 environments of ``scenario`` stepped together (a :class:`VecGame`).

    Exact by construction: slot ``k`` IS an mpe2 environment, mpe2's ``env()`` (the AEC
    environment in PettingZoo's order and bounds/clipping wrappers), stepped exactly as
    PettingZoo's ``aec_to_parallel`` wrapper steps it, i.e. as ``parallel_env()`` would be; the
    adapter only hands each agent its action and stacks the answers. Seeding follows VecSimpleAdversary:
    with ``seed`` the first ``reset()`` seeds slot ``k`` with ``seed + k``; ``reset(seeds)``
    reseeds every slot; a plain ``reset()`` continues each slot's stream.

    Args:
        scenario: one of :data:`SCENARIOS`.
        num_envs: ``K``, the number of games.
        seed: base seed of the first reset (None: fresh entropy, as mpe2).
        max_cycles: episode length (mpe2's ``max_cycles``).
        action_mode: ``"one-hot"`` (mpe2's discrete actions) or ``"soft"`` (mpe2's
            ``continuous_actions=True``; integer actions are still accepted, see :meth:`step`).
        **game_kwargs: mpe2's keywords of that scenario (:func:`scenario_keywords`), passed
            through; an unknown one, or a value mpe2 rejects, raises ValueError.

    Each environment's 700x700 drawing surface (2 MB, render-only) is dropped: the adapter
    never renders.
    """

    def __init__(self, scenario: str, num_envs: int, seed: int | None = None, max_cycles: int = 25,
                 action_mode: str = "one-hot", **game_kwargs):
        module = scenario_module(scenario)
        check_scenario_kwargs(scenario, game_kwargs)
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got num_envs={num_envs!r}")
        if action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one-hot or soft, got action_mode={action_mode!r}")
        self.scenario = scenario
        self.num_envs = num_envs
        self.max_cycles = max_cycles
        self.action_mode = action_mode
        self.game_kwargs = dict(game_kwargs)
        options = dict(max_cycles=max_cycles, continuous_actions=action_mode == "soft", **game_kwargs)
        self._envs = []  # mpe2's AEC environments, in PettingZoo's wrappers (order, bounds/clipping)
        for k in range(num_envs):
            try:
                env = module.env(**options)
            except Exception as error:  # mpe2 checks some values with assert; others fail where they are used
                given = ", ".join(f"{k}={v!r}" for k, v in game_kwargs.items()) or "its defaults"
                raise ValueError(f"{scenario} rejects {given}: {type(error).__name__}: {error}") from None
            env.unwrapped.screen = None  # render-only surface; close() then leaves pygame alone
            self._envs.append(env)
        self._raw = [env.unwrapped for env in self._envs]  # the SimpleEnvs: observe, rewards, flags
        first = self._envs[0]
        self.agents = tuple(first.possible_agents)
        self.obs_dims = tuple(int(first.observation_space(a).shape[0]) for a in self.agents)
        spaces = [first.action_space(a) for a in self.agents]
        self.action_dims = tuple(int(s.shape[0]) if action_mode == "soft" else int(s.n) for s in spaces)
        self.adversaries = tuple(bool(m) for m in adversary_mask(self.agents))
        """Per agent, True for an adversary (:func:`adversary_mask`; mpe2's ``agent.adversary`` agrees)."""
        self._worlds = [raw.world for raw in self._raw]
        self._pending_seeds = None if seed is None else [seed + k for k in range(num_envs)]
        self._last_obs = [[None] * num_envs for _ in self.agents]  # per agent, per slot
        self._terminated = np.zeros(num_envs, dtype=bool)
        self._truncated = np.zeros(num_envs, dtype=bool)
        self._soft_from_index = self._index_to_soft_tables() if action_mode == "soft" else None
        self._adversary_view = None  # a VecSimpleAdversary for simple_adversary's metrics, made on demand

    # -- PettingZoo plumbing --
    def reset(self, seeds: Sequence[int] | None = None) -> dict[str, np.ndarray]:
        """New episode in every slot (see the class docstring for seeding).

        Returns:
            observations ``{name: (K, obs_dim) float32}``.
        """
        if seeds is not None:
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset needs {self.num_envs} seeds, got {len(seeds)}")
            seeds = [int(s) for s in seeds]
        elif self._pending_seeds is not None:
            seeds = self._pending_seeds
        self._pending_seeds = None
        for k, (env, raw) in enumerate(zip(self._envs, self._raw)):
            env.reset(seed=None if seeds is None else seeds[k])
            for column, name in zip(self._last_obs, self.agents):
                column[k] = raw.observe(name)
        self._terminated[:] = False
        self._truncated[:] = False
        return self._stack_obs()

    def step(self, actions):
        """Advance every running slot one step.

        Args:
            actions: ``(K, N)`` integers, agents in :attr:`agents` order (mpe2's discrete
                action index: for an agent that moves and speaks, ``move + 5 * word``); with
                ``action_mode="soft"`` instead a list of ``N`` arrays ``(K, action_dims[i])`` in
                [0, 1] (or one ``(K, N, d)`` array when all agents have size ``d``), cast to
                float32; integers are then turned into the one-hot vectors that mean the same
                move and word. mpe2 clips soft actions outside [0, 1] (with a warning).

        Returns:
            ``(obs, rewards, terminated, truncated)``: obs ``{name: (K, d) float32}``, rewards
            ``(K, N)`` float64, terminated ``(K,)`` bool, truncated ``(K,)`` bool. A slot that
            had already finished stays frozen (last obs, reward 0, same flags) until reset.

        Each slot is stepped as PettingZoo's ``aec_to_parallel`` wrapper steps it (one AEC
        ``step`` per agent in order, then the rewards, flags and observations), without that
        wrapper's extra ``last()`` observation per agent and its dict copies: the same numbers,
        about 1.5x faster (``adapter_speed``).
        """
        per_slot = self._per_slot_actions(actions)  # K lists of N actions as mpe2 receives them
        agents, zero = self.agents, [0.0] * len(self.agents)
        first = agents[0]
        last_obs = self._last_obs
        rewards = []
        for k, (env, raw, slot_actions) in enumerate(zip(self._envs, self._raw, per_slot)):
            if self._terminated[k] or self._truncated[k]:
                rewards.append(zero)
                continue
            for action in slot_actions:  # the AEC order is the agents' order
                env.step(action)
            reward = raw.rewards
            rewards.append([reward[name] for name in agents])
            for column, name in zip(last_obs, agents):
                column[k] = raw.observe(name)
            self._terminated[k] = raw.terminations[first]
            self._truncated[k] = raw.truncations[first]
        return (self._stack_obs(), np.array(rewards, dtype=np.float64),
                self._terminated.copy(), self._truncated.copy())

    def _stack_obs(self) -> dict[str, np.ndarray]:
        return {name: np.stack(column) for name, column in zip(self.agents, self._last_obs)}

    def _per_slot_actions(self, actions) -> list:
        """Per slot, the ``N`` actions as mpe2 receives them (python ints, or float32 rows)."""
        K, N = self.num_envs, len(self.agents)
        if isinstance(actions, (list, tuple)) and self.action_mode == "one-hot":
            actions = np.asarray(actions)
        if isinstance(actions, np.ndarray) and actions.shape == (K, N) and np.issubdtype(actions.dtype, np.integer):
            if self.action_mode == "one-hot":
                return actions.tolist()
            columns = [table[actions[:, i]] for i, table in enumerate(self._soft_from_index)]
            return list(zip(*columns))
        if self.action_mode == "soft":
            if isinstance(actions, np.ndarray) and actions.ndim == 3 and actions.shape[:2] == (K, N):
                actions = [actions[:, i] for i in range(N)]
            if isinstance(actions, (list, tuple)) and len(actions) == N:
                columns = [np.array(a, dtype=np.float32) for a in actions]
                if all(c.shape == (K, d) for c, d in zip(columns, self.action_dims)):
                    return list(zip(*columns))
        expected = f"({K}, {N}) integers"
        if self.action_mode == "soft":
            shapes = ", ".join(f"({K}, {d})" for d in self.action_dims)
            expected += f" or a list of {N} float arrays of shapes {shapes}"
        got = getattr(actions, "shape", None)
        if got is None:
            got = [np.shape(a) for a in actions] if isinstance(actions, (list, tuple)) else type(actions).__name__
        raise ValueError(f"{self.scenario}: actions must be {expected} (action_mode={self.action_mode}), got {got}")

    def _index_to_soft_tables(self) -> list[np.ndarray]:
        """Per agent, ``(n_discrete, action_dim)`` float32: discrete index -> the continuous vector
        with the same meaning (mpe2: discrete ``i`` = move ``i % 5`` + word ``i // 5``; continuous =
        ``[move (5), word (dim_c)]``; an agent that cannot move has only the word part)."""
        tables = []
        world = self._worlds[0]
        for agent, size in zip(world.agents, self.action_dims):
            if agent.movable and not agent.silent:
                n = _MOVE_DIM * world.dim_c
                table = np.zeros((n, size), dtype=np.float32)
                index = np.arange(n)
                table[index, index % _MOVE_DIM] = 1.0
                table[index, _MOVE_DIM + index // _MOVE_DIM] = 1.0
            else:
                table = np.eye(size, dtype=np.float32)
            tables.append(table)
        return tables

    # -- the world behind each slot --
    @property
    def worlds(self) -> list:
        """mpe2's ``World`` of each slot (``env.unwrapped.world``): entity positions, sizes, goals."""
        return self._worlds

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """``(K, n_agents, 2)`` agent and ``(K, n_landmarks, 2)`` landmark positions."""
        agents = np.array([[a.state.p_pos for a in w.agents] for w in self._worlds], dtype=np.float64)
        landmarks = np.array([[m.state.p_pos for m in w.landmarks] for w in self._worlds], dtype=np.float64)
        return agents, landmarks

    def metrics(self) -> dict[str, np.ndarray]:
        """The game's measures of the current state; see :func:`game_metrics`."""
        return game_metrics(self)

    @property
    def metric_groups(self) -> dict[str, tuple[str, ...]]:
        """simple_adversary (N=2) groups its metrics as :class:`~maddpg_lite.env.VecSimpleAdversary`
        does; other games have one group (:func:`metric_groups`)."""
        if self.scenario == "simple_adversary_v3" and adversary_metrics(self):
            from .env import VecSimpleAdversary

            return VecSimpleAdversary.metric_groups
        return {}

    def close(self) -> None:
        for env in self._envs:
            env.close()


# ----- game metrics -------------------------------------------------------------------------------
def _pair_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(K, n, m)`` distances between ``a`` ``(K, n, 2)`` and ``b`` ``(K, m, 2)``, computed as
    mpe2 does (``sqrt(sum(square(delta)))``), so comparisons with its thresholds agree."""
    return np.sqrt(np.sum(np.square(a[:, :, None, :] - b[:, None, :, :]), axis=-1))


def _sizes(entities) -> np.ndarray:
    """``(n,)`` radii of mpe2 entities."""
    return np.array([e.size for e in entities], dtype=np.float64)


def spread_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """Cooperative navigation (simple_spread), per slot ``(K,)``:

    * ``min_dist_sum``: the sum over landmarks of the nearest agent's distance (= minus
      mpe2's global reward). The public replication of the paper (google/maddpg-replication)
      averages it over all frames of an episode (the states after each step): 0.629 for
      MADDPG, 0.692 for DDPG;
    * ``collisions``: the number of agent pairs colliding now, by mpe2's own rule
      (``Scenario.is_collision``: centres closer than the sum of the radii, 0.15 + 0.15).
      Summed over an episode's steps this is the replication's "collisions per episode"
      (0.388 MADDPG / 0.371 DDPG);
    * ``landmarks_covered``: the fraction of landmarks with an agent *strictly within* 0.1 of
      its centre: mpe2's ``Scenario.CAPTURE_RADIUS``, the radius of ``terminate_on_success``
      and of the original MPE benchmark's "occupied landmarks" (stricter than touching, 0.2).
    """
    from mpe2.simple_spread.simple_spread import Scenario

    agents, landmarks = game.positions()
    d = _pair_distances(agents, landmarks)  # (K, n agents, m landmarks)
    nearest = d.min(axis=1)  # (K, m)
    world = game.worlds[0]
    size = _sizes(world.agents)
    pair = _pair_distances(agents, agents) < size[:, None] + size[None, :]  # (K, n, n)
    collide = np.array([a.collide for a in world.agents])
    pair &= collide[:, None] & collide[None, :]
    upper = np.triu(np.ones(pair.shape[1:], dtype=bool), k=1)
    return {"landmarks_covered": np.mean(nearest < Scenario.CAPTURE_RADIUS, axis=1),
            "collisions": np.sum(pair & upper, axis=(1, 2)),
            "min_dist_sum": np.sum(nearest, axis=1)}


def tag_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """Predator-prey (simple_tag), per slot ``(K,)``: ``catches``, the number of (adversary,
    good agent) pairs colliding now by mpe2's rule (centres closer than 0.075 + 0.05): each
    such pair adds +10 to every adversary's reward and -10 to the caught agent's. The paper's "touches per
    episode" is its sum over the
    steps of an episode."""
    agents, _ = game.positions()
    world = game.worlds[0]
    adversary = np.array([a.adversary for a in world.agents])
    size = _sizes(world.agents)
    hits = _pair_distances(agents[:, adversary], agents[:, ~adversary]) < (
        size[adversary][:, None] + size[~adversary][None, :])
    return {"catches": np.sum(hits, axis=(1, 2))}


def adversary_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """Physical deception (simple_adversary with mpe2's default N=2): the same measures as
    :class:`~maddpg_lite.env.VecSimpleAdversary` (``deception_flags()`` and
    ``hedging_distances()``), computed by that class on a copy of the positions and targets.
    ``{}`` for other N (those formulas are for one adversary and two landmarks)."""
    from .env import VecSimpleAdversary

    world = game.worlds[0]
    if len(world.agents) != 3 or len(world.landmarks) != 2:
        return {}
    view = game._adversary_view
    if view is None:
        view = game._adversary_view = VecSimpleAdversary(game.num_envs, seed=0)
    view.agent_pos[:], view.landmark_pos[:] = game.positions()
    view.target[:] = [w.landmarks.index(w.agents[0].goal_a) for w in game.worlds]
    return {**view.deception_flags(), **view.hedging_distances()}


def speaker_listener_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """Cooperative communication (simple_speaker_listener), per slot: ``listener_to_goal``, the
    listener's distance to the goal landmark (the team's reward is minus its square)."""
    return {"listener_to_goal": np.array([
        np.linalg.norm(w.agents[1].state.p_pos - w.agents[0].goal_b.state.p_pos) for w in game.worlds])}


def reference_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """simple_reference, per slot: ``agent_0_to_goal`` and ``agent_1_to_goal``, each agent's
    distance to the landmark its partner wants it on (agent ``j``'s own reward before mixing
    with ``local_ratio`` is minus its partner's distance)."""
    out = {f"{name}_to_goal": np.zeros(game.num_envs) for name in game.agents}
    for k, w in enumerate(game.worlds):
        for speaker in w.agents:  # speaker.goal_a is the partner, speaker.goal_b its landmark
            out[f"{speaker.goal_a.name}_to_goal"][k] = np.linalg.norm(
                speaker.goal_a.state.p_pos - speaker.goal_b.state.p_pos)
    return out


def push_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """Keep-away (simple_push), per slot: ``agent_to_goal`` and ``adversary_to_goal``, the good
    agent's and the adversary's distance to the goal landmark (the good agent's reward is minus
    the first; the adversary's is the first minus the second)."""
    agent, adversary = [], []
    for w in game.worlds:
        goal = w.agents[0].goal_a.state.p_pos
        adversary.append(np.linalg.norm(w.agents[0].state.p_pos - goal))
        agent.append(min(np.linalg.norm(a.state.p_pos - goal) for a in w.agents if not a.adversary))
    return {"agent_to_goal": np.array(agent), "adversary_to_goal": np.array(adversary)}


def crypto_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """Covert communication (simple_crypto), per slot booleans: ``bob_correct`` and
    ``eve_correct``, whether Bob's / Eve's current utterance names the goal (its largest
    component is the goal landmark's, and it is not silent, all zeros). The paper's success
    rates are their means."""
    bob, eve = [], []
    for w in game.worlds:
        goal = int(np.argmax(w.agents[0].goal_a.color))
        said = [a.state.c for a in w.agents]  # eve_0, bob_0, alice_0
        eve.append(bool(np.any(said[0] != 0) and np.argmax(said[0]) == goal))
        bob.append(bool(np.any(said[1] != 0) and np.argmax(said[1]) == goal))
    return {"bob_correct": np.array(bob), "eve_correct": np.array(eve)}


METRICS = {"simple_adversary_v3": adversary_metrics, "simple_crypto_v3": crypto_metrics,
           "simple_push_v3": push_metrics, "simple_reference_v3": reference_metrics,
           "simple_speaker_listener_v4": speaker_listener_metrics, "simple_spread_v3": spread_metrics,
           "simple_tag_v3": tag_metrics}
"""Per scenario, its metric function; the other scenarios have none (``{}``)."""


def game_metrics(game: Mpe2VecGame) -> dict[str, np.ndarray]:
    """``{name: (K,) array}``: the measures of :data:`METRICS` for ``game``'s scenario, of the
    state now (call it after each step to average over frames, at the last step for end-of-episode
    rates); ``{}`` for a scenario without any. A frozen (finished) slot reports its final state."""
    function = METRICS.get(game.scenario)
    return {} if function is None else function(game)


# ----- choosing a backend -------------------------------------------------------------------------
_NUMPY_ADVERSARY_KEYWORDS = ("adversary_reward",)
_RENDER_ONLY_KEYWORDS = ("dynamic_rescaling", "benchmark_data")
"""mpe2 keywords that change neither observations nor rewards (drawing; the ``infos`` dict)."""


def make_vec_game(scenario: str, num_envs: int, seed: int | None = None, backend: str = "auto",
                  action_mode: str = "one-hot", max_cycles: int = 25, **game_kwargs) -> VecGame:
    """A :class:`VecGame` of ``scenario`` with ``num_envs`` slots.

    * ``simple_adversary_v3`` with backend ``"auto"`` or ``"numpy"``:
      :class:`~maddpg_lite.env.VecSimpleAdversary` (mpe2's game to the bit, ~100x faster). Its
      keyword is ``adversary_reward`` (``"distance"``, mpe2's, or ``"squared"``); mpe2's keywords
      are accepted at their defaults (``N=2``, no partial observability) and the render-only
      ones at any value; anything else (e.g. ``N=3``) needs ``backend="mpe2"``.
    * backend ``"mpe2"``: :class:`Mpe2VecGame` (any scenario of :data:`SCENARIOS`);
      ``adversary_reward="distance"`` is accepted there (it is mpe2's reward), ``"squared"`` is not.
    * other scenarios: mpe2 only (``"auto"`` means ``"mpe2"``).

    Raises ValueError, one line, for an unknown scenario, backend or keyword.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    scenario_module(scenario)  # unknown scenario -> ValueError
    if scenario != "simple_adversary_v3":
        if backend == "numpy":
            raise ValueError(f"backend 'numpy' exists only for simple_adversary_v3; "
                             f"use 'auto' or 'mpe2' for {scenario}")
        return Mpe2VecGame(scenario, num_envs, seed=seed, max_cycles=max_cycles, action_mode=action_mode,
                           **game_kwargs)
    mpe2_kwargs = {k: v for k, v in game_kwargs.items() if k not in _NUMPY_ADVERSARY_KEYWORDS}
    if backend == "mpe2":
        reward = game_kwargs.get("adversary_reward", "distance")
        if reward != "distance":
            raise ValueError(f"simple_adversary_v3 with adversary_reward={reward!r} needs backend 'numpy' "
                             "(mpe2's adversary reward is the distance)")
        return Mpe2VecGame(scenario, num_envs, seed=seed, max_cycles=max_cycles, action_mode=action_mode,
                           **mpe2_kwargs)
    defaults = scenario_keywords(scenario)
    for key in mpe2_kwargs:
        if key not in defaults and key not in _OWN_KEYWORDS:
            raise ValueError(f"unknown game keyword {key!r} for simple_adversary_v3; known: "
                             f"{', '.join([*_NUMPY_ADVERSARY_KEYWORDS, *defaults])}")
    check_scenario_kwargs(scenario, mpe2_kwargs)
    for key, value in mpe2_kwargs.items():
        if key not in _RENDER_ONLY_KEYWORDS and value != defaults[key]:
            raise ValueError(f"simple_adversary_v3 with {key}={value!r} needs backend='mpe2' "
                             f"(the numpy copy is mpe2's default game, {key}={defaults[key]!r})")
    from .env import VecSimpleAdversary

    return VecSimpleAdversary(num_envs, seed=seed, max_cycles=max_cycles, action_mode=action_mode,
                              **{k: v for k, v in game_kwargs.items() if k in _NUMPY_ADVERSARY_KEYWORDS})


def check_game(scenario: str, backend: str = "auto", action_mode: str = "one-hot", game_kwargs: dict | None = None,
               max_cycles: int = 25) -> None:
    """ValueError, one line, if :func:`make_vec_game` would refuse this game (unknown scenario,
    backend or keyword, a value mpe2 rejects), or if the trainer cannot play it: soft actions for
    an agent that moves and speaks (simple_reference, simple_world_comm). Builds one slot to find out."""
    game = make_vec_game(scenario, 1, backend=backend, action_mode=action_mode, max_cycles=max_cycles,
                         **(game_kwargs or {}))
    if action_mode == "soft" and hasattr(game, "worlds"):
        # the game takes mpe2's continuous layout [move (5), word (dim_c)], but an actor has ONE
        # softmax: right for an agent that only moves or only speaks, not for one that does both
        both = [a.name for a in game.worlds[0].agents if a.movable and not a.silent]
        if both:
            game.close()
            raise ValueError(f"{scenario}: action_mode='soft' is refused: {', '.join(both)} both move and speak, "
                             "and mpe2's continuous action (move and word in one vector) is not one softmax; "
                             "use action_mode='one-hot'")
    if hasattr(game, "close"):
        game.close()


# ----- speed --------------------------------------------------------------------------------------
def adapter_speed(scenario: str, num_envs: int = 50, steps: int = 50, seed: int = 0, repeats: int = 2,
                  **game_kwargs) -> dict:
    """Game steps per second of :class:`Mpe2VecGame` against bare mpe2.

    Both step ``num_envs`` games for ``steps`` steps with the same seeded random discrete
    actions, resetting at the ends of episodes: the adapter through ``step((K, N) array)``
    (building the action dicts and stacking the observations included), bare mpe2 as ``K``
    ``parallel_env``s stepped one after another with ready-made action dicts. A game step
    counts once per game, so one adapter call is ``K`` steps. The two are timed alternately
    ``repeats`` times and the best of each kept (the machine is shared; the best is the least
    disturbed).

    Returns:
        ``{"scenario", "num_envs", "steps", "adapter_steps_per_s", "mpe2_steps_per_s", "ratio"}``
        with ``ratio = adapter / mpe2`` (1.0: the adapter costs nothing).
    """
    module = scenario_module(scenario)
    game = Mpe2VecGame(scenario, num_envs, seed=seed, **game_kwargs)
    bare = [module.parallel_env(**game_kwargs) for _ in range(num_envs)]
    rng = np.random.default_rng(seed)
    actions = np.stack([rng.integers(n, size=(steps, num_envs)) for n in game.action_dims], axis=-1)  # (T, K, N)
    dicts = [[dict(zip(game.agents, row)) for row in step_actions.tolist()] for step_actions in actions]

    def run_adapter() -> float:
        game.reset(seeds=[seed + k for k in range(num_envs)])
        start = time.perf_counter()
        for t in range(steps):
            _, _, terminated, truncated = game.step(actions[t])
            if (terminated | truncated).all():
                game.reset()
        return num_envs * steps / (time.perf_counter() - start)

    def run_bare() -> float:
        for k, env in enumerate(bare):
            env.reset(seed=seed + k)
        start = time.perf_counter()
        for t in range(steps):
            for env, act in zip(bare, dicts[t]):
                _, _, terminations, truncations, _ = env.step(act)
                if any(truncations.values()) or any(terminations.values()):
                    env.reset()
        return num_envs * steps / (time.perf_counter() - start)

    adapter_rates, bare_rates = [], []
    for _ in range(repeats):
        bare_rates.append(run_bare())
        adapter_rates.append(run_adapter())
    adapter_rate, bare_rate = max(adapter_rates), max(bare_rates)
    return {"scenario": scenario, "num_envs": num_envs, "steps": steps, "adapter_steps_per_s": adapter_rate,
            "mpe2_steps_per_s": bare_rate, "ratio": adapter_rate / bare_rate}
