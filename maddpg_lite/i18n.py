"""The language the package speaks: English by default, 简体中文 after ``set_language("zh_CN")``.

Every message a student reads from the package (checker verdicts and hints, widget labels, figure text,
the progress bar) is written in English inside ``_(...)`` and translated at the moment it is shown, with
the standard library's :mod:`gettext` and the catalog ``maddpg_lite/locale/zh_CN/LC_MESSAGES/maddpg_lite.mo``
(compiled from the ``.po`` next to it; ``python -m maddpg_lite.translate`` compiles it). The Chinese
notebooks (``notebooks/zh/``) start with the one cell ``maddpg_lite.set_language("zh_CN")``; nothing else
changes between the editions, and the English edition's output is what it always was.

Figure text needs a font with Chinese glyphs. :func:`set_language` picks an installed one
(:data:`CJK_FONTS`); without one it uses the subset of Noto Sans CJK SC shipped in ``maddpg_lite/fonts/``
(it holds every character of the course's figure text); if neither can be used it says so in one line and
figure text (:func:`_fig`) stays English rather than turning into empty boxes.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping
from pathlib import Path

from .paths import PACKAGE_DIR

DOMAIN = "maddpg_lite"
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGES = ("en", "zh_CN")
"""The languages the package speaks; ``"en"`` is the source text itself."""
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei", "PingFang SC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Sans SC", "Noto Serif CJK SC")
"""Installed fonts with Chinese glyphs, in the order they are preferred for figure text."""
BUNDLED_FONT = PACKAGE_DIR / "fonts" / "NotoSansCJKsc-maddpg-lite-subset.otf"
"""The shipped subset of Noto Sans CJK SC (SIL Open Font License 1.1; see LICENSES/): the characters of the
course's Chinese figure text only, made by ``python -m maddpg_lite.translate``."""

_state = {"language": "en", "translation": gettext.NullTranslations(), "figure_font": None}

CHECK_FIGURE_TEXT = "MADDPG_LITE_CHECK_FIGURE_TEXT"
"""Environment variable, a file's path (the test suite sets it, and the notebooks' kernels inherit it): a figure
drawn in Chinese that shows English words (:func:`english_words`) is not drawn; a line naming the text is added
to that file and an ``AssertionError`` raised. IPython's display swallows errors of figures, so the test suite
reads the file after each notebook cell and fails the cell of a Chinese lesson that would have shown a Chinese
student an English label (``conftest.py``)."""
CODE_WORDS = frozenset({"Actor", "Critic", "Gumbel", "softmax", "logit", "logits", "one", "hot", "argmax", "tau",
                        "done"})
"""Words that stay in Latin letters in Chinese text, as the book writes them (``done``: the end-of-episode flag
of the critic's target, as in the book's code)."""
_WORD = re.compile(r"(?<![\w=.\[])(?<!\w\()[A-Za-z][a-z]{2,}(?![\w(=.\]])")
_MATH = re.compile(r"\$[^$]*\$")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def english_words(text: str) -> list[str]:
    """The English words of a figure text that has no Chinese in it: words of three or more letters outside
    ``$...$`` math that are not code (``agent_0``, ``reset(seed=0)``, ``mpe2``), acronyms (``MADDPG``), camel case
    (``VecSimpleAdversary``) or :data:`CODE_WORDS`. A text with Chinese in it has none (a name in brackets after
    its Chinese word, such as 直冲（rush）, is allowed)."""
    if _HAN.search(text):
        return []
    return [w for w in _WORD.findall(_MATH.sub(" ", text)) if w not in CODE_WORDS]


