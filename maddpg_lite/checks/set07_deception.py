"""Checks of notebooks/exercises/07_deception_exercises.ipynb (lesson 07: deception, measured).

Exercise 1 :func:`check_success_rates`, 2 :func:`check_split`, 3 :func:`check_expected_penalty`: against
:meth:`maddpg_lite.env.VecSimpleAdversary.deception_flags` on hand-made and random scenes.
"""

from __future__ import annotations

import numpy as np

from ..env import VecSimpleAdversary
from ..i18n import _
from .core import _Checks, _expect_array, _fmt, _match_mistake, _Mismatch, checker


def _scenes(rng, k: int):
    """``k`` hand-made and random final positions: agent_pos (k, 3, 2), landmark_pos (k, 2, 2), target (k,)."""
    landmark_pos = rng.uniform(-1, 1, (k, 2, 2))
    target = rng.integers(0, 2, k)
    agent_pos = rng.uniform(-1.5, 1.5, (k, 3, 2))
    idx = np.arange(k)
    # a third of the agents placed near a landmark, some just inside or outside 0.23 and 0.4
    near = rng.random((k, 3)) < 0.35
    which = rng.integers(0, 2, (k, 3))
    angle = rng.uniform(0, 2 * np.pi, (k, 3))
    radius = rng.choice([0.1, 0.2, 0.22, 0.24, 0.3, 0.38, 0.42], (k, 3))  # the boundaries: in hand-made scenes
    offset = np.stack([np.cos(angle), np.sin(angle)], -1) * radius[..., None]
    placed = landmark_pos[idx[:, None], which] + offset
    agent_pos = np.where(near[..., None], placed, agent_pos)
    return agent_pos, landmark_pos, target


def _flags(agent_pos, landmark_pos, target) -> dict:
    env = VecSimpleAdversary(len(target))
    env.agent_pos, env.landmark_pos, env.target = agent_pos.copy(), landmark_pos.copy(), target.copy()
    return env.deception_flags()


@checker("success_rates(agent_pos, landmark_pos, target)")
def check_success_rates(c: _Checks) -> None:
    """Check ``fn(agent_pos, landmark_pos, target)`` -> ``(good_success, adversary_success)``, two
    ``(K,)`` boolean arrays (the paper's metric: a good agent / the adversary strictly within 0.4 of
    the target), against :meth:`maddpg_lite.env.VecSimpleAdversary.deception_flags` on hand-made and
    random scenes; mistakes named: ``<=`` instead of ``<``, the decoy, agent_0 only, ``d^2 < 0.4``."""
    from ..env import SUCCESS_DISTANCE

    rng = np.random.default_rng(5)
    check = _("(good_success, adversary_success): a good agent / the adversary strictly within 0.4 of the target")
    # hand-made: exactly 0.4 from the target is not a success
    # (scene 0: a good agent near the decoy, none within 0.4 of the target)
    # (scene 2: everyone 0.5 from the target, outside 0.4 but with d^2 = 0.25 < 0.4)
    hand = (np.array([[[-0.6, 0.0], [-1.0, 0.4], [1.0, 0.1]], [[-1.0, 0.39], [9.0, 9.0], [-1.0, -0.3]],
                      [[-0.5, 0.0], [-1.0, 0.5], [-1.5, 0.0]]]),
            np.array([[[-1.0, 0.0], [1.0, 0.0]]] * 3), np.array([0, 0, 0]))
    for name, (agent_pos, landmark_pos, target) in [(_("hand-made, agents exactly 0.4 and 0.39 from the target"),
                                                      hand),
                                                    (_("200 random scenes"), _scenes(rng, 200))]:
        inp = _("{case}: agent_pos {agent_shape}, landmark_pos {landmark_shape}, target {target_shape}").format(
            case=name, agent_shape=agent_pos.shape, landmark_shape=landmark_pos.shape, target_shape=target.shape)
        out = c.call(inp, agent_pos.copy(), landmark_pos.copy(), target.copy())
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Mismatch(check, inp, _("a pair of (K,) boolean arrays"), f"{type(out).__name__}: {_fmt(out)}",
                            _("Return both: return good_success, adversary_success."))
        got = np.stack([_expect_array(o, check, inp, target.shape) for o in out]).astype(bool)
        flags = _flags(agent_pos, landmark_pos, target)
        expected = np.stack([flags["good_success"], flags["adversary_success"]])
        if not np.array_equal(got, expected):
            idx = np.arange(len(target))
            d = np.linalg.norm(agent_pos[:, :, None] - landmark_pos[:, None], axis=-1)
            dt, dd = d[idx, :, target], d[idx, :, 1 - target]
            variants = [
                (_("<= instead of <"), np.stack([dt[:, 1:].min(1) <= SUCCESS_DISTANCE, dt[:, 0] <= SUCCESS_DISTANCE]),
                 _("'Within 0.4' is strict: an agent exactly 0.4 away does not succeed.")),
                (_("the decoy instead of the target"),
                 np.stack([dd[:, 1:].min(1) < SUCCESS_DISTANCE, dd[:, 0] < SUCCESS_DISTANCE]),
                 _("Use landmark_pos[k, target[k]], the target; the other landmark is the decoy.")),
                (_("agent_0 only"), np.stack([dt[:, 1] < SUCCESS_DISTANCE, dt[:, 0] < SUCCESS_DISTANCE]),
                 _("The good team succeeds when EITHER good agent (columns 1 and 2) is within 0.4.")),
                (_("the squared distance compared with 0.4"), np.stack([(dt[:, 1:] ** 2).min(1) < SUCCESS_DISTANCE,
                                                                        dt[:, 0] ** 2 < SUCCESS_DISTANCE]),
                 _("Compare the distance itself, sqrt(dx^2 + dy^2), with 0.4.")),
            ]
            raise _Mismatch(check, inp, _fmt(expected.astype(int)), _fmt(got.astype(int)),
                            _match_mistake(got.astype(float), [(n, v.astype(float), w) for n, v, w in variants],
                                           _("Distance of every agent to the target; good: min over agents 1 and 2 "
                                             "< 0.4; adversary: agent 0 < 0.4.")))
    c.ok(_("hand-made scenes at the 0.4 boundary and 200 random scenes agree with the package's flags"))


