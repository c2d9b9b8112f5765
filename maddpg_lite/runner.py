"""One job runner for the three studies (:mod:`~maddpg_lite.study`, :mod:`~maddpg_lite.paper`,
:mod:`~maddpg_lite.six_games`), on this machine or on a Dask cluster.

A job is a plain dict (``{"name", "method", "seed", ..., "config"}``) and a study's ``run_job`` a
pure function of it: it trains one run and returns the run's record, with its actors-only checkpoint
(:meth:`MADDPG.checkpoint <maddpg_lite.maddpg.MADDPG.checkpoint>`, the one format) under ``"checkpoint"``;
it writes nothing. :func:`run_jobs` hands the jobs, longest first, to any
``concurrent.futures`` executor and calls ``save(record)`` here, in the command's process, as each
result arrives; :func:`run_study` saves each run in a folder (:func:`save_run`: ``<name>.pt`` then
``<name>.json``, each written to a temporary file and renamed, so a run counts as finished once its
JSON is there) and trains only the runs that have no files yet: running a command again resumes it.

Where the jobs run (:func:`open_engine`):

* ``workers=1``: in this process, one after the other.
* otherwise, by default: a ``ProcessPoolExecutor`` of ``workers`` spawned processes (default: one
  per core). Nothing to install or start.
* ``scheduler="tcp://HOST:8786"``: the Dask cluster of that scheduler, through
  ``Client.get_executor()`` (``pip install -r requirements-cluster.txt``). Workers need the
  package installed, no shared disk: the records travel back to the command.

Each worker process trains one run at a time on one torch thread, the agents' steps in the plain
loop (:func:`one_thread`), so a machine gives one run per core (``dask worker ... --nthreads 1``).

Faults:

* a job that raises is logged with its name and the error; the other jobs still run and are saved
  (the command then exits with status 1).
* a Dask worker that dies (say, SIGKILL) costs the run it was training: the scheduler runs that job
  again on another worker. A job whose workers died under it ``distributed.scheduler.allowed-failures``
  + 1 times (4 by default) is reported as a failed job.
* the Dask scheduler going away, or a local worker process dying (a ``ProcessPoolExecutor`` whose
  process is killed stops every job in flight: ``BrokenProcessPool``), stops the command with one
  line (:class:`Stopped`): how many runs are saved, and that running it again resumes.
* ``--scheduler`` where no scheduler answers, or without Dask installed: one line, exit status 2,
  before anything is trained or written (:class:`NoScheduler`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import logging
import math
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .paths import write_atomically, write_text

CLUSTER_INSTALL = "pip install -r requirements-cluster.txt"
"""What to install for ``--scheduler`` (dask and distributed, pinned)."""
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a scheduler at ``--scheduler`` before giving up (exit status 2)."""


class RunnerError(Exception):
    """A reason to stop a study command, in one line; ``status`` is the command's exit status."""

    status = 1


class NoScheduler(RunnerError):
    """``--scheduler`` cannot be used: Dask is not installed, or nothing answers at the address."""

    status = 2


class Stopped(RunnerError):
    """The executor went away (the Dask scheduler, or a killed local worker process)."""

    status = 1


@dataclass
class Failure:
    """A job that raised: its name and the error, one line."""

    name: str
    error: str


@dataclass
class Outcome:
    """What :func:`run_study` did: the runs trained now, the jobs that failed ({name: error}), and
    how many of the study's runs are finished in its folder."""

    trained: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    finished: int = 0
    planned: int = 0
    workers: int = 1


METHODS = {"maddpg": True, "ddpg": False}
"""The methods every study compares: name -> ``Config.centralized`` (MADDPG's critics see everyone,
independent DDPG's only their own agent)."""


# ----- in a worker ------------------------------------------------------------------------------
def agents_on_one_thread() -> None:
    """In a worker process: update the agents in the plain loop whatever ``Config.agent_threads``
    says (the same numbers up to float rounding; :data:`maddpg_lite.fast.MIN_THREADED_ROWS`). The
    workers already keep the cores busy; two threads in each would only compete for them."""
    from . import fast

    fast.MIN_THREADED_ROWS = math.inf


def one_thread() -> None:
    """A study worker's rule: one torch thread, the agents in the plain loop (:func:`agents_on_one_thread`)."""
    import torch

    torch.set_num_threads(1)
    agents_on_one_thread()


