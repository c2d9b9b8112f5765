"""The vectorised simple_adversary is mpe2's game, to the bit; flags, rewards and the
evaluation are checked by hand and against mpe2 itself."""

import math

import numpy as np
import pytest
import torch

from maddpg_lite.env import (
    AGENTS,
    DECEPTION_KEYS,
    EPISODE_LENGTH,
    N_ACTIONS,
    OBS_DIMS,
    ON_LANDMARK_DISTANCE,
    VecSimpleAdversary,
    check_game_kwargs,
    make_env,
)
from maddpg_lite.evaluation import EVAL_SEED, evaluate, greedy_policy, noop_policy, random_policy
from maddpg_lite.maddpg import MADDPG

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine


# ----- VecSimpleAdversary == mpe2 ----------------------------------------------------------------
def test_make_env_is_the_mpe2_game_we_describe():
    env = make_env(seed=0)
    assert tuple(env.possible_agents) == AGENTS
    assert tuple(env.observation_space(a).shape[0] for a in AGENTS) == OBS_DIMS
    assert all(env.action_space(a).n == N_ACTIONS for a in AGENTS)
    assert math.isclose(ON_LANDMARK_DISTANCE, 0.23)


def random_actions(rng, mode: str, k: int) -> np.ndarray:
    """Discrete actions ``(k, 3)``, or continuous ones ``(k, 3, 5)`` in [0, 1]: soft samples
    (points of the simplex) mixed with arbitrary vectors, as float32, the type mpe2 receives."""
    if mode == "one-hot":
        return rng.integers(N_ACTIONS, size=(k, len(AGENTS)))
    soft = rng.dirichlet(np.full(N_ACTIONS, 0.3), size=(k, len(AGENTS)))
    box = rng.uniform(0, 1, size=(k, len(AGENTS), N_ACTIONS))
    return np.where(rng.random((k, len(AGENTS), 1)) < 0.7, soft, box).astype(np.float32)


@pytest.mark.parametrize("mode", ["one-hot", "soft"])
def test_vec_env_equals_mpe2_exactly_over_seeds_and_episodes(mode):
    seeds = [0, 1, 7, 123]
    vec = VecSimpleAdversary(len(seeds), action_mode=mode)
    envs = [make_env(continuous_actions=mode == "soft") for _ in seeds]
    rng = np.random.default_rng(0)
    for episode in range(3):  # episode 0 seeded, episodes 1 and 2 continue each random stream
        if episode == 0:
            vec_obs = vec.reset(seeds=seeds)
            env_obs = [env.reset(seed=s)[0] for env, s in zip(envs, seeds)]
        else:
            vec_obs = vec.reset()
            env_obs = [env.reset()[0] for env in envs]
        for k in range(len(seeds)):
            for name in AGENTS:
                assert vec_obs[name].dtype == np.float32 and vec_obs[name].shape == (len(seeds), env_obs[k][name].size)
                assert np.array_equal(vec_obs[name][k], env_obs[k][name]), (episode, k, name)
        for t in range(1, EPISODE_LENGTH + 1):
            actions = random_actions(rng, mode, len(seeds))
            vec_obs, rewards, terminated, truncated = vec.step(actions)
            assert rewards.shape == (len(seeds), len(AGENTS))
            for k, env in enumerate(envs):
                act = {name: (actions[k, i] if mode == "soft" else int(actions[k, i])) for i, name in enumerate(AGENTS)}
                obs, reward, term, trunc, _ = env.step(act)
                for i, name in enumerate(AGENTS):
                    assert np.array_equal(vec_obs[name][k], obs[name]), (episode, t, k, name)
                    assert rewards[k, i] == reward[name], (episode, t, k, name)
                    assert trunc[name] == truncated[k] == (t == EPISODE_LENGTH)
                    assert term[name] == terminated[k] == False  # noqa: E712 (numpy bools)
        assert all(env.agents == [] for env in envs)  # mpe2 ends the episode at the same step


