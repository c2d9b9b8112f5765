"""The Chinese edition (notebooks/zh/), generated from notebooks/locale/zh_CN/*.po by python -m maddpg_lite.translate.

For every notebook and document in the finished list: every cell is translated and current (a changed English
cell fails here, naming the notebook, the cell and the change), the Chinese code equals the English up to
strings and comments, the glossary's words are used, the committed edition is exactly what the generator
makes; at least 97% of the Chinese markdown cells are Chinese prose. The mechanics (staleness, the code
comparison, the glossary and prose rules) are tested on hand-made inputs first. The package's own catalog
(.mo compiled from .po, every message translated), the Chinese verdicts and the figures' font are tested
at the end.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from maddpg_lite import i18n
from maddpg_lite import translate as tr

polib = pytest.importorskip("polib", reason="translation tests skipped: polib not installed "
                                            "(pip install -r requirements-dev.txt) to read the PO catalogs")

FINISHED = tr.finished()
NOTEBOOKS = [rel for rel in FINISHED if rel.endswith(".ipynb")]


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


# ----- the mechanics, on hand-made inputs -----------------------------------------------------------
def test_code_skeleton_ignores_strings_and_comments_only():
    english = 'x = f(a, "label")  # the comment\nprint(f"{name:12s} has {n} agents")\n'
    chinese = 'x = f(a, "标签")  # 注释\nprint(f"{name:8s} 有 {n} 个智能体")\n'
    assert tr.code_skeleton(chinese) == tr.code_skeleton(english)
    assert tr.code_skeleton('print(f"{n} 个智能体属于 {name}")\nx = f(a, "")') != tr.code_skeleton(english)  # order
    assert tr.code_skeleton('x = f(a, "标签")\nprint(f"{name:12s} 有 {n + 1} 个智能体")\n') != tr.code_skeleton(english)
    assert tr.code_skeleton('x = g(a, "label")\nprint(f"{name:12s} has {n} agents")\n') != tr.code_skeleton(english)
    assert tr.code_skeleton('%matplotlib inline\nx = 1  # one') == tr.code_skeleton('%matplotlib inline\nx = 1')


def test_code_with_text_is_a_message_and_plain_code_is_not():
    assert tr.code_has_text('print("agents:", env.agents)')
    assert tr.code_has_text("x = 1  # why")
    assert tr.code_has_text('obs["agent_0"].shape')  # a key or a label? a translator decides
    assert not tr.code_has_text('plt.plot(x, color="C0")')
    assert not tr.code_has_text('print(f"{x:12s} {y}")')
    assert not tr.code_has_text("y = x + 1")


def test_glossary_rule_on_hand_made_cells():
    terms = [(["replay buffer"], "经验回放池"), (["good agent", "good agents"], "正常智能体"), (["one-hot"], "one-hot")]
    english = "The **replay buffer** feeds the good agents a `one-hot` action and $x$ replay buffer."
    assert tr.glossary_misses(english, "经验回放池给正常智能体提供动作。", terms) == []
    assert tr.glossary_misses(english, "回放缓冲区给好的智能体提供动作。", terms) == [
        "replay buffer -> 经验回放池", "good agent -> 正常智能体"]  # one-hot is inside code: not asked
    assert tr.glossary_misses("two good-agents and multi-one-hot", "", terms) == []


def test_prose_rule_on_hand_made_cells():
    assert tr.is_chinese_prose("## 5. 欺骗还是居中观望？ `adversary_success` $d^2$") is True
    assert tr.is_chinese_prose("## 5. Deception or hedging? 欺骗") is False
    assert tr.is_chinese_prose("$$y = r + \\gamma Q'(x', a')$$ `code here`") is None
    assert tr.prose_counts("[第 5 课](05_training.ipynb) MADDPG and DDPG") == (2, 3)


def test_glossary_has_at_least_40_terms_each_with_its_source():
    rows = [line for line in tr.GLOSSARY.read_text("utf-8").splitlines()
            if line.startswith("| ") and not line.startswith("| English")]
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    assert len(cells) >= 40
    for english, chinese, taught, source in cells:
        assert english and chinese and taught, english
        book = source.startswith("第") and source.endswith("章")
        assert source == "本课程" or book, f"{english}: source {source!r}"
    assert sum(source == "第21章" for *_, source in cells) >= 30, "the book's own words first"


@pytest.fixture
def tiny_course(tmp_path, monkeypatch):
    """A one-notebook course in tmp_path: an English notebook with one markdown and one code cell."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = {"cells": [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["The replay buffer."]},
                    {"cell_type": "code", "id": "run", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": ['print("stored", n)  # count']}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (notebooks / "01_ctde_football.ipynb").write_text(json.dumps(nb), "utf-8")
    shutil.copy(tr.GLOSSARY, notebooks / "glossary.md")
    monkeypatch.setattr(tr, "NOTEBOOKS_DIR", notebooks)
    monkeypatch.setattr(tr, "LOCALE_DIR", notebooks / "locale" / "zh_CN")
    monkeypatch.setattr(tr, "ZH_DIR", notebooks / "zh")
    monkeypatch.setattr(tr, "GLOSSARY", notebooks / "glossary.md")
    monkeypatch.setattr(tr, "DOCUMENTS", ())
    return notebooks


def _translate(rel, strings):
    po = tr.load_catalog(tr.po_path(rel))
    for e in po:
        e.msgstr, e.flags = strings[e.msgctxt], []
    tr.save_catalog(po, tr.po_path(rel))


def test_a_changed_english_cell_fails_naming_the_cell_and_the_change(tiny_course):
    rel = "01_ctde_football.ipynb"
    assert tr.extract(rel) == (2, 0, 0)
    assert [p.split(":")[0] for p in tr.problems(rel)] == [
        f"notebooks/{rel}, cell 0 (id intro, markdown)", f"notebooks/{rel}, cell 1 (id run, code)"]
    _translate(rel, {"intro": "经验回放池。", "run": 'print("已存储", n)  # 计数'})
    assert tr.problems(rel) == []
    zh = json.loads(tr.build(rel, {rel}))
    assert [c["id"] for c in zh["cells"]] == [tr.LANGUAGE_CELL_ID, "intro", "run"]
    assert "".join(zh["cells"][1]["source"]) == "经验回放池。"

    path = tiny_course / rel  # the English changes
    nb = json.loads(path.read_text("utf-8"))
    nb["cells"][0]["source"] = ["The replay buffer (a deque)."]
    path.write_text(json.dumps(nb), "utf-8")
    stale = tr.problems(rel)
    assert len(stale) == 1 and "cell 0 (id intro, markdown): the English changed" in stale[0]
    assert "+The replay buffer (a deque)." in stale[0] and "-The replay buffer." in stale[0]
    assert "".join(json.loads(tr.build(rel, {rel}))["cells"][1]["source"]) == "The replay buffer (a deque)."

    assert tr.extract(rel) == (0, 1, 0)  # kept, marked fuzzy, the old English kept beside it
    stale = tr.problems(rel)
    assert len(stale) == 1 and "remove its fuzzy mark" in stale[0] and "-The replay buffer." in stale[0]

    nb["cells"][1]["source"] = ['print("stored", n + 1)  # count']  # a code change the translation lacks
    path.write_text(json.dumps(nb), "utf-8")
    tr.extract(rel)
    _translate(rel, {"intro": "经验回放池（一个双端队列）。", "run": 'print("已存储", n)  # 计数'})
    assert any("differs from the English beyond strings and comments" in p for p in tr.problems(rel))


def test_links_point_to_the_chinese_lessons_and_figures_one_folder_up():
    done = {"03_gumbel_softmax.ipynb", "05_training.ipynb"}
    text = "[03](03_gumbel_softmax.ipynb#x) [06](06_maddpg_vs_ddpg.ipynb) ![](../figures/returns.png) [R](../README.md)"
    assert tr.rewrite_links(text, "05_training.ipynb", done) == (
        "[03](03_gumbel_softmax.ipynb#x) [06](../06_maddpg_vs_ddpg.ipynb) ![](../../figures/returns.png) "
        "[R](../../README.zh-CN.md)")
    code = "`critics[i](torch.cat(x))` and\n```\ny = f[i](../figures/x)\n```\n"
    assert tr.rewrite_links(code, "05_training.ipynb", done) == code
    assert tr.rewrite_links("[guide](README.md) [l](../05_training.ipynb)",
                            "exercises/source/05_training/05_training_exercises.ipynb", done) == (
        "[guide](../../exercises/README.md) [l](../05_training.ipynb)")


# ----- the finished notebooks and documents ---------------------------------------------------------
def test_the_finished_list_names_english_sources_and_nothing_else_is_in_the_chinese_edition():
    assert set(FINISHED) <= set(tr.sources())
    assert len(FINISHED) == len(set(FINISHED))
    assert tr.strays() == [], "not made from the finished list (python -m maddpg_lite.translate says what to do)"
    if any(rel.startswith("exercises/source/") for rel in FINISHED):
        config = tr.ZH_DIR / "exercises" / "nbgrader_config.py"
        assert config.read_text("utf-8") == tr.zh_nbgrader_config()


@pytest.mark.parametrize("rel", FINISHED)
def test_translation_is_complete_current_and_uses_the_glossary(rel):
    problems = tr.problems(rel)
    assert not problems, f"{len(problems)} problems (python -m maddpg_lite.translate --check):\n" + "\n".join(problems)


@pytest.mark.parametrize("rel", FINISHED)
def test_committed_chinese_edition_is_what_the_generator_makes(rel):
    path = tr.NOTEBOOKS_DIR / tr.zh_rel(rel)
    assert path.exists(), f"notebooks/{tr.zh_rel(rel)} is missing: run python -m maddpg_lite.translate"
    assert path.read_text("utf-8") == tr.build(rel, set(FINISHED)), (
        f"notebooks/{tr.zh_rel(rel)} is not what python -m maddpg_lite.translate makes "
        "(edited by hand, or not rebuilt)")


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_chinese_code_cells_equal_the_english_up_to_strings_and_comments(rel):
    english = json.loads((tr.NOTEBOOKS_DIR / rel).read_text("utf-8"))["cells"]
    chinese = json.loads((tr.NOTEBOOKS_DIR / tr.zh_rel(rel)).read_text("utf-8"))["cells"]
    language, *chinese = chinese
    assert language["id"] == tr.LANGUAGE_CELL_ID and "set_language(\"zh_CN\")" in "".join(language["source"])
    assert [c["id"] for c in chinese] == [c["id"] for c in english]
    for i, (en, zh) in enumerate(zip(english, chinese)):
        assert en["cell_type"] == zh["cell_type"] and en["metadata"] == zh["metadata"]
        if en["cell_type"] == "code":
            assert tr.code_skeleton("".join(zh["source"])) == tr.code_skeleton("".join(en["source"])), (
                f"notebooks/{tr.zh_rel(rel)}, cell {i + 1}: the code differs from the English beyond strings")


def test_at_least_97_percent_of_the_chinese_markdown_is_chinese_prose():
    if not FINISHED:
        pytest.skip("no finished translation yet")
    chinese, cells = tr.prose_share(FINISHED)
    share = chinese / cells
    assert share >= 0.97, f"{share:.1%} of {cells} Chinese markdown cells are Chinese prose"


# ----- what the package says --------------------------------------------------------------------
def test_package_catalog_is_compiled_and_complete():
    po = i18n.catalog_path("zh_CN")
    assert i18n.catalog_path("zh_CN", ".mo").read_bytes() == tr.compiled(po), (
        "maddpg_lite.mo is not compiled from maddpg_lite.po: run python -m maddpg_lite.translate")
    cat = tr.load_catalog(po)
    missing = [e.msgid for e in cat if not e.msgstr or "fuzzy" in e.flags]
    assert not missing, f"{len(missing)} package messages untranslated, e.g. {missing[0]!r}"
    absent = sorted(set(tr.package_messages()) - {e.msgid for e in cat})
    assert not absent, f"{len(absent)} messages of the package are not in the catalog, e.g. {absent[0]!r} " \
                       "(python -m maddpg_lite.translate --extract)"


def test_english_is_the_default_and_chinese_is_spoken_after_set_language():
    from maddpg_lite.checks.core import CheckResult

    result = CheckResult("x", "passed", "")
    assert i18n.language() == "en" and result.verdict == "passed"
    assert i18n.set_language("zh") == "zh_CN" and tr.HAN.search(result.verdict)
    assert i18n.set_language("en") == "en" and result.verdict == "passed"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.set_language("fr")


def test_a_chinese_figure_draws_every_glyph():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    i18n.set_language("zh_CN")
    assert i18n.figure_font()
    fig, ax = plt.subplots()
    ax.set_title("".join(sorted(tr.glyphs_of_figures()))[:200] or "回报")
    ax.set_xlabel("训练序列")
    ax.plot([0, 1], [-1, 1], label="对抗智能体")
    ax.legend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught][:3]


