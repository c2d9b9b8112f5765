"""Checks of notebooks/exercises/08_another_game_exercises.ipynb (lesson 08: another game).

Exercise 1 :func:`check_tag_observation`, 2 :func:`check_spread_min_dist_sum`, 3 :func:`check_episode_collisions`:
against mpe2's own simple_tag_v3 and simple_spread_v3, and :func:`maddpg_lite.games.spread_metrics`.
"""

from __future__ import annotations

import copy
import functools
import math

import numpy as np
import torch

from ..env import EPISODE_LENGTH
from ..i18n import _
from .core import _Checks, _expect_array, _fmt, _match_mistake, _Mismatch, checker

TAG_GAMES = (  # (num_good, num_adversaries, num_obstacles, seeds, random steps after each reset)
    (1, 3, 2, (0, 1, 2, 3), 3),  # mpe2's default game: observations of 16 (adversaries) and 14 (the good agent)
    (2, 2, 3, (0, 1), 3),  # two good agents: a good agent sees the other good agent's velocity
)
"""The simple_tag_v3 games of :func:`check_tag_observation`."""


@functools.lru_cache(maxsize=4)
def _tag_states(num_good: int, num_adversaries: int, num_obstacles: int, seeds: tuple, steps: int) -> tuple:
    """States of mpe2's own simple_tag_v3: a copy of its ``World`` after ``reset(seed)`` and after each of
    ``steps`` random steps, with the observations mpe2 returned there (float32, agents in mpe2's order)."""
    from mpe2 import simple_tag_v3

    env = simple_tag_v3.parallel_env(num_good=num_good, num_adversaries=num_adversaries,
                                     num_obstacles=num_obstacles, max_cycles=EPISODE_LENGTH)
    env.unwrapped.screen = None  # render-only surface, never drawn here
    names = list(env.possible_agents)
    states = []
    for seed in seeds:
        obs, _infos = env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        for t in range(steps + 1):
            if t:
                obs, *_rest = env.step({name: int(rng.integers(env.action_space(name).n)) for name in names})
            states.append(dict(game=(num_good, num_adversaries, num_obstacles), seed=seed, step=t, names=names,
                               world=copy.deepcopy(env.unwrapped.world), obs=[np.array(obs[n]) for n in names]))
    return tuple(states)


def _tag_game(good: int, adversaries: int, obstacles: int) -> str:
    """``"3 adversaries, 1 good agent, 2 obstacles"`` in the language the package speaks."""
    text = (_("{adversaries} adversaries, {good} good agents, {obstacles} obstacles") if good > 1 else
            _("{adversaries} adversaries, {good} good agent, {obstacles} obstacles"))
    return text.format(adversaries=adversaries, good=good, obstacles=obstacles)


def _tag_input(s: dict, i: int) -> str:
    good, adversaries, obstacles = s["game"]
    w = s["world"]
    pos = np.array([a.state.p_pos for a in w.agents])
    vel = np.array([a.state.p_vel for a in w.agents])
    obstacle_pos = np.array([lm.state.p_pos for lm in w.landmarks])
    steps = (_("{n} random step") if s["step"] == 1 else _("{n} random steps")).format(n=s["step"])
    return _("world = mpe2's simple_tag_v3 ({game}) after reset(seed={seed}) and {steps}, with the agents' "
             "p_pos = {pos}, p_vel = {vel}, the obstacles' p_pos = {obstacle_pos}; i = {i} ({name})").format(
        game=_tag_game(good, adversaries, obstacles), seed=s["seed"], steps=steps, pos=_short(pos), vel=_short(vel),
        obstacle_pos=_short(obstacle_pos), i=i, name=s["names"][i])


def _short(x: np.ndarray) -> str:
    """A small array on one line, rounded to 3 decimals."""
    return str((np.round(x, 3) + 0.0).tolist())


