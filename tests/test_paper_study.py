"""The paper study survives interruption: each run is written when it finishes, a second call
trains only what is missing, and the table equals the one of an uninterrupted study."""

import json
import os

import pytest

from maddpg_lite import paper
from maddpg_lite.config import PRESETS

RECIPES = ("book", "paper")
SEEDS = (0,)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """An uninterrupted quick study of two recipes, one seed (4 runs), one worker."""
    folder = tmp_path_factory.mktemp("straight")
    trained = paper.run_study(folder, paper.jobs(RECIPES, SEEDS, paper.QUICK_OVERRIDES), workers=1, log=lambda m: None)
    return folder, trained


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
    first = paper.run_study(tmp_path, paper.jobs(RECIPES, SEEDS, paper.QUICK_OVERRIDES), workers=1, max_runs=1,
                            log=log.append)  # cut off after one run
    assert first == 1 and len(paper.finished(tmp_path)) == 1
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    rest = paper.run_study(tmp_path, paper.jobs(RECIPES, SEEDS, paper.QUICK_OVERRIDES), workers=1, log=log.append)
    assert rest == 3  # only the missing runs were trained
    assert all(tmp_path.joinpath(name).stat().st_mtime_ns == t for name, t in before.items())  # untouched
    a, b = paper.build_table(folder, RECIPES, SEEDS), paper.build_table(tmp_path, RECIPES, SEEDS)
    assert paper.table_markdown(a) == paper.table_markdown(b)
    assert a["rows"] == b["rows"]
    assert paper.run_study(tmp_path, paper.jobs(RECIPES, SEEDS, paper.QUICK_OVERRIDES), workers=1,
                           log=log.append) == 0  # nothing left


def test_a_run_without_its_actors_is_not_finished_and_a_dead_claim_is_taken_over(straight, tmp_path):
    folder, _ = straight
    name = paper.run_name("book", "maddpg", 0)
    (tmp_path / f"{name}.json").write_text((folder / f"{name}.json").read_text())
    assert paper.finished(tmp_path) == {}  # no .pt: a run killed between the two writes
    (tmp_path / f"{name}.claim").write_text("999999999")  # a pid that does not exist
    assert paper.claim(tmp_path, name)
    assert (tmp_path / f"{name}.claim").read_text() == str(os.getpid())
    (tmp_path / "other.claim").write_text(str(os.getppid()))  # a live process holds it
    assert not paper.claim(tmp_path, "other")


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


def test_a_run_finished_by_another_process_meanwhile_is_not_trained_again(straight, tmp_path):
    folder, _ = straight
    name = paper.run_name("book", "maddpg", 0)
    job = {**paper.jobs(("book",), (0,), paper.QUICK_OVERRIDES)[0], "folder": str(tmp_path)}
    assert job["name"] == name
    for suffix in (".json", ".pt"):  # another study finished it after this one listed its jobs
        (tmp_path / f"{name}{suffix}").write_bytes((folder / f"{name}{suffix}").read_bytes())
    assert paper.run_job(job) is None and not (tmp_path / f"{name}.claim").exists()


def test_shipped_markdown_table_is_the_json_tables():
    """paper_table.md is made from the same rounded numbers as paper_table.json (which the README reads)."""
    import json

    from maddpg_lite import paper

    table = json.loads((paper.DATA_DIR / "paper_table.json").read_text())
    assert table["runs_finished"] == table["runs_planned"] == 50
    assert (paper.DATA_DIR / "paper_table.md").read_text() == paper.table_markdown(table)
