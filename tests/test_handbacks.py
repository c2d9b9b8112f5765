"""A checker credits only the student's own work: a function that hands back the implementation the
checker compares with (the package's, torch's built-in, mpe2's own observation or reward, the
checker's reference helpers; ``checks.ANSWERS``) fails with one line naming what it called, however
it reached it. Each hand-back below is named; those marked ``works`` really compute the answer (with
the guard lifted they pass), so the guard, not a wrong value, is what fails them."""

import importlib
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import maddpg_lite
from maddpg_lite import checks
from maddpg_lite.checks import ANSWERS


# ----- hand-backs, one function each -------------------------------------------------------------
def gumbel_direct(logits, tau=1.0, hard=True):
    return maddpg_lite.functional.gumbel_softmax(logits, tau, hard)


def gumbel_top_level(logits, tau=1.0, hard=True):
    return maddpg_lite.gumbel_softmax(logits, tau, hard)


def gumbel_aliased(logits, tau=1.0, hard=True):
    from maddpg_lite.functional import gumbel_softmax as my_gumbel

    return my_gumbel(logits, tau, hard)


def gumbel_importlib(logits, tau=1.0, hard=True):
    return importlib.import_module("maddpg_lite.functional").gumbel_softmax(logits, tau, hard)


def gumbel_torch(logits, tau=1.0, hard=True):
    if tau <= 0:
        raise ValueError(f"tau must be > 0, got {tau}")
    return F.gumbel_softmax(logits, tau=tau, hard=hard)


def gumbel_swallowed(logits, tau=1.0, hard=True):
    try:  # the guard raises nothing: there is nothing to catch
        return maddpg_lite.functional.gumbel_softmax(logits, tau, hard)
    except BaseException:
        return torch.zeros_like(logits)


def _adversary_world(agent_pos, landmark_pos, target):
    """mpe2's own simple_adversary world, with these positions and this target."""
    from mpe2 import simple_adversary_v3

    env = simple_adversary_v3.raw_env(N=len(landmark_pos))
    env.reset(seed=0)
    world = env.unwrapped.world
    for entity, p in zip(world.agents + world.landmarks, list(agent_pos) + list(landmark_pos), strict=True):
        entity.state.p_pos = np.array(p, dtype=np.float64)
    for agent in world.agents:
        agent.goal_a = world.landmarks[target]
    return world, env.unwrapped.scenario


def observation_by_mpe2(agent_pos, landmark_pos, target, i):
    world, scenario = _adversary_world(agent_pos, landmark_pos, target)
    return scenario.observation(world.agents[i], world)


def observation_sizes_by_mpe2(n_good):
    from mpe2 import simple_adversary_v3

    env = simple_adversary_v3.parallel_env(N=n_good)
    return [env.observation_space(name).shape[0] for name in env.possible_agents]


def rewards_by_mpe2(agent_pos, landmark_pos, target):
    world, scenario = _adversary_world(agent_pos, landmark_pos, target)
    return np.array([scenario.reward(agent, world) for agent in world.agents])


def physics_by_the_package(pos, vel, actions):
    env = maddpg_lite.VecSimpleAdversary(1, seed=0)
    env.reset()
    env.agent_pos[0], env.agent_vel[0] = pos, vel
    env.step(np.asarray(actions)[None])
    return env.agent_pos[0].copy(), env.agent_vel[0].copy()


def critic_input_sizes_by_the_package(obs_dims, n_actions, centralized=True):
    m = maddpg_lite.MADDPG(obs_dims, n_actions, centralized=centralized)
    return [m.critic_input_dim(i) for i in range(len(obs_dims))]


def update_rounds_by_the_checker(episodes, num_envs, update_interval, minimal_size, episode_length=25):
    return sum(checks._update_schedule(episodes, num_envs, update_interval, minimal_size, episode_length))


def evaluation_by_the_package(policy, episodes, seed):
    result = maddpg_lite.evaluate(policy, episodes, seed)
    return np.tile(list(result["returns"].values()), (episodes, 1))


def paired_ci_by_the_package(a, b, level=0.95):
    from maddpg_lite.study import mean_ci

    ci = mean_ci(np.asarray(a) - np.asarray(b), level)
    if ci["n"] < 2:
        raise ValueError("need two pairs")
    return ci["mean"], ci["low"], ci["high"]


def success_by_the_package(agent_pos, landmark_pos, target):
    flags = checks._flags(agent_pos, landmark_pos, target)
    return flags["good_success"], flags["adversary_success"]


def split_by_the_package(agent_pos, landmark_pos):
    env = maddpg_lite.VecSimpleAdversary(len(agent_pos))
    env.agent_pos, env.landmark_pos, env.target = agent_pos, landmark_pos, np.zeros(len(agent_pos), dtype=int)
    return env.deception_flags()["all_landmarks_covered"]


