"""The exercise checkers of maddpg_lite.checks, both ways, on the functions themselves.

The exercises are read from the nbgrader sources (notebooks/exercises/source/<set>/*.ipynb): every
autograded checker cell names the function the student writes and its checker. Then:
(a) every stub of the student versions (notebooks/exercises/*.ipynb) gets a "not implemented" verdict;
(b) every solution of the solution versions (notebooks/exercises/solutions/, the very code of the
    notebook cell) passes its checker;
(c) each usual mistake is caught, with a message that names it;
(d) a function that raises another exception gets an "error" verdict naming it, and the checker
    itself never raises.
Plus the shape of the notebooks: committed without outputs; the sources carry nbgrader's markers,
hidden asserts and points (shown in each exercise's heading with its difficulty); the student versions
carry none of them. (tests/test_nbgrader.py checks that nbgrader generates the committed versions, and
tests/test_training_loop.py the capstone's loop checker.)
"""

import ast
import linecache
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from maddpg_lite import checks
from maddpg_lite import gumbel_softmax as package_gumbel_softmax
from maddpg_lite import onehot_from_logits as package_onehot_from_logits
from maddpg_lite.checks import (
    CheckResult,
    buggy_critic_loss,
    check_actor_loss,
    check_critic_input_sizes,
    check_critic_loss,
    check_critic_target,
    check_discounted_return,
    check_episode_collisions,
    check_episodes_to_threshold,
    check_evaluation_returns,
    check_expected_penalty,
    check_fixed_critic_loss,
    check_gumbel_softmax,
    check_mean_ci,
    check_observation,
    check_observation_sizes,
    check_onehot_from_logits,
    check_paired_ci,
    check_physics_step,
    check_rewards,
    check_soft_update,
    check_split,
    check_spread_min_dist_sum,
    check_success_rates,
    check_tag_observation,
    check_training_loop,
    check_update_rounds,
    exercise_setup,
)
from maddpg_lite.maddpg import ACTOR_LOGIT_PENALTY

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine

ROOT = Path(__file__).resolve().parents[1]
EXERCISE_DIR = ROOT / "notebooks" / "exercises"
SOURCES = sorted((EXERCISE_DIR / "source").glob("*/*.ipynb"))
NB03, NB04 = "03_gumbel_softmax_exercises.ipynb", "04_critic_loss_exercises.ipynb"
PENDING_SETS = set()
"""Numbered lessons whose exercise set is still to come (none today)."""
SOLUTION_ONLY = "solution-only"
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError("Student exercise: write your code here")'
"""nbgrader's ClearSolutions.code_stub in notebooks/exercises/nbgrader_config.py."""


@dataclass(frozen=True)
class Exercise:
    notebook: str
    """File name of the set, e.g. "03_gumbel_softmax_exercises.ipynb"."""
    name: str
    """The function the student writes (the solution cell's grade_id)."""
    result: str
    """The variable the checker cell stores the verdict in."""
    checker: str
    call: str
    """The checker cell's visible line, e.g. "gumbel_result = check_gumbel_softmax(gumbel_softmax)"."""
    points: int


def read(path: Path):
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def discover() -> list[Exercise]:
    """Every autograded exercise of every source notebook, in order."""
    found = []
    for path in SOURCES:
        for cell in read(path).cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type == "code" and meta.get("grade"):
                call = cell.source.split("### BEGIN HIDDEN TESTS")[0].strip()
                m = re.fullmatch(r"(\w+) = (check_\w+)\((\w+)(, [^)]*)?\)", call)
                assert m, f"{path.name}: a checker cell must start with `result = check_x(function, ...)`: {call!r}"
                found.append(Exercise(path.name, m[3], m[1], m[2], call, meta["points"]))
    return found


EXERCISES = discover()
EXERCISE_IDS = [e.name for e in EXERCISES]
CHECKERS = sorted({getattr(checks, e.checker) for e in EXERCISES}, key=lambda f: f.__name__)


def run_checker(exercise: Exercise, fn) -> CheckResult:
    """The checker cell's own line, run on ``fn``."""
    namespace = {exercise.checker: getattr(checks, exercise.checker), exercise.name: fn}
    exec(exercise.call, namespace)
    return namespace[exercise.result]


def code_cells(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def defines(source: str, name: str) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == name for node in ast.parse(source).body)


def notebook_function(path: Path, name: str):
    """The function ``name`` exactly as the notebook ships it.

    Runs the notebook's first code cell (its imports) and the one code cell that defines ``name``
    in a fresh namespace; the cell's source is registered with linecache, so that an error
    message can quote the line, as it does in Jupyter.
    """
    cells = code_cells(path)
    defining = [(k, src) for k, src in enumerate(cells) if defines(src, name)]
    assert len(defining) == 1, f"{path.name}: {len(defining)} code cells define {name}()"
    namespace = {}
    for k, src in [(0, cells[0]), defining[0]]:
        filename = f"<{path.parent.name}/{path.name}, code cell {k + 1}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(keepends=True), filename)
        exec(compile(src, filename, "exec"), namespace)
    return namespace[name]


def assert_verdict(result, status: str, *phrases: str) -> None:
    """``result`` is a CheckResult with ``status`` whose message contains every phrase."""
    assert isinstance(result, CheckResult)
    assert result.status == status, result.message
    assert result.passed is (status == "passed") and bool(result) is result.passed
    for phrase in phrases:
        assert phrase in result.message, f"{phrase!r} not in:\n{result.message}"


# ----- (a) the stubs -----------------------------------------------------------------------------
def test_every_set_has_exercises_and_every_checker_is_used():
    assert {e.notebook for e in EXERCISES} == {p.name for p in SOURCES}
    assert len(EXERCISE_IDS) == len(set(EXERCISE_IDS))
    assert {"check_training_loop", "check_update_rounds", "check_observation"} <= {e.checker for e in EXERCISES}