def _loose_array(out) -> np.ndarray | None:
    """``out`` as a flat float64 array whatever its shape, or None when it is not numbers."""
    if out is None or isinstance(out, (str, bytes, dict)):
        return None
    try:
        return np.asarray(out.detach().cpu() if isinstance(out, torch.Tensor) else out, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None


def _tag_observation_variants(world, i: int):
    me = world.agents[i]
    p, v = me.state.p_pos, me.state.p_vel
    others = [a for a in world.agents if a is not me]
    obstacles = [lm.state.p_pos for lm in world.landmarks if not lm.boundary]
    rel_obstacles = [q - p for q in obstacles]
    rel_others = [o.state.p_pos - p for o in others]
    good_vel = [o.state.p_vel for o in others if not o.adversary]
    flat = np.concatenate
    velocity_rule = _("Velocities are observed for the other GOOD agents only (`if not o.adversary`): the "
                      "adversaries see the prey's velocity, nobody sees an adversary's.")
    order = _("mpe2's order: own velocity, own position, obstacles, other agents, other good agents' velocities.")
    return [
        (_("absolute positions instead of relative ones"),
         flat([v, p] + obstacles + [o.state.p_pos for o in others] + good_vel),
         _("Only the agent's own position is absolute: every obstacle and every other agent is seen as its "
           "position minus the agent's own.")),
        (_("self - other instead of other - self"),
         flat([v, p] + [-x for x in rel_obstacles + rel_others] + good_vel),
         _("Each relative slot is the position of the thing seen minus the agent's own position.")),
        (_("the velocities of every other agent, adversaries included"),
         flat([v, p] + rel_obstacles + rel_others + [o.state.p_vel for o in others]), velocity_rule),
        (_("the adversaries' velocities instead of the good agents'"),
         flat([v, p] + rel_obstacles + rel_others + [o.state.p_vel for o in others if o.adversary]), velocity_rule),
        (_("the other good agents' velocities in the adversaries' observations only"),
         flat([v, p] + rel_obstacles + rel_others + (good_vel if me.adversary else [])),
         _("A good agent sees the velocity of every OTHER good agent too: the rule depends on who is seen, not on "
           "who looks.")),
        (_("no velocities of the other agents"), flat([v, p] + rel_obstacles + rel_others),
         _("After the relative positions come the velocities of the other good agents (not relative).")),
        (_("the agent's own velocity missing"), flat([p] + rel_obstacles + rel_others + good_vel),
         _("The observation starts with the agent's own velocity (p_vel), then its own position.")),
        (_("the agent's own position missing"), flat([v] + rel_obstacles + rel_others + good_vel),
         _("Unlike simple_adversary, simple_tag gives each agent its own absolute position, after its velocity.")),
        (_("own position before own velocity (wrong order)"), flat([p, v] + rel_obstacles + rel_others + good_vel),
         order),
        (_("the other agents before the obstacles (wrong order)"),
         flat([v, p] + rel_others + rel_obstacles + good_vel), order),
        (_("the agent itself among the other agents"),
         flat([v, p] + rel_obstacles + [a.state.p_pos - p for a in world.agents]
              + [a.state.p_vel for a in world.agents if not a.adversary]),
         _("The other agents are every agent except agent i itself (`if o is not agent`).")),
    ]


@checker("tag_observation(world, i)")
def check_tag_observation(c: _Checks) -> None:
    """Check ``fn(world, i)`` against the observations of mpe2's own simple_tag_v3.

    ``world`` is mpe2's ``World`` (``env.unwrapped.world``), ``i`` the index of an agent in
    ``world.agents``. Verified on states of the real game (after random steps and after resets), for every
    agent: the returned vector, cast to float32, equals the observation mpe2 returned there
    (``Scenario.observation(...).astype(np.float32)``), in mpe2's default game (3 adversaries of size 16,
    1 good agent of size 14, 2 obstacles) and with 2 adversaries, 2 good agents and 3 obstacles (a good agent
    sees the other good agent's velocity). A wrong vector, of any length, is compared with the usual mistakes:
    absolute positions, the velocities of every other agent or of none, own velocity missing, a wrong order, ...
    """
    for num_good, num_adversaries, num_obstacles, seeds, steps in TAG_GAMES:
        states = _tag_states(num_good, num_adversaries, num_obstacles, seeds, steps)
        for s in sorted(states, key=lambda s: s["step"] == 0):  # moving states first: velocities are not 0
            for i, expected in enumerate(s["obs"]):
                inp = _tag_input(s, i)
                check = _("tag_observation(world, i) of {name} equals mpe2's observation (simple_tag_v3 with "
                          "{game})").format(name=s["names"][i], game=_tag_game(num_good, num_adversaries,
                                                                               num_obstacles))
                out = c.call(inp, copy.deepcopy(s["world"]), i)
                loose = _loose_array(out)
                if (loose is not None and loose.shape == expected.shape and out is not None
                        and np.shape(out) == expected.shape
                        and np.array_equal(loose.astype(np.float32), expected)):
                    continue
                world = s["world"]
                n_others_good = sum(not a.adversary for j, a in enumerate(world.agents) if j != i)
                hint = _("{name} observes {n} numbers here: own velocity (2), own position (2), 2 per obstacle "
                         "({obstacles}), 2 per other agent ({others}), and the velocity of each other GOOD agent "
                         "({good}).").format(name=s["names"][i], n=len(expected), obstacles=2 * num_obstacles,
                                             others=2 * (len(world.agents) - 1), good=2 * n_others_good)
                if loose is not None:
                    if loose.shape == expected.shape and np.array_equal(loose.astype(np.float32), expected):
                        hint = _("Return one flat vector: np.concatenate of the slots, shape (obs_dim,).")
                    elif loose.shape == expected.shape and np.allclose(loose, expected, rtol=0, atol=1e-6):
                        hint = _("Your values differ from mpe2's only in the last float32 digits: compute in "
                                 "float64, as the world stores positions and velocities; mpe2 casts to float32 at "
                                 "the very end (observe() returns .astype(np.float32)).")
                    else:
                        hint = _match_mistake(loose, _tag_observation_variants(world, i), hint)
                got = _expect_array(out, check, inp, expected.shape, hint)
                raise _Mismatch(check, inp, _fmt(expected), _fmt(got), hint)
    c.ok(_("equals mpe2's float32 observation for every agent (16 numbers for an adversary, 14 for the good agent) "
           "on 16 states of the default game (3 adversaries, 1 good agent, 2 obstacles), after random steps and "
           "resets"))
    c.ok(_("also with 2 adversaries, 2 good agents and 3 obstacles (20 and 18 numbers: a good agent sees the other "
           "good agent's velocity)"))


@functools.lru_cache(maxsize=4)
def _spread_episodes(n: int, num_envs: int, seed: int) -> dict:
    """``num_envs`` episodes of mpe2's simple_spread_v3 with ``N = n`` under seeded random actions, one frame
    per step (the state after it), through the package's :class:`~maddpg_lite.games.Mpe2VecGame` (real mpe2):
    ``agent_pos`` ``(T, K, n, 2)``, ``landmark_pos`` ``(T, K, n, 2)``; per frame ``(T, K)``: ``minus_global_reward``
    (minus mpe2's ``Scenario.global_reward`` of each world) and ``collisions`` (the package's
    :func:`~maddpg_lite.games.spread_metrics`); ``radius_sum``: the sum of two agents' radii (0.15 + 0.15)."""
    from mpe2.simple_spread.simple_spread import Scenario

    from ..games import Mpe2VecGame, spread_metrics

    game = Mpe2VecGame("simple_spread_v3", num_envs, seed=seed, N=n)
    game.reset()
    rng = np.random.default_rng(seed)
    scenario = Scenario()
    frames = {"agent_pos": [], "landmark_pos": [], "minus_global_reward": [], "collisions": []}
    for _step in range(game.max_cycles):
        game.step(rng.integers(0, game.action_dims[0], size=(num_envs, n)))
        agents, landmarks = game.positions()
        frames["agent_pos"].append(agents)
        frames["landmark_pos"].append(landmarks)
        frames["minus_global_reward"].append([-scenario.global_reward(w) for w in game.worlds])
        frames["collisions"].append(spread_metrics(game)["collisions"])
    sizes = [a.size for a in game.worlds[0].agents]
    game.close()
    out = {key: np.array(value, dtype=np.float64) for key, value in frames.items()}
    out["radius_sum"] = float(sizes[0] + sizes[1])
    return out


SPREAD_GAMES = ((3, 16, 0), (5, 8, 1))
"""(N, episodes, seed) of the simple_spread_v3 episodes that the lesson-08 checkers replay."""


def _min_dist_sum_variants(agent_pos, landmark_pos):
    d = np.sqrt(np.sum(np.square(agent_pos[:, :, None] - landmark_pos[:, None]), axis=-1))  # (K, n, m)
    return [
        (_("each agent's nearest landmark instead of each landmark's nearest agent"), d.min(axis=2).sum(axis=1),
         _("Take the minimum over the AGENTS (axis 1 of the (K, n, m) distances) for each landmark, then sum over "
           "the landmarks: every landmark wants someone on it. Three agents on one landmark score 0 your way.")),
        (_("the mean over the landmarks instead of the sum"), d.min(axis=1).mean(axis=1),
         _("Sum over the landmarks (minus mpe2's global reward is a sum).")),
        (_("squared distances"), np.square(d).min(axis=1).sum(axis=1),
         _("Use the distance itself, sqrt(dx^2 + dy^2), not its square.")),
        (_("the sum over every agent and landmark"), d.sum(axis=(1, 2)),
         _("For each landmark keep only the NEAREST agent's distance (min over the agents), then sum.")),
    ]


@checker("spread_min_dist_sum(agent_pos, landmark_pos)")
def check_spread_min_dist_sum(c: _Checks) -> None:
    """Check ``fn(agent_pos, landmark_pos)`` -> ``(K,)``: for each of K states, the sum over landmarks of the
    nearest agent's distance (the public replication's cooperative-navigation metric, ``min_dist_sum`` of
    :func:`maddpg_lite.games.spread_metrics`), with ``agent_pos`` ``(K, n, 2)`` and ``landmark_pos`` ``(K, m, 2)``.

    Verified on hand-made positions with known answers (n = m, n < m, n > m), on 300 random states with 1 to 5
    agents and landmarks, and on every frame of random episodes of mpe2's own simple_spread_v3 (N = 3 and 5),
    where it must equal minus mpe2's ``Scenario.global_reward``. Mistakes named: each agent's nearest landmark
    instead of each landmark's nearest agent, the mean instead of the sum, squared distances.
    """
    check = _("the sum over landmarks of the nearest agent's distance, for each of the K states")
    hint = _("d = distances of every agent to every landmark, shape (K, n, m); return d.min(axis=1).sum(axis=1): "
             "for each landmark its nearest agent, summed over the landmarks.")
    hand = [  # (name, agent_pos, landmark_pos, the known answer)
        (_("3 agents on 3 landmarks (0); 3 agents at the origin, landmarks at (3, 4), (0, 1), (-1, 0) "
           "(5 + 1 + 1 = 7)"),
         [[[0, 0], [1, 0], [0, 1]], [[0, 0], [0, 0], [0, 0]]], [[[0, 0], [1, 0], [0, 1]], [[3, 4], [0, 1], [-1, 0]]],
         [0.0, 7.0]),
        (_("2 agents at (0, 0), (2, 0); 3 landmarks at (0, 1), (2, -3), (1, 0) (1 + 3 + 1 = 5)"),
         [[[0, 0], [2, 0]]], [[[0, 1], [2, -3], [1, 0]]], [5.0]),
        (_("3 agents at (0, 0), (0, 2), (5, 5); 2 landmarks at (0, 1), (3, 4) (1 + sqrt(5))"),
         [[[0, 0], [0, 2], [5, 5]]], [[[0, 1], [3, 4]]], [1 + math.sqrt(5)]),
    ]
    cases = [(_("hand-made: {case}").format(case=name), np.array(a, dtype=np.float64), np.array(m, dtype=np.float64),
              np.array(answer)) for name, a, m, answer in hand]
    rng = np.random.default_rng(13)
    for n, m in [(3, 3), (2, 4), (4, 2), (1, 5), (5, 1)]:
        a, lm = rng.uniform(-1.5, 1.5, (60, n, 2)), rng.uniform(-1, 1, (60, m, 2))
        cases.append((_("60 random states with {n} agents and {m} landmarks").format(n=n, m=m), a, lm,
                      np.sqrt(np.sum(np.square(a[:, :, None] - lm[:, None]), axis=-1)).min(axis=1).sum(axis=1)))
    for n, episodes, seed in SPREAD_GAMES:
        e = _spread_episodes(n, episodes, seed)
        T = len(e["agent_pos"])
        cases.append((_("the {frames} frames of {episodes} random episodes of mpe2's simple_spread_v3 with N={n} "
                        "(seed {seed}), expected = minus mpe2's Scenario.global_reward").format(
                          frames=T * episodes, episodes=episodes, n=n, seed=seed),
                      e["agent_pos"].reshape(T * episodes, n, 2), e["landmark_pos"].reshape(T * episodes, n, 2),
                      e["minus_global_reward"].reshape(-1)))
    for name, agent_pos, landmark_pos, expected in cases:
        if len(agent_pos) <= 2:
            inp = _("{case}: agent_pos of shape {agent_shape}, landmark_pos of shape {landmark_shape} = {agent_pos} "
                    "and {landmark_pos}").format(case=name, agent_shape=agent_pos.shape,
                                                 landmark_shape=landmark_pos.shape, agent_pos=_short(agent_pos),
                                                 landmark_pos=_short(landmark_pos))
        else:
            inp = _("{case}: agent_pos of shape {agent_shape}, landmark_pos of shape {landmark_shape}").format(
                case=name, agent_shape=agent_pos.shape, landmark_shape=landmark_pos.shape)
        got = _expect_array(c.call(inp, agent_pos.copy(), landmark_pos.copy()), check, inp, expected.shape,
                            _("Return one number per state: shape (K,)."))
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-9):
            raise _Mismatch(check, inp, _fmt(expected), _fmt(got),
                            _match_mistake(got, _min_dist_sum_variants(agent_pos, landmark_pos), hint, atol=1e-9))
    c.ok(_("hand-made states with known answers: 0, 7, 5 and 1 + sqrt(5) (as many agents as landmarks, fewer, "
           "more)"))
    c.ok(_("300 random states with 1 to 5 agents and landmarks"))
    c.ok(_("minus mpe2's Scenario.global_reward on every frame of random simple_spread_v3 episodes, N = 3 and 5"))