def test_english_words_of_a_figure_text_on_hand_made_labels():
    english = {"rush": ["rush"], "oracle\n(cheats)": ["oracle", "cheats"],
               "good agent on target": ["good", "agent", "target"], "DDPG (independent)": ["independent"],
               "VecSimpleAdversary slot 0": ["slot"], "$Q_i(x, a)$ loss": ["loss"],
               "adversary reward -d": ["adversary", "reward"]}
    code = ["adversary_0", "agent_0（视野外）", "reset(seed=0)", "p = softmax(logits)", "mpe2 reset(seed=999)",
            "simple_spread_v3, reset(seed=EVAL_SEED)", "MADDPG", "Actor", "one-hot", "Critic $Q_i$", "0.5", "K = 50",
            "torch.no_grad()", "Config.num_envs", "直冲\n（rush）", "book：原书的训练方案", "max_k y_k"]
    for text, words in english.items():
        assert i18n.english_words(text) == words, text
    for text in code:
        assert i18n.english_words(text) == [], text


def test_a_figure_drawn_in_chinese_fails_on_english_words(monkeypatch, tmp_path):
    import matplotlib.pyplot as plt

    log = tmp_path / "figure-text.log"
    monkeypatch.setenv(i18n.CHECK_FIGURE_TEXT, str(log))
    try:
        cases = [("zh_CN", "rush", True), ("zh_CN", "直冲（rush）", False), ("en", "rush", False)]
        for language, title, fails in cases:
            i18n.set_language(language)
            fig, ax = plt.subplots()
            ax.plot([0, 1], [0, 1], label="agent_0")
            ax.legend()
            ax.set_title(title)
            if fails:
                with pytest.raises(AssertionError, match="English words in a figure drawn in Chinese: 'rush'"):
                    fig.savefig(io.BytesIO(), format="png")
            else:
                fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)
        i18n.set_language("zh_CN")
        monkeypatch.setitem(i18n._state, "figure_font", None)  # no CJK font: figure text stays English, allowed
        fig, ax = plt.subplots()
        ax.set_title("return")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
        monkeypatch.delenv(i18n.CHECK_FIGURE_TEXT)  # the check is off without the variable, even once installed
        monkeypatch.setitem(i18n._state, "figure_font", "Noto Sans CJK SC")
        fig, ax = plt.subplots()
        ax.set_title("return")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    finally:
        i18n.set_language("en")
    assert log.read_text(encoding="utf-8") == "English words in a figure drawn in Chinese: 'rush' (rush)\n"


