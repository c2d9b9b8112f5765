"""The hand-written strategies do what their names say, measured on the game itself."""

import numpy as np
import pytest

from maddpg_lite.env import _ACTION_TO_U
from maddpg_lite.evaluation import evaluate
from maddpg_lite.scripted import ADVERSARY_STRATEGIES, GOOD_STRATEGIES, ScriptedTeam, best_replies, payoff_table, steer


def test_steer_moves_towards_the_goal_and_brakes():
    goal = np.array([[1.0, 0.0], [0.0, -1.0], [0.0, 0.0]])
    still = np.zeros((3, 2))
    actions = steer(goal, still)
    assert actions.tolist() == [2, 3, 0]  # right, down, and nothing to do at the goal
    # moving fast towards a goal just ahead: braking (the opposite action) beats pushing on
    assert steer(np.array([[0.1, 0.0]]), np.array([[2.0, 0.0]])).tolist() == [1]
    assert (_ACTION_TO_U[1] == [-1, 0]).all()


@pytest.fixture(scope="module")
def measured():
    return {(g, a): evaluate(ScriptedTeam(g, a), 200) for g in GOOD_STRATEGIES for a in ADVERSARY_STRATEGIES}


def test_strategies_do_what_their_names_say(measured):
    for a in ADVERSARY_STRATEGIES:
        assert measured[("split", a)]["deception"]["all_landmarks_covered"] > 0.95  # one agent on each landmark
        assert measured[("rush", a)]["deception"]["good_on_target"] > 0.95
    for g in GOOD_STRATEGIES:
        assert measured[(g, "oracle")]["deception"]["adversary_on_target"] > 0.95
        assert measured[(g, "midpoint")]["hedging"]["adversary_to_midpoint"] < 0.1
        # a random landmark is the target about half the time
        assert 0.35 < measured[(g, "random")]["deception"]["adversary_closer_to_target"] < 0.65
    # staying: nobody moves, so the good agents' final distances are their starting ones
    assert measured[("stay", "oracle")]["deception"]["good_success"] < 0.35


def test_payoff_table_and_best_replies():
    rows = payoff_table(episodes=100)
    assert len(rows) == 2 * len(GOOD_STRATEGIES) * len(ADVERSARY_STRATEGIES)
    by = {(r["adversary_reward"], r["good"], r["adversary"]): r for r in rows}
    # the good agents' reward does not depend on the adversary's reward form; the adversary's does
    for g in GOOD_STRATEGIES:
        for a in ADVERSARY_STRATEGIES:
            assert by[("distance", g, a)]["good_return"] == by[("squared", g, a)]["good_return"]
    rush = [by[(reward, "rush", "random")]["adversary_return"] for reward in ("distance", "squared")]
    assert rush[0] != rush[1]
    replies = best_replies(rows, "distance")
    assert set(replies["good"]) == set(ADVERSARY_STRATEGIES) and set(replies["adversary"]) == set(GOOD_STRATEGIES)
    for a, g in replies["good"].items():  # a best reply really is the best in its column
        assert all(by[("distance", g, a)]["good_return"] >= by[("distance", other, a)]["good_return"]
                   for other in GOOD_STRATEGIES)
    with pytest.raises(ValueError, match="unknown good-agent strategy 'hide'"):
        ScriptedTeam("hide", "follow")
