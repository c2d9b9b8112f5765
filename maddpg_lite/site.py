"""The course as a website of both editions that works offline: ``python -m maddpg_lite.site --out DIR``.

Needs a checkout (it reads ``notebooks/``, ``figures/`` and the READMEs) and the tools of
``requirements-dev.txt`` (Sphinx, myst-nb, sphinx-book-theme, sphinx-mathjax-offline, jieba).

What ``DIR`` holds afterwards:

* ``index.html``: the landing page, in both languages, linking the two editions;
* ``en/`` and ``zh/``: one Sphinx site per edition (``zh/`` has ``language = "zh_CN"``, so the
  theme's menus and search are Chinese too): the lessons and appendices with the outputs of a real
  run (figures, tables, animations), the exercise sets as students get them (not run; each offers
  its ``.ipynb`` to download), the course map, the glossary and the references. Every page links
  its copy in the other edition and the landing page;
* ``.cache/``: what makes the next build fast (see below). It is not part of the site: publish
  ``DIR`` without it (``rsync -a --exclude .cache DIR/ server:...``), or pass ``--cache`` elsewhere.

Nothing on the site comes from another host: the theme ships its fonts and scripts, MathJax is
copied in from the sphinx-mathjax-offline package, widgets need JavaScript from a CDN and are
therefore not embedded (the Gumbel-softmax explorer of lesson 03 shows its still picture, with one
line saying that it moves in Jupyter). Instructors' material stays out: no solutions, no nbgrader
sources, no answer key and no instructor guide; where a page links one, the link becomes its text
and "(in the repository, for instructors)".

How it is built. Each edition's Sphinx project is generated into ``<cache>/<mode>-<fingerprint>/<edition>/src``
(conf.py and ``_templates`` from ``maddpg_lite/site_templates/``, index pages written here, the
notebooks and figures copied, with links rewritten); nothing is written into ``notebooks/``. myst-nb
executes the lessons through jupyter-cache (``nb_execution_mode = "cache"``), keyed by their code
cells; Sphinx keeps its own environment beside it, so a second build re-reads only what changed. The
fingerprint is a hash of the package (its code, data and language catalogs) and of the versions of Python,
torch, numpy, mpe2 and the other distributions of ``RUNTIME``: when one of them changes, the lessons run
again. Quick mode (``--quick``, ``MADDPG_LITE_QUICK=1`` in the kernels) and full mode have separate caches;
one build at a time uses a cache (a lock file says so).

Measured on the project's 2-core machine: quick mode, 179 s for the first build of both editions and
9 s for the next (load average 1.4 to 2.2); full mode, 380 s and 14 s (load 2.9 to 3.6). The site is
42 MB, 21 MB per edition, of which MathJax is 7 MB and the theme 7 MB.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import html
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import paths

REPO = paths.REPO_ROOT
NOTEBOOKS = paths.NOTEBOOKS_DIR
TEMPLATES = Path(__file__).with_name("site_templates")
NEEDS = "sphinx, myst_nb, sphinx_book_theme, sphinx-mathjax-offline, jieba"
INSTALL_HINT = "pip install -r requirements-dev.txt"
TIMEOUT = {"quick": 600, "full": 1800}
"""Seconds a lesson's cell may run (myst-nb's nb_execution_timeout)."""

TEXT = {
    "en": {
        "title": "maddpg-lite: multi-agent RL through MADDPG",
        "intro": "A course on multi-agent reinforcement learning taught through one algorithm, MADDPG, on one "
                 "small game, MPE's `simple_adversary`. Every lesson is shown here with the outputs of a real "
                 "run. To run the notebooks yourself, open them in JupyterLab (the repository's README says "
                 "how to install them).",
        "quick": "This copy was built in quick mode: the long training runs are shortened, so numbers and "
                 "curves differ from a full run.",
        "lessons": "Lessons", "appendices": "Appendices", "exercises": "Exercises", "about": "About the course",
        "course_map": "Course map", "glossary": "Glossary", "references": "References",
        "exercises_intro": "One graded exercise set per lesson (01 to 08) and a capstone that writes the "
                           "training loop. Each page shows the notebook as students get it, without running it: "
                           "download it and run it in JupyterLab, where its checkers grade every answer.",
        "no_sets": "",
        "exercise_note": "**This is the exercise set as students get it, shown without running it.** Download "
                         "{link} and run it in JupyterLab: its checker cells grade each answer.",
        "explorer_note": "*A still picture of the explorer. In Jupyter (JupyterLab, Notebook 7 or VS Code) its "
                         "sliders move it: download this notebook and run it to try.*",
        "unfinished": "",
        "instructors": "(in the repository, for instructors)",
        "in_repo": "(in the repository)",
        "readme_sections": {"What the series teaches": "course_map", "Course map": "course_map",
                            "References": "references"},
        "label": "English", "hreflang": "en", "landing_label": "Editions", "other_title": "This page in English",
    },
    "zh": {
        "title": "maddpg-lite：通过 MADDPG 学多智能体强化学习",
        "intro": "这门课围绕一个算法（MADDPG）、一个小游戏（MPE 的 `simple_adversary`）讲多智能体强化学习。"
                 "这里的每一课都附有真实运行的输出。想自己运行，请在 JupyterLab 中打开这些笔记本"
                 "（安装方法见仓库的 README）。",
        "quick": "本网站以快速模式构建：较长的训练被缩短了，所以数字和曲线与完整运行不同。",
        "lessons": "课程", "appendices": "附录", "exercises": "练习", "about": "关于本课程",
        "course_map": "课程地图", "glossary": "术语表", "references": "参考文献",
        "exercises_intro": "第 01 到 08 课每课一套自动批改的练习，另有一个综合练习（自己写训练循环）。"
                           "每一页展示的是学生拿到的笔记本，没有运行：下载后在 JupyterLab 中运行，"
                           "检查函数会逐题批改。",
        "no_sets": "中文练习集还在翻译中，暂时请用<a href=\"../../en/exercises/index.html\">英文练习集</a>。",
        "exercise_note": "**这是学生拿到的练习笔记本，这里没有运行。** 下载{link}，在 JupyterLab 中运行："
                         "检查单元格会逐题批改。",
        "explorer_note": "*这是探索器的一张静态图片。在 Jupyter（JupyterLab、Notebook 7 或 VS Code）中运行本笔记本，"
                         "拖动滑块，图会随之变化。*",
        "unfinished": "> 本课的中文翻译尚未完成：部分内容暂时仍是英文。",
        "instructors": "（在仓库中，供教师使用）",
        "in_repo": "（在仓库中）",
        "readme_sections": {"课程地图": "course_map", "参考文献": "references"},
        "label": "中文", "hreflang": "zh-CN", "landing_label": "版本", "other_title": "本页的中文版",
    },
}


# ----- what each edition holds --------------------------------------------------------------------

@dataclass
class Edition:
    code: str  # "en" or "zh": its folder in the site
    language: str  # Sphinx's language
    notebooks: Path  # its lessons (notebooks/ or notebooks/zh/)
    readme: Path

    @property
    def text(self) -> dict:
        return TEXT[self.code]

    def lessons(self) -> list[Path]:
        """Its lessons, in course order (01 to 08), then its appendices."""
        found = sorted(self.notebooks.glob("*.ipynb"))
        return [p for p in found if p.name[:1].isdigit()] + [p for p in found if not p.name[:1].isdigit()]

    def exercise_sets(self) -> list[Path]:
        """The student versions of its exercise sets (never ``solutions/`` or nbgrader's ``source/``)."""
        return sorted((self.notebooks / "exercises").glob("*.ipynb"))


EDITIONS = {
    "en": Edition("en", "en", NOTEBOOKS, REPO / "README.md"),
    "zh": Edition("zh", "zh_CN", NOTEBOOKS / "zh", REPO / "README.zh-CN.md"),
}
INSTRUCTOR_PARTS = {"solutions", "source", "release", "submitted", "autograded", "feedback"}


def is_instructors(rel: str) -> bool:
    """Whether the repository path ``rel`` is instructors' material (answer keys, instructor guide,
    solutions, nbgrader's sources and configuration)."""
    parts = Path(rel).parts
    if "exercises" not in parts:
        return False
    below = parts[parts.index("exercises") + 1:]
    return bool(INSTRUCTOR_PARTS.intersection(below)) or (
        len(below) == 1 and below[0] in {"answers.md", "README.md", "nbgrader_config.py"})


def finished_translations() -> set[str]:
    listed = NOTEBOOKS / "locale" / "zh_CN" / "finished.txt"
    lines = listed.read_text(encoding="utf-8").splitlines() if listed.exists() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


# ----- markdown: links rewritten for the site ------------------------------------------------------

CODE = re.compile(r"(```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]+\$)", re.S)
LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^()\s]+)(\s+\"[^\"]*\")?\)")


