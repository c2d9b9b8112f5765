"""pytest setup shared by the unit tests and the notebooks (run through nbval).

The test command runs everything in quick mode: long training runs shrink but still
perform real update rounds. Notebook kernels inherit this environment variable, and
MADDPG_LITE_CHECK_FIGURE_TEXT: a figure drawn in Chinese that would show English words
is written to that file (maddpg_lite.i18n), and the notebook cell that drew it fails here.
"""

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MADDPG_LITE_QUICK", "1")
FIGURE_TEXT_LOG = Path(os.environ.setdefault(
    "MADDPG_LITE_CHECK_FIGURE_TEXT", str(Path(tempfile.gettempdir()) / f"maddpg-lite-figure-text-{os.getpid()}.log")))
FIGURE_TEXT_LOG.unlink(missing_ok=True)

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # this process only; notebook kernels keep their inline backend


def _figure_text_said() -> str:
    return FIGURE_TEXT_LOG.read_text(encoding="utf-8") if FIGURE_TEXT_LOG.exists() else ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A notebook cell (nbval) that drew a Chinese figure with English words fails, with what the kernel said."""
    if call.when == "call":
        before = item.config.stash.setdefault(_SAID, [""])
    outcome = yield
    if call.when != "call":
        return
    said = _figure_text_said()
    new, before[0] = said[len(before[0]):], said
    report = outcome.get_result()
    if new and report.passed and type(item).__name__ == "IPyNbCell":
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: {new.strip()}"


_SAID = pytest.StashKey[list]()
