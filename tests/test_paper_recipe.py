"""The MADDPG paper's ingredients, each an option whose default is the book's recipe: soft
actions, per-tensor gradient clipping, a batch per agent, the presets and the game keywords."""

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_maddpg import B, N, make_batch, make_maddpg, params

from maddpg_lite.config import PRESETS, Config, preset
from maddpg_lite.env import N_ACTIONS, OBS_DIMS
from maddpg_lite.evaluation import SoftPolicy, as_policy, evaluate, team_policy
from maddpg_lite.functional import sample_gumbel
from maddpg_lite.maddpg import ACTOR_LOGIT_PENALTY, clip_grad_per_tensor
from maddpg_lite.training import build_parser, config_from_args, main, train

torch.set_num_threads(1)


# ----- per-tensor clipping ------------------------------------------------------------------------
def test_clip_grad_per_tensor_is_tensorflows_clip_by_norm_on_each_tensor():
    small, large = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2, 2))
    small.grad = torch.tensor([0.3, 0.4])  # norm 0.5: kept
    large.grad = torch.tensor([[3.0, 0.0], [0.0, 4.0]])  # norm 5: scaled to 0.5
    clip_grad_per_tensor([small, large], 0.5)
    torch.testing.assert_close(small.grad, torch.tensor([0.3, 0.4]))
    torch.testing.assert_close(large.grad, torch.tensor([[0.3, 0.0], [0.0, 0.4]]))
    # not the global norm: torch's clip_grad_norm_ would also have shrunk the small tensor
    assert small.grad.norm() == pytest.approx(0.5)


@pytest.mark.parametrize("fast", [False, True])
def test_update_steps_with_clipped_gradients(fast, monkeypatch):
    """Every optimizer step of the update round sees clipped gradients: the plain MADDPG's
    (optimizer.step) and the trainer's FastMADDPG's (fast.adam_step)."""
    import maddpg_lite.fast as fast_module

    m = make_maddpg(grad_clip=0.01, **({"cls": fast_module.FastMADDPG} if fast else {}))
    seen = []
    if fast:
        original = fast_module.adam_step

        def step(optimizer, params):
            seen.extend(float(p.grad.norm()) for p in params)
            return original(optimizer, params)

        monkeypatch.setattr(fast_module, "adam_step", step)
    else:
        for optimizer in m.critic_optimizers + m.actor_optimizers:
            def step(optimizer=optimizer, original=optimizer.step):
                seen.extend(float(p.grad.norm()) for g in optimizer.param_groups for p in g["params"])
                return original()

            monkeypatch.setattr(optimizer, "step", step)
    m.update(make_batch())
    assert len(seen) == 2 * 3 * 6 and max(seen) <= 0.01 * (1 + 1e-5)  # 3 critics, 3 actors, 6 tensors each


# ----- a batch per agent ---------------------------------------------------------------------------
def test_per_agent_batches_update_agent_i_from_batch_i_only():
    a, b = make_maddpg(seed=1), make_maddpg(seed=1)
    torch.manual_seed(0)  # the same Gumbel noise for agent 0's actor step, which comes first
    a.update([make_batch(0), make_batch(1), make_batch(2)])
    torch.manual_seed(0)
    b.update([make_batch(0), make_batch(5), make_batch(6)])  # agent 0's batch is the same
    agent_0 = [params([m.actors[0], m.critics[0]]) for m in (a, b)]
    assert all(torch.equal(x, y) for x, y in zip(*agent_0))
    assert not torch.equal(params([a.critics[1]])[0], params([b.critics[1]])[0])


def test_the_same_batch_for_every_agent_is_the_books_update():
    a, b = make_maddpg(seed=2), make_maddpg(seed=2)
    batch = make_batch(3)
    torch.manual_seed(0)
    a.update(batch)
    torch.manual_seed(0)
    b.update([batch] * N)
    assert all(torch.equal(x, y) for x, y in zip(params(a.actors + a.critics), params(b.actors + b.critics)))
    with pytest.raises(ValueError, match="3 batches"):
        a.update([batch, batch])