class Pages:
    """Where each repository file went in one edition's Sphinx project, and how a link to it is written."""

    def __init__(self, edition: Edition, mapping: dict[str, str], anchors: dict[str, str]):
        self.edition, self.mapping, self.anchors = edition, mapping, anchors

    def target(self, target: str, source: Path, page: str) -> str | None:
        """The link ``target`` of the repository file ``source``, as seen from the site page ``page``
        (its path in the Sphinx project); None: it has no page on the site."""
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            return target  # another site: a reader's browser goes there only when they click
        path, _, frag = target.partition("#")
        if not path:  # "#anchor" in the same file
            if source.suffix != ".md" or source.name == "glossary.md":
                return target
            where = self.anchors.get(frag)  # a README section: on one of the pages made from it, or nowhere
            return None if where is None else self._relative(where, page) + "#" + frag
        rel = os.path.normpath(os.path.relpath(source.parent / path, REPO)).replace(os.sep, "/")
        site_path = self.mapping.get(rel.rstrip("/"))
        if site_path is None:
            return None
        return self._relative(site_path, page) + (f"#{frag}" if frag else "")

    @staticmethod
    def _relative(site_path: str, page: str) -> str:
        return os.path.relpath(site_path, os.path.dirname(page) or ".").replace(os.sep, "/")

    def rewrite(self, markdown: str, source: Path, page: str) -> str:
        """``markdown`` of the repository file ``source`` with its links pointing at the site's pages;
        a link to instructors' material (or to a file not on the site) becomes its text and a note."""
        text = self.edition.text

        def link(match):
            bang, label, target, title = match.groups()
            new = self.target(target, source, page)
            if new is not None:
                return f"{bang}[{label}]({new}{title or ''})"
            path = target.partition("#")[0]
            rel = os.path.relpath(source.parent / path, REPO) if path else source.name
            note = text["instructors"] if is_instructors(rel) else text["in_repo"]
            return f"{label} {note}"

        code = [m.span() for m in CODE.finditer(markdown)]  # no link inside code or math
        return LINK.sub(lambda m: m.group(0) if any(a <= m.start() < b for a, b in code) else link(m), markdown)


