"""The shipped checkpoints load and still play as recorded when they were made (within the measured
tolerance of another computer's rounding)."""

import pytest
import torch

from maddpg_lite import MADDPG, Config, pretrained
from maddpg_lite.evaluation import REPLAY_TOLERANCE, largest_difference


@pytest.mark.parametrize("name", list(pretrained.RECIPES))
def test_checkpoint_reproduces_its_recorded_evaluation(name):
    """Within REPLAY_TOLERANCE (0.05), not to the bit: the recorded numbers were measured on another
    computer, whose rounding differs (this one moves the paper checkpoint's returns by about 2e-7)."""
    agent = pretrained.load(name)
    assert isinstance(agent, MADDPG)
    rec = pretrained.recorded(name)
    config = Config(**rec["config"])
    assert agent.centralized == config.centralized == pretrained.RECIPES[name]["centralized"]
    assert agent.hidden_dim == config.hidden_dim
    for key, value in pretrained.RECIPES[name].items():  # made by the documented recipe
        assert getattr(config, key) == value
    recorded, measured = pretrained.replay(name, agent)
    assert "returns" in recorded and ("metrics" in recorded or "deception" in recorded)
    where, difference = largest_difference(measured, recorded)
    assert difference <= REPLAY_TOLERANCE, f"{name}: {where} is {difference:.3g} away from its recorded value"


def test_the_tolerance_covers_another_computers_rounding(monkeypatch):
    """REPLAY_TOLERANCE holds when every loaded weight is multiplied by 1 + 1e-5 z (one fixed draw):
    the stand-in for another computer that the lessons are also run under (test_perturbed_lessons.py)."""
    monkeypatch.setenv("MADDPG_LITE_PERTURB_WEIGHTS", "1e-5")
    moved = 0
    for name in pretrained.RECIPES:
        perturbed = pretrained.load(name)
        recorded, measured = pretrained.replay(name, perturbed)
        where, difference = largest_difference(measured, recorded)
        assert difference <= REPLAY_TOLERANCE, f"{name}: {where} moved by {difference:.3g}"
        moved += difference > 1e-6
    assert moved >= 1  # the perturbation is large enough to change some evaluation


def test_largest_difference_walks_nested_records():
    recorded = {"returns": {"a": 1.0, "b": -2.0}, "rates": [0.5, 0.25]}
    measured = {"returns": {"a": 1.0, "b": -2.5, "extra": 9.0}, "rates": [0.5, 0.375], "other": 1}
    assert largest_difference(measured, recorded) == ("returns.b", 0.5)
    assert largest_difference(recorded, recorded) == ("returns.a", 0.0)
    with pytest.raises(ValueError):  # a list of another length is not the same record
        largest_difference({"rates": [0.5]}, {"rates": [0.5, 0.25]})


def test_perturbed_loading_is_seeded_and_relative(monkeypatch):
    plain = pretrained.load("maddpg_seed0")
    monkeypatch.setenv("MADDPG_LITE_PERTURB_WEIGHTS", "1e-5")
    first, again = pretrained.load("maddpg_seed0"), pretrained.load("maddpg_seed0")
    w0, w1, w2 = (m.actors[0][0].weight.detach() for m in (plain, first, again))
    assert torch.equal(w1, w2) and not torch.equal(w0, w1)
    relative = ((w1.double() - w0.double()) / w0.double()).abs()
    assert 1e-7 < relative.mean() < 2e-5 and relative.max() < 1e-4
    monkeypatch.setenv("MADDPG_LITE_PERTURB_WEIGHTS", "tiny")
    with pytest.raises(ValueError, match="MADDPG_LITE_PERTURB_WEIGHTS='tiny'"):
        pretrained.load("maddpg_seed0")


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