def _check_figure_text_when_drawn() -> None:
    """Make every figure drawn while the package speaks Chinese (with a CJK font) fail on English words."""
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.text import Text

    if getattr(FigureCanvasBase.print_figure, "_checks_english", False):
        return
    print_figure = FigureCanvasBase.print_figure

    def checked(self, *args, **kwargs):
        path = os.environ.get(CHECK_FIGURE_TEXT)
        if path and _state["language"] != "en" and _state["figure_font"]:
            for artist in self.figure.findobj(Text):
                words = english_words(artist.get_text()) if artist.get_visible() else []
                if words:
                    said = f"English words in a figure drawn in Chinese: {artist.get_text()!r} ({', '.join(words)})"
                    with open(path, "a", encoding="utf-8") as log:
                        log.write(said.replace("\n", "\\n") + "\n")
                    raise AssertionError(said)
        return print_figure(self, *args, **kwargs)

    checked._checks_english = True
    FigureCanvasBase.print_figure = checked


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (module-level constants: translate them
    with ``_()`` where they are shown)."""
    return message


def _(message: str) -> str:
    """``message`` in the current language (itself in English, or when the catalog has no translation)."""
    return _state["translation"].gettext(message)


def _fig(message: str) -> str:
    """``message`` for a figure: translated only when a font with its glyphs is available."""
    return _(message) if _state["figure_font"] else message


class Labels(Mapping):
    """A read-only ``{key: label}`` whose labels (marked with :func:`N_`) come out in the language the package
    speaks when read: ``RATE_LABELS[key]`` in a Chinese notebook is Chinese, the keys stay English."""

    def __init__(self, labels: dict[str, str]):
        self._labels = dict(labels)

    def __getitem__(self, key: str) -> str:
        return _(self._labels[key])

    def __iter__(self):
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def __repr__(self) -> str:
        return f"Labels({dict(self)!r})"


def language() -> str:
    """The current language: ``"en"`` or ``"zh_CN"``."""
    return _state["language"]


def figure_font() -> str | None:
    """The family the Chinese figure text is drawn with (``None`` in English, or without any CJK font)."""
    return _state["figure_font"]


def set_language(lang: str) -> str:
    """Speak ``lang`` from now on (``"en"`` or ``"zh_CN"``; also ``"zh"``, ``"zh-CN"``). Returns the language.

    For Chinese it also makes matplotlib draw text with a CJK font (see the module's docstring) and a
    plain hyphen for the minus sign (CJK fonts often lack U+2212).
    """
    aliases = {"en": "en", "en_US": "en", "zh": "zh_CN", "zh_CN": "zh_CN", "zh-CN": "zh_CN", "zh-Hans": "zh_CN"}
    if lang not in aliases:
        raise ValueError(f"set_language: unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    lang = aliases[lang]
    if lang == "en":
        _state.update(language="en", translation=gettext.NullTranslations(), figure_font=None)
        return lang
    translation = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)
    _state.update(language=lang, translation=translation, figure_font=_use_cjk_font())
    if os.environ.get(CHECK_FIGURE_TEXT):
        _check_figure_text_when_drawn()
    return lang


_fallback_said: list[bool] = []


def _use_cjk_font() -> str | None:
    """Put a CJK font first in matplotlib's sans-serif list; its family, or ``None`` (said once, in one line)."""
    import matplotlib
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in CJK_FONTS if name in installed), None)
    if family is None and BUNDLED_FONT.exists():
        try:
            font_manager.fontManager.addfont(str(BUNDLED_FONT))
            family = font_manager.FontProperties(fname=str(BUNDLED_FONT)).get_name()
        except (OSError, RuntimeError, ValueError):
            family = None
    if family is None:
        if not _fallback_said:
            _fallback_said.append(True)
            print("没有找到中文字体 (no CJK font: install fonts-noto-cjk); "
                  "图中文字保持英文 (figure text stays English).")
        return None
    sans = [name for name in matplotlib.rcParams["font.sans-serif"] if name != family]
    matplotlib.rcParams["font.sans-serif"] = [family, *sans]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family


def catalog_path(lang: str = "zh_CN", suffix: str = ".po") -> Path:
    """The package's catalog of ``lang``: ``maddpg_lite/locale/<lang>/LC_MESSAGES/maddpg_lite.po`` (or ``.mo``)."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"