# ----- one edition's Sphinx project ---------------------------------------------------------------

def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _markdown_cell(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def shows_explorer(source: str) -> bool:
    """Whether a code cell's value is a Gumbel-softmax explorer: its last line is ``gumbel_explorer(...)``
    or a name the cell assigned from it."""
    lines = [line.split("#")[0].strip() for line in source.strip().splitlines()]
    last = lines[-1] if lines else ""
    if "gumbel_explorer(" not in source or not last:
        return False
    return last.startswith("gumbel_explorer(") or any(
        re.match(rf"{re.escape(last)}\s*=\s*gumbel_explorer\(", line) for line in lines[:-1])


def notebook_copy(path: Path, page: str, pages: Pages, exercise: bool = False, unfinished: bool = False) -> str:
    """The notebook for the site: links rewritten; a line under the explorer; an exercise set without
    outputs, with a link to download it; a note on a translation still in progress."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = pages.edition.text
    cells, first_heading = [], None
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = pages.rewrite(_source(cell), path, page)
            if first_heading is None and _source(cell).lstrip().startswith("#"):
                first_heading = len(cells)
        elif cell["cell_type"] == "code" and exercise:
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
        if cell["cell_type"] == "code" and shows_explorer(_source(cell)):
            cells.append(_markdown_cell(f"site-explorer-{len(cells)}", text["explorer_note"]))
    at = 0 if first_heading is None else first_heading + 1
    if exercise:
        link = f"{{download}}`{path.name} <files/{path.name}>`"
        cells.insert(at, _markdown_cell("site-download", text["exercise_note"].format(link=link)))
    if unfinished and text["unfinished"]:
        cells.insert(at, _markdown_cell("site-unfinished", text["unfinished"]))
    nb["cells"] = cells
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def readme_sections(readme: Path, titles) -> dict[str, str]:
    """``{title: markdown}`` of the README's ``## title`` sections (each to the next ``## ``)."""
    found, current = {}, None
    for line in readme.read_text(encoding="utf-8").splitlines() if readme.exists() else []:
        if line.startswith("## "):
            current = line[3:].strip() if line[3:].strip() in titles else None
            if current:
                found[current] = []
                continue
        if current:
            found[current].append(line)
    return {title: "\n".join(lines).strip() + "\n" for title, lines in found.items()}


def slug(title: str) -> str:
    """The anchor GitHub and MyST give a heading."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def glossary_in(code: str, text: str) -> str:
    """The glossary as one edition shows it: its title and its prose paragraphs in that edition's language only
    (the file has each paragraph in English, then in Chinese); the table, bilingual by nature, stays whole."""
    from .translate import is_chinese_prose  # the Chinese edition's own rule: more Chinese characters than words

    title, *blocks = text.split("\n\n")
    english, chinese = (part.strip() for part in title.lstrip("# ").split("·", 1))
    # the table stays; prose stays if it is in this edition's language
    kept = [b for b in blocks if b.startswith("|") or bool(is_chinese_prose(b)) == (code == "zh")]
    return "\n\n".join([f"# {chinese if code == 'zh' else english}", *kept])


def glossary_words(glossary: Path) -> list[str]:
    """The Chinese words of the glossary's table (its second column)."""
    words = set()
    for line in glossary.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) > 1 and re.search(r"[\u4e00-\u9fff]", cells[1]):
            words |= {w.strip() for w in re.split(r"[/、,，]", cells[1])
                      if re.fullmatch(r"[\u4e00-\u9fff]{2,}", w.strip())}
    return sorted(words)