def tag_observation_by_mpe2(world, i):
    from mpe2.simple_tag.simple_tag import Scenario

    return Scenario().observation(world.agents[i], world)


def _world_of(agent_pos, landmark_pos=(), size=0.15):
    entity = lambda p: SimpleNamespace(state=SimpleNamespace(p_pos=np.asarray(p)), size=size, collide=True)  # noqa: E731
    return SimpleNamespace(agents=[entity(p) for p in agent_pos], landmarks=[entity(p) for p in landmark_pos])


def min_dist_sum_by_mpe2(agent_pos, landmark_pos):
    from mpe2.simple_spread.simple_spread import Scenario

    return np.array([-Scenario().global_reward(_world_of(a, m)) for a, m in zip(agent_pos, landmark_pos)])


def collisions_by_the_package(agent_pos, radius_sum):
    from maddpg_lite.games import spread_metrics

    total = np.zeros(agent_pos.shape[1], dtype=int)
    for frame in agent_pos:  # (K, n, 2)
        game = SimpleNamespace(positions=lambda frame=frame: (frame, frame[:, :1]),
                               worlds=[_world_of(frame[0], size=radius_sum / 2)])
        total += spread_metrics(game)["collisions"]
    return total


def training_loop_by_the_package(maddpg, buffer, env, config, rng):
    return maddpg_lite.train(config, progress=False).summary["update_rounds"]


F_ = maddpg_lite.functional
HAND_BACKS = [  # (exercise, checker, name, hand-back, works: it computes the answer)
    ("gumbel_softmax", "check_gumbel_softmax", "direct call", gumbel_direct, True),
    ("gumbel_softmax", "check_gumbel_softmax", "top-level maddpg_lite.gumbel_softmax", gumbel_top_level, True),
    ("gumbel_softmax", "check_gumbel_softmax", "from ... import ... as", gumbel_aliased, True),
    ("gumbel_softmax", "check_gumbel_softmax", "the function object itself", F_.gumbel_softmax, True),
    ("gumbel_softmax", "check_gumbel_softmax", "importlib", gumbel_importlib, True),
    ("gumbel_softmax", "check_gumbel_softmax", "torch's gumbel_softmax behind a tau guard", gumbel_torch, True),
    ("gumbel_softmax", "check_gumbel_softmax", "a call whose result is thrown away", gumbel_swallowed, False),
    ("onehot_from_logits", "check_onehot_from_logits", "the function object itself", F_.onehot_from_logits, True),
    ("onehot_from_logits", "check_onehot_from_logits", "top-level, wrapped",
     lambda logits, eps=0.0: maddpg_lite.onehot_from_logits(logits, eps), True),
    ("critic_target", "check_critic_target", "the function object itself", F_.critic_target, True),
    ("critic_target", "check_critic_target", "importlib, wrapped", lambda r, q, d, g: importlib.import_module(
        "maddpg_lite.functional").critic_target(r, q, d, g), True),
    ("soft_update", "check_soft_update", "the function object itself", F_.soft_update, True),
    ("soft_update", "check_soft_update", "top-level, wrapped",
     lambda target, source, tau: maddpg_lite.soft_update(target, source, tau), True),
    ("critic_loss", "check_critic_loss", "the method", lambda m, i, b: m.critic_loss(i, b), True),
    ("critic_loss", "check_critic_loss", "the method through the class",
     lambda m, i, b: maddpg_lite.MADDPG.critic_loss(m, i, b), True),
    ("fixed_critic_loss", "check_fixed_critic_loss", "the method", lambda m, i, b: m.critic_loss(i, b), True),
    ("actor_loss", "check_actor_loss", "the method", lambda m, i, b: m.actor_loss(i, b), True),
    ("observation", "check_observation", "mpe2's Scenario.observation", observation_by_mpe2, True),
    ("observation_sizes", "check_observation_sizes", "mpe2's observation spaces", observation_sizes_by_mpe2, True),
    ("critic_input_sizes", "check_critic_input_sizes", "MADDPG.critic_input_dim", critic_input_sizes_by_the_package,
     True),
    ("rewards", "check_rewards", "mpe2's Scenario.reward", rewards_by_mpe2, True),
    ("physics_step", "check_physics_step", "the package's game", physics_by_the_package, True),
    ("update_rounds", "check_update_rounds", "the checker's own schedule", update_rounds_by_the_checker, True),
    ("evaluation_returns", "check_evaluation_returns", "maddpg_lite.evaluate", evaluation_by_the_package, False),
    ("paired_ci", "check_paired_ci", "study.mean_ci of the differences", paired_ci_by_the_package, True),
    ("episodes_to_threshold", "check_episodes_to_threshold", "the function object itself",
     importlib.import_module("maddpg_lite.study").episodes_to_threshold, True),
    ("success_rates", "check_success_rates", "the checker's own flags", success_by_the_package, True),
    ("split", "check_split", "VecSimpleAdversary.deception_flags", split_by_the_package, True),
    ("tag_observation", "check_tag_observation", "mpe2's simple_tag Scenario.observation", tag_observation_by_mpe2,
     True),
    ("spread_min_dist_sum", "check_spread_min_dist_sum", "mpe2's simple_spread global_reward", min_dist_sum_by_mpe2,
     True),
    ("episode_collisions", "check_episode_collisions", "games.spread_metrics", collisions_by_the_package, True),
    ("training_loop", "check_training_loop", "maddpg_lite.train", training_loop_by_the_package, False),
]


