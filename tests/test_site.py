"""The course website (``python -m maddpg_lite.site``): complete, free of instructors' material, offline.

The site is built once, before pytest, by ``.ci/run`` (``python -m maddpg_lite.site --quick --out DIR``,
then ``MADDPG_LITE_SITE=DIR``); building it here would cost minutes of every test run. These tests
check that folder: every lesson, appendix and exercise set of both editions has its page (the
lessons with their outputs, the exercise sets unexecuted and downloadable), no solution, answer key,
instructor guide or hidden test is anywhere in it, every internal link resolves and nothing refers
to another host. Then Debian's chromium (through playwright, as in tests/browser.py) opens the
landing page, every lesson page, the course map, glossary, references and every exercise set of both
editions from a server on 127.0.0.1, with every request
recorded and any request to another host refused: no console error, every image loads, all math
is rendered by the site's own MathJax (no raw ``$...$`` in prose), the animations play. Screenshots
of two lessons per language go to ``<screenshots>/site/``.

Without ``MADDPG_LITE_SITE`` the tests of the built site are skipped (in one line); with
``MADDPG_LITE_BROWSER=1`` (CI) it must be set. The checks themselves are tested on small hand-made
sites: they must catch solution text, an answer-key sentence, a hidden test, an outside request, a
broken image, unrendered math, a console error and a broken link.
"""

import functools
import html
import http.server
import json
import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from browser import (
    ENABLE_HINT,
    NOTEBOOKS,
    REPO,
    chromium_context,
    requirements_problem,
    screenshot_dir,
)

SITE = os.environ.get("MADDPG_LITE_SITE", "")
MANDATORY = os.environ.get("MADDPG_LITE_BROWSER", "") == "1"
SKIP = "site tests skipped: set MADDPG_LITE_SITE to a folder built by python -m maddpg_lite.site --quick"
BROWSER_MISSING = requirements_problem()
BROWSER_SKIP = f"browser tests skipped: {BROWSER_MISSING} ({ENABLE_HINT}; MADDPG_LITE_BROWSER=1 makes them mandatory)"
EDITIONS = {"en": NOTEBOOKS, "zh": NOTEBOOKS / "zh"}
SCREENSHOTS = {  # lesson: what to show (the explorer's still picture and its note; the animation)
    "03_gumbel_softmax": "xpath=//p[em[contains(., 'Jupyter')]]/preceding-sibling::div[contains(@class, 'cell')][1]",
    "05_training": ".animation",
}
SEARCHES = {"en": "gumbel", "zh": "智能体"}  # zh: a glossary word jieba alone would cut in two (智能 + 体)
TEXT_SUFFIXES = {".html", ".js", ".json", ".ipynb", ".txt", ".md", ".py", ".css", ".inv"}


@pytest.fixture(scope="module")
def site() -> Path:
    if not SITE:
        if MANDATORY:
            pytest.fail(f"MADDPG_LITE_BROWSER=1 but MADDPG_LITE_SITE is not set ({SKIP.split(': ', 1)[1]})",
                        pytrace=False)
        pytest.skip(SKIP)
    root = Path(SITE)
    if not (root / "index.html").is_file():
        pytest.fail(f"MADDPG_LITE_SITE={SITE} has no index.html: build it with python -m maddpg_lite.site "
                    f"--quick --out {SITE}", pytrace=False)
    return root.resolve()


def lessons(code: str) -> list[str]:
    return sorted(p.stem for p in EDITIONS[code].glob("*.ipynb"))


def exercise_sets(code: str) -> list[Path]:
    return sorted((EDITIONS[code] / "exercises").glob("*.ipynb"))


# ----- instructors' material: what it says, and a scanner for it --------------------------------------

def canonical(text: str) -> str:
    """Only the letters, digits and CJK characters, lower case: markup, quotes, spaces and
    punctuation fall away, so a sentence of a markdown file matches its rendered HTML."""
    return "".join(re.findall(r"\w+", text.lower()))


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _regions(text: str, begin: str, end: str) -> list[str]:
    return re.findall(rf"{begin}\s*\n(.*?)\n[ \t#]*{end}", text, re.S)


