"""The lessons as a student sees them: JupyterLab in headless Chromium, driven by playwright.

One JupyterLab server (127.0.0.1, a random free port, a token) serves a scratch copy of
``notebooks/`` for the whole module, and one browser opens every student notebook in turn
(:func:`browser.student_notebooks`: lessons, appendix, exercise stubs; never ``solutions/``),
runs it with Run > Run All Cells and fails on any error or stderr output, "Error displaying
widget", broken image, dead kernel or request to the internet. Where a notebook shows the
Gumbel-softmax explorer (lesson 03) it must open at the tau its cell asks for, and every mouse,
keyboard and button action must change its picture. Two more tests check that these checks
catch a deliberately broken notebook and an explorer that never redraws.

Where they run: ``.ci/run`` installs Debian's chromium and sets ``MADDPG_LITE_BROWSER=1``, which
makes them mandatory. Elsewhere they run when playwright and chromium are there and are
skipped with one line otherwise (``MADDPG_LITE_BROWSER=0`` skips them on purpose). Screenshots
of failures go to ``browser-failures/`` (or ``$MADDPG_LITE_SCREENSHOTS``); the failure message
names the folder. Chromium is found as ``$MADDPG_LITE_CHROMIUM`` or ``chromium`` on the PATH.
"""

import inspect
import json
import os
import re
import time

import pytest
from browser import (
    ENABLE_HINT,
    NOTEBOOKS,
    BrowserCheckFailed,
    NotebookSpec,
    chromium_context,
    env_number,
    exercise_explorer,
    explorer_locator,
    explorer_tau,
    fail,
    requirements_problem,
    run_notebooks,
    running_lab,
    screenshot,
    screenshot_dir,
    show,
    student_notebooks,
)

SWITCH = os.environ.get("MADDPG_LITE_BROWSER", "")
MISSING = requirements_problem()
if SWITCH == "0":
    pytest.skip("browser tests skipped: MADDPG_LITE_BROWSER=0", allow_module_level=True)
if MISSING and SWITCH != "1":
    pytest.skip(f"browser tests skipped: {MISSING} ({ENABLE_HINT}; MADDPG_LITE_BROWSER=1 makes them mandatory)",
                allow_module_level=True)

NOTEBOOK_TIMEOUT = env_number("MADDPG_LITE_BROWSER_TIMEOUT", 150)  # seconds per notebook, quick mode
PARALLEL = int(env_number("MADDPG_LITE_BROWSER_PARALLEL", 1))  # notebooks at once (2 is slower on 2 cores)
WITH_EXERCISES = os.environ.get("MADDPG_LITE_BROWSER_EXERCISES", "") == "1"
"""The lessons (and appendices) by default, within the 2-minute budget; set MADDPG_LITE_BROWSER_EXERCISES=1
to open the exercise notebooks too (nbval runs them in every test run either way)."""
ZH_IN_BROWSER = ("zh/03_gumbel_softmax.ipynb", "zh/05_training.ipynb")
"""The Chinese edition in the browser: the explorer's labels (03), figures with Chinese text and the animation
(05); screenshots of both go to ``<screenshots>/chinese-edition/``. nbval runs every other Chinese notebook."""
ALL_STUDENT_NOTEBOOKS = [p.relative_to(NOTEBOOKS).as_posix() for p in student_notebooks()]
STUDENT_NOTEBOOKS = [n for n in ALL_STUDENT_NOTEBOOKS if (WITH_EXERCISES or "exercises/" not in n)
                     and (not n.startswith("zh/") or n in ZH_IN_BROWSER)]
HAN = re.compile(r"[\u4e00-\u9fff]")