# ----- soft actions --------------------------------------------------------------------------------
def test_soft_mode_acts_with_soft_samples_and_given_noise():
    m = make_maddpg(action_mode="soft", gumbel_tau=0.7)
    obs = [np.random.default_rng(0).normal(size=(4, d)).astype(np.float32) for d in OBS_DIMS]
    sampled = m.act(obs, explore=True)  # (K, N, A) points of the simplex, not one-hots
    assert sampled.shape == (4, N, N_ACTIONS)
    np.testing.assert_allclose(sampled.sum(-1), 1.0, rtol=1e-6)
    assert (sampled.max(-1) < 1.0).all()
    g = sample_gumbel((4, N, N_ACTIONS), generator=torch.Generator().manual_seed(1))
    given = m.act(obs, gumbel_noise=g)
    for i in range(N):
        logits = m.actors[i](torch.as_tensor(obs[i]))
        np.testing.assert_allclose(given[:, i], F.softmax((logits + g[:, i]) / 0.7, -1).detach().numpy(), rtol=1e-6)
    assert (m.act(obs).sum(-1) == 1).all() and set(np.unique(m.act(obs))) == {0.0, 1.0}  # greedy: one-hots


def test_soft_mode_losses_use_soft_samples():
    m = make_maddpg(action_mode="soft", gumbel_tau=0.5)
    batch = make_batch()
    torch.manual_seed(3)
    next_actions = m.target_actions(batch.next_obs)
    torch.manual_seed(3)  # the same noise, drawn by hand: soft samples of the target actors
    for j in range(N):
        g = sample_gumbel((B, N_ACTIONS))
        expected = F.softmax((m.target_actors[j](batch.next_obs[j]) + g) / 0.5, -1)
        torch.testing.assert_close(next_actions[j], expected)
    for i in range(N):
        torch.manual_seed(10 + i)
        loss = m.actor_loss(i, batch)
        torch.manual_seed(10 + i)
        logits = m.actors[i](batch.obs[i])
        actions = list(batch.actions.unbind(1))
        actions[i] = F.softmax((logits + sample_gumbel(logits.shape)) / 0.5, -1)  # no straight-through
        q = m.critics[i](torch.cat(batch.obs + actions, 1))[:, 0]
        torch.testing.assert_close(loss, -q.mean() + ACTOR_LOGIT_PENALTY * (logits ** 2).mean(), rtol=1e-6, atol=0)


def test_soft_evaluation_is_seeded_per_episode():
    m = make_maddpg(action_mode="soft")
    policy = as_policy(m)
    assert isinstance(policy, SoftPolicy)
    policy.reset(range(100, 110))
    ten = policy.noise.clone()
    policy.reset(range(100, 105))
    torch.testing.assert_close(policy.noise, ten[:5], rtol=0, atol=0)  # episode j's noise ignores K
    a, b = evaluate(m, 20), evaluate(m, 20)
    assert a["returns"] == b["returns"] and a["deception"] == b["deception"]
    greedy = evaluate(make_maddpg(), 20)
    assert a["returns"] != greedy["returns"]


def test_team_policy_mixes_a_soft_and_a_greedy_side():
    soft, greedy = make_maddpg(action_mode="soft"), make_maddpg(seed=4)
    # teams go by name: adversary_0 from one policy, agent_0 and agent_1 from the other
    obs = {name: np.random.default_rng(i).normal(size=(3, d)).astype(np.float32)
           for i, (name, d) in enumerate(zip(("adversary_0", "agent_0", "agent_1"), OBS_DIMS))}
    team = team_policy(adversary=greedy, good=soft)
    team.reset([0, 1, 2])
    actions = team(obs)
    assert actions.shape == (3, N, N_ACTIONS)
    np.testing.assert_array_equal(actions[:, 0], np.eye(N_ACTIONS)[greedy.act(obs).argmax(-1)[:, 0]])
    assert (actions[:, 1:].max(-1) < 1).all()  # the good agents' soft samples