def test_soft_mode_plays_integer_and_one_hot_actions_like_the_discrete_game():
    rng = np.random.default_rng(1)
    discrete, soft, soft_int = (VecSimpleAdversary(5, seed=3, action_mode=m) for m in ("one-hot", "soft", "soft"))
    for env in (discrete, soft, soft_int):
        env.reset()
    for _ in range(EPISODE_LENGTH):
        actions = rng.integers(N_ACTIONS, size=(5, 3))
        one_hot = np.eye(N_ACTIONS, dtype=np.float32)[actions]
        a, b, c = discrete.step(actions), soft.step(one_hot), soft_int.step(actions)
        assert all(np.array_equal(a[0][n], b[0][n]) and np.array_equal(a[0][n], c[0][n]) for n in AGENTS)
        assert np.array_equal(a[1], b[1]) and np.array_equal(a[1], c[1])
    with pytest.raises(ValueError, match="action_mode=one-hot"):
        discrete.step(np.zeros((5, 3, N_ACTIONS), dtype=np.float32))


def test_constructor_seed_equals_reset_seeds():
    a = VecSimpleAdversary(3, seed=5).reset()
    b = VecSimpleAdversary(3).reset(seeds=[5, 6, 7])
    c = VecSimpleAdversary(3).reset(seeds=[5, 6, 8])
    assert all(np.array_equal(a[n], b[n]) for n in AGENTS)
    assert np.array_equal(a[AGENTS[0]][:2], c[AGENTS[0]][:2])
    assert not np.array_equal(a[AGENTS[0]][2], c[AGENTS[0]][2])


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="num_envs"):
        VecSimpleAdversary(0)
    env = VecSimpleAdversary(2, seed=0)
    env.reset()
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        env.step(np.zeros((3, 3), dtype=int))
    with pytest.raises(ValueError, match="2 seeds"):
        env.reset(seeds=[1, 2, 3])


# ----- rewards and deception flags on hand-placed scenes ------------------------------------------
def place(agent_pos, landmark_pos, target) -> VecSimpleAdversary:
    env = VecSimpleAdversary(len(target))
    env.agent_pos = np.array(agent_pos, dtype=float)
    env.landmark_pos = np.array(landmark_pos, dtype=float)
    env.target = np.array(target)
    return env


def test_rewards_by_hand():
    # target at the origin; decoy far away (it must not matter)
    env = place(agent_pos=[[[3.0, 4.0], [0.6, 0.8], [0.0, -2.0]]], landmark_pos=[[[0.0, 0.0], [9.0, 9.0]]],
                target=[0])
    adversary_distance, nearest_good_distance = 5.0, 1.0
    expected = [-adversary_distance, -nearest_good_distance + adversary_distance,
                -nearest_good_distance + adversary_distance]
    np.testing.assert_allclose(env.rewards(), [expected], rtol=0, atol=1e-12)
    env.target = np.array([1])  # the same scene with the other landmark as target
    d = lambda p: math.dist(p, (9.0, 9.0))  # noqa: E731
    np.testing.assert_allclose(env.rewards()[0], [-d((3, 4)), -d((0.6, 0.8)) + d((3, 4)), -d((0.6, 0.8)) + d((3, 4))])


def test_squared_adversary_reward_by_hand():
    # target at the origin; adversary at (3, 4): -d = -5, -d^2 = -25; the good agents' reward is unchanged
    kwargs = dict(agent_pos=[[[3.0, 4.0], [0.6, 0.8], [0.0, -2.0]]], landmark_pos=[[[0.0, 0.0], [9.0, 9.0]]],
                  target=[0])
    distance = place(**kwargs)
    squared = place(**kwargs)
    squared.adversary_reward = "squared"
    assert distance.rewards()[0].tolist() == [-5.0, -1.0 + 5.0, -1.0 + 5.0]
    assert squared.rewards()[0].tolist() == [-25.0, -1.0 + 5.0, -1.0 + 5.0]
    # the original MPE's formula, -np.sum(np.square(p_adversary - p_target)), on random scenes
    rng = np.random.default_rng(0)
    env = VecSimpleAdversary(50, seed=0, adversary_reward="squared")
    env.reset()
    env.step(rng.integers(N_ACTIONS, size=(50, 3)))
    for k in range(50):
        expected = -np.sum(np.square(env.agent_pos[k, 0] - env.landmark_pos[k, env.target[k]]))
        assert env.rewards()[k, 0] == expected


