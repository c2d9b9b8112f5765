"""Every paper game behind one interface: the mpe2 adapter is mpe2 (checked against
independent parallel_envs), both simple_adversary backends agree to the bit, bad names fail
in one line, and the game metrics match hand computation and mpe2's own benchmark code."""

import importlib
import math

import numpy as np
import pytest

from maddpg_lite.env import VecSimpleAdversary
from maddpg_lite.games import (
    ACTION_MODES,
    PAPER_SCENARIOS,
    SCENARIOS,
    Mpe2VecGame,
    VecGame,
    adapter_speed,
    make_vec_game,
    scenario_keywords,
)

SEEDS = [0, 7]


def random_actions(rng, game, mode: str):
    """Discrete actions ``(K, N)``, or per-agent float32 ``(K, action_dim)`` soft actions in
    [0, 1]: points of the simplex mixed with arbitrary vectors of the box."""
    K = game.num_envs
    if mode == "one-hot":
        return np.stack([rng.integers(n, size=K) for n in game.action_dims], axis=1)
    out = []
    for d in game.action_dims:
        soft = rng.dirichlet(np.full(d, 0.3), size=K)
        box = rng.uniform(0, 1, size=(K, d))
        out.append(np.where(rng.random((K, 1)) < 0.7, soft, box).astype(np.float32))
    return out


def mpe2_envs(scenario, mode, n, **kwargs):
    module = importlib.import_module(f"mpe2.{scenario}")
    return [module.parallel_env(continuous_actions=mode == "soft", **kwargs) for _ in range(n)]


def assert_same_as_mpe2(game, envs, actions, got, t, mode):
    obs, rewards, terminated, truncated = got
    for k, env in enumerate(envs):
        act = {name: (int(actions[k, i]) if mode == "one-hot" else actions[i][k])
               for i, name in enumerate(game.agents)}
        e_obs, e_rew, e_term, e_trunc, _ = env.step(act)
        for i, name in enumerate(game.agents):
            assert np.array_equal(obs[name][k], e_obs[name]), (t, k, name)
            assert rewards[k, i] == e_rew[name], (t, k, name)
            assert truncated[k] == e_trunc[name] == (t == game.max_cycles)
            assert terminated[k] == e_term[name] == False  # noqa: E712 (numpy bools)


# ----- the adapter is mpe2 ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ACTION_MODES)
@pytest.mark.parametrize("scenario", PAPER_SCENARIOS)
def test_adapter_equals_independent_mpe2_envs(scenario, mode):
    game = Mpe2VecGame(scenario, len(SEEDS), seed=40, action_mode=mode)
    envs = mpe2_envs(scenario, mode, len(SEEDS))
    assert isinstance(game, VecGame) and game.scenario == scenario
    assert game.agents == tuple(envs[0].possible_agents)
    assert game.obs_dims == tuple(envs[0].observation_space(a).shape[0] for a in game.agents)
    spaces = [envs[0].action_space(a) for a in game.agents]
    assert game.action_dims == tuple(s.shape[0] if mode == "soft" else s.n for s in spaces)
    rng = np.random.default_rng(0)
    # episode 0: the constructor's seeds (40 + k); 1: reset(seeds) reseeds; 2: each stream continues
    for episode, (game_reset, env_reset) in enumerate([
            (lambda: game.reset(), lambda k, env: env.reset(seed=40 + k)),
            (lambda: game.reset(seeds=np.array(SEEDS)), lambda k, env: env.reset(seed=SEEDS[k])),
            (lambda: game.reset(), lambda k, env: env.reset())]):
        obs = game_reset()
        for k, env in enumerate(envs):
            e_obs = env_reset(k, env)[0]
            for name, d in zip(game.agents, game.obs_dims):
                assert obs[name].dtype == np.float32 and obs[name].shape == (len(SEEDS), d)
                assert np.array_equal(obs[name][k], e_obs[name]), (episode, k, name)
        steps = game.max_cycles if episode < 2 else 3  # two full episodes, then the continued stream
        for t in range(1, steps + 1):
            actions = random_actions(rng, game, mode)
            got = game.step(actions)
            assert got[1].dtype == np.float64 and got[1].shape == (len(SEEDS), len(game.agents))
            assert got[2].dtype == bool and got[3].dtype == bool
            assert_same_as_mpe2(game, envs, actions, got, t, mode)
    # a finished slot is frozen until reset: a step after the end changes nothing
    game.reset(seeds=SEEDS)
    for _ in range(game.max_cycles):
        last = game.step(random_actions(rng, game, mode))
    again = game.step(random_actions(rng, game, mode))
    assert all(np.array_equal(last[0][n], again[0][n]) for n in game.agents)
    assert not again[1].any() and again[3].all() and not again[2].any()


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s not in PAPER_SCENARIOS])
def test_adapter_runs_mpe2s_other_scenarios(scenario):
    game = Mpe2VecGame(scenario, 2, seed=3)
    envs = mpe2_envs(scenario, "one-hot", 2)
    game.reset()
    for k, env in enumerate(envs):
        env.reset(seed=3 + k)
    rng = np.random.default_rng(0)
    for t in range(1, 4):
        actions = random_actions(rng, game, "one-hot")
        assert_same_as_mpe2(game, envs, actions, game.step(actions), t, "one-hot")
    assert game.metrics() == {}