def toctree(entries, caption: str = "", hidden: bool = False) -> str:
    options = (f":caption: {caption}\n" if caption else "") + (":hidden:\n" if hidden else "")
    return "```{toctree}\n" + options + ":maxdepth: 1\n\n" + "\n".join(entries) + "\n```\n"


def edition_files(edition: Edition, cache: str, quick: bool, other_pages: list[str]) -> dict[str, str | bytes]:
    """Every file of the edition's Sphinx project: ``{path in the project: content}``."""
    text, files = edition.text, {}
    lessons, sets = edition.lessons(), edition.exercise_sets()
    rel = lambda p: p.relative_to(REPO).as_posix()  # noqa: E731
    mapping = {rel(p): p.name for p in lessons}
    mapping |= {rel(p): f"exercises/{p.name}" for p in sets}
    mapping[rel(edition.notebooks / "exercises")] = "exercises/index.md"
    mapping[rel(NOTEBOOKS / "glossary.md")] = "glossary.md"
    figures = [p for p in sorted(paths.FIGURES_DIR.iterdir()) if p.suffix in {".png", ".gif"}]
    mapping |= {f"figures/{p.name}": f"figures/{p.name}" for p in figures}

    # the README's sections: in English also from README.md if the Chinese README lacks one
    wanted = text["readme_sections"]
    sections = readme_sections(edition.readme, wanted)
    if edition.code == "zh" and "参考文献" not in sections:
        sections["参考文献"] = readme_sections(EDITIONS["en"].readme, {"References"}).get("References", "")
    anchors = {slug(title): f"{page}.md" for title, page in wanted.items() if title in sections}
    pages = Pages(edition, mapping, anchors)
    for page in ("course_map", "references"):
        titles = [t for t, p in wanted.items() if p == page and t in sections]
        bodies = [pages.rewrite(sections[t], edition.readme, f"{page}.md") for t in titles]
        body = "\n".join(bodies) if len(titles) == 1 else "".join(  # one section: the page's title is enough
            f"## {t}\n\n{b}\n" for t, b in zip(titles, bodies))
        files[f"{page}.md"] = f"# {text[page]}\n\n{body}"
    glossary = NOTEBOOKS / "glossary.md"
    files["glossary.md"] = pages.rewrite(glossary_in(edition.code, glossary.read_text(encoding="utf-8")), glossary,
                                         "glossary.md")

    finished = finished_translations()
    for path in lessons:
        unfinished = edition.code == "zh" and path.name not in finished
        files[path.name] = notebook_copy(path, path.name, pages, unfinished=unfinished)
    for path in sets:  # finished.txt names an exercise set by its nbgrader source
        unfinished = edition.code == "zh" and not any(f.endswith(f"/{path.name}") for f in finished)
        files[f"exercises/{path.name}"] = notebook_copy(path, f"exercises/{path.name}", pages, exercise=True,
                                                        unfinished=unfinished)
        files[f"exercises/files/{path.name}"] = path.read_bytes()  # the download: the file as it is
    files |= {f"figures/{p.name}": p.read_bytes() for p in figures}

    intro = [f"# {text['exercises']}\n", text["exercises_intro"] if sets else text["no_sets"], ""]
    files["exercises/index.md"] = "\n".join(intro) + ("\n" + toctree([p.stem for p in sets]) if sets else "")
    numbered = [p.stem for p in lessons if p.name[:1].isdigit()]
    home = [f"# {text['title']}\n", text["intro"] + "\n"]
    if quick:
        home.append(f"```{{note}}\n{text['quick']}\n```\n")
    home += [toctree(numbered, text["lessons"]),
             toctree([p.stem for p in lessons if p.stem not in numbered], text["appendices"]),
             toctree(["exercises/index"], text["exercises"]),
             toctree(["course_map", "glossary", "references"], text["about"])]
    files["index.md"] = "\n".join(home)

    other = EDITIONS["zh" if edition.code == "en" else "en"]
    site = {"language": edition.language, "title": text["title"], "cache": cache,
            "timeout": TIMEOUT["quick" if quick else "full"],
            "other": {"folder": other.code, "label": other.text["label"], "hreflang": other.text["hreflang"],
                      "title": other.text["other_title"], "pages": other_pages},
            "landing_label": text["landing_label"], "landing_title": "maddpg-lite: English · 中文",
            # a changed template changes the configuration, so that Sphinx writes every page again
            "templates": hashlib.sha256(b"".join(p.read_bytes() for p in sorted(TEMPLATES.iterdir())
                                                 if p.is_file())).hexdigest()[:12]}
    if edition.code == "zh":
        site["search_dict"] = "_search_words.txt"
        files["_search_words.txt"] = "".join(f"{word} 100000\n" for word in glossary_words(glossary))
    files["_site.json"] = json.dumps(site, ensure_ascii=False, indent=1, sort_keys=True)
    files["_static/maddpg-lite.css"] = (TEMPLATES / "site.css").read_bytes()
    files["conf.py"] = (TEMPLATES / "conf.py").read_bytes()
    files["_templates/lang-switch.html"] = (TEMPLATES / "lang-switch.html").read_bytes()
    return files


