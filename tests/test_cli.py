"""The main job ``python -m maddpg_lite.train`` with tiny sizes that still perform real
update rounds (CleanRL style): its outputs, its determinism, and its bad-input messages."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from maddpg_lite.env import AGENTS, DECEPTION_KEYS
from maddpg_lite.evaluation import evaluate, noop_policy, random_policy
from maddpg_lite.maddpg import MADDPG
from maddpg_lite.training import main

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine

ROOT = Path(__file__).resolve().parents[1]
SIZES = dict(episodes=40, num_envs=10, minimal_size=200, batch_size=64, update_interval=50,
             eval_interval=20, eval_episodes=20, final_eval_episodes=50)
TINY = [arg for key, value in SIZES.items() for arg in (f"--{key.replace('_', '-')}", str(value))] + ["--no-progress"]


def expected_update_rounds(env_steps: int, update_interval: int, minimal_size: int) -> int:
    """One round at every multiple of update_interval once D holds minimal_size transitions
    (D gains one transition per env step and never fills in these runs; update_interval is a
    multiple of num_envs, so every multiple is reached exactly)."""
    return sum(1 for s in range(update_interval, env_steps + 1, update_interval) if s >= minimal_size)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "maddpg_lite.train", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def run_main(argv, capsys):
    """``main(argv)`` in this process: (exit code, stdout, stderr); argparse errors exit via SystemExit."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """The real command, in a fresh process, seed 0."""
    out = tmp_path_factory.mktemp("cli") / "seed0"
    proc = run_cli(*TINY, "--out", str(out))
    return proc, out


@pytest.fixture(scope="module")
def summary(cli_run):
    proc, out = cli_run
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "summary.json").read_text())


def read_history(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


# ----- one real run --------------------------------------------------------------------------------
def test_cli_run_succeeds_and_reports(cli_run, summary):
    proc, out = cli_run
    assert "Traceback" not in proc.stderr
    assert f"{summary['update_rounds']} update rounds" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "deception.csv", "hedging.csv", "history.csv",
                                                     "returns.png", "summary.json"]


def test_summary_content(summary):
    assert set(summary["final_returns"]) == set(AGENTS) == set(summary["final_returns_std"])
    assert summary["final_returns"]["agent_0"] == summary["final_returns"]["agent_1"]  # shared reward
    assert summary["episodes"] == 40 and summary["eval_episodes"] == 50 and summary["interrupted"] is False
    assert summary["env_steps"] == 40 * 25
    assert summary["update_rounds"] == expected_update_rounds(1000, 50, 200) == 17
    assert isinstance(summary["wall_seconds"], (int, float)) and summary["wall_seconds"] > 0
    assert {k: summary["config"][k] for k in SIZES} == SIZES
    assert summary["config"]["seed"] == 0 and summary["config"]["centralized"] is True
    assert set(summary["deception"]) == set(DECEPTION_KEYS)
    assert all(0.0 <= v <= 1.0 for v in summary["deception"].values())
    # the baselines are evaluate() of the random and no-op policies on the same 50 seeds
    assert set(summary["baselines"]) == {"random", "noop"}
    for name, policy in [("random", random_policy(0)), ("noop", noop_policy())]:
        expected = evaluate(policy, 50)
        assert summary["baselines"][name]["returns"] == expected["returns"]
        assert summary["baselines"][name]["deception"] == expected["deception"]


def test_history_files(cli_run):
    _, out = cli_run
    rows = read_history(out / "history.csv")
    assert rows[0] == ["episode", "adversary_0", "agent_0", "agent_1"]
    assert [int(r[0]) for r in rows[1:]] == [20, 40]  # one row per evaluation (every 20 episodes)
    assert all(r[2] == r[3] for r in rows[1:])  # the good agents share one reward
    assert all(len(r) == 4 and all(float(v) == float(v) for v in r) for r in rows[1:])
    deception = read_history(out / "deception.csv")
    assert deception[0] == ["episode", *DECEPTION_KEYS]
    assert [r[0] for r in deception[1:]] == ["20", "40"]
    assert all(0.0 <= float(v) <= 1.0 for r in deception[1:] for v in r[1:])


def test_returns_png_is_a_png(cli_run):
    _, out = cli_run
    data = (out / "returns.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_checkpoint_reproduces_the_final_evaluation_and_was_trained(cli_run, summary):
    _, out = cli_run
    maddpg = MADDPG.load(out / "checkpoint.pt")
    final = evaluate(maddpg, summary["eval_episodes"])
    assert final["returns"] == pytest.approx(summary["final_returns"], rel=1e-12)
    assert final["deception"] == summary["deception"]
    extra = MADDPG.read_checkpoint(out / "checkpoint.pt")["extra"]
    assert extra["config"] == summary["config"] and extra["final_returns"] == summary["final_returns"]
    # real updates happened: the networks left their seed-0 initialisation, and the targets trail them
    torch.manual_seed(0)
    untrained = MADDPG(maddpg.obs_dims, maddpg.n_actions, hidden_dim=maddpg.hidden_dim)
    for trained, init in [(maddpg.actors, untrained.actors), (maddpg.critics, untrained.critics)]:
        for a, b in zip(trained, init):
            assert not torch.equal(a[0].weight, b[0].weight)
    for net, target in zip(maddpg.critics, maddpg.target_critics):
        assert not torch.equal(net[0].weight, target[0].weight)


# ----- determinism ----------------------------------------------------------------------------------
def test_same_seed_same_bytes_other_seed_differs(cli_run, summary, tmp_path, capsys):
    _, out = cli_run
    code, stdout, _ = run_main([*TINY, "--out", tmp_path / "again"], capsys)  # in this process this time
    assert code == 0 and "wrote" in stdout
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert (tmp_path / "again" / "history.csv").read_bytes() == (out / "history.csv").read_bytes()
    assert again["final_returns"] == summary["final_returns"]

    code, _, _ = run_main([*TINY, "--seed", "1", "--out", tmp_path / "seed1"], capsys)
    assert code == 0
    other = json.loads((tmp_path / "seed1" / "summary.json").read_text())
    assert (tmp_path / "seed1" / "history.csv").read_bytes() != (out / "history.csv").read_bytes()
    assert other["final_returns"] != summary["final_returns"]
    assert other["update_rounds"] == summary["update_rounds"]  # the schedule does not depend on the seed


def test_checkpoint_flag_starts_from_those_networks(cli_run, summary, tmp_path, capsys):
    _, out = cli_run
    # no update round can happen (the first would be at env step 100000), so the final
    # evaluation is the checkpoint's own
    code, _, err = run_main(["--episodes", 10, "--num-envs", 10, "--update-interval", 100_000, "--eval-episodes", 5,
                             "--final-eval-episodes", 50, "--no-progress", "--checkpoint", out / "checkpoint.pt",
                             "--out", tmp_path / "resumed"], capsys)
    assert code == 0, err
    resumed = json.loads((tmp_path / "resumed" / "summary.json").read_text())
    assert resumed["update_rounds"] == 0
    assert resumed["final_returns"] == summary["final_returns"]


# ----- bad input: one line on stderr naming the value, nothing written ---------------------------
@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory):
    """A checkpoint of another shape, written by the CLI itself (--hidden-dim 32)."""
    out = tmp_path_factory.mktemp("h32")
    code = main(["--episodes", "10", "--num-envs", "10", "--hidden-dim", "32", "--eval-episodes", "1",
                 "--final-eval-episodes", "1", "--no-progress", "--out", str(out)])
    assert code == 0
    return out / "checkpoint.pt"


def prepare_out(tmp_path: Path) -> tuple[Path, dict]:
    out = tmp_path / "out"
    out.mkdir()
    files = {"summary.json": '{"from": "an earlier run"}\n', "notes.txt": "keep me\n"}
    for name, text in files.items():
        (out / name).write_text(text)
    return out, files


def assert_untouched(out: Path, files: dict) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(files)
    assert all((out / name).read_text() == text for name, text in files.items())


def assert_one_line_error(code, stdout, stderr, *must_contain):
    assert code not in (0, None)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "usage:" not in stderr
    assert "error" in lines[0]
    for text in must_contain:
        assert text in lines[0], (text, lines[0])
    assert stdout == ""


@pytest.mark.parametrize("flags, must_contain", [
    (["--episodes", "0"], ["episodes", "0"]),
    (["--gumbel-tau", "-1"], ["gumbel_tau", "-1"]),
    (["--gumbel-tau", "nan"], ["gumbel_tau", "nan"]),
    (["--batch-size", "abc"], ["--batch-size", "'abc'"]),
    (["--no-such-flag", "3"], ["--no-such-flag"]),
    (["--episodes", "15"], ["episodes=15", "num_envs=50"]),
    (["--gamma", "1.5"], ["gamma", "1.5"]),
    (["--batch-size", "2048", "--buffer-size", "1000"], ["2048", "1000"]),
])
def test_bad_flags_in_process(flags, must_contain, tmp_path, capsys):
    out, files = prepare_out(tmp_path)
    code, stdout, stderr = run_main([*flags, "--out", out], capsys)
    assert_one_line_error(code, stdout, stderr, *must_contain)
    assert_untouched(out, files)


def test_checkpoint_of_another_shape_is_refused(small_checkpoint, tmp_path, capsys):
    out, files = prepare_out(tmp_path)
    code, stdout, stderr = run_main(["--checkpoint", small_checkpoint, "--out", out], capsys)
    assert_one_line_error(code, stdout, stderr, str(small_checkpoint), "'hidden_dim': 32", "'hidden_dim': 64")
    assert_untouched(out, files)


def test_missing_checkpoint_is_refused(tmp_path, capsys):
    code, stdout, stderr = run_main(["--checkpoint", tmp_path / "nope.pt", "--out", tmp_path / "out"], capsys)
    assert_one_line_error(code, stdout, stderr, "nope.pt", "not found")
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("precious\n")
    code, stdout, stderr = run_main(["--episodes", "10", "--num-envs", "10", "--out", target], capsys)
    assert_one_line_error(code, stdout, stderr, str(target))
    assert target.read_text() == "precious\n"


@pytest.mark.parametrize("where", ["under_a_file", "under_proc", "read_only"])
def test_out_that_cannot_be_made_is_refused_before_training(where, tmp_path, capsys, monkeypatch):
    import maddpg_lite.training as training

    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained although --out is unusable"))
    if where == "under_a_file":
        (tmp_path / "a_file").write_text("precious\n")
        out = tmp_path / "a_file" / "run"
    elif where == "under_proc":
        out = "/proc/maddpg-lite-test/run"
    else:  # a folder nobody may write in (root may write anywhere, so the probe file is refused instead)
        out = tmp_path / "locked"
        out.mkdir()
        monkeypatch.setattr(training.Path, "write_bytes", lambda self, data: (_ for _ in ()).throw(
            PermissionError(13, "Permission denied")))
    code, stdout, stderr = run_main(["--episodes", "10", "--num-envs", "10", "--out", out], capsys)
    assert_one_line_error(code, stdout, stderr, str(out), "cannot write there")
    if where == "under_a_file":
        assert (tmp_path / "a_file").read_text() == "precious\n"


def test_bad_flag_in_a_fresh_process(tmp_path):
    out, files = prepare_out(tmp_path)
    proc = run_cli("--gumbel-tau", "-1", "--out", str(out))
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, "gumbel_tau", "-1")
    assert_untouched(out, files)


def test_the_command_file_cannot_replace_the_function():
    """``maddpg_lite.train`` is the function; the file behind ``python -m maddpg_lite.train`` refuses to
    be imported, which would put a module in the function's place on the package."""
    import importlib

    import maddpg_lite

    with pytest.raises(ImportError, match="python -m maddpg_lite.train"):
        importlib.import_module("maddpg_lite.train")
    assert callable(maddpg_lite.train) and maddpg_lite.train.__module__ == "maddpg_lite.training"