def test_nbval_fails_the_cell_of_a_chinese_notebook_that_draws_english_even_if_the_error_is_swallowed(tmp_path):
    """The whole path as the test suite runs a lesson: conftest.py's variable, a kernel, nbval, the report."""
    import nbformat

    cells = ['import maddpg_lite\nmaddpg_lite.set_language("zh_CN")',
             'import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.set_title("直冲")\nplt.show()',
             'import io\nfig, ax = plt.subplots()\nax.set_title("rush")\ntry:\n    fig.savefig(io.BytesIO())\n'
             'except AssertionError:\n    pass  # swallowed, as IPython display may do\nplt.close(fig)']
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(notebook, tmp_path / "lesson.ipynb")
    shutil.copy(Path(tr.REPO_ROOT) / "conftest.py", tmp_path / "conftest.py")
    env = {k: v for k, v in os.environ.items() if k != i18n.CHECK_FIGURE_TEXT}
    env["PYTHONPATH"] = os.pathsep.join([str(tr.REPO_ROOT), env.get("PYTHONPATH", "")])
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "no:cacheprovider",
                          "lesson.ipynb"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 failed, 2 passed" in run.stdout, run.stdout[-2000:]
    assert "lesson.ipynb::Cell 2: English words in a figure drawn in Chinese: 'rush' (rush)" in run.stdout


