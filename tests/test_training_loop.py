"""The training loop, shown and checked.

* Lesson 05 shows the loop of ``train`` as a function (``training_loop``, in its cell "loop-code").
  Here that very cell runs next to ``maddpg_lite.train`` on short schedules, one game and K games,
  with K dividing the update interval, not dividing it, and larger than it: the same update rounds,
  the same replay buffer and the same weights, bit for bit.
* The capstone's checker ``check_training_loop`` counts rounds with ``checks._update_schedule``; its
  count is the one ``train`` performs.
* Deliberately wrong loops get a "failed" verdict whose hint names the mistake: bootstrapping from
  the reset observation, updating before the buffer is warm, one update per K games instead of one
  per ``update_interval`` environment steps, and the other usual ones.
"""

import copy
import functools
import json
import linecache
from pathlib import Path

import numpy as np
import pytest
import torch

from maddpg_lite import Config, train
from maddpg_lite.checks import _update_schedule, check_training_loop

ROOT = Path(__file__).resolve().parents[1]
LESSON_05 = ROOT / "notebooks" / "05_training.ipynb"

SHORT = dict(batch_size=32, hidden_dim=32, eval_episodes=5, final_eval_episodes=5)
SCHEDULES = [  # (num_envs K, episodes, update_interval, minimal_size)
    (1, 8, 20, 100),  # one game: a round every 20th step once 100 transitions are stored
    (3, 9, 10, 50),  # K does not divide the interval: rounds where a multiple of 10 is passed
    (50, 100, 100, 1000),  # the quick recipe's schedule: a round every second call
    (25, 50, 10, 60),  # K > interval: two or three rounds after each call
]


