"""The study of MADDPG vs independent DDPG (``maddpg_lite.study``): its statistics on
hand-made inputs, one real quick-mode study written to a temporary folder, and the internal
consistency of the shipped results (``maddpg_lite/data/study_results.*``)."""

import csv
import hashlib
import io

import pytest
import torch

from maddpg_lite import pretrained, study
from maddpg_lite.config import Config
from maddpg_lite.env import AGENTS
from maddpg_lite.evaluation import REPLAY_TOLERANCE, evaluate, largest_difference, team_policy

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine

PAIRINGS = [f"{g} vs {a}" for g in study.METHODS for a in study.METHODS]


# ----- t quantile and confidence intervals -----------------------------------------------------
@pytest.mark.parametrize("p, df, expected", [
    (0.975, 9, 2.2622),  # the study's case: 10 seeds
    (0.975, 1, 12.7062),
    (0.975, 2, 4.3027),
    (0.95, 4, 2.1318),
    (0.995, 30, 2.7500),
    (0.975, 1000, 1.9623),
    (0.975, 10**6, 1.9600),  # the normal quantile
])
def test_t_quantile_matches_the_tables(p, df, expected):
    assert study.t_quantile(p, df) == pytest.approx(expected, abs=6e-5)


def test_t_quantile_decreases_towards_the_normal_quantile():
    values = [study.t_quantile(0.975, df) for df in (1, 2, 5, 9, 30, 100, 10_000)]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(1.959964, abs=1e-3)


@pytest.mark.parametrize("p, df", [(0.5, 9), (1.0, 9), (0.3, 9), (0.975, 0)])
def test_t_quantile_rejects_bad_arguments(p, df):
    with pytest.raises(ValueError, match="need 0.5 < p < 1"):
        study.t_quantile(p, df)


def test_mean_ci_on_a_hand_made_sample():
    ci = study.mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    # s = sqrt(2.5) = 1.5811, t(0.975, 4) = 2.7764, half = 2.7764 * 1.5811 / sqrt(5) = 1.9632
    assert ci["n"] == 5 and ci["mean"] == pytest.approx(3.0)
    assert ci["low"] == pytest.approx(3.0 - 1.9632, abs=1e-4)
    assert ci["high"] == pytest.approx(3.0 + 1.9632, abs=1e-4)
    wider = study.mean_ci([1.0, 2.0, 3.0, 4.0, 5.0], level=0.99)
    assert wider["low"] < ci["low"] and wider["high"] > ci["high"]


def test_mean_ci_skips_none_and_handles_tiny_samples():
    assert study.mean_ci([None, 2.0, None, 4.0])["n"] == 2
    assert study.mean_ci([None, 2.0, None, 4.0])["mean"] == pytest.approx(3.0)
    assert study.mean_ci([7.5]) == {"mean": 7.5, "low": 7.5, "high": 7.5, "n": 1}
    assert study.mean_ci([]) == {"mean": None, "low": None, "high": None, "n": 0}
    assert study.mean_ci([None, None])["n"] == 0
    same = study.mean_ci([2.0, 2.0, 2.0])
    assert same["low"] == same["high"] == 2.0  # no spread, no band


# ----- episodes to threshold -------------------------------------------------------------------
EPISODES = [100, 200, 300, 400, 500]


@pytest.mark.parametrize("curve, expected", [
    ([1.0, 2.0, 3.0, 4.0, 5.0], 100),  # above from the first evaluation on
    ([-1.0, -1.0, 1.0, 1.0, 1.0], 300),  # crosses once
    ([1.0, -1.0, 1.0, 1.0, 1.0], 300),  # the last crossing counts, not the first
    ([-1.0, 1.0, 1.0, 1.0, -0.5], None),  # not above at the end
    ([-1.0, -2.0, -3.0, -2.0, -1.0], None),  # never above
    ([0.0, 0.0, 0.0, 0.0, 0.0], None),  # "above" is strict
])
def test_episodes_to_threshold_without_smoothing(curve, expected):
    assert study.episodes_to_threshold(EPISODES, curve, threshold=0.0, window=1) == expected


