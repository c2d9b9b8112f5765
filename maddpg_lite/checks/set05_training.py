"""Checks of notebooks/exercises/05_training_exercises.ipynb (lesson 05: the schedule, the evaluation and its
error bar).

Exercise 1 :func:`check_update_rounds`, 2 :func:`check_evaluation_returns`, 3 :func:`check_mean_ci`: against
the schedule of :func:`maddpg_lite.train` and :func:`maddpg_lite.evaluate`.
"""

from __future__ import annotations

import math

import numpy as np

from ..env import EPISODE_LENGTH
from ..i18n import _
from .core import _Checks, _expect_array, _expect_number, _expect_numbers, _fmt, _match_mistake, _Mismatch, checker
from .shared import _update_schedule, exercise_setup

_ROUNDS_CASES = [  # (episodes, num_envs, update_interval, minimal_size, episode_length or None for the default)
    (200, 50, 100, 1000, None), (5000, 50, 100, 4000, None), (6, 1, 10, 45, None), (10, 1, 100, 0, None),
    (8, 4, 10, 18, 7), (50, 25, 10, 60, 5), (100, 100, 30, 500, None), (4, 4, 1000, 0, None), (20, 10, 7, 600, None),
]


@checker("update_rounds(episodes, num_envs, update_interval, minimal_size, episode_length=25)")
def check_update_rounds(c: _Checks) -> None:
    """Check ``fn(episodes, num_envs, update_interval, minimal_size, episode_length=25)`` (the number of
    update rounds :func:`maddpg_lite.train` performs) on the source recipe, the quick recipe and small
    schedules with one game, K games that cross several boundaries per step, and no warm-up."""
    for episodes, K, interval, minimal, length in _ROUNDS_CASES:
        L = EPISODE_LENGTH if length is None else length
        args = (episodes, K, interval, minimal) + (() if length is None else (length,))
        inp = (f"episodes={episodes}, num_envs={K}, update_interval={interval}, minimal_size={minimal}"
               + ("" if length is None else f", episode_length={length}"))
        check = _("the number of update rounds train() performs")
        expected = sum(_update_schedule(episodes, K, interval, minimal, L))
        got = _expect_number(c.call(inp, *args), check, inp, whole=True)
        if got != expected:
            S, steps = episodes * L, episodes // K * L
            variants = [
                (_("every boundary counted, the warm-up ignored"), S // interval,
                 _("No round happens while the buffer holds fewer than minimal_size transitions, and the boundaries "
                   "crossed then are skipped, not made up later.")),
                (_("boundaries counted from minimal_size on"), max(S - minimal, 0) // interval,
                 _("The boundaries are multiples of update_interval counted from the start of training, not from "
                   "minimal_size.")),
                (_("one round per env.step() call once the buffer is warm"),
                 sum(1 for j in range(1, steps + 1) if j * K >= minimal),
                 _("One round per update_interval ENVIRONMENT steps: K games make K environment steps per "
                   "env.step().")),
                (_("env.step() calls counted as environment steps"),
                 sum(j // interval - (j - 1) // interval for j in range(1, steps + 1) if j * K >= minimal)
                 if K > 1 else -1,
                 _("Each env.step() advances K games: env_steps grows by K per call.")),
                (_("only exact multiples counted (env_steps % update_interval == 0)"),
                 sum(1 for j in range(1, steps + 1) if j * K >= minimal and j * K % interval == 0),
                 _("With K games env_steps jumps by K and can pass a multiple of update_interval without hitting it "
                   "(or pass several): count the boundaries crossed, env_steps // update_interval.")),
            ]
            hint = _("Follow env_steps = j * K after the j-th env.step(): each multiple of update_interval crossed "
                     "gives a round if the buffer (j * K transitions) holds minimal_size.")
            names = [_("{mistake}. {why}").format(mistake=name, why=why) for name, value, why in variants
                     if got == value]
            if len(names) == 1:
                hint = _("Your count matches the mistake: {mistake}").format(mistake=names[0])
            elif names:
                hint = _("Here your count matches each of these mistakes: {mistakes}").format(
                    mistakes=names[0] + "".join(" " + _("Or: {mistake}").format(mistake=n) for n in names[1:]))
            raise _Mismatch(check, inp, str(expected), _fmt(got), hint)
    c.ok(_("the source recipe (5000 episodes, 50 games, every 100 steps from 4000 on): 1211 rounds; the quick one: 41"))
    c.ok(_("one game, K games crossing several boundaries per env.step(), no warm-up, a run too short for any round"))


@checker("evaluation_returns(policy, episodes, seed)")
def check_evaluation_returns(c: _Checks) -> None:
    """Check ``fn(policy, episodes, seed)`` -> ``(episodes, 3)`` undiscounted returns of the greedy
    evaluation episodes that start from ``reset(seeds=[seed + j ...])``: their mean and standard
    deviation per agent must equal those of :func:`maddpg_lite.evaluate`, for a no-op, a random and
    a MADDPG policy, 1 to 100 episodes and three seeds."""
    from ..evaluation import EVAL_SEED, evaluate, greedy_policy, noop_policy, random_policy

    policies = [("noop_policy()", noop_policy), ("random_policy(3)", lambda: random_policy(3)),  # built when used:
                (_("the greedy policy of exercise_setup()'s MADDPG"), lambda: greedy_policy(exercise_setup()[0]))]
    for episodes, seed in [(10, EVAL_SEED), (1, 0), (100, 7)]:
        for label, make in policies:
            inp = f"policy = {label}, episodes = {episodes}, seed = {seed}"
            check = _("mean and std of the returns per agent equal maddpg_lite.evaluate's")
            ref = evaluate(make(), episodes, seed)
            got = _expect_array(c.call(inp, make(), episodes, seed), check, inp, (episodes, 3),
                                _("One row per episode, one column per agent (adversary_0, agent_0, agent_1)."))
            mean, std = got.mean(axis=0), got.std(axis=0)
            ref_mean = np.array(list(ref["returns"].values()))
            ref_std = np.array(list(ref["returns_std"].values()))
            if not (np.allclose(mean, ref_mean, rtol=1e-6, atol=1e-6)
                    and np.allclose(std, ref_std, rtol=1e-6, atol=1e-6)):
                hint = _("Episode j starts from env.reset(seeds=[seed + j for j in range(episodes)]) in one "
                         "VecSimpleAdversary(episodes); play all 25 steps with env.step(policy(obs)) and add up the "
                         "rewards, undiscounted.")
                if np.allclose(mean, ref_mean / EPISODE_LENGTH, rtol=1e-3):
                    hint = _("Your values look like the mean reward per step: a return is the SUM of the 25 rewards.")
                raise _Mismatch(check, inp, _("mean {mean}, std {std}").format(mean=_fmt(ref_mean), std=_fmt(ref_std)),
                                _("mean {mean}, std {std}").format(mean=_fmt(mean), std=_fmt(std)), hint)
    c.ok(_("the same returns as maddpg_lite.evaluate (mean and std per agent) for no-op, random and MADDPG policies"))
    c.ok(_("1, 10 and 100 episodes, episode j from reset(seed + j), for three seeds"))


@checker("mean_ci(values, z=1.96)")
def check_mean_ci(c: _Checks) -> None:
    """Check ``fn(values, z=1.96)`` -> ``(mean, half_width)`` with ``half_width = z * s / sqrt(n)`` (s the
    sample standard deviation, ``ddof=1``): values for n in {2, 5, 50, 1000} and z in {1.96 (default),
    2.58, 1}; fewer than 2 values raise ``ValueError``; and over 4000 simulated evaluations of 50
    episodes the 95% interval covers the true mean 92% to 97% of the time."""
    rng = np.random.default_rng(7)
    check = _("(mean, z * s / sqrt(n)) with the sample standard deviation s (ddof=1)")
    for n in [2, 5, 50, 1000]:
        for z in [None, 2.58, 1.0]:
            values = rng.normal(-20, 4, n)
            args = (values.copy(),) + (() if z is None else (z,))
            inp = f"values = {_fmt(values)} (n = {n})" + ("" if z is None else f", z = {z}")
            got = _expect_numbers(c.call(inp, *args), ("mean", "half_width"), check, inp)
            zz = 1.96 if z is None else z
            s = values.std(ddof=1)
            expected = np.array([values.mean(), zz * s / math.sqrt(n)])
            if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
                variants = [
                    (_("the standard deviation with ddof=0"), [values.mean(), zz * values.std() / math.sqrt(n)],
                     _("Use the sample standard deviation, np.std(values, ddof=1): with few episodes it matters.")),
                    (_("the standard deviation instead of the standard error"), [values.mean(), zz * s],
                     _("The mean of n values varies like s / sqrt(n), the standard error.")),
                    (_("divided by n instead of sqrt(n)"), [values.mean(), zz * s / n], _("Divide s by sqrt(n).")),
                    (_("the variance instead of the standard deviation"),
                     [values.mean(), zz * s ** 2 / math.sqrt(n)], _("Take the square root of the variance.")),
                    (_("z ignored"), [values.mean(), 1.96 * s / math.sqrt(n)], _("Use the z you are given.")),
                    (_("the interval's ends instead of (mean, half_width)"),
                     [expected[0] - expected[1], expected[0] + expected[1]], _("Return (mean, half_width).")),
                ]
                raise _Mismatch(check, inp, f"({expected[0]:.6g}, {expected[1]:.6g})", f"({got[0]:.6g}, {got[1]:.6g})",
                                _match_mistake(got, variants, "mean = values.mean(); half_width = z * "
                                                              "values.std(ddof=1) / sqrt(n).", atol=1e-12))
    c.ok(_("mean and z * s / sqrt(n) with ddof=1, for n in {2, 5, 50, 1000} and z in {1.96 (the default), 2.58, 1}"))
    for values in [np.array([3.0]), np.array([])]:
        c.expect_raises(ValueError, f"values = {_fmt(values)}", _("One value has no spread: raise ValueError(...) "
                                                                  "when there are fewer than 2 values."), values)
    c.ok(_("fewer than 2 values raise ValueError"))
    true_mean, covered, trials = -20.0, 0, 4000
    samples = rng.normal(true_mean, 4, (trials, 50))
    for row in samples:
        mean, half = c.call(_("4000 samples of 50 values from a normal distribution with mean -20"), row)
        covered += abs(mean - true_mean) <= half
    if not 0.92 <= covered / trials <= 0.97:
        raise _Mismatch(_("the 95% interval covers the true mean about 95% of the time"),
                        _("4000 simulated evaluations of 50 episodes (normal, mean -20, sd 4)"), _("92% to 97%"),
                        f"{covered / trials:.1%}", _("half_width = 1.96 * s / sqrt(n) by default."))
    c.ok(_("over {trials} simulated evaluations of 50 episodes, the 95% interval covers the true mean "
           "{share} of the time").format(trials=trials, share=f"{covered / trials:.1%}"))