def test_game_keywords_are_checked():
    with pytest.raises(ValueError, match="adversary_reward=.cubed"):
        VecSimpleAdversary(2, adversary_reward="cubed")
    with pytest.raises(ValueError, match="unknown game keyword 'N'"):
        check_game_kwargs({"N": 3})
    with pytest.raises(ValueError, match="action_mode='hard'"):
        VecSimpleAdversary(2, action_mode="hard")


def test_deception_flags_on_hand_placed_positions():
    landmarks = [[0.0, 0.0], [1.0, 0.0]]
    env = place(
        agent_pos=[
            # target 0: agent_0 0.22 from it (on), agent_1 0.24 from the decoy (off); adversary nearer the target
            [[0.4, 0.0], [0.22, 0.0], [1.0, 0.24]],
            # target 1: agent_0 0.22 from the decoy, agent_1 0.22 from the target: both covered;
            # adversary 0.24 from the decoy (off, and nearer the decoy)
            [[0.0, 0.24], [0.0, 0.22], [1.0, -0.22]],
            # target 1: good agents 0.24 from each landmark (off); adversary 0.22 from the target (on)
            [[1.22, 0.0], [0.0, -0.24], [1.24, 0.0]],
        ],
        landmark_pos=[landmarks] * 3, target=[0, 1, 1])
    flags = env.deception_flags()
    assert set(flags) == set(DECEPTION_KEYS)
    assert flags["good_on_target"].tolist() == [True, True, False]
    assert flags["all_landmarks_covered"].tolist() == [False, True, False]
    assert flags["adversary_on_target"].tolist() == [False, False, True]
    assert flags["adversary_closer_to_target"].tolist() == [True, False, True]
    # the paper's 0.4: nearest good agent 0.22 / 0.22 / 0.24 from the target; adversary 0.4 (not
    # strictly within), 1.03, 0.22
    assert flags["good_success"].tolist() == [True, True, True]
    assert flags["adversary_success"].tolist() == [False, False, True]
    np.testing.assert_allclose(env.distances()[0, 1], [0.22, 0.78])


def test_one_agent_touching_two_close_landmarks_is_not_a_split():
    # landmarks 0.4 apart: agent_0 sits between them, 0.2 from each (on both); agent_1 is far away
    landmarks = [[0.0, 0.0], [0.4, 0.0]]
    env = place(agent_pos=[[[0.0, 1.0], [0.2, 0.0], [2.0, 2.0]],
                           [[0.0, 1.0], [0.2, 0.0], [0.4, 0.1]]],  # now agent_1 is on landmark 1 too
                landmark_pos=[landmarks] * 2, target=[0, 0])
    on = env.distances() <= ON_LANDMARK_DISTANCE
    assert on[0, 1].all()  # one good agent touches both landmarks
    flags = env.deception_flags()
    assert flags["all_landmarks_covered"].tolist() == [False, True]
    assert flags["good_on_target"].tolist() == [True, True]


def test_success_distance_is_strict_and_hedging_distances_follow_the_geometry():
    landmarks = [[-1.0, 0.0], [1.0, 0.0]]
    # adversary exactly 0.4 from the target (not a success), then 0.39 from it; then at the midpoint
    env = place(agent_pos=[[[-0.6, 0.0], [5.0, 5.0], [-1.0, 0.3999]],
                           [[-0.61, 0.0], [-1.0, 0.4], [5.0, 5.0]],
                           [[0.0, 0.0], [5.0, 5.0], [5.0, 5.0]]],
                landmark_pos=[landmarks] * 3, target=[0, 0, 1])
    flags = env.deception_flags()
    assert flags["adversary_success"].tolist() == [False, True, False]
    assert flags["good_success"].tolist() == [True, False, False]
    h = env.hedging_distances()
    np.testing.assert_allclose(h["adversary_to_target"], [0.4, 0.39, 1.0])
    np.testing.assert_allclose(h["adversary_to_decoy"], [1.6, 1.61, 1.0])
    np.testing.assert_allclose(h["adversary_to_midpoint"], [0.6, 0.61, 0.0], atol=1e-12)