def test_the_bundled_font_holds_every_character_of_the_figure_text():
    from matplotlib import ft2font

    assert i18n.BUNDLED_FONT.exists(), "no bundled font: run python -m maddpg_lite.translate"
    charmap = ft2font.FT2Font(str(i18n.BUNDLED_FONT)).get_charmap()
    missing = sorted(ch for ch in tr.glyphs_of_figures() if ord(ch) not in charmap)
    assert not missing, f"the bundled font lacks {''.join(missing[:20])}: run python -m maddpg_lite.translate"


def test_without_any_cjk_font_figures_stay_english_and_it_says_so_once(monkeypatch, capsys, tmp_path):
    from matplotlib import font_manager

    monkeypatch.setattr(i18n, "CJK_FONTS", ())
    monkeypatch.setattr(i18n, "BUNDLED_FONT", tmp_path / "none.otf")
    monkeypatch.setattr(i18n, "_fallback_said", [])
    monkeypatch.setattr(font_manager.fontManager, "ttflist", list(font_manager.fontManager.ttflist))
    i18n.set_language("zh_CN")
    i18n.set_language("zh_CN")
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and "fonts-noto-cjk" in said[0]
    assert i18n.figure_font() is None and i18n._fig("return") == "return"


def test_every_catalog_passes_gettexts_own_check():
    """``msgfmt --check`` (GNU gettext, what translators' tools run): headers, format strings, placeholders."""
    import subprocess

    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt check skipped: GNU gettext not installed (apt-get install gettext)")
    catalogs = [tr.po_path(rel) for rel in FINISHED] + [i18n.catalog_path("zh_CN")]
    for po in catalogs:
        run = subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
        assert run.returncode == 0 and not run.stderr, f"{po}: {run.stderr}"


