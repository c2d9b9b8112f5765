"""The six-game study (``python -m maddpg_lite.six_games``): its reading of the numbers on hand-made
inputs, a quick resumable run, and the shipped table."""

import json

import pytest

from maddpg_lite import six_games
from maddpg_lite.study import mean_ci


def stats(values):
    return mean_ci(values)


def test_team_returns_average_each_team():
    returns = {"adversary_0": -3.0, "adversary_1": -1.0, "agent_0": 2.0}
    assert six_games.team_returns(returns, list(returns), [True, True, False]) == {"good": 2.0, "adversary": -2.0}
    assert six_games.team_returns({"a": 1.0, "b": 3.0}, ["a", "b"], [False, False]) == {"good": 2.0}


def test_headline_values_read_last_step_frames_and_episode_counts():
    measured = {"metrics": {"min_dist_sum": 9.0, "collisions": 9.0, "landmarks_covered": 0.25},
                "metrics_over_frames": {"min_dist_sum": 0.5, "collisions": 0.02, "landmarks_covered": 0.1}}
    got = six_games.headline_values(measured, "simple_spread_v3", episode_length=25)
    assert got == {"min_dist_sum": 0.5, "collisions": pytest.approx(0.5), "landmarks_covered": 0.25}


def test_verdict_names_a_side_only_when_the_intervals_are_apart():
    def entry(m, d):
        return {"methods": {"maddpg": {"stats": {"x": stats(m)}}, "ddpg": {"stats": {"x": stats(d)}}}}

    apart = entry([10.0, 11.0, 12.0], [1.0, 2.0, 3.0])
    assert six_games.verdict(apart, "x", higher_is_better=True) == "MADDPG"
    assert six_games.verdict(apart, "x", higher_is_better=False) == "DDPG"
    assert six_games.verdict(entry([1.0, 5.0, 9.0], [2.0, 3.0, 4.0]), "x", True) == "no clear difference"
    assert six_games.verdict(entry([1.0], [5.0]), "x", True) == "-"  # one seed: no interval


def test_quick_study_writes_a_table_and_resumes_without_training(tmp_path, monkeypatch):
    monkeypatch.setenv("MADDPG_LITE_QUICK", "1")
    monkeypatch.setattr(six_games, "QUICK_OVERRIDES", dict(episodes=50, minimal_size=500, batch_size=64,
                                                           eval_interval=50, eval_episodes=10, final_eval_episodes=20))
    args = ["--games", "simple_spread_v3", "--workers", "1", "--out", str(tmp_path)]
    assert six_games.main(args) == 0
    table = json.loads((tmp_path / "six_games_table.json").read_text())
    entry = table["games"]["simple_spread_v3"]
    assert table["runs_finished"] == table["runs_planned"] == 2
    assert set(entry["methods"]) == {"maddpg", "ddpg"} and set(entry["baselines"]) == {"random", "noop"}
    assert set(entry["methods"]["maddpg"]["rows"][0]) == {"return_good", "min_dist_sum", "collisions",
                                                          "landmarks_covered"}
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").iterdir()}
    assert six_games.main(args) == 0  # everything finished: nothing is trained again
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").iterdir()} == before
    assert json.loads((tmp_path / "six_games_table.json").read_text()) == table
    assert "cooperative navigation" in (tmp_path / "six_games_table.md").read_text()


def test_unknown_game_is_refused_with_one_line(tmp_path, capsys):
    assert six_games.main(["--games", "simple_nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "simple_nope" in err[0]
    assert not any(tmp_path.iterdir())


def test_shipped_table_covers_the_six_games_with_three_seeds():
    path = six_games.DATA_DIR / "six_games_table.json"
    table = json.loads(path.read_text())
    assert set(table["games"]) == set(six_games.GAMES)
    assert table["runs_finished"] == table["runs_planned"] == 36
    for scenario, entry in table["games"].items():
        for method in ("maddpg", "ddpg"):
            assert entry["methods"][method]["seeds"] == [0, 1, 2], (scenario, method)
    assert (six_games.DATA_DIR / "six_games_table.md").read_text() == six_games.table_markdown(table)
    assert six_games.FIGURE.is_file()
