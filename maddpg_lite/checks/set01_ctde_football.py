"""Checks of notebooks/exercises/01_ctde_football_exercises.ipynb (lesson 01: what the actors and the critics see).

Exercise 1 :func:`check_observation`, 2 :func:`check_observation_sizes`, 3 :func:`check_critic_input_sizes`:
against mpe2's own simple_adversary and :meth:`maddpg_lite.maddpg.MADDPG.critic_input_dim`.
"""

from __future__ import annotations

import types

import numpy as np

from ..i18n import _
from ..maddpg import MADDPG
from .core import _Checks, _expect_array, _fmt, _match_mistake, _Mismatch, checker
from .shared import _mpe2_states, _state_input


def _observation_variants(agent_pos, landmark_pos, target, i):
    me = agent_pos[i]
    others = [agent_pos[j] for j in range(len(agent_pos)) if j != i]
    goal = [] if i == 0 else [landmark_pos[target]]
    flat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
    return [
        (_("self - other instead of other - self"), flat([me - p for p in goal + list(landmark_pos) + others]),
         _("Each slot is the position of the thing seen minus the agent's own position.")),
        (_("absolute positions instead of relative ones"), flat(goal + list(landmark_pos) + others),
         _("Nobody observes absolute positions: subtract the agent's own position from every slot.")),
        (_("the other agents before the landmarks"), flat([p - me for p in goal + others + list(landmark_pos)]),
         _("mpe2's order: (target - self for a good agent), then every landmark, then every other agent.")),
    ]


@checker("observation(agent_pos, landmark_pos, target, i)")
def check_observation(c: _Checks) -> None:
    """Check ``fn(agent_pos, landmark_pos, target, i)`` against the observations of mpe2's simple_adversary.

    ``agent_pos`` is ``(N+1, 2)`` (the adversary first), ``landmark_pos`` ``(N, 2)``, ``target`` the
    index of the target landmark, ``i`` the agent. Verified on states of mpe2's own game with N = 2,
    1 and 3 good agents (after a reset and after random steps), for every agent: the returned vector
    equals the observation mpe2 returned there (float32, so to 1e-6). A wrong vector is compared
    with the usual mistakes (self - other, absolute positions, a target slot for the adversary, ...).
    """
    cases = [(2, (0, 1, 2, 3), 3), (1, (0, 1), 1), (3, (0, 1), 1)]
    for n_good, seeds, steps in cases:
        for s in _mpe2_states(n_good, seeds, steps):
            for i, expected in enumerate(s["obs"]):
                inp = _state_input(s, f", i = {i}")
                check = _("observation(...) of agent {agent} equals mpe2's (N={n_good} good agents)").format(
                    agent=i, n_good=n_good)
                n = len(expected)
                hint = ""
                out = c.call(inp, s["agent_pos"].copy(), s["landmark_pos"].copy(), s["target"], i)
                if hasattr(out, "__len__") and not isinstance(out, (str, dict)):
                    if i == 0 and len(out) == n + 2:
                        hint = _("The adversary is not told the target: its observation has no target slot.")
                    elif i > 0 and len(out) == n - 2:
                        hint = _("A good agent's observation starts with target - self (2 numbers), then the "
                                 "landmarks.")
                    elif len(out) == n + 2:
                        hint = _("The other agents are every agent except agent i itself.")
                got = _expect_array(out, check, inp, expected.shape,
                                    hint or _("Agent {agent} observes {n} numbers here: 2 per thing it sees.").format(
                                        agent=i, n=n))
                if not np.allclose(got, expected, rtol=0, atol=1e-6):
                    hint = _match_mistake(got, _observation_variants(s["agent_pos"], s["landmark_pos"], s["target"], i),
                                          _("Slots, in order: (target - self, good agents only), landmark_m - self "
                                            "for every landmark, other - self for every other agent in index order."))
                    raise _Mismatch(check, inp, _fmt(expected), _fmt(got), hint)
    c.ok(_("equals mpe2's observation for every agent, on 20 states with 2 good agents (after resets and random "
           "steps)"))
    c.ok(_("also with 1 and with 3 good agents (N landmarks, N + 1 agents)"))