@pytest.mark.parametrize("exercise, checker, name, hand_back, works", HAND_BACKS,
                         ids=[f"{e}: {n}" for e, _, n, _, _ in HAND_BACKS])
def test_a_hand_back_fails_with_one_line_naming_what_it_called(exercise, checker, name, hand_back, works, capsys):
    result = getattr(checks, checker)(hand_back)
    assert result.status == "failed"
    assert len(result.message.splitlines()) == 1
    assert f"asks you to write {result.exercise} yourself; your function called " in result.message
    called = result.message.rsplit("called ", 1)[1].rstrip(".")
    assert called in ANSWERS[exercise]


WORKING = [h for h in HAND_BACKS if h[4]]


@pytest.mark.parametrize("exercise, checker, name, hand_back, works", WORKING,
                         ids=[f"{e}: {n}" for e, _, n, _, _ in WORKING])
def test_without_the_guard_the_hand_back_would_pass(exercise, checker, name, hand_back, works, monkeypatch, capsys):
    """So what fails it above is the guard, not a wrong value."""
    monkeypatch.setitem(ANSWERS, exercise, ())
    assert getattr(checks, checker)(hand_back).status == "passed"


def test_every_checker_has_a_row_in_the_table_and_every_row_resolves():
    exercises = {name.removeprefix("check_") for name in dir(checks) if name.startswith("check_")}
    assert exercises == set(ANSWERS), exercises ^ set(ANSWERS)
    assert {e for e, *_ in HAND_BACKS} == {e for e, answers in ANSWERS.items() if answers}  # each one tried
    for exercise in ANSWERS:
        codes = checks.answer_codes(exercise)
        assert len(codes) == len(ANSWERS[exercise])
    assert ANSWERS["mean_ci"] == ANSWERS["discounted_return"] == ANSWERS["expected_penalty"] == ()


def test_allowed_helpers_stay_allowed(capsys):
    """actor_loss may sample with the package's gumbel_softmax; critic_loss may use critic_target."""
    from maddpg_lite.functional import critic_target, gumbel_softmax
    from maddpg_lite.maddpg import ACTOR_LOGIT_PENALTY, per_agent

    def actor_loss(m, i, batch):
        logits = m.actors[i](batch.obs[i])
        actions = per_agent(batch.actions)
        actions[i] = gumbel_softmax(logits, m.gumbel_tau, hard=True)
        q = m.critics[i](torch.cat(list(batch.obs) + actions, dim=1)).squeeze(-1)
        return -q.mean() + ACTOR_LOGIT_PENALTY * (logits ** 2).mean()

    def critic_loss(m, i, batch):
        with torch.no_grad():
            next_actions = [F.one_hot(mu(o).argmax(-1), mu(o).shape[-1]).float()
                            for mu, o in zip(m.target_actors, batch.next_obs)]
            target_q = m.target_critics[i](torch.cat(list(batch.next_obs) + next_actions, dim=1)).squeeze(-1)
            y = critic_target(batch.rewards[:, i], target_q, batch.dones[:, i], m.gamma)
        q = m.critics[i](torch.cat(list(batch.obs) + per_agent(batch.actions), dim=1)).squeeze(-1)
        return ((q - y) ** 2).mean()

    assert checks.check_actor_loss(actor_loss).status == "passed"
    assert checks.check_critic_loss(critic_loss).status == "passed"


def test_the_guard_is_off_outside_the_students_call(capsys):
    """The checker calls its references itself, before and after; only the student's call is watched."""
    import sys

    before = sys.getprofile()
    assert checks.check_critic_target(
        lambda r, q, d, g: r + g * (1 - d) * q if r.shape == q.shape == d.shape else (_ for _ in ()).throw(
            ValueError("shapes"))).status == "passed"
    assert sys.getprofile() is before


def test_the_instructor_guide_prints_the_table():
    with open(checks.GUIDE, encoding="utf-8") as f:
        text = f.read()
    assert checks.guide_with_answers(text) == text, "stale table: run python -m maddpg_lite.checks --answers"
    for exercise in ANSWERS:
        assert f"| `{exercise}` |" in text