# ----- presets, the command line, whole runs ---------------------------------------------------------
def test_presets_name_the_recipes_field_by_field():
    assert PRESETS["book"] == {} and preset("book") == Config()
    paper = preset("paper")
    assert (paper.action_mode, paper.game_kwargs, paper.grad_clip, paper.per_agent_batches) == (
        "soft", {"adversary_reward": "squared"}, 0.5, True)
    assert (paper.episodes, paper.minimal_size, paper.buffer_size) == (60_000, 25_600, 1_000_000)
    factorial = {(preset(n).action_mode, preset(n).game_kwargs["adversary_reward"]) for n in PRESETS if n != "book"}
    assert factorial == {(a, r) for a in ("one-hot", "soft") for r in ("distance", "squared")}
    for name in PRESETS:  # the factorial's recipes differ from the paper's in those two fields only
        if name != "book":
            diff = {f.name for f in dataclasses.fields(Config)
                    if getattr(preset(name), f.name) != getattr(paper, f.name)}
            assert diff <= {"action_mode", "game_kwargs"}
    with pytest.raises(ValueError, match="unknown preset 'papr'"):
        preset("papr")


def test_command_line_presets_and_game_keywords():
    parse = lambda *argv: config_from_args(build_parser().parse_args(list(argv)))  # noqa: E731
    assert parse() == Config()
    c = parse("--preset", "paper", "--episodes", "100", "--game-kwargs", "adversary_reward=distance")
    assert c == dataclasses.replace(preset("paper"), episodes=100, game_kwargs={"adversary_reward": "distance"})
    assert parse("--game-kwargs", "adversary_reward=squared").game_kwargs == {"adversary_reward": "squared"}


@pytest.mark.parametrize("argv,message", [
    (["--game-kwargs", "colour=red"], "unknown game keyword 'colour'"),
    (["--game-kwargs", "adversary_reward=cubed"], "adversary_reward='cubed'"),
    (["--game-kwargs", "adversary_reward"], "KEY=VALUE"),
    (["--action-mode", "hard"], "action_mode='hard'"),
    (["--grad-clip", "-1"], "grad_clip=-1"),
])
def test_bad_recipe_flags_end_with_one_line_and_write_nothing(argv, message, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(argv + ["--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


TINY = dict(episodes=40, num_envs=10, minimal_size=200, batch_size=64, update_interval=50, eval_interval=20,
            eval_episodes=20, final_eval_episodes=30, buffer_size=10_000)


def test_a_tiny_paper_run_learns_soft_and_is_reproducible(tmp_path):
    config = preset("paper", **TINY)
    a = train(config, tmp_path / "a", progress=False)
    train(config, tmp_path / "b", progress=False)
    assert (tmp_path / "a" / "history.csv").read_bytes() == (tmp_path / "b" / "history.csv").read_bytes()
    assert a.summary["update_rounds"] > 0
    stored = a.buffer.actions[: len(a.buffer)]
    assert (stored.max(-1) < 1).mean() > 0.99  # soft samples were stored, not one-hots
    np.testing.assert_allclose(stored.sum(-1), 1.0, rtol=1e-5)
    # the game was the squared one: the random baseline's adversary return differs from mpe2's -d
    book = train(Config(**TINY), progress=False)
    assert a.summary["baselines"]["random"]["returns"] != book.summary["baselines"]["random"]["returns"]
    assert set(a.summary["hedging"]) == {"adversary_to_target", "adversary_to_decoy", "adversary_to_midpoint"}


def test_a_killed_run_keeps_its_history_so_far(tmp_path, monkeypatch):
    import maddpg_lite.training as training

    calls = {"n": 0}
    original = training.evaluate

    def evaluate_then_die(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second evaluation: the run dies as if killed
            raise SystemExit("killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "evaluate", evaluate_then_die)
    with pytest.raises(SystemExit):
        train(Config(**TINY), tmp_path, progress=False)
    rows = (tmp_path / "history.csv").read_text().splitlines()
    assert rows[0] == "episode,adversary_0,agent_0,agent_1" and len(rows) == 2 and rows[1].startswith("20,")
