"""Config is the single source of defaults, documentation and CLI flags."""

import dataclasses

import pytest

from maddpg_lite.config import QUICK_ENV_VAR, Config, field_docs, quick_mode
from maddpg_lite.training import build_parser, config_from_args


def test_defaults_are_the_source_recipe():
    c = Config()
    assert (c.episodes, c.episode_length, c.buffer_size, c.hidden_dim) == (5000, 25, 100_000, 64)
    assert (c.actor_lr, c.critic_lr, c.gamma, c.tau) == (1e-2, 1e-2, 0.95, 1e-2)
    assert (c.batch_size, c.update_interval, c.minimal_size) == (1024, 100, 4000)
    assert (c.gumbel_tau, c.seed, c.centralized) == (1.0, 0, True)


def test_every_field_has_a_docstring_and_a_flag():
    docs = field_docs(Config)
    names = [f.name for f in dataclasses.fields(Config)]
    assert sorted(docs) == sorted(names)
    assert all(len(docs[n]) > 10 for n in names)
    help_text = build_parser().format_help()
    for n in names:
        assert "--" + n.replace("_", "-") in help_text


def test_flags_round_trip_into_config():
    args = build_parser().parse_args(["--minimal-size", "7", "--gumbel-tau", "0.5", "--no-centralized",
                                      "--batch-size", "32"])
    c = config_from_args(args)
    assert (c.minimal_size, c.gumbel_tau, c.centralized, c.batch_size) == (7, 0.5, False, 32)
    assert config_from_args(build_parser().parse_args([])) == Config()


@pytest.mark.parametrize("field,value", [("episodes", 0), ("gumbel_tau", -1.0), ("gamma", 1.5),
                                         ("batch_size", 10**9), ("episodes", 15), ("actor_lr", float("nan")),
                                         ("agent_threads", 0)])
def test_bad_values_name_themselves(field, value):
    with pytest.raises(ValueError, match=field):
        Config(**{field: value})


def test_quick_mode_switch(monkeypatch):
    monkeypatch.setenv(QUICK_ENV_VAR, "1")
    assert quick_mode()
    quick = Config.for_lesson()
    assert quick.episodes < Config().episodes and quick.minimal_size < quick.episodes * quick.episode_length
    assert Config.for_lesson(seed=3).seed == 3
    monkeypatch.setenv(QUICK_ENV_VAR, "0")
    assert not quick_mode() and Config.for_lesson() == Config()