def _collisions_variants(agent_pos, radius_sum):
    T, K, n, _xy = agent_pos.shape
    d = np.sqrt(np.sum(np.square(agent_pos[:, :, :, None] - agent_pos[:, :, None]), axis=-1))  # (T, K, n, n)
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    pairs = lambda close: np.sum(close & upper, axis=(2, 3))  # noqa: E731  (T, K)
    return [
        (_("ordered pairs (each collision counted twice)"), 2 * pairs(d < radius_sum).sum(axis=0),
         _("A collision of agents j and k is ONE pair: count j < k only (the upper triangle), not (j, k) and "
           "(k, j).")),
        (_("each agent colliding with itself"), (pairs(d < radius_sum) + n).sum(axis=0),
         _("An agent is at distance 0 from itself: leave out the diagonal j == k.")),
        (_("ordered pairs and each agent with itself"), np.sum(d < radius_sum, axis=(2, 3)).sum(axis=0),
         _("Count each unordered pair j < k once: the upper triangle of the (n, n) matrix, without its diagonal.")),
        (_("<= instead of <"), pairs(d <= radius_sum).sum(axis=0),
         _("mpe2's is_collision is strict: centres exactly radius_sum apart do not collide.")),
        (_("the squared distance compared with radius_sum"), pairs(np.square(d) < radius_sum).sum(axis=0),
         _("Compare the distance sqrt(dx^2 + dy^2) with radius_sum (or the squared distance with "
           "radius_sum ** 2).")),
        (_("frames with a collision instead of colliding pairs"), (pairs(d < radius_sum) > 0).sum(axis=0),
         _("Count every colliding pair in every frame: two pairs colliding at once are 2.")),
    ]


