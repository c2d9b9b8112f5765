"""The shipped checkpoints load and still play exactly as recorded when they were made."""

import pytest

from maddpg_lite import MADDPG, Config, evaluate, pretrained
from maddpg_lite.evaluation import env_kwargs


@pytest.mark.parametrize("name", list(pretrained.RECIPES))
def test_checkpoint_reproduces_its_recorded_evaluation(name):
    agent = pretrained.load(name)
    assert isinstance(agent, MADDPG)
    rec = pretrained.recorded(name)
    config = Config(**rec["config"])
    assert agent.centralized == config.centralized == pretrained.RECIPES[name]["centralized"]
    assert agent.hidden_dim == config.hidden_dim
    for key, value in pretrained.RECIPES[name].items():  # made by the documented recipe
        assert getattr(config, key) == value
    measured = evaluate(agent, rec["episodes"], env_kwargs=env_kwargs(config))  # its own game
    for agent_name, value in rec["returns"].items():
        assert measured["returns"][agent_name] == pytest.approx(value, abs=1e-9)
    for key in ("deception", "hedging", "metrics", "metrics_over_frames"):  # whichever it recorded
        if key in rec:
            assert measured[key] == pytest.approx(rec[key], abs=1e-9), key
    assert "metrics" in rec or "deception" in rec


def test_direct_load_equals_named_load():
    a, b = MADDPG.load(pretrained.path("maddpg_seed0")), pretrained.load("maddpg_seed0")
    for net_a, net_b in zip(a.actors, b.actors):
        for (k, va), (_, vb) in zip(net_a.state_dict().items(), net_b.state_dict().items()):
            assert (va == vb).all(), k


def test_checkpoints_are_small_and_names_are_checked():
    total = sum(pretrained.path(name).stat().st_size for name in pretrained.RECIPES)
    assert total <= 2_000_000  # all checkpoints together under 2 MB
    with pytest.raises(ValueError, match="unknown pretrained"):
        pretrained.path("nope")