@checker("split(agent_pos, landmark_pos)")
def check_split(c: _Checks) -> None:
    """Check ``fn(agent_pos, landmark_pos)`` -> ``(K,)`` booleans: two DIFFERENT good agents on the two
    landmarks, one each ("on" = centres within 0.23), against the package's ``all_landmarks_covered``;
    mistakes named: one agent touching both landmarks counts, the adversary counts."""
    from ..env import ON_LANDMARK_DISTANCE

    rng = np.random.default_rng(6)
    check = _("two different good agents, one on each landmark (centres within 0.23)")
    close = np.array([[[0.0, 0.0], [0.4, 0.0]]] * 4)
    hand = (np.array([[[0.0, 1.0], [0.2, 0.0], [2.0, 2.0]],     # one good agent touches both: no split
                      [[0.0, 1.0], [0.2, 0.0], [0.45, 0.05]],   # the partner on the second landmark: split
                      [[0.4, 0.0], [0.0, 0.0], [5.0, 5.0]],     # the adversary on the other landmark: no split
                      [[9.0, 9.0], [0.0, 0.22], [0.4, -0.22]]]),  # both 0.22 away: on, a split
            close, np.zeros(4, dtype=int))
    for name, (agent_pos, landmark_pos, target) in [(_("hand-made, landmarks 0.4 apart"), hand),
                                                    (_("200 random scenes"), _scenes(rng, 200))]:
        inp = _("{case}: agent_pos {agent_shape}, landmark_pos {landmark_shape}").format(
            case=name, agent_shape=agent_pos.shape, landmark_shape=landmark_pos.shape)
        got = _expect_array(c.call(inp, agent_pos.copy(), landmark_pos.copy()), check, inp, target.shape).astype(bool)
        expected = _flags(agent_pos, landmark_pos, target)["all_landmarks_covered"]
        if not np.array_equal(got, expected):
            on = np.linalg.norm(agent_pos[:, :, None] - landmark_pos[:, None], axis=-1) <= ON_LANDMARK_DISTANCE
            variants = [
                (_("every landmark has some good agent on it (one agent may cover both)"),
                 on[:, 1:, :].any(1).all(1),
                 _("One agent between two close landmarks touches both; the split needs two DIFFERENT agents: "
                   "(agent_0 on L0 and agent_1 on L1) or (agent_0 on L1 and agent_1 on L0).")),
                (_("the adversary counted as a good agent"), on.any(1).all(1),
                 _("Only agents 1 and 2 are good agents; column 0 is the adversary.")),
            ]
            raise _Mismatch(check, inp, _fmt(expected.astype(int)), _fmt(got.astype(int)),
                            _match_mistake(got.astype(float), [(n, v.astype(float), w) for n, v, w in variants],
                                           "on = distance <= 0.23; "
                                           "split = (on[1,L0] & on[2,L1]) | (on[1,L1] & on[2,L0])."))
    c.ok(_("hand-made scenes (one agent on two close landmarks, the adversary on a landmark) and 200 random scenes"))


@checker("expected_penalty(points, landmarks, adversary_reward)")
def check_expected_penalty(c: _Checks) -> None:
    """Check ``fn(points, landmarks, adversary_reward)`` -> ``(K,)``: the adversary's expected penalty
    at each point when the target is either landmark with probability 1/2, ``(d_0 + d_1) / 2`` for
    ``"distance"`` and ``(d_0^2 + d_1^2) / 2`` for ``"squared"``; mistakes named: the sum instead of
    the mean, the distance under "squared", one landmark only."""
    rng = np.random.default_rng(8)
    check = _("the mean over the two landmarks of d (distance) or d^2 (squared)")
    for reward in ["distance", "squared"]:
        points, landmarks = rng.uniform(-1.5, 1.5, (50, 2)), rng.uniform(-1, 1, (50, 2, 2))
        points[0] = landmarks[0].mean(0)  # the midpoint
        points[1] = landmarks[1, 0]  # on a landmark
        inp = _("50 points and landmark pairs, adversary_reward = {reward}").format(reward=repr(reward))
        got = _expect_array(c.call(inp, points.copy(), landmarks.copy(), reward), check, inp, (50,))
        d = np.linalg.norm(points[:, None] - landmarks, axis=-1)  # (K, 2)
        expected = d.mean(1) if reward == "distance" else (d ** 2).mean(1)
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            other = (d ** 2).mean(1) if reward == "distance" else d.mean(1)
            variants = [(_("the sum instead of the mean"), 2 * expected,
                         _("Each landmark is the target with probability 1/2.")),
                        (_("the other reward's formula"), other,
                         _("distance: (d0 + d1) / 2; squared: (d0^2 + d1^2) / 2.")),
                        (_("the first landmark only"), d[:, 0] if reward == "distance" else d[:, 0] ** 2,
                         _("Average over both landmarks: the adversary does not know which one is the target."))]
            raise _Mismatch(check, inp, _fmt(expected), _fmt(got),
                            _match_mistake(got, variants, _("d = distances to both landmarks; return d.mean(1) or "
                                                            "(d**2).mean(1).")))
    c.ok(_("both rewards on 50 points, including a midpoint and a landmark"))
