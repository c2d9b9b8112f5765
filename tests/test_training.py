"""The training loop's two optional knobs of the deception search, on runs with no update
rounds (``minimal_size`` above the steps taken), so that two runs see the same actors."""

import numpy as np
import pytest
import torch

from maddpg_lite import N_ACTIONS, Config, pretrained, train

torch.set_num_threads(1)
NO_UPDATES = dict(episodes=40, num_envs=10, minimal_size=10_000, batch_size=64, buffer_size=2000,
                  eval_interval=40, eval_episodes=10, final_eval_episodes=10)


def action_frequencies(result) -> np.ndarray:
    """``(N, A)`` frequency of each action per agent among the stored transitions."""
    actions = result.buffer.actions[: len(result.buffer)]  # (T, N, A) one-hot
    return actions.mean(axis=0)


def test_defaults_leave_the_recipe_unchanged():
    c = Config()
    assert (c.explore_eps, c.reward_scale) == (0.0, 1.0)


def test_reward_scale_scales_what_the_buffer_stores_and_nothing_else():
    plain = train(Config(**NO_UPDATES), progress=False)
    scaled = train(Config(**NO_UPDATES, reward_scale=2.5), progress=False)
    assert plain.summary["update_rounds"] == scaled.summary["update_rounds"] == 0
    n = len(plain.buffer)
    assert n == 40 * 25
    np.testing.assert_array_equal(plain.buffer.actions[:n], scaled.buffer.actions[:n])
    np.testing.assert_allclose(scaled.buffer.rewards[:n], 2.5 * plain.buffer.rewards[:n], rtol=1e-6)
    assert plain.summary["final_returns"] == scaled.summary["final_returns"]  # reported unscaled


def test_explore_eps_one_gives_uniform_actions_where_the_actors_are_confident():
    # the pretrained actors strongly prefer some moves; eps = 1 replaces every action by a uniform one
    ckpt = pretrained.path("maddpg_seed0")
    greedy = train(Config(**NO_UPDATES, explore_eps=0.0), progress=False, init_from=ckpt)
    random = train(Config(**NO_UPDATES, explore_eps=1.0), progress=False, init_from=ckpt)
    assert greedy.summary["update_rounds"] == random.summary["update_rounds"] == 0
    f_greedy, f_random = action_frequencies(greedy), action_frequencies(random)  # (3, 5) each
    se = np.sqrt(0.2 * 0.8 / len(random.buffer))
    assert np.abs(f_random - 1 / N_ACTIONS).max() < 4.5 * se
    assert np.abs(f_greedy - 1 / N_ACTIONS).max() > 0.1  # the actors' own samples are far from uniform


@pytest.mark.parametrize("field, value", [("explore_eps", 1.5), ("explore_eps", -0.1), ("reward_scale", 0.0),
                                          ("reward_scale", float("nan"))])
def test_bad_values_are_refused_by_name(field, value):
    with pytest.raises(ValueError, match=field):
        Config(**{field: value})


def test_train_builds_its_game_once_and_the_networks_from_its_sizes(monkeypatch):
    """A Config goes down the layers: train() builds the training game from it once (training), asks
    it for its sizes and builds the networks from them; MADDPG never builds a game of its own."""
    import maddpg_lite.maddpg as maddpg_module
    import maddpg_lite.training as training

    built = []
    real = training.make_vec_game
    monkeypatch.setattr(training, "make_vec_game", lambda **kw: built.append(kw) or real(**kw))
    monkeypatch.setattr(maddpg_module, "make_vec_game", lambda **kw: pytest.fail("MADDPG built a game"))
    config = Config(episodes=20, num_envs=10, minimal_size=100, batch_size=32, eval_interval=20, eval_episodes=2,
                    final_eval_episodes=2)
    result = train(config, progress=False)
    assert len(built) == 1 and built[0]["num_envs"] == config.num_envs
    assert result.maddpg.obs_dims == (8, 10, 10) and result.summary["update_rounds"] > 0