def page_names(files: dict) -> list[str]:
    """The Sphinx documents among a project's files (``01_ctde_football``, ``exercises/index``, ...)."""
    return sorted(p.rsplit(".", 1)[0] for p in files
                  if p.endswith((".md", ".ipynb")) and not p.startswith("exercises/files/"))


def write_project(folder: Path, files: dict) -> bool:
    """Write ``files`` under ``folder``, touching only what changed (so Sphinx re-reads only that) and
    removing what is no longer there. Returns whether the set of pages changed."""
    before = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
    for name, content in files.items():
        path = folder / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            paths.write_atomically(path, lambda tmp, data=data: tmp.write_bytes(data))
    for name in before - set(files):
        (folder / name).unlink()
    return page_names(dict.fromkeys(before)) != page_names(files)


# ----- the build ----------------------------------------------------------------------------------

NOT_IMPORTED = {"site.py", "lessons.py", "translate.py", "assignments.py", "coursetime.py", "bench.py"}
"""Commands of the package's top layers that no lesson imports: they do not change a lesson's outputs."""


RUNTIME = ("torch", "numpy", "mpe2", "pettingzoo", "matplotlib", "ipywidgets", "ipykernel", "myst-nb", "Sphinx")
"""The distributions whose versions change what a lesson prints or draws, or how a page is made."""


