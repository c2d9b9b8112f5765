"""Checks of notebooks/exercises/02_markov_game_exercises.ipynb (lesson 02: the Markov game by hand).

Exercise 1 :func:`check_rewards`, 2 :func:`check_physics_step`, 3 :func:`check_discounted_return`: against
the rewards of mpe2's own simple_adversary and the physics of :class:`maddpg_lite.env.VecSimpleAdversary`.
"""

from __future__ import annotations

import numpy as np

from ..env import N_ACTIONS, VecSimpleAdversary
from ..i18n import _
from .core import _Checks, _expect_array, _fmt, _match_mistake, _Mismatch, checker
from .shared import _mpe2_states, _state_input


def _reward_variants(agent_pos, landmark_pos, target):
    d = np.sqrt(np.sum(np.square(agent_pos - landmark_pos[target]), axis=1))  # (N+1,) distance to the target
    n = len(d) - 1
    d_any = np.sqrt(np.sum(np.square(agent_pos[0] - landmark_pos), axis=1)).min()
    return [
        (_("squared distances"), [-d[0] ** 2] + [-np.min(d[1:] ** 2) + d[0] ** 2] * n,
         _("mpe2 pays plain distances, not squared ones (the original MPE used squares).")),
        (_("each good agent's own distance instead of the closest good agent's"),
         [-d[0]] + [-d[j] + d[0] for j in range(1, n + 1)],
         _("The good agents share one reward: -min_j d(good_j, target) + d(adversary, target).")),
        (_("no adversary term in the good agents' reward"), [-d[0]] + [-np.min(d[1:])] * n,
         _("The good agents also gain when the adversary is far from the target: + d(adversary, target).")),
        (_("the signs flipped"), [d[0]] + [np.min(d[1:]) - d[0]] * n,
         _("Rewards are negative distances: the adversary gets -d(adversary, target).")),
        (_("the adversary paid by its nearest landmark"), [-d_any] + [-np.min(d[1:]) + d[0]] * n,
         _("The adversary is paid by its distance to the target, though it does not know which landmark that is.")),
        (_("the mean of the good agents' distances instead of the min"), [-d[0]] + [-np.mean(d[1:]) + d[0]] * n,
         _("Only the good agent closest to the target counts: min, not mean.")),
    ]


@checker("rewards(agent_pos, landmark_pos, target)")
def check_rewards(c: _Checks) -> None:
    """Check ``fn(agent_pos, landmark_pos, target)`` (every agent's reward, the adversary first) against
    the rewards mpe2 returned after random steps of its own game, with 2, 1 and 3 good agents. A
    wrong value is compared with the usual mistakes (squared distances, each good agent's own
    distance instead of the closest one, no adversary term, ...)."""
    for n_good, seeds, steps in [(2, (0, 1, 2, 3), 5), (1, (0, 1), 2), (3, (0, 1), 2)]:
        for s in _mpe2_states(n_good, seeds, steps):
            if s["rewards"] is None:
                continue
            inp = _state_input(s)
            check = _("rewards(...) equal mpe2's rewards (N={n_good} good agents)").format(n_good=n_good)
            got = _expect_array(c.call(inp, s["agent_pos"].copy(), s["landmark_pos"].copy(), s["target"]), check, inp,
                                s["rewards"].shape, _("Return one reward per agent, the adversary first ({count}).")
                                .format(count=n_good + 1))
            if not np.allclose(got, s["rewards"], rtol=1e-9, atol=1e-9):
                raise _Mismatch(check, inp, _fmt(s["rewards"]), _fmt(got), _match_mistake(
                    got, _reward_variants(s["agent_pos"], s["landmark_pos"], s["target"]),
                    _("adversary: -d(adversary, target); each good agent: -min_j d(good_j, target) "
                      "+ d(adversary, target).")))
    c.ok(_("equal mpe2's rewards after 20 random steps with 2 good agents: -d(adv, target) and -min_j d(good_j, "
           "target) + d(adv, target)"))
    c.ok(_("also with 1 and 3 good agents (the closest of all good agents counts)"))


_DT, _DAMPING, _FORCE, _DIRECTIONS = 0.1, 0.25, 5.0, np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=float)


