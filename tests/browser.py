"""Run the lessons the way a student does: JupyterLab in headless Chromium, driven by playwright.

Used by ``tests/test_browser.py``; nothing here is imported by the package. The pieces:

* :func:`student_notebooks`: which notebooks a student opens (the rule is in its docstring);
* :func:`requirements_problem` / :func:`find_chromium`: whether the browser tests can run here;
* :func:`running_lab`: a JupyterLab server on 127.0.0.1 (random free port, a token) serving a
  scratch copy of ``notebooks/`` and ``figures/``, so the working tree never gets outputs;
* :func:`run_notebooks`: opens each notebook in its own page (two at a time), runs it with the
  real menu (Run > Run All Cells), waits for the kernel and checks what the student sees (errors,
  stderr, "Error displaying widget", broken images, a dead kernel, requests to the internet);
* :func:`exercise_explorer`: drags, keys and clicks lesson 03's Gumbel-softmax explorer and
  checks that its picture changes after each action.

A failed check raises :class:`BrowserCheckFailed` (an ``AssertionError``) whose message lists
every problem and names the screenshots it saved (folder: :func:`screenshot_dir`).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"

INSTRUCTOR_DIRS = frozenset({"solutions", "source", "release", "submitted", "autograded", "feedback",
                             "instructor", ".ipynb_checkpoints"})
"""Folders under ``notebooks/`` that hold instructor copies (or nbgrader's working copies), not
notebooks a student opens."""

ENABLE_HINT = "apt-get install chromium fonts-noto-cjk; pip install -r requirements-dev.txt"
VIEWPORT = {"width": 1366, "height": 768}
"""A common laptop screen at 100% zoom."""

STDERR_MIME = "application/vnd.jupyter.stderr"  # JupyterLab renders tracebacks and stderr streams with it
DEAD_STATUSES = ("dead", "restarting", "autorestarting", "terminating")


class BrowserCheckFailed(AssertionError):
    """What a student would see went wrong; the message lists the problems and the screenshots."""


# ----- what to run, and whether we can ------------------------------------------------------------

def student_notebooks(root: Path = NOTEBOOKS) -> list[Path]:
    """Every notebook a student opens, sorted by path.

    The rule: every ``*.ipynb`` at any depth under ``notebooks/`` (the lessons ``notebooks/*.ipynb``,
    an appendix wherever it lives, the exercise notebooks ``notebooks/exercises/*.ipynb``), except
    those inside a folder named in :data:`INSTRUCTOR_DIRS` (``solutions/``, nbgrader's
    ``source/``, ``release/``, ... and ``.ipynb_checkpoints/``). A lesson added later is covered
    without touching the tests.
    """
    found = []
    for path in root.rglob("*.ipynb"):
        rel = path.relative_to(root)
        if not INSTRUCTOR_DIRS.intersection(rel.parts[:-1]):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def find_chromium() -> str | None:
    """The chromium binary to drive: ``$MADDPG_LITE_CHROMIUM`` if set, else ``chromium`` (Debian's
    package) or ``chromium-browser`` on the PATH. ``None`` if there is none."""
    override = os.environ.get("MADDPG_LITE_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def requirements_problem() -> str | None:
    """What is missing for the browser tests (``None``: nothing)."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed")
    if find_chromium() is None:
        override = os.environ.get("MADDPG_LITE_CHROMIUM")
        missing.append(f"MADDPG_LITE_CHROMIUM={override} is not executable" if override else "no chromium found")
    return "; ".join(missing) or None


_RUN_STAMP = time.strftime("%Y%m%d-%H%M%S")
KEPT_FOLDERS = ("chinese-edition", "site")
"""Subfolders of :func:`screenshot_dir` with the screenshots every run keeps, failed or not (``.ci/run``
lists only the others as failures)."""


def screenshot_dir() -> Path:
    """Where this run's screenshots go: a folder named after the start time of the run in
    ``$MADDPG_LITE_SCREENSHOTS``, else in ``browser-failures/`` at the repository root (git-ignored).
    Screenshots of failures go in it directly or in a notebook's folder; the screenshots every run keeps
    (of the Chinese edition and of the website, :data:`KEPT_FOLDERS`) go in subfolders of those names."""
    base = Path(os.environ.get("MADDPG_LITE_SCREENSHOTS") or REPO / "browser-failures")
    return (base / _RUN_STAMP).resolve()


def env_number(name: str, default: float) -> float:
    """A number from the environment variable ``name``, else ``default`` (time limits on slow machines)."""
    return float(os.environ.get(name, default))


# ----- the JupyterLab server ----------------------------------------------------------------------

@dataclass
class Lab:
    """A running JupyterLab server. ``root`` is the folder it serves (the scratch copy)."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path
    shutdowns: list = field(default_factory=list)  # background kernel shutdowns

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session and kernel the server runs (frees the memory of the last lesson)."""
        for session in self.api("GET", "/api/sessions"):
            with contextlib.suppress(urllib.error.HTTPError):
                self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            with contextlib.suppress(urllib.error.HTTPError):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def shutdown_session(self, rel: str, wait: bool = True) -> None:
        """End the session (and kernel) of the notebook ``rel``; ``wait=False``: in the background
        (the server takes a second or two to stop a kernel; :meth:`wait_for_shutdowns` waits for all)."""
        def shutdown():
            with contextlib.suppress(Exception):
                for session in self.api("GET", "/api/sessions"):
                    if session["path"] == rel:
                        self.api("DELETE", f"/api/sessions/{session['id']}")
        if wait:
            shutdown()
        else:
            thread = threading.Thread(target=shutdown, daemon=True)
            thread.start()
            self.shutdowns.append(thread)

    def wait_for_shutdowns(self, timeout: float = 30.0) -> None:
        for thread in self.shutdowns:
            thread.join(timeout)
        self.shutdowns.clear()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(workdir: Path, start_timeout: float = 90.0):
    """Start JupyterLab from this Python environment on a scratch copy; stop it on exit, always.

    ``workdir/root`` gets copies of ``notebooks/`` (without checkpoints) and ``figures/`` (the
    lessons' markdown shows ``../figures/*.png``). Settings, workspaces, runtime files, config and
    IPython profile all live under ``workdir``, so neither the user's Jupyter setup nor the working
    tree is read or written. The kernels inherit this process's environment, so
    ``MADDPG_LITE_QUICK=1`` (set by conftest.py) puts them in quick mode.
    """
    workdir = Path(workdir)
    root = workdir / "root"
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(REPO / "figures", root / "figures")
    settings = workdir / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    # no "get Jupyter news?" pop-up over the notebook, and no request to the internet for it
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # every cell in the page (JupyterLab's default attaches off-screen cells lazily, so the checks could
    # miss an error in a cell not attached yet); what a cell shows is the same in every mode
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(workdir / sub)
    env.setdefault("MADDPG_LITE_QUICK", "1")
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = workdir / "jupyterlab.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{lab.log_tail()}")
            try:
                lab.api("GET", "/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer within {start_timeout:.0f} s:\n{lab.log_tail()}") \
                        from None
                time.sleep(0.25)
        yield lab
    finally:
        with contextlib.suppress(Exception):
            lab.wait_for_shutdowns()
            if process.poll() is None:
                lab.shutdown_kernels()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the server stops its kernels on SIGTERM
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its own process group (start_new_session)
                process.wait()


# ----- the browser --------------------------------------------------------------------------------

@contextlib.contextmanager
def chromium_browser():
    """One headless Debian chromium (playwright never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_context():
    """A browser context (one tab's worth of state) of a fresh headless chromium, at :data:`VIEWPORT`."""
    with chromium_browser() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            yield context
        finally:
            context.close()


# what the page looks like now, in one round trip
_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const kernel = [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent || '')
    .find(t => t.includes(' | ')) || '';
  const tab = document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel');
  return {
    tab: tab ? tab.textContent : '',
    status: indicator ? indicator.dataset.status : 'unknown',
    kernel: kernel,  // the status bar, e.g. "Python 3 (ipykernel) | Idle"
    prompts: [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')]
      .map(c => ((c.querySelector('.jp-InputPrompt') || {}).textContent || '').trim()),
    dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => (d.textContent || '').slice(0, 300)),
  };
}"""

# every problem a student could see, per cell (1-based, counting markdown cells too)
_PROBLEMS_JS = """(stderrMime) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const problems = [];
  [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].forEach((cell, i) => {
    const where = {cell: i + 1};
    for (const out of cell.querySelectorAll('.jp-OutputArea-output')) {
      const text = out.textContent || '';
      if (out.dataset.mimeType === stderrMime) {
        const isError = /Traceback|Error|Exception/.test(text);
        problems.push({...where, kind: isError ? 'error output' : 'stderr output', text: text.slice(-600)});
      }
      for (const phrase of ['Error displaying widget', 'Error rendering output', 'Loading widget...']) {
        if (text.includes(phrase)) problems.push({...where, kind: phrase, text: text.slice(0, 300)});
      }
      // ipywidgets 8 shows a view that failed to render as an error icon ("Click to show javascript error.")
      if (out.querySelector('.jupyter-widgets-error-widget')) {
        problems.push({...where, kind: 'Error displaying widget', text: text.trim().slice(0, 300)});
      }
    }
    for (const img of cell.querySelectorAll('img')) {
      const src = (img.getAttribute('src') || '').slice(0, 120);
      if (img.complete && img.naturalWidth === 0) problems.push({...where, kind: 'broken image', text: src});
      if (!img.complete) problems.push({...where, kind: 'image still loading after 10 s', text: src});
    }
  });
  return problems;
}"""

_IMAGES_PENDING_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) img')]
  .filter(img => !img.complete).length"""

_EXECUTED = re.compile(r"\[\d+\]:")


def _is_local(url: str, lab: Lab) -> bool:
    return url.startswith((lab.url, "data:", "blob:", "about:"))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def screenshot(page, name: str, folder: Path, locator=None) -> Path:
    """Save a screenshot of the page (after scrolling ``locator`` into view) as ``folder/name.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_slug(name)}.png"
    if locator is not None:
        show(page, locator)
    page.screenshot(path=str(path))
    return path


def show(page, locator) -> None:
    """Scroll the notebook until ``locator`` is on the screen. (Off-screen cells are not laid out
    (CSS content-visibility), so the first scroll lands near the cell and the next ones settle.)"""
    with contextlib.suppress(Exception):
        for _ in range(4):
            locator.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(150)
            box, view = locator.bounding_box(), page.viewport_size
            if box and box["y"] >= 0 and box["y"] + min(box["height"], view["height"]) <= view["height"]:
                return


def fail(message: str, screenshots=()) -> None:
    """Raise :class:`BrowserCheckFailed`; the message ends with the folder and names of the screenshots."""
    shots = sorted({str(p) for p in screenshots})
    where = f"\nscreenshots ({len(shots)}) in {Path(shots[0]).parent}/:\n  " + "\n  ".join(
        Path(s).name for s in shots) if shots else ""
    raise BrowserCheckFailed(message + where)


def _code_cell_sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@dataclass
class NotebookSpec:
    """One notebook to run: ``rel`` relative to the lab root; screenshots of failures go to ``shots``;
    ``after(job)`` runs once the notebook ran clean, with its page and kernel still alive; it returns
    lines for ``job.notes``, or a generator that yields while it waits and returns them; it may
    raise :class:`BrowserCheckFailed`."""

    rel: str
    shots: Path
    after: object = None
    timeout: float = 150.0


class Lane:
    """One browser page with JupyterLab in its own workspace, reused for one notebook after another
    (booting JupyterLab costs more CPU than opening a notebook in it). ``job`` is the notebook it
    runs now; the page's requests and console errors are booked to it."""

    def __init__(self, context, lab: Lab):
        self.lab, self.job, self.broken = lab, None, False
        self.page = context.new_page()
        self.page.on("request", lambda r: self.job and not _is_local(r.url, lab)
                     and self.job.external_requests.append(r.url))
        self.page.on("console", lambda m: self.job and m.type == "error"
                     and self.job.console_errors.append(m.text[:300]))
        self.page.on("pageerror", lambda e: self.job and self.job.console_errors.append(f"uncaught: {e}"[:300]))
        self.page.goto(f"{lab.url}/lab/workspaces/w{secrets.token_hex(4)}?token={lab.token}", wait_until="commit")

    def menu(self, top: str, item, timeout: float = 30_000) -> None:
        """Click ``top`` in the menu bar, then ``item`` (a name or a compiled pattern) in its menu."""
        self.page.get_by_role("menuitem", name=top, exact=True).click(timeout=timeout)
        exact = isinstance(item, str) or None
        self.page.get_by_role("menuitem", name=item, exact=exact).click(timeout=timeout)

    def open(self, rel: str) -> None:
        """File > Open from Path..., as a student opens a notebook."""
        self.menu("File", re.compile(r"^Open from Path"))
        self.page.locator(".jp-Dialog input").fill(rel)
        self.page.keyboard.press("Enter")

    def close(self, rel: str) -> None:
        """File > Close Tab (discarding the outputs: it is a scratch copy), then stop the notebook's kernel."""
        try:
            self.menu("File", re.compile(r"^Close Tab"), timeout=5000)  # its name ends with the shortcut
            discard = self.page.locator(".jp-Dialog").get_by_role("button", name="Discard")
            self.page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel') || "
                                        "document.querySelector('.jp-Dialog')", timeout=5000)
            if discard.count():
                discard.click(timeout=5000)
            self.page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel')", timeout=5000)
        finally:
            self.lab.shutdown_session(rel, wait=False)


class NotebookJob:
    """One notebook in one :class:`Lane`, advanced a little by each :meth:`step` (so that two
    notebooks can run at once): open it (File > Open from Path...) and wait until its kernel is
    idle, Run > Run All Cells, wait until every code cell ran (or one failed, or the kernel died),
    let images and widgets settle, check, run ``spec.after``, shut the kernel down and close the tab.

    After the last step: ``failure`` is ``None`` or the full failure message (with screenshots),
    ``seconds`` the time from opening to the end of the checks, ``notes`` what ``after`` returned.
    """

    def __init__(self, lane: Lane, spec: NotebookSpec):
        self.lane, self.lab, self.spec, self.rel = lane, lane.lab, spec, spec.rel
        self.page = lane.page
        self.name = _slug(spec.rel.removesuffix(".ipynb"))
        self.sources = _code_cell_sources(self.lab.root / spec.rel)
        self.failure: str | None = None
        self.notes: list = []
        self.seconds = 0.0
        self.external_requests: list[str] = []
        self.console_errors: list[str] = []
        self.done = False
        self.phase = "launching"
        self.clicks: list[float] = []
        self.started = False
        self.start = time.monotonic()
        self.timeline: list[str] = []  # "phase seconds" as each phase begins
        lane.job = self

    # -- the phases

    def step(self) -> bool:
        """Advance by one short step; ``True`` once finished."""
        if self.done:
            return True
        try:
            phase = self.phase
            getattr(self, f"_{self.phase}")()
            if self.phase != phase:
                self.timeline.append(f"{self.phase} {time.monotonic() - self.start:.1f}")
        except BrowserCheckFailed as failed:
            self.failure = str(failed)
            self._finish()
        except Exception as error:  # playwright timeouts and the like: show where the page was
            self.failure = f"{self.rel}: {type(error).__name__} while {self.phase}: {error}".strip()
            with contextlib.suppress(Exception):
                shot = screenshot(self.page, f"{self.name}-{self.phase}", self.spec.shots)
                self.failure += f"\nscreenshots (1) in {shot.parent}/:\n  {shot.name}"
            self._finish()
        return self.done

    def _kernel_idle_on_server(self) -> bool:
        return any(s["path"] == self.rel and s["kernel"]["execution_state"] == "idle"
                   for s in self.lab.api("GET", "/api/sessions"))

    def _launching(self) -> None:
        self.page.get_by_role("menuitem", name="File", exact=True).wait_for(timeout=60_000)  # JupyterLab is up
        self.lane.open(self.rel)
        self.phase = "opening"

    def _opening(self) -> None:
        state = self.page.evaluate(_STATE_JS)
        # the indicator says "idle" before the kernel even starts: wait for the status bar and the server too
        ready = (state and state["tab"] == Path(self.rel).name and state["status"] == "idle"
                 and state["kernel"].endswith("| Idle") and not state["kernel"].startswith("No Kernel")
                 and self._kernel_idle_on_server())
        if ready:
            self.phase = "running"
            self.deadline = time.monotonic() + self.spec.timeout
        elif time.monotonic() - self.start > 90:
            self._report(f"the notebook did not open with an idle kernel within 90 s (status bar: "
                         f"{state and state['kernel']!r})")

    def _running(self) -> None:
        if not self.started and (not self.clicks or time.monotonic() - self.clicks[-1] > 10) and len(self.clicks) < 3:
            # the student's way in: the menu bar (again if nothing at all started within 10 s)
            self.lane.menu("Run", re.compile(r"^Run All Cells"))
            self.clicks.append(time.monotonic())
        state = self.page.evaluate(_STATE_JS)
        prompts = state["prompts"]
        self.started = self.started or any(p == "[*]:" or _EXECUTED.fullmatch(p) for p in prompts)
        self.prompts = prompts
        if state["status"] in DEAD_STATUSES or any("died" in d or "Restarting" in d for d in state["dialogs"]):
            self.died = f"the kernel died (status {state['status']!r}; {' | '.join(state['dialogs'])})"
        elif self.started and state["status"] == "idle" and "[*]:" not in prompts:
            finished = all(_EXECUTED.fullmatch(p) or not src.strip() for p, src in zip(prompts, self.sources))
            failed = self.page.locator(f".jp-OutputArea-output[data-mime-type='{STDERR_MIME}']").count()
            if not (finished or failed):
                return
            self.died = None
        elif time.monotonic() > self.deadline:
            running = [i + 1 for i, p in enumerate(prompts) if p == "[*]:"]
            self.died = (f"not finished after {self.spec.timeout:.0f} s (Run All clicked {len(self.clicks)} times; "
                         f"kernel {state['status']!r}; code cells running or queued: {running})")
        else:
            return
        self.phase, self.settle_until = "settling", time.monotonic() + 10

    def _settling(self) -> None:
        if self.page.evaluate(_IMAGES_PENDING_JS) and time.monotonic() < self.settle_until:
            return  # images still loading
        self.page.wait_for_timeout(500)  # widgets render
        self.seconds = time.monotonic() - self.start
        self._check()
        result = self.spec.after(self) if self.spec.after is not None else None
        if inspect.isgenerator(result):
            self.after_steps, self.phase = result, "after"  # it waits in steps
            return
        self.notes = result or []
        self.seconds = time.monotonic() - self.start
        self._finish()

    def _after(self) -> None:
        try:
            next(self.after_steps)
        except StopIteration as stop:
            self.notes = stop.value or []
            self.seconds = time.monotonic() - self.start
            self._finish()

    def _check(self) -> None:
        page, shots = self.page, []
        problems = page.evaluate(_PROBLEMS_JS, STDERR_MIME)
        messages = [self.died] if self.died else []
        if len(self.prompts) != len(self.sources):
            messages.append(f"{len(self.prompts)} code cells shown, {len(self.sources)} in the file")
        messages += [f"cell {p['cell']}: {p['kind']}: {p['text'].strip()}" for p in problems]
        unfinished = [i + 1 for i, (p, src) in enumerate(zip(self.prompts, self.sources))
                      if src.strip() and not _EXECUTED.fullmatch(p)]
        if unfinished and not messages:
            messages.append(f"code cells {unfinished} (of {len(self.sources)}) never ran")
        if self.external_requests:
            messages.append("requests to the internet (offline, a student gets none of these): "
                            + ", ".join(sorted(set(self.external_requests))))
        if not messages:
            return
        cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
        for cell in sorted({p["cell"] for p in problems})[:3]:
            shots.append(screenshot(page, f"{self.name}-cell{cell}", self.spec.shots, cells.nth(cell - 1)))
        if not problems:
            shots.append(screenshot(page, f"{self.name}-page", self.spec.shots))
        console = f"\nbrowser console errors: {self.console_errors[:5]}" if self.console_errors else ""
        fail(f"{self.rel} in JupyterLab ({self.seconds:.0f} s):\n- " + "\n- ".join(messages) + console, shots)

    def _report(self, message: str) -> None:
        fail(f"{self.rel}: {message}", [screenshot(self.page, f"{self.name}-{self.phase}", self.spec.shots)])

    def _finish(self) -> None:
        self.done = True
        self.lane.job = None
        try:
            self.lane.close(self.rel)
            self.timeline.append(f"closed {time.monotonic() - self.start:.1f}")
        except Exception as error:
            self.lane.broken = True  # the runner replaces it with a fresh page
            self.timeline.append(f"closing failed ({type(error).__name__}) {time.monotonic() - self.start:.1f}")
            with contextlib.suppress(Exception):
                self.lab.shutdown_session(self.rel)


def run_notebooks(context, lab: Lab, specs, parallel: int = 2, log=None) -> dict:
    """Run every :class:`NotebookSpec`, ``parallel`` at a time (each lane a page with its own kernel).
    Returns ``{rel: finished NotebookJob}``; ``log(job)`` is called as each one finishes."""
    pending, finished = list(specs), {}
    lanes = [Lane(context, lab) for _ in range(min(max(1, parallel), len(pending)))]
    active = {}
    try:
        while pending or active:
            for i, lane in enumerate(lanes):
                if i not in active and pending:
                    active[i] = NotebookJob(lane, pending.pop(0))
            for i, job in list(active.items()):
                if job.step():
                    del active[i]
                    finished[job.rel] = job
                    if job.lane.broken:
                        with contextlib.suppress(Exception):
                            job.lane.page.close()
                        lanes[i] = Lane(context, lab)
                    if log:
                        log(job)
            time.sleep(0.25)
    finally:
        for lane in lanes:
            with contextlib.suppress(Exception):
                lane.page.close()
        lab.wait_for_shutdowns()
    return finished


# ----- the Gumbel-softmax explorer ----------------------------------------------------------------

def either_language(english: str) -> re.Pattern:
    """A label in English or as the package's Chinese catalog says it (the Chinese edition's explorer)."""
    import gettext

    from maddpg_lite.i18n import DOMAIN, LOCALE_DIR

    chinese = gettext.translation(DOMAIN, str(LOCALE_DIR), languages=["zh_CN"], fallback=True).gettext(english)
    return re.compile(f"^({re.escape(english)}|{re.escape(chinese)})$")


TAU_LABEL = either_language("temperature tau")


def explorer_locator(page):
    """The output holding a Gumbel-softmax explorer (found by its tau slider's label)."""
    label = page.locator(".widget-label", has_text=TAU_LABEL)
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output", has=label)


def explorer_tau(page) -> float:
    """The tau the explorer's readout shows now."""
    return float(_tau_slider(explorer_locator(page).first).locator(".widget-readout").text_content())


def _tau_slider(box):
    return box.locator(".widget-slider", has=box.page.locator(".widget-label", has_text=TAU_LABEL))


def exercise_explorer(page, shots: Path, name: str, redraw_timeout: float = 20.0):
    """Use the explorer as a student does and check that each action changes its picture.

    Drags the tau slider's handle with the mouse, presses arrow keys on it, clicks "hard" and
    then "new noise". After each action the explorer's image (its ``src`` and its pixels, as
    the screen shows them) must change within ``redraw_timeout`` seconds; otherwise it raises
    :class:`BrowserCheckFailed` with a screenshot.

    A generator: it yields while it waits for the kernel to redraw (so that the runner can look
    after the other notebook meanwhile) and returns one line per action. Use it as the
    ``after`` of a :class:`NotebookSpec`, or drive it with ``for _ in ...: time.sleep(0.1)``.
    """
    box = explorer_locator(page).first
    show(page, box)
    slider = _tau_slider(box)
    handle, readout = slider.locator(".noUi-handle"), slider.locator(".widget-readout")
    image = box.locator("img.widget-image")
    done = []

    def decoded():
        """Wait until the image's current picture is decoded and ready to paint (a screenshot taken before
        that, on a busy machine, can show an empty box instead of either picture)."""
        with contextlib.suppress(Exception):
            image.evaluate("img => img.decode().then(() => true, () => false)")

    def act(what: str, action):
        decoded()
        before_src, before_pixels = image.get_attribute("src"), image.screenshot()
        before_tau = readout.text_content()
        action()
        deadline = time.monotonic() + redraw_timeout
        while True:
            src = image.get_attribute("src")
            # a new src first, then new pixels on the screen (the new image is decoded and painted)
            if src != before_src:
                decoded()
                if image.screenshot() != before_pixels:
                    break
            if time.monotonic() > deadline:
                shot = screenshot(page, f"{name}-explorer-{what}", shots, box)
                fail(f"{name}: the explorer's picture did not change within {redraw_timeout:g} s after {what} "
                     f"(tau readout {before_tau} -> {readout.text_content()})", [shot])
            yield
        done.append(f"{what}: tau {before_tau} -> {readout.text_content()}, picture changed")

    def drag():
        handle.hover()  # waits until the handle is on screen, stable and the one that gets the mouse
        bounds = handle.bounding_box()
        x, y = bounds["x"] + bounds["width"] / 2, bounds["y"] + bounds["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 40, y, steps=5)
        page.mouse.move(x - 70, y, steps=5)
        page.mouse.up()

    def keys():
        handle.focus()
        for _ in range(2):
            page.keyboard.press("ArrowRight")

    yield from act("dragging the tau slider with the mouse", drag)
    yield from act("pressing ArrowRight twice on the tau slider", keys)
    yield from act("switching to hard samples", lambda: box.locator("button.widget-toggle-button",
                                                                     has_text=either_language("hard")).click())
    yield from act("pressing new noise", lambda: box.get_by_role("button", name=either_language("new noise")).click())
    return done