@pytest.mark.parametrize("exercise", EXERCISES, ids=EXERCISE_IDS)
def test_shipped_stub_gets_not_implemented(exercise, capsys):
    stub = notebook_function(EXERCISE_DIR / exercise.notebook, exercise.name)
    result = run_checker(exercise, stub)
    assert_verdict(result, "not implemented", "NOT IMPLEMENTED YET", exercise.name, "(Student exercise: ",
                   "# YOUR CODE HERE")
    assert result.exercise == exercise.name and result.checks == []
    assert capsys.readouterr().out.strip() == result.message  # printed for the student, too


@pytest.mark.parametrize("exercise", EXERCISES, ids=EXERCISE_IDS)
def test_stub_body_is_one_student_exercise_raise(exercise):
    # valid Python whose body is the docstring and `raise NotImplementedError("Student exercise: ...")`
    (src,) = [src for src in code_cells(EXERCISE_DIR / exercise.notebook) if defines(src, exercise.name)]
    (func,) = [node for node in ast.parse(src).body if isinstance(node, ast.FunctionDef) and node.name == exercise.name]
    last = func.body[-1]
    assert isinstance(last, ast.Raise) and last.exc.func.id == "NotImplementedError"
    assert ast.literal_eval(last.exc.args[0]).startswith("Student exercise: ")
    assert "# YOUR CODE HERE" in src


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda f: f.__name__)
def test_any_stub_gets_not_implemented(checker):
    def stub(*args, **kwargs):
        raise NotImplementedError("Student exercise: write me")

    assert_verdict(checker(stub), "not implemented", "Student exercise: write me")


# ----- (b) the solutions -------------------------------------------------------------------------
@pytest.mark.parametrize("exercise", EXERCISES, ids=EXERCISE_IDS)
def test_shipped_solution_passes(exercise):
    solution = notebook_function(EXERCISE_DIR / "solutions" / exercise.notebook, exercise.name)
    assert solution.__code__.co_filename.startswith("<solutions/")  # the notebook's code, not an import
    result = run_checker(exercise, solution)
    assert_verdict(result, "passed", f"PASSED  {exercise.name}: all {len(result.checks)} checks hold.")
    assert len(result.checks) >= 1
    if exercise.name == "train_k_games":  # the capstone's loop learns: 1000 episodes in 50 games beat a random one
        assert result.checks[-1].startswith("it learns: after 1000 episodes in 50 games (241 update rounds)")


def test_verdicts_are_repeatable_and_leave_the_callers_random_stream_alone():
    solution = notebook_function(EXERCISE_DIR / "solutions" / NB03, "gumbel_softmax")
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first, second = check_gumbel_softmax(solution), check_gumbel_softmax(solution)
    assert torch.equal(torch.rand(3), expected_next)
    assert first.message == second.message


# ----- (c) the usual mistakes ----------------------------------------------------------------------
def _gumbel_noise(logits):
    u = torch.rand_like(logits)
    return -torch.log(-torch.log(u + 1e-20) + 1e-20)


def _straight_through(y):
    y_hard = F.one_hot(y.argmax(dim=-1), y.shape[-1]).to(y.dtype)
    return (y_hard - y).detach() + y


