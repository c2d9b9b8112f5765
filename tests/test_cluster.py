"""The studies on a Dask cluster (``--scheduler``), on 127.0.0.1 only: a LocalCluster of two
single-threaded worker processes gives the same tables and weights as a local run; a worker killed
with SIGKILL mid-job costs that job only (the scheduler runs it again elsewhere); a command killed
mid-study and run again trains only the missing runs; a scheduler that goes away stops the command
with one line. Skipped without Dask (``pip install -r requirements-cluster.txt``)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="needs dask distributed: pip install -r requirements-cluster.txt")

from distributed import Client, LocalCluster  # noqa: E402

from maddpg_lite import fast, paper, runner, six_games, study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(episodes=100, minimal_size=500, batch_size=64, buffer_size=5000, eval_interval=50, eval_episodes=10,
            final_eval_episodes=20)
"""Runs of a second or so that still make update rounds."""
LONGER = {**TINY, "episodes": 400, "eval_interval": 200}
"""Runs of about a second (0.5-0.8 s here): a study of four of them is still running when its first run is saved."""
KILLABLE = {**TINY, "episodes": 2000, "eval_interval": 1000}
"""Runs of 3-5 s here: long enough to be seen running and killed in the middle. (LONGER's runs of 0.5 s all
finished before a worker was seen running one for 0.5 s, in one CI run.)"""


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two worker processes of one thread each, as ``dask worker --nthreads 1`` starts them."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0",
                      worker_dashboard_address=":0") as local:
        with Client(local, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
            yield local.scheduler_address, client


@pytest.fixture
def quick(monkeypatch):
    """Quick mode with TINY runs, one seed, and the paper study on two of its recipes."""
    monkeypatch.setenv("MADDPG_LITE_QUICK", "1")
    monkeypatch.setattr(paper, "RECIPES", ("book", "paper"))
    for module in (paper, six_games, study):
        monkeypatch.setattr(module, "QUICK_OVERRIDES", TINY)
    monkeypatch.setattr(study, "QUICK_SEEDS", (0,))
    # a worker thread in this process (the last test) sets the workers' rule; this process gets its own back
    monkeypatch.setattr(fast, "MIN_THREADED_ROWS", fast.MIN_THREADED_ROWS)


COMMANDS = {
    "study": (study, [], "study_runs", "study_results.json"),
    "paper": (paper, [], "runs", "paper_table.json"),
    "six_games": (six_games, ["--games", "simple_spread_v3"], "runs", "six_games_table.json"),
}
TIMINGS = {"wall_seconds", "cpu_seconds", "cpu_minutes", "study_wall_seconds", "machine_before", "machine_after",
           "workers"}


def without_timings(x):
    if isinstance(x, dict):
        return {k: without_timings(v) for k, v in x.items() if k not in TIMINGS}
    if isinstance(x, list):
        return [without_timings(v) for v in x]
    return x


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_quick_study_on_the_cluster_gives_the_local_tables_and_weights(name, cluster, quick, tmp_path, capsys):
    address, _ = cluster
    module, extra, runs, table = COMMANDS[name]
    assert module.main([*extra, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    assert module.main([*extra, "--scheduler", address, "--out", str(tmp_path / "cluster")]) == 0
    out = capsys.readouterr().out
    assert f"0 runs finished before, 2 to train now on the Dask cluster at {address} (2 workers now)" in out or \
           f"0 runs finished before, 4 to train now on the Dask cluster at {address} (2 workers now)" in out
    local, remote = (json.loads((tmp_path / side / table).read_text()) for side in ("local", "cluster"))
    assert without_timings(remote) == without_timings(local)
    names = sorted(p.name for p in (tmp_path / "local" / runs).iterdir())
    assert names == sorted(p.name for p in (tmp_path / "cluster" / runs).iterdir()) and len(names) >= 4
    for pt in (tmp_path / "local" / runs).glob("*.pt"):  # same host, same numbers: the same bytes
        assert pt.read_bytes() == (tmp_path / "cluster" / runs / pt.name).read_bytes(), pt.name
    if name != "study":
        md = table.replace(".json", ".md")
        assert (tmp_path / "cluster" / md).read_text() == (tmp_path / "local" / md).read_text()


def executing(dask_worker):
    """On a worker: the names of the jobs it is running now, and its pid."""
    names = []
    for ts in dask_worker.state.executing:
        for arg in getattr(ts.run_spec, "args", ()):
            value = getattr(arg, "value", arg)
            if isinstance(value, dict) and "name" in value:
                names.append(value["name"])
    return names, os.getpid()


def kill_a_busy_worker(client, after: float = 0.5, timeout: float = 120) -> tuple[str, str]:
    """SIGKILL a worker process once it has run a job for ``after`` seconds; returns (address, job name)."""
    started, deadline = {}, time.monotonic() + timeout
    while time.monotonic() < deadline:
        for address, (names, pid) in client.run(executing).items():
            for job in names:
                started.setdefault((address, job), time.monotonic())
                if time.monotonic() - started[(address, job)] >= after:
                    os.kill(pid, signal.SIGKILL)
                    return address, job
        time.sleep(0.1)
    raise AssertionError("no worker ran a job")


def test_a_worker_killed_mid_job_costs_that_job_only(cluster, quick, monkeypatch, tmp_path, capsys):
    address, client = cluster
    monkeypatch.setattr(paper, "QUICK_OVERRIDES", KILLABLE)
    out = tmp_path / "out"
    status = []
    command = threading.Thread(target=lambda: status.append(paper.main(["--scheduler", address, "--out", str(out)])))
    command.start()
    killed_worker, killed_job = kill_a_busy_worker(client)
    command.join(timeout=300)
    assert status == [0]
    assert killed_worker not in client.scheduler_info()["workers"]  # gone (its nanny starts a new one)
    assert runner.finished_names(out / "runs") == {job["name"] for job in paper.jobs(paper.RECIPES, (0,), KILLABLE)}
    log = capsys.readouterr().out
    assert f"] {killed_job}: good success" in log and "FAILED" not in log  # trained again, elsewhere, and saved
    assert log.count("] book-") + log.count("] paper-") == 4  # each run saved once


def test_a_command_killed_mid_study_resumes_on_the_cluster_training_only_the_missing_runs(cluster, tmp_path):
    address, _ = cluster
    out = tmp_path / "out"
    code = ("import sys; from maddpg_lite import paper; "
            f"paper.RECIPES = ('book', 'paper'); paper.QUICK_OVERRIDES = {LONGER!r}; "
            f"sys.exit(paper.main(['--seeds', '2', '--scheduler', {address!r}, '--out', {str(out)!r}]))")
    env = {**os.environ, "MADDPG_LITE_QUICK": "1"}
    command = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while not runner.finished_names(out / "runs") and time.monotonic() < deadline and command.poll() is None:
            time.sleep(0.05)
    finally:
        command.send_signal(signal.SIGKILL)  # as kill -9 would
        command.communicate()
    before = runner.finished_names(out / "runs")
    assert 1 <= len(before) < 8, before
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir() if p.suffix in (".json", ".pt")}
    log = []
    planned = paper.jobs(("book", "paper"), (0, 1), LONGER)
    outcome = runner.run_study(out / "runs", planned, paper.run_job, scheduler=address, log=log.append,
                               describe=paper.describe)
    assert log[0].startswith(f"{len(before)} runs finished before, {8 - len(before)} to train now on the Dask cluster")
    assert sorted(outcome.trained) == sorted(j["name"] for j in planned if j["name"] not in before)
    assert outcome.failed == {} and outcome.finished == outcome.planned == 8
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir() if p.name in stamps} == stamps  # untouched


def test_a_scheduler_that_goes_away_stops_the_command_with_one_line(quick, monkeypatch, tmp_path, capsys):
    """A scheduler of its own (in this process, one worker thread), closed once a run is saved."""
    monkeypatch.setattr(paper, "QUICK_OVERRIDES", LONGER)
    out = tmp_path / "out"
    local = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                         dashboard_address=":0")
    status = []
    command = threading.Thread(target=lambda: status.append(paper.main(["--scheduler", local.scheduler_address,
                                                                        "--out", str(out)])))
    command.start()
    try:
        deadline = time.monotonic() + 120
        while not runner.finished_names(out / "runs") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        local.close()
    command.join(timeout=120)
    assert status == [1]
    saved = len(runner.finished_names(out / "runs"))
    assert 1 <= saved < 4
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"python -m maddpg_lite.paper: stopped, the jobs were cancelled: the connection to the Dask "
                   f"scheduler is lost: {saved} of 4 runs saved in {out / 'runs'}; run the command again to resume"]
    assert not (out / "paper_table.json").exists()
