"""The studies' job runner (maddpg_lite.runner) on this machine, with stand-in jobs that train
nothing: a job that raises costs only itself, a killed local worker process stops the command with
one line and a rerun resumes, and ``--scheduler`` without a scheduler (or without Dask) refuses in
one line before anything is written. The runs on a Dask cluster are tests/test_cluster.py."""

import json
import os
import signal
import socket
import sys
import time

import pytest

from maddpg_lite import paper, runner, six_games, study


def fake_job(job: dict) -> dict:
    """A stand-in for a study's run_job (module-level: the worker processes import it by name)."""
    time.sleep(job.get("sleep", 0.0))
    if job.get("raise"):
        raise ValueError(f"no such recipe for {job['name']}\nsecond line")
    if job.get("die"):
        os.kill(os.getpid(), signal.SIGKILL)
    return {"name": job["name"], "seed": job["seed"], "wall_seconds": 0.01, "pid": os.getpid(),
            "checkpoint": {"shape": {"obs_dims": [1]}, "actors": []}}


def jobs(n: int, **extra) -> list[dict]:
    return [{"name": f"run{i}", "seed": i, "config": {"episodes": 100 - i}, **extra.get(f"run{i}", {})}
            for i in range(n)]


def test_in_this_process_longest_first_and_saved_as_they_come(tmp_path):
    log = []
    outcome = runner.run_study(tmp_path, jobs(3), fake_job, workers=1, log=log.append)
    assert outcome.trained == ["run0", "run1", "run2"] and outcome.failed == {}
    assert (outcome.finished, outcome.planned, outcome.workers) == (3, 3, 1)
    assert runner.finished_names(tmp_path) == {"run0", "run1", "run2"}
    record = json.loads((tmp_path / "run1.json").read_text())
    assert record["pid"] == os.getpid() and "checkpoint" not in record
    assert not list(tmp_path.glob("*.tmp"))
    assert log[0] == "0 runs finished before, 3 to train now on this process"
    # a second call trains nothing; a new job of the same study is the only one trained
    assert runner.run_study(tmp_path, jobs(4), fake_job, workers=1, log=log.append).trained == ["run3"]


def test_a_job_that_raises_is_reported_and_the_others_are_written(tmp_path):
    log = []
    outcome = runner.run_study(tmp_path, jobs(3, run1={"raise": True}), fake_job, workers=2, log=log.append)
    assert outcome.failed == {"run1": "ValueError: no such recipe for run1"}
    assert sorted(outcome.trained) == ["run0", "run2"] and runner.finished_names(tmp_path) == {"run0", "run2"}
    assert any("run1 FAILED: ValueError: no such recipe for run1" in line for line in log)
    pids = {json.loads((tmp_path / f"{n}.json").read_text())["pid"] for n in ("run0", "run2")}
    assert os.getpid() not in pids  # trained in the worker processes
    assert "on 2 local processes" in log[0]


def test_a_killed_local_worker_stops_with_one_line_and_a_rerun_resumes(tmp_path):
    # run2 kills its worker process (as the OOM killer or kill -9 would) once run0 and run1 are back
    planned = jobs(3, run2={"die": True, "sleep": 1.0})
    with pytest.raises(runner.Stopped) as stopped:
        runner.run_study(tmp_path, planned, fake_job, workers=2, log=lambda m: None)
    message = str(stopped.value)
    assert "\n" not in message and "local worker process died" in message
    assert f"2 of 3 runs saved in {tmp_path}; run the command again to resume" in message
    assert stopped.value.status == 1
    assert runner.finished_names(tmp_path) == {"run0", "run1"}
    log = []
    again = runner.run_study(tmp_path, jobs(3), fake_job, workers=1, log=log.append)
    assert again.trained == ["run2"] and log[0].startswith("2 runs finished before, 1 to train now")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("module", [study, paper, six_games])
def test_scheduler_pointing_nowhere_refuses_in_one_line(module, tmp_path, monkeypatch, capsys):
    """Nothing listens at the address (or Dask is not installed): one line, exit 2, nothing written."""
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", 1.0)
    monkeypatch.setenv("MADDPG_LITE_QUICK", "1")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert module.main(["--scheduler", f"tcp://127.0.0.1:{free_port()}", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and captured.out == "", captured
    try:
        import distributed  # noqa: F401
    except ImportError:
        assert "pip install -r requirements-cluster.txt" in err[0]
    else:
        assert "no Dask scheduler answers at tcp://127.0.0.1:" in err[0] and "nothing was trained or written" in err[0]
    assert list(tmp_path.iterdir()) == []


def test_scheduler_without_dask_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.setenv("MADDPG_LITE_QUICK", "1")
    assert paper.main(["--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["python -m maddpg_lite.paper: --scheduler needs Dask's distributed, which is not installed: "
                   "pip install -r requirements-cluster.txt"]
    assert not (tmp_path / "out").exists()


def test_a_malformed_scheduler_address_is_refused_in_one_line(tmp_path, capsys):
    pytest.importorskip("distributed", reason="needs dask distributed: pip install -r requirements-cluster.txt")
    assert six_games.main(["--scheduler", "127.0.0.1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing port number" in err[0] and "tcp://127.0.0.1:8786" in err[0]
    assert not (tmp_path / "out").exists()


def test_a_failed_run_is_named_the_others_written_and_the_command_exits_1(tmp_path, monkeypatch, capsys):
    """The paper command with one job that raises (in this process: --workers 1)."""
    real = paper.run_job

    def run_job(job):
        if job["method"] == "ddpg":
            raise RuntimeError("simulated: the game would not reset")
        return real(job)

    monkeypatch.setattr(paper, "run_job", run_job)
    monkeypatch.setattr(paper, "RECIPES", ("book",))
    monkeypatch.setenv("MADDPG_LITE_QUICK", "1")
    assert paper.main(["--workers", "1", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "book-ddpg-seed0 FAILED: RuntimeError: simulated: the game would not reset" in captured.out
    assert captured.err.strip().splitlines() == ["python -m maddpg_lite.paper: 1 runs failed: book-ddpg-seed0: "
                                                 "RuntimeError: simulated: the game would not reset"]
    assert runner.finished_names(tmp_path / "runs") == {"book-maddpg-seed0"}
    table = json.loads((tmp_path / "paper_table.json").read_text())
    assert table["runs_finished"] == 1 and table["runs_planned"] == 2 and table["rows"] == []


def test_the_study_needs_every_run_and_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    def run_job(job):
        if job["name"] == "ddpg-seed1":
            raise RuntimeError("simulated")
        return {**fake_job(job), "final": {"returns": {"adversary_0": 0.0}, "deception": {"good_on_target": 0.5}}}

    monkeypatch.setattr(study, "run_job", run_job)
    monkeypatch.setattr(study, "QUICK_SEEDS", (0, 1))
    monkeypatch.setenv("MADDPG_LITE_QUICK", "1")
    assert study.main(["--workers", "1", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"python -m maddpg_lite.study: 1 of 4 runs failed (ddpg-seed1: RuntimeError: simulated), and the "
                   f"results need them all; the finished runs are kept in {tmp_path / 'study_runs'}: "
                   "run the command again"]
    assert runner.finished_names(tmp_path / "study_runs") == {"maddpg-seed0", "ddpg-seed0", "maddpg-seed1"}
    assert not (tmp_path / "study_results.json").exists()
