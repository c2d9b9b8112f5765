"""The Chinese edition (``notebooks/zh/``), generated from the English notebooks and gettext PO catalogs.

The English notebooks are the source. Each English notebook or document ``notebooks/<rel>`` has one PO
catalog, ``notebooks/locale/zh_CN/<rel without suffix>.po``, that a translator's tools open (Poedit, Lokalize,
any editor): one message per cell, its context the cell's id, its ``msgid`` the English cell and its
``msgstr`` the Chinese one. Markdown cells are messages; so is every code cell with a comment or a text
string (its translation may change comments and strings only: the code is shared). Documents (the answer
key, the instructor guide) are split into blocks at blank lines, one message per block. ::

    python -m maddpg_lite.translate              # build notebooks/zh/ from the catalogs (the finished list)
    python -m maddpg_lite.translate --extract    # put new and changed English cells into the catalogs
    python -m maddpg_lite.translate --check      # write nothing; list what is stale or untranslated

Building writes, for each notebook in the finished list (``notebooks/locale/zh_CN/finished.txt``), its
Chinese edition at the same path under ``notebooks/zh/`` (an exercise set's nbgrader source goes to
``notebooks/zh/exercises/source/<set>_zh/``: the Chinese sets are the nbgrader assignments ``<set>_zh``),
with one extra code cell at the top, ``maddpg_lite.set_language("zh_CN")``, and relative links rewritten for
the deeper folder. It then compiles the package's own catalog
(``maddpg_lite/locale/zh_CN/LC_MESSAGES/maddpg_lite.po`` -> ``.mo``, the checkers' verdicts, the widgets'
labels, figure text), makes the subset font of the Chinese figure text (:data:`maddpg_lite.i18n.BUNDLED_FONT`),
and runs ``python -m maddpg_lite.assignments`` for the student and solution versions of the Chinese sets.

A changed English cell makes its translation stale: ``--extract`` keeps the old translation, marks it fuzzy
and records the old English (``#| msgid``) so the translator sees what changed; until the translator clears
the mark the Chinese notebook keeps the English cell, and ``tests/test_translation.py`` fails naming the
notebook, the cell and the change. Catalogs are read and written with ``polib`` (``pip install -r
requirements-dev.txt``); the package's messages are found with babel's extractor (installed with JupyterLab).
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .i18n import BUNDLED_FONT, catalog_path
from .paths import NOTEBOOKS_DIR, PACKAGE_DIR, REPO_ROOT, write_text

LANG = "zh_CN"
LOCALE_DIR = NOTEBOOKS_DIR / "locale" / LANG
"""The catalogs of the notebooks and documents, mirroring ``notebooks/``."""
ZH_DIR = NOTEBOOKS_DIR / "zh"
"""The Chinese edition, mirroring ``notebooks/`` (generated, never edited by hand)."""
FINISHED_FILE = LOCALE_DIR / "finished.txt"
"""The notebooks and documents whose translation is finished, one path under ``notebooks/`` per line:
the tests and the generator apply to these."""
DOCUMENTS = ("exercises/answers.md", "exercises/README.md")
"""Markdown documents translated block by block (the answer key, the instructor guide)."""
LANGUAGE_CELL_ID = "set-language"
LANGUAGE_CELL = ('# 中文版：本包输出的文字（检查函数的结论、控件、图中文字）从这里起都用中文\n'
                 'import maddpg_lite\n\n'
                 'maddpg_lite.set_language("zh_CN")')
"""The one extra cell at the top of every Chinese notebook."""
README = "README.md"
README_ZH = "README.zh-CN.md"
NOT_INSTALLED = "polib not installed (pip install -r requirements-dev.txt): it reads and writes the PO catalogs"


# ----- what is translated -----------------------------------------------------------------------
def sources() -> list[str]:
    """Every English notebook and document that has a Chinese edition, as paths under ``notebooks/``."""
    found = sorted(NOTEBOOKS_DIR.glob("[0-9]*.ipynb")) + sorted(NOTEBOOKS_DIR.glob("appendix_*.ipynb"))
    found += sorted((NOTEBOOKS_DIR / "exercises" / "source").glob("*/*.ipynb"))
    return [p.relative_to(NOTEBOOKS_DIR).as_posix() for p in found] + list(DOCUMENTS)


def finished() -> list[str]:
    """The finished list (:data:`FINISHED_FILE`), in its order; ``#`` starts a comment."""
    if not FINISHED_FILE.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in FINISHED_FILE.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def po_path(rel: str) -> Path:
    """The catalog of ``notebooks/<rel>``: ``notebooks/locale/zh_CN/<rel without its suffix>.po``."""
    return LOCALE_DIR / Path(rel).with_suffix(".po")


