"""The course outside the repository: the package installed from its wheel, and the lessons copied out of it.

The quick tests run everywhere: ``python -m maddpg_lite.lessons DIR`` (the course in the repository's layout, so
every relative link and image resolves; one line and exit status 2 for a bad DIR, and nothing overwritten); the
checkout-only commands saying so in one line outside a checkout; the studies writing under the current folder,
never into the package, when installed.

``test_the_wheel_runs_the_lessons`` is the real thing, in CI (``MADDPG_LITE_WHEEL=1``, set by .ci/run; skipped
elsewhere with one line): ``python -m build`` makes the sdist, then the wheel from the sdist; the wheel carries the
students' course (never the instructors' files) and every shipped data file; it is installed into a fresh virtual
environment (``--system-site-packages``, so the installed CPU torch is reused and nothing is downloaded; pip held to
requirements.txt as constraints) in which ``import maddpg_lite`` is the wheel's copy, not the checkout's; then the
lessons are copied out with ``python -m maddpg_lite.lessons`` and lessons 05-08 and one exercise set run top to
bottom in quick mode through nbval, in one pytest process inside the virtual environment.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from maddpg_lite import lessons, paper, paths, six_games, study

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTORS = re.compile(r"(^|/)(solutions|source)/|(^|/)answers\.md$|exercises/README\.md$|nbgrader_config\.py$")
"""Files that must never reach a student: solutions, nbgrader sources, the answer key, the instructor guide."""
WHEEL_LESSONS = ["notebooks/05_training.ipynb", "notebooks/06_maddpg_vs_ddpg.ipynb", "notebooks/07_deception.ipynb",
                 "notebooks/08_another_game.ipynb", "notebooks/exercises/08_another_game_exercises.ipynb"]
"""What the wheel test runs: the lessons that load shipped checkpoints and results, and one exercise set."""
SKIP_WHEEL = ("wheel test skipped: set MADDPG_LITE_WHEEL=1 (CI does) to build the wheel, install it in a fresh "
              "virtual environment and run lessons 05-08 from it (about 2 minutes)")


def relative_links(notebook: Path) -> list[str]:
    """The relative targets of a notebook's markdown links and images (no URLs, no #anchors)."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            text = re.sub(r"```.*?```|`[^`\n]*`", "", "".join(cell["source"]), flags=re.S)  # code is no link
            for m in re.finditer(r"\]\(([^)\s]+)\)|<img[^>]*\ssrc=\"([^\"]+)\"", text):
                target = (m[1] or m[2]).split("#")[0]
                if target and not re.match(r"[a-z][a-z0-9+.-]*:", target):
                    found.append(target)
    return found


def broken_links(course: Path) -> list[str]:
    """``notebook: target`` for every relative link or image in the copied course that does not resolve."""
    return [f"{nb.relative_to(course)}: {target}" for nb in sorted(course.rglob("*.ipynb"))
            for target in relative_links(nb) if not (nb.parent / target).exists()]


def one_line_error(code, capsys, *must_contain):
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for text in must_contain:
        assert text in lines[0], (text, lines[0])
    assert out == ""
    return lines[0]


# ----- what a student gets ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_course_is_the_students_and_complete(lang):
    files = paths.course_files(lang, ROOT)
    assert not [f for f in files if INSTRUCTORS.search(f)]
    home = lessons.LANGUAGES[lang]
    lesson_names = [f"{home}/{p.name}" for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))]
    assert len(lesson_names) == 8 and set(lesson_names) <= set(files)
    assert {"notebooks/glossary.md", "figures/returns.png"} <= set(files)
    if lang == "en":  # every student version of an exercise set, and the English edition only
        assert {f"notebooks/exercises/{p.name}" for p in (ROOT / "notebooks/exercises").glob("*.ipynb")} <= set(files)
        assert not [f for f in files if f.startswith("notebooks/zh/")]


def test_lessons_copies_the_course_with_every_link_resolving(tmp_path, capsys):
    target = tmp_path / "my-course"
    assert lessons.main([str(target)]) == 0
    out = capsys.readouterr().out
    assert "jupyter lab" in out and str(target) in out
    copied = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert copied == paths.course_files("en", ROOT)
    assert (target / "notebooks/05_training.ipynb").read_bytes() == (ROOT / "notebooks/05_training.ipynb").read_bytes()
    assert "../figures/returns.png" in relative_links(target / "notebooks/05_training.ipynb")
    assert broken_links(target) == []


def test_lessons_copies_the_chinese_edition_one_folder_deeper(tmp_path, capsys):
    if not list((ROOT / "notebooks/zh").glob("[0-9]*.ipynb")):
        pytest.skip("no Chinese edition in this checkout")
    target = tmp_path / "课程"
    assert lessons.main([str(target), "--lang", "zh"]) == 0
    assert "notebooks/zh/" in capsys.readouterr().out
    assert (target / "notebooks/zh/05_training.ipynb").is_file() and (target / "figures/returns.png").is_file()
    assert not (target / "notebooks/05_training.ipynb").exists()
    assert "../../figures/returns.zh_CN.png" in relative_links(target / "notebooks/zh/05_training.ipynb")
    assert broken_links(target) == []