@pytest.mark.parametrize("scenario", PAPER_SCENARIOS)
def test_soft_mode_plays_discrete_indices_like_the_discrete_game(scenario):
    # an index means the same move and word as its one-hot vectors (reference: move + 5 * word)
    discrete, soft = (Mpe2VecGame(scenario, 2, seed=1, action_mode=m) for m in ACTION_MODES)
    a, b = discrete.reset(), soft.reset()
    rng = np.random.default_rng(2)
    for _ in range(6):
        actions = random_actions(rng, discrete, "one-hot")
        a, b = discrete.step(actions), soft.step(actions)
        assert all(np.array_equal(a[0][n], b[0][n]) for n in discrete.agents)
        assert np.array_equal(a[1], b[1])


def test_bad_actions_raise_one_line():
    game = Mpe2VecGame("simple_speaker_listener_v4", 2, seed=0, action_mode="soft")
    game.reset()
    with pytest.raises(ValueError) as error:
        game.step([np.zeros((2, 5), np.float32), np.zeros((2, 5), np.float32)])  # the speaker has 3
    assert "(2, 3), (2, 5)" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(ValueError, match="reset needs 2 seeds"):
        game.reset(seeds=[1])


# ----- choosing a backend; bad names --------------------------------------------------------------
@pytest.mark.parametrize("mode", ACTION_MODES)
def test_simple_adversary_backends_agree_to_the_bit(mode):
    numpy_game = make_vec_game("simple_adversary_v3", 3, seed=11, action_mode=mode, backend="numpy")
    mpe2_game = make_vec_game("simple_adversary_v3", 3, seed=11, action_mode=mode, backend="mpe2",
                              adversary_reward="distance")
    assert isinstance(numpy_game, VecSimpleAdversary) and isinstance(mpe2_game, Mpe2VecGame)
    assert numpy_game.agents == mpe2_game.agents and tuple(numpy_game.obs_dims) == mpe2_game.obs_dims
    rng = np.random.default_rng(5)
    for episode in range(3):  # constructor seeds, reseeded, continued
        seeds = [4, 5, 6] if episode == 1 else None
        a, b = numpy_game.reset(seeds=seeds), mpe2_game.reset(seeds=seeds)
        assert all(np.array_equal(a[n], b[n]) for n in mpe2_game.agents)
        for _ in range(mpe2_game.max_cycles):
            actions = random_actions(rng, mpe2_game, mode)
            a = numpy_game.step(actions if mode == "one-hot" else np.stack(actions, axis=1))
            b = mpe2_game.step(actions)
            assert all(np.array_equal(a[0][n], b[0][n]) for n in mpe2_game.agents)
            assert np.array_equal(a[1], b[1]) and np.array_equal(a[3], b[3]) and np.array_equal(a[2], b[2])
            expected = {**numpy_game.deception_flags(), **numpy_game.hedging_distances()}
            got = mpe2_game.metrics()
            assert got.keys() == expected.keys()
            assert all(np.array_equal(got[key], expected[key]) for key in expected)


