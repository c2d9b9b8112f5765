"""Sphinx configuration of one edition of the course website (copied here by ``python -m maddpg_lite.site``).

The same file serves both editions: what differs between them (the language, the folders, the
pages of the other edition) comes from ``_site.json`` beside it, written by the same command.
"""

import importlib.util
import json
import shutil
from pathlib import Path

SITE = json.loads((Path(__file__).parent / "_site.json").read_text(encoding="utf-8"))

project = "maddpg-lite"
author = "the maddpg-lite authors"
copyright = "the maddpg-lite authors (text and figures CC BY 4.0, code MIT)"
language = SITE["language"]  # "zh_CN": the theme's menus, labels and search speak Chinese too
html_title = SITE["title"]

# myst_nb reads notebooks and MyST markdown. MathJax 3 comes from the sphinx-mathjax-offline package:
# setup() below copies the part of it that CHTML pages load (about 7 of its 24 MB) into _static/mathjax
extensions = ["myst_nb"]
mathjax_path = "mathjax/tex-chtml.js"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml", "input/tex", "input/mml", "a11y", "sre", "ui", "adaptors")
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # "#course-map" and the like, as GitHub makes them
exclude_patterns = ["_build", "**.ipynb_checkpoints", "exercises/files/**"]
suppress_warnings = ["misc.highlighting_failure", "mystnb.unknown_mime_type"]

# execute the lessons, caching their outputs by the notebooks' code (jupyter-cache): a second build
# runs only what changed. The exercise sets are shown as students get them, unexecuted.
nb_execution_mode = "cache"
nb_execution_cache_path = SITE["cache"]
nb_execution_timeout = SITE["timeout"]
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_excludepatterns = ["exercises/*"]
nb_merge_streams = True
# no widget JavaScript (it would come from a CDN). An output with a picture shows the picture (the Gumbel-softmax
# explorer offers a PNG of its figure beside its widget view); a widget without one (tqdm's progress bar) stays
# an inert widget-view script, not the misleading text of its first state ("0%| | 0/5000")
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "image/png", 5)]

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["maddpg-lite.css"]
# Chinese search: jieba splits the text into words; the glossary's terms are words of their own (智能体, not 智能 + 体)
html_search_options = {"dict": str(Path(__file__).parent / SITE["search_dict"])} if SITE.get("search_dict") else {}
templates_path = ["_templates"]
html_copy_source = True
html_show_sourcelink = False
html_last_updated_fmt = None
html_context = {"site": SITE, "default_mode": "auto"}  # light or dark as the reader's system says
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "article_header_end": ["lang-switch.html", "article-header-buttons.html"],
    "navigation_with_keys": False,
}


def copy_mathjax(app, exception):
    """The MathJax files into the built site (the package's own extension would copy all 24 MB)."""
    if exception is not None:
        return
    package = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static" / "mathjax"
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        source = package / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)


def fix_chinese_stemmer(app, exception):
    """Sphinx 9.0's Chinese search names a JavaScript stemmer that does not exist ("ChineseStemmer is not
    defined": the search finds nothing); it uses the English one (sphinx-doc/sphinx#14229, fixed upstream
    by #14416 the same way)."""
    data = Path(app.outdir) / "_static" / "language_data.js"
    if exception is None and data.exists():
        text = data.read_text(encoding="utf-8")
        data.write_text(text.replace("window.Stemmer = ChineseStemmer;", "window.Stemmer = EnglishStemmer;"),
                        encoding="utf-8")


def drop_widget_state(app, pagename, templatename, context, doctree):
    """No widgets' state in the pages: without widget JavaScript nothing reads it (lesson 03's two explorers
    would add 230 kB of their pictures' bytes to its page)."""
    context["script_files"] = [js for js in context.get("script_files", [])
                               if getattr(js, "attributes", {}).get("type") != WIDGET_STATE]


def setup(app):
    app.connect("html-page-context", drop_widget_state, priority=900)  # after myst-nb adds it (500)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", fix_chinese_stemmer)
