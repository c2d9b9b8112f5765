"""The paper study survives interruption: each run is written when it finishes, a second call
trains only what is missing, and the table equals the one of an uninterrupted study."""

import json

import pytest

from maddpg_lite import paper, runner
from maddpg_lite.config import PRESETS

RECIPES = ("book", "paper")
SEEDS = (0,)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """An uninterrupted quick study of two recipes, one seed (4 runs), one worker."""
    folder = tmp_path_factory.mktemp("straight")
    outcome = runner.run_study(folder, paper.jobs(RECIPES, SEEDS, paper.QUICK_OVERRIDES), paper.run_job, workers=1,
                               log=lambda m: None)
    return folder, len(outcome.trained)


def run_study(folder, **kwargs):
    """The paper study's jobs of RECIPES and SEEDS through the runner, in this process; the runs trained now."""
    return runner.run_study(folder, paper.jobs(RECIPES, SEEDS, paper.QUICK_OVERRIDES), paper.run_job, workers=1,
                            **kwargs).trained


def test_jobs_cover_every_recipe_method_and_seed_seed_by_seed():
    jobs = paper.jobs(paper.RECIPES, (0, 1))
    assert len(jobs) == len(paper.RECIPES) * 2 * 2
    assert [j["seed"] for j in jobs[: 2 * len(paper.RECIPES)]] == [0] * 2 * len(paper.RECIPES)
    assert set(paper.RECIPES) <= set(PRESETS) and paper.RECIPES[0] == "book"
    paper_job = next(j for j in jobs if j["recipe"] == "paper")
    assert paper_job["config"]["action_mode"] == "soft" and paper_job["config"]["episodes"] == 60_000


def test_an_interrupted_study_resumes_and_gives_the_same_table(straight, tmp_path):
    folder, trained = straight
    assert trained == 4 and len(paper.finished(folder)) == 4
    log = []
    first = run_study(tmp_path, max_runs=1, log=log.append)  # cut off after one run
    assert len(first) == 1 and len(paper.finished(tmp_path)) == 1
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    rest = run_study(tmp_path, log=log.append)
    assert len(rest) == 3 and first[0] not in rest  # only the missing runs were trained
    assert all(tmp_path.joinpath(name).stat().st_mtime_ns == t for name, t in before.items())  # untouched
    a, b = paper.build_table(folder, RECIPES, SEEDS), paper.build_table(tmp_path, RECIPES, SEEDS)
    assert paper.table_markdown(a) == paper.table_markdown(b)
    assert a["rows"] == b["rows"]
    assert run_study(tmp_path, log=log.append) == []  # nothing left
    assert "4 runs finished before, 0 to train now" in log[-1]


def test_a_run_without_its_actors_is_not_finished(straight, tmp_path):
    folder, _ = straight
    name = paper.run_name("book", "maddpg", 0)
    (tmp_path / f"{name}.json").write_text((folder / f"{name}.json").read_text())
    assert paper.finished(tmp_path) == {}  # no .pt: a run killed between the two writes
    (tmp_path / f"{name}.pt").write_bytes((folder / f"{name}.pt").read_bytes())
    assert list(paper.finished(tmp_path)) == [name]


def test_the_table_has_the_papers_format_and_numbers(straight):
    folder, _ = straight
    table = paper.build_table(folder, RECIPES, SEEDS)
    assert len(table["rows"]) == len(RECIPES) * 4  # two runs and two cross matchups per recipe and seed
    assert set(table["summary"]) == {f"{r}: {g} vs {a}" for r in RECIPES for g, a in paper.PAIRINGS}
    assert table["paper"]["maddpg vs maddpg"] == {"good_success": 0.947, "adversary_success": 0.340}
    rows = {(r["recipe"], r["good_team"], r["adversary"]): r for r in table["rows"]}
    runs = paper.finished(folder)
    # a run's own row is its recorded final measurement; the matchups are measured from the actors
    own = runs[paper.run_name("paper", "ddpg", 0)]["final"]
    assert rows[("paper", "ddpg", "ddpg")]["good_success"] == own["deception"]["good_success"]
    for r in table["rows"]:  # a split puts an agent within 0.23 < 0.4 of the target: a success
        assert 0 <= r["all_landmarks_covered"] <= r["good_success"] <= 1
    md = paper.table_markdown(table)
    assert "94.7 / 34.0" in md and md.count("\n") == 2 + len(table["summary"])
    # the squared game's baselines differ from mpe2's (the adversary's return is -d^2)
    assert table["baselines"]["paper"]["random"]["returns"]["adversary_0"] != \
        table["baselines"]["book"]["random"]["returns"]["adversary_0"]
    json.dumps(table)  # writable as it is


def test_a_job_is_a_pure_function_that_writes_nothing(straight, tmp_path, monkeypatch):
    """The same job trained again, elsewhere, returns the same record and weights; the files are
    written by the command (runner.save_run), not by the job."""
    folder, _ = straight
    job = paper.jobs(("book",), (0,), paper.QUICK_OVERRIDES)[1]
    monkeypatch.chdir(tmp_path)
    record = paper.run_job(job)
    assert list(tmp_path.iterdir()) == []
    runner.save_run(record, tmp_path / "again")
    name = job["name"]
    assert (tmp_path / "again" / f"{name}.pt").read_bytes() == (folder / f"{name}.pt").read_bytes()
    again, first = (json.loads((f / f"{name}.json").read_text()) for f in (tmp_path / "again", folder))
    timings = ("wall_seconds", "cpu_seconds")
    assert {k: v for k, v in again.items() if k not in timings} == {k: v for k, v in first.items() if k not in timings}
    assert "checkpoint" in record  # save_run leaves the record as it was


def test_shipped_markdown_table_is_the_json_tables():
    """paper_table.md is made from the same rounded numbers as paper_table.json (which the README reads)."""
    import json

    from maddpg_lite import paper

    table = json.loads((paper.DATA_DIR / "paper_table.json").read_text())
    assert table["runs_finished"] == table["runs_planned"] == 50
    assert (paper.DATA_DIR / "paper_table.md").read_text() == paper.table_markdown(table)