@pytest.mark.skipif(not hasattr(VecSimpleAdversary, "metrics"),
                    reason="integration pending: env.py's VecSimpleAdversary gains scenario, action_dims, metrics()")
def test_numpy_backend_is_a_vec_game():
    game = make_vec_game("simple_adversary_v3", 2, seed=0)
    assert isinstance(game, VecGame) and game.scenario == "simple_adversary_v3" and game.action_dims == (5, 5, 5)
    adapter = Mpe2VecGame("simple_adversary_v3", 2, seed=0)
    game.reset(), adapter.reset()
    expected = adapter.metrics()
    assert game.metrics().keys() == expected.keys()
    assert all(np.array_equal(game.metrics()[key], expected[key]) for key in expected)


def test_make_vec_game_picks_the_backend():
    assert isinstance(make_vec_game("simple_adversary_v3", 2, adversary_reward="squared"), VecSimpleAdversary)
    assert isinstance(make_vec_game("simple_adversary_v3", 2, N=2, dynamic_rescaling=False), VecSimpleAdversary)
    three = make_vec_game("simple_adversary_v3", 2, backend="mpe2", N=3)
    assert isinstance(three, Mpe2VecGame) and len(three.agents) == 4
    three.reset()
    assert three.metrics() == {}  # the deception measures are for two landmarks
    spread = make_vec_game("simple_spread_v3", 2, N=4, local_ratio=0.0)
    assert isinstance(spread, Mpe2VecGame) and len(spread.agents) == 4


@pytest.mark.parametrize("call, names", [
    (lambda: Mpe2VecGame("simple_foo_v3", 2), ["'simple_foo_v3'", "simple_spread_v3"]),
    (lambda: make_vec_game("simple_foo_v3", 2), ["'simple_foo_v3'", "simple_tag_v3"]),
    (lambda: Mpe2VecGame("simple_spread_v3", 2, colour="red"), ["simple_spread_v3", "'colour'", "local_ratio"]),
    (lambda: make_vec_game("simple_tag_v3", 2, N=3), ["simple_tag_v3", "'N'", "num_good"]),
    (lambda: Mpe2VecGame("simple_spread_v3", 2, continuous_actions=True), ["continuous_actions", "action_mode"]),
    (lambda: Mpe2VecGame("simple_spread_v3", 2, local_ratio=1.5), ["simple_spread_v3", "local_ratio"]),
    (lambda: make_vec_game("simple_adversary_v3", 2, N=3), ["N=3", "backend='mpe2'"]),
    (lambda: make_vec_game("simple_adversary_v3", 2, backend="mpe2", adversary_reward="squared"),
     ["'squared'", "numpy"]),
    (lambda: make_vec_game("simple_spread_v3", 2, backend="numpy"), ["numpy", "simple_spread_v3"]),
    (lambda: make_vec_game("simple_spread_v3", 2, backend="jax"), ["'jax'", "mpe2"]),
    (lambda: Mpe2VecGame("simple_spread_v3", 2, action_mode="hard"), ["'hard'"]),
])
def test_bad_scenario_or_keyword_raises_one_line_naming_it(call, names):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    assert "\n" not in message
    for name in names:
        assert name in message, message


def test_scenario_keywords_are_read_from_mpe2():
    assert scenario_keywords("simple_spread_v3") == dict(
        N=3, local_ratio=0.5, dynamic_rescaling=True, benchmark_data=False, curriculum=False,
        terminate_on_success=False, num_agent_neighbors=None, num_landmark_neighbors=None)
    assert {"num_good", "num_adversaries", "num_obstacles"} <= set(scenario_keywords("simple_tag_v3"))


