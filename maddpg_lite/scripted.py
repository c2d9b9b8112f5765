"""Hand-written strategies for simple_adversary, and the payoff table they fill.

Is splitting over the two landmarks even the best reply in this game? Instead of training, play
every good-agent strategy against every adversary strategy on the same fixed-seed episodes and
read the returns: a small game-theory lesson (notebooks/07_deception.ipynb).

Good agents: ``rush`` (both run to the target), ``split`` (one per landmark, the pairing with the
shorter total distance; both agents compute the same pairing from what they see), ``stay``.
Adversary: ``follow`` (run to the nearest good agent), ``midpoint`` (wait between the landmarks),
``random`` (a landmark picked at random each episode), ``oracle`` (run to the target, read from a
good agent's observation: a cheat, the adversary's best case).

Every strategy except the oracle is decentralized: it reads only its own observation and its own
velocity, which it tracks itself (the game's dynamics are known: ``v <- 0.75 v + 0.5 u`` per step).
To reach a point it picks the action whose predicted offset after two steps is smallest, which
brakes before the goal instead of overshooting it.
"""

from __future__ import annotations

import numpy as np

from .env import _ACTION_TO_U, _DAMPING, _DT, _SENSITIVITY, AGENTS
from .evaluation import EVAL_SEED, evaluate

GOOD_STRATEGIES = ("rush", "split", "stay")
ADVERSARY_STRATEGIES = ("follow", "midpoint", "random", "oracle")


def steer(goal_rel: np.ndarray, velocity: np.ndarray) -> np.ndarray:
    """The action that brings an agent nearest to its goal two steps ahead.

    Args:
        goal_rel: ``(K, 2)`` goal minus the agent's position.
        velocity: ``(K, 2)`` the agent's velocity.

    Returns:
        ``(K,)`` integer actions. The position moves with the old velocity first, so the action
        chosen now acts on the position from the step after: offset after two steps =
        ``goal_rel - dt v - dt ((1 - damping) v + dt 5 u)``.
    """
    du = _ACTION_TO_U * _SENSITIVITY * _DT  # (A, 2) velocity change of each action
    v_next = (1 - _DAMPING) * velocity[:, None, :] + du[None]  # (K, A, 2)
    offset = goal_rel[:, None, :] - _DT * velocity[:, None, :] - _DT * v_next
    return np.argmin(np.sum(offset ** 2, axis=-1), axis=1)