def test_lessons_into_an_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert lessons.main([str(tmp_path / "empty")]) == 0
    assert (tmp_path / "empty/notebooks/01_ctde_football.ipynb").is_file()


@pytest.mark.parametrize("case", ["a_file", "not_empty", "under_a_file", "under_proc"])
def test_lessons_refuses_a_bad_dir_in_one_line(case, tmp_path, capsys):
    precious = tmp_path / "a_file"
    precious.write_text("precious\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine\n")
    target = {"a_file": precious, "not_empty": tmp_path / "full", "under_a_file": precious / "course",
              "under_proc": Path("/proc/maddpg-lite-test/course")}[case]
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    line = one_line_error(lessons.main([str(target)]), capsys, str(target), "error")
    assert {"a_file": "is a file", "not_empty": "not empty", "under_a_file": "is a file",
            "under_proc": "cannot write there"}[case] in line
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    assert precious.read_text() == "precious\n" and (tmp_path / "full" / "notes.txt").read_text() == "mine\n"


def test_lessons_refuses_an_unwritable_dir(tmp_path, capsys, monkeypatch):
    (tmp_path / "locked").mkdir()
    monkeypatch.setattr(lessons.os, "access", lambda path, mode: False)  # root may write anywhere
    one_line_error(lessons.main([str(tmp_path / "locked" / "course")]), capsys, "locked", "cannot write there")
    assert list((tmp_path / "locked").iterdir()) == []


def test_a_copy_that_fails_halfway_leaves_nothing(tmp_path, capsys, monkeypatch):
    copied, copyfile = [], shutil.copyfile

    def copy_then_fail(source, target):
        if len(copied) == 5:
            raise OSError(28, "No space left on device")
        copied.append(copyfile(source, target))

    monkeypatch.setattr(lessons.shutil, "copyfile", copy_then_fail)
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", tmp_path / "new" / "course"):
        copied.clear()
        one_line_error(lessons.main([str(target)]), capsys, str(target), "No space left on device")
    assert list((tmp_path / "empty").iterdir()) == [] and not (tmp_path / "new").exists()