# ----- early termination --------------------------------------------------------------------------
def test_terminate_on_success_ends_one_slot_and_freezes_it():
    game = Mpe2VecGame("simple_spread_v3", 2, seed=0, terminate_on_success=True)
    game.reset()
    world = game.worlds[0]  # slot 0: every agent on its own landmark, far apart, at rest
    for agent, landmark, xy in zip(world.agents, world.landmarks, [(-0.8, -0.8), (0.0, 0.8), (0.8, -0.8)]):
        agent.state.p_pos, landmark.state.p_pos = np.array(xy), np.array(xy)
        agent.state.p_vel = np.zeros(2)
    noop = np.zeros((2, 3), dtype=int)
    obs, rewards, terminated, truncated = game.step(noop)
    assert terminated.tolist() == [True, False] and not truncated.any()
    assert game.metrics()["landmarks_covered"][0] == 1.0
    frozen = game.step(np.full((2, 3), 2))
    assert all(np.array_equal(frozen[0][n][0], obs[n][0]) for n in game.agents)
    assert not np.array_equal(frozen[0]["agent_0"][1], obs["agent_0"][1])  # slot 1 runs on
    assert frozen[1][0].tolist() == [0.0, 0.0, 0.0] and frozen[2].tolist() == [True, False]
    for _ in range(game.max_cycles - 2):
        _, _, terminated, truncated = game.step(noop)
    assert terminated.tolist() == [True, False] and truncated.tolist() == [False, True]
    game.reset()
    assert not game.step(noop)[2].any()


# ----- metrics on hand-placed scenes --------------------------------------------------------------
def place(game, k, agents=None, landmarks=None):
    world = game.worlds[k]
    for entity, xy in zip(world.agents, agents or []):
        entity.state.p_pos = np.array(xy, dtype=float)
    for entity, xy in zip(world.landmarks, landmarks or []):
        entity.state.p_pos = np.array(xy, dtype=float)
    return world


def test_spread_metrics_by_hand_and_by_mpe2s_benchmark():
    game = Mpe2VecGame("simple_spread_v3", 2, seed=0)
    game.reset()
    landmarks = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
    # slot 0: agent_0 covers landmark 0 (0.05 < 0.1); agent_1 0.2 from landmark 1 (touching, not
    # covering); agent_2 0.2 from agent_0 (< 0.15 + 0.15: one collision)
    place(game, 0, [(0.05, 0.0), (1.0, 0.2), (0.25, 0.0)], landmarks)
    # slot 1: all three agents on one spot: three colliding pairs, no landmark covered
    place(game, 1, [(0.5, 0.5)] * 3, landmarks)
    m = game.metrics()
    assert m["collisions"].tolist() == [1, 3]
    np.testing.assert_allclose(m["landmarks_covered"], [1 / 3, 0.0], rtol=0, atol=1e-15)
    nearest_0 = [0.05, 0.2, math.hypot(0.05, 1.0)]
    nearest_1 = [math.hypot(0.5, 0.5)] * 3
    np.testing.assert_allclose(m["min_dist_sum"], [sum(nearest_0), sum(nearest_1)], rtol=0, atol=1e-12)
    for k, world in enumerate(game.worlds):  # mpe2's own benchmark_data: (rew, collisions, min_dists, occupied)
        data = [game._raw[k].scenario.benchmark_data(a, world) for a in world.agents]
        assert m["collisions"][k] == sum(d[1] for d in data) / 2
        assert m["min_dist_sum"][k] == pytest.approx(data[0][2], abs=1e-12)
        assert m["min_dist_sum"][k] == pytest.approx(-game._raw[k].scenario.global_reward(world), abs=1e-12)
        assert m["landmarks_covered"][k] * 3 == data[0][3]