@checker("observation_sizes(n_good)")
def check_observation_sizes(c: _Checks) -> None:
    """Check ``fn(n_good)`` (the observation size of every agent of simple_adversary with ``n_good``
    good agents, the adversary first) against the observation spaces of mpe2's own game, for
    ``n_good`` in {2, 1, 3, 4, 6}."""
    from ..env import make_env

    for n in [2, 1, 3, 4, 6]:
        env = make_env(N=n)
        expected = [int(env.observation_space(name).shape[0]) for name in env.possible_agents]
        inp = f"n_good = {n}"
        check = _("observation_sizes({n}) equals the sizes of mpe2's observation spaces").format(n=n)
        got = _expect_array(c.call(inp, n), check, inp, (n + 1,),
                            _("Return one size per agent, the adversary first: {count} numbers for n_good = {n}.")
                            .format(count=n + 1, n=n))
        variants = [
            (_("no target slot for the good agents"), [4 * n] * (n + 1),
             _("Good agents are told the target: their observation starts with target - self (2 numbers).")),
            (_("a target slot for the adversary too"), [4 * n + 2] * (n + 1),
             _("The adversary is not told the target: no target slot for it.")),
            (_("the agent itself counted among the other agents"), [4 * n + 2] + [4 * n + 4] * n,
             _("The other agents are the N others (N + 1 agents minus the agent itself).")),
            (_("2 landmarks whatever n_good is"), [4 + 2 * n] + [6 + 2 * n] * n,
             _("simple_adversary has N landmarks, one per good agent (2 in the game we train on).")),
        ]
        if not np.array_equal(got, expected):
            raise _Mismatch(check, inp, str(expected), str([int(v) if v == int(v) else v for v in got]),
                            _match_mistake(got, variants, _("2 numbers per thing seen: the target (good agents "
                                                            "only), each landmark, each other agent.")))
    c.ok(_("sizes equal mpe2's observation spaces for n_good in {1, 2, 3, 4, 6} (8, 10, 10 for the game we train "
           "on)"))


def _critic_input_dims(obs_dims, n_actions: int, centralized: bool) -> list[int]:
    """:meth:`MADDPG.critic_input_dim` of every agent, read without building the networks and optimizers."""
    shape = types.SimpleNamespace(obs_dims=tuple(obs_dims), n_agents=len(obs_dims),
                                  action_dims=(n_actions,) * len(obs_dims), centralized=centralized)
    return [MADDPG.critic_input_dim(shape, i) for i in range(len(obs_dims))]


@checker("critic_input_sizes(obs_dims, n_actions, centralized=True)")
def check_critic_input_sizes(c: _Checks) -> None:
    """Check ``fn(obs_dims, n_actions, centralized=True)`` (the input size of every agent's critic)
    against :meth:`maddpg_lite.maddpg.MADDPG.critic_input_dim`, for MADDPG (``centralized=True``, also
    as the default) and independent DDPG (``False``), for 1 to 6 agents with different observation sizes."""
    cases = [((8, 10, 10), 5), ((12, 14, 14, 14), 5), ((4, 6), 5), ((3,), 2), ((7, 9, 11, 13, 15, 17), 4)]
    for centralized in [None, True, False]:
        for obs_dims, n_actions in cases:
            expected = _critic_input_dims(obs_dims, n_actions, centralized is not False)
            args = (list(obs_dims), n_actions) + (() if centralized is None else (centralized,))
            inp = f"obs_dims = {list(obs_dims)}, n_actions = {n_actions}" + (
                "" if centralized is None else f", centralized = {centralized}")
            check = (_("MADDPG critics (the default): all observations and all actions") if centralized is not False
                     else _("independent DDPG critics: own observation and own action"))
            got = _expect_array(c.call(inp, *args), check, inp, (len(obs_dims),),
                                _("Return one size per agent (a list of ints)."))
            n, total = len(obs_dims), sum(obs_dims)
            variants = [
                (_("the actions are missing"), [total] * n if centralized is not False else list(obs_dims),
                 _("A critic Q_i(x, a_1..a_N) reads the actions too, as one-hots of length n_actions.")),
                (_("only the agent's own action"), [total + n_actions] * n,
                 _("A centralized critic reads every agent's action: N * n_actions numbers.")),
                (_("the centralized size for DDPG"), [total + n * n_actions] * n,
                 _("centralized=False is independent DDPG: critic i reads only o_i and a_i.")),
            ]
            if not np.array_equal(got, expected):
                raise _Mismatch(check, inp, str(expected), str([int(v) if v == int(v) else v for v in got]),
                                _match_mistake(got, variants, _("MADDPG: sum(obs_dims) + N * n_actions for every "
                                                                "agent; DDPG: obs_dims[i] + n_actions.")))
    c.ok(_("MADDPG: sum(obs_dims) + N * n_actions for every agent (43 in our game), for 1 to 6 agents; centralized "
           "is the default"))
    c.ok(_("independent DDPG (centralized=False): obs_dims[i] + n_actions"))