@checker("physics_step(pos, vel, actions)")
def check_physics_step(c: _Checks) -> None:
    """Check ``fn(pos, vel, actions)`` -> ``(new_pos, new_vel)`` (one step of mpe2's physics for the
    three agents) against :class:`maddpg_lite.env.VecSimpleAdversary` (which equals mpe2 bit for
    bit), on 40 random states and actions, every action included."""
    rng = np.random.default_rng(5)
    env = VecSimpleAdversary(1, seed=0)
    env.reset()
    for k in range(40):
        pos, vel = rng.uniform(-1, 1, (3, 2)), rng.normal(0, 0.5, (3, 2))
        actions = np.array([k % N_ACTIONS, (k // N_ACTIONS) % N_ACTIONS, rng.integers(N_ACTIONS)])
        env.agent_pos[0], env.agent_vel[0] = pos, vel
        env.step(actions[None])
        expected = (env.agent_pos[0].copy(), env.agent_vel[0].copy())
        inp = f"pos = {_fmt(pos)}, vel = {_fmt(vel)}, actions = {actions.tolist()}"
        check = _("(new_pos, new_vel) equal mpe2's after one step")
        out = c.call(inp, pos.copy(), vel.copy(), actions.copy())
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Mismatch(check, inp, _("a pair (new_pos, new_vel)"), f"{type(out).__name__}: {_fmt(out)}",
                            _("Return both arrays: return new_pos, new_vel."))
        new_pos, new_vel = (_expect_array(o, check, inp, (3, 2)) for o in out)
        force = _FORCE * _DIRECTIONS[actions]
        variants = [
            (_("the position moved with the new velocity"),
             np.concatenate([pos + (vel * (1 - _DAMPING) + force * _DT) * _DT, vel * (1 - _DAMPING) + force * _DT]),
             _("mpe2 moves the position with the OLD velocity first, then updates the velocity.")),
            (_("the damping applied after the force"),
             np.concatenate([pos + vel * _DT, (vel + force * _DT) * (1 - _DAMPING)]),
             _("Damp the old velocity, then add the push: v' = v (1 - 0.25) + F dt / m.")),
            (_("the force not multiplied by dt"), np.concatenate([pos + vel * _DT, vel * (1 - _DAMPING) + force]),
             _("The push changes the velocity by F dt / m = 5 * 0.1 = 0.5 per step.")),
            (_("no damping"), np.concatenate([pos + vel * _DT, vel + force * _DT]),
             _("The velocity keeps 75% of itself each step: damping 0.25.")),
            (_("up and down swapped"), np.concatenate([pos + vel * _DT, vel * (1 - _DAMPING)
                                                       + _FORCE * _DIRECTIONS[[0, 1, 2, 4, 3]][actions] * _DT]),
             _("Action 3 pushes down (-y), action 4 up (+y).")),
        ]
        got = np.concatenate([new_pos, new_vel])
        if not np.allclose(got, np.concatenate(expected), rtol=0, atol=1e-12):
            raise _Mismatch(check, inp, f"new_pos = {_fmt(expected[0])}, new_vel = {_fmt(expected[1])}",
                            f"new_pos = {_fmt(new_pos)}, new_vel = {_fmt(new_vel)}",
                            _match_mistake(got, variants, _("p' = p + v dt; v' = v (1 - damping) + 5 * direction * "
                                                            "dt (dt = 0.1, damping = 0.25, mass 1)."), atol=1e-12))
    c.ok(_("equals mpe2's physics on 40 random states, every action: p' = p + v dt, then v' = v (1 - 0.25) + F dt"))


@checker("discounted_return(rewards, gamma)")
def check_discounted_return(c: _Checks) -> None:
    """Check ``fn(rewards, gamma)``: ``(T, N)`` rewards -> ``(N,)`` returns ``sum_t gamma^t r_t``, for
    T in {25, 1, 7}, N in {3, 1}, gamma in {0.95, 0, 1, 0.5}; the rewards must not be modified."""
    rng = np.random.default_rng(6)
    for T, N in [(25, 3), (1, 3), (7, 1)]:
        for gamma in [0.95, 0.0, 1.0, 0.5]:
            rewards = rng.normal(-1, 1, (T, N))
            inp = f"rewards = {_fmt(rewards)} (shape {(T, N)}), gamma = {gamma}"
            check = _("G_i = sum_t gamma^t r_i^t, one per agent")
            given = rewards.copy()
            got = _expect_array(c.call(inp, given, gamma), check, inp, (N,),
                                _("Sum over the time axis (axis 0): one return per agent."))
            if not np.array_equal(given, rewards):
                raise _Mismatch(_("the rewards are left unchanged"), inp, _("rewards unchanged"),
                                _("rewards modified in place"),
                                _("Compute a new array; avoid in-place operations such as *=."))
            t = np.arange(T)[:, None]
            expected = (gamma ** t * rewards).sum(axis=0)
            variants = [
                (_("the discount starts at gamma^1"), (gamma ** (t + 1) * rewards).sum(axis=0),
                 _("The first reward is not discounted: gamma^0 = 1.")),
                (_("the discount applied backwards"), (gamma ** (T - 1 - t) * rewards).sum(axis=0),
                 _("gamma^t weighs the reward of step t: the LAST rewards count least.")),
                (_("no discount"), rewards.sum(axis=0), _("Multiply the reward of step t by gamma^t.")),
            ]
            if not np.allclose(got, expected, rtol=1e-9, atol=1e-9):
                raise _Mismatch(check, inp, _fmt(expected), _fmt(got), _match_mistake(
                    got, variants, _("G_i = sum_t gamma^t r_i^t with t = 0, 1, ..., T - 1."), atol=1e-9))
    c.ok(_("sum_t gamma^t r_t per agent, for T in {1, 7, 25}, gamma in {0, 0.5, 0.95, 1}"))
    c.ok(_("the rewards are not modified"))