def gumbel_multiplies_by_tau(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax((logits + _gumbel_noise(logits)) * tau, dim=-1)
    return _straight_through(y) if hard else y


def gumbel_ignores_tau(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax(logits + _gumbel_noise(logits), dim=-1)
    return _straight_through(y) if hard else y


def gumbel_divides_only_the_logits(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax(logits / tau + _gumbel_noise(logits), dim=-1)
    return _straight_through(y) if hard else y


def gumbel_hard_without_straight_through(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax((logits + _gumbel_noise(logits)) / tau, dim=-1)
    return F.one_hot(y.argmax(dim=-1), y.shape[-1]).to(y.dtype) if hard else y  # no gradient


def gumbel_one_hot_by_comparison(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax((logits + _gumbel_noise(logits)) / tau, dim=-1)
    if not hard:
        return y
    y_hard = (y == y.max(dim=-1, keepdim=True).values).to(y.dtype)  # two 1s on a tie
    return (y_hard - y).detach() + y


def gumbel_accepts_tau_zero(logits, tau=1.0, hard=True):
    y = torch.softmax((logits + _gumbel_noise(logits)) / tau, dim=-1)
    return _straight_through(y) if hard else y


def _greedy(logits):
    return F.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)


def _uniform(logits):
    B, K = logits.shape
    return F.one_hot(torch.randint(K, (B,)), K).to(logits.dtype)


def onehot_one_coin_for_the_batch(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    return _uniform(logits) if torch.rand(()) < eps else _greedy(logits)


def onehot_eps_is_the_greedy_probability(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    explore = torch.rand(len(logits)) < 1 - eps
    return torch.where(explore[:, None], _uniform(logits), _greedy(logits))


def onehot_random_never_greedy(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    B, K = logits.shape
    greedy = logits.argmax(dim=-1)
    other = (greedy + torch.randint(1, K, (B,))) % K  # a random action other than the greedy one
    return F.one_hot(torch.where(torch.rand(B) < eps, other, greedy), K).to(logits.dtype)


def onehot_by_comparison(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    return (logits == logits.max(dim=-1, keepdim=True).values).to(logits.dtype)


def _same_shapes(*tensors):
    if len({t.shape for t in tensors}) != 1:
        raise ValueError("shapes differ")


def target_without_done_mask(reward, target_q, done, gamma):
    _same_shapes(reward, target_q, done)
    return reward + gamma * target_q


def target_with_inverted_done_mask(reward, target_q, done, gamma):
    _same_shapes(reward, target_q, done)
    return reward + gamma * done * target_q


def target_in_place(reward, target_q, done, gamma):
    _same_shapes(reward, target_q, done)
    return reward.add_(gamma * (1.0 - done) * target_q)


def target_without_shape_guard(reward, target_q, done, gamma):
    return reward + gamma * (1.0 - done) * target_q


def _critic_loss(maddpg, i, batch, target_critic=True, target_actors=True, done_mask=True, squeeze=True):
    with torch.no_grad():
        actors = maddpg.target_actors if target_actors else maddpg.actors
        next_actions = [package_onehot_from_logits(mu(o)) for mu, o in zip(actors, batch.next_obs)]
        critic = maddpg.target_critics[i] if target_critic else maddpg.critics[i]
        target_q = critic(torch.cat(list(batch.next_obs) + next_actions, dim=1))
        target_q = target_q.squeeze(-1) if squeeze else target_q
        done = batch.dones[:, i] if done_mask else 0.0
        y = batch.rewards[:, i] + maddpg.gamma * (1.0 - done) * target_q
    q = maddpg.critics[i](torch.cat(list(batch.obs) + list(batch.actions.unbind(dim=1)), dim=1))
    q = q.squeeze(-1) if squeeze else q
    return ((q - y) ** 2).mean()


def critic_loss_online_critic_in_target(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, target_critic=False)


def critic_loss_online_actors_in_target(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, target_actors=False)


def critic_loss_without_done_mask(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, done_mask=False)


def critic_loss_with_b1_broadcast(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, squeeze=False)


def _actor_loss(maddpg, i, batch, all_current=False, penalty=True, sample="straight-through", critic=None):
    logits = [mu(o) for mu, o in zip(maddpg.actors, batch.obs)]
    actions = list(batch.actions.unbind(dim=1))
    for j in range(maddpg.n_agents) if all_current else [i]:
        if sample == "straight-through":
            actions[j] = package_gumbel_softmax(logits[j], maddpg.gumbel_tau, hard=True)
        elif sample == "soft":
            actions[j] = package_gumbel_softmax(logits[j], maddpg.gumbel_tau, hard=False)
        else:
            actions[j] = package_onehot_from_logits(logits[j])
    critic = critic or maddpg.critics[i]
    q = critic(torch.cat(list(batch.obs) + actions, dim=1)).squeeze(-1)
    return -q.mean() + (ACTOR_LOGIT_PENALTY * (logits[i] ** 2).mean() if penalty else 0.0)


def actor_loss_all_agents_from_current_actors(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, all_current=True)


def actor_loss_without_regulariser(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, penalty=False)


def actor_loss_greedy_action(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, sample="greedy")


def actor_loss_soft_sample(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, sample="soft")


def actor_loss_target_critic(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, critic=maddpg.target_critics[i])


def actor_loss_writes_into_the_batch(maddpg, i, batch):
    logits = maddpg.actors[i](batch.obs[i])
    batch.actions[:, i] = package_gumbel_softmax(logits, maddpg.gumbel_tau, hard=True)
    q = maddpg.critics[i](torch.cat(list(batch.obs) + list(batch.actions.unbind(dim=1)), dim=1)).squeeze(-1)
    return -q.mean() + ACTOR_LOGIT_PENALTY * (logits ** 2).mean()


@torch.no_grad()
def soft_update_tau_swapped(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p_target.copy_((1 - tau) * p + tau * p_target)


@torch.no_grad()
def soft_update_moves_the_source(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p.copy_(tau * p_target + (1 - tau) * p)


def soft_update_replaces_parameters(target, source, tau):
    for m_target, m in zip(target.modules(), source.modules()):
        if isinstance(m_target, nn.Linear):
            for name in ("weight", "bias"):
                old, new = getattr(m_target, name), getattr(m, name)
                setattr(m_target, name, nn.Parameter(tau * new.detach() + (1 - tau) * old.detach(),
                                                     requires_grad=old.requires_grad))


def soft_update_rebinds_the_loop_variable(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p_target = tau * p + (1 - tau) * p_target  # noqa: F841 (the mistake: the module never sees it)


def soft_update_hard_copy(target, source, tau):
    target.load_state_dict(source.state_dict())


def _observation(agent_pos, landmark_pos, target, i, sign=1.0, target_slot=None, relative=True):
    me = agent_pos[i] if relative else np.zeros(2)
    with_target = i > 0 if target_slot is None else target_slot
    slots = [landmark_pos[target]] if with_target else []
    slots += list(landmark_pos) + [agent_pos[j] for j in range(len(agent_pos)) if j != i]
    return np.concatenate([sign * (p - me) for p in slots])


def observation_self_minus_other(agent_pos, landmark_pos, target, i):
    return _observation(agent_pos, landmark_pos, target, i, sign=-1.0)


def observation_target_slot_for_everyone(agent_pos, landmark_pos, target, i):
    return _observation(agent_pos, landmark_pos, target, i, target_slot=True)


def observation_absolute_positions(agent_pos, landmark_pos, target, i):
    return _observation(agent_pos, landmark_pos, target, i, relative=False)


def observation_sizes_without_target_slot(n_good):
    return [4 * n_good] * (n_good + 1)


def observation_sizes_with_two_landmarks(n_good):
    return [4 + 2 * n_good] + [6 + 2 * n_good] * n_good


def critic_sizes_without_actions(obs_dims, n_actions, centralized=True):
    return [sum(obs_dims)] * len(obs_dims) if centralized else list(obs_dims)


def critic_sizes_own_action_only(obs_dims, n_actions, centralized=True):
    return [sum(obs_dims) + n_actions] * len(obs_dims) if centralized else [d + n_actions for d in obs_dims]


def critic_sizes_ignoring_centralized(obs_dims, n_actions, centralized=True):
    return [sum(obs_dims) + len(obs_dims) * n_actions] * len(obs_dims)


def _distances(agent_pos, landmark_pos, target):
    return np.linalg.norm(agent_pos - landmark_pos[target], axis=1)


def rewards_squared(agent_pos, landmark_pos, target):
    d2 = _distances(agent_pos, landmark_pos, target) ** 2
    return np.array([-d2[0]] + [-d2[1:].min() + d2[0]] * (len(d2) - 1))


def rewards_own_distance(agent_pos, landmark_pos, target):
    d = _distances(agent_pos, landmark_pos, target)
    return np.array([-d[0]] + [-d[j] + d[0] for j in range(1, len(d))])


def rewards_without_adversary_term(agent_pos, landmark_pos, target):
    d = _distances(agent_pos, landmark_pos, target)
    return np.array([-d[0]] + [-d[1:].min()] * (len(d) - 1))


_DIRECTION = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]])


def physics_new_velocity_moves(pos, vel, actions):
    new_vel = vel * 0.75 + 5.0 * _DIRECTION[actions] * 0.1
    return pos + new_vel * 0.1, new_vel


def physics_damping_after_force(pos, vel, actions):
    return pos + vel * 0.1, (vel + 5.0 * _DIRECTION[actions] * 0.1) * 0.75


def physics_up_down_swapped(pos, vel, actions):
    return pos + vel * 0.1, vel * 0.75 + 5.0 * _DIRECTION[[0, 1, 2, 4, 3]][actions] * 0.1


def discounted_return_from_gamma_1(rewards, gamma):
    return ((gamma ** np.arange(1, len(rewards) + 1))[:, None] * rewards).sum(axis=0)


def discounted_return_undiscounted(rewards, gamma):
    return rewards.sum(axis=0)


def discounted_return_in_place(rewards, gamma):
    rewards *= (gamma ** np.arange(len(rewards)))[:, None]
    return rewards.sum(axis=0)


def update_rounds_ignoring_warm_up(episodes, num_envs, update_interval, minimal_size, episode_length=25):
    return episodes * episode_length // update_interval


def update_rounds_from_minimal_size(episodes, num_envs, update_interval, minimal_size, episode_length=25):
    return max(episodes * episode_length - minimal_size, 0) // update_interval


def update_rounds_per_env_step(episodes, num_envs, update_interval, minimal_size, episode_length=25):
    calls = episodes // num_envs * episode_length
    return sum(1 for j in range(1, calls + 1) if j * num_envs >= minimal_size)


def update_rounds_counting_calls(episodes, num_envs, update_interval, minimal_size, episode_length=25):
    calls = episodes // num_envs * episode_length
    return sum(j // update_interval - (j - 1) // update_interval
               for j in range(1, calls + 1) if j * num_envs >= minimal_size)


def update_rounds_exact_multiples(episodes, num_envs, update_interval, minimal_size, episode_length=25):
    calls = episodes // num_envs * episode_length
    return sum(1 for j in range(1, calls + 1) if j * num_envs >= minimal_size and j * num_envs % update_interval == 0)


def _evaluation(policy, episodes, seed, per_step=False, seeds=True):
    from maddpg_lite import VecSimpleAdversary

    env = VecSimpleAdversary(episodes)
    obs = env.reset(seeds=[seed + j for j in range(episodes)] if seeds else None)
    returns = np.zeros((episodes, 3))
    for _ in range(25):
        obs, rewards, _, _ = env.step(policy(obs))
        returns += rewards
    return returns / 25 if per_step else returns


def evaluation_mean_reward_per_step(policy, episodes, seed):
    return _evaluation(policy, episodes, seed, per_step=True)


def evaluation_without_seeds(policy, episodes, seed):
    return _evaluation(policy, episodes, seed, seeds=False)


def mean_ci_with_ddof_0(values, z=1.96):
    if len(values) < 2:
        raise ValueError(values)
    return np.mean(values), z * np.std(values) / np.sqrt(len(values))


def mean_ci_standard_deviation(values, z=1.96):
    if len(values) < 2:
        raise ValueError(values)
    return np.mean(values), z * np.std(values, ddof=1)


def mean_ci_interval_ends(values, z=1.96):
    if len(values) < 2:
        raise ValueError(values)
    half = z * np.std(values, ddof=1) / np.sqrt(len(values))
    return np.mean(values) - half, np.mean(values) + half


def mean_ci_accepts_one_value(values, z=1.96):
    return np.mean(values), z * np.std(values, ddof=1) / np.sqrt(max(len(values), 1)) if len(values) > 1 else 0.0


def paired_ci_unpaired(a, b, level=0.95):
    from maddpg_lite.study import t_quantile

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) != len(b) or len(a) < 2:
        raise ValueError("pairs")
    mean = a.mean() - b.mean()
    half = t_quantile(0.5 + level / 2, len(a) - 1) * np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return mean, mean - half, mean + half


def paired_ci_normal(a, b, level=0.95):
    d = np.asarray(a, float) - np.asarray(b, float)
    if len(a) != len(b) or len(d) < 2:
        raise ValueError("pairs")
    z = {0.95: 1.959964, 0.9: 1.644854}[level]
    half = z * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def threshold_first_crossing(episodes, returns, threshold, window):
    from maddpg_lite.plots import smooth

    s = smooth(returns, window)
    return next((int(e) for e, v in zip(episodes, s) if v > threshold), None)


def threshold_without_smoothing(episodes, returns, threshold, window):
    above = np.asarray(returns, dtype=float) > threshold  # the raw curve: the smoothing forgotten
    if len(above) == 0 or not above[-1]:
        return None
    below = np.flatnonzero(~above)
    return int(episodes[0 if len(below) == 0 else below[-1] + 1])


def _distances_to(agent_pos, landmark_pos, index):
    k = np.arange(len(index))
    return np.linalg.norm(agent_pos - landmark_pos[k, index][:, None], axis=-1)


def success_at_most(agent_pos, landmark_pos, target):
    d = _distances_to(agent_pos, landmark_pos, target)
    return d[:, 1:].min(1) <= 0.4, d[:, 0] <= 0.4


def success_of_the_decoy(agent_pos, landmark_pos, target):
    d = _distances_to(agent_pos, landmark_pos, 1 - target)
    return d[:, 1:].min(1) < 0.4, d[:, 0] < 0.4


def success_agent_0_only(agent_pos, landmark_pos, target):
    d = _distances_to(agent_pos, landmark_pos, target)
    return d[:, 1] < 0.4, d[:, 0] < 0.4


def split_one_agent_may_cover_both(agent_pos, landmark_pos):
    on = np.linalg.norm(agent_pos[:, :, None] - landmark_pos[:, None], axis=-1) <= 0.23
    return on[:, 1:, :].any(axis=1).all(axis=1)


def split_counting_the_adversary(agent_pos, landmark_pos):
    on = np.linalg.norm(agent_pos[:, :, None] - landmark_pos[:, None], axis=-1) <= 0.23
    return on.any(axis=1).all(axis=1)


def penalty_sum(points, landmarks, adversary_reward):
    d = np.linalg.norm(points[:, None] - landmarks, axis=-1)
    return d.sum(1) if adversary_reward == "distance" else (d ** 2).sum(1)


def penalty_distance_always(points, landmarks, adversary_reward):
    return np.linalg.norm(points[:, None] - landmarks, axis=-1).mean(1)


def _tag_observation(world, i, relative=True, velocities="good", own_velocity=True, order="mpe2"):
    me = world.agents[i]
    p = me.state.p_pos
    origin = p if relative else np.zeros(2)
    others = [a for a in world.agents if a is not me]
    if velocities == "good":
        seen = [o for o in others if not o.adversary]
    elif velocities == "all":
        seen = others
    else:  # "adversary observers": only the adversaries see the good agents' velocities
        seen = [o for o in others if not o.adversary] if me.adversary else []
    own = ([me.state.p_vel] if own_velocity else []) + [p]
    obstacles = [lm.state.p_pos - origin for lm in world.landmarks if not lm.boundary]
    positions = [o.state.p_pos - origin for o in others]
    if order == "position first":
        own = own[::-1]
    middle = positions + obstacles if order == "others first" else obstacles + positions
    return np.concatenate(own + middle + [o.state.p_vel for o in seen])


def tag_observation_absolute_positions(world, i):
    return _tag_observation(world, i, relative=False)


def tag_observation_every_velocity(world, i):
    return _tag_observation(world, i, velocities="all")


def tag_observation_velocities_for_adversaries_only(world, i):
    return _tag_observation(world, i, velocities="adversary observers")


def tag_observation_without_own_velocity(world, i):
    return _tag_observation(world, i, own_velocity=False)


def tag_observation_position_before_velocity(world, i):
    return _tag_observation(world, i, order="position first")


def tag_observation_others_before_obstacles(world, i):
    return _tag_observation(world, i, order="others first")


def _spread_distances(agent_pos, landmark_pos):
    return np.linalg.norm(agent_pos[:, :, None] - landmark_pos[:, None], axis=-1)  # (K, n agents, m landmarks)


def min_dist_sum_nearest_landmark_per_agent(agent_pos, landmark_pos):
    return _spread_distances(agent_pos, landmark_pos).min(axis=2).sum(axis=1)


def min_dist_sum_mean(agent_pos, landmark_pos):
    return _spread_distances(agent_pos, landmark_pos).min(axis=1).mean(axis=1)


def min_dist_sum_squared(agent_pos, landmark_pos):
    return (_spread_distances(agent_pos, landmark_pos) ** 2).min(axis=1).sum(axis=1)


def _agent_distances(agent_pos):
    return np.linalg.norm(agent_pos[:, :, :, None] - agent_pos[:, :, None], axis=-1)  # (T, K, n, n)


def collisions_ordered_pairs(agent_pos, radius_sum):
    d = _agent_distances(agent_pos)
    n = agent_pos.shape[2]
    return ((d < radius_sum) & ~np.eye(n, dtype=bool)).sum(axis=(0, 2, 3))


def collisions_with_itself(agent_pos, radius_sum):
    j, k = np.triu_indices(agent_pos.shape[2], k=0)  # k=0 keeps the diagonal
    return (_agent_distances(agent_pos)[:, :, j, k] < radius_sum).sum(axis=(0, 2))


def collisions_at_most(agent_pos, radius_sum):
    j, k = np.triu_indices(agent_pos.shape[2], k=1)
    return (_agent_distances(agent_pos)[:, :, j, k] <= radius_sum).sum(axis=(0, 2))


def collisions_squared_distance(agent_pos, radius_sum):
    j, k = np.triu_indices(agent_pos.shape[2], k=1)
    return (_agent_distances(agent_pos)[:, :, j, k] ** 2 < radius_sum).sum(axis=(0, 2))


MISTAKES = [  # (checker, wrong function, phrases its message must contain)
    (check_paired_ci, paired_ci_unpaired, ["an unpaired interval", "Pair by seed"]),
    (check_paired_ci, paired_ci_normal, ["the normal quantile instead of Student's t"]),
    (check_episodes_to_threshold, threshold_first_crossing, ["That is the first crossing"]),
    (check_episodes_to_threshold, threshold_without_smoothing, ["Smooth the curve first"]),
    (check_success_rates, success_at_most, ["<= instead of <", "strict"]),
    (check_success_rates, success_of_the_decoy, ["the decoy instead of the target"]),
    (check_success_rates, success_agent_0_only, ["agent_0 only", "EITHER good agent"]),
    (check_split, split_one_agent_may_cover_both, ["one agent may cover both", "two DIFFERENT agents"]),
    (check_split, split_counting_the_adversary, ["the adversary counted as a good agent"]),
    (check_expected_penalty, penalty_sum, ["the sum instead of the mean"]),
    (check_expected_penalty, penalty_distance_always, ["the other reward's formula"]),
    (check_tag_observation, tag_observation_absolute_positions, ["absolute positions instead of relative ones"]),
    (check_tag_observation, tag_observation_every_velocity,
     ["an array of shape (16,)", "the velocities of every other agent, adversaries included", "GOOD agents only"]),
    (check_tag_observation, tag_observation_velocities_for_adversaries_only,
     ["2 good agents", "of agent_0", "the other good agents' velocities in the adversaries' observations only"]),
    (check_tag_observation, tag_observation_without_own_velocity, ["the agent's own velocity missing"]),
    (check_tag_observation, tag_observation_position_before_velocity, ["own position before own velocity"]),
    (check_tag_observation, tag_observation_others_before_obstacles, ["the other agents before the obstacles"]),
    (check_spread_min_dist_sum, min_dist_sum_nearest_landmark_per_agent,
     ["each agent's nearest landmark instead of each landmark's nearest agent"]),
    (check_spread_min_dist_sum, min_dist_sum_mean, ["the mean over the landmarks instead of the sum"]),
    (check_spread_min_dist_sum, min_dist_sum_squared, ["squared distances"]),
    (check_episode_collisions, collisions_ordered_pairs, ["ordered pairs (each collision counted twice)"]),
    (check_episode_collisions, collisions_with_itself, ["each agent colliding with itself"]),
    (check_episode_collisions, collisions_at_most, ["<= instead of <", "strict"]),
    (check_episode_collisions, collisions_squared_distance, ["the squared distance compared with radius_sum"]),
    (check_gumbel_softmax, gumbel_multiplies_by_tau,
     ["check 6 did not hold", "mean largest entry of the soft sample at tau=0.1", "not multiply"]),
    (check_gumbel_softmax, gumbel_ignores_tau,
     ["check 6 did not hold", "mean largest entry of the soft sample at tau=0.1", "divide the noisy logits by tau"]),
    (check_gumbel_softmax, gumbel_divides_only_the_logits,
     ["check 5 did not hold", "hard-sample frequencies = softmax(logits)", "divide only the logits"]),
    (check_gumbel_softmax, gumbel_hard_without_straight_through,
     ["check 7 did not hold", "the hard sample carries a gradient", "requires_grad=False",
      "(y_hard - y).detach() + y"]),
    (check_gumbel_softmax, gumbel_one_hot_by_comparison,
     ["ties give one 1 per row", "2 entries equal to 1", "not from y == y.max()"]),
    (check_gumbel_softmax, gumbel_accepts_tau_zero,
     ["invalid input raises ValueError", "tau=0.0", "no exception"]),
    (check_onehot_from_logits, onehot_one_coin_for_the_batch,
     ["action frequencies with eps=0.3", "0.7600", "Each row, independently"]),
    (check_onehot_from_logits, onehot_eps_is_the_greedy_probability,
     ["eps=0 picks a largest logit", "argmax"]),
    (check_onehot_from_logits, onehot_random_never_greedy,
     ["action frequencies with eps=1.0", "[0.2000, 0.2000, 0.2000, 0.2000, 0.2000]", "uniformly random one-hot"]),
    (check_onehot_from_logits, onehot_by_comparison,
     ["eps=0 gives one-hot rows also when logits tie", "logits == logits.max() marks every tied entry"]),
    (check_critic_target, target_without_done_mask,
     ["y = r + gamma * (1 - done) * target_q", "done 1", "'no done mask", "Multiply the bootstrap term by (1 - done)"]),
    (check_critic_target, target_with_inverted_done_mask,
     ["'inverted done mask", "use (1 - done)"]),
    (check_critic_target, target_in_place,
     ["the inputs are left unchanged", "an input was modified in place", "add_()"]),
    (check_critic_target, target_without_shape_guard,
     ["invalid input raises ValueError", "target_q of shape (6, 1)", "broadcasts silently to a (B, B) matrix"]),
    (check_critic_loss, critic_loss_online_critic_in_target,
     ["the loss value equals MADDPG.critic_loss", "online critic Q_i instead of the target critic",
      "maddpg.target_critics[i]"]),
    (check_critic_loss, critic_loss_online_actors_in_target,
     ["next actions come from the online actors instead of the target actors"]),
    (check_critic_loss, critic_loss_without_done_mask,
     ["every third row terminal", "Your value matches the mistake: no done mask", "(1 - done)"]),
    (check_critic_loss, critic_loss_with_b1_broadcast,
     ["(B, 1) versus (B,) broadcast", "squeeze(-1)"]),
    (check_actor_loss, actor_loss_all_agents_from_current_actors,
     ["check 1 did not hold", "with a confident actor the loss equals MADDPG.actor_loss",
      "the other a_j are the batch's actions"]),
    (check_actor_loss, actor_loss_without_regulariser,
     ["the reference minus the logit penalty (0.800): add it", "ACTOR_LOGIT_PENALTY * mean(logits_i^2)"]),
    (check_actor_loss, actor_loss_greedy_action,
     ["the loss is right on average over the Gumbel noise", "not the greedy one-hot"]),
    (check_actor_loss, actor_loss_soft_sample,
     ["the loss is right on average over the Gumbel noise", "not the soft sample"]),
    (check_actor_loss, actor_loss_target_critic,
     ["with a confident actor the loss equals MADDPG.actor_loss", "not the target critic"]),
    (check_actor_loss, actor_loss_writes_into_the_batch,
     ["the loss leaves the batch unchanged", "batch.actions was modified in place",
      "actions = list(batch.actions.unbind(dim=1))"]),
    (check_soft_update, soft_update_tau_swapped,
     ["target <- tau * source + (1 - tau) * target", "You swapped the weights"]),
    (check_soft_update, soft_update_moves_the_source,
     ["source.0.weight changed", "did you swap target and source?"]),
    (check_soft_update, soft_update_replaces_parameters,
     ["new parameter objects in the target", "in place"]),
    (check_soft_update, soft_update_rebinds_the_loop_variable,
     ["The target did not move"]),
    (check_soft_update, soft_update_hard_copy,
     ["a hard update"]),
    (check_fixed_critic_loss, buggy_critic_loss,  # exercise 5: the bugged original is told apart from a fix
     ["FAILED  fixed_critic_loss", "(B, 1) versus (B,) broadcast", "squeeze(-1)"]),
    (check_critic_loss, buggy_critic_loss,
     ["(B, 1) versus (B,) broadcast"]),
    (check_observation, observation_self_minus_other, ["self - other instead of other - self"]),
    (check_observation, observation_target_slot_for_everyone, ["The adversary is not told the target"]),
    (check_observation, observation_absolute_positions, ["absolute positions instead of relative ones"]),
    (check_observation_sizes, observation_sizes_without_target_slot, ["no target slot for the good agents"]),
    (check_observation_sizes, observation_sizes_with_two_landmarks, ["N landmarks, one per good agent"]),
    (check_critic_input_sizes, critic_sizes_without_actions, ["the actions are missing"]),
    (check_critic_input_sizes, critic_sizes_own_action_only, ["only the agent's own action"]),
    (check_critic_input_sizes, critic_sizes_ignoring_centralized, ["centralized = False", "independent DDPG"]),
    (check_rewards, rewards_squared, ["squared distances", "plain distances"]),
    (check_rewards, rewards_own_distance, ["each good agent's own distance", "-min_j d(good_j, target)"]),
    (check_rewards, rewards_without_adversary_term, ["no adversary term"]),
    (check_physics_step, physics_new_velocity_moves, ["the position moved with the new velocity", "OLD velocity"]),
    (check_physics_step, physics_damping_after_force, ["the damping applied after the force"]),
    (check_physics_step, physics_up_down_swapped, ["up and down swapped"]),
    (check_discounted_return, discounted_return_from_gamma_1, ["the discount starts at gamma^1"]),
    (check_discounted_return, discounted_return_undiscounted, ["no discount"]),
    (check_discounted_return, discounted_return_in_place, ["rewards modified in place"]),
    (check_update_rounds, update_rounds_ignoring_warm_up, ["the warm-up ignored", "expected: 41"]),
    (check_update_rounds, update_rounds_from_minimal_size, ["boundaries counted from minimal_size on"]),
    (check_update_rounds, update_rounds_per_env_step, ["one round per env.step() call"]),
    (check_update_rounds, update_rounds_counting_calls, ["env.step() calls counted as environment steps"]),
    (check_update_rounds, update_rounds_exact_multiples, ["env_steps % update_interval == 0"]),
    (check_evaluation_returns, evaluation_mean_reward_per_step, ["the mean reward per step", "SUM of the 25 rewards"]),
    (check_evaluation_returns, evaluation_without_seeds, ["reset(seeds=[seed + j for j in range(episodes)])"]),
    (check_mean_ci, mean_ci_with_ddof_0, ["ddof=0", "ddof=1"]),
    (check_mean_ci, mean_ci_standard_deviation, ["the standard deviation instead of the standard error"]),
    (check_mean_ci, mean_ci_interval_ends, ["the interval's ends instead of (mean, half_width)"]),
    (check_mean_ci, mean_ci_accepts_one_value, ["invalid input raises ValueError", "fewer than 2 values"]),
]


@pytest.mark.parametrize("checker, wrong, phrases", MISTAKES,
                         ids=[f"{c.__name__}-{w.__name__}" for c, w, _ in MISTAKES])
def test_mistake_is_caught_and_named(checker, wrong, phrases):
    result = checker(wrong)
    assert_verdict(result, "failed", "FAILED  ", "expected:", "got:", "hint:", *phrases)
    # the verdict counts the checks that held before the failing one
    assert f"check {len(result.checks) + 1} did not hold ({len(result.checks)} passed before it)" in result.message


def test_inverted_done_mask_is_not_called_a_missing_mask_alone():
    # all-terminal rows cannot tell the two apart, so the hint must offer both, not only "no done mask"
    message = check_critic_target(target_with_inverted_done_mask).message
    assert "'no done mask" in message and "'inverted done mask" in message


def test_a_batch_written_in_place_does_not_corrupt_later_checks():
    # the checkers cache their MADDPG and batch: a student's in-place write must reach only a copy
    _, before = exercise_setup()
    assert not check_actor_loss(actor_loss_writes_into_the_batch).passed
    _, after = exercise_setup()
    assert torch.equal(after.actions, before.actions) and not after.actions.requires_grad
    solution = notebook_function(EXERCISE_DIR / "solutions" / NB04, "actor_loss")
    assert check_actor_loss(solution).passed


# ----- (d) errors in the student's code ------------------------------------------------------------
def gumbel_without_hard_argument(logits, tau=1.0):
    return torch.softmax(logits / tau, dim=-1)


def gumbel_adds_a_string(logits, tau=1.0, hard=True):
    return torch.softmax(logits, dim=-1) + "noise"


def critic_loss_with_a_typo(maddpg, i, batch):
    return batch.rewards[:, i] * maddpg.gama


def soft_update_without_no_grad(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p_target.mul_(1 - tau).add_(tau * p)


def observation_with_an_index_error(agent_pos, landmark_pos, target, i):
    return np.concatenate([landmark_pos[2] - agent_pos[i]])  # only 2 landmarks: no index 2


def tag_observation_with_a_typo(world, i):
    return world.agents[i].state.p_velocity  # mpe2's field is p_vel


def loop_with_a_typo(maddpg, buffer, env, config, rng):
    for _ in range(config.episodes):
        env.reset()
        maddpg.acts(None)


ERRORS = [  # (checker, function that raises, phrases the message must contain)
    (check_gumbel_softmax, gumbel_without_hard_argument,
     ["your function raised TypeError", "unexpected keyword argument 'hard'",
      "The function must have the signature gumbel_softmax(logits, tau=1.0, hard=True)."]),
    (check_gumbel_softmax, gumbel_adds_a_string,
     ["your function raised TypeError", "in gumbel_adds_a_string(), line",
      'return torch.softmax(logits, dim=-1) + "noise"']),
    (check_critic_loss, critic_loss_with_a_typo,
     ["your function raised AttributeError", "'gama'", "in critic_loss_with_a_typo(), line",
      "maddpg.gama", "input:    the MADDPG of exercise_setup(), i=0"]),
    (check_soft_update, soft_update_without_no_grad,
     ["your function raised RuntimeError", "a leaf Variable that requires grad", "in soft_update_without_no_grad()",
      "p_target.mul_(1 - tau).add_(tau * p)"]),
    (check_observation, observation_with_an_index_error,
     ["your function raised IndexError", "in observation_with_an_index_error(), line", "landmark_pos[2]"]),
    (check_tag_observation, tag_observation_with_a_typo,
     ["your function raised AttributeError", "'p_velocity'", "in tag_observation_with_a_typo(), line",
      "input:    world = mpe2's simple_tag_v3 (3 adversaries, 1 good agent, 2 obstacles)"]),
    (check_training_loop, loop_with_a_typo,
     ["your function raised AttributeError", "'acts'", "in loop_with_a_typo(), line", "maddpg.acts(None)",
      "input:    config = Config(episodes=6, num_envs=1"]),
]


@pytest.mark.parametrize("checker, raising, phrases", ERRORS, ids=[f"{c.__name__}-{f.__name__}" for c, f, _ in ERRORS])
def test_other_exception_is_an_error_verdict(checker, raising, phrases):
    result = checker(raising)  # must not raise
    assert_verdict(result, "error", "ERROR  ", "where:", *phrases)


def test_error_in_a_notebook_cell_quotes_the_cell_line(tmp_path):
    # the line is found through linecache, as for code typed in Jupyter
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch"),
        nbformat.v4.new_code_cell("def critic_target(reward, target_q, done, gamma):\n"
                                  "    return reward + gamma * (1 - done) * target_q.nope()\n"),
    ])
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    result = check_critic_target(notebook_function(path, "critic_target"))
    assert_verdict(result, "error", "AttributeError", "in critic_target(), line 2",
                   "target_q.nope()")


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda f: f.__name__)
def test_passing_something_else_than_a_function_is_feedback_not_a_crash(checker):
    result = checker(None)
    assert_verdict(result, "failed", "Pass the function itself")


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda f: f.__name__)
def test_returning_nothing_is_feedback_not_a_crash(checker):
    def forgot_return(*args, **kwargs):
        pass

    if checker is check_soft_update:  # returns nothing by design: the target simply did not move
        assert_verdict(checker(forgot_return), "failed", "The target did not move")
    elif checker is check_episodes_to_threshold:  # None is a valid answer ("never"), so the hint says what it means
        assert_verdict(checker(forgot_return), "failed", "None means", "forget `return`")
    elif checker is check_training_loop:  # a loop that does nothing is caught before its return value matters
        assert_verdict(checker(forgot_return), "failed", "no env.reset() and no env.step() at all")
    else:
        assert_verdict(checker(forgot_return), "failed", "NoneType")


# ----- the notebooks as files -------------------------------------------------------------------------
NOTEBOOKS = sorted(EXERCISE_DIR.rglob("*.ipynb"))
STUDENT_VERSIONS = sorted(EXERCISE_DIR.glob("*.ipynb"))
HEADING = re.compile(r"## Exercise (\w+) · (.+) \((easy|medium|hard), (\d+) points?\)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(EXERCISE_DIR).as_posix())
def test_notebook_is_committed_clean(path):
    nb = read(path)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_one_source_per_set_gives_one_student_and_one_solution_version():
    sources = {p.name for p in SOURCES}
    assert len(sources) == len(SOURCES)  # notebook names are unique across sets
    assert {p.name for p in STUDENT_VERSIONS} == sources
    assert {p.name for p in (EXERCISE_DIR / "solutions").glob("*.ipynb")} == sources
    assert {NB03, NB04, "capstone_training_loop.ipynb"} <= sources


def test_every_numbered_lesson_has_an_exercise_set():
    lessons = {p.name[:2] for p in (EXERCISE_DIR.parent).glob("[0-9][0-9]_*.ipynb")}
    sets = {p.name[:2] for p in SOURCES if p.name[:2].isdigit()}
    assert sets <= lessons  # a numbered set follows its lesson
    assert lessons - PENDING_SETS <= sets, f"lessons without an exercise set: {sorted(lessons - PENDING_SETS - sets)}"
    assert any(p.name.startswith("capstone_") for p in SOURCES)  # plus the unnumbered capstone


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_source_has_nbgrader_regions_hidden_asserts_and_points(path):
    cells = read(path).cells
    grade_ids = [nbgrader_meta(c)["grade_id"] for c in cells if nbgrader_meta(c)]
    assert len(grade_ids) == len(set(grade_ids))
    heading = None
    for k, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if cell.cell_type == "markdown" and cell.source.startswith("## Exercise"):
            heading = HEADING.match(cell.source.splitlines()[0])
            assert heading, f"exercise heading without difficulty and points: {cell.source.splitlines()[0]!r}"
        if meta.get("solution"):  # the function, its body between the solution markers
            name = meta["grade_id"]
            assert defines(cell.source, name) and cell.cell_type == "code"
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            assert heading, f"{name}: no exercise heading before it"
            (test,) = [c for c in cells[k + 1:] if nbgrader_meta(c).get("grade")][:1]
            assert nbgrader_meta(test)["grade_id"] == f"check_{name}"
            assert int(heading[4]) == nbgrader_meta(test)["points"], \
                f"{name}: heading and grade cell disagree on points"
        if meta.get("grade"):  # the checker's verdict is printed, then asserted in nbgrader's hidden tests
            assert cell.cell_type == "code" and meta["points"] >= 1 and meta["locked"] and not meta["solution"]
            visible, hidden = cell.source.split("### BEGIN HIDDEN TESTS\n")
            result = visible.split(" = ")[0]
            assert hidden.startswith(f"assert {result}.passed") and hidden.rstrip().endswith("### END HIDDEN TESTS")
            assert "assert" not in visible
        if SOLUTION_ONLY in cell.metadata.get("tags", []):
            assert not meta  # answers are plain cells: removed from the student version, never graded


@pytest.mark.parametrize("path", STUDENT_VERSIONS, ids=lambda p: p.name)
def test_student_version_holds_no_solution_and_no_hidden_test(path):
    source = read(next(p for p in SOURCES if p.name == path.name))
    student = read(path)
    expected = [c for c in source.cells if SOLUTION_ONLY not in c.metadata.get("tags", [])]
    assert [c.id for c in student.cells] == [c.id for c in expected]
    for cell, src in zip(student.cells, expected):
        assert "BEGIN SOLUTION" not in cell.source and "HIDDEN TESTS" not in cell.source
        if nbgrader_meta(src).get("solution"):  # the body after the docstring became nbgrader's code stub
            before = src.source.split("### BEGIN SOLUTION")[0]
            assert cell.source == before + CODE_STUB.replace("\n", "\n" + " " * 4)
        elif nbgrader_meta(src).get("grade"):
            assert cell.source == src.source.split("\n### BEGIN HIDDEN TESTS")[0] and "assert" not in cell.source
        else:
            assert cell.source == src.source


def test_points_per_set():
    points = {}
    for e in EXERCISES:
        points[e.notebook] = points.get(e.notebook, 0) + e.points
    assert points[NB03] == 5 and points[NB04] == 10 and points["capstone_training_loop.ipynb"] == 10
    assert all(p >= 3 for p in points.values())