# ----- outside a checkout ------------------------------------------------------------------------------
@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The package as if installed from its wheel: no checkout around it; the current folder is tmp_path."""
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    assert not paths.in_checkout()
    return tmp_path


@pytest.mark.parametrize("module, argv", [
    ("figures", []), ("figures", ["--readme-only"]), ("assignments", []), ("assignments", ["--check"]),
    ("translate", []), ("coursetime", ["--readme"]), ("coursetime", []), ("checks", ["--answers"]),
])
def test_checkout_only_commands_say_so_in_one_line(module, argv, installed, capsys):
    import importlib

    main = importlib.import_module(f"maddpg_lite.{module}").main
    line = one_line_error(main(argv), capsys, f"python -m maddpg_lite.{module}", "checkout")
    assert "python -m maddpg_lite.lessons DIR" in line
    assert list(installed.iterdir()) == []


def test_installed_studies_write_under_the_current_folder(installed, capsys, monkeypatch):
    monkeypatch.delenv("MADDPG_LITE_QUICK", raising=False)
    shipped = {p: p.stat().st_mtime_ns for p in paths.DATA_DIR.rglob("*")}
    shipped_figures = {p: p.stat().st_mtime_ns for p in study.FIGURES_DIR.glob("*")}
    assert study.main(["--replot"]) == 0  # the shipped results, redrawn into runs/study
    assert sorted(p.name for p in (installed / "runs" / "study").iterdir()) == [
        "study_convergence.png", "study_deception.png", "study_matchups.png", "study_returns.png"]
    for module, writer in ((paper, "write_table"), (six_games, "write_outputs")):  # the shipped runs' table
        seen = {}

        def build_table(runs, *args, seen=seen):
            seen["runs"] = runs
            return {"runs_finished": 0, "runs_planned": 0, "cpu_minutes": 0}

        def write(table, out, *figure, seen=seen):
            seen["out"], seen["figure"] = out, figure
            return []

        monkeypatch.setattr(module, "build_table", build_table)
        monkeypatch.setattr(module, writer, write)
        monkeypatch.setattr(module, "table_markdown", lambda table: "")
        assert module.main(["--table-only"]) == 0
        assert seen["runs"] == module.DATA_DIR / "runs"
        assert seen["out"] == module.INSTALLED_DIR and not seen["out"].is_absolute()
        assert seen["figure"] in ((), (None,))  # the six-game figure stays the shipped one
    capsys.readouterr()
    assert {p: p.stat().st_mtime_ns for p in paths.DATA_DIR.rglob("*")} == shipped
    assert {p: p.stat().st_mtime_ns for p in study.FIGURES_DIR.glob("*")} == shipped_figures


# ----- the wheel, in CI -----------------------------------------------------------------------------------
def shipped_package_files() -> set[str]:
    """Every data file the package reads (checkpoints, study results and runs), its language catalogs and fonts,
    as paths in the wheel; from git (tracked, or new and not ignored) where there is one."""
    run = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "maddpg_lite"],
                         cwd=ROOT, capture_output=True, text=True)
    listed = run.stdout.split() if run.returncode == 0 else [
        p.relative_to(ROOT).as_posix() for p in (ROOT / "maddpg_lite").rglob("*") if p.is_file()]
    return {f for f in listed if (ROOT / f).is_file() and re.match(
        r"maddpg_lite/(data/|fonts/|locale/[^/]+/LC_MESSAGES/)", f) and not f.endswith(".tmp")}


@pytest.mark.skipif(os.environ.get("MADDPG_LITE_WHEEL") != "1", reason=SKIP_WHEEL)
def test_the_wheel_runs_the_lessons(tmp_path):
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}

    def run(*cmd, cwd=tmp_path, timeout=600, **extra):
        done = subprocess.run([str(c) for c in cmd], cwd=cwd, env={**env, **extra}, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"{' '.join(map(str, cmd))}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        return done

    # the sdist, then the wheel built from it (as `python -m build` does); the checkout gets no build folder
    egg_info = ROOT / "maddpg_lite.egg-info"
    had_egg_info = egg_info.exists()
    try:
        run(sys.executable, "-m", "build", "--outdir", tmp_path / "dist", ROOT)
    finally:
        if not had_egg_info:
            shutil.rmtree(egg_info, ignore_errors=True)
    (wheel,) = (tmp_path / "dist").glob("maddpg_lite-*.whl")
    (sdist,) = (tmp_path / "dist").glob("maddpg_lite-*.tar.gz")
    built = time.perf_counter()

    course = set(paths.course_files(None, ROOT))
    names = set(zipfile.ZipFile(wheel).namelist())
    in_course = {n.removeprefix("maddpg_lite/course/") for n in names if n.startswith("maddpg_lite/course/")}
    assert in_course == course, (sorted(course - in_course), sorted(in_course - course))
    missing = shipped_package_files() - names
    assert not missing, f"package data missing from the wheel: {sorted(missing)}"
    assert not [n for n in names if INSTRUCTORS.search(n)]
    import tarfile

    with tarfile.open(sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert course <= in_sdist and not [n for n in in_sdist if INSTRUCTORS.search(n)]

    # a fresh virtual environment that reuses the installed packages (the CPU torch among them), not the checkout
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    python = venv / "bin" / "python"
    constraints = tmp_path / "constraints.txt"  # requirements.txt's pins, without its editable install of the checkout
    constraints.write_text("".join(line for line in (ROOT / "requirements.txt").read_text().splitlines(True)
                                   if not line.startswith("-e")))
    run(python, "-m", "pip", "install", "--disable-pip-version-check", wheel, "-c", constraints)
    where = run(python, "-c", "import maddpg_lite.paths as p; print(p.__file__); print(p.in_checkout()); "
                              "print(p.course_root())").stdout.split()
    assert Path(where[0]).is_relative_to(venv) and where[1] == "False", where
    assert Path(where[2]) == Path(where[0]).parent / "course", where
    installed = time.perf_counter()

    # the student's copy, in both languages; a checkout-only command refuses in one line
    run(python, "-m", "maddpg_lite.lessons", "course")
    assert sorted(p.relative_to(tmp_path / "course").as_posix() for p in (tmp_path / "course").rglob("*")
                  if p.is_file()) == paths.course_files("en", ROOT)
    run(python, "-m", "maddpg_lite.lessons", "course-zh", "--lang", "zh")
    assert broken_links(tmp_path / "course") == [] and broken_links(tmp_path / "course-zh") == []
    refused = subprocess.run([python, "-m", "maddpg_lite.figures", "--readme-only"], cwd=tmp_path, env=env,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "checkout" in refused.stderr

    # the lessons top to bottom in quick mode, in kernels of the virtual environment (the probe checks that)
    probe = tmp_path / "probe" / "probe.ipynb"
    probe.parent.mkdir()
    probe.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}, "cells": [{
            "cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "id": "probe",
            "source": "import sys, maddpg_lite\n"
                      f"assert sys.prefix == {str(venv)!r}, sys.prefix\n"
                      f"assert maddpg_lite.__file__.startswith({str(venv) + os.sep!r}), maddpg_lite.__file__\n"
                      "assert not maddpg_lite.paths.in_checkout()"}]}))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    run(python, "-m", "pytest", "-q", "-c", tmp_path / "pytest.ini", "-p", "no:cacheprovider", "--nbval-lax", probe,
        *[tmp_path / "course" / lesson for lesson in WHEEL_LESSONS], timeout=900,
        MADDPG_LITE_QUICK="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv))
    done = time.perf_counter()
    print(f"wheel test: build {built - start:.0f} s, venv and install {installed - built:.0f} s, "
          f"lessons {done - installed:.0f} s; wheel {wheel.stat().st_size / 1e6:.1f} MB, {len(names)} files")
