"""One trainer for every MPE game (issue 11): ``python -m maddpg_lite.train --scenario S`` on the
seven mpe2 games of the paper, simple_adversary through both backends to the byte, per-agent
action sizes, early termination, and the one-line refusals."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from test_cli import run_main  # main(argv) in this process: (exit code, stdout, stderr)

from maddpg_lite import MADDPG, pretrained
from maddpg_lite.buffer import ReplayBuffer
from maddpg_lite.config import Config
from maddpg_lite.games import PAPER_SCENARIOS, Mpe2VecGame, adversary_mask, scenario_module
from maddpg_lite.maddpg import per_agent
from maddpg_lite.training import output_names, train

torch.set_num_threads(1)

# the issue's command, with small evaluations (the test suite's budget)
ISSUE_FLAGS = ["--episodes", 200, "--num-envs", 50, "--minimal-size", 1000, "--final-eval-episodes", 50,
               "--eval-episodes", 10, "--no-progress"]


def mpe2_spaces(scenario):
    env = scenario_module(scenario).parallel_env()
    agents = tuple(env.possible_agents)
    return (agents, tuple(env.observation_space(a).shape[0] for a in agents),
            tuple(env.action_space(a).n for a in agents))


@pytest.mark.parametrize("scenario", PAPER_SCENARIOS)
def test_every_paper_game_trains_from_the_command_line(scenario, tmp_path, capsys):
    out = tmp_path / scenario
    code, stdout, stderr = run_main(["--scenario", scenario, *ISSUE_FLAGS, "--out", out], capsys)
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    agents, obs_dims, action_dims = mpe2_spaces(scenario)
    assert summary["scenario"] == scenario and tuple(summary["agents"]) == agents
    assert summary["adversaries"] == adversary_mask(agents).tolist()
    assert sorted(p.name for p in out.iterdir()) == sorted(output_names(summary["metric_groups"]))
    # 200 episodes x 25 steps = 5000 env steps; a round every 100 steps once D holds 1000
    assert summary["env_steps"] == 5000 and summary["update_rounds"] == 41
    assert set(summary["final_returns"]) == set(agents)
    assert all(np.isfinite(v) for v in summary["final_returns"].values())
    assert set(summary["baselines"]) == {"random", "noop"}
    with open(out / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["episode", *agents] and [r[0] for r in rows[1:]] == ["100", "200"]
    for group, keys in summary["metric_groups"].items():  # the game's own metrics, one CSV per group
        with open(out / f"{group}.csv", newline="") as f:
            assert next(csv.reader(f)) == ["episode", *keys]
        assert set(summary[group]) == set(keys)
    # the checkpoint has one actor per agent with that agent's own number of actions
    agent = MADDPG.load(out / "checkpoint.pt")
    assert agent.obs_dims == obs_dims and agent.action_dims == action_dims
    assert [net[-1].out_features for net in agent.actors] == list(action_dims)
    assert f"{summary['update_rounds']} update rounds" in stdout


@pytest.mark.parametrize("mode", ["one-hot", "soft"])
def test_simple_adversary_trains_to_the_same_bytes_through_both_backends(mode, tmp_path, capsys):
    flags = ["--episodes", 100, "--num-envs", 10, "--minimal-size", 200, "--batch-size", 64, "--update-interval", 50,
             "--eval-interval", 50, "--eval-episodes", 10, "--final-eval-episodes", 20, "--action-mode", mode,
             "--no-progress"]
    outs = {}
    for backend in ("numpy", "mpe2"):
        outs[backend] = tmp_path / backend
        code, _, err = run_main([*flags, "--backend", backend, "--out", outs[backend]], capsys)
        assert code == 0, err
    for name in ("history.csv", "deception.csv", "hedging.csv"):
        assert (outs["numpy"] / name).read_bytes() == (outs["mpe2"] / name).read_bytes(), name
    a, b = (torch.load(outs[k] / "checkpoint.pt", weights_only=True) for k in ("numpy", "mpe2"))
    for x, y in zip(a["actors"] + a["critics"], b["actors"] + b["critics"]):
        assert all(torch.equal(x[k], y[k]) for k in x)
    s = [json.loads((outs[k] / "summary.json").read_text()) for k in ("numpy", "mpe2")]
    assert s[0]["update_rounds"] == s[1]["update_rounds"] > 0
    assert s[0]["final_returns"] == s[1]["final_returns"] and s[0]["deception"] == s[1]["deception"]


def test_per_agent_action_sizes_in_maddpg_and_the_buffer():
    """speaker 3 actions, listener 5: the actors, the critics' inputs, the buffer's columns and a full update."""
    obs_dims, dims = (3, 11), (3, 5)
    maddpg = MADDPG(obs_dims, dims, hidden_dim=8)
    assert maddpg.n_actions is None and maddpg.critic_input_dim(0) == 3 + 11 + 3 + 5
    assert MADDPG(obs_dims, dims, hidden_dim=8, centralized=False).critic_input_dim(1) == 11 + 5
    obs = [np.random.default_rng(i).normal(size=(7, d)).astype(np.float32) for i, d in enumerate(obs_dims)]
    actions = maddpg.act(obs, explore=True)
    assert [a.shape for a in actions] == [(7, 3), (7, 5)]
    assert all(np.array_equal(a.sum(-1), np.ones(7)) and set(np.unique(a)) <= {0.0, 1.0} for a in actions)
    buffer = ReplayBuffer(20, obs_dims, dims)
    assert buffer.table.shape == (20, 2 * 14 + 8 + 2 + 2)
    buffer.add(obs, actions, np.ones((7, 2)), obs, np.zeros((7, 2)))
    for stored, given in zip(buffer.actions, actions):
        np.testing.assert_array_equal(stored[:7], given)
    batch = buffer.sample(16, np.random.default_rng(0))
    assert [tuple(a.shape) for a in per_agent(batch.actions)] == [(16, 3), (16, 5)]
    per_batch = buffer.sample_many(2, 4, np.random.default_rng(0))
    assert [tuple(a.shape) for a in per_batch[1].actions] == [(4, 3), (4, 5)]
    before = [p.clone() for p in maddpg.actors[0].parameters()]
    losses = maddpg.update(batch)
    assert len(losses["critic_loss"]) == 2
    assert any(not torch.equal(p, q) for p, q in zip(before, maddpg.actors[0].parameters()))


def test_shipped_checkpoints_load_in_both_shape_forms(tmp_path):
    """Checkpoints store n_actions=5 (one number) as before; a MADDPG built with per-agent sizes (5, 5, 5)
    loads them."""
    path = pretrained.path("maddpg_seed0")
    state = MADDPG.read_checkpoint(path)
    assert state["shape"]["n_actions"] == 5
    agent = MADDPG(state["shape"]["obs_dims"], (5, 5, 5), hidden_dim=state["shape"]["hidden_dim"])
    agent.load_weights(path)
    assert torch.equal(agent.actors[0][0].weight, pretrained.load("maddpg_seed0").actors[0][0].weight)
    mixed = MADDPG((3, 11), (3, 5), hidden_dim=8)
    mixed.save(tmp_path / "mixed.pt")
    assert MADDPG.read_checkpoint(tmp_path / "mixed.pt")["shape"]["action_dims"] == [3, 5]
    assert MADDPG.load(tmp_path / "mixed.pt").action_dims == (3, 5)


class StopEarly:
    """A fake VecGame of K slots: slot k terminates after k + 1 steps; an observation is (slot, step)."""

    scenario, agents, obs_dims, action_dims, adversaries = "fake", ("a", "b"), (2, 2), (2, 3), (False, False)
    metric_groups = {}

    def __init__(self, num_envs, max_cycles=25, **_):
        self.num_envs, self.max_cycles, self.action_mode = num_envs, max_cycles, "one-hot"
        self.t = np.zeros(num_envs)

    def _obs(self):
        o = np.stack([np.arange(self.num_envs), self.t], axis=1).astype(np.float32)
        return {"a": o, "b": o.copy()}

    def reset(self, seeds=None):
        self.t[:] = 0
        return self._obs()

    def step(self, actions):
        assert actions.shape == (self.num_envs, 2)
        ended = self.t >= np.arange(self.num_envs) + 1
        self.t = np.where(ended, self.t, self.t + 1)  # a finished slot is frozen
        terminated = self.t >= np.arange(self.num_envs) + 1
        rewards = np.where(ended, 0.0, 1.0)[:, None].repeat(2, axis=1)
        return self._obs(), rewards, terminated, np.full(self.num_envs, False)

    def metrics(self):
        return {}


def test_games_that_end_early_store_only_running_slots(monkeypatch):
    import maddpg_lite.evaluation as evaluation
    import maddpg_lite.training as training

    monkeypatch.setattr(training, "make_vec_game", lambda scenario, num_envs, **kw: StopEarly(num_envs))
    monkeypatch.setattr(evaluation, "make_vec_game", lambda scenario, num_envs, **kw: StopEarly(num_envs))
    config = Config(episodes=8, num_envs=4, minimal_size=10_000, eval_interval=8, eval_episodes=4,
                    final_eval_episodes=4)
    result = train(config, progress=False)
    # per round of 4 games: 1 + 2 + 3 + 4 transitions, and each round stops when the last game ends
    assert len(result.buffer) == result.summary["env_steps"] == 2 * 10
    stored = result.buffer.obs[0][:20]
    dones = result.buffer.dones[:20, 0]
    slot, step = stored[:, 0].astype(int), stored[:, 1].astype(int)
    assert np.all(step < slot + 1)  # never a transition out of a frozen slot
    assert dones.sum() == 8 and np.all(dones[result.buffer.next_obs[0][:20, 1] == slot + 1] == 1)
    assert result.summary["final_returns"] == {"a": 2.5, "b": 2.5}  # mean of 1, 2, 3, 4 rewards


def test_adapter_teams_agree_with_mpe2s_adversary_flags():
    for scenario in PAPER_SCENARIOS:
        game = Mpe2VecGame(scenario, 1)
        flags = tuple(bool(getattr(a, "adversary", False)) for a in game.worlds[0].agents)
        assert game.adversaries == flags, scenario


@pytest.mark.parametrize("argv, message", [
    (["--scenario", "simple_nope_v9"], "unknown scenario 'simple_nope_v9'"),
    (["--scenario", "simple_spread_v3", "--game-kwargs", "M=3"], "simple_spread_v3 has no keyword 'M'"),
    (["--scenario", "simple_spread_v3", "--backend", "numpy"], "backend 'numpy' exists only for simple_adversary_v3"),
    (["--scenario", "simple_reference_v3", "--action-mode", "soft"], "both move and speak"),
    (["--backend", "jax"], "unknown backend 'jax'"),
    (["--scenario", "simple_adversary_v3", "--game-kwargs", "N=3"], "N=3 needs backend='mpe2'"),
    (["--scenario", "simple_spread_v3", "--game-kwargs", "N=x3"], "simple_spread_v3 rejects N='x3'"),
    (["--scenario", "simple_spread_v3", "--game-kwargs", "local_ratio=2"], "simple_spread_v3 rejects local_ratio=2"),
])
def test_bad_scenario_or_keyword_ends_with_one_line_and_writes_nothing(argv, message, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run_main([*argv, "--out", out], capsys)
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and message in stderr, stderr
    assert not out.exists()


def test_game_keywords_from_the_command_line_are_typed(tmp_path, capsys):
    out = tmp_path / "n2"
    code, _, err = run_main(["--scenario", "simple_spread_v3", "--game-kwargs", "N=2", "local_ratio=0.25",
                             "--episodes", 10, "--num-envs", 10, "--eval-episodes", 2, "--final-eval-episodes", 2,
                             "--no-progress", "--out", out], capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["game_kwargs"] == {"N": 2, "local_ratio": 0.25}
    assert summary["agents"] == ["agent_0", "agent_1"]


def test_the_core_modules_name_no_simple_adversary_specifics():
    """maddpg.py, buffer.py, training.py and evaluation.py: no agent name, fixed size or rate of simple_adversary
    in their code (identifiers and string literals; docstrings and comments may mention the book's game)."""
    import ast

    import maddpg_lite

    banned = {"adversary_0", "agent_0", "agent_1", "AGENTS", "N_ACTIONS", "OBS_DIMS", "EPISODE_LENGTH",
              "VecSimpleAdversary", "DECEPTION_KEYS", "HEDGING_KEYS", "RATE_LABELS", "deception", "hedging",
              "adversary_reward", "deception_flags", "hedging_distances"}
    root = Path(maddpg_lite.__file__).parent
    for module in ("maddpg.py", "buffer.py", "training.py", "evaluation.py"):
        tree = ast.parse((root / module).read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        used = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif isinstance(node, ast.alias):
                used.add(node.name)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                used.update(node.value.replace('"', " ").replace("'", " ").split())
        assert not used & banned, (module, sorted(used & banned))
        numbers = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in (5, 8, 10, 15, 43)
                   and not isinstance(n.value, bool)]
        assert not numbers, (module, numbers)  # no action size 5, observation sizes 8/10, 15 or 43 inputs