def check_chinese(name, before=None):
    """``after`` for a Chinese lesson: its explorer (if any) speaks Chinese, and a screenshot of the page is kept."""
    def after(job):  # a generator, like the explorer's check it may wrap
        notes = before(job) if before else []
        if inspect.isgenerator(notes):
            notes = yield from notes
        box = explorer_locator(job.page)
        if box.count():
            text = box.first.inner_text()
            if not HAN.search(text):
                fail(f"{job.rel}: the explorer's labels are not Chinese: {text[:120]!r}",
                     [screenshot(job.page, f"{job.name}-explorer", job.spec.shots, box.first)])
            screenshot(job.page, f"{name}-explorer", screenshot_dir() / "chinese-edition", box.first)
        shots = [screenshot(job.page, name, screenshot_dir() / "chinese-edition")]
        figures = job.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img")
        if figures.count():  # the first figure the lesson drew, with its Chinese labels
            show(job.page, figures.first)
            shots.append(screenshot(job.page, f"{name}-figure", screenshot_dir() / "chinese-edition", figures.first))
        return [*(notes or []), *(f"screenshot: {shot}" for shot in shots)]
    return after
LESSON_TEST = "test_notebook_runs_clean_in_jupyterlab"


def explorer_cell_tau(path):
    """The tau that the notebook's ``gumbel_explorer(...)`` cell asks for (the default if none), or None."""
    from maddpg_lite.widgets import gumbel_explorer

    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "gumbel_explorer(" in source:
            match = re.search(r"gumbel_explorer\([^)]*\btau\s*=\s*([0-9.eE+-]+)", source)
            return float(match.group(1)) if match else inspect.signature(gumbel_explorer).parameters["tau"].default
    return None


def check_explorer(cell_tau):
    """``after`` for a notebook that shows the explorer: it opens at the tau its cell says, and each
    mouse, keyboard and button action changes its picture."""
    def after(job):
        page, box = job.page, explorer_locator(job.page)
        if not box.count():
            fail(f"{job.rel}: the Gumbel-softmax explorer is not shown",
                 [screenshot(page, f"{job.name}-explorer", job.spec.shots)])
        shown = explorer_tau(page)
        if abs(shown - cell_tau) > 0.01 * cell_tau:  # after Run All ran the cells below it, too
            fail(f"{job.rel}: the explorer shows tau = {shown:g}, its cell says tau={cell_tau:g}",
                 [screenshot(page, f"{job.name}-explorer-tau", job.spec.shots, box.first)])
        return exercise_explorer(page, job.spec.shots, job.name)
    return after


# ----- one JupyterLab, one browser, every notebook run once -----------------------------------------

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if MISSING:
        pytest.fail(f"MADDPG_LITE_BROWSER=1 but {MISSING} ({ENABLE_HINT})", pytrace=False)
    with running_lab(tmp_path_factory.mktemp("jupyterlab")) as server:
        yield server


@pytest.fixture(scope="module")
def context(lab):
    with chromium_context() as ctx:
        yield ctx


@pytest.fixture(scope="module")
def runs(request, lab, context, tmp_path_factory):
    """Every selected notebook (and the self-test notebooks, if their tests are selected) run once,
    ``PARALLEL`` at a time: ``{rel: NotebookJob}``."""
    ours = [item for item in request.session.items if getattr(item, "module", None) is request.module]  # not nbval's
    selected = {item.originalname: item for item in ours}
    specs = [NotebookSpec(f"notebooks/{item.callspec.params['notebook']}", screenshot_dir(),
                          timeout=NOTEBOOK_TIMEOUT)
             for item in ours if item.originalname == LESSON_TEST]
    for spec in specs:
        cell_tau = explorer_cell_tau(lab.root / spec.rel)
        if cell_tau is not None:
            spec.after = check_explorer(cell_tau)
        if spec.rel.removeprefix("notebooks/") in ZH_IN_BROWSER:
            spec.after = check_chinese(spec.rel.removeprefix("notebooks/").replace("/", "_"), spec.after)
    for name, (notebook, sources, after) in SELF_TESTS.items():
        if name in selected:
            specs.append(NotebookSpec(scratch_notebook(lab, notebook, *sources), tmp_path_factory.mktemp(name),
                                      after, timeout=60))
    start = time.monotonic()
    jobs = run_notebooks(context, lab, specs, parallel=PARALLEL)
    print(f"\nbrowser: {len(jobs)} notebooks in {time.monotonic() - start:.0f} s, {PARALLEL} at a time")
    return jobs