def test_episodes_to_threshold_smooths_first():
    curve = [-3.0, 1.0, 1.0, 1.0, 1.0]
    # window 3: smoothed = [-1, -1/3, 1, 1, 1] (the window shrinks at the ends)
    assert study.episodes_to_threshold(EPISODES, curve, window=3) == 300
    assert study.episodes_to_threshold(EPISODES, curve, window=1) == 200
    # a single dip is averaged away by a wide window
    assert study.episodes_to_threshold(EPISODES, [2.0, 2.0, -1.0, 2.0, 2.0], window=5) == 100


def test_episodes_to_threshold_other_thresholds_and_empty_curves():
    assert study.episodes_to_threshold(EPISODES, [5.0, 6.0, 8.0, 8.0, 8.0], threshold=7.0, window=1) == 300
    assert study.episodes_to_threshold(EPISODES, [-30.0, -25.0, -20.0, -15.0, -15.0], threshold=-28.9,
                                       window=1) == 200
    assert study.episodes_to_threshold([], [], window=1) is None


# ----- table and summary -------------------------------------------------------------------------
def hand_row(good, adversary, seed, value, run=True):
    row = {c: value for c in study.TABLE_COLUMNS[3:]}
    row.update(good_team=good, adversary=adversary, seed=seed)
    row["episodes_to_threshold"] = (100 * (seed + 1)) if run else None
    row["wall_seconds"] = 20.0 + seed if run else None
    return row