def fingerprint() -> str:
    """A hash of the package the lessons import (code, data, fonts, catalogs), of Python's version and of the
    versions of :data:`RUNTIME`: outputs cached under another fingerprint were made by other code."""
    digest = hashlib.sha256()
    digest.update(f"python {sys.version_info[0]}.{sys.version_info[1]}\0".encode())
    for name in RUNTIME:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name} {version}\0".encode())
    package = paths.PACKAGE_DIR
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package).as_posix()
        if (path.is_file() and "__pycache__" not in rel and rel not in NOT_IMPORTED
                and not rel.startswith("site_templates/") and not rel.endswith((".pyc", ".tmp"))):
            digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def sphinx(src: Path, work: Path, quick: bool, log: Path) -> tuple[int, int]:
    """Run one Sphinx build of ``src`` (a subprocess: each edition gets a fresh Sphinx and its own
    language); returns (exit status, number of warnings). Its full output goes to ``log``."""
    env = dict(os.environ)
    env.pop("MADDPG_LITE_QUICK", None)
    if quick:
        env["MADDPG_LITE_QUICK"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning in the kernels' stderr
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "1", "-d", str(work / "doctrees"),
               str(src), str(work / "html")]
    run = subprocess.run(command, cwd=src, env=env, capture_output=True, text=True)
    log.write_text(run.stdout + run.stderr, encoding="utf-8")
    warnings = [line for line in run.stderr.splitlines() if ": WARNING:" in line]
    return run.returncode, len(warnings)


def landing_page(editions: list[Edition], quick: bool) -> str:
    template = (TEMPLATES / "landing.html").read_text(encoding="utf-8")
    cards = []
    for edition in editions:
        text = edition.text
        lessons = "".join(f"<li>{html.escape(p.stem)}</li>" for p in edition.lessons())
        quick_note = f"<p class=\"note\">{html.escape(text['quick'])}</p>" if quick else ""
        intro = html.escape(text["intro"]).replace("`simple_adversary`", "<code>simple_adversary</code>")
        cards.append(f"<section lang=\"{text['hreflang']}\"><h2><a href=\"{edition.code}/index.html\">"
                     f"{html.escape(text['title'])}</a></h2><p>{intro}</p>{quick_note}"
                     f"<p><a class=\"open\" href=\"{edition.code}/index.html\">{text['label']} →</a></p>"
                     f"<details><summary>{html.escape(text['lessons'])}</summary><ul>{lessons}</ul></details>"
                     f"</section>")
    return template.replace("{{cards}}", "\n".join(cards))


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(out: Path, quick: bool, cache: Path | None = None, codes=("en", "zh")) -> dict:
    """Build the site into ``out``; returns a summary (seconds and warnings per edition, pages, size)."""
    out = out.resolve()
    cache = (cache or out / ".cache").resolve()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "build.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SystemExit(f"site: another build is using {cache}; wait for it to finish") from None
        return _build(out, quick, cache, codes)