def test_the_rule_finds_the_lessons_and_no_solutions():
    assert "03_gumbel_softmax.ipynb" in STUDENT_NOTEBOOKS
    assert [n for n in STUDENT_NOTEBOOKS if n.startswith("zh/")] == [
        n for n in ZH_IN_BROWSER if (NOTEBOOKS / n).exists()]
    assert any(n.startswith("exercises/") for n in ALL_STUDENT_NOTEBOOKS)
    assert not any("solutions/" in n or "source/" in n for n in ALL_STUDENT_NOTEBOOKS)
    assert any(explorer_cell_tau(NOTEBOOKS / n) is not None for n in STUDENT_NOTEBOOKS)  # the explorer is tested


@pytest.mark.parametrize("notebook", STUDENT_NOTEBOOKS)
def test_notebook_runs_clean_in_jupyterlab(notebook, runs):
    job = runs[f"notebooks/{notebook}"]
    print(f"{notebook}: {job.seconds:.1f} s ({', '.join(job.timeline)})",
          *[f"\n  explorer: {line}" for line in job.notes])
    if job.failure:
        raise BrowserCheckFailed(job.failure)


# ----- the checks catch what they should -----------------------------------------------------------

def scratch_notebook(lab, name, *sources):
    """Write a notebook of code cells into the served scratch folder; returns its path for the runner."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = lab.root / "selftest" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return f"selftest/{name}"


BROKEN = (
    "import sys\nprint('a warning', file=sys.stderr)",
    "from IPython.display import HTML, display\ndisplay(HTML('<img src=\"no-such-picture.png\">'))",
    # a widget whose front-end code is missing, as when ipywidgets and JupyterLab drift apart
    "import ipywidgets, traitlets\n\n\nclass Orphan(ipywidgets.DOMWidget):\n"
    "    _view_name = traitlets.Unicode('OrphanView').tag(sync=True)\n"
    "    _view_module = traitlets.Unicode('no-such-widget-module').tag(sync=True)\n"
    "    _view_module_version = traitlets.Unicode('9.9.9').tag(sync=True)\n\n\nOrphan()",
    "raise RuntimeError('deliberately broken')",
    "print('never reached')",
)
FROZEN = (
    "from maddpg_lite.widgets import gumbel_explorer\n"
    "ui = gumbel_explorer(n_samples=200)\n"
    "ui.update = lambda: None  # deliberately broken: the controls move, the picture never changes\n"
    "ui",
)
SELF_TESTS = {  # test name -> (scratch notebook, its cells, after)
    "test_the_check_fails_on_errors_stderr_broken_widgets_and_images": ("broken.ipynb", BROKEN, None),
    "test_the_check_fails_on_an_explorer_that_never_redraws": (
        "frozen_explorer.ipynb", FROZEN, lambda job: exercise_explorer(job.page, job.spec.shots, "frozen", 3)),
}


def test_the_check_fails_on_errors_stderr_broken_widgets_and_images(runs):
    job = runs["selftest/broken.ipynb"]
    message = job.failure or ""
    for expected in ["cell 1: stderr output: a warning", "cell 2: broken image", "cell 3: Error displaying widget",
                     "cell 4: error output", "RuntimeError: deliberately broken",
                     f"screenshots (3) in {job.spec.shots}/"]:
        assert expected in message, message
    assert len(list(job.spec.shots.glob("*.png"))) == 3


def test_the_check_fails_on_an_explorer_that_never_redraws(runs):
    job = runs["selftest/frozen_explorer.ipynb"]
    assert "picture did not change within 3 s after dragging the tau slider" in (job.failure or ""), job.failure
    assert len(list(job.spec.shots.glob("frozen-explorer-*.png"))) == 1