def test_table_csv_and_summarize_on_hand_made_rows():
    rows = [hand_row("maddpg", "maddpg", 0, 1.0), hand_row("maddpg", "maddpg", 1, 3.0),
            hand_row("maddpg", "ddpg", 0, 0.5, run=False), hand_row("maddpg", "ddpg", 1, 0.25, run=False)]
    rows[1]["episodes_to_threshold"] = None  # seed 1 never stayed above the threshold
    text = study.table_csv(rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == study.TABLE_COLUMNS
    assert len(parsed) == 1 + len(rows) and all(len(line) == len(study.TABLE_COLUMNS) for line in parsed)
    assert parsed[1][study.TABLE_COLUMNS.index("return_agent_0")] == "1.0000"
    assert parsed[2][study.TABLE_COLUMNS.index("episodes_to_threshold")] == ""  # None -> empty
    assert parsed[3][study.TABLE_COLUMNS.index("wall_seconds")] == ""

    summary = study.summarize(rows)
    assert sorted(summary) == ["maddpg vs ddpg", "maddpg vs maddpg"]
    runs = summary["maddpg vs maddpg"]
    assert runs["return_adversary_0"]["mean"] == pytest.approx(2.0) and runs["return_adversary_0"]["n"] == 2
    # values 1 and 3: s = sqrt(2), half = t(0.975, 1) * sqrt(2) / sqrt(2)
    assert runs["return_adversary_0"]["high"] - runs["return_adversary_0"]["low"] == pytest.approx(
        2 * study.t_quantile(0.975, 1))
    assert runs["runs"] == 2 and runs["reached_threshold"] == 1 and runs["median_episodes_to_threshold"] == 100.0
    mixed = summary["maddpg vs ddpg"]
    assert mixed["good_on_target"]["mean"] == pytest.approx(0.375)
    assert mixed["reached_threshold"] is None and mixed["wall_seconds"]["n"] == 0


def test_measure_equals_evaluate_for_a_greedy_policy():
    agent = pretrained.load("maddpg_seed0")
    m, e = study.measure(agent, 50), evaluate(agent, 50)
    assert m["returns"] == e["returns"] and m["deception"] == e["deception"]
    assert set(m["distances"]) == set(study.DISTANCE_KEYS)


# ----- one real study in quick mode ----------------------------------------------------------------
def digest(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


SHIPPED = sorted(study.DATA_DIR.glob("study_results.*")) + sorted(study.FIGURES_DIR.glob("study_*.png"))


@pytest.fixture(scope="module")
def quick_study(tmp_path_factory):
    """``python -m maddpg_lite.study --workers 1`` in quick mode, run from an empty folder:
    quick mode must write to ``runs/study_quick`` there, never to the shipped files."""
    assert Config().episodes == 5000  # the fixture below changes the mode, not the defaults
    folder = tmp_path_factory.mktemp("study")
    before = digest(SHIPPED)
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("MADDPG_LITE_QUICK", "1")
        mp.chdir(folder)
        assert study.main(["--workers", "1"]) == 0
    finally:
        mp.undo()
    assert digest(SHIPPED) == before, "the quick study touched the shipped results or figures"
    out = folder / "runs" / "study_quick"
    return out, study.load_results(folder=out)


def test_quick_study_writes_its_files_in_the_quick_folder(quick_study):
    out, results = quick_study
    names = {p.name for p in out.iterdir()}
    assert {"study_results.json", "study_results.csv", "study_returns.png", "study_deception.png",
            "study_convergence.png", "study_matchups.png"} <= names
    assert results["quick"] is True and results["seeds"] == list(study.QUICK_SEEDS)
    assert results["config"]["episodes"] == study.QUICK_OVERRIDES["episodes"]


def test_quick_study_really_trained(quick_study):
    _, results = quick_study
    histories = results["histories"]
    assert sorted(histories) == sorted(f"{m}-seed{s}" for m in study.METHODS for s in study.QUICK_SEEDS)
    cfg = Config(**results["config"])
    # update rounds start at minimal_size transitions (10 per environment step), well before the end
    assert cfg.minimal_size < cfg.episodes * cfg.episode_length
    for name, history in histories.items():
        assert [r["episode"] for r in history] == list(range(cfg.eval_interval, cfg.episodes + 1, cfg.eval_interval))
        # greedy evaluation on fixed seeds is deterministic: a changing row means the actors changed
        assert len({tuple(r[k] for k in AGENTS) for r in history}) > 1, f"{name}: no update round changed the actors"
        assert all(r["agent_0"] == r["agent_1"] for r in history)


def test_quick_study_rows(quick_study):
    _, results = quick_study
    rows = results["rows"]
    assert len(rows) == 4 * len(study.QUICK_SEEDS)
    for pairing in PAIRINGS:
        mine = [r for r in rows if f"{r['good_team']} vs {r['adversary']}" == pairing]
        assert sorted(r["seed"] for r in mine) == list(study.QUICK_SEEDS), pairing
        assert results["summary"][pairing]["runs"] == len(study.QUICK_SEEDS)
    for r in rows:
        assert r["return_agent_0"] == r["return_agent_1"]
        assert all(0.0 <= r[k] <= 1.0 for k in study.RATE_KEYS)
        assert all(r[f"median_{k}"] >= 0.0 for k in study.DISTANCE_KEYS)
        if r["good_team"] == r["adversary"]:
            assert r["wall_seconds"] > 0
        else:
            assert r["wall_seconds"] is None and r["episodes_to_threshold"] is None
    assert set(results["baselines"]) == {"random", "noop"}


# ----- the shipped results ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped():
    return study.load_results()


def group(results, pairing):
    return sorted((r for r in results["rows"] if f"{r['good_team']} vs {r['adversary']}" == pairing),
                  key=lambda r: r["seed"])


def test_shipped_study_is_the_full_recipe_on_ten_seeds(shipped):
    assert shipped["quick"] is False
    assert shipped["seeds"] == list(range(10))
    # the source recipe: the shipped config, completed with the defaults of fields added since, is Config()'s
    recipe = {k: v for k, v in Config(**shipped["config"]).to_dict().items() if k not in ("seed", "centralized")}
    assert recipe == {k: v for k, v in Config().to_dict().items() if k not in ("seed", "centralized")}
    for pairing in PAIRINGS:
        assert [r["seed"] for r in group(shipped, pairing)] == list(range(10)), pairing
    for method in study.METHODS:
        runs = [name for name in shipped["histories"] if name.startswith(method + "-")]
        assert len(runs) == 10
    assert len(shipped["rows"]) == 40


def test_shipped_summary_is_the_mean_of_the_rows(shipped):
    for pairing in PAIRINGS:
        rows = group(shipped, pairing)
        stats = shipped["summary"][pairing]
        assert stats["runs"] == 10
        for column in study.TABLE_COLUMNS[3:]:
            values = [r[column] for r in rows if r[column] is not None]
            if not values:
                assert stats[column]["n"] == 0
                continue
            again = study.mean_ci(values)
            assert stats[column]["n"] == len(values)
            for key in ("mean", "low", "high"):
                assert stats[column][key] == pytest.approx(again[key], abs=2e-4), (pairing, column, key)


def test_shipped_rows_and_histories_are_consistent(shipped):
    for r in shipped["rows"]:
        assert r["return_agent_0"] == r["return_agent_1"]
        assert all(0.0 <= r[k] <= 1.0 for k in study.RATE_KEYS)
        assert r["all_landmarks_covered"] <= r["good_on_target"]  # covering both covers the target
    for name, history in shipped["histories"].items():
        assert history[-1]["episode"] == shipped["config"]["episodes"]
        assert all(h["agent_0"] == h["agent_1"] for h in history)
        method, seed = name.split("-seed")
        row = next(r for r in shipped["rows"] if r["good_team"] == r["adversary"] == method and r["seed"] == int(seed))
        recomputed = study.episodes_to_threshold([h["episode"] for h in history], [h["agent_0"] for h in history])
        assert row["episodes_to_threshold"] == recomputed, name


def test_shipped_baselines(shipped):
    base = shipped["baselines"]
    assert set(base) == {"random", "noop"}
    for b in base.values():
        assert b["episodes"] == shipped["config"]["final_eval_episodes"]
        assert set(b["deception"]) == set(study.RATE_KEYS)
    # the fact the lessons build on: a random team already scores a positive good-agent return
    assert 6.0 < base["random"]["returns"]["agent_0"] < 9.0


def test_shipped_csv_equals_json(shipped):
    text = (study.DATA_DIR / "study_results.csv").read_text()
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == study.TABLE_COLUMNS and len(parsed) == len(shipped["rows"])
    for line, row in zip(parsed, shipped["rows"], strict=True):
        for column in study.TABLE_COLUMNS:
            value = row[column]
            if value is None:
                assert line[column] == ""
            elif isinstance(value, str):
                assert line[column] == value
            else:
                assert float(line[column]) == pytest.approx(value, abs=1.1e-4), column


def test_pretrained_checkpoints_replay_the_study_matchups_of_seed_0(shipped):
    # the seed-0 checkpoints were trained by python -m maddpg_lite.pretrained, apart from the study,
    # with the same recipe; played against each other they reproduce the study's seed-0 rows
    agents = {"maddpg": pretrained.load("maddpg_seed0"), "ddpg": pretrained.load("ddpg_seed0")}
    rows = {(r["good_team"], r["adversary"]): r for r in shipped["rows"] if r["seed"] == 0}
    for (good, adversary), row in rows.items():
        measured = study.measure(team_policy(adversary=agents[adversary], good=agents[good]),
                                 shipped["config"]["final_eval_episodes"])
        recorded = {"returns": {name: row[f"return_{name}"] for name in AGENTS},
                    "deception": {k: row[k] for k in study.RATE_KEYS},
                    "distances": {key: row[f"median_{key}"] for key in measured["distances"]}}
        where, difference = largest_difference(measured, recorded)  # recorded on another computer
        assert difference <= REPLAY_TOLERANCE, (good, adversary, where, difference)
