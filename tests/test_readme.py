"""The README as a new user reads it: the Quickstart, the notebook list, and every number and
claim of its results section, checked against the files that the repo's commands wrote; and its
Chinese edition, README.zh-CN.md: the same Quickstart, a course map of the Chinese notebooks, and the
same results block in Chinese."""

import re
from pathlib import Path

import numpy as np
import pytest

from maddpg_lite import i18n
from maddpg_lite.evaluation import REPLAY_TOLERANCE, evaluate, largest_difference, noop_policy, random_policy
from maddpg_lite.figures import (
    BEGIN,
    END,
    load_shipped_results,
    paired_difference,
    readme_with_results,
    results_markdown,
    results_markdown_in,
    update_readme,
)

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
README_ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
HAN = re.compile(r"[\u4e00-\u9fff]")
STALE_ZH = ("README.zh-CN.md's results block is not what the command writes in Chinese: run python -m "
            "maddpg_lite.translate (it compiles maddpg_lite/locale/zh_CN/LC_MESSAGES/maddpg_lite.mo), then "
            "python -m maddpg_lite.figures --readme-only")


@pytest.fixture(scope="module")
def shipped():
    return load_shipped_results()


QUICKSTART = ["pip install -r requirements.txt", "python -m maddpg_lite.train", "python -m pytest"]


def first_code_block(readme: str, heading: str) -> list[str]:
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.S)[0].strip().splitlines()


def results_block(readme: str) -> str:
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    return readme.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def table_headers(block: str) -> list[str]:
    """The header row of every markdown table in ``block`` (the line above each ``|---`` line)."""
    lines = block.splitlines()
    return [lines[i - 1] for i, line in enumerate(lines) if line.startswith("|---") and i > 0]


def test_quickstart_is_exactly_the_three_commands():
    assert first_code_block(README, "## Quickstart") == QUICKSTART
    ci = (ROOT / ".ci" / "run").read_text()
    assert "-r requirements.txt" in ci
    assert any(line.strip().startswith("python -m pytest") for line in ci.splitlines())  # the same test command


def test_requirements_pin_cpu_torch_and_install_the_package():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "torch==2.13.0" in lines and "-e ." in lines