def _build(out: Path, quick: bool, cache: Path, codes) -> dict:
    mode = "quick" if quick else "full"
    stamp = fingerprint()
    work_root = cache / f"{mode}-{stamp}"
    for old in cache.glob(f"{mode}-*"):  # made by other code: its outputs are stale
        if old != work_root:
            shutil.rmtree(old)
    editions = [EDITIONS[c] for c in codes]
    projects = {e.code: edition_files(e, "", quick, []) for e in editions}
    names = {code: page_names(files) for code, files in projects.items()}
    summary = {"mode": mode, "fingerprint": stamp, "editions": {}}
    for edition in editions:
        other = "zh" if edition.code == "en" else "en"
        work = work_root / edition.code
        files = edition_files(edition, str(work_root / "jupyter-cache"), quick, names.get(other, []))
        if write_project(work / "src", files) and (work / "html").exists():
            shutil.rmtree(work / "html")  # a page went away: no stale copy of it on the site
        start = time.monotonic()
        print(f"site: building the {edition.code} edition ({len(names[edition.code])} pages, {mode} mode)...",
              flush=True)
        status, warnings = sphinx(work / "src", work, quick, work / "sphinx.log")
        seconds = time.monotonic() - start
        if status:
            tail = "\n".join((work / "sphinx.log").read_text(encoding="utf-8").splitlines()[-40:])
            raise SystemExit(f"site: Sphinx failed for the {edition.code} edition (log: {work / 'sphinx.log'}):\n"
                             f"{tail}")
        target = out / edition.code
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(work / "html", target, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
        for template in (target / "_static").glob("*macros.html"):
            template.unlink()  # the themes' Jinja macros, copied as they are: not pages
        summary["editions"][edition.code] = {"seconds": round(seconds, 1), "warnings": warnings,
                                             "pages": len(names[edition.code]), "log": str(work / "sphinx.log")}
        print(f"site: {edition.code} built in {seconds:.0f} s, {warnings} Sphinx warnings "
              f"(log: {work / 'sphinx.log'})", flush=True)
    paths.write_text(out / "index.html", landing_page(editions, quick))
    paths.write_text(out / ".nojekyll", "")  # GitHub Pages: serve _static/ and _images/ as they are
    summary["bytes"] = sum(folder_size(out / e.code) for e in editions) + (out / "index.html").stat().st_size
    return summary


def missing_requirements() -> str | None:
    """One line naming the tools of requirements-dev.txt the build needs and does not find, or None."""
    import importlib.util

    missing = [name for name in NEEDS.split(", ") if importlib.util.find_spec(name) is None]
    return f"needs {', '.join(missing)} ({INSTALL_HINT})" if missing else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maddpg_lite.site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder of the site (made if missing)")
    parser.add_argument("--quick", action="store_true", help="quick mode (MADDPG_LITE_QUICK=1 in the lessons): CI")
    parser.add_argument("--cache", type=Path, help="folder kept between builds (default: OUT/.cache)")
    parser.add_argument("--edition", choices=sorted(EDITIONS), action="append",
                        help="build only this edition (a preview: its language links lead to the other "
                             "edition's folder as the last full build left it; default: both)")
    args = parser.parse_args(argv)
    if not paths.in_checkout():
        return paths.refuse_outside_checkout(parser.prog, "builds the website from notebooks/, figures/ and the "
                                             "READMEs of the repository")
    problem = missing_requirements()
    if problem:
        print(f"{parser.prog}: {problem}", file=sys.stderr)
        return 2
    start = time.monotonic()
    summary = build(args.out, args.quick, args.cache, tuple(args.edition or EDITIONS))
    print(f"site: {args.out}/index.html, {summary['bytes'] / 1e6:.1f} MB, in {time.monotonic() - start:.0f} s "
          f"({summary['mode']} mode)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