def test_tag_catches_by_hand():
    game = Mpe2VecGame("simple_tag_v3", 2, seed=0)
    game.reset()
    # slot 0: the good agent at (0, 0); adversary_0 0.1 away and adversary_1 0.12 away (both < 0.075
    # + 0.05 = 0.125), adversary_2 0.13 away (not)
    world = place(game, 0, [(0.1, 0.0), (0.0, 0.12), (-0.13, 0.0), (0.0, 0.0)])
    place(game, 1, [(1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (0.0, 0.0)])
    m = game.metrics()
    assert m["catches"].tolist() == [2, 0]
    scenario = game._raw[0].scenario
    assert m["catches"][0] == sum(scenario.benchmark_data(a, world) for a in world.agents if a.adversary)


def test_adversary_metrics_through_the_adapter_by_hand():
    game = Mpe2VecGame("simple_adversary_v3", 1, seed=0)
    game.reset()
    world = place(game, 0, [(0.9, 0.0), (0.1, 0.0), (1.0, 0.1)], [(0.0, 0.0), (1.0, 0.0)])
    for agent in world.agents:
        agent.goal_a = world.landmarks[0]  # target at the origin, decoy at (1, 0)
    m = {key: value[0] for key, value in game.metrics().items()}
    assert m["good_on_target"] and m["all_landmarks_covered"] and m["good_success"]
    assert not (m["adversary_on_target"] or m["adversary_closer_to_target"] or m["adversary_success"])
    assert m["adversary_to_target"] == pytest.approx(0.9) and m["adversary_to_decoy"] == pytest.approx(0.1)
    assert m["adversary_to_midpoint"] == pytest.approx(0.4)


def test_other_paper_games_metrics_by_hand():
    listener = Mpe2VecGame("simple_speaker_listener_v4", 1, seed=0)
    listener.reset()
    world = place(listener, 0, [(5.0, 5.0), (0.3, 0.4)])
    world.agents[0].goal_b.state.p_pos = np.zeros(2)
    assert listener.metrics()["listener_to_goal"][0] == pytest.approx(0.5)

    push = Mpe2VecGame("simple_push_v3", 1, seed=0)
    push.reset()
    world = place(push, 0, [(0.0, 1.0), (0.3, 0.4)])
    world.agents[0].goal_a.state.p_pos = np.zeros(2)
    m = push.metrics()
    assert m["agent_to_goal"][0] == pytest.approx(0.5) and m["adversary_to_goal"][0] == pytest.approx(1.0)

    reference = Mpe2VecGame("simple_reference_v3", 1, seed=0)
    reference.reset()
    world = place(reference, 0, [(0.0, 0.0), (1.0, 1.0)], [(0.3, 0.4), (9.0, 9.0), (0.0, 1.0)])
    world.agents[0].goal_b, world.agents[1].goal_b = world.landmarks[0], world.landmarks[2]
    m = reference.metrics()  # agent_0 wants agent_1 on landmark 0, agent_1 wants agent_0 on landmark 2
    assert m["agent_1_to_goal"][0] == pytest.approx(math.hypot(0.7, 0.6)) and m["agent_0_to_goal"][0] == 1.0

    crypto = Mpe2VecGame("simple_crypto_v3", 2, seed=0)
    crypto.reset()
    for k, (eve_says, bob_says) in enumerate([(0, 1), (1, None)]):
        world = crypto.worlds[k]
        for agent in world.agents:
            agent.goal_a = world.landmarks[1]
        world.agents[0].state.c = np.eye(4)[eve_says]
        world.agents[1].state.c = np.zeros(4) if bob_says is None else np.eye(4)[bob_says]
    m = crypto.metrics()
    assert m["bob_correct"].tolist() == [True, False] and m["eve_correct"].tolist() == [False, True]


# ----- speed --------------------------------------------------------------------------------------
def test_adapter_speed_reports_both_rates():
    result = adapter_speed("simple_spread_v3", num_envs=2, steps=3, repeats=1)
    assert result["adapter_steps_per_s"] > 0 and result["mpe2_steps_per_s"] > 0
    assert result["ratio"] == result["adapter_steps_per_s"] / result["mpe2_steps_per_s"]