def lesson_cell(cell_id: str) -> dict:
    """Run the lesson's cell ``cell_id`` in a fresh namespace (its source registered for tracebacks)."""
    cell = next(c for c in json.loads(LESSON_05.read_text())["cells"] if c.get("id") == cell_id)
    src = "".join(cell["source"])
    filename = f"<notebooks/05_training.ipynb, cell {cell_id}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(keepends=True), filename)
    namespace = {}
    exec(compile(src, filename, "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def training_loop():
    return lesson_cell("loop-code")["training_loop"]


def short_config(K, episodes, interval, minimal):
    return Config(episodes=episodes, num_envs=K, update_interval=interval, minimal_size=minimal,
                  eval_interval=episodes, **SHORT)


@pytest.mark.parametrize("K, episodes, interval, minimal", SCHEDULES, ids=lambda v: str(v))
def test_lesson_05_loop_is_trains_loop_bit_for_bit(training_loop, K, episodes, interval, minimal):
    config = short_config(K, episodes, interval, minimal)
    maddpg, buffer, rounds = training_loop(config)
    ref = train(config, progress=False)
    assert rounds == ref.summary["update_rounds"] > 0
    assert rounds == sum(_update_schedule(episodes, K, interval, minimal))  # the capstone checker's count
    assert len(buffer) == len(ref.buffer) == episodes * config.episode_length
    for mine, theirs in [(buffer.obs, ref.buffer.obs), (buffer.next_obs, ref.buffer.next_obs),
                         ([buffer.actions, buffer.rewards, buffer.dones],
                          [ref.buffer.actions, ref.buffer.rewards, ref.buffer.dones])]:
        assert all(np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))
    for kind in ("actors", "critics", "target_actors", "target_critics"):
        for net, ref_net in zip(getattr(maddpg, kind), getattr(ref.maddpg, kind), strict=True):
            assert all(torch.equal(p, q) for p, q in zip(net.parameters(), ref_net.parameters(), strict=True))


def test_lesson_05_loop_is_about_30_lines_and_its_check_runs_in_the_notebook():
    cells = {c.get("id"): "".join(c["source"]) for c in json.loads(LESSON_05.read_text())["cells"]}
    body = cells["loop-code"].split("def training_loop")[1].splitlines()
    assert 25 <= len(body) <= 35
    # the notebook asserts the equality itself, for one game and for 50 games
    assert "assert rounds == ref_rounds and identical" in cells["loop-check"]
    assert "(1, 8," in cells["loop-check"] and "(50, 100," in cells["loop-check"]


def test_schedule_counts_are_trains_for_the_source_and_quick_recipes():
    # the two recipes of the lessons, counted without training them (train's count is checked above)
    assert sum(_update_schedule(200, 50, 100, 1000)) == 41
    assert sum(_update_schedule(5000, 50, 100, 4000)) == 1211
    # measuring the buffer before storing a step's transitions only delays the first round by a call
    assert sum(_update_schedule(200, 50, 100, 1000, before_add=True)) == 40


# ----- the capstone's checker on wrong loops -----------------------------------------------------------
def loop(maddpg, buffer, env, config, rng, *, mistake=None):
    """The K-games loop, right (mistake=None) or with one deliberate mistake."""
    K = env.num_envs
    env_steps = passed = rounds = 0
    obs = list(env.reset().values())
    for episode in range(config.episodes if mistake == "episodes_as_rounds" else config.episodes // K):
        if episode and mistake not in ("reset_observation_as_next", "no_reset"):
            obs = list(env.reset().values())
        for _ in range(25 if mistake == "hardcoded_length" else config.episode_length):
            actions = maddpg.act(obs, explore=mistake != "greedy")
            next_obs, rewards, terminated, truncated = env.step(actions.argmax(-1))
            next_obs = list(next_obs.values())
            dones = np.repeat((truncated if mistake == "done_from_truncation" else terminated)[:, None], 3, axis=1)
            if mistake == "reset_observation_as_next" and truncated.all():
                next_obs = list(env.reset().values())  # the bug: x' of step 25 becomes the next start
            buffer.add(obs, actions, rewards, obs if mistake == "x_as_next" else next_obs, dones)
            obs = next_obs
            env_steps += 1 if mistake == "counts_env_step_calls" else K
            now = env_steps // config.update_interval
            warm = mistake == "not_warm" or len(buffer) >= config.minimal_size
            if mistake == "one_update_per_k_games":
                todo = 1 if warm else 0
            elif mistake == "exact_multiples":
                todo = 1 if warm and env_steps % config.update_interval == 0 else 0
            elif mistake == "makes_up_the_warm_up":
                todo = now - rounds if warm else 0
            else:
                todo = now - passed if warm else 0
            for _ in range(todo):
                maddpg.update(buffer.sample(config.batch_size, rng))
                rounds += 1
            passed = now
    return rounds + (mistake == "wrong_count")


WRONG_LOOPS = [  # (mistake, checker mode, phrases the verdict must contain)
    ("reset_observation_as_next", 1,
     ["step 25 of an episode, game 0: x'", "bootstrapping from the reset observation", "store the real x'"]),
    ("not_warm", 1, ["Updating before the buffer is warm", "an update with 10 transitions in the buffer"]),
    ("one_update_per_k_games", None,
     ["one update round per env.step() (per K games) instead of one per update_interval environment steps"]),
    ("counts_env_step_calls", None, ["env.step() calls counted as environment steps", "num_envs=4"]),
    ("exact_multiples", None, ["only exact multiples counted", "env_steps // update_interval"]),
    ("makes_up_the_warm_up", 1, ["made up later; they are skipped"]),
    ("done_from_truncation", 1, ["the time limit (truncated) is not a termination"]),
    ("x_as_next", 1, ["Your x' equals x"]),
    ("greedy", 1, ["maddpg.act(obs, explore=True)", "are the greedy ones"]),
    ("no_reset", 1, ["150 steps without a reset", "call env.reset() at the start of every episode"]),
    ("hardcoded_length", 1, ["an episode of 25 steps", "config.episode_length = 7"]),
    ("episodes_as_rounds", None, ["config.episodes = 8 counts single games", "8 rounds"]),
    ("wrong_count", 1, ["returns the number of update rounds it ran", "Count the maddpg.update(...) calls"]),
]


@pytest.mark.parametrize("mistake, num_envs, phrases", WRONG_LOOPS, ids=[m for m, _, _ in WRONG_LOOPS])
def test_wrong_loop_is_caught_and_named(mistake, num_envs, phrases):
    result = check_training_loop(functools.partial(loop, mistake=mistake), num_envs=num_envs)
    assert result.status == "failed", result.message
    for phrase in phrases:
        assert phrase in result.message, f"{phrase!r} not in:\n{result.message}"
    assert "expected:" in result.message and "hint:" in result.message
    assert f"check {len(result.checks) + 1} did not hold ({len(result.checks)} passed before it)" in result.message


def test_right_loop_passes_the_one_game_checks_without_a_training_run():
    # the K-games checks and their training run are passed by the capstone's solution (tests/test_checks.py)
    result = check_training_loop(functools.partial(loop, mistake=None), num_envs=1)
    assert result.passed and len(result.checks) == 5
    assert not any("it learns" in c for c in result.checks)
    with pytest.raises(ValueError, match="num_envs must be 1"):
        check_training_loop(loop, num_envs=4)


def test_a_loop_that_does_not_learn_fails_the_learning_check():
    # right schedule and right transitions, but it hands back its actors as they started: nothing learned
    def forgets_what_it_learned(maddpg, buffer, env, config, rng):
        initial = [copy.deepcopy(actor.state_dict()) for actor in maddpg.actors]
        rounds = loop(maddpg, buffer, env, config, rng)
        for actor, state in zip(maddpg.actors, initial):
            actor.load_state_dict(state)
        return rounds

    result = check_training_loop(forgets_what_it_learned)
    assert result.status == "failed", result.message
    assert "check 6 did not hold (5 passed before it)" in result.message
    assert "it learns: the trained adversary beats a random adversary" in result.message