def zh_rel(rel: str) -> str:
    """Where the Chinese edition of ``notebooks/<rel>`` lives, under ``notebooks/``: ``zh/<rel>``, except an
    exercise set's nbgrader source, ``zh/exercises/source/<set>_zh/<notebook>``."""
    parts = Path(rel).parts
    if parts[:2] == ("exercises", "source") and len(parts) == 4:
        return Path("zh", "exercises", "source", parts[2] + "_zh", parts[3]).as_posix()
    return Path("zh", rel).as_posix()


def home(rel: str) -> str:
    """The folder (under ``notebooks/``) a reader opens ``rel`` from: an nbgrader source is read as the student
    version it becomes, in ``exercises/``."""
    parts = Path(rel).parts
    if parts[:2] == ("exercises", "source"):
        return "exercises"
    return Path(rel).parent.as_posix()


_WORDY_STRING = re.compile(r"[A-Za-z]{2,}")


def code_has_text(code: str) -> bool:
    """Does a code cell hold anything a translator should see: a comment, or a string with two letters in a row
    (``"agent_0"`` too: only a person can tell a label from a key; a translator copies what is not text)?"""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(_magics_out(code)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return True
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            return True
        if tok.type == tokenize.STRING:
            body = re.sub(r"^[rbufRBUF]*('''|\"\"\"|'|\")", "", tok.string)[:-1].strip("'\"")
            if tok.string.lstrip("rbRB")[:1] in "fF":
                body = re.sub(r"\{[^{}]*\}", " ", body)
            if _WORDY_STRING.search(body):
                return True
    return False


def _magics_out(code: str) -> str:
    """IPython's ``%magic`` and ``!shell`` lines as plain statements, so the rest parses as Python."""
    return "\n".join("pass  # " + line if line.lstrip().startswith(("%", "!")) else line for line in code.split("\n"))


@dataclass
class Unit:
    """One message of a catalog: a cell (context = its id) or a block of a document (no context)."""

    context: str | None
    text: str
    kind: str
    """``"markdown"``, ``"code"`` or ``"block"``."""
    where: str
    """How a person finds it: ``"cell 7 (id cell-07, markdown)"`` or ``"block at line 12"``."""


def units(rel: str) -> list[Unit]:
    """The messages of ``notebooks/<rel>``, in order."""
    path = NOTEBOOKS_DIR / rel
    if rel.endswith(".md"):  # a block that repeats (a separator, a recurring line) is one message
        first = {}
        for line, text in blocks(path.read_text("utf-8")):
            first.setdefault(text, line)
        return [Unit(None, text, "block", f"block at line {line}") for text, line in first.items()]
    out = []
    for i, cell in enumerate(json.loads(path.read_text("utf-8"))["cells"]):
        text = "".join(cell["source"])
        if not text.strip():
            continue
        if cell["cell_type"] == "markdown" or (cell["cell_type"] == "code" and code_has_text(text)):
            out.append(Unit(cell["id"], text, cell["cell_type"], f"cell {i} (id {cell['id']}, {cell['cell_type']})"))
    return out


def blocks(text: str) -> list[tuple[int, str]]:
    """A markdown document as ``[(first line number, block)]``: blocks end at blank lines, except inside a
    fenced code block or an HTML comment's region (``<!-- BEGIN ... -->`` to ``<!-- END ... -->``)."""
    out, current, start, fence, region = [], [], 1, False, False
    for n, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        if stripped.startswith("<!-- BEGIN"):
            region = True
        if stripped.startswith("<!-- END"):
            region = False
        if not stripped and not fence and not region:
            if current:
                out.append((start, "\n".join(current)))
            current = []
            continue
        if not current:
            start = n
        current.append(line)
    if current:
        out.append((start, "\n".join(current)))
    return out


# ----- catalogs ---------------------------------------------------------------------------------
def _polib():
    try:
        import polib
    except ImportError:
        raise SystemExit(f"python -m maddpg_lite.translate: error: {NOT_INSTALLED}") from None
    return polib


HEADER = {"Project-Id-Version": "maddpg-lite", "Report-Msgid-Bugs-To": "the maddpg-lite issue tracker",
          "Last-Translator": "the maddpg-lite translators", "Language-Team": "简体中文 (zh_CN)", "Language": LANG,
          "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
          "Plural-Forms": "nplurals=1; plural=0;"}


def load_catalog(path: Path):
    """The catalog at ``path`` (a ``polib.POFile``), or an empty one if there is none yet."""
    polib = _polib()
    if path.exists():
        return polib.pofile(str(path), wrapwidth=0)
    return new_catalog()


def new_catalog(revised: str | None = None):
    """An empty catalog with the project's header; ``revised``: its PO-Revision-Date (default: today)."""
    import datetime

    po = _polib().POFile(wrapwidth=0)
    po.header = "Chinese (Simplified) translation of maddpg-lite. CC BY 4.0, like the lessons (see LICENSES/)."
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M+0000")
    po.metadata = {**HEADER, "PO-Revision-Date": revised or today}
    return po


def save_catalog(po, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, str(po))


def find(po, text: str, context: str | None):
    """The entry of ``text`` in ``context`` (``None``: no context), or ``None``."""
    return po.find(text, msgctxt=context if context is not None else False)


def extract(rel: str) -> tuple[int, int, int]:
    """Bring the catalog of ``rel`` in step with the English: new cells get empty messages, changed cells keep
    their translation marked fuzzy with the old English as ``#| msgid`` (``previous_msgid``), gone cells are
    dropped.

    Returns:
        ``(new, changed, removed)`` message counts.
    """
    polib = _polib()
    old = load_catalog(po_path(rel))
    by_context = {e.msgctxt: e for e in old if e.msgctxt}
    fresh = new_catalog(old.metadata.get("PO-Revision-Date"))
    new = changed = 0
    kept_ids = set()
    now = units(rel)
    current = {u.text for u in now}
    for unit in now:
        kept = find(old, unit.text, unit.context)
        entry = polib.POEntry(msgid=unit.text, msgstr="", msgctxt=unit.context, comment=unit.where)
        if kept is not None:  # cells are Markdown or code, never format strings: only "fuzzy" is kept
            entry.msgstr, entry.previous_msgid = kept.msgstr, kept.previous_msgid
            entry.flags = [flag for flag in kept.flags if flag == "fuzzy"]
            kept_ids.add(id(kept))
        elif (before := _previous_version(unit, by_context, old, kept_ids, current)) is not None:
            entry.msgstr, entry.flags = before.msgstr, ["fuzzy"]
            entry.previous_msgid = before.previous_msgid if "fuzzy" in before.flags and before.previous_msgid \
                else before.msgid
            kept_ids.add(id(before))
            changed += 1
        else:
            new += 1
        fresh.append(entry)
    removed = sum(1 for e in old if id(e) not in kept_ids)
    save_catalog(fresh, po_path(rel))
    return new, changed, removed


def _previous_version(unit: Unit, by_context: dict, old, kept_ids: set, current: set):
    """The translated entry that ``unit`` replaces: a cell's by its id; a document block's (no id) by likeness,
    the most similar translated block that is no longer in the document (at least 60% alike, as msgmerge's
    fuzzy matching), or ``None``. ``current``: the texts of every unit of the document now."""
    if unit.context is not None:
        before = by_context.get(unit.context)
        return before if before is not None and before.msgstr else None
    candidates = [e for e in old if not e.msgctxt and e.msgstr and id(e) not in kept_ids and e.msgid not in current]
    scored = [(difflib.SequenceMatcher(None, e.msgid, unit.text).ratio(), -i, e) for i, e in enumerate(candidates)]
    best = max(scored, default=None, key=lambda t: t[:2])
    return best[2] if best and best[0] >= 0.6 else None


def translation_of(po, unit: Unit) -> str | None:
    """The usable translation of ``unit`` (not fuzzy, not empty, of the current English), else ``None``."""
    e = find(po, unit.text, unit.context)
    if e is None or not e.msgstr or "fuzzy" in e.flags:
        return None
    return e.msgstr


# ----- code is shared --------------------------------------------------------------------------
def code_skeleton(code: str) -> str:
    """The code without its comments and the text of its strings: an f-string keeps only the expressions of its
    placeholders (sorted, so Chinese word order may move them), without their format specs."""

    class Blank(ast.NodeTransformer):
        def visit_Constant(self, node):
            return ast.Constant("") if isinstance(node.value, str) else node

        def visit_JoinedStr(self, node):
            values = sorted((ast.dump(self.visit(v.value)) for v in node.values if isinstance(v, ast.FormattedValue)))
            return ast.Constant("|".join(values))

    try:
        tree = ast.parse(_magics_out(code))
    except SyntaxError as exc:
        return f"<does not parse: {exc.msg} at line {exc.lineno}>"
    return ast.dump(Blank().visit(tree))


# ----- links -----------------------------------------------------------------------------------
_LINK = re.compile(r"(\]\(|src=\")([^)\"\s]+)")


def rewrite_links(text: str, rel: str, done: set[str]) -> str:
    """Relative links of ``notebooks/<rel>`` made right for its Chinese edition: a link to a finished
    notebook or document goes to its Chinese edition, README.md to README.zh-CN.md, anything else to the
    same file as before (one folder deeper)."""
    here = NOTEBOOKS_DIR / home(rel)
    there = Path(os.path.normpath(ZH_DIR / home(rel)))

    def fix(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^([a-z]+:|#|/)", target):
            return m.group(0)
        path, _, anchor = target.partition("#")
        absolute = Path(os.path.normpath(here / path))
        try:
            under = absolute.relative_to(NOTEBOOKS_DIR).as_posix()
        except ValueError:
            under = None
        if under in done:
            absolute = NOTEBOOKS_DIR / zh_rel(under)
        elif absolute == REPO_ROOT / README:
            absolute = REPO_ROOT / README_ZH
        new = os.path.relpath(absolute, there).replace(os.sep, "/")
        return m.group(1) + new + ("#" + anchor if anchor else "")

    code = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)  # links inside code are not links
    return "".join(piece if code.fullmatch(piece) else _LINK.sub(fix, piece) for piece in code.split(text))


# ----- building the edition --------------------------------------------------------------------
def dumps_notebook(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def build_notebook(rel: str, done: set[str]) -> str:
    """The Chinese edition of the notebook ``notebooks/<rel>`` as text."""
    po = load_catalog(po_path(rel))
    nb = json.loads((NOTEBOOKS_DIR / rel).read_text("utf-8"))
    translated = {u.context: translation_of(po, u) for u in units(rel)}
    cells = []
    for cell in nb["cells"]:
        cell = copy.deepcopy(cell)
        text = translated.get(cell.get("id")) or "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            text = rewrite_links(text, rel, done)
        cell["source"] = text.splitlines(keepends=True)
        cells.append(cell)
    language = {"cell_type": "code", "execution_count": None, "id": LANGUAGE_CELL_ID, "metadata": {},
                "outputs": [], "source": LANGUAGE_CELL.splitlines(keepends=True)}
    nb["cells"] = [language, *cells]
    nb["metadata"] = {**nb["metadata"], "language_info": {**nb["metadata"].get("language_info", {}),
                                                          "name": "python"}}
    return dumps_notebook(nb)


def build_document(rel: str, done: set[str]) -> str:
    """The Chinese edition of the markdown document ``notebooks/<rel>``: each block replaced by its translation."""
    po = load_catalog(po_path(rel))
    by_text = {u.text: translation_of(po, u) for u in units(rel)}
    english = blocks((NOTEBOOKS_DIR / rel).read_text("utf-8"))
    out = [rewrite_links(by_text.get(text) or text, rel, done) for _, text in english]
    return "\n\n".join(out) + "\n"


def build(rel: str, done: set[str]) -> str:
    return build_document(rel, done) if rel.endswith(".md") else build_notebook(rel, done)


def compiled(po_file: Path) -> bytes:
    """The ``.mo`` bytes of a catalog (fuzzy and empty messages left out, as ``msgfmt`` does)."""
    import tempfile

    po = load_catalog(po_file)
    for e in [e for e in po if "fuzzy" in e.flags or not e.msgstr]:
        po.remove(e)
    with tempfile.TemporaryDirectory() as tmp:
        po.save_as_mofile(str(Path(tmp) / "x.mo"))
        return (Path(tmp) / "x.mo").read_bytes()


def compile_package_catalog() -> bool:
    """``maddpg_lite.po`` -> ``maddpg_lite.mo``; whether the ``.mo`` changed."""
    po = catalog_path(LANG)
    if not po.exists():
        return False
    data, mo = compiled(po), catalog_path(LANG, ".mo")
    if mo.exists() and mo.read_bytes() == data:
        return False
    mo.write_bytes(data)
    return True


def extract_package_catalog() -> tuple[int, int]:
    """Update ``maddpg_lite/locale/zh_CN/LC_MESSAGES/maddpg_lite.po`` from the package's ``_()``, ``N_()`` and
    ``_fig()`` calls (babel's extractor); returns ``(messages, untranslated)``."""
    polib = _polib()
    old = load_catalog(catalog_path(LANG))
    fresh = new_catalog(old.metadata.get("PO-Revision-Date"))
    for message, places in package_messages().items():
        kept = find(old, message, None)
        flags = ["python-brace-format"] if re.search(r"\{\w+\}", message) else []  # str.format, never %
        entry = polib.POEntry(msgid=message, msgstr=kept.msgstr if kept else "", occurrences=places,
                              flags=flags + (["fuzzy"] if kept and "fuzzy" in kept.flags else []))
        fresh.append(entry)
    save_catalog(fresh, catalog_path(LANG))
    return len(fresh), sum(1 for e in fresh if not e.msgstr)


def package_messages() -> dict[str, list[tuple[str, str]]]:
    """Every message of the package's ``_()``, ``N_()`` and ``_fig()`` calls -> where it is (babel's extractor,
    which ships with JupyterLab)."""
    from babel.messages.extract import extract_from_dir

    out: dict[str, list[tuple[str, str]]] = {}
    for filename, lineno, message, _, _ in extract_from_dir(
            str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords={"_": None, "N_": None, "_fig": None}):
        out.setdefault(message, []).append((f"maddpg_lite/{filename}", str(lineno)))
    return out


def glyphs_of_figures() -> set[str]:
    """Every non-ASCII character that a Chinese notebook's code or the package's catalog may draw."""
    chars = set()
    for rel in finished():
        if rel.endswith(".ipynb"):
            po = load_catalog(po_path(rel))
            for unit in units(rel):
                if unit.kind == "code":
                    chars |= {ch for ch in translation_of(po, unit) or "" if ord(ch) > 127}
    po = catalog_path(LANG)
    if po.exists():
        chars |= {ch for e in load_catalog(po) for ch in e.msgstr if ord(ch) > 127}
    return chars


def make_font_subset(source_font: Path | None = None) -> str:
    """Write :data:`BUNDLED_FONT`: Noto Sans CJK SC cut down to :func:`glyphs_of_figures` (fontTools, which
    matplotlib already installs). Returns a line saying what was done."""
    from fontTools import subset
    from matplotlib import font_manager

    if source_font is None:
        found = [f for f in font_manager.fontManager.ttflist if f.name == "Noto Sans CJK SC" and f.weight == 400]
        if not found:
            return "no subset font made: Noto Sans CJK SC is not installed (apt-get install fonts-noto-cjk)"
        source_font = Path(found[0].fname)
    text = "".join(sorted(glyphs_of_figures())) + "0123456789-+.,:;%()[]=<>/ "
    options = subset.Options()
    if source_font.suffix.lower() == ".ttc":  # a collection: take its Simplified Chinese member
        from fontTools.ttLib import TTCollection

        names = [font["name"].getDebugName(1) for font in TTCollection(str(source_font)).fonts]
        options.font_number = next(i for i, name in enumerate(names) if name.endswith(" SC"))
    font = subset.load_font(str(source_font), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    BUNDLED_FONT.parent.mkdir(parents=True, exist_ok=True)
    before = BUNDLED_FONT.read_bytes() if BUNDLED_FONT.exists() else None
    tmp = BUNDLED_FONT.with_name(BUNDLED_FONT.name + ".tmp")
    subset.save_font(font, str(tmp), options)
    if before == tmp.read_bytes():
        tmp.unlink()
        return f"subset font up to date ({len(text)} characters)"
    tmp.replace(BUNDLED_FONT)
    return f"wrote {BUNDLED_FONT.relative_to(REPO_ROOT)} ({len(text)} characters, {BUNDLED_FONT.stat().st_size} bytes)"


STUB_EN = 'raise NotImplementedError("Student exercise: write your code here")'
STUB_ZH = 'raise NotImplementedError("练习：在这里写你的代码")'


def zh_nbgrader_config() -> str:
    """The English course's nbgrader_config.py with the stub's message in Chinese (the ``# YOUR CODE HERE`` line
    stays: the checkers' verdicts point to it)."""
    text = (NOTEBOOKS_DIR / "exercises" / "nbgrader_config.py").read_text("utf-8")
    if STUB_EN not in text:
        raise SystemExit(f"python -m maddpg_lite.translate: error: the stub {STUB_EN!r} is not in nbgrader_config.py")
    return text.replace(STUB_EN, STUB_ZH)


def strays() -> list[Path]:
    """Chinese notebooks and documents that the finished list does not make (previews, or left behind)."""
    expected = {NOTEBOOKS_DIR / zh_rel(rel) for rel in finished()}
    found = [*ZH_DIR.glob("*.ipynb"), *(ZH_DIR / "exercises" / "source").glob("*/*.ipynb"),
             *(ZH_DIR / "exercises").glob("*.md")]
    return sorted(path for path in found if path not in expected)


def build_all() -> list[str]:
    """Write the Chinese edition of every finished notebook and document; one line per file written."""
    done = set(finished())
    unknown = sorted(done - set(sources()))
    if unknown:
        raise SystemExit(f"python -m maddpg_lite.translate: error: {FINISHED_FILE.name} lists {unknown[0]}, "
                         "which is no English notebook or document")
    report = []
    for rel in finished():
        target = NOTEBOOKS_DIR / zh_rel(rel)
        text = build(rel, done)
        if not target.exists() or target.read_text("utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text(target, text)
            report.append(f"wrote   notebooks/{zh_rel(rel)}")
    if any(rel.startswith("exercises/source/") for rel in done):
        target = ZH_DIR / "exercises" / "nbgrader_config.py"
        text = zh_nbgrader_config()
        if not target.exists() or target.read_text("utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text(target, text)
            report.append("wrote   notebooks/zh/exercises/nbgrader_config.py")
    for path in strays():
        report.append(f"note    notebooks/{path.relative_to(NOTEBOOKS_DIR).as_posix()} is not in the finished list "
                      "(a translator's preview? delete it before committing)")
    return report


# ----- the glossary and the prose rule ------------------------------------------------------------
GLOSSARY = NOTEBOOKS_DIR / "glossary.md"
"""The terms: English forms (separated by " / "), the Chinese word, where taught, its source."""


def glossary() -> list[tuple[list[str], str]]:
    """``[(English forms, Chinese word)]`` of the glossary's checked terms (rows without ✱)."""
    out = []
    for line in GLOSSARY.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4 or cells[0] == "English" or set(cells[0]) <= set("-: "):
            continue
        if "✱" in cells[0]:
            continue
        out.append(([form.strip() for form in cells[0].split(" / ")], cells[1]))
    return out


def prose(markdown: str) -> str:
    """The words a reader reads as prose: without fenced and inline code, math, link targets, HTML tags, URLs."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"(?<!\\)\$(?:[^$\n]|\n(?!\s*\n))+\$", " ", text)  # inline math, even over a line break
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "] ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"https?://\S+", " ", text)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def glossary_misses(english: str, chinese: str, terms=None) -> list[str]:
    """The glossary terms used in the prose of ``english`` whose Chinese word is missing from ``chinese``,
    as ``"term -> 词"``."""
    words, target = prose(english), _squash(chinese)
    misses = []
    for forms, zh in terms if terms is not None else glossary():
        used = any(re.search(r"(?<![\w-])" + re.escape(form) + r"(?![\w-])", words, re.I) for form in forms)
        if used and _squash(zh) not in target:
            misses.append(f"{forms[0]} -> {zh}")
    return misses


HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*")


def prose_counts(markdown: str) -> tuple[int, int]:
    """``(Chinese characters, Latin words)`` in the prose of ``markdown`` (see :func:`prose`)."""
    text = prose(markdown)
    return len(HAN.findall(text)), len(LATIN_WORD.findall(text))


def is_chinese_prose(markdown: str) -> bool | None:
    """The issue's rule for a translated cell: ``None`` if there is nothing to translate (no Chinese and fewer
    than 3 Latin words outside math, code and links), else whether it has more Chinese characters than Latin
    words."""
    han, latin = prose_counts(markdown)
    if han == 0 and latin < 3:
        return None
    return han > latin


def prose_share(rels: list[str]) -> tuple[int, int]:
    """``(Chinese prose, to translate)``: how many markdown cells and document blocks of the Chinese editions of
    ``rels`` pass :func:`is_chinese_prose`, of those it applies to (the issue asks for at least 97%)."""
    verdicts = []
    for rel in rels:
        text = (NOTEBOOKS_DIR / zh_rel(rel)).read_text("utf-8")
        if rel.endswith(".md"):
            pieces = [block for _, block in blocks(text)]
        else:
            pieces = ["".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown"]
        verdicts += [v for v in map(is_chinese_prose, pieces) if v is not None]
    return sum(verdicts), len(verdicts)


# ----- what is wrong ---------------------------------------------------------------------------
def problems(rel: str) -> list[str]:
    """What keeps the catalog of ``notebooks/<rel>`` from being finished, one line (or a small diff) each:
    untranslated or changed cells, code that differs beyond strings and comments."""
    po = load_catalog(po_path(rel))
    by_context = {e.msgctxt: e for e in po if e.msgctxt}
    terms = glossary()
    out = []
    for unit in units(rel):
        m = find(po, unit.text, unit.context)
        if m is None and unit.context in by_context:
            m = by_context[unit.context]
            out.append(f"notebooks/{rel}, {unit.where}: the English changed since it was translated "
                       f"(run python -m maddpg_lite.translate --extract, then update the translation):\n"
                       + _diff(m.msgid, unit.text))
            continue
        if m is None or not m.msgstr:
            out.append(f"notebooks/{rel}, {unit.where}: not translated: {_first_line(unit.text)}")
            continue
        if "fuzzy" in m.flags:
            changed = _diff(m.previous_msgid or "", unit.text)
            out.append(f"notebooks/{rel}, {unit.where}: the English changed since it was translated "
                       f"(update the translation, then remove its fuzzy mark):\n{changed}")
            continue
        if unit.kind == "code" and code_skeleton(m.msgstr) != code_skeleton(unit.text):
            out.append(f"notebooks/{rel}, {unit.where}: the Chinese code differs from the English beyond strings "
                       f"and comments:\n" + _diff(unit.text, m.msgstr))
        if unit.kind != "code":
            misses = glossary_misses(unit.text, m.msgstr, terms)
            if misses:
                out.append(f"notebooks/{rel}, {unit.where}: glossary terms missing: {'; '.join(misses)}")
            if is_chinese_prose(m.msgstr) is False:
                han, latin = prose_counts(m.msgstr)
                out.append(f"notebooks/{rel}, {unit.where}: not Chinese prose yet ({han} Chinese characters, "
                           f"{latin} Latin words outside code, math and links)")
    return out


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line[:80] + ("..." if len(line) > 80 else "")


def _diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.split("\n"), after.split("\n"), "before", "now", lineterm="", n=1)
    return "\n".join("    " + line for line in list(lines)[2:][:16])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m maddpg_lite.translate",
        description="Build the Chinese edition (notebooks/zh/) from the English notebooks and the PO catalogs in "
                    "notebooks/locale/zh_CN/ (the notebooks listed in finished.txt), compile the package's catalog "
                    "and make the student and solution versions of the Chinese exercise sets.")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--extract", action="store_true",
                      help="put new and changed English cells (and the package's messages) into the catalogs")
    what.add_argument("--check", action="store_true",
                      help="write nothing: list untranslated or stale messages of the finished notebooks (or of the "
                           "notebooks named)")
    what.add_argument("--preview", action="store_true",
                      help="write the Chinese edition of the notebooks named, finished or not (for translators)")
    parser.add_argument("notebooks", nargs="*", metavar="PATH",
                        help="with --check or --preview: paths under notebooks/, e.g. 05_training.ipynb")
    args = parser.parse_args(argv)
    if not paths.in_checkout():
        return paths.refuse_outside_checkout(parser.prog, "builds notebooks/zh/ from the English notebooks and the PO "
                                                           "catalogs of notebooks/locale/")
    _polib()
    if args.extract:
        for rel in sources():
            new, changed, removed = extract(rel)
            if new or changed or removed:
                print(f"{po_path(rel).relative_to(REPO_ROOT)}: {new} new, {changed} changed (fuzzy), {removed} removed")
        total, untranslated = extract_package_catalog()
        print(f"{catalog_path(LANG).relative_to(REPO_ROOT)}: {total} messages, {untranslated} untranslated")
        return 0
    named = [rel.removeprefix("notebooks/") for rel in args.notebooks]
    wrong = [rel for rel in named if rel not in sources()]
    if wrong:
        print(f"{parser.prog}: error: {wrong[0]} is no English notebook or document under notebooks/ "
              f"(e.g. 05_training.ipynb, exercises/answers.md)", file=sys.stderr)
        return 2
    if args.preview:
        for rel in named:
            target = NOTEBOOKS_DIR / zh_rel(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text(target, build(rel, set(finished()) | set(named)))
            print(f"wrote   notebooks/{zh_rel(rel)} (preview)")
        return 0
    found = [line for rel in (named or finished()) for line in problems(rel)]
    if args.check:
        if found:
            print("\n".join(found))
        else:
            chinese, cells = prose_share(named or finished())
            print(f"{len(named or finished())} notebooks and documents: all up to date; {chinese} of {cells} Chinese "
                  "markdown cells and blocks are Chinese prose")
        return 1 if found else 0
    report = build_all()
    if compile_package_catalog():
        report.append(f"wrote   {catalog_path(LANG, '.mo').relative_to(REPO_ROOT)}")
    report.append(make_font_subset())
    print("\n".join(report))
    if any(rel.startswith("exercises/source/") for rel in finished()):
        run = subprocess.run([sys.executable, "-m", "maddpg_lite.assignments"], cwd=REPO_ROOT)
        if run.returncode:
            return run.returncode
    if found:
        print(f"\n{len(found)} messages are untranslated or stale (python -m maddpg_lite.translate --check lists them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