def test_package_messages_keep_their_placeholders():
    import re

    for e in tr.load_catalog(i18n.catalog_path("zh_CN")):
        if e.msgstr:
            assert sorted(re.findall(r"\{\w*\}", e.msgid)) == sorted(re.findall(r"\{\w*\}", e.msgstr)), e.msgid


def test_the_chinese_lessons_show_chinese_pictures():
    """A picture from figures/ holds English text; the Chinese edition shows its Chinese twin (``*.zh_CN.png``,
    drawn by python -m maddpg_lite.figures), which exists."""
    import re

    shown = []
    for rel in NOTEBOOKS:
        path = tr.NOTEBOOKS_DIR / tr.zh_rel(rel)
        for cell in json.loads(path.read_text("utf-8"))["cells"]:
            for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", "".join(cell["source"])):
                if "figures/" in target:
                    shown.append(target)
                    assert target.endswith(".zh_CN.png"), f"notebooks/{tr.zh_rel(rel)} shows the English {target}"
                    assert (path.parent / target).resolve().is_file(), f"{target} is missing"
    assert shown, "lesson 05 shows the full run's return curves"


def test_a_changed_block_of_a_document_keeps_its_translation_marked_fuzzy(tiny_course, monkeypatch):
    """Document blocks have no id: a changed block finds its old translation by likeness (as msgmerge does), an
    unrelated new block starts empty."""
    rel = "exercises/answers.md"
    (tiny_course / "exercises").mkdir()
    doc = tiny_course / rel
    doc.write_text("# Answers\n\nThe replay buffer holds 100,000 transitions.\n", "utf-8")
    monkeypatch.setattr(tr, "DOCUMENTS", (rel,))
    assert tr.extract(rel) == (2, 0, 0)
    po = tr.load_catalog(tr.po_path(rel))
    po.find("# Answers").msgstr = "# 答案"
    po.find("The replay buffer holds 100,000 transitions.").msgstr = "经验回放池存放 100,000 条转移。"
    tr.save_catalog(po, tr.po_path(rel))
    assert tr.problems(rel) == []
    doc.write_text("# Answers\n\nThe replay buffer holds 1,000,000 transitions.\n\nA new block about seeds.\n", "utf-8")
    assert tr.extract(rel) == (1, 1, 0)
    stale = tr.problems(rel)
    assert len(stale) == 2 and "remove its fuzzy mark" in stale[0] and "-The replay buffer holds 100,000" in stale[0]
    assert "not translated: A new block about seeds." in stale[1]
    assert tr.build(rel, {rel}).startswith("# 答案\n\nThe replay buffer holds 1,000,000")  # English until updated