# ----- evaluation -----------------------------------------------------------------------------------
def test_random_policy_baseline_agrees_with_the_source_reference():
    episodes = 2000
    result = evaluate(random_policy(0), episodes)
    assert result["episodes"] == episodes
    # source/README.md: adversary -28.95 +- 13.13 sd, good agents +8.07 +- 15.95 sd (2000 episodes)
    for name, (mean, sd) in {"adversary_0": (-28.95, 13.13), "agent_0": (8.07, 15.95),
                             "agent_1": (8.07, 15.95)}.items():
        standard_error = math.sqrt(sd ** 2 / episodes + result["returns_std"][name] ** 2 / episodes)
        assert abs(result["returns"][name] - mean) < 4 * standard_error, (name, result["returns"][name])
        assert abs(result["returns_std"][name] - sd) < 0.1 * sd
    assert all(0.0 <= v <= 1.0 for v in result["deception"].values())


def test_evaluation_is_deterministic_and_uses_its_seed():
    policy = noop_policy()
    a, b = evaluate(policy, 30), evaluate(policy, 30)
    c = evaluate(policy, 30, seed=EVAL_SEED + 30)
    assert a == b
    assert a["returns"] != c["returns"]


def mpe2_evaluate(policy, episodes: int, seed: int = EVAL_SEED):
    """The slow reference: one mpe2 environment, one episode at a time, reset(seed=seed + j)."""
    env = make_env()
    returns = np.zeros((episodes, len(AGENTS)))
    flags = {key: [] for key in DECEPTION_KEYS}
    for j in range(episodes):
        obs, _ = env.reset(seed=seed + j)
        while env.agents:
            actions = policy({name: obs[name][None] for name in AGENTS})[0]
            obs, rewards, _, _, _ = env.step({name: int(actions[i]) for i, name in enumerate(AGENTS)})
            returns[j] += [rewards[name] for name in AGENTS]
        world = env.unwrapped.world  # the final scene, read by VecSimpleAdversary's flag code
        scene = place([[a.state.p_pos for a in world.agents]], [[lm.state.p_pos for lm in world.landmarks]],
                      [world.landmarks.index(world.agents[1].goal_a)])
        for key, value in scene.deception_flags().items():
            flags[key].append(bool(value[0]))
    return returns, {key: float(np.mean(v)) for key, v in flags.items()}


@pytest.mark.parametrize("which", ["noop", "greedy"])
def test_evaluate_equals_mpe2_episode_by_episode(which):
    torch.manual_seed(0)
    policy = noop_policy() if which == "noop" else greedy_policy(MADDPG(OBS_DIMS, N_ACTIONS))
    episodes = 20
    returns, deception = mpe2_evaluate(policy, episodes)
    result = evaluate(policy, episodes)
    for i, name in enumerate(AGENTS):
        assert result["returns"][name] == pytest.approx(returns[:, i].mean(), rel=1e-12, abs=1e-12)
        assert result["returns_std"][name] == pytest.approx(returns[:, i].std(), rel=1e-12, abs=1e-12)
    assert result["deception"] == deception
    assert returns[:, 1].std() > 0  # the episodes really differ


def test_team_policy_takes_each_column_from_its_policy():
    from maddpg_lite import MADDPG, N_ACTIONS, OBS_DIMS, team_policy
    from maddpg_lite.evaluation import greedy_policy

    obs = VecSimpleAdversary(4, seed=0).reset()
    adversary = lambda o: np.full((4, 3), 1)  # noqa: E731
    good = lambda o: np.full((4, 3), 2)  # noqa: E731
    actions = team_policy(adversary, good)(obs)
    assert actions.shape == (4, 3)
    assert (actions[:, 0] == 1).all() and (actions[:, 1:] == 2).all()
    # a MADDPG stands for its greedy policy, on either side
    torch.manual_seed(0)
    m = MADDPG(OBS_DIMS, N_ACTIONS)
    np.testing.assert_array_equal(team_policy(m, m)(obs), greedy_policy(m)(obs))
    mixed = team_policy(m, good)(obs)
    np.testing.assert_array_equal(mixed[:, 0], greedy_policy(m)(obs)[:, 0])
    assert (mixed[:, 1:] == 2).all()