class ScriptedTeam:
    """A joint policy: the good agents play ``good``, the adversary plays ``adversary``.

    Observations (mpe2's layout, relative positions): the adversary sees the two landmarks
    (0:4) and agent_0, agent_1 (4:8); good agent i sees the target (0:2), the two landmarks
    (2:6), the adversary (6:8) and the other good agent (8:10).
    """

    def __init__(self, good: str, adversary: str, seed: int = 0):
        if good not in GOOD_STRATEGIES:
            raise ValueError(f"unknown good-agent strategy {good!r}; choose one of {', '.join(GOOD_STRATEGIES)}")
        if adversary not in ADVERSARY_STRATEGIES:
            raise ValueError(f"unknown adversary strategy {adversary!r}; "
                             f"choose one of {', '.join(ADVERSARY_STRATEGIES)}")
        self.good, self.adversary, self.seed = good, adversary, seed
        self.velocity = None  # (K, 3, 2)
        self.pick = None  # (K,) the random adversary's landmark

    def reset(self, seeds) -> None:
        """Start K episodes: nobody moves yet; the random adversary picks its landmarks."""
        seeds = list(seeds)
        self.velocity = np.zeros((len(seeds), len(AGENTS), 2))
        self.pick = np.array([np.random.default_rng([self.seed, int(s)]).integers(2) for s in seeds])

    def _goals(self, obs) -> list:
        """Per agent ``(K, 2)`` goal relative to itself, or None to stay."""
        adv, a0, a1 = (np.asarray(obs[name], dtype=float) for name in AGENTS)
        k = len(adv)
        goals = [None, None, None]
        if self.good != "stay":
            goals[1], goals[2] = a0[:, 0:2], a1[:, 0:2]  # the target
            if self.good == "split":
                # landmarks and the target seen by agent_0; agent_1's position relative to agent_0
                lm0, lm1, target, other = a0[:, 2:4], a0[:, 4:6], a0[:, 0:2], a0[:, 8:10]
                decoy = np.where(np.all(np.isclose(lm0, target), axis=1)[:, None], lm1, lm0)
                keep = (np.linalg.norm(target, axis=1) + np.linalg.norm(decoy - other, axis=1)
                        <= np.linalg.norm(decoy, axis=1) + np.linalg.norm(target - other, axis=1))
                goals[1] = np.where(keep[:, None], target, decoy)
                # agent_1 computes the same pairing from its own view; here the geometry is shared
                other_lm0, other_lm1, other_target = a1[:, 2:4], a1[:, 4:6], a1[:, 0:2]
                on_lm0 = np.all(np.isclose(other_lm0, other_target), axis=1)[:, None]
                other_decoy = np.where(on_lm0, other_lm1, other_lm0)
                goals[2] = np.where(keep[:, None], other_decoy, other_target)
        landmarks = adv[:, 0:4].reshape(k, 2, 2)
        if self.adversary == "follow":
            agents = adv[:, 4:8].reshape(k, 2, 2)
            nearest = np.argmin(np.linalg.norm(agents, axis=-1), axis=1)
            goals[0] = agents[np.arange(k), nearest]
        elif self.adversary == "midpoint":
            goals[0] = landmarks.mean(axis=1)
        elif self.adversary == "random":
            goals[0] = landmarks[np.arange(k), self.pick]
        else:  # oracle: agent_0's position (seen by the adversary) plus the target seen from agent_0
            goals[0] = adv[:, 4:6] + a0[:, 0:2]
        return goals

    def __call__(self, obs) -> np.ndarray:
        k = len(obs[AGENTS[0]])
        if self.velocity is None or len(self.velocity) != k:
            self.reset(range(k))
        actions = np.zeros((k, len(AGENTS)), dtype=np.int64)
        for i, goal in enumerate(self._goals(obs)):
            if goal is not None:
                actions[:, i] = steer(goal, self.velocity[:, i])
        u = _ACTION_TO_U[actions] * _SENSITIVITY  # (K, 3, 2) the force each agent applies now
        self.velocity = (1 - _DAMPING) * self.velocity + u * _DT  # the game's own update, mass 1
        return actions


def payoff_table(episodes: int = 1000, seed: int = EVAL_SEED,
                 adversary_rewards=("distance", "squared")) -> list[dict]:
    """Every good strategy against every adversary strategy, under each adversary reward, on the
    same ``episodes`` fixed-seed episodes.

    Returns:
        one dict per (adversary_reward, good, adversary): mean returns (``good_return`` is
        agent_0's, equal to agent_1's), the rates and the hedging distances of :func:`evaluate`.
    """
    rows = []
    for reward in adversary_rewards:
        for good in GOOD_STRATEGIES:
            for adversary in ADVERSARY_STRATEGIES:
                r = evaluate(ScriptedTeam(good, adversary), episodes, seed,
                             env_kwargs={"adversary_reward": reward})
                rows.append({"adversary_reward": reward, "good": good, "adversary": adversary,
                             "good_return": r["returns"]["agent_0"], "adversary_return": r["returns"]["adversary_0"],
                             **r["deception"], **r["hedging"]})
    return rows


def best_replies(rows: list[dict], adversary_reward: str) -> dict:
    """``{"good": {adversary strategy: best good strategy}, "adversary": {good strategy: best
    adversary strategy}}`` under ``adversary_reward``: the highest mean return of each side
    against each strategy of the other. A pair that are best replies to each other is a
    (pure-strategy) equilibrium of this small table."""
    table = {(r["good"], r["adversary"]): r for r in rows if r["adversary_reward"] == adversary_reward}
    good = {a: max(GOOD_STRATEGIES, key=lambda g: table[(g, a)]["good_return"]) for a in ADVERSARY_STRATEGIES}
    adversary = {g: max((a for a in ADVERSARY_STRATEGIES if a != "oracle"),
                        key=lambda a, g=g: table[(g, a)]["adversary_return"])
                 for g in GOOD_STRATEGIES}
    return {"good": good, "adversary": adversary}