def error_text(exc: BaseException) -> str:
    """``"ValueError: the first line of the message"`` (at most 300 characters)."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def run_in_worker(fn, job: dict):
    """What an executor runs: ``fn(job)`` under :func:`one_thread`; a job that raises comes back as
    a :class:`Failure` (so the command tells a failed job from a lost worker or scheduler)."""
    one_thread()
    try:
        return fn(job)
    except Exception as exc:  # noqa: BLE001 - reported with the job's name, the other jobs go on
        return Failure(job["name"], error_text(exc))


# ----- the runner -------------------------------------------------------------------------------
def job_cost(job: dict) -> float:
    """Rough relative cost of a job (episodes times a width factor), to start the longest first."""
    c = job["config"]
    update_factor = 0.5 + 0.5 * Config.update_interval / c.get("update_interval", Config.update_interval)
    return c.get("episodes", Config.episodes) * (c.get("hidden_dim", Config.hidden_dim) / 64) ** 1.5 * update_factor


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


LOST = (cf.CancelledError, cf.BrokenExecutor, OSError)
"""What a future raises when the executor itself is gone (a job's own errors come back as
:class:`Failure`): Dask cancels every future when its client loses the scheduler, a
``ProcessPoolExecutor`` raises ``BrokenProcessPool`` when one of its processes dies, and
connection errors are ``OSError``."""


def lost_reason(exc: BaseException) -> str:
    """Why the executor is gone, in a few words."""
    if isinstance(exc, cf.CancelledError):
        return "the jobs were cancelled: the connection to the Dask scheduler is lost"
    if isinstance(exc, cf.BrokenExecutor):
        return f"a local worker process died, which stops the local pool ({error_text(exc)})"
    return f"lost the connection to the executor ({error_text(exc)})"


def run_jobs(jobs: list[dict], fn, save, executor=None, log=print, describe=None) -> dict[str, str]:
    """Run ``fn(job)`` for every job, longest first (:func:`job_cost`), on ``executor`` (None: here,
    in order), calling ``save(record)`` here as each result arrives.

    Args:
        fn: a module-level function of a job dict (picklable by reference), returning a record
            with ``"name"`` and ``"wall_seconds"``.
        describe: ``describe(record)`` -> a short summary for the log line of each finished run.

    Returns:
        ``{name: error}`` of the jobs that raised (each is also logged as it comes back).

    Raises:
        Stopped: the executor went away; what was saved stays saved.
    """
    ordered = sorted(jobs, key=job_cost, reverse=True)
    failed = {}
    start = time.perf_counter()

    def deliver(name, out):
        if isinstance(out, Failure):
            failed[name] = out.error
            log(f"[{_duration(time.perf_counter() - start):>9s}] {name} FAILED: {out.error}")
            return
        save(out)
        summary = f"{describe(out)}; " if describe else ""
        log(f"[{_duration(time.perf_counter() - start):>9s}] {out['name']}: {summary}{_duration(out['wall_seconds'])}")

    if executor is None:
        for job in ordered:
            try:
                out = fn(job)
            except Exception as exc:  # noqa: BLE001
                out = Failure(job["name"], error_text(exc))
            deliver(job["name"], out)
        return failed
    names = {executor.submit(run_in_worker, fn, job): job["name"] for job in ordered}
    try:
        for future in cf.as_completed(names):
            name = names.pop(future)
            try:
                out = future.result()
            except LOST as exc:
                raise Stopped(lost_reason(exc)) from exc
            except Exception as exc:  # noqa: BLE001 - e.g. Dask's KilledWorker: this job only
                out = Failure(name, error_text(exc))
            deliver(name, out)
    finally:
        for future in names:  # stopped early (the executor is gone, or Ctrl-C): nothing more to wait for
            future.cancel()
    return failed


# ----- where the jobs run -----------------------------------------------------------------------
@dataclass
class Engine:
    """An executor (None: this process), a few words on where it runs the jobs, and how many
    worker processes it has (a Dask cluster: when the command connected)."""

    executor: cf.Executor | None
    where: str
    workers: int


def quiet_dask_logs() -> None:
    """Keep Dask's client-side loggers to critical messages: the command reports a lost or missing
    scheduler itself, in one line, instead of Dask's tracebacks (the scheduler and the workers
    keep their own logs)."""
    for name in [n for n in logging.root.manager.loggerDict if n == "distributed" or n.startswith("distributed.")]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def connect(address: str, timeout: float | None = None):
    """A ``distributed.Client`` of the scheduler at ``address``; :class:`NoScheduler` (one line)
    if Dask is not installed or nothing answers there within ``timeout`` (:data:`CONNECT_TIMEOUT`)."""
    try:
        from distributed import Client
    except ImportError:
        raise NoScheduler(f"--scheduler needs Dask's distributed, which is not installed: {CLUSTER_INSTALL}") from None
    from distributed.comm.addressing import get_address_host_port

    quiet_dask_logs()
    try:
        get_address_host_port(address)  # a malformed address fails here, before a Client half-starts
    except ValueError as exc:
        raise NoScheduler(f"--scheduler {address}: {exc} (expected e.g. tcp://127.0.0.1:8786)") from None
    except NotImplementedError:  # another protocol than tcp: left to the Client
        pass
    try:
        return Client(address, timeout=CONNECT_TIMEOUT if timeout is None else timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise NoScheduler(f"no Dask scheduler answers at {address} ({error_text(exc)}); "
                          "nothing was trained or written") from None


def cores() -> int:
    """The cores this process may run on (a batch system's allocation, not the whole node)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def open_engine(workers: int | None = None, scheduler: str | None = None, log=print):
    """The :class:`Engine` for a study command: the Dask cluster at ``scheduler`` if given (connected
    here, before anything is trained), else ``workers`` local processes (default: one per core;
    1: this process)."""
    if scheduler:
        client = connect(scheduler)
        try:
            threads = client.nthreads()
            many = {w: n for w, n in threads.items() if n > 1}
            if many:
                log(f"note: {len(many)} Dask workers have more than one thread and train that many runs at once; "
                    "start them with --nthreads 1 (one run per process, one process per core)")
            yield Engine(client.get_executor(), f"the Dask cluster at {scheduler} ({len(threads)} workers now)",
                         len(threads))
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=5)
        return
    workers = workers or cores()
    if workers == 1:
        yield Engine(None, "this process", 1)
        return
    executor = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield Engine(executor, f"{workers} local processes", workers)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