def _sentences(markdown: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|[。！？]|\n\s*\n|\n[-*|#]", markdown) if s.strip()]


@functools.cache
def student_corpus() -> str:
    """Everything a student may read anyway: the lessons and student notebooks of both editions, the
    READMEs, the glossary and the package's code and catalogs (lessons print some of it)."""
    parts = []
    for path in NOTEBOOKS.rglob("*.ipynb"):
        rel = path.relative_to(NOTEBOOKS).parts
        if not {"solutions", "source", ".ipynb_checkpoints"}.intersection(rel):
            parts += [_source(c) for c in _cells(path)]
    for path in [REPO / "README.md", REPO / "README.zh-CN.md", NOTEBOOKS / "glossary.md",
                 *(REPO / "maddpg_lite").rglob("*.py"), *(REPO / "maddpg_lite").rglob("*.po")]:
        if path.exists():
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(canonical(p) for p in parts)


@functools.cache
def instructor_needles() -> dict[str, tuple[str, str]]:
    """``{canonical text: (what it is, the text)}`` for the instructors' material that no student file contains:
    the lines of every solution region and hidden test (nbgrader sources and solutions of both
    editions), the sentences of the answer keys and of the instructor guide. The markers themselves
    (``BEGIN SOLUTION``, ``BEGIN HIDDEN TESTS``) are looked for too."""
    found = {canonical(marker): (kind, marker) for kind, marker in [("a hidden-test marker", "BEGIN HIDDEN TESTS"),
                                                                     ("a solution marker", "BEGIN SOLUTION")]}
    corpus = student_corpus()

    def add(text: str, kind: str, shortest: int):
        key = canonical(text)
        if len(key) >= shortest and key not in corpus:
            found.setdefault(key, (kind, text.strip()))

    for folder in (NOTEBOOKS / "exercises", NOTEBOOKS / "zh" / "exercises"):
        for path in [*folder.glob("source/**/*.ipynb"), *folder.glob("solutions/*.ipynb")]:
            for cell in _cells(path):
                source = _source(cell)
                for region in _regions(source, "### BEGIN SOLUTION", "### END SOLUTION"):
                    for line in region.splitlines():
                        add(line, f"solution code in {path.name}", 24)
                for region in _regions(source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
                    for line in region.splitlines():
                        add(line, f"a hidden test in {path.name}", 24)
                if cell["cell_type"] == "markdown":  # the solutions' written answers
                    for sentence in _sentences(source):
                        add(sentence, f"a written solution in {path.name}", 40)
        for name in ("answers.md", "README.md"):
            if (folder / name).exists():
                for sentence in _sentences((folder / name).read_text(encoding="utf-8")):
                    add(sentence, f"{folder.relative_to(REPO) / name}", 40)
    return found


def site_texts(root: Path):
    """``(path, canonical text)`` of every text file under ``root`` (MathJax's own files aside);
    HTML without its tags and embedded pictures."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES or "mathjax" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\\\s]+", " ", text)
        if path.suffix == ".html":
            text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        yield path, canonical(text)


def instructor_material(root: Path, needles: dict | None = None) -> list[str]:
    """Where instructors' material is under ``root``: files named like it and text from it."""
    needles = instructor_needles() if needles is None else needles
    problems = [f"{p.relative_to(root)}: an instructors' file" for p in root.rglob("*")
                if p.name in {"answers.md", "answers.html"} or {"solutions", "source"}.intersection(
                    p.relative_to(root).parts)]
    for path, text in site_texts(root):
        problems += [f"{path.relative_to(root)}: {kind}: {said[:90]!r}" for key, (kind, said) in needles.items()
                     if key in text]
    return problems


# ----- links and requests -------------------------------------------------------------------------

URL_ATTRIBUTE = re.compile(r"<(a|img|link|script|source|iframe|video|audio)\b[^>]*?\s(href|src)=\"([^\"]*)\"", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def is_local(url: str) -> bool:
    return not re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, re.I) or url.startswith(("data:", "blob:", "about:"))


@functools.cache
def ids_of(path: Path) -> set[str]:
    return set(re.findall(r"\bid=\"([^\"]+)\"", path.read_text(encoding="utf-8", errors="replace")))


def link_problem(root: Path, page: Path, url: str) -> str | None:
    """What is wrong with the local link ``url`` of ``page`` (None: it resolves, anchor included)."""
    parts = urlsplit(urljoin(page.relative_to(root).as_posix(), html.unescape(url)))
    return target_problem(root, unquote(parts.path), unquote(parts.fragment), url)


def target_problem(root: Path, rel: str, fragment: str, url: str) -> str | None:
    """What is wrong with the site's file ``rel`` (a path from the site's top) and its ``#fragment``."""
    root = root.resolve()
    target = (root / rel.lstrip("/")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if target != root and root not in target.parents:
        return f"{url}: outside the site"
    if not target.is_file():
        return f"{url}: no such file"
    if fragment and target.suffix == ".html" and fragment not in ids_of(target):
        return f"{url}: no #{fragment} in {target.relative_to(root)}"
    return None


def static_problems(root: Path) -> list[str]:
    """Every reference in the site's HTML and CSS: local links and sources must resolve; nothing a page
    loads may come from another host (a plain link <a href="https://..."> to another site is fine)."""
    problems = []
    for page in sorted(root.rglob("*.html")):
        if ".cache" in page.relative_to(root).parts:
            continue
        text = page.read_text(encoding="utf-8", errors="replace")
        for tag, _, url in URL_ATTRIBUTE.findall(re.sub(r"<script\b[^>]*>(?!</script>).*?</script>", "", text,
                                                        flags=re.S | re.I)):
            if url in {"", "#"} or url.startswith(("javascript:", "mailto:")):
                continue
            if not is_local(url):
                if tag.lower() != "a":
                    problems.append(f"{page.relative_to(root)}: loads {url} from another host")
                continue
            problem = link_problem(root, page, url)
            if problem:
                problems.append(f"{page.relative_to(root)}: {problem}")
    for css in root.rglob("*.css"):
        for url in CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            if not is_local(url):
                problems.append(f"{css.relative_to(root)}: loads {url} from another host")
    return problems


# ----- the browser ---------------------------------------------------------------------------------

# after load: MathJax done, fonts and images in; what a reader would see wrong
_PAGE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  const images = [...document.images];
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done); setTimeout(done, 10000); })));
  const prose = document.body.cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, textarea, mjx-container, .highlight').forEach(e => e.remove());
  return {
    broken: images.filter(img => !(img.complete && img.naturalWidth > 0))
      .map(img => (img.getAttribute('src') || '').slice(0, 100)),
    unrendered: [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container'))
      .map(m => m.textContent.trim().slice(0, 60)),
    mathErrors: [...document.querySelectorAll('mjx-merror')].map(m => m.textContent.slice(0, 60)),
    rawMath: (prose.textContent.match(/\\$[^$\\n]{1,80}\\$/g) || []).slice(0, 5),
    formulas: document.querySelectorAll('mjx-container').length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
}"""


@pytest.fixture(scope="module")
def server(request):
    """``serve(folder)`` -> its URL on 127.0.0.1 (a random free port), until the module ends."""
    servers = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def serve(folder: Path) -> str:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser_context():
    if os.environ.get("MADDPG_LITE_BROWSER", "") == "0":
        pytest.skip("browser tests skipped: MADDPG_LITE_BROWSER=0")
    if BROWSER_MISSING:
        if MANDATORY:
            pytest.fail(f"MADDPG_LITE_BROWSER=1 but {BROWSER_MISSING} ({ENABLE_HINT})", pytrace=False)
        pytest.skip(BROWSER_SKIP)
    with chromium_context() as context:
        yield context


class Visit:
    """One page, its requests recorded: everything not under ``base`` is refused and reported."""

    def __init__(self, context, base: str):
        self.base, self.events = base, []
        self.page = context.new_page()
        self.page.route("**/*", lambda route: route.continue_() if self._ours(route.request.url) else route.abort())
        self.page.on("request", lambda r: self._ours(r.url) or self.events.append(f"request to another host: {r.url}"))
        self.page.on("response", lambda r: r.status >= 400 and self.events.append(f"HTTP {r.status}: {r.url}"))
        self.page.on("requestfailed", lambda r: self._ours(r.url) and r.failure != "net::ERR_ABORTED"  # left behind
                     and self.events.append(f"failed ({r.failure}): {r.url}"))
        self.page.on("console", lambda m: m.type == "error" and self.events.append(f"console error: {m.text[:200]}"))
        self.page.on("pageerror", lambda e: self.events.append(f"uncaught: {str(e)[:200]}"))

    def _ours(self, url: str) -> bool:
        return url.startswith((self.base, "data:", "blob:", "about:"))

    def check(self, url: str, root: Path, math: bool = False) -> list[str]:
        """Open ``url``; the problems a reader would see (``math``: the page must show formulas)."""
        self.events.clear()
        self.page.goto(url, wait_until="load", timeout=60_000)
        seen = self.page.evaluate(_PAGE_JS)
        self.page.wait_for_timeout(100)  # late console messages
        problems = list(self.events)
        problems += [f"broken image: {src}" for src in seen["broken"]]
        problems += [f"math not rendered: {m!r}" for m in seen["unrendered"]]
        problems += [f"math error: {m!r}" for m in seen["mathErrors"]]
        problems += [f"raw math in prose: {m!r}" for m in seen["rawMath"]]
        if math and not seen["formulas"]:
            problems.append("no rendered formula on the page")
        for link in seen["links"]:
            parts = urlsplit(link)
            if link.startswith(self.base):
                problem = target_problem(root, unquote(parts.path), unquote(parts.fragment),
                                         link[len(self.base) - 1:])
                if problem:
                    problems.append(f"broken link: {problem}")
        return problems


    def search(self, url: str, root: Path) -> list[str]:
        """Open the search page ``url`` (``...search.html?q=word``): it must list at least one page."""
        problems = self.check(url, root)
        try:
            self.page.wait_for_function("() => document.querySelectorAll('#search-results ul.search li').length > 0",
                                        timeout=15_000)
        except Exception:
            problems.append(f"the search found nothing: {self.page.locator('#search-results').inner_text()[:200]!r}")
        self.page.wait_for_load_state("networkidle")  # the summaries of the results are fetched after the list
        return problems


def play_animation(page) -> bool:
    """Press Play on the page's first animation: does its picture change within 5 s?"""
    image = page.locator(".animation img").first
    image.scroll_into_view_if_needed()
    before = image.get_attribute("src")
    page.locator(".animation button[title='Play']").first.click()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if image.get_attribute("src") != before:
            return True
        page.wait_for_timeout(100)
    return False


# ----- the built site ------------------------------------------------------------------------------

def test_every_lesson_and_exercise_set_has_its_page(site):
    landing = (site / "index.html").read_text(encoding="utf-8")
    for code in EDITIONS:
        assert f'href="{code}/index.html"' in landing
        for page in ["index", "course_map", "glossary", "references", "exercises/index", *lessons(code),
                     *(f"exercises/{p.stem}" for p in exercise_sets(code))]:
            path = site / code / f"{page}.html"
            assert path.is_file(), path
            assert "maddpg-lite-lang" in path.read_text(encoding="utf-8"), f"{path}: no link to the other edition"
    assert lessons("en") and exercise_sets("en") and lessons("zh")
    assert '<html lang="zh-CN"' in (site / "zh" / "index.html").read_text(encoding="utf-8")
    assert "搜索" in (site / "zh" / "search.html").read_text(encoding="utf-8")  # the theme speaks Chinese


def test_lessons_show_their_outputs_and_the_explorer_its_picture(site):
    for code in EDITIONS:
        for name in lessons(code):
            page = (site / code / f"{name}.html").read_text(encoding="utf-8")
            assert 'class="cell_output' in page, f"{code}/{name}: no outputs"
            # no widget JavaScript: a widget shows its picture (the explorer) or nothing (a progress bar stays an
            # inert widget-view script), never the text of its first state
            scripts = re.findall(r"<script[^>]*\ssrc=\"([^\"]*)", page)
            assert not [s for s in scripts if "require" in s or "widget" in s], f"{code}/{name}: {scripts}"
            assert not re.search(r"[HV]Box\(|\b0%\|", page), f"{code}/{name}: a widget's text"
        lesson03 = (site / code / "03_gumbel_softmax.html").read_text(encoding="utf-8")
        cell = lesson03.split('<span class="n">gumbel_explorer</span><span class="p">(</span>', 1)[1]
        output, after = cell.split('<div class="cell_output docutils container">', 1)[1].split("</div>\n</div>\n", 1)
        assert re.fullmatch(r'\s*<img alt="[^"]*" src="_images/\w+\.png" />\s*', output), output
        assert after.startswith("<p><em>") and "Jupyter" in after.split("</p>", 1)[0], after[:300]
        assert 'class="animation"' in (site / code / "05_training.html").read_text(encoding="utf-8")


def test_exercise_sets_are_the_student_versions_unexecuted_with_a_download(site):
    for code in EDITIONS:
        for path in exercise_sets(code):
            page = (site / code / "exercises" / f"{path.stem}.html").read_text(encoding="utf-8")
            assert 'class="cell_output' not in page, f"{path.name}: it was executed"  # so no "not implemented yet"
            download = re.search(rf'href="(\.\./_downloads/[0-9a-f]+/{re.escape(path.name)})"', page)
            assert download, f"{path.name}: no download link"
            assert (site / code / "exercises" / download.group(1)).read_bytes() == path.read_bytes()


def test_no_instructors_material_anywhere_in_the_site(site):
    needles = instructor_needles()
    kinds = " ".join(kind for kind, _ in needles.values())
    assert "solution code" in kinds and "answers.md" in kinds and "README.md" in kinds, "nothing to look for"
    assert instructor_material(site, needles) == []


def test_every_internal_link_resolves_and_nothing_loads_from_another_host(site):
    assert static_problems(site) == []


def test_both_editions_in_chromium_offline(site, server, browser_context):
    base = server(site)
    visit = Visit(browser_context, base)
    pages = [("index.html", False)] + [(f"{code}/index.html", False) for code in EDITIONS]
    pages += [(f"{code}/{name}.html", True) for code in EDITIONS for name in lessons(code)]
    # the other pages a student opens: course map, glossary, references, the exercise sets (unexecuted, with math)
    pages += [(f"{code}/{name}.html", False) for code in EDITIONS
              for name in ["course_map", "glossary", "references", "exercises/index"]]
    pages += [(f"{code}/exercises/{path.stem}.html", True) for code in EDITIONS for path in exercise_sets(code)]
    problems, start, shots = {}, time.monotonic(), screenshot_dir() / "site"
    for rel, math in pages:
        found = visit.check(base + rel, site, math=math)
        code, name = rel.split("/")[0], Path(rel).stem
        if name == "05_training" and not play_animation(visit.page):
            found.append("the animation does not play (its picture did not change within 5 s of Play)")
        if name in SCREENSHOTS:
            shots.mkdir(parents=True, exist_ok=True)
            visit.page.locator(SCREENSHOTS[name]).first.evaluate("e => e.scrollIntoView({block: 'center'})")
            visit.page.screenshot(path=str(shots / f"{code}-{name}.png"))
        if found:
            problems[rel] = found
    for code, word in SEARCHES.items():
        found = visit.search(f"{base}{code}/search.html?q={quote(word)}", site)
        if found:
            problems[f"{code}/search.html?q={word}"] = found
    seconds = time.monotonic() - start
    print(f"\nsite in chromium: {len(pages)} pages and {len(SEARCHES)} searches in {seconds:.0f} s; "
          f"screenshots in {shots}/")
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_a_link_to_instructors_material_becomes_a_note(site):
    for code, readme in [("en", REPO / "README.md"), ("zh", REPO / "README.zh-CN.md")]:
        page = (site / code / "course_map.html").read_text(encoding="utf-8")
        assert "answers.md\"" not in page and "answers.html" not in page
        if "](notebooks/exercises/answers.md)" in readme.read_text(encoding="utf-8"):
            assert {"en": "(in the repository, for instructors)", "zh": "（在仓库中，供教师使用）"}[code] in page


# ----- the build's own rules, without Sphinx ---------------------------------------------------------

def test_each_edition_shows_the_glossary_prose_in_its_language_and_the_whole_table():
    from maddpg_lite.site import glossary_in
    english = "The words the course uses, and where each comes from (the book is 动手学强化学习)."
    table = "| English | 中文 |\n|---|---|\n| agent | 智能体 |"
    chinese = "中文版课程用词以本表为准。"
    made = f"# Glossary · 术语表\n\n{english}\n\n{chinese}\n\n{table}\n\nA closing note.\n\n结尾的说明。"
    assert glossary_in("en", made) == f"# Glossary\n\n{english}\n\n{table}\n\nA closing note."
    assert glossary_in("zh", made) == f"# 术语表\n\n{chinese}\n\n{table}\n\n结尾的说明。"
    text = (REPO / "notebooks" / "glossary.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("|")]
    for code in EDITIONS:
        shown = glossary_in(code, text)
        assert [line for line in shown.splitlines() if line.startswith("|")] == table
        prose = [b for b in shown.split("\n\n")[1:] if not b.startswith("|")]
        assert len(prose) == 2, prose  # what the glossary is, and how the test uses it
        han = [len(re.findall("[\u4e00-\u9fff]", b)) / len(re.sub(r"\s", "", b)) for b in prose]
        assert all(share > 0.5 if code == "zh" else share < 0.1 for share in han), (code, han)


def test_the_cache_is_keyed_by_the_package_and_the_versions_it_runs_with(monkeypatch):
    import importlib.metadata

    from maddpg_lite import site as website
    before = website.fingerprint()
    assert website.fingerprint() == before  # the same code and versions: the same key
    real = importlib.metadata.version
    for name in ("torch", "mpe2"):
        monkeypatch.setattr(importlib.metadata, "version", lambda n, name=name: "0.0" if n == name else real(n))
        assert website.fingerprint() != before, f"a new {name} keeps the old outputs"
    monkeypatch.setattr(importlib.metadata, "version", real)
    assert website.fingerprint() == before


def test_links_are_rewritten_for_the_site():
    from maddpg_lite import site as website

    edition = website.EDITIONS["en"]
    mapping = {"notebooks/01_ctde_football.ipynb": "01_ctde_football.ipynb",
               "notebooks/exercises": "exercises/index.md", "figures/returns.png": "figures/returns.png"}
    pages = website.Pages(edition, mapping, {"course-map": "course_map.md"})
    readme, lesson = REPO / "README.md", NOTEBOOKS / "05_training.ipynb"
    rewrite = pages.rewrite
    assert rewrite("[01](notebooks/01_ctde_football.ipynb)", readme, "course_map.md") == "[01](01_ctde_football.ipynb)"
    assert rewrite("![r](../figures/returns.png)", lesson, "exercises/x.ipynb") == "![r](../figures/returns.png)"
    assert rewrite("see [the key](notebooks/exercises/answers.md)", readme, "course_map.md") == (
        "see the key (in the repository, for instructors)")
    assert rewrite("[`solutions/`](notebooks/exercises/solutions/)", readme, "x.md") == (
        "`solutions/` (in the repository, for instructors)")
    assert rewrite("[LICENSE](LICENSE) and [map](#course-map), [x](#elsewhere)", readme, "references.md") == (
        "LICENSE (in the repository) and [map](course_map.md#course-map), x (in the repository)")
    assert rewrite("`[a](answers.md)` and $[x](y)$", readme, "x.md") == "`[a](answers.md)` and $[x](y)$"  # code, math
    assert rewrite("[out](https://arxiv.org/abs/1706.02275)", readme, "x.md") == "[out](https://arxiv.org/abs/1706.02275)"


def test_which_files_are_instructors_and_which_cell_shows_the_explorer():
    from maddpg_lite import site as website

    for rel in ["notebooks/exercises/answers.md", "notebooks/exercises/README.md", "notebooks/zh/exercises/answers.md",
                "notebooks/exercises/solutions/x.ipynb", "notebooks/zh/exercises/source/a/b.ipynb"]:
        assert website.is_instructors(rel), rel
    for rel in ["notebooks/exercises/01_ctde_football_exercises.ipynb", "README.md", "notebooks/glossary.md"]:
        assert not website.is_instructors(rel), rel
    assert website.shows_explorer("ui = gumbel_explorer(tau=1.0)\nui")
    assert website.shows_explorer("gumbel_explorer()")
    assert not website.shows_explorer("cold = gumbel_explorer()\ncold.tau_slider.value = 0.1\ncold.figure")


# ----- the checks catch what they should -----------------------------------------------------------

def tiny_site(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}"
                                       f"</body></html>", encoding="utf-8")
    return folder


def test_the_scanner_finds_solutions_answer_keys_and_hidden_tests(tmp_path):
    needles = instructor_needles()
    solution_line = next(text for kind, text in needles.values() if kind.startswith("solution code"))
    answer_sentence = next(text for kind, text in needles.values() if kind == "notebooks/exercises/answers.md")
    clean = tiny_site(tmp_path / "clean", "<h1>Lesson</h1><p>Nothing for instructors here.</p>")
    assert instructor_material(clean, needles) == []
    bad = tiny_site(tmp_path / "bad", f"<pre><span>{html.escape(solution_line)}</span></pre>"
                                      f"<p><em>{html.escape(answer_sentence)}</em></p><pre># BEGIN HIDDEN TESTS</pre>")
    (bad / "solutions").mkdir()
    (bad / "solutions" / "x.html").write_text("<p>x</p>")
    found = "\n".join(instructor_material(bad, needles))
    for expected in ["solution code in", "answers.md", "a hidden-test marker", "an instructors' file"]:
        assert expected in found, found


def test_the_static_check_finds_broken_links_and_outside_sources(tmp_path):
    bad = tiny_site(tmp_path / "bad", '<a href="nowhere.html">x</a><a href="#missing">y</a><p id="here">z</p>'
                                      '<a href="#here">fine</a><a href="https://example.org/">a link out is fine</a>'
                                      '<script src="https://cdn.example.org/mathjax.js"></script>')
    found = "\n".join(static_problems(bad))
    for expected in ["nowhere.html: no such file", "#missing: no #missing", "loads https://cdn.example.org"]:
        assert expected in found, found
    assert "#here" not in found and "example.org/:" not in found


def test_the_browser_check_finds_outside_requests_broken_images_raw_math_and_errors(tmp_path, server,
                                                                                     browser_context):
    bad = tiny_site(tmp_path / "bad", '<img src="http://192.0.2.1/picture.png"><img src="missing.png">'
                                      '<p>Raw $x^2$ math.</p><a href="gone.html">gone</a>'
                                      '<script>console.error("deliberately broken")</script>')
    base = server(bad)
    found = "\n".join(Visit(browser_context, base).check(base + "index.html", bad, math=True))
    for expected in ["request to another host: http://192.0.2.1/picture.png", "HTTP 404", "broken image: missing.png",
                     "raw math in prose: '$x^2$'", "console error", "no rendered formula", "broken link: /gone.html"]:
        assert expected in found, found