def test_every_notebook_is_listed_and_every_listed_one_exists():
    listed = set(re.findall(r"\]\((notebooks/[^)]+\.ipynb)\)", README))
    lessons = {str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert listed == lessons
    assert (ROOT / "notebooks" / "exercises" / "README.md").is_file()


def test_results_block_is_what_the_shipped_results_say(shipped):
    assert README.count(BEGIN) == 1 and README.count(END) == 1
    assert readme_with_results(README, results_markdown(*shipped)) == README, \
        "README results are stale: run python -m maddpg_lite.figures --readme-only"


def test_results_json_agrees_with_an_independent_run_of_the_same_recipe(shipped):
    # figures/results.json (python -m maddpg_lite.figures) and the study's MADDPG seed-0 run
    # (python -m maddpg_lite.study, another process) trained the same recipe separately
    run, study, *_ = shipped
    row = next(r for r in study["rows"] if (r["good_team"], r["adversary"], r["seed"]) == ("maddpg", "maddpg", 0))
    for name in ("adversary_0", "agent_0", "agent_1"):
        assert round(run["final_returns"][name], 4) == pytest.approx(row[f"return_{name}"], abs=1e-4)
    for key, value in run["deception"].items():
        assert value == pytest.approx(row[key], abs=1e-9)


@pytest.mark.parametrize("readme", [README, README_ZH], ids=["en", "zh"])
def test_the_note_on_another_computer_quotes_the_shipped_run_and_the_study(readme, shipped):
    # the paragraph on why a run of yours may differ quotes the shipped seed-0 run and the ten-seed intervals
    run, study, *_ = shipped
    summary = study["summary"]["maddpg vs maddpg"]
    returns = run["final_returns"]
    quoted = [f"{returns['adversary_0']:.2f}", f"{returns['agent_0']:+.2f}"]
    for key in ("return_adversary_0", "return_agent_0"):
        s = summary[key]
        fmt = "{:+.2f}" if s["mean"] > 0 else "{:.2f}"
        quoted.append(f"{fmt.format(s['mean'])} [{fmt.format(s['low'])}, {fmt.format(s['high'])}]")
    paragraph = next(p for p in readme.split("\n\n") if "-14.17" in p)  # the run measured on another host
    for number in quoted:
        assert number in paragraph, number
    assert study["seeds"] == list(range(10))


def test_baseline_numbers_are_remeasured(shipped):
    run = shipped[0]
    for name, policy in [("random", random_policy(0)), ("noop", noop_policy())]:
        fresh = evaluate(policy, run["eval_episodes"])
        recorded = {k: run["baselines"][name][k] for k in ("returns", "deception")}
        where, difference = largest_difference(fresh, recorded)  # recorded on another computer
        assert difference <= REPLAY_TOLERANCE, f"{name}: {where} is {difference:.3g} away from its recorded value"


def test_the_claims_of_how_to_read_this(shipped):
    run, study, *_ = shipped
    base = run["baselines"]
    rows = {(r["good_team"], r["adversary"], r["seed"]): r for r in study["rows"]}
    s = study["summary"]
    seeds = study["seeds"]
    # the headline: equal, positive good returns and negative adversary returns on every seed
    for seed in seeds:
        r = rows[("maddpg", "maddpg", seed)]
        assert r["return_agent_0"] == r["return_agent_1"] > 0 > r["return_adversary_0"]
    # random and no-op good agents already score positive
    assert base["random"]["returns"]["agent_0"] > 0 and base["noop"]["returns"]["agent_0"] > 0
    # trained good agents reach the target far more often than random or motionless ones (3x at least)
    baseline_best = max(b["deception"]["good_on_target"] for b in base.values())
    assert s["maddpg vs maddpg"]["good_on_target"]["low"] > 3 * baseline_best
    # a split (two different agents, one per landmark): "a few percent" (under 5%) on every seed,
    # more than a random team, which almost never splits (under 1%)
    assert all(rows[("maddpg", "maddpg", seed)]["all_landmarks_covered"] < 0.05 for seed in seeds)
    assert base["random"]["deception"]["all_landmarks_covered"] < 0.01
    assert s["maddpg vs maddpg"]["all_landmarks_covered"]["low"] > base["random"]["deception"]["all_landmarks_covered"]
    # the MADDPG adversary ends nearer the target in most episodes, far above a guess
    assert s["maddpg vs maddpg"]["adversary_closer_to_target"]["low"] > 0.6
    # the MADDPG adversary scores higher on average against either team, ahead on most seeds, but
    # the interval of the paired difference still reaches zero
    for team in ("maddpg", "ddpg"):
        d = paired_difference(study, "adversary_0", team)
        assert d["mean"] > 0 and d["ahead"] > len(seeds) / 2 and d["low"] < 0, (team, d)
    # good agents score higher under DDPG ...
    assert s["ddpg vs ddpg"]["return_agent_0"]["mean"] > s["maddpg vs maddpg"]["return_agent_0"]["mean"]
    # ... but with the adversary held fixed, the good teams' paired difference is not told from 0
    for adversary in ("maddpg", "ddpg"):
        d = paired_difference(study, "agent_0", adversary)
        assert d["low"] < 0 < d["high"], (adversary, d)


def test_the_convergence_claim(shipped):
    from maddpg_lite.study import adversary_episodes_to_random, mean_ci

    _, study, *_ = shipped
    maddpg, ddpg = (adversary_episodes_to_random(study, m) for m in ("maddpg", "ddpg"))
    assert None not in maddpg and max(maddpg) < study["config"]["episodes"] / 4
    assert None not in ddpg
    assert mean_ci([m - d for m, d in zip(maddpg, ddpg)])["high"] < 0
    # no collapse, and no "more stable": MADDPG's final adversary returns spread at least as much
    rows = [r for r in study["rows"] if r["good_team"] == r["adversary"]]
    spread = {m: np.std([r["return_adversary_0"] for r in rows if r["good_team"] == m], ddof=1)
              for m in ("maddpg", "ddpg")}
    random_adversary = shipped[0]["baselines"]["random"]["returns"]["adversary_0"]
    assert all(r["return_adversary_0"] > random_adversary for r in rows)
    assert spread["maddpg"] >= spread["ddpg"]


def test_paired_difference_by_hand():
    rows = [{"good_team": g, "adversary": a, "seed": seed, "return_adversary_0": ra, "return_agent_0": -ra}
            for seed, (mm, dm, md, dd) in enumerate([(-10, -11, -14, -15), (-12, -12.5, -13, -12)])
            for (g, a, ra) in [("maddpg", "maddpg", mm), ("ddpg", "maddpg", dm), ("maddpg", "ddpg", md),
                               ("ddpg", "ddpg", dd)]]
    study = {"rows": rows, "seeds": [0, 1]}
    # adversary role, good team MADDPG fixed: (maddpg, maddpg) - (maddpg, ddpg) = 4 and 1
    d = paired_difference(study, "adversary_0", "maddpg")
    assert d["mean"] == pytest.approx(2.5) and d["ahead"] == 2 and d["n"] == 2
    # good role, adversary DDPG fixed: (maddpg, ddpg) - (ddpg, ddpg) on agent_0 = -(-14+15), -(-13+12) = -1, 1
    d = paired_difference(study, "agent_0", "ddpg")
    assert d["mean"] == pytest.approx(0.0) and d["ahead"] == 1


def test_every_figure_the_readme_shows_exists():
    for path in re.findall(r"\]\((figures/[^)]+)\)", README):
        assert (ROOT / path).is_file(), path


def test_the_claims_about_the_paper_table(shipped):
    paper = shipped[2]
    S = paper["summary"]
    recipes = list(paper["recipes"])
    mm = {r: S[f"{r}: maddpg vs maddpg"] for r in recipes}
    md = {r: S[f"{r}: maddpg vs ddpg"] for r in recipes}
    assert paper["runs_finished"] == paper["runs_planned"] == 50
    assert all(mm[r]["good_success"]["high"] < 0.947 for r in recipes)  # never the paper's 94.7%
    best = sorted(recipes, key=lambda r: mm[r]["good_success"]["mean"])[-2:]  # "85-87% at best": book, paper
    assert set(best) == {"book", "paper"} and all(0.845 <= mm[r]["good_success"]["mean"] < 0.875 for r in best)
    assert all(mm[r]["adversary_success"]["low"] > 0.34 for r in recipes)
    assert round(100 * mm["paper"]["adversary_success"]["mean"]) == 45
    soft = [mm[r]["all_landmarks_covered"]["mean"] for r in ("paper", "paper-distance")]
    onehot = [mm[r]["all_landmarks_covered"]["mean"] for r in ("paper-onehot", "paper-onehot-distance")]
    assert 0.07 <= min(soft) and max(soft) < 0.105 and 0.005 < min(onehot) and max(onehot) < 0.03
    ratios = [mm[a]["adversary_success"]["mean"] / mm[b]["adversary_success"]["mean"]
              for a, b in (("paper", "paper-distance"), ("paper-onehot", "paper-onehot-distance"))]
    assert all(0.795 < r < 0.875 for r in ratios)  # lowered by 13-20% of its value
    assert 0.175 < min(md[r]["adversary_success"]["mean"] for r in recipes)
    assert max(md[r]["adversary_success"]["mean"] for r in recipes) < 0.345
    closer = [mm[r]["adversary_closer_to_target"]["mean"] for r in recipes]
    assert 0.615 < min(closer) and max(closer) < 0.805


def test_the_claims_about_the_six_games(shipped):
    from maddpg_lite import six_games

    six = shipped[3]
    games = six["games"]
    assert six["runs_finished"] == six["runs_planned"] == 36
    ahead = {}
    for game, e in games.items():
        for team in ("good", "adversary"):
            if f"return_{team}" in e["baselines"]["random"]:
                ahead[(game, team)] = six_games.verdict(e, f"return_{team}", True)
    assert ahead.pop(("simple_push_v3", "adversary")) == "MADDPG"
    assert ahead.pop(("simple_push_v3", "good")) == "DDPG"
    assert ahead.pop(("simple_crypto_v3", "adversary")) == "DDPG"  # DDPG's eavesdropper, always right
    assert set(ahead.values()) == {"no clear difference"}  # everywhere else, the intervals overlap
    push = games["simple_push_v3"]["methods"]
    assert push["maddpg"]["stats"]["adversary_to_goal"]["high"] < push["ddpg"]["stats"]["adversary_to_goal"]["low"]
    crypto = games["simple_crypto_v3"]["methods"]
    assert 0.4 < crypto["maddpg"]["stats"]["eve_correct"]["mean"] < 0.6
    assert crypto["ddpg"]["stats"]["eve_correct"]["low"] > 0.99
    assert sum(r["return_good"] > 10 for r in crypto["maddpg"]["rows"]) == 2  # two seeds of three keep the secret
    assert all(abs(r["return_good"]) < 1 for r in crypto["ddpg"]["rows"])
    spread = games["simple_spread_v3"]["methods"]
    assert all(1.3 <= round(spread[m]["stats"]["min_dist_sum"]["mean"], 1) <= 1.4 for m in ("maddpg", "ddpg"))


# ----- the Chinese edition: README.zh-CN.md -------------------------------------------------------
def test_the_chinese_quickstart_is_exactly_the_same_three_commands():
    assert first_code_block(README_ZH, "## 快速开始") == QUICKSTART


def test_each_readme_links_the_other():
    assert "](README.md)" in README_ZH
    assert "](README.zh-CN.md)" in README.split("\n## ", 1)[0], "README.md links README.zh-CN.md near the top"


def test_the_chinese_course_map_links_the_chinese_edition_of_every_english_notebook():
    # the Chinese files appear as the translations are finished: each link must name an English notebook,
    # and every English lesson and appendix must be linked
    linked = re.findall(r"\]\((notebooks/zh/[^)]+\.ipynb)\)", README_ZH)
    english = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert linked and len(linked) == len(set(linked))
    for path in linked:
        assert (ROOT / "notebooks" / path.removeprefix("notebooks/zh/")).is_file(), f"{path}: no English notebook"
    assert {Path(path).name for path in linked} >= english
    assert "](notebooks/zh/exercises/)" in README_ZH and "](notebooks/glossary.md)" in README_ZH


def test_the_chinese_results_block_is_chinese():
    block = results_block(README_ZH)
    english_headers = set(table_headers(results_block(README)))
    headers = table_headers(block)
    assert len(headers) == len(english_headers) >= 2
    for header in headers:
        assert HAN.search(header) and header not in english_headers, header


def test_the_chinese_results_block_is_what_the_command_writes_in_chinese(shipped):
    assert readme_with_results(README_ZH, results_markdown_in("zh_CN", *shipped)) == README_ZH, STALE_ZH
    assert i18n.language() == "en"


def test_the_command_writes_both_readmes(tmp_path):
    # python -m maddpg_lite.figures --readme-only, on copies whose blocks are emptied first
    english, chinese = tmp_path / "README.md", tmp_path / "README.zh-CN.md"
    english.write_text(readme_with_results(README, "stale"))
    chinese.write_text(readme_with_results(README_ZH, "stale"), encoding="utf-8")
    update_readme(readme=english, readme_zh=chinese)
    assert english.read_text() == README
    assert chinese.read_text(encoding="utf-8") == README_ZH, STALE_ZH
    assert i18n.language() == "en"
    assert results_markdown_in("en", *load_shipped_results()) == results_block(README)