# ----- run files --------------------------------------------------------------------------------
def round_floats(x, digits: int = 4):
    """Round every float inside ``x`` (dicts, lists) for compact JSON."""
    if isinstance(x, float):
        return round(x, digits)
    if isinstance(x, dict):
        return {k: round_floats(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [round_floats(v, digits) for v in x]
    return x


def write_json(path: Path, data, digits: int | None = 4) -> None:
    """``data`` as indented JSON, floats rounded to ``digits`` (None: exact), written atomically."""
    write_text(path, json.dumps(data if digits is None else round_floats(data, digits), indent=1) + "\n")


def save_run(record: dict, folder: Path, digits: int | None = 4) -> None:
    """``<name>.pt`` (the run's actors-only checkpoint, ``record["checkpoint"]``) then ``<name>.json``
    (the rest, floats rounded to ``digits``; None keeps them exact): a run counts as finished once its
    JSON exists. Each file is written atomically. ``record`` is left as it is."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = dict(record)
    checkpoint = record.pop("checkpoint")
    write_atomically(folder / f"{record['name']}.pt", lambda tmp: torch.save(checkpoint, tmp))
    write_json(folder / f"{record['name']}.json", record, digits)


def finished_names(folder: Path) -> set[str]:
    """The names of the finished runs in ``folder``: a JSON whose ``.pt`` exists too."""
    return {p.stem for p in Path(folder).glob("*.json") if p.with_suffix(".pt").is_file()}


def finished(folder: Path) -> dict[str, dict]:
    """The finished runs in ``folder``: ``{name: record}`` for every JSON whose ``.pt`` exists too."""
    return {name: json.loads((Path(folder) / f"{name}.json").read_text()) for name in sorted(finished_names(folder))}


def run_study(folder: Path, all_jobs: list[dict], fn, *, workers: int | None = None, scheduler: str | None = None,
              max_runs: int | None = None, log=print, describe=None, digits: int | None = 4) -> Outcome:
    """Train every job of ``all_jobs`` without a finished run in ``folder`` (:func:`finished_names`)
    with ``fn`` on :func:`open_engine` (``workers``, ``scheduler``), saving each run there as it
    arrives (:func:`save_run`); ``max_runs`` trains at most that many (a test's stand-in for a
    cut-off).

    Raises:
        NoScheduler: before anything is trained or written.
        Stopped: the executor went away; the message says how many runs are saved.
    """
    folder = Path(folder)
    planned = {job["name"] for job in all_jobs}
    with open_engine(workers, scheduler, log) as engine:
        done = finished_names(folder) & planned
        todo = [job for job in all_jobs if job["name"] not in done]
        if max_runs is not None:
            todo = todo[:max_runs]
        log(f"{len(done)} runs finished before, {len(todo)} to train now on {engine.where}")
        trained = []

        def save(record):
            save_run(record, folder, digits)
            trained.append(record["name"])

        try:
            failed = run_jobs(todo, fn, save, engine.executor, log, describe)
        except Stopped as exc:
            saved = len(finished_names(folder) & planned)
            raise Stopped(f"stopped, {exc}: {saved} of {len(planned)} runs saved in {folder}; "
                          "run the command again to resume") from None
    return Outcome(trained, failed, len(finished_names(folder) & planned), len(planned), engine.workers)


def train_missing(prog: str, folder: Path, jobs: list[dict], fn, args, log=print, describe=None) -> dict | int:
    """A study command's training step: :func:`run_study` with the command's ``--workers`` and
    ``--scheduler``; the ``{name: error}`` of the jobs that failed, or, when the runs could not be
    trained (no scheduler, the cluster went away), the exit status after one line naming why."""
    try:
        return run_study(folder, jobs, fn, workers=args.workers, scheduler=args.scheduler, log=log,
                         describe=describe).failed
    except RunnerError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return exc.status


def add_arguments(parser) -> None:
    """``--workers`` and ``--scheduler``, the same for every study command."""
    parser.add_argument("--workers", type=int, default=None,
                        help="local training processes, one run each (default: one per core; 1 trains in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="train on the Dask cluster whose scheduler listens at ADDRESS, e.g. tcp://127.0.0.1:8786 "
                             f"(needs {CLUSTER_INSTALL}; --workers is then ignored)")