@checker("episode_collisions(agent_pos, radius_sum)")
def check_episode_collisions(c: _Checks) -> None:
    """Check ``fn(agent_pos, radius_sum)`` -> ``(K,)``: per game, the number of colliding agent pairs summed over
    the T frames of ``agent_pos`` ``(T, K, n, 2)``; a pair collides when its centres are strictly closer than
    ``radius_sum`` (mpe2's ``Scenario.is_collision``).

    Verified on hand-made frames with known answers (pairs exactly ``radius_sum`` apart, which do not collide, and
    three agents on top of each other), with two radii, and on random episodes of mpe2's own simple_spread_v3
    (N = 3 and 5, radius_sum = 0.15 + 0.15), where it must equal the sum over the frames of the package's
    :func:`maddpg_lite.games.spread_metrics` ``collisions``. Mistakes named: ordered pairs (each collision counted
    twice), an agent colliding with itself, ``<=`` instead of ``<``, the squared distance, frames with a collision
    instead of colliding pairs.
    """
    check = _("colliding pairs (centres strictly closer than radius_sum) counted in every frame, summed over the "
              "frames")
    hint = _("d = (T, K, n, n) distances between agents; count (d < radius_sum) over pairs j < k only (np.triu(..., "
             "k=1)), then sum over the pairs and over the frames: shape (K,).")
    frames = np.array([
        [[[0, 0], [0.5, 0], [5, 5]],  # exactly 0.5 apart: no collision
         [[0, 0], [0.25, 0], [0, 0.25]],  # three pairs
         [[0, 0], [0.375, 0], [9, 9]],  # one pair
         [[0, 0], [0.625, 0], [-0.625, 0]]],  # 0.625 apart: none (0.625^2 < 0.5, though)
        [[[1, 1], [1, 1], [1, 1]],  # three agents on top of each other: three pairs
         [[-1, -1], [1, 1], [1, -1]],  # far apart
         [[0, 0], [0, 0.5], [0, -0.5]],  # exactly 0.5 apart twice: none
         [[0, 0], [0, 0.25], [3, 3]]],  # one pair
    ], dtype=np.float64)  # (T=2, K=4, n=3, 2)
    cases = [(_("hand-made, 2 frames of 4 games, pairs exactly 0.5 apart and three agents on one spot"), frames, 0.5,
              np.array([3.0, 3.0, 1.0, 1.0])),
             (_("the same frames with radius_sum = 0.25 (pairs exactly 0.25 apart do not collide)"), frames, 0.25,
              np.array([3.0, 0.0, 0.0, 0.0]))]
    for n, episodes, seed in SPREAD_GAMES:
        e = _spread_episodes(n, episodes, seed)
        cases.append((_("{episodes} random episodes of mpe2's simple_spread_v3 with N={n} (seed {seed}), expected = "
                        "the sum over frames of spread_metrics(game)['collisions']").format(
                          episodes=episodes, n=n, seed=seed), e["agent_pos"], e["radius_sum"],
                      e["collisions"].sum(axis=0)))
    for name, agent_pos, radius_sum, expected in cases:
        inp = _("{case}: agent_pos of shape {shape}, radius_sum = {radius_sum}").format(
            case=name, shape=agent_pos.shape, radius_sum=f"{radius_sum:g}")
        got = _expect_array(c.call(inp, agent_pos.copy(), radius_sum), check, inp, expected.shape,
                            _("Return one count per game: shape (K,), summed over the T frames (axis 0) and the "
                              "pairs."))
        if not np.array_equal(got, expected):
            raise _Mismatch(check, inp, _fmt(expected), _fmt(got),
                            _match_mistake(got, _collisions_variants(agent_pos, radius_sum), hint))
    c.ok(_("hand-made frames with known answers: pairs exactly radius_sum apart do not collide, three agents on one "
           "spot are 3 pairs, frames add up; radius_sum = 0.5 and 0.25"))
    c.ok(_("the sum over frames of spread_metrics' collisions in random simple_spread_v3 episodes, N = 3 and 5"))
