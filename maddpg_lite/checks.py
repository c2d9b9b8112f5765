"""Auto-checkers for the exercise notebooks in notebooks/exercises/.

A student writes one piece of MADDPG (an observation, a Gumbel-softmax, a critic loss, the training
loop, ...) and passes the function to its checker, e.g. ``check_gumbel_softmax(gumbel_softmax)``.
The checker runs the function on seeded inputs (several shapes, ties, temperatures near 0, terminal
rows, ...), compares it with the real thing (mpe2's game, or the package's own implementation:
:mod:`.functional`, :class:`.maddpg.MADDPG`, :func:`.evaluate`, never a copy of them), prints a
verdict and returns it as a :class:`CheckResult`:

* ``passed``: every check held; the message lists what was verified;
* ``failed``: the first check that did not hold, with its input, the expected and the
  obtained value, and a hint (wrong outputs are matched against the usual mistakes, e.g. a
  missing done mask, to name the likely cause);
* ``not implemented``: the function still raises ``NotImplementedError`` (the stub);
* ``error``: the function raised another exception; the message names it and the line of the
  student's code where it happened. A checker never crashes on the student's behalf.

A function that calls the implementation its checker compares with (the package's, torch's built-in,
mpe2's own; the table :data:`ANSWERS`), by any route, is ``failed`` with one line naming what it called:
the checkers credit only the student's own work.

The checks test behaviour, not style. Stochastic pieces are checked by statistics on
20,000 draws against the reference (tolerance: 5 standard errors, so a correct function fails
with probability below 1e-5 per statistic; the draws are seeded, so a verdict is repeatable).
How each piece is checked is stated in each ``check_*`` docstring and in
notebooks/exercises/README.md.

Used in notebooks/exercises/: one exercise set per lesson (01 to 08) and the capstone, whose loop
checker :func:`check_training_loop` plays small runs of the student's loop in a recording copy of the game.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
import inspect
import linecache
import math
import os
import sys
import threading
import traceback
import types
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .buffer import Batch, ReplayBuffer
from .env import AGENTS, EPISODE_LENGTH, N_ACTIONS, OBS_DIMS, VecSimpleAdversary
from .functional import critic_target, gumbel_softmax, onehot_from_logits, soft_update
from .maddpg import ACTOR_LOGIT_PENALTY, MADDPG

SEED = 0
"""Every checker seeds torch with this inside ``torch.random.fork_rng``: verdicts are
repeatable and the caller's random stream is left untouched."""
N_DRAWS = 20_000
"""Samples behind each statistic of the stochastic checks."""
Z_MAX = 5.0
"""A statistic may sit at most this many standard errors from the reference's."""

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))


# ----- the verdict --------------------------------------------------------------------------------
@dataclass
class CheckResult:
    """What a checker found. ``bool(result)`` is ``result.passed``."""

    exercise: str
    """Name of the checked function, e.g. ``"gumbel_softmax"``."""
    status: str
    """``"passed"``, ``"failed"``, ``"not implemented"`` or ``"error"`` (the function raised)."""
    message: str
    """The text the checker printed."""
    checks: list[str] = field(default_factory=list)
    """The checks that held, in order (all of them when passed)."""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message


class _NotImplemented(Exception):
    pass


class _Mismatch(Exception):
    """One failed check: what was checked, on which input, what was expected, what came back."""

    def __init__(self, check: str, input: str, expected: str, got: str, hint: str = ""):
        super().__init__(check)
        self.check, self.input, self.expected, self.got, self.hint = check, input, expected, got, hint


class _StudentRaised(Exception):
    def __init__(self, exc: Exception, input: str, where: str, hint: str):
        super().__init__(str(exc))
        self.exc, self.input, self.where, self.hint = exc, input, where, hint


# ----- what counts as the answer -----------------------------------------------------------------
_ADVERSARY = "mpe2.simple_adversary.simple_adversary.Scenario"
ANSWERS: dict[str, tuple[str, ...]] = {
    "gumbel_softmax": ("maddpg_lite.functional.gumbel_softmax", "maddpg_lite.functional.gumbel_softmax_sample",
                       "torch.nn.functional.gumbel_softmax",
                       "torch.distributions.relaxed_categorical.ExpRelaxedCategorical.rsample"),
    "onehot_from_logits": ("maddpg_lite.functional.onehot_from_logits",),
    "critic_target": ("maddpg_lite.functional.critic_target",),
    "critic_loss": ("maddpg_lite.maddpg.MADDPG.critic_loss",),
    "fixed_critic_loss": ("maddpg_lite.maddpg.MADDPG.critic_loss",),
    "actor_loss": ("maddpg_lite.maddpg.MADDPG.actor_loss",),
    "soft_update": ("maddpg_lite.functional.soft_update", "maddpg_lite.maddpg.MADDPG.update_targets"),
    "observation": (f"{_ADVERSARY}.observation", "maddpg_lite.env.VecSimpleAdversary.observations"),
    "observation_sizes": (f"{_ADVERSARY}.observation", "mpe2._mpe_utils.simple_env.SimpleEnv.observation_space"),
    "critic_input_sizes": ("maddpg_lite.maddpg.MADDPG.critic_input_dim", "maddpg_lite.checks._critic_input_dims"),
    "rewards": (f"{_ADVERSARY}.reward", f"{_ADVERSARY}.agent_reward", f"{_ADVERSARY}.adversary_reward",
                "maddpg_lite.env.VecSimpleAdversary.rewards"),
    "physics_step": ("maddpg_lite.env.VecSimpleAdversary.step", "mpe2._mpe_utils.core.World.step",
                     "mpe2._mpe_utils.core.World.integrate_state"),
    "discounted_return": (),
    "update_rounds": ("maddpg_lite.training.train", "maddpg_lite.checks._update_schedule"),
    "evaluation_returns": ("maddpg_lite.evaluation.evaluate",),
    "mean_ci": (),
    "paired_ci": ("maddpg_lite.study.mean_ci",),
    "episodes_to_threshold": ("maddpg_lite.study.episodes_to_threshold",),
    "success_rates": ("maddpg_lite.env.VecSimpleAdversary.deception_flags", "maddpg_lite.checks._flags"),
    "split": ("maddpg_lite.env.VecSimpleAdversary.deception_flags", "maddpg_lite.checks._flags"),
    "expected_penalty": (),
    "tag_observation": ("mpe2.simple_tag.simple_tag.Scenario.observation",),
    "spread_min_dist_sum": ("maddpg_lite.games.spread_metrics", "mpe2.simple_spread.simple_spread.Scenario.global_reward",
                            "mpe2.simple_spread.simple_spread.Scenario.benchmark_data"),
    "episode_collisions": ("maddpg_lite.games.spread_metrics", "mpe2.simple_spread.simple_spread.Scenario.benchmark_data"),
    "training_loop": ("maddpg_lite.training.train",),
}
"""Per exercise, the implementations that ARE its answer: the package's function or method the checker
compares with, torch's built-in of the same thing, mpe2's own observation or reward where the exercise
rebuilds it, and the checker's own reference helpers. While the student's function runs under the
checker, a call into any of them, however it was reached (a module attribute, ``from ... import ... as``,
the function object passed in, ``importlib``), makes the verdict ``failed``. Everything else stays
allowed (``actor_loss`` may call the package's ``gumbel_softmax``, ``critic_loss`` its ``critic_target``).
An empty tuple: the package has no implementation of that exercise's answer."""


ALLOWED_HELPERS = {
    "gumbel_softmax": "`sample_gumbel` (the noise), `torch.softmax`, `F.one_hot`",
    "critic_loss": "`critic_target`, `maddpg.target_actions`, `maddpg.q_value`, `maddpg.critic_input`",
    "fixed_critic_loss": "the same as critic_loss",
    "actor_loss": "`gumbel_softmax`, `onehot_from_logits`, `maddpg.q_value`, `maddpg.critic_input`",
    "episodes_to_threshold": "`maddpg_lite.plots.smooth`",
    "paired_ci": "`maddpg_lite.study.t_quantile`",
    "training_loop": "`maddpg.act`, `maddpg.update`, `buffer.add`, `buffer.sample`, `env.reset`, `env.step`",
}
"""Per exercise, package helpers the exercise text suggests (any callable not in :data:`ANSWERS` is allowed)."""


def answers_markdown() -> str:
    """:data:`ANSWERS` as the markdown table of the instructor guide (notebooks/exercises/README.md)."""
    rows = ["| exercise | a call into any of these fails the verdict | allowed, for example |", "|---|---|---|"]
    for exercise, names in ANSWERS.items():
        forbidden = ", ".join(f"`{n}`" for n in names) or "none: the package has no implementation of this answer"
        rows.append(f"| `{exercise}` | {forbidden} | {ALLOWED_HELPERS.get(exercise, 'any other function')} |")
    return "\n".join(rows)


def _resolve(dotted: str):
    """The function behind a dotted name such as ``"maddpg_lite.maddpg.MADDPG.critic_loss"``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return inspect.unwrap(getattr(obj, "__func__", obj))  # a decorator's own code is shared: take the inner one
    raise ImportError(dotted)


def answer_codes(exercise: str) -> dict[types.CodeType, str]:
    """The code objects of :data:`ANSWERS` ``[exercise]`` -> their dotted names."""
    return {_resolve(name).__code__: name for name in ANSWERS[exercise]}


@contextlib.contextmanager
def _forbidding(codes: dict, calls: list):
    """While inside, every call of a function whose code is in ``codes`` appends its name to ``calls``
    (in this thread and in threads started meanwhile). Nothing is raised, so there is nothing for the
    student's code to catch: the verdict reads ``calls`` afterwards."""
    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            calls.append(codes[frame.f_code])

    if not codes:
        yield
        return
    before = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(before)
        threading.setprofile(None)


class _Checks:
    """Calls the student's function and keeps the list of checks that held."""

    def __init__(self, fn, signature: str, exercise: str):
        self.fn, self.signature, self.done = fn, signature, []
        self.answers = answer_codes(exercise)
        self.hand_backs: list[str] = []
        """Answers the student's function called (see :data:`ANSWERS`)."""

    def call(self, input: str, *args, **kwargs):
        """``fn(*args, **kwargs)``; a ``NotImplementedError`` or any other exception becomes feedback."""
        return self.guard(input, self.fn, *args, **kwargs)

    def guard(self, input: str, f, *args, **kwargs):
        """``f(*args, **kwargs)`` for code that runs the student's work (e.g. a backward pass through it)."""
        try:
            with _forbidding(self.answers, self.hand_backs):
                return f(*args, **kwargs)
        except NotImplementedError as exc:
            raise _NotImplemented(str(exc)) from None
        except Exception as exc:  # the student's bug, reported, never re-raised
            hint = f"The function must have the signature {self.signature}." if isinstance(exc, TypeError) else ""
            raise _StudentRaised(exc, input, _student_line(exc), hint) from None

    def expect_raises(self, error: type, input: str, hint: str, *args, **kwargs) -> None:
        """``fn(*args, **kwargs)`` must raise ``error``."""
        try:
            with _forbidding(self.answers, self.hand_backs):
                out = self.fn(*args, **kwargs)
        except NotImplementedError as exc:
            raise _NotImplemented(str(exc)) from None
        except error:
            return
        except Exception as exc:
            raise _Mismatch(f"invalid input raises {error.__name__}", input, f"{error.__name__}",
                            f"{type(exc).__name__}: {exc}", hint) from None
        raise _Mismatch(f"invalid input raises {error.__name__}", input, f"{error.__name__}",
                        f"no exception; returned {_fmt(out)}", hint)

    def ok(self, check: str) -> None:
        self.done.append(check)


def _student_line(exc: BaseException) -> str:
    """``"line N of your code: <source>"`` for the last traceback frame outside torch and the package."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith((_PACKAGE_DIR, _TORCH_DIR))]
    if not frames:
        frames = traceback.extract_tb(exc.__traceback__)[-1:]
    if not frames:
        return ""
    f = frames[-1]
    source = f.line or linecache.getline(f.filename, f.lineno).strip()
    return f"in {f.name}(), line {f.lineno}" + (f": {source}" if source else "")


@contextlib.contextmanager
def _one_thread():
    """torch on one thread for the duration (fastest for these tiny networks), then as before."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _run(exercise: str, body, fn, signature: str, answers: str | None = None) -> CheckResult:
    """Run ``body(checks)`` seeded and turn its outcome into a printed :class:`CheckResult`;
    ``answers``: the key of :data:`ANSWERS` (default: ``exercise``)."""
    checks = _Checks(fn, signature, answers or exercise)
    with _one_thread(), torch.random.fork_rng(devices=[]), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.manual_seed(SEED)
        try:
            if not callable(fn):
                raise _Mismatch("the argument is a function", f"{type(fn).__name__} {fn!r}",
                                f"a function {signature}", f"{type(fn).__name__}",
                                "Pass the function itself, without calling it: check_x(my_function).")
            body(checks)
        except _NotImplemented as exc:
            status = "not implemented"
            message = (f"NOT IMPLEMENTED YET  {exercise}: your function still raises NotImplementedError"
                       f" ({exc}).\n  Replace the `raise NotImplementedError(...)` line under # YOUR CODE HERE"
                       " with your code and run the checker again.")
        except _Mismatch as m:
            status = "failed"
            message = _failure_message(exercise, checks.done, m, caught)
        except _StudentRaised as e:
            status = "error"
            message = (f"ERROR  {exercise}: your function raised {type(e.exc).__name__}: {e.exc}\n"
                       f"  where:    {e.where}\n  input:    {e.input}")
            if e.hint:
                message += f"\n  hint:     {e.hint}"
        except Exception as exc:  # an output the checker could not even inspect
            status = "failed"
            message = (f"FAILED  {exercise}: the checker could not inspect your output "
                       f"({type(exc).__name__}: {exc}).\n  hint:     Check the type and the shape of what "
                       f"your function returns; the signature is {signature}.")
        else:
            status = "passed"
            message = f"PASSED  {exercise}: all {len(checks.done)} checks hold.\n" + "\n".join(
                f"  ok  {c}" for c in checks.done)
        if checks.hand_backs:  # whatever the outputs were, they are not the student's work
            status = "failed"
            message = (f"FAILED  {exercise}: this exercise asks you to write {exercise} yourself; "
                       f"your function called {checks.hand_backs[0]}.")
    print(message)
    return CheckResult(exercise, status, message, list(checks.done))


def _failure_message(exercise: str, done: list[str], m: _Mismatch, caught) -> str:
    lines = [f"FAILED  {exercise}: check {len(done) + 1} did not hold ({len(done)} passed before it).",
             f"  check:    {m.check}", f"  input:    {m.input}",
             f"  expected: {m.expected}", f"  got:      {m.got}"]
    if m.hint:
        lines.append(f"  hint:     {m.hint}")
    if caught:
        lines.append(f"  note:     your code also warned: {caught[0].category.__name__}: {caught[0].message}")
    return "\n".join(lines)


# ----- formatting and comparing ------------------------------------------------------------------
def _fmt(x, rows: int = 4) -> str:
    """A short, readable rendering of a tensor or array (its shape and first rows) or any value."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, torch.Tensor):
        arr = x.detach().cpu().double().numpy() if x.is_floating_point() else x.detach().cpu().numpy()
        shape = tuple(x.shape)
        if arr.ndim == 0:
            return f"tensor({arr.item():.6g})"
        shown = arr[:rows] if arr.ndim > 1 else arr[:8]
        body = np.array2string(shown, precision=4, suppress_small=True, max_line_width=120)
        cut = len(shown) < len(arr)
        return f"shape {shape}{', first rows' if cut and arr.ndim > 1 else ', first values' if cut else ''}: " + \
            body.replace("\n", "\n            ")
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return _fmt(torch.as_tensor(x.astype(np.float64) if x.dtype.kind == "f" else x), rows).replace("tensor(", "array(")
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, float) for v in x):
        return "[" + ", ".join(f"{v:.4f}" for v in x) + "]"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + " ..."


def _expect_tensor(out, check: str, input: str, shape=None, hint: str = "") -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise _Mismatch(check, input, "a torch.Tensor" + (f" of shape {tuple(shape)}" if shape else ""),
                        f"{type(out).__name__}: {_fmt(out)}", hint or "Return a torch tensor (did you forget `return`?).")
    if shape is not None and tuple(out.shape) != tuple(shape):
        raise _Mismatch(check, input, f"shape {tuple(shape)}", f"shape {tuple(out.shape)}: {_fmt(out)}",
                        hint or "Check which dimension you reduce or squeeze.")
    if out.is_floating_point() and not torch.isfinite(out).all():
        raise _Mismatch(check, input, "finite values", f"{_fmt(out)} (contains nan or inf)",
                        hint or "Something overflowed or divided by zero.")
    return out


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol))


def _mean_and_se(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean over dim 0 and its standard error."""
    x = x.double()
    return x.mean(0), x.std(0) / math.sqrt(len(x))


def _z(mean_got, se_got, mean_ref, se_ref) -> torch.Tensor:
    """Distance of two independent means in standard errors (a floor keeps it finite)."""
    return (mean_got - mean_ref).abs() / torch.sqrt(se_got ** 2 + se_ref ** 2 + 1e-12)


def _one_hot_problem(out: torch.Tensor) -> str:
    """"" if every row of ``out`` is one-hot, else a description of the first bad row."""
    values = out.detach()
    ones, zeros = (values == 1).sum(-1), (values == 0).sum(-1)
    bad = ((ones != 1) | (ones + zeros != values.shape[-1])).nonzero()
    if len(bad) == 0:
        return ""
    r = int(bad[0, 0])
    return (f"row {r} is {_fmt(values[r])} ({int(ones[r])} entries equal to 1, "
            f"{values.shape[-1] - int(ones[r]) - int(zeros[r])} neither 0 nor 1)")


# ----- exercise 1: Gumbel-softmax and greedy one-hots --------------------------------------------
GUMBEL_LOGITS = torch.tensor([1.5, 0.5, 0.0, -1.0, 0.2])
"""The distribution of the statistical checks: softmax of these, K = 5 actions."""


def check_gumbel_softmax(fn) -> CheckResult:
    """Check ``fn(logits, tau=1.0, hard=True)`` against :func:`maddpg_lite.functional.gumbel_softmax`.

    Verified, in order (the noise source is free, e.g. the package's or ``F.gumbel_softmax``'s):

    1. the output has the input's shape (several shapes, ``hard`` left at its default);
    2. ``hard=True`` gives exactly one-hot rows for tau in {1e-3, 0.05, 1, 10};
    3. ties: logits so large that the noise cannot separate two entries still give one 1 per row;
    4. ``hard=False`` rows are finite probability vectors, also at tau = 0.01;
    5. hard-sample frequencies equal ``softmax(logits)`` for tau in {0.05, 1, 10}
       (the temperature must not change them);
    6. the mean largest entry of the soft sample matches the reference at tau in {0.1, 1, 10}
       (small tau: nearly one-hot, large tau: nearly uniform);
    7. the hard sample carries a gradient (straight-through);
    8. that gradient is the soft sample's: its mean, and its mean at the sampled action, match
       the reference's at tau in {0.5, 2};
    9. ``tau <= 0`` raises ``ValueError``.
    """
    return _run("gumbel_softmax", _gumbel_checks, fn, "gumbel_softmax(logits, tau=1.0, hard=True)")


def _gumbel_checks(c: _Checks) -> None:
    gen = torch.Generator().manual_seed(1)
    shapes = [(1, 5), (8, 5), (3, 2), (16, 7)]
    for shape in shapes:
        logits = 2 * torch.randn(shape, generator=gen)
        inp = f"logits of shape {shape}: {_fmt(logits, 2)} (tau, hard left at their defaults)"
        _expect_tensor(c.call(inp, logits), "output shape = input shape", inp, shape)
    c.ok(f"returns a tensor of the input's shape for shapes {shapes}")

    for tau in [1.0, 0.05, 10.0, 1e-3]:
        for shape in shapes:
            logits = 2 * torch.randn(shape, generator=gen)
            inp = f"logits = {_fmt(logits, 2)}, tau={tau}, hard=True"
            out = _expect_tensor(c.call(inp, logits, tau=tau, hard=True), "hard=True gives one-hot rows", inp, shape,
                                 hint="nan/inf: use torch.softmax (it subtracts the row maximum) instead of exp()/sum(); "
                                      "(logits + g) / tau is huge when tau is small.")
            problem = _one_hot_problem(out)
            if problem:
                raise _Mismatch("hard=True gives one-hot rows", inp, "exactly one 1 per row, 0 elsewhere", problem,
                                "The forward value of the straight-through sample is y_hard, the one-hot of argmax(y): "
                                "return (y_hard - y).detach() + y.")
    c.ok("hard=True: exactly one-hot rows for tau in {1e-3, 0.05, 1, 10}")

    tied = torch.tensor([[1e9, 1e9, 0.0, 0.0, 0.0], [0.0, 3e9, 3e9, 3e9, 0.0]]).repeat(4, 1)
    inp = f"logits = {_fmt(tied, 2)} (float32 noise cannot separate the 1e9 entries: y has exact ties), tau=1.0"
    out = _expect_tensor(c.call(inp, tied, tau=1.0, hard=True), "ties give one 1 per row", inp, tied.shape)
    problem = _one_hot_problem(out)
    if problem:
        raise _Mismatch("ties give one 1 per row", inp, "exactly one 1 per row, at one of the tied maxima", problem,
                        "Build y_hard from argmax (one index per row), not from y == y.max(): "
                        "the comparison marks every tied entry.")
    c.ok("ties in y: still exactly one 1 per row")

    for tau in [1.0, 0.01, 10.0]:
        logits = 3 * torch.randn(64, 5, generator=gen)
        inp = f"logits = {_fmt(logits, 2)}, tau={tau}, hard=False"
        out = _expect_tensor(c.call(inp, logits, tau=tau, hard=False), "hard=False gives probability rows", inp,
                             logits.shape, hint="nan/inf: use torch.softmax rather than exp()/sum(); (logits + g) / tau "
                                                "is huge when tau is small.")
        row_sums = out.detach().sum(-1)
        if (out.detach() < 0).any() or not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5):
            raise _Mismatch("hard=False gives probability rows", inp, "entries >= 0, every row sums to 1",
                            f"{_fmt(out)}; row sums {_fmt(row_sums)}",
                            "The soft sample is softmax((logits + g) / tau) over the last dimension.")
    c.ok("hard=False: rows are finite probability vectors (also at tau = 0.01)")

    probs = torch.softmax(GUMBEL_LOGITS, dim=0).double()
    batch = GUMBEL_LOGITS.expand(N_DRAWS, 5).clone()
    for tau in [0.05, 1.0, 10.0]:
        inp = f"{N_DRAWS} rows of logits {_fmt(GUMBEL_LOGITS)}, tau={tau}, hard=True"
        out = _expect_tensor(c.call(inp, batch.clone(), tau=tau, hard=True), "hard-sample frequencies", inp, batch.shape)
        problem = _one_hot_problem(out)
        if problem:
            raise _Mismatch("hard=True gives one-hot rows", inp, "exactly one 1 per row", problem)
        freq = out.detach().double().mean(0)
        se = torch.sqrt(probs * (1 - probs) / N_DRAWS)
        if ((freq - probs).abs() > Z_MAX * se).any():
            raise _Mismatch(
                f"hard-sample frequencies = softmax(logits), for every tau (here tau={tau})", inp,
                f"frequencies {_fmt(probs.tolist())} (softmax(logits), +- {Z_MAX:.0f} standard errors)",
                f"frequencies {_fmt(freq.tolist())}",
                "The temperature never changes which action is sampled: argmax((logits + g) / tau) = argmax(logits + g). "
                "Did you multiply the logits by tau, divide only the logits (not the noise), or skip the noise? "
                "The noise is g = -log(-log(U)), U ~ Uniform(0, 1), one draw per entry.")
    c.ok("hard samples follow softmax(logits) for tau in {0.05, 1, 10}")

    means = []
    for tau in [0.1, 1.0, 10.0]:
        inp = f"{N_DRAWS} rows of logits {_fmt(GUMBEL_LOGITS)}, tau={tau}, hard=False"
        out = _expect_tensor(c.call(inp, batch.clone(), tau=tau, hard=False), "soft sample and tau", inp, batch.shape)
        got_mean, got_se = _mean_and_se(out.detach().max(-1).values)
        ref_mean, ref_se = _mean_and_se(gumbel_softmax(batch, tau=tau, hard=False).max(-1).values)
        means.append(round(got_mean.item(), 3))
        if _z(got_mean, got_se, ref_mean, ref_se) > Z_MAX:
            raise _Mismatch(
                f"mean largest entry of the soft sample at tau={tau}", inp, f"{ref_mean.item():.4f} (reference)",
                f"{got_mean.item():.4f}",
                "The soft sample is softmax((logits + g) / tau): divide the noisy logits by tau (not multiply, and "
                "not only the logits). Small tau -> nearly one-hot (close to 1), large tau -> nearly uniform (close to 1/K).")
    c.ok(f"soft samples sharpen as tau falls (mean largest entry {means} at tau = 0.1, 1, 10, as the reference)")

    logits = torch.randn(8, 5, generator=gen).requires_grad_(True)
    inp = f"logits = {_fmt(logits, 2)} (requires_grad), tau=1.0, hard=True; loss = (w * y).sum(), w random"
    out = _expect_tensor(c.call(inp, logits, tau=1.0, hard=True), "the hard sample carries a gradient", inp, logits.shape)
    st_hint = ("The straight-through trick: return (y_hard - y).detach() + y, so the forward value is y_hard and the "
               "gradient is the soft sample's. A one-hot built only from argmax has no gradient.")
    if not out.requires_grad:
        raise _Mismatch("the hard sample carries a gradient", inp, "an output that requires grad",
                        "an output without gradient (requires_grad=False)", st_hint)
    w = torch.randn(8, 5, generator=gen)
    c.guard(inp + "; then backward()", lambda: (w * out).sum().backward())
    if logits.grad is None or not torch.isfinite(logits.grad).all() or logits.grad.abs().sum() == 0:
        raise _Mismatch("the hard sample carries a gradient", inp, "a finite, non-zero gradient w.r.t. logits",
                        f"gradient {_fmt(logits.grad)}", st_hint)
    c.ok("hard=True: the one-hot output has a non-zero gradient w.r.t. the logits")

    w = torch.tensor([1.0, -2.0, 0.5, 3.0, 0.0])
    for tau in [0.5, 2.0]:
        inp = (f"{N_DRAWS} rows of logits {_fmt(GUMBEL_LOGITS)} (requires_grad), tau={tau}, hard=True; "
               f"loss = (w * y).sum() with w = {_fmt(w)}")
        stats = {}
        for who, f in [("got", lambda x, t: c.call(inp, x, tau=t, hard=True)),
                       ("ref", lambda x, t: gumbel_softmax(x, tau=t, hard=True))]:
            leaf = batch.clone().requires_grad_(True)
            out = _expect_tensor(f(leaf, tau), "straight-through gradient", inp, batch.shape)
            if not out.requires_grad:
                raise _Mismatch("straight-through gradient", inp, "an output that requires grad", "no gradient", st_hint)
            c.guard(inp + "; then backward()", lambda: (w * out).sum().backward())
            grad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
            at_sample = (out.detach() * grad).sum(-1, keepdim=True)  # gradient at the sampled action
            stats[who] = _mean_and_se(torch.cat([grad, at_sample], dim=1))
        (got, got_se), (ref, ref_se) = stats["got"], stats["ref"]
        if (_z(got, got_se, ref, ref_se) > Z_MAX).any():
            raise _Mismatch(
                f"the gradient is the soft sample's (tau={tau})", inp,
                f"mean gradient {_fmt(ref[:5].tolist())}, mean gradient at the sampled action {ref[5].item():.4f} "
                "(reference, +- 5 standard errors)",
                f"mean gradient {_fmt(got[:5].tolist())}, mean gradient at the sampled action {got[5].item():.4f}",
                "The backward pass must be that of y = softmax((logits + g) / tau), with the same noise g as the "
                "forward one-hot (draw g once). Check the division by tau.")
    c.ok("the gradient is the soft sample's: mean gradient and gradient at the sampled action match at tau = 0.5, 2")

    logits = torch.randn(4, 5, generator=gen)
    for tau in [0.0, -1.0]:
        c.expect_raises(ValueError, f"logits of shape (4, 5), tau={tau}",
                        "A temperature must be > 0: raise ValueError(...) naming the value.", logits, tau=tau, hard=True)
    c.ok("tau = 0 and tau = -1 raise ValueError")


def check_onehot_from_logits(fn) -> CheckResult:
    """Check ``fn(logits, eps=0.0)`` against :func:`maddpg_lite.functional.onehot_from_logits`.

    Verified: the shape; with ``eps=0``, one-hot rows at a largest logit (several shapes), also
    when logits tie (any of the tied maxima is accepted); with ``eps=1``, uniform actions; with
    ``eps=0.3``, each row is greedy with probability ``1 - eps + eps/K`` and any other action
    with probability ``eps/K``, decided row by row; ``eps`` outside [0, 1] raises ``ValueError``.
    """
    return _run("onehot_from_logits", _onehot_checks, fn, "onehot_from_logits(logits, eps=0.0)")


def _onehot_checks(c: _Checks) -> None:
    gen = torch.Generator().manual_seed(2)
    cases = [torch.randn(shape, generator=gen) for shape in [(1, 5), (8, 5), (64, 3), (5, 2)]]
    cases.append(torch.tensor([[1.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [2.0, 5.0, 5.0, 1.0, 5.0],
                               [-1.0, -3.0, -1.0, -2.0, -1.0]]))
    for k, logits in enumerate(cases):
        tie = k == len(cases) - 1
        inp = f"logits = {_fmt(logits)}, eps=0" + (" (rows with tied maxima)" if tie else "")
        out = _expect_tensor(c.call(inp, logits.clone()), "greedy one-hot", inp, logits.shape)
        problem = _one_hot_problem(out)
        if problem:
            raise _Mismatch("eps=0 gives one-hot rows" + (" also when logits tie" if tie else ""), inp,
                            "exactly one 1 per row", problem,
                            "Use the index of argmax (one per row) and F.one_hot; logits == logits.max() marks every "
                            "tied entry." if tie else "Use F.one_hot(logits.argmax(-1), K).")
        picked = (out.detach() * logits).sum(-1)
        if not torch.equal(picked, logits.max(-1).values):
            r = int((picked != logits.max(-1).values).nonzero()[0])
            raise _Mismatch("eps=0 picks a largest logit", inp, f"row {r}: the 1 at a largest logit of {_fmt(logits[r])}",
                            f"row {r}: {_fmt(out[r])}", "The greedy action is argmax over the last dimension.")
    c.ok("eps=0: one-hot rows at a largest logit, for 4 shapes and for tied logits")

    logits = torch.tensor([4.0, 0.0, -1.0, 2.0, 1.0]).expand(N_DRAWS, 5).clone()
    greedy = 0
    for eps, expected in [(1.0, torch.full((5,), 0.2)), (0.3, torch.tensor([0.76, 0.06, 0.06, 0.06, 0.06]))]:
        inp = f"{N_DRAWS} rows of logits {_fmt(logits[0])}, eps={eps}"
        out = _expect_tensor(c.call(inp, logits.clone(), eps=eps), "epsilon-random rows", inp, logits.shape)
        problem = _one_hot_problem(out)
        if problem:
            raise _Mismatch(f"eps={eps} gives one-hot rows", inp, "exactly one 1 per row", problem)
        freq = out.detach().double().mean(0)
        p = expected.double()
        if ((freq - p).abs() > Z_MAX * torch.sqrt(p * (1 - p) / N_DRAWS)).any():
            raise _Mismatch(
                f"action frequencies with eps={eps}", inp,
                f"{_fmt(p.tolist())} (greedy action {greedy} with 1 - eps + eps/K, each action eps/K)",
                f"{_fmt(freq.tolist())}",
                "Each row, independently: with probability eps replace the greedy one-hot by a uniformly random one-hot "
                "(e.g. torch.rand(B) < eps chooses the rows, torch.randint(K, (B,)) the random actions).")
    c.ok("eps=1: uniform actions; eps=0.3: greedy with 1 - eps + eps/K, row by row")

    for eps in [-0.1, 1.5]:
        c.expect_raises(ValueError, f"logits of shape (4, 5), eps={eps}",
                        "eps is a probability: raise ValueError(...) when it is outside [0, 1].",
                        torch.zeros(4, 5), eps=eps)
    c.ok("eps = -0.1 and eps = 1.5 raise ValueError")


# ----- exercise 2: the critic target and the critic loss -----------------------------------------
def check_critic_target(fn) -> CheckResult:
    """Check ``fn(reward, target_q, done, gamma)`` against :func:`maddpg_lite.functional.critic_target`.

    Verified: shape ``(B,)`` and values equal to the reference for B in {1, 5, 64}, gamma in
    {0, 0.95, 1}, done rows mixed, all 0 and all 1; the inputs are not modified; inputs of
    different shapes (a ``(B, 1)`` target_q next to ``(B,)`` rewards) raise ``ValueError``.
    A wrong value is compared with the usual mistakes (no done mask, inverted mask, ...) to
    name the likely cause.
    """
    return _run("critic_target", _critic_target_checks, fn, "critic_target(reward, target_q, done, gamma)")


_TARGET_MISTAKES = [
    ("no done mask: y = r + gamma * Q'", lambda r, q, d, g: r + g * q,
     "Multiply the bootstrap term by (1 - done): at a terminal transition there is no future."),
    ("inverted done mask: y = r + gamma * done * Q'", lambda r, q, d, g: r + g * d * q,
     "done = 1 means terminated, so the bootstrap term must vanish there: use (1 - done)."),
    ("mask on the reward too: y = (1 - done) * (r + gamma * Q')", lambda r, q, d, g: (1 - d) * (r + g * q),
     "The reward of the last transition still counts; only the bootstrap term is masked."),
    ("no discount: y = r + (1 - done) * Q'", lambda r, q, d, g: r + (1 - d) * q,
     "Discount the bootstrap term by gamma."),
]


def _critic_target_checks(c: _Checks) -> None:
    gen = torch.Generator().manual_seed(3)
    cases = []
    for B in [1, 5, 64]:
        for gamma in [0.95, 0.0, 1.0]:
            done = (torch.rand(B, generator=gen) < 0.3).float()
            if B == 5:
                done[:2] = torch.tensor([1.0, 0.0])  # at least one row of each kind
            cases.append((torch.randn(B, generator=gen), torch.randn(B, generator=gen) * 3, done, gamma))
    cases.append((torch.randn(8, generator=gen), torch.randn(8, generator=gen), torch.ones(8), 0.95))
    cases.append((torch.randn(8, generator=gen), torch.randn(8, generator=gen), torch.zeros(8), 0.95))
    for reward, target_q, done, gamma in cases:
        inp = f"reward = {_fmt(reward)}, target_q = {_fmt(target_q)}, done = {_fmt(done)}, gamma = {gamma}"
        args = [reward.clone(), target_q.clone(), done.clone()]
        out = _expect_tensor(c.call(inp, *args, gamma), "y has shape (B,)", inp, reward.shape)
        if not all(torch.equal(a, b) for a, b in zip(args, (reward, target_q, done))):
            raise _Mismatch("the inputs are left unchanged", inp, "reward, target_q, done unchanged",
                            "an input was modified in place", "Compute a new tensor; avoid in-place ops like add_() or *=.")
        expected = critic_target(reward, target_q, done, gamma)
        if not _close(out, expected):
            r = int((~torch.isclose(out.double(), expected.double(), rtol=1e-5, atol=1e-6)).nonzero()[0])
            hint = "y = r + gamma * (1 - done) * target_q, row by row."
            # name every mistake that fits: when all rows are terminal, 'no mask' and 'inverted mask' look the same
            matches = [f"'{name}'. {why}" for name, wrong, why in _TARGET_MISTAKES
                       if _close(out, wrong(reward, target_q, done, gamma))]
            if len(matches) == 1:
                hint = f"Your values match the mistake {matches[0]}"
            elif matches:
                hint = "On this input your values match each of these mistakes: " + " Or: ".join(matches)
            raise _Mismatch("y = r + gamma * (1 - done) * target_q", inp,
                            f"row {r}: y = {expected[r].item():.6f}  (reward {reward[r].item():.4f}, "
                            f"target_q {target_q[r].item():.4f}, done {done[r].item():.0f})",
                            f"row {r}: {out[r].item():.6f}", hint)
    c.ok("y = r + gamma (1 - done) Q' for B in {1, 5, 64}, gamma in {0, 0.95, 1}, done mixed / all 1 / all 0")
    c.ok("the inputs are not modified")

    B = 6
    reward, target_q, done = torch.randn(B, generator=gen), torch.randn(B, 1, generator=gen), torch.zeros(B)
    c.expect_raises(ValueError, f"reward of shape ({B},), target_q of shape ({B}, 1), done of shape ({B},), gamma=0.95",
                    f"(B,) + (B, 1) broadcasts silently to a (B, B) matrix, here ({B}, {B}). Compare the three shapes "
                    "and raise ValueError(...) when they differ.", reward, target_q, done, 0.95)
    c.ok("a (B, 1) target_q next to (B,) rewards raises ValueError instead of broadcasting to (B, B)")


def _rollout_buffer(seed: int, num_envs: int = 16) -> ReplayBuffer:
    """One 25-step episode of uniformly random actions in ``num_envs`` games, stored."""
    rng = np.random.default_rng(seed)
    env = VecSimpleAdversary(num_envs, seed=seed)
    buffer = ReplayBuffer(num_envs * EPISODE_LENGTH, OBS_DIMS, N_ACTIONS)
    obs = list(env.reset().values())
    for _ in range(EPISODE_LENGTH):
        actions = rng.integers(N_ACTIONS, size=(num_envs, len(OBS_DIMS)))
        next_obs, rewards, terminated, _ = env.step(actions)
        next_obs = list(next_obs.values())
        dones = np.repeat(terminated[:, None], len(OBS_DIMS), axis=1)  # termination only (never, in this game)
        buffer.add(obs, np.eye(N_ACTIONS, dtype=np.float32)[actions], rewards, next_obs, dones)
        obs = next_obs
    return buffer


@functools.lru_cache(maxsize=4)
def _setup(seed: int, batch_size: int) -> tuple[MADDPG, Batch]:
    with _one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        buffer = _rollout_buffer(seed)
        maddpg = MADDPG(OBS_DIMS, N_ACTIONS, hidden_dim=16)
        for _ in range(20):  # real update rounds: the networks now differ from their targets
            maddpg.update(buffer.sample(64, rng))
        return maddpg, buffer.sample(batch_size, rng)


def exercise_setup(seed: int = 0, batch_size: int = 64) -> tuple[MADDPG, Batch]:
    """A small MADDPG and a batch to try the exercises on (the checkers use the same recipe).

    The MADDPG has the game's sizes (observations 8, 10, 10; 5 actions) and hidden layers of
    16. It was trained for 20 update rounds on 400 real transitions (one episode of random
    play in 16 copies of simple_adversary), so its networks differ from their targets. The
    batch is ``batch_size`` transitions of the same data. simple_adversary never terminates,
    so every ``done`` in it is 0. Fresh copies each call: change them freely.

    Returns:
        ``(maddpg, batch)``.
    """
    return copy.deepcopy(_setup(seed, batch_size))


def _with_terminal_rows(batch: Batch, every: int = 3) -> Batch:
    """The batch with ``done = 1`` on every ``every``-th row: tests the done mask, which real data never does."""
    dones = torch.zeros_like(batch.dones)
    dones[::every] = 1.0
    return batch._replace(dones=dones)


def _batch_copy(batch: Batch) -> Batch:
    """A private copy of ``batch`` for the student's function: a write into it cannot reach the cached batch."""
    return Batch(obs=[o.clone() for o in batch.obs], actions=batch.actions.clone(), rewards=batch.rewards.clone(),
                 next_obs=[o.clone() for o in batch.next_obs], dones=batch.dones.clone())


def _call_on_batch(c: _Checks, inp: str, m: MADDPG, i: int, batch: Batch):
    """``fn(m, i, copy of batch)``; writing into the batch is a failed check (it corrupts every later use of it)."""
    given = _batch_copy(batch)
    out = c.call(inp, m, i, given)
    for name in Batch._fields:
        got, orig = getattr(given, name), getattr(batch, name)
        got, orig = (got, orig) if isinstance(orig, list) else ([got], [orig])
        if len(got) != len(orig) or not all(isinstance(g, torch.Tensor) and torch.equal(g.detach(), o)
                                            for g, o in zip(got, orig)):
            raise _Mismatch("the loss leaves the batch unchanged", inp, f"batch.{name} unchanged",
                            f"batch.{name} was modified in place",
                            "Do not write into the batch (e.g. batch.actions[:, i] = a_i): build a new list, "
                            "e.g. actions = list(batch.actions.unbind(dim=1)); actions[i] = a_i.")
    return out


def buggy_critic_loss(maddpg: MADDPG, i: int, batch: Batch) -> torch.Tensor:
    """Exercise 5: a critic loss that runs, returns a plausible number, trains, and is wrong.

    Args:
        maddpg: the agents.
        i: agent index.
        batch: a :class:`~maddpg_lite.buffer.Batch` of B transitions.

    Returns:
        a scalar tensor, gradients flowing into ``maddpg.critics[i]``.
    """
    with torch.no_grad():
        next_actions = [onehot_from_logits(mu(o)) for mu, o in zip(maddpg.target_actors, batch.next_obs)]
        next_q = maddpg.target_critics[i](torch.cat(list(batch.next_obs) + next_actions, dim=1))
        y = batch.rewards[:, i] + maddpg.gamma * (1.0 - batch.dones[:, i]) * next_q
    q = maddpg.critics[i](torch.cat(list(batch.obs) + list(batch.actions.unbind(dim=1)), dim=1))
    return ((q - y) ** 2).mean()


def _critic_loss_mistakes(m: MADDPG, i: int, batch: Batch) -> list[tuple[str, torch.Tensor, str]]:
    """Values of the usual wrong critic losses, to name a student's likely mistake."""
    obs, next_obs, actions = batch.obs, batch.next_obs, batch.actions.unbind(dim=1)
    r, d = batch.rewards[:, i], batch.dones[:, i]
    greedy = [onehot_from_logits(mu(o)) for mu, o in zip(m.target_actors, next_obs)]
    online_greedy = [onehot_from_logits(mu(o)) for mu, o in zip(m.actors, next_obs)]
    q = m.q_value(m.critics[i], i, obs, actions)
    target_q = m.q_value(m.target_critics[i], i, next_obs, greedy)
    out = []

    def add(name, y, hint, pred=q):
        out.append((name, F.mse_loss(pred, y.detach()), hint))

    add("the target comes from the online critic Q_i instead of the target critic Q'_i",
        critic_target(r, m.q_value(m.critics[i], i, next_obs, greedy), d, m.gamma),
        "y must use maddpg.target_critics[i] (the slow copy), not maddpg.critics[i].")
    add("the next actions come from the online actors instead of the target actors",
        critic_target(r, m.q_value(m.target_critics[i], i, next_obs, online_greedy), d, m.gamma),
        "a'_j = onehot(mu'_j(o'_j)) uses maddpg.target_actors (maddpg.target_actions does it for you).")
    add("the next actions are the actions stored in the batch",
        critic_target(r, m.q_value(m.target_critics[i], i, next_obs, actions), d, m.gamma),
        "The batch's actions were taken at x, not at x': use the target actors' greedy actions at x'.")
    add("no done mask", r + m.gamma * target_q,
        "y = r + gamma * (1 - done) * Q'(x', a'): the checker's batch has terminal rows.")
    add("the target is computed at x instead of x'",
        critic_target(r, m.q_value(m.target_critics[i], i, obs, greedy), d, m.gamma),
        "Q' is evaluated at the next observations batch.next_obs.")
    add("the prediction Q(x, a) uses the target critic",
        critic_target(r, target_q, d, m.gamma),
        "The prediction is maddpg.critics[i] at (batch.obs, batch.actions); only y uses target networks.",
        pred=m.q_value(m.target_critics[i], i, obs, actions))
    out.append(("a (B, 1) versus (B,) broadcast (the loss averages a (B, B) matrix)", buggy_critic_loss(m, i, batch),
                "The critic's output has shape (B, 1); squeeze(-1) it (or use maddpg.q_value) before combining it "
                "with (B,) rewards. Print the shapes of q and y."))
    return out


def check_critic_loss(fn) -> CheckResult:
    """Check ``fn(maddpg, i, batch)`` against :meth:`maddpg_lite.maddpg.MADDPG.critic_loss`.

    On the MADDPG of :func:`exercise_setup` (networks and targets differ), for every agent i,
    on a real batch and on the same batch with every third row marked terminal, verified:
    a scalar tensor whose value equals the package's; its gradient w.r.t. ``critics[i]``
    equals the package's; no other network gets a gradient; the call changes no parameter and
    does not write into the batch.
    A wrong value is compared with the usual mistakes (online network in the target, no done
    mask, (B, 1) broadcast, ...) to name the likely cause.
    """
    return _run("critic_loss", _critic_loss_checks, fn, "critic_loss(maddpg, i, batch)")


def check_fixed_critic_loss(fn) -> CheckResult:
    """Exercise 5: the same checks as :func:`check_critic_loss`, for the student's fix of
    :func:`buggy_critic_loss` (which fails them: its value is not the package's)."""
    return _run("fixed_critic_loss", _critic_loss_checks, fn, "fixed_critic_loss(maddpg, i, batch)")


def _grads(nets) -> list[torch.Tensor | None]:
    return [None if p.grad is None else p.grad.clone() for net in nets for p in net.parameters()]


def _zero_grads(m: MADDPG) -> None:
    for net in m.actors + m.critics + m.target_actors + m.target_critics:
        net.zero_grad(set_to_none=True)


def _nets(m: MADDPG) -> dict[str, nn.Module]:
    nets = {}
    for kind in ("actors", "critics", "target_actors", "target_critics"):
        for j, net in enumerate(getattr(m, kind)):
            nets[f"maddpg.{kind}[{j}]"] = net
    return nets


def _state(m: MADDPG) -> list[torch.Tensor]:
    return [p.detach().clone() for net in _nets(m).values() for p in net.parameters()]


def _expect_scalar(out, check: str, inp: str) -> torch.Tensor:
    out = _expect_tensor(out, check, inp, hint="Return the loss as a scalar tensor.")
    if out.dim() != 0:
        raise _Mismatch(check, inp, "a scalar tensor (shape ())", f"shape {tuple(out.shape)}: {_fmt(out)}",
                        "Average over the batch with .mean() so that loss.backward() works.")
    return out


def _expect_untouched(m: MADDPG, before: list[torch.Tensor], check: str, inp: str) -> None:
    for (name, p), b in zip(_named_params(m), before):
        if not torch.equal(p.detach(), b):
            raise _Mismatch(check, inp, "no parameter changes while computing the loss", f"{name} changed",
                            "A loss function only computes the loss: no optimizer.step(), no soft update, no in-place "
                            "change of the networks.")


def _named_params(m: MADDPG):
    return [(name, p) for name, net in _nets(m).items() for p in net.parameters()]


def _check_loss_gradients(c: _Checks, m: MADDPG, loss: torch.Tensor, ref_grads, allowed: set[str], check: str,
                          inp: str, hint_extra: str = "") -> None:
    """After ``loss.backward()``: only the networks in ``allowed`` hold gradients, and those equal ``ref_grads``."""
    if not loss.requires_grad:
        raise _Mismatch(check, inp, f"a loss with a gradient into {', '.join(sorted(allowed))}",
                        "a loss without gradient (requires_grad=False)",
                        "Do not compute the whole loss under torch.no_grad() or with .detach(); only the target y is "
                        "computed without gradients." + hint_extra)
    c.guard(inp + "; then loss.backward()", loss.backward)
    for name, net in _nets(m).items():
        grads = [p.grad for p in net.parameters() if p.grad is not None]
        has_grad = any(g.abs().sum() > 0 for g in grads)
        if has_grad and name not in allowed:
            raise _Mismatch(check, inp, f"gradients only in {', '.join(sorted(allowed))}", f"{name} has a gradient",
                            "The target side of the loss must be computed under torch.no_grad() (or detached), and "
                            "only agent i's networks belong in this loss." + hint_extra)
    for name, net in _nets(m).items():
        if name in allowed:
            for p, g_ref in zip(net.parameters(), ref_grads[name]):
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                if not torch.allclose(g, g_ref, rtol=1e-4, atol=1e-6):
                    raise _Mismatch(check, inp, f"the gradient of {name} equals the reference's",
                                    f"a different gradient (largest difference {(g - g_ref).abs().max().item():.3g})",
                                    "Did gradients flow through the target y? Compute y under torch.no_grad()." + hint_extra)


def _critic_loss_checks(c: _Checks) -> None:
    base, batch = _setup(SEED, 64)
    batches = [("a real batch of 64 transitions (done = 0 everywhere)", batch),
               ("the same batch with every third row terminal (done = 1)", _with_terminal_rows(batch))]
    for label, b in batches:
        for i in range(base.n_agents):
            m = copy.deepcopy(base)
            inp = f"the MADDPG of exercise_setup(), i={i}, batch = {label}"
            ref = m.critic_loss(i, b)
            _zero_grads(m)
            ref.backward()
            ref_grads = {f"maddpg.critics[{i}]": [p.grad.clone() for p in m.critics[i].parameters()]}
            _zero_grads(m)
            before = _state(m)
            out = _expect_scalar(_call_on_batch(c, inp, m, i, b), "the critic loss is a scalar", inp)
            _expect_untouched(m, before, "the loss leaves the networks unchanged", inp)
            if not torch.isclose(out.detach().double(), ref.detach().double(), rtol=1e-5, atol=1e-6):
                hint = ("loss = mean((Q_i(x, a) - y)^2) with y = r_i + gamma (1 - done_i) Q'_i(x', a'), "
                        "a'_j = onehot(mu'_j(o'_j)) from the target actors.")
                with torch.no_grad():
                    for name, wrong, why in _critic_loss_mistakes(m, i, b):
                        if torch.isclose(out.detach().double(), wrong.double(), rtol=1e-5, atol=1e-6):
                            hint = f"Your value matches the mistake: {name}. {why}"
                            break
                raise _Mismatch("the loss value equals MADDPG.critic_loss", inp, f"{ref.item():.6f}",
                                f"{out.item():.6f}", hint)
            _check_loss_gradients(c, m, out, ref_grads, {f"maddpg.critics[{i}]"},
                                  "the gradient reaches critics[i] only, and equals the package's", inp)
    c.ok("value = MADDPG.critic_loss for every agent i, on a real batch and on one with terminal rows")
    c.ok("gradient = the package's, in critics[i] only (targets, actors and other critics get none)")
    c.ok("computing the loss changes no parameter and leaves the batch unchanged")


# ----- exercise 3: the actor loss ------------------------------------------------------------------
def check_actor_loss(fn) -> CheckResult:
    """Check ``fn(maddpg, i, batch)`` against :meth:`maddpg_lite.maddpg.MADDPG.actor_loss`.

    The loss draws Gumbel noise, so the checks do not depend on how the noise is drawn:

    1. *A confident actor makes the value exact.* The actor of agent i is changed to output
       fixed logits with gaps of 20, so any correct Gumbel-softmax sample is its greedy action
       with probability > 1 - 1e-8. The loss is then a number: it must equal the package's
       (this checks which actions and which critic are used, and the logit penalty
       ``ACTOR_LOGIT_PENALTY * mean(logits^2)``, here 0.8).
    2. *The value on the real actor is right on average.* On a batch repeated to 4096 rows,
       the loss must be within 5 standard errors of its exact expectation
       ``-mean_b sum_k softmax(logits_b)_k Q_i(x_b, .., e_k, ..) + penalty``.
    3. *The gradient is the package's.* Only ``actors[i]`` (and ``critics[i]``, through which it
       flows) get a gradient; the gradient of ``actors[i]`` points the same way as the
       package's on the same repeated batch (cosine similarity > 0.9) and has a similar size.
    4. Computing the loss changes no parameter and does not write into the batch.
    """
    return _run("actor_loss", _actor_loss_checks, fn, "actor_loss(maddpg, i, batch)")


CONFIDENT_LOGITS = torch.tensor([0.0, -20.0, 20.0, -40.0, 40.0])
"""The fixed logits of check 1 of :func:`check_actor_loss`: action 4 is drawn with probability > 1 - 1e-8."""


def _confident(base: MADDPG, i: int) -> MADDPG:
    m = copy.deepcopy(base)
    last = m.actors[i][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(CONFIDENT_LOGITS)
    return m


def _repeat(batch: Batch, times: int) -> Batch:
    return Batch(obs=[o.repeat(times, 1) for o in batch.obs], actions=batch.actions.repeat(times, 1, 1),
                 rewards=batch.rewards.repeat(times, 1), next_obs=[o.repeat(times, 1) for o in batch.next_obs],
                 dones=batch.dones.repeat(times, 1))


def _expected_actor_loss(m: MADDPG, i: int, batch: Batch) -> tuple[float, float]:
    """Exact expectation of the actor loss over the Gumbel noise, and the standard error of a one-sample estimate."""
    with torch.no_grad():
        logits = m.actors[i](batch.obs[i])
        p = torch.softmax(logits, dim=-1).double()
        qs = []
        for k in range(m.n_actions):
            actions = list(batch.actions.unbind(dim=1))
            actions[i] = F.one_hot(torch.full((len(logits),), k), m.n_actions).float()
            qs.append(m.q_value(m.critics[i], i, batch.obs, actions).double())
        q = torch.stack(qs, dim=1)  # (B, A)
        mean_q = (p * q).sum(1)
        var_q = (p * q ** 2).sum(1) - mean_q ** 2
        expected = -mean_q.mean() + ACTOR_LOGIT_PENALTY * (logits.double() ** 2).mean()
        se = torch.sqrt(var_q.clamp(min=0).sum()) / len(logits)
    return expected.item(), se.item()


_ACTOR_HINT = ("loss = -mean Q_i(x, a_1..a_N) + ACTOR_LOGIT_PENALTY * mean(logits_i^2), where logits_i = "
               "actors[i](obs[i]), a_i = gumbel_softmax(logits_i, maddpg.gumbel_tau, hard=True), the other a_j are the "
               "batch's actions, and Q_i is maddpg.critics[i] (not the target critic).")


def _actor_loss_checks(c: _Checks) -> None:
    base, batch = _setup(SEED, 64)
    for i in range(base.n_agents):
        m = _confident(base, i)
        inp = (f"exercise_setup()'s MADDPG with actors[{i}] outputting logits {_fmt(CONFIDENT_LOGITS)} for every "
               f"observation, i={i}, a real batch of 64")
        ref = m.actor_loss(i, batch)
        before = _state(m)
        out = _expect_scalar(_call_on_batch(c, inp, m, i, batch), "the actor loss is a scalar", inp)
        _expect_untouched(m, before, "the loss leaves the networks unchanged", inp)
        if not torch.isclose(out.detach().double(), ref.detach().double(), rtol=1e-5, atol=1e-6):
            hint = _ACTOR_HINT
            penalty = ACTOR_LOGIT_PENALTY * (CONFIDENT_LOGITS ** 2).mean().item()
            if abs(out.item() - (ref.item() - penalty)) < 1e-4:
                hint = f"Your value is the reference minus the logit penalty ({penalty:.3f}): add it. " + hint
            raise _Mismatch("with a confident actor the loss equals MADDPG.actor_loss (it is noise-free)", inp,
                            f"{ref.item():.6f}", f"{out.item():.6f}", hint)
    c.ok("with a confident actor i (noise-free sample), value = MADDPG.actor_loss for every agent i, penalty included")

    big = _repeat(batch, 64)
    for i in range(base.n_agents):
        m = copy.deepcopy(base)
        inp = f"the MADDPG of exercise_setup(), i={i}, a real batch of 64 transitions repeated 64 times (4096 rows)"
        expected, se = _expected_actor_loss(m, i, big)
        _zero_grads(m)
        ref = m.actor_loss(i, big)
        ref.backward()
        ref_grad = torch.cat([p.grad.flatten() for p in m.actors[i].parameters()])
        _zero_grads(m)
        out = _expect_scalar(_call_on_batch(c, inp, m, i, big), "the actor loss is a scalar", inp)
        if abs(out.item() - expected) > Z_MAX * se + 1e-6:
            raise _Mismatch("the loss is right on average over the Gumbel noise", inp,
                            f"{expected:.5f} +- {Z_MAX * se:.5f} (exact expectation +- 5 standard errors)",
                            f"{out.item():.5f}",
                            "a_i must be a sample of softmax(logits_i): the straight-through Gumbel-softmax, not the "
                            "greedy one-hot and not the soft sample. " + _ACTOR_HINT)
        allowed = {f"maddpg.actors[{i}]", f"maddpg.critics[{i}]"}
        if not out.requires_grad:
            raise _Mismatch("the gradient reaches actors[i]", inp, "a loss with a gradient", "no gradient",
                            "Do not compute the loss under torch.no_grad() or detach the action.")
        c.guard(inp + "; then loss.backward()", out.backward)
        for name, net in _nets(m).items():
            if name not in allowed and any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters()):
                raise _Mismatch("the gradient reaches actors[i] (and critics[i]) only", inp,
                                f"gradients only in {', '.join(sorted(allowed))}", f"{name} has a gradient",
                                "Only agent i's action comes from its current actor; the other agents' actions are "
                                "the ones stored in the batch. " + _ACTOR_HINT)
        grads = [p.grad.flatten() if p.grad is not None else torch.zeros(p.numel()) for p in m.actors[i].parameters()]
        grad = torch.cat(grads)
        cos = F.cosine_similarity(grad, ref_grad, dim=0).item() if grad.norm() > 0 else 0.0
        ratio = (grad.norm() / ref_grad.norm()).item()
        if cos < 0.9 or not 0.7 < ratio < 1.4:
            raise _Mismatch("the gradient of actors[i] is the package's", inp,
                            "cosine similarity with MADDPG.actor_loss's gradient > 0.9 and a norm ratio in (0.7, 1.4)",
                            f"cosine similarity {cos:.3f}, norm ratio {ratio:.3f}",
                            "The action a_i must carry the straight-through gradient: "
                            "gumbel_softmax(logits_i, maddpg.gumbel_tau, hard=True). A greedy one-hot "
                            "(onehot_from_logits) passes no gradient from Q to the actor.")
    c.ok("on the real actors, the value matches its exact expectation over the noise (5 standard errors)")
    c.ok("the gradient reaches actors[i] and critics[i] only; actors[i]'s gradient matches the package's")
    c.ok("computing the loss changes no parameter and leaves the batch unchanged")


# ----- exercise 4: the soft update -------------------------------------------------------------------
def check_soft_update(fn) -> CheckResult:
    """Check ``fn(target, source, tau)`` against :func:`maddpg_lite.functional.soft_update`.

    Verified for tau in {0.01, 0.3, 1, 0}, on a small MLP whose parameters require gradients
    and on a MADDPG target critic (which does not): every target parameter becomes
    ``tau * source + (1 - tau) * target`` in place (the same parameter objects), the source is
    unchanged, and the parameters keep their ``requires_grad``. A wrong result is compared
    with the usual mistakes (swapped direction, swapped weights, a plain copy).
    """
    return _run("soft_update", _soft_update_checks, fn, "soft_update(target, source, tau)")


def _small_net(gen: torch.Generator) -> nn.Module:
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return net


def _soft_update_checks(c: _Checks) -> None:
    gen = torch.Generator().manual_seed(4)
    base, _ = _setup(SEED, 64)
    for tau in [0.01, 0.3, 1.0, 0.0]:
        for kind in ["mlp", "maddpg"]:
            if kind == "mlp":
                target, source = _small_net(gen), _small_net(gen)
                what = "two Linear(4,8)-ReLU-Linear(8,3) networks with random weights"
            else:
                m = copy.deepcopy(base)
                target, source = m.target_critics[1], m.critics[1]
                what = "maddpg.target_critics[1], maddpg.critics[1] (exercise_setup())"
            inp = f"target, source = {what}, tau={tau}"
            t_before = [p.detach().clone() for p in target.parameters()]
            s_before = [p.detach().clone() for p in source.parameters()]
            ids = [id(p) for p in target.parameters()]
            flags = [p.requires_grad for p in target.parameters()]
            c.call(inp, target, source, tau)
            check = "target <- tau * source + (1 - tau) * target, in place; source unchanged"
            if [id(p) for p in target.parameters()] != ids:
                raise _Mismatch(check, inp, "the same parameter objects, updated in place",
                                "new parameter objects in the target",
                                "Update the existing tensors in place under torch.no_grad(), e.g. "
                                "p_target.mul_(1 - tau).add_(tau * p) or p_target.copy_(...).")
            for name, (p, old) in zip([n for n, _ in source.named_parameters()], zip(source.parameters(), s_before)):
                if not torch.equal(p.detach(), old):
                    raise _Mismatch(check, inp, f"source.{name} unchanged", f"source.{name} changed",
                                    "Only the target moves (towards the source): did you swap target and source?")
            names = [n for n, _ in target.named_parameters()]
            for name, p, old, s in zip(names, target.parameters(), t_before, s_before):
                expected = tau * s + (1 - tau) * old
                got = p.detach()
                if not torch.allclose(got, expected, rtol=1e-5, atol=1e-6):
                    if torch.equal(got, old) and tau > 0:
                        hint = "The target did not move: update it in place (not a local copy or a new network)."
                    elif torch.allclose(got, (1 - tau) * s + tau * old, rtol=1e-5, atol=1e-6):
                        hint = "You swapped the weights: the target keeps (1 - tau) of itself and takes tau of the source."
                    elif torch.allclose(got, s):
                        hint = "The target became a copy of the source (a hard update); weight them by tau and 1 - tau."
                    else:
                        hint = "theta' <- tau * theta + (1 - tau) * theta', parameter by parameter."
                    raise _Mismatch(check, inp, f"target.{name} = {_fmt(expected, 2)}", _fmt(got, 2), hint)
            if [p.requires_grad for p in target.parameters()] != flags:
                raise _Mismatch("the target keeps its requires_grad flags", inp, f"requires_grad {flags}",
                                f"requires_grad {[p.requires_grad for p in target.parameters()]}",
                                "Do not switch gradients on or off; work under torch.no_grad().")
    c.ok("target <- tau * source + (1 - tau) * target for tau in {0.01, 0.3, 1, 0}, in place (same parameter objects)")
    c.ok("the source is unchanged; parameters keep requires_grad (an MLP that needs gradients, a MADDPG target that does not)")


# ----- answers given as numbers and arrays --------------------------------------------------------
def _expect_array(out, check: str, inp: str, shape, hint: str = "") -> np.ndarray:
    """``out`` as a float64 array of ``shape`` (a list, a tuple, a numpy array or a tensor), or a failed check."""
    want = f"an array of shape {tuple(shape)}"
    if out is None or isinstance(out, (str, bytes, dict)):
        raise _Mismatch(check, inp, want, f"{type(out).__name__}: {_fmt(out)}",
                        hint or "Return the result (did you forget `return`?).")
    try:
        arr = np.asarray(out.detach().cpu() if isinstance(out, torch.Tensor) else out, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Mismatch(check, inp, want, f"{type(out).__name__}: {_fmt(out)}",
                        hint or "Return numbers: a numpy array (or a list of floats).") from None
    if arr.shape != tuple(shape):
        raise _Mismatch(check, inp, want, _fmt(arr), hint or "Check the shape of what you return.")
    if not np.isfinite(arr).all():
        raise _Mismatch(check, inp, "finite values", f"{_fmt(arr)} (contains nan or inf)", hint)
    return arr


def _expect_number(out, check: str, inp: str, whole: bool = False) -> float:
    """``out`` as a float (a whole number when ``whole``), or a failed check."""
    kind = "a whole number (int)" if whole else "a number"
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if isinstance(out, np.ndarray) and out.size == 1:
        out = out.item()
    if isinstance(out, np.generic):
        out = out.item()
    if isinstance(out, bool) or not isinstance(out, (int, float)):
        raise _Mismatch(check, inp, kind, f"{type(out).__name__}: {_fmt(out)}",
                        "Return one number (did you forget `return`?).")
    if not math.isfinite(out) or (whole and out != int(out)):
        raise _Mismatch(check, inp, kind, _fmt(out), "Return a whole number: a count of update rounds." if whole else "")
    return float(out)


def _expect_numbers(out, names: tuple, check: str, inp: str) -> np.ndarray:
    """``out`` as a tuple of ``len(names)`` numbers (e.g. ``("mean", "low", "high")``), or a failed check."""
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        raise _Mismatch(check, inp, f"a tuple ({', '.join(names)})", f"{type(out).__name__}: {_fmt(out)}",
                        f"Return {len(names)} numbers: return {', '.join(names)}.")
    return np.array([_expect_number(v, check, inp) for v in out])


def _match_mistake(got: np.ndarray, variants, default_hint: str, atol: float = 1e-6) -> str:
    """A hint naming every ``(name, value, why)`` of ``variants`` that ``got`` equals (an input cannot always
    tell two mistakes apart), else ``default_hint``."""
    matches = []
    for name, value, why in variants:
        value = np.asarray(value, dtype=np.float64)
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=atol):
            matches.append(f"{name}. {why}")
    if len(matches) == 1:
        return f"Your values match the mistake: {matches[0]}"
    if matches:
        return "On this input your values match each of these mistakes: " + " Or: ".join(matches)
    return default_hint


# ----- lesson 01: what the actors and the critics see ---------------------------------------------
@functools.lru_cache(maxsize=8)
def _mpe2_states(n_good: int, seeds: tuple, steps: int) -> tuple:
    """States of mpe2's own simple_adversary with ``n_good`` good agents, read from its world after
    ``reset(seed)`` and after each of ``steps`` random steps, with the observations and rewards mpe2
    returned there (rewards are None right after a reset)."""
    from .env import make_env

    env = make_env(N=n_good)
    states = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        names = list(env.possible_agents)
        world = env.unwrapped.world
        rng = np.random.default_rng(seed)
        for t in range(steps + 1):
            rewards = None
            if t:
                obs, rew, *_ = env.step({name: int(rng.integers(N_ACTIONS)) for name in names})
                rewards = np.array([rew[name] for name in names], dtype=np.float64)
            states.append(dict(
                n_good=n_good, seed=seed, step=t,
                agent_pos=np.array([a.state.p_pos for a in world.agents], dtype=np.float64),
                landmark_pos=np.array([lm.state.p_pos for lm in world.landmarks], dtype=np.float64),
                target=[lm is world.agents[0].goal_a for lm in world.landmarks].index(True),
                obs=[np.array(obs[name], dtype=np.float64) for name in names], rewards=rewards))
    return tuple(states)


def _state_input(s: dict, extra: str = "") -> str:
    return (f"agent_pos = {_fmt(s['agent_pos'])}, landmark_pos = {_fmt(s['landmark_pos'])}, target = {s['target']}"
            f"{extra}  (mpe2 with N={s['n_good']} good agents, reset(seed={s['seed']}), then {s['step']} random steps)")


def check_observation(fn) -> CheckResult:
    """Check ``fn(agent_pos, landmark_pos, target, i)`` against the observations of mpe2's simple_adversary.

    ``agent_pos`` is ``(N+1, 2)`` (the adversary first), ``landmark_pos`` ``(N, 2)``, ``target`` the
    index of the target landmark, ``i`` the agent. Verified on states of mpe2's own game with N = 2,
    1 and 3 good agents (after a reset and after random steps), for every agent: the returned vector
    equals the observation mpe2 returned there (float32, so to 1e-6). A wrong vector is compared
    with the usual mistakes (self - other, absolute positions, a target slot for the adversary, ...).
    """
    return _run("observation", _observation_checks, fn, "observation(agent_pos, landmark_pos, target, i)")


def _observation_variants(agent_pos, landmark_pos, target, i):
    me = agent_pos[i]
    others = [agent_pos[j] for j in range(len(agent_pos)) if j != i]
    goal = [] if i == 0 else [landmark_pos[target]]
    flat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
    return [
        ("self - other instead of other - self", flat([me - p for p in goal + list(landmark_pos) + others]),
         "Each slot is the position of the thing seen minus the agent's own position."),
        ("absolute positions instead of relative ones", flat(goal + list(landmark_pos) + others),
         "Nobody observes absolute positions: subtract the agent's own position from every slot."),
        ("the other agents before the landmarks", flat([p - me for p in goal + others + list(landmark_pos)]),
         "mpe2's order: (target - self for a good agent), then every landmark, then every other agent."),
    ]


def _observation_checks(c: _Checks) -> None:
    cases = [(2, (0, 1, 2, 3), 3), (1, (0, 1), 1), (3, (0, 1), 1)]
    for n_good, seeds, steps in cases:
        for s in _mpe2_states(n_good, seeds, steps):
            for i, expected in enumerate(s["obs"]):
                inp = _state_input(s, f", i = {i}")
                check = f"observation(...) of agent {i} equals mpe2's (N={n_good} good agents)"
                n = len(expected)
                hint = ""
                out = c.call(inp, s["agent_pos"].copy(), s["landmark_pos"].copy(), s["target"], i)
                if hasattr(out, "__len__") and not isinstance(out, (str, dict)):
                    if i == 0 and len(out) == n + 2:
                        hint = "The adversary is not told the target: its observation has no target slot."
                    elif i > 0 and len(out) == n - 2:
                        hint = "A good agent's observation starts with target - self (2 numbers), then the landmarks."
                    elif len(out) == n + 2:
                        hint = "The other agents are every agent except agent i itself."
                got = _expect_array(out, check, inp, expected.shape,
                                    hint or f"Agent {i} observes {n} numbers here: 2 per thing it sees.")
                if not np.allclose(got, expected, rtol=0, atol=1e-6):
                    hint = _match_mistake(got, _observation_variants(s["agent_pos"], s["landmark_pos"], s["target"], i),
                                          "Slots, in order: (target - self, good agents only), landmark_m - self for "
                                          "every landmark, other - self for every other agent in index order.")
                    raise _Mismatch(check, inp, _fmt(expected), _fmt(got), hint)
    c.ok("equals mpe2's observation for every agent, on 20 states with 2 good agents (after resets and random steps)")
    c.ok("also with 1 and with 3 good agents (N landmarks, N + 1 agents)")


def check_observation_sizes(fn) -> CheckResult:
    """Check ``fn(n_good)`` (the observation size of every agent of simple_adversary with ``n_good``
    good agents, the adversary first) against the observation spaces of mpe2's own game, for
    ``n_good`` in {2, 1, 3, 4, 6}."""
    return _run("observation_sizes", _observation_sizes_checks, fn, "observation_sizes(n_good)")


def _observation_sizes_checks(c: _Checks) -> None:
    from .env import make_env

    for n in [2, 1, 3, 4, 6]:
        env = make_env(N=n)
        expected = [int(env.observation_space(name).shape[0]) for name in env.possible_agents]
        inp = f"n_good = {n}"
        check = f"observation_sizes({n}) equals the sizes of mpe2's observation spaces"
        got = _expect_array(c.call(inp, n), check, inp, (n + 1,),
                            f"Return one size per agent, the adversary first: {n + 1} numbers for n_good = {n}.")
        variants = [
            ("no target slot for the good agents", [4 * n] * (n + 1),
             "Good agents are told the target: their observation starts with target - self (2 numbers)."),
            ("a target slot for the adversary too", [4 * n + 2] * (n + 1),
             "The adversary is not told the target: no target slot for it."),
            ("the agent itself counted among the other agents", [4 * n + 2] + [4 * n + 4] * n,
             "The other agents are the N others (N + 1 agents minus the agent itself)."),
            ("2 landmarks whatever n_good is", [4 + 2 * n] + [6 + 2 * n] * n,
             "simple_adversary has N landmarks, one per good agent (2 in the game we train on)."),
        ]
        if not np.array_equal(got, expected):
            raise _Mismatch(check, inp, str(expected), str([int(v) if v == int(v) else v for v in got]),
                            _match_mistake(got, variants, "2 numbers per thing seen: the target (good agents only), "
                                                          "each landmark, each other agent."))
    c.ok("sizes equal mpe2's observation spaces for n_good in {1, 2, 3, 4, 6} (8, 10, 10 for the game we train on)")


def check_critic_input_sizes(fn) -> CheckResult:
    """Check ``fn(obs_dims, n_actions, centralized=True)`` (the input size of every agent's critic)
    against :meth:`maddpg_lite.maddpg.MADDPG.critic_input_dim`, for MADDPG (``centralized=True``, also
    as the default) and independent DDPG (``False``), for 1 to 6 agents with different observation sizes."""
    return _run("critic_input_sizes", _critic_input_sizes_checks, fn,
                "critic_input_sizes(obs_dims, n_actions, centralized=True)")


def _critic_input_dims(obs_dims, n_actions: int, centralized: bool) -> list[int]:
    """:meth:`MADDPG.critic_input_dim` of every agent, read without building the networks and optimizers."""
    shape = types.SimpleNamespace(obs_dims=tuple(obs_dims), n_agents=len(obs_dims),
                                  action_dims=(n_actions,) * len(obs_dims), centralized=centralized)
    return [MADDPG.critic_input_dim(shape, i) for i in range(len(obs_dims))]


def _critic_input_sizes_checks(c: _Checks) -> None:
    cases = [((8, 10, 10), 5), ((12, 14, 14, 14), 5), ((4, 6), 5), ((3,), 2), ((7, 9, 11, 13, 15, 17), 4)]
    for centralized in [None, True, False]:
        for obs_dims, n_actions in cases:
            expected = _critic_input_dims(obs_dims, n_actions, centralized is not False)
            args = (list(obs_dims), n_actions) + (() if centralized is None else (centralized,))
            inp = f"obs_dims = {list(obs_dims)}, n_actions = {n_actions}" + (
                "" if centralized is None else f", centralized = {centralized}")
            check = ("MADDPG critics (the default): all observations and all actions" if centralized is not False
                     else "independent DDPG critics: own observation and own action")
            got = _expect_array(c.call(inp, *args), check, inp, (len(obs_dims),),
                                "Return one size per agent (a list of ints).")
            n, total = len(obs_dims), sum(obs_dims)
            variants = [
                ("the actions are missing", [total] * n if centralized is not False else list(obs_dims),
                 "A critic Q_i(x, a_1..a_N) reads the actions too, as one-hots of length n_actions."),
                ("only the agent's own action", [total + n_actions] * n,
                 "A centralized critic reads every agent's action: N * n_actions numbers."),
                ("the centralized size for DDPG", [total + n * n_actions] * n,
                 "centralized=False is independent DDPG: critic i reads only o_i and a_i."),
            ]
            if not np.array_equal(got, expected):
                raise _Mismatch(check, inp, str(expected), str([int(v) if v == int(v) else v for v in got]),
                                _match_mistake(got, variants, "MADDPG: sum(obs_dims) + N * n_actions for every agent; "
                                                              "DDPG: obs_dims[i] + n_actions."))
    c.ok("MADDPG: sum(obs_dims) + N * n_actions for every agent (43 in our game), for 1 to 6 agents; centralized "
         "is the default")
    c.ok("independent DDPG (centralized=False): obs_dims[i] + n_actions")


# ----- lesson 02: the Markov game -------------------------------------------------------------------
def check_rewards(fn) -> CheckResult:
    """Check ``fn(agent_pos, landmark_pos, target)`` (every agent's reward, the adversary first) against
    the rewards mpe2 returned after random steps of its own game, with 2, 1 and 3 good agents. A
    wrong value is compared with the usual mistakes (squared distances, each good agent's own
    distance instead of the closest one, no adversary term, ...)."""
    return _run("rewards", _rewards_checks, fn, "rewards(agent_pos, landmark_pos, target)")


def _reward_variants(agent_pos, landmark_pos, target):
    d = np.sqrt(np.sum(np.square(agent_pos - landmark_pos[target]), axis=1))  # (N+1,) distance to the target
    n = len(d) - 1
    d_any = np.sqrt(np.sum(np.square(agent_pos[0] - landmark_pos), axis=1)).min()
    return [
        ("squared distances", [-d[0] ** 2] + [-np.min(d[1:] ** 2) + d[0] ** 2] * n,
         "mpe2 pays plain distances, not squared ones (the original MPE used squares)."),
        ("each good agent's own distance instead of the closest good agent's",
         [-d[0]] + [-d[j] + d[0] for j in range(1, n + 1)],
         "The good agents share one reward: -min_j d(good_j, target) + d(adversary, target)."),
        ("no adversary term in the good agents' reward", [-d[0]] + [-np.min(d[1:])] * n,
         "The good agents also gain when the adversary is far from the target: + d(adversary, target)."),
        ("the signs flipped", [d[0]] + [np.min(d[1:]) - d[0]] * n,
         "Rewards are negative distances: the adversary gets -d(adversary, target)."),
        ("the adversary paid by its nearest landmark", [-d_any] + [-np.min(d[1:]) + d[0]] * n,
         "The adversary is paid by its distance to the target, though it does not know which landmark that is."),
        ("the mean of the good agents' distances instead of the min", [-d[0]] + [-np.mean(d[1:]) + d[0]] * n,
         "Only the good agent closest to the target counts: min, not mean."),
    ]


def _rewards_checks(c: _Checks) -> None:
    for n_good, seeds, steps in [(2, (0, 1, 2, 3), 5), (1, (0, 1), 2), (3, (0, 1), 2)]:
        for s in _mpe2_states(n_good, seeds, steps):
            if s["rewards"] is None:
                continue
            inp = _state_input(s)
            check = f"rewards(...) equal mpe2's rewards (N={n_good} good agents)"
            got = _expect_array(c.call(inp, s["agent_pos"].copy(), s["landmark_pos"].copy(), s["target"]), check, inp,
                                s["rewards"].shape, f"Return one reward per agent, the adversary first ({n_good + 1}).")
            if not np.allclose(got, s["rewards"], rtol=1e-9, atol=1e-9):
                raise _Mismatch(check, inp, _fmt(s["rewards"]), _fmt(got), _match_mistake(
                    got, _reward_variants(s["agent_pos"], s["landmark_pos"], s["target"]),
                    "adversary: -d(adversary, target); each good agent: -min_j d(good_j, target) + d(adversary, target)."))
    c.ok("equal mpe2's rewards after 20 random steps with 2 good agents: -d(adv, target) and -min_j d(good_j, target) "
         "+ d(adv, target)")
    c.ok("also with 1 and 3 good agents (the closest of all good agents counts)")


_DT, _DAMPING, _FORCE, _DIRECTIONS = 0.1, 0.25, 5.0, np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=float)


def check_physics_step(fn) -> CheckResult:
    """Check ``fn(pos, vel, actions)`` -> ``(new_pos, new_vel)`` (one step of mpe2's physics for the
    three agents) against :class:`maddpg_lite.env.VecSimpleAdversary` (which equals mpe2 bit for
    bit), on 40 random states and actions, every action included."""
    return _run("physics_step", _physics_checks, fn, "physics_step(pos, vel, actions)")


def _physics_checks(c: _Checks) -> None:
    rng = np.random.default_rng(5)
    env = VecSimpleAdversary(1, seed=0)
    env.reset()
    for k in range(40):
        pos, vel = rng.uniform(-1, 1, (3, 2)), rng.normal(0, 0.5, (3, 2))
        actions = np.array([k % N_ACTIONS, (k // N_ACTIONS) % N_ACTIONS, rng.integers(N_ACTIONS)])
        env.agent_pos[0], env.agent_vel[0] = pos, vel
        env.step(actions[None])
        expected = (env.agent_pos[0].copy(), env.agent_vel[0].copy())
        inp = f"pos = {_fmt(pos)}, vel = {_fmt(vel)}, actions = {actions.tolist()}"
        check = "(new_pos, new_vel) equal mpe2's after one step"
        out = c.call(inp, pos.copy(), vel.copy(), actions.copy())
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Mismatch(check, inp, "a pair (new_pos, new_vel)", f"{type(out).__name__}: {_fmt(out)}",
                            "Return both arrays: return new_pos, new_vel.")
        new_pos, new_vel = (_expect_array(o, check, inp, (3, 2)) for o in out)
        force = _FORCE * _DIRECTIONS[actions]
        variants = [
            ("the position moved with the new velocity",
             np.concatenate([pos + (vel * (1 - _DAMPING) + force * _DT) * _DT, vel * (1 - _DAMPING) + force * _DT]),
             "mpe2 moves the position with the OLD velocity first, then updates the velocity."),
            ("the damping applied after the force", np.concatenate([pos + vel * _DT, (vel + force * _DT) * (1 - _DAMPING)]),
             "Damp the old velocity, then add the push: v' = v (1 - 0.25) + F dt / m."),
            ("the force not multiplied by dt", np.concatenate([pos + vel * _DT, vel * (1 - _DAMPING) + force]),
             "The push changes the velocity by F dt / m = 5 * 0.1 = 0.5 per step."),
            ("no damping", np.concatenate([pos + vel * _DT, vel + force * _DT]),
             "The velocity keeps 75% of itself each step: damping 0.25."),
            ("up and down swapped", np.concatenate([pos + vel * _DT, vel * (1 - _DAMPING)
                                                    + _FORCE * _DIRECTIONS[[0, 1, 2, 4, 3]][actions] * _DT]),
             "Action 3 pushes down (-y), action 4 up (+y)."),
        ]
        got = np.concatenate([new_pos, new_vel])
        if not np.allclose(got, np.concatenate(expected), rtol=0, atol=1e-12):
            raise _Mismatch(check, inp, f"new_pos = {_fmt(expected[0])}, new_vel = {_fmt(expected[1])}",
                            f"new_pos = {_fmt(new_pos)}, new_vel = {_fmt(new_vel)}",
                            _match_mistake(got, variants, "p' = p + v dt; v' = v (1 - damping) + 5 * direction * dt "
                                                          "(dt = 0.1, damping = 0.25, mass 1).", atol=1e-12))
    c.ok("equals mpe2's physics on 40 random states, every action: p' = p + v dt, then v' = v (1 - 0.25) + F dt")


def check_discounted_return(fn) -> CheckResult:
    """Check ``fn(rewards, gamma)``: ``(T, N)`` rewards -> ``(N,)`` returns ``sum_t gamma^t r_t``, for
    T in {25, 1, 7}, N in {3, 1}, gamma in {0.95, 0, 1, 0.5}; the rewards must not be modified."""
    return _run("discounted_return", _discounted_return_checks, fn, "discounted_return(rewards, gamma)")


def _discounted_return_checks(c: _Checks) -> None:
    rng = np.random.default_rng(6)
    for T, N in [(25, 3), (1, 3), (7, 1)]:
        for gamma in [0.95, 0.0, 1.0, 0.5]:
            rewards = rng.normal(-1, 1, (T, N))
            inp = f"rewards = {_fmt(rewards)} (shape {(T, N)}), gamma = {gamma}"
            check = "G_i = sum_t gamma^t r_i^t, one per agent"
            given = rewards.copy()
            got = _expect_array(c.call(inp, given, gamma), check, inp, (N,),
                                "Sum over the time axis (axis 0): one return per agent.")
            if not np.array_equal(given, rewards):
                raise _Mismatch("the rewards are left unchanged", inp, "rewards unchanged", "rewards modified in place",
                                "Compute a new array; avoid in-place operations such as *=.")
            t = np.arange(T)[:, None]
            expected = (gamma ** t * rewards).sum(axis=0)
            variants = [
                ("the discount starts at gamma^1", (gamma ** (t + 1) * rewards).sum(axis=0),
                 "The first reward is not discounted: gamma^0 = 1."),
                ("the discount applied backwards", (gamma ** (T - 1 - t) * rewards).sum(axis=0),
                 "gamma^t weighs the reward of step t: the LAST rewards count least."),
                ("no discount", rewards.sum(axis=0), "Multiply the reward of step t by gamma^t."),
            ]
            if not np.allclose(got, expected, rtol=1e-9, atol=1e-9):
                raise _Mismatch(check, inp, _fmt(expected), _fmt(got), _match_mistake(
                    got, variants, "G_i = sum_t gamma^t r_i^t with t = 0, 1, ..., T - 1.", atol=1e-9))
    c.ok("sum_t gamma^t r_t per agent, for T in {1, 7, 25}, gamma in {0, 0.5, 0.95, 1}")
    c.ok("the rewards are not modified")


# ----- lesson 05: the schedule and the evaluation ----------------------------------------------------
def _update_schedule(episodes: int, num_envs: int, update_interval: int, minimal_size: int,
                     episode_length: int = EPISODE_LENGTH, before_add: bool = False) -> list[int]:
    """Update rounds after each ``env.step()`` of K = ``num_envs`` games, as :func:`maddpg_lite.train`
    schedules them (the replay buffer assumed large enough): after step j, ``env_steps = j K``; each
    multiple of ``update_interval`` crossed gives one round if the buffer holds ``minimal_size``
    transitions, and none otherwise (boundaries crossed while the buffer warms up are skipped).
    ``before_add``: the buffer is measured before the step's K transitions are stored.
    tests/test_training_loop.py checks this against train()."""
    counts, mark = [], 0
    for j in range(1, episodes // num_envs * episode_length + 1):
        stored = (j - 1) * num_envs if before_add else j * num_envs
        new_mark = j * num_envs // update_interval
        counts.append(new_mark - mark if stored >= minimal_size else 0)
        mark = new_mark
    return counts


def check_update_rounds(fn) -> CheckResult:
    """Check ``fn(episodes, num_envs, update_interval, minimal_size, episode_length=25)`` (the number of
    update rounds :func:`maddpg_lite.train` performs) on the source recipe, the quick recipe and small
    schedules with one game, K games that cross several boundaries per step, and no warm-up."""
    return _run("update_rounds", _update_rounds_checks, fn,
                "update_rounds(episodes, num_envs, update_interval, minimal_size, episode_length=25)")


_ROUNDS_CASES = [  # (episodes, num_envs, update_interval, minimal_size, episode_length or None for the default)
    (200, 50, 100, 1000, None), (5000, 50, 100, 4000, None), (6, 1, 10, 45, None), (10, 1, 100, 0, None),
    (8, 4, 10, 18, 7), (50, 25, 10, 60, 5), (100, 100, 30, 500, None), (4, 4, 1000, 0, None), (20, 10, 7, 600, None),
]


def _update_rounds_checks(c: _Checks) -> None:
    for episodes, K, interval, minimal, length in _ROUNDS_CASES:
        L = EPISODE_LENGTH if length is None else length
        args = (episodes, K, interval, minimal) + (() if length is None else (length,))
        inp = (f"episodes={episodes}, num_envs={K}, update_interval={interval}, minimal_size={minimal}"
               + ("" if length is None else f", episode_length={length}"))
        check = "the number of update rounds train() performs"
        expected = sum(_update_schedule(episodes, K, interval, minimal, L))
        got = _expect_number(c.call(inp, *args), check, inp, whole=True)
        if got != expected:
            S, steps = episodes * L, episodes // K * L
            variants = [
                ("every boundary counted, the warm-up ignored", S // interval,
                 "No round happens while the buffer holds fewer than minimal_size transitions, and the boundaries "
                 "crossed then are skipped, not made up later."),
                ("boundaries counted from minimal_size on", max(S - minimal, 0) // interval,
                 "The boundaries are multiples of update_interval counted from the start of training, not from "
                 "minimal_size."),
                ("one round per env.step() call once the buffer is warm",
                 sum(1 for j in range(1, steps + 1) if j * K >= minimal),
                 "One round per update_interval ENVIRONMENT steps: K games make K environment steps per env.step()."),
                ("env.step() calls counted as environment steps",
                 sum(j // interval - (j - 1) // interval for j in range(1, steps + 1) if j * K >= minimal)
                 if K > 1 else -1,
                 "Each env.step() advances K games: env_steps grows by K per call."),
                ("only exact multiples counted (env_steps % update_interval == 0)",
                 sum(1 for j in range(1, steps + 1) if j * K >= minimal and j * K % interval == 0),
                 "With K games env_steps jumps by K and can pass a multiple of update_interval without hitting it "
                 "(or pass several): count the boundaries crossed, env_steps // update_interval."),
            ]
            hint = "Follow env_steps = j * K after the j-th env.step(): each multiple of update_interval crossed " \
                   "gives a round if the buffer (j * K transitions) holds minimal_size."
            names = [f"{name}. {why}" for name, value, why in variants if got == value]
            if len(names) == 1:
                hint = f"Your count matches the mistake: {names[0]}"
            elif names:
                hint = "Here your count matches each of these mistakes: " + " Or: ".join(names)
            raise _Mismatch(check, inp, str(expected), _fmt(got), hint)
    c.ok("the source recipe (5000 episodes, 50 games, every 100 steps from 4000 on): 1211 rounds; the quick one: 41")
    c.ok("one game, K games crossing several boundaries per env.step(), no warm-up, a run too short for any round")


def check_evaluation_returns(fn) -> CheckResult:
    """Check ``fn(policy, episodes, seed)`` -> ``(episodes, 3)`` undiscounted returns of the greedy
    evaluation episodes that start from ``reset(seeds=[seed + j ...])``: their mean and standard
    deviation per agent must equal those of :func:`maddpg_lite.evaluate`, for a no-op, a random and
    a MADDPG policy, 1 to 100 episodes and three seeds."""
    return _run("evaluation_returns", _evaluation_checks, fn, "evaluation_returns(policy, episodes, seed)")


def _evaluation_checks(c: _Checks) -> None:
    from .evaluation import EVAL_SEED, evaluate, greedy_policy, noop_policy, random_policy

    policies = [("noop_policy()", noop_policy), ("random_policy(3)", lambda: random_policy(3)),  # built when used:
                ("the greedy policy of exercise_setup()'s MADDPG", lambda: greedy_policy(exercise_setup()[0]))]
    for episodes, seed in [(10, EVAL_SEED), (1, 0), (100, 7)]:
        for label, make in policies:
            inp = f"policy = {label}, episodes = {episodes}, seed = {seed}"
            check = "mean and std of the returns per agent equal maddpg_lite.evaluate's"
            ref = evaluate(make(), episodes, seed)
            got = _expect_array(c.call(inp, make(), episodes, seed), check, inp, (episodes, 3),
                                "One row per episode, one column per agent (adversary_0, agent_0, agent_1).")
            mean, std = got.mean(axis=0), got.std(axis=0)
            ref_mean = np.array(list(ref["returns"].values()))
            ref_std = np.array(list(ref["returns_std"].values()))
            if not (np.allclose(mean, ref_mean, rtol=1e-6, atol=1e-6) and np.allclose(std, ref_std, rtol=1e-6, atol=1e-6)):
                hint = ("Episode j starts from env.reset(seeds=[seed + j for j in range(episodes)]) in one "
                        "VecSimpleAdversary(episodes); play all 25 steps with env.step(policy(obs)) and add up the "
                        "rewards, undiscounted.")
                if np.allclose(mean, ref_mean / EPISODE_LENGTH, rtol=1e-3):
                    hint = "Your values look like the mean reward per step: a return is the SUM of the 25 rewards."
                raise _Mismatch(check, inp, f"mean {_fmt(ref_mean)}, std {_fmt(ref_std)}",
                                f"mean {_fmt(mean)}, std {_fmt(std)}", hint)
    c.ok("the same returns as maddpg_lite.evaluate (mean and std per agent) for no-op, random and MADDPG policies")
    c.ok("1, 10 and 100 episodes, episode j from reset(seed + j), for three seeds")


def check_mean_ci(fn) -> CheckResult:
    """Check ``fn(values, z=1.96)`` -> ``(mean, half_width)`` with ``half_width = z * s / sqrt(n)`` (s the
    sample standard deviation, ``ddof=1``): values for n in {2, 5, 50, 1000} and z in {1.96 (default),
    2.58, 1}; fewer than 2 values raise ``ValueError``; and over 4000 simulated evaluations of 50
    episodes the 95% interval covers the true mean 92% to 97% of the time."""
    return _run("mean_ci", _mean_ci_checks, fn, "mean_ci(values, z=1.96)")


def _mean_ci_checks(c: _Checks) -> None:
    rng = np.random.default_rng(7)
    check = "(mean, z * s / sqrt(n)) with the sample standard deviation s (ddof=1)"
    for n in [2, 5, 50, 1000]:
        for z in [None, 2.58, 1.0]:
            values = rng.normal(-20, 4, n)
            args = (values.copy(),) + (() if z is None else (z,))
            inp = f"values = {_fmt(values)} (n = {n})" + ("" if z is None else f", z = {z}")
            got = _expect_numbers(c.call(inp, *args), ("mean", "half_width"), check, inp)
            zz = 1.96 if z is None else z
            s = values.std(ddof=1)
            expected = np.array([values.mean(), zz * s / math.sqrt(n)])
            if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
                variants = [
                    ("the standard deviation with ddof=0", [values.mean(), zz * values.std() / math.sqrt(n)],
                     "Use the sample standard deviation, np.std(values, ddof=1): with few episodes it matters."),
                    ("the standard deviation instead of the standard error", [values.mean(), zz * s],
                     "The mean of n values varies like s / sqrt(n), the standard error."),
                    ("divided by n instead of sqrt(n)", [values.mean(), zz * s / n], "Divide s by sqrt(n)."),
                    ("the variance instead of the standard deviation", [values.mean(), zz * s ** 2 / math.sqrt(n)],
                     "Take the square root of the variance."),
                    ("z ignored", [values.mean(), 1.96 * s / math.sqrt(n)], "Use the z you are given."),
                    ("the interval's ends instead of (mean, half_width)",
                     [expected[0] - expected[1], expected[0] + expected[1]], "Return (mean, half_width)."),
                ]
                raise _Mismatch(check, inp, f"({expected[0]:.6g}, {expected[1]:.6g})", f"({got[0]:.6g}, {got[1]:.6g})",
                                _match_mistake(got, variants, "mean = values.mean(); half_width = z * "
                                                              "values.std(ddof=1) / sqrt(n).", atol=1e-12))
    c.ok("mean and z * s / sqrt(n) with ddof=1, for n in {2, 5, 50, 1000} and z in {1.96 (the default), 2.58, 1}")
    for values in [np.array([3.0]), np.array([])]:
        c.expect_raises(ValueError, f"values = {_fmt(values)}", "One value has no spread: raise ValueError(...) when "
                                                                "there are fewer than 2 values.", values)
    c.ok("fewer than 2 values raise ValueError")
    true_mean, covered, trials = -20.0, 0, 4000
    samples = rng.normal(true_mean, 4, (trials, 50))
    for row in samples:
        mean, half = c.call("4000 samples of 50 values from a normal distribution with mean -20", row)
        covered += abs(mean - true_mean) <= half
    if not 0.92 <= covered / trials <= 0.97:
        raise _Mismatch("the 95% interval covers the true mean about 95% of the time",
                        "4000 simulated evaluations of 50 episodes (normal, mean -20, sd 4)", "92% to 97%",
                        f"{covered / trials:.1%}", "half_width = 1.96 * s / sqrt(n) by default.")
    c.ok(f"over {trials} simulated evaluations of 50 episodes, the 95% interval covers the true mean "
         f"{covered / trials:.1%} of the time")


# ----- lesson 06: comparing two methods over seeds -----------------------------------------------------
def check_paired_ci(fn) -> CheckResult:
    """Check ``fn(a, b, level=0.95)`` -> ``(mean, low, high)``: the mean of the per-seed differences
    ``a - b`` and its Student-t interval ``mean -+ t_{(1+level)/2, n-1} s / sqrt(n)`` (``s`` with
    ``ddof=1``), against :func:`maddpg_lite.study.mean_ci` of the differences, for n in {3, 10, 30}
    and two levels; mistakes named: an unpaired interval, the normal 1.96 instead of t, ddof=0;
    fewer than 2 pairs or unequal lengths raise ``ValueError``."""
    return _run("paired_ci", _paired_ci_checks, fn, "paired_ci(a, b, level=0.95)")


def _paired_ci_checks(c: _Checks) -> None:
    from .study import mean_ci, t_quantile

    rng = np.random.default_rng(11)
    check = "(mean, low, high) of the differences a - b, with Student's t and ddof=1"
    for n in [3, 10, 30]:
        for level in [None, 0.9]:
            seed_effect = rng.normal(0, 3, n)  # what both methods share on a seed: pairing cancels it
            a = -15 + seed_effect + rng.normal(1.0, 0.5, n)
            b = -15 + seed_effect + rng.normal(0.0, 0.5, n)
            args = (a.copy(), b.copy()) + (() if level is None else (level,))
            inp = f"a = {_fmt(a)}, b = {_fmt(b)} (n = {n})" + ("" if level is None else f", level = {level}")
            got = _expect_numbers(c.call(inp, *args), ("mean", "low", "high"), check, inp)
            lv = 0.95 if level is None else level
            ref = mean_ci(a - b, lv)
            expected = np.array([ref["mean"], ref["low"], ref["high"]])
            if not np.allclose(got, expected, rtol=1e-6, atol=1e-9):
                d = a - b
                mean, s, t = d.mean(), d.std(ddof=1), t_quantile(0.5 + lv / 2, n - 1)
                unpaired_half = t * math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
                z = {0.95: 1.959964, 0.9: 1.644854}[lv]
                variants = [
                    ("an unpaired interval (the spread of a and b separately)", [mean, mean - unpaired_half, mean + unpaired_half],
                     "Pair by seed: take the differences d = a - b first, then the interval of their mean."),
                    ("the normal quantile instead of Student's t", [mean, mean - z * s / math.sqrt(n), mean + z * s / math.sqrt(n)],
                     "With few seeds use Student's t with n - 1 degrees of freedom (study.t_quantile)."),
                    ("ddof=0", [mean, mean - t * d.std() / math.sqrt(n), mean + t * d.std() / math.sqrt(n)],
                     "Use the sample standard deviation, ddof=1."),
                    ("the level ignored", [mean, mean - t_quantile(0.975, n - 1) * s / math.sqrt(n),
                                           mean + t_quantile(0.975, n - 1) * s / math.sqrt(n)], "Use the level you are given."),
                ]
                raise _Mismatch(check, inp, _fmt(list(expected)), _fmt(list(got)),
                                _match_mistake(got, variants, "d = a - b; half = t_quantile(0.5 + level / 2, n - 1) "
                                                              "* d.std(ddof=1) / sqrt(n); return d.mean(), d.mean() - half, "
                                                              "d.mean() + half.", atol=1e-6))
    c.ok("the mean and Student-t interval of the per-seed differences, n in {3, 10, 30}, levels 0.95 and 0.9")
    c.expect_raises(ValueError, "a = [1.0], b = [2.0]", "One pair has no spread: raise ValueError for fewer than 2 pairs.",
                    np.array([1.0]), np.array([2.0]))
    c.expect_raises(ValueError, "a of length 3, b of length 2", "Pairs need equal lengths: raise ValueError.",
                    np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0]))
    c.ok("fewer than 2 pairs, or unequal lengths, raise ValueError")


def check_episodes_to_threshold(fn) -> CheckResult:
    """Check ``fn(episodes, returns, threshold, window)`` -> the first evaluation episode after which
    the smoothed return (:func:`maddpg_lite.plots.smooth`) stays above ``threshold`` to the end, or
    None, against :func:`maddpg_lite.study.episodes_to_threshold` on hand-made and random curves;
    mistakes named: the first crossing instead of "stays above", no smoothing."""
    return _run("episodes_to_threshold", _episodes_to_threshold_checks, fn,
                "episodes_to_threshold(episodes, returns, threshold, window)")


def _episodes_to_threshold_checks(c: _Checks) -> None:
    from .plots import smooth
    from .study import episodes_to_threshold

    check = "the first evaluation after which the smoothed return stays above the threshold (None if it ends below)"
    episodes = np.arange(100, 1100, 100)
    curves = [
        ("crosses once", [-30, -28, -25, -20, -18, -17, -16, -16, -15, -15], -21, 1),
        ("crosses, dips back, crosses again", [-30, -20, -25, -18, -22, -17, -16, -16, -15, -15], -21, 1),
        ("never stays above", [-30, -20, -25, -18, -22, -17, -16, -16, -15, -25], -21, 1),
        ("above from the start", [-10] * 10, -21, 1),
        ("noisy, smoothed over 3", [-30, -19, -26, -18, -24, -19, -17, -22, -16, -15], -21, 3),
    ]
    rng = np.random.default_rng(3)
    for k in range(6):
        curves.append((f"random curve {k}", list(np.cumsum(rng.normal(0.5, 2, 10)) - 25), -21, int(rng.choice([1, 3, 5]))))
    for name, returns, threshold, window in curves:
        r = np.array(returns, dtype=float)
        inp = f"{name}: returns = {_fmt(r)}, threshold = {threshold}, window = {window}"
        got = c.call(inp, episodes.copy(), r.copy(), threshold, window)
        expected = episodes_to_threshold(episodes, r, threshold, window)
        if got is not None:
            got = _expect_number(got, check, inp, whole=True)
        if got != expected:
            s = smooth(r, window)
            first_cross = next((int(e) for e, v in zip(episodes, s) if v > threshold), None)
            raw = episodes_to_threshold(episodes, r, threshold, 1)
            hint = "From then on to the end: look for the LAST evaluation at or below the threshold."
            if got is None:
                hint = ("None means the smoothed curve ends at or below the threshold, which it does not here "
                        "(did you forget `return`?). " + hint)
            elif got == first_cross and first_cross != expected:
                hint = "That is the first crossing; the return must stay above the threshold from then on. " + hint
            elif got == raw and raw != expected:
                hint = "Smooth the curve first: smooth(returns, window) from maddpg_lite.plots."
            raise _Mismatch(check, inp, repr(expected), repr(got), hint)
    c.ok(f"{len(curves)} curves: single and repeated crossings, never, from the start, with and without smoothing")


# ----- lesson 07: deception, measured -----------------------------------------------------------------
def _scenes(rng, k: int):
    """``k`` hand-made and random final positions: agent_pos (k, 3, 2), landmark_pos (k, 2, 2), target (k,)."""
    landmark_pos = rng.uniform(-1, 1, (k, 2, 2))
    target = rng.integers(0, 2, k)
    agent_pos = rng.uniform(-1.5, 1.5, (k, 3, 2))
    idx = np.arange(k)
    # a third of the agents placed near a landmark, some just inside or outside 0.23 and 0.4
    near = rng.random((k, 3)) < 0.35
    which = rng.integers(0, 2, (k, 3))
    angle = rng.uniform(0, 2 * np.pi, (k, 3))
    radius = rng.choice([0.1, 0.2, 0.22, 0.24, 0.3, 0.38, 0.42], (k, 3))  # the boundaries: in hand-made scenes
    offset = np.stack([np.cos(angle), np.sin(angle)], -1) * radius[..., None]
    placed = landmark_pos[idx[:, None], which] + offset
    agent_pos = np.where(near[..., None], placed, agent_pos)
    return agent_pos, landmark_pos, target


def check_success_rates(fn) -> CheckResult:
    """Check ``fn(agent_pos, landmark_pos, target)`` -> ``(good_success, adversary_success)``, two
    ``(K,)`` boolean arrays (the paper's metric: a good agent / the adversary strictly within 0.4 of
    the target), against :meth:`maddpg_lite.env.VecSimpleAdversary.deception_flags` on hand-made and
    random scenes; mistakes named: ``<=`` instead of ``<``, the decoy, agent_0 only, ``d^2 < 0.4``."""
    return _run("success_rates", _success_checks, fn, "success_rates(agent_pos, landmark_pos, target)")


def _flags(agent_pos, landmark_pos, target) -> dict:
    env = VecSimpleAdversary(len(target))
    env.agent_pos, env.landmark_pos, env.target = agent_pos.copy(), landmark_pos.copy(), target.copy()
    return env.deception_flags()


def _success_checks(c: _Checks) -> None:
    from .env import SUCCESS_DISTANCE

    rng = np.random.default_rng(5)
    check = "(good_success, adversary_success): a good agent / the adversary strictly within 0.4 of the target"
    # hand-made: exactly 0.4 from the target is not a success
    # (scene 0: a good agent near the decoy, none within 0.4 of the target)
    # (scene 2: everyone 0.5 from the target, outside 0.4 but with d^2 = 0.25 < 0.4)
    hand = (np.array([[[-0.6, 0.0], [-1.0, 0.4], [1.0, 0.1]], [[-1.0, 0.39], [9.0, 9.0], [-1.0, -0.3]],
                      [[-0.5, 0.0], [-1.0, 0.5], [-1.5, 0.0]]]),
            np.array([[[-1.0, 0.0], [1.0, 0.0]]] * 3), np.array([0, 0, 0]))
    for name, (agent_pos, landmark_pos, target) in [("hand-made, agents exactly 0.4 and 0.39 from the target", hand),
                                                    ("200 random scenes", _scenes(rng, 200))]:
        inp = f"{name}: agent_pos {agent_pos.shape}, landmark_pos {landmark_pos.shape}, target {target.shape}"
        out = c.call(inp, agent_pos.copy(), landmark_pos.copy(), target.copy())
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Mismatch(check, inp, "a pair of (K,) boolean arrays", f"{type(out).__name__}: {_fmt(out)}",
                            "Return both: return good_success, adversary_success.")
        got = np.stack([_expect_array(o, check, inp, target.shape) for o in out]).astype(bool)
        flags = _flags(agent_pos, landmark_pos, target)
        expected = np.stack([flags["good_success"], flags["adversary_success"]])
        if not np.array_equal(got, expected):
            idx = np.arange(len(target))
            d = np.linalg.norm(agent_pos[:, :, None] - landmark_pos[:, None], axis=-1)
            dt, dd = d[idx, :, target], d[idx, :, 1 - target]
            variants = [
                ("<= instead of <", np.stack([dt[:, 1:].min(1) <= SUCCESS_DISTANCE, dt[:, 0] <= SUCCESS_DISTANCE]),
                 "'Within 0.4' is strict: an agent exactly 0.4 away does not succeed."),
                ("the decoy instead of the target", np.stack([dd[:, 1:].min(1) < SUCCESS_DISTANCE, dd[:, 0] < SUCCESS_DISTANCE]),
                 "Use landmark_pos[k, target[k]], the target; the other landmark is the decoy."),
                ("agent_0 only", np.stack([dt[:, 1] < SUCCESS_DISTANCE, dt[:, 0] < SUCCESS_DISTANCE]),
                 "The good team succeeds when EITHER good agent (columns 1 and 2) is within 0.4."),
                ("the squared distance compared with 0.4", np.stack([(dt[:, 1:] ** 2).min(1) < SUCCESS_DISTANCE,
                                                                     dt[:, 0] ** 2 < SUCCESS_DISTANCE]),
                 "Compare the distance itself, sqrt(dx^2 + dy^2), with 0.4."),
            ]
            raise _Mismatch(check, inp, _fmt(expected.astype(int)), _fmt(got.astype(int)),
                            _match_mistake(got.astype(float), [(n, v.astype(float), w) for n, v, w in variants],
                                           "Distance of every agent to the target; good: min over agents 1 and 2 < 0.4; "
                                           "adversary: agent 0 < 0.4."))
    c.ok("hand-made scenes at the 0.4 boundary and 200 random scenes agree with the package's flags")


def check_split(fn) -> CheckResult:
    """Check ``fn(agent_pos, landmark_pos)`` -> ``(K,)`` booleans: two DIFFERENT good agents on the two
    landmarks, one each ("on" = centres within 0.23), against the package's ``all_landmarks_covered``;
    mistakes named: one agent touching both landmarks counts, the adversary counts."""
    return _run("split", _split_checks, fn, "split(agent_pos, landmark_pos)")


def _split_checks(c: _Checks) -> None:
    from .env import ON_LANDMARK_DISTANCE

    rng = np.random.default_rng(6)
    check = "two different good agents, one on each landmark (centres within 0.23)"
    close = np.array([[[0.0, 0.0], [0.4, 0.0]]] * 4)
    hand = (np.array([[[0.0, 1.0], [0.2, 0.0], [2.0, 2.0]],     # one good agent touches both: no split
                      [[0.0, 1.0], [0.2, 0.0], [0.45, 0.05]],   # the partner on the second landmark: split
                      [[0.4, 0.0], [0.0, 0.0], [5.0, 5.0]],     # the adversary on the other landmark: no split
                      [[9.0, 9.0], [0.0, 0.22], [0.4, -0.22]]]),  # both 0.22 away: on, a split
            close, np.zeros(4, dtype=int))
    for name, (agent_pos, landmark_pos, target) in [("hand-made, landmarks 0.4 apart", hand),
                                                    ("200 random scenes", _scenes(rng, 200))]:
        inp = f"{name}: agent_pos {agent_pos.shape}, landmark_pos {landmark_pos.shape}"
        got = _expect_array(c.call(inp, agent_pos.copy(), landmark_pos.copy()), check, inp, target.shape).astype(bool)
        expected = _flags(agent_pos, landmark_pos, target)["all_landmarks_covered"]
        if not np.array_equal(got, expected):
            on = np.linalg.norm(agent_pos[:, :, None] - landmark_pos[:, None], axis=-1) <= ON_LANDMARK_DISTANCE
            variants = [
                ("every landmark has some good agent on it (one agent may cover both)", on[:, 1:, :].any(1).all(1),
                 "One agent between two close landmarks touches both; the split needs two DIFFERENT agents: "
                 "(agent_0 on L0 and agent_1 on L1) or (agent_0 on L1 and agent_1 on L0)."),
                ("the adversary counted as a good agent", on.any(1).all(1),
                 "Only agents 1 and 2 are good agents; column 0 is the adversary."),
            ]
            raise _Mismatch(check, inp, _fmt(expected.astype(int)), _fmt(got.astype(int)),
                            _match_mistake(got.astype(float), [(n, v.astype(float), w) for n, v, w in variants],
                                           "on = distance <= 0.23; split = (on[1,L0] & on[2,L1]) | (on[1,L1] & on[2,L0])."))
    c.ok("hand-made scenes (one agent on two close landmarks, the adversary on a landmark) and 200 random scenes")


def check_expected_penalty(fn) -> CheckResult:
    """Check ``fn(points, landmarks, adversary_reward)`` -> ``(K,)``: the adversary's expected penalty
    at each point when the target is either landmark with probability 1/2, ``(d_0 + d_1) / 2`` for
    ``"distance"`` and ``(d_0^2 + d_1^2) / 2`` for ``"squared"``; mistakes named: the sum instead of
    the mean, the distance under "squared", one landmark only."""
    return _run("expected_penalty", _penalty_checks, fn, "expected_penalty(points, landmarks, adversary_reward)")


def _penalty_checks(c: _Checks) -> None:
    rng = np.random.default_rng(8)
    check = "the mean over the two landmarks of d (distance) or d^2 (squared)"
    for reward in ["distance", "squared"]:
        points, landmarks = rng.uniform(-1.5, 1.5, (50, 2)), rng.uniform(-1, 1, (50, 2, 2))
        points[0] = landmarks[0].mean(0)  # the midpoint
        points[1] = landmarks[1, 0]  # on a landmark
        inp = f"50 points and landmark pairs, adversary_reward = {reward!r}"
        got = _expect_array(c.call(inp, points.copy(), landmarks.copy(), reward), check, inp, (50,))
        d = np.linalg.norm(points[:, None] - landmarks, axis=-1)  # (K, 2)
        expected = d.mean(1) if reward == "distance" else (d ** 2).mean(1)
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            other = (d ** 2).mean(1) if reward == "distance" else d.mean(1)
            variants = [("the sum instead of the mean", 2 * expected, "Each landmark is the target with probability 1/2."),
                        ("the other reward's formula", other, "distance: (d0 + d1) / 2; squared: (d0^2 + d1^2) / 2."),
                        ("the first landmark only", d[:, 0] if reward == "distance" else d[:, 0] ** 2,
                         "Average over both landmarks: the adversary does not know which one is the target.")]
            raise _Mismatch(check, inp, _fmt(expected), _fmt(got), _match_mistake(got, variants, "d = distances to both "
                                                                                  "landmarks; return d.mean(1) or (d**2).mean(1)."))
    c.ok("both rewards on 50 points, including a midpoint and a landmark")


# ----- lesson 08: another game ------------------------------------------------------------------------
TAG_GAMES = (  # (num_good, num_adversaries, num_obstacles, seeds, random steps after each reset)
    (1, 3, 2, (0, 1, 2, 3), 3),  # mpe2's default game: observations of 16 (adversaries) and 14 (the good agent)
    (2, 2, 3, (0, 1), 3),  # two good agents: a good agent sees the other good agent's velocity
)
"""The simple_tag_v3 games of :func:`check_tag_observation`."""


@functools.lru_cache(maxsize=4)
def _tag_states(num_good: int, num_adversaries: int, num_obstacles: int, seeds: tuple, steps: int) -> tuple:
    """States of mpe2's own simple_tag_v3: a copy of its ``World`` after ``reset(seed)`` and after each of
    ``steps`` random steps, with the observations mpe2 returned there (float32, agents in mpe2's order)."""
    from mpe2 import simple_tag_v3

    env = simple_tag_v3.parallel_env(num_good=num_good, num_adversaries=num_adversaries,
                                     num_obstacles=num_obstacles, max_cycles=EPISODE_LENGTH)
    env.unwrapped.screen = None  # render-only surface, never drawn here
    names = list(env.possible_agents)
    states = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        for t in range(steps + 1):
            if t:
                obs, *_ = env.step({name: int(rng.integers(env.action_space(name).n)) for name in names})
            states.append(dict(game=(num_good, num_adversaries, num_obstacles), seed=seed, step=t, names=names,
                               world=copy.deepcopy(env.unwrapped.world), obs=[np.array(obs[n]) for n in names]))
    return tuple(states)


def _tag_input(s: dict, i: int) -> str:
    good, adversaries, obstacles = s["game"]
    w = s["world"]
    pos = np.array([a.state.p_pos for a in w.agents])
    vel = np.array([a.state.p_vel for a in w.agents])
    obstacle_pos = np.array([lm.state.p_pos for lm in w.landmarks])
    return (f"world = mpe2's simple_tag_v3 ({adversaries} adversaries, {good} good agent{'s' if good > 1 else ''}, "
            f"{obstacles} obstacles) after reset(seed={s['seed']}) and {s['step']} random "
            f"step{'' if s['step'] == 1 else 's'}, with the agents' p_pos = {_short(pos)}, p_vel = {_short(vel)}, "
            f"the obstacles' p_pos = {_short(obstacle_pos)}; i = {i} ({s['names'][i]})")


def _short(x: np.ndarray) -> str:
    """A small array on one line, rounded to 3 decimals."""
    return str((np.round(x, 3) + 0.0).tolist())


def _loose_array(out) -> np.ndarray | None:
    """``out`` as a flat float64 array whatever its shape, or None when it is not numbers."""
    if out is None or isinstance(out, (str, bytes, dict)):
        return None
    try:
        return np.asarray(out.detach().cpu() if isinstance(out, torch.Tensor) else out, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None


def check_tag_observation(fn) -> CheckResult:
    """Check ``fn(world, i)`` against the observations of mpe2's own simple_tag_v3.

    ``world`` is mpe2's ``World`` (``env.unwrapped.world``), ``i`` the index of an agent in
    ``world.agents``. Verified on states of the real game (after random steps and after resets), for every
    agent: the returned vector, cast to float32, equals the observation mpe2 returned there
    (``Scenario.observation(...).astype(np.float32)``), in mpe2's default game (3 adversaries of size 16,
    1 good agent of size 14, 2 obstacles) and with 2 adversaries, 2 good agents and 3 obstacles (a good agent
    sees the other good agent's velocity). A wrong vector, of any length, is compared with the usual mistakes:
    absolute positions, the velocities of every other agent or of none, own velocity missing, a wrong order, ...
    """
    return _run("tag_observation", _tag_observation_checks, fn, "tag_observation(world, i)")


def _tag_observation_variants(world, i: int):
    me = world.agents[i]
    p, v = me.state.p_pos, me.state.p_vel
    others = [a for a in world.agents if a is not me]
    obstacles = [lm.state.p_pos for lm in world.landmarks if not lm.boundary]
    rel_obstacles = [q - p for q in obstacles]
    rel_others = [o.state.p_pos - p for o in others]
    good_vel = [o.state.p_vel for o in others if not o.adversary]
    flat = np.concatenate
    velocity_rule = ("Velocities are observed for the other GOOD agents only (`if not o.adversary`): the "
                     "adversaries see the prey's velocity, nobody sees an adversary's.")
    order = "mpe2's order: own velocity, own position, obstacles, other agents, other good agents' velocities."
    return [
        ("absolute positions instead of relative ones",
         flat([v, p] + obstacles + [o.state.p_pos for o in others] + good_vel),
         "Only the agent's own position is absolute: every obstacle and every other agent is seen as its "
         "position minus the agent's own."),
        ("self - other instead of other - self", flat([v, p] + [-x for x in rel_obstacles + rel_others] + good_vel),
         "Each relative slot is the position of the thing seen minus the agent's own position."),
        ("the velocities of every other agent, adversaries included",
         flat([v, p] + rel_obstacles + rel_others + [o.state.p_vel for o in others]), velocity_rule),
        ("the adversaries' velocities instead of the good agents'",
         flat([v, p] + rel_obstacles + rel_others + [o.state.p_vel for o in others if o.adversary]), velocity_rule),
        ("the other good agents' velocities in the adversaries' observations only",
         flat([v, p] + rel_obstacles + rel_others + (good_vel if me.adversary else [])),
         "A good agent sees the velocity of every OTHER good agent too: the rule depends on who is seen, not on "
         "who looks."),
        ("no velocities of the other agents", flat([v, p] + rel_obstacles + rel_others),
         "After the relative positions come the velocities of the other good agents (not relative)."),
        ("the agent's own velocity missing", flat([p] + rel_obstacles + rel_others + good_vel),
         "The observation starts with the agent's own velocity (p_vel), then its own position."),
        ("the agent's own position missing", flat([v] + rel_obstacles + rel_others + good_vel),
         "Unlike simple_adversary, simple_tag gives each agent its own absolute position, after its velocity."),
        ("own position before own velocity (wrong order)", flat([p, v] + rel_obstacles + rel_others + good_vel), order),
        ("the other agents before the obstacles (wrong order)", flat([v, p] + rel_others + rel_obstacles + good_vel),
         order),
        ("the agent itself among the other agents",
         flat([v, p] + rel_obstacles + [a.state.p_pos - p for a in world.agents]
              + [a.state.p_vel for a in world.agents if not a.adversary]),
         "The other agents are every agent except agent i itself (`if o is not agent`)."),
    ]


def _tag_observation_checks(c: _Checks) -> None:
    for num_good, num_adversaries, num_obstacles, seeds, steps in TAG_GAMES:
        states = _tag_states(num_good, num_adversaries, num_obstacles, seeds, steps)
        for s in sorted(states, key=lambda s: s["step"] == 0):  # moving states first: velocities are not 0
            for i, expected in enumerate(s["obs"]):
                inp = _tag_input(s, i)
                check = (f"tag_observation(world, i) of {s['names'][i]} equals mpe2's observation (simple_tag_v3 with "
                         f"{num_adversaries} adversaries, {num_good} good agent{'s' if num_good > 1 else ''}, "
                         f"{num_obstacles} obstacles)")
                out = c.call(inp, copy.deepcopy(s["world"]), i)
                loose = _loose_array(out)
                if (loose is not None and loose.shape == expected.shape and out is not None
                        and np.shape(out) == expected.shape
                        and np.array_equal(loose.astype(np.float32), expected)):
                    continue
                world = s["world"]
                n_others_good = sum(not a.adversary for j, a in enumerate(world.agents) if j != i)
                hint = (f"{s['names'][i]} observes {len(expected)} numbers here: own velocity (2), own position (2), "
                        f"2 per obstacle ({2 * num_obstacles}), 2 per other agent "
                        f"({2 * (len(world.agents) - 1)}), and the velocity of each other GOOD agent "
                        f"({2 * n_others_good}).")
                if loose is not None:
                    if loose.shape == expected.shape and np.array_equal(loose.astype(np.float32), expected):
                        hint = "Return one flat vector: np.concatenate of the slots, shape (obs_dim,)."
                    elif loose.shape == expected.shape and np.allclose(loose, expected, rtol=0, atol=1e-6):
                        hint = ("Your values differ from mpe2's only in the last float32 digits: compute in "
                                "float64, as the world stores positions and velocities; mpe2 casts to float32 at "
                                "the very end (observe() returns .astype(np.float32)).")
                    else:
                        hint = _match_mistake(loose, _tag_observation_variants(world, i), hint)
                got = _expect_array(out, check, inp, expected.shape, hint)
                raise _Mismatch(check, inp, _fmt(expected), _fmt(got), hint)
    c.ok("equals mpe2's float32 observation for every agent (16 numbers for an adversary, 14 for the good agent) "
         "on 16 states of the default game (3 adversaries, 1 good agent, 2 obstacles), after random steps and resets")
    c.ok("also with 2 adversaries, 2 good agents and 3 obstacles (20 and 18 numbers: a good agent sees the other "
         "good agent's velocity)")


@functools.lru_cache(maxsize=4)
def _spread_episodes(n: int, num_envs: int, seed: int) -> dict:
    """``num_envs`` episodes of mpe2's simple_spread_v3 with ``N = n`` under seeded random actions, one frame
    per step (the state after it), through the package's :class:`~maddpg_lite.games.Mpe2VecGame` (real mpe2):
    ``agent_pos`` ``(T, K, n, 2)``, ``landmark_pos`` ``(T, K, n, 2)``; per frame ``(T, K)``: ``minus_global_reward``
    (minus mpe2's ``Scenario.global_reward`` of each world) and ``collisions`` (the package's
    :func:`~maddpg_lite.games.spread_metrics`); ``radius_sum``: the sum of two agents' radii (0.15 + 0.15)."""
    from mpe2.simple_spread.simple_spread import Scenario

    from .games import Mpe2VecGame, spread_metrics

    game = Mpe2VecGame("simple_spread_v3", num_envs, seed=seed, N=n)
    game.reset()
    rng = np.random.default_rng(seed)
    scenario = Scenario()
    frames = {"agent_pos": [], "landmark_pos": [], "minus_global_reward": [], "collisions": []}
    for _ in range(game.max_cycles):
        game.step(rng.integers(0, game.action_dims[0], size=(num_envs, n)))
        agents, landmarks = game.positions()
        frames["agent_pos"].append(agents)
        frames["landmark_pos"].append(landmarks)
        frames["minus_global_reward"].append([-scenario.global_reward(w) for w in game.worlds])
        frames["collisions"].append(spread_metrics(game)["collisions"])
    sizes = [a.size for a in game.worlds[0].agents]
    game.close()
    out = {key: np.array(value, dtype=np.float64) for key, value in frames.items()}
    out["radius_sum"] = float(sizes[0] + sizes[1])
    return out


SPREAD_GAMES = ((3, 16, 0), (5, 8, 1))
"""(N, episodes, seed) of the simple_spread_v3 episodes that the lesson-08 checkers replay."""


def check_spread_min_dist_sum(fn) -> CheckResult:
    """Check ``fn(agent_pos, landmark_pos)`` -> ``(K,)``: for each of K states, the sum over landmarks of the
    nearest agent's distance (the public replication's cooperative-navigation metric, ``min_dist_sum`` of
    :func:`maddpg_lite.games.spread_metrics`), with ``agent_pos`` ``(K, n, 2)`` and ``landmark_pos`` ``(K, m, 2)``.

    Verified on hand-made positions with known answers (n = m, n < m, n > m), on 300 random states with 1 to 5
    agents and landmarks, and on every frame of random episodes of mpe2's own simple_spread_v3 (N = 3 and 5),
    where it must equal minus mpe2's ``Scenario.global_reward``. Mistakes named: each agent's nearest landmark
    instead of each landmark's nearest agent, the mean instead of the sum, squared distances.
    """
    return _run("spread_min_dist_sum", _min_dist_sum_checks, fn, "spread_min_dist_sum(agent_pos, landmark_pos)")


def _min_dist_sum_variants(agent_pos, landmark_pos):
    d = np.sqrt(np.sum(np.square(agent_pos[:, :, None] - landmark_pos[:, None]), axis=-1))  # (K, n, m)
    return [
        ("each agent's nearest landmark instead of each landmark's nearest agent", d.min(axis=2).sum(axis=1),
         "Take the minimum over the AGENTS (axis 1 of the (K, n, m) distances) for each landmark, then sum over "
         "the landmarks: every landmark wants someone on it. Three agents on one landmark score 0 your way."),
        ("the mean over the landmarks instead of the sum", d.min(axis=1).mean(axis=1),
         "Sum over the landmarks (minus mpe2's global reward is a sum)."),
        ("squared distances", np.square(d).min(axis=1).sum(axis=1),
         "Use the distance itself, sqrt(dx^2 + dy^2), not its square."),
        ("the sum over every agent and landmark", d.sum(axis=(1, 2)),
         "For each landmark keep only the NEAREST agent's distance (min over the agents), then sum."),
    ]


def _min_dist_sum_checks(c: _Checks) -> None:
    check = "the sum over landmarks of the nearest agent's distance, for each of the K states"
    hint = ("d = distances of every agent to every landmark, shape (K, n, m); return d.min(axis=1).sum(axis=1): "
            "for each landmark its nearest agent, summed over the landmarks.")
    hand = [  # (name, agent_pos, landmark_pos, the known answer)
        ("3 agents on 3 landmarks (0); 3 agents at the origin, landmarks at (3, 4), (0, 1), (-1, 0) (5 + 1 + 1 = 7)",
         [[[0, 0], [1, 0], [0, 1]], [[0, 0], [0, 0], [0, 0]]], [[[0, 0], [1, 0], [0, 1]], [[3, 4], [0, 1], [-1, 0]]],
         [0.0, 7.0]),
        ("2 agents at (0, 0), (2, 0); 3 landmarks at (0, 1), (2, -3), (1, 0) (1 + 3 + 1 = 5)",
         [[[0, 0], [2, 0]]], [[[0, 1], [2, -3], [1, 0]]], [5.0]),
        ("3 agents at (0, 0), (0, 2), (5, 5); 2 landmarks at (0, 1), (3, 4) (1 + sqrt(5))",
         [[[0, 0], [0, 2], [5, 5]]], [[[0, 1], [3, 4]]], [1 + math.sqrt(5)]),
    ]
    cases = [(f"hand-made: {name}", np.array(a, dtype=np.float64), np.array(m, dtype=np.float64), np.array(answer))
             for name, a, m, answer in hand]
    rng = np.random.default_rng(13)
    for n, m in [(3, 3), (2, 4), (4, 2), (1, 5), (5, 1)]:
        a, lm = rng.uniform(-1.5, 1.5, (60, n, 2)), rng.uniform(-1, 1, (60, m, 2))
        cases.append((f"60 random states with {n} agents and {m} landmarks", a, lm,
                      np.sqrt(np.sum(np.square(a[:, :, None] - lm[:, None]), axis=-1)).min(axis=1).sum(axis=1)))
    for n, episodes, seed in SPREAD_GAMES:
        e = _spread_episodes(n, episodes, seed)
        T = len(e["agent_pos"])
        cases.append((f"the {T * episodes} frames of {episodes} random episodes of mpe2's simple_spread_v3 with N={n} "
                      f"(seed {seed}), expected = minus mpe2's Scenario.global_reward",
                      e["agent_pos"].reshape(T * episodes, n, 2), e["landmark_pos"].reshape(T * episodes, n, 2),
                      e["minus_global_reward"].reshape(-1)))
    for name, agent_pos, landmark_pos, expected in cases:
        inp = f"{name}: agent_pos of shape {agent_pos.shape}, landmark_pos of shape {landmark_pos.shape}"
        if len(agent_pos) <= 2:
            inp += f" = {_short(agent_pos)} and {_short(landmark_pos)}"
        got = _expect_array(c.call(inp, agent_pos.copy(), landmark_pos.copy()), check, inp, expected.shape,
                            "Return one number per state: shape (K,).")
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-9):
            raise _Mismatch(check, inp, _fmt(expected), _fmt(got),
                            _match_mistake(got, _min_dist_sum_variants(agent_pos, landmark_pos), hint, atol=1e-9))
    c.ok("hand-made states with known answers: 0, 7, 5 and 1 + sqrt(5) (as many agents as landmarks, fewer, more)")
    c.ok("300 random states with 1 to 5 agents and landmarks")
    c.ok("minus mpe2's Scenario.global_reward on every frame of random simple_spread_v3 episodes, N = 3 and 5")


def check_episode_collisions(fn) -> CheckResult:
    """Check ``fn(agent_pos, radius_sum)`` -> ``(K,)``: per game, the number of colliding agent pairs summed over
    the T frames of ``agent_pos`` ``(T, K, n, 2)``; a pair collides when its centres are strictly closer than
    ``radius_sum`` (mpe2's ``Scenario.is_collision``).

    Verified on hand-made frames with known answers (pairs exactly ``radius_sum`` apart, which do not collide, and
    three agents on top of each other), with two radii, and on random episodes of mpe2's own simple_spread_v3
    (N = 3 and 5, radius_sum = 0.15 + 0.15), where it must equal the sum over the frames of the package's
    :func:`maddpg_lite.games.spread_metrics` ``collisions``. Mistakes named: ordered pairs (each collision counted
    twice), an agent colliding with itself, ``<=`` instead of ``<``, the squared distance, frames with a collision
    instead of colliding pairs.
    """
    return _run("episode_collisions", _collisions_checks, fn, "episode_collisions(agent_pos, radius_sum)")


def _collisions_variants(agent_pos, radius_sum):
    T, K, n, _ = agent_pos.shape
    d = np.sqrt(np.sum(np.square(agent_pos[:, :, :, None] - agent_pos[:, :, None]), axis=-1))  # (T, K, n, n)
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    pairs = lambda close: np.sum(close & upper, axis=(2, 3))  # noqa: E731  (T, K)
    return [
        ("ordered pairs (each collision counted twice)", 2 * pairs(d < radius_sum).sum(axis=0),
         "A collision of agents j and k is ONE pair: count j < k only (the upper triangle), not (j, k) and (k, j)."),
        ("each agent colliding with itself", (pairs(d < radius_sum) + n).sum(axis=0),
         "An agent is at distance 0 from itself: leave out the diagonal j == k."),
        ("ordered pairs and each agent with itself", np.sum(d < radius_sum, axis=(2, 3)).sum(axis=0),
         "Count each unordered pair j < k once: the upper triangle of the (n, n) matrix, without its diagonal."),
        ("<= instead of <", pairs(d <= radius_sum).sum(axis=0),
         "mpe2's is_collision is strict: centres exactly radius_sum apart do not collide."),
        ("the squared distance compared with radius_sum", pairs(np.square(d) < radius_sum).sum(axis=0),
         "Compare the distance sqrt(dx^2 + dy^2) with radius_sum (or the squared distance with radius_sum ** 2)."),
        ("frames with a collision instead of colliding pairs", (pairs(d < radius_sum) > 0).sum(axis=0),
         "Count every colliding pair in every frame: two pairs colliding at once are 2."),
    ]


def _collisions_checks(c: _Checks) -> None:
    check = "colliding pairs (centres strictly closer than radius_sum) counted in every frame, summed over the frames"
    hint = ("d = (T, K, n, n) distances between agents; count (d < radius_sum) over pairs j < k only (np.triu(..., "
            "k=1)), then sum over the pairs and over the frames: shape (K,).")
    frames = np.array([
        [[[0, 0], [0.5, 0], [5, 5]],  # exactly 0.5 apart: no collision
         [[0, 0], [0.25, 0], [0, 0.25]],  # three pairs
         [[0, 0], [0.375, 0], [9, 9]],  # one pair
         [[0, 0], [0.625, 0], [-0.625, 0]]],  # 0.625 apart: none (0.625^2 < 0.5, though)
        [[[1, 1], [1, 1], [1, 1]],  # three agents on top of each other: three pairs
         [[-1, -1], [1, 1], [1, -1]],  # far apart
         [[0, 0], [0, 0.5], [0, -0.5]],  # exactly 0.5 apart twice: none
         [[0, 0], [0, 0.25], [3, 3]]],  # one pair
    ], dtype=np.float64)  # (T=2, K=4, n=3, 2)
    cases = [("hand-made, 2 frames of 4 games, pairs exactly 0.5 apart and three agents on one spot", frames, 0.5,
              np.array([3.0, 3.0, 1.0, 1.0])),
             ("the same frames with radius_sum = 0.25 (pairs exactly 0.25 apart do not collide)", frames, 0.25,
              np.array([3.0, 0.0, 0.0, 0.0]))]
    for n, episodes, seed in SPREAD_GAMES:
        e = _spread_episodes(n, episodes, seed)
        cases.append((f"{episodes} random episodes of mpe2's simple_spread_v3 with N={n} (seed {seed}), expected = "
                      f"the sum over frames of spread_metrics(game)['collisions']", e["agent_pos"], e["radius_sum"],
                      e["collisions"].sum(axis=0)))
    for name, agent_pos, radius_sum, expected in cases:
        inp = f"{name}: agent_pos of shape {agent_pos.shape}, radius_sum = {radius_sum:g}"
        got = _expect_array(c.call(inp, agent_pos.copy(), radius_sum), check, inp, expected.shape,
                            "Return one count per game: shape (K,), summed over the T frames (axis 0) and the pairs.")
        if not np.array_equal(got, expected):
            raise _Mismatch(check, inp, _fmt(expected), _fmt(got),
                            _match_mistake(got, _collisions_variants(agent_pos, radius_sum), hint))
    c.ok("hand-made frames with known answers: pairs exactly radius_sum apart do not collide, three agents on one "
         "spot are 3 pairs, frames add up; radius_sum = 0.5 and 0.25")
    c.ok("the sum over frames of spread_metrics' collisions in random simple_spread_v3 episodes, N = 3 and 5")


# ----- capstone: the training loop --------------------------------------------------------------------
def _joint_obs(obs: dict) -> np.ndarray:
    """``{name: (K, d)}`` -> ``(K, 28)`` float32: x = (o_1, o_2, o_3) of every game."""
    return np.concatenate([np.asarray(obs[name], dtype=np.float32) for name in AGENTS], axis=1)


class _RecordingEnv(VecSimpleAdversary):
    """The game, logging every ``reset()`` and ``step()``: what was really played, to compare the
    replay buffer and the update rounds of a student's loop with."""

    def __init__(self, num_envs: int, seed: int, max_cycles: int):
        super().__init__(num_envs, seed=seed, max_cycles=max_cycles)
        self.events = []
        """``("reset", x)`` and ``("step", x, actions (K, N) ints, rewards (K, N), x', terminated (K,))``."""
        self.step_calls = 0

    def reset(self, *args, **kwargs):
        obs = super().reset(*args, **kwargs)
        self.events.append(("reset", _joint_obs(obs)))
        return obs

    def step(self, actions):
        x = _joint_obs(self.observations())
        obs, rewards, terminated, truncated = super().step(actions)
        self.step_calls += 1
        self.events.append(("step", x, np.array(actions, copy=True), np.array(rewards, dtype=np.float64),
                            _joint_obs(obs), np.array(terminated, copy=True)))
        return obs, rewards, terminated, truncated


_LOOP_CASES = {  # (num_envs K, episodes, episode_length, update_interval, minimal_size)
    # minimal_size is never a buffer length reached exactly at a boundary, so ">" and ">=" agree
    "one game": [(1, 6, 25, 10, 45), (1, 3, 7, 5, 12)],
    "K games": [(1, 6, 25, 10, 45), (4, 8, 7, 10, 18), (25, 50, 5, 10, 60)],
}
LEARN_CONFIG = dict(episodes=1000, num_envs=50, minimal_size=1000, batch_size=256)
"""The run of the "learns" check: the default Config otherwise (updates every 100 environment steps)."""
LEARN_EVAL_EPISODES = 500
"""Fixed-seed evaluation episodes that compare the trained adversary with a random one."""

_LOOP_SIGNATURE = "(maddpg, buffer, env, config, rng)"


def check_training_loop(fn, num_envs: int | None = None) -> CheckResult:
    """Check a training loop ``fn(maddpg, buffer, env, config, rng) -> number of update rounds``.

    The loop plays ``config.episodes`` episodes in the ``env.num_envs`` games of ``env`` (a
    :class:`~maddpg_lite.env.VecSimpleAdversary` with ``max_cycles = config.episode_length``): it
    resets the games, acts with ``maddpg.act(obs, explore=True)``, steps, stores every transition in
    ``buffer`` and runs ``maddpg.update(buffer.sample(config.batch_size, rng))`` on the schedule of
    :func:`maddpg_lite.train`. The checker records what the game really played and every update
    call, then verifies, on small runs:

    1. every episode starts with ``env.reset()`` and lasts ``config.episode_length`` steps, and
       ``config.episodes // K`` rounds of K games are played;
    2. the buffer holds each step's transitions once, exactly as played: x, the one-hot actions
       sent, the rewards, x' (the real next observation, also at the last step: never the
       observation of the next reset) and done = 0 (the time limit is not a termination);
    3. the actions explore (Gumbel-softmax samples, not the greedy actions);
    4. no update round before the buffer holds ``minimal_size`` transitions; then one round per
       ``update_interval`` environment steps (K per ``env.step()``), at the step where a multiple of
       ``update_interval`` is crossed, with batches of ``batch_size`` (measuring the buffer before
       or after storing the step's transitions are both accepted);
    5. the returned number equals the update rounds run;
    6. (``num_envs=None`` only) it learns: after ``LEARN_CONFIG`` (1000 episodes, 50 games), the
       adversary scores better than a random adversary against the same good agents on 500
       fixed-seed episodes (more than 3 standard errors).

    Args:
        fn: the student's loop.
        num_envs: 1 checks the one-game loop (runs with K = 1, no learning run); None (default)
            checks the K-games loop with K = 1, 3 and 25, then the learning run with K = 50.
    """
    if num_envs not in (None, 1):
        raise ValueError(f"num_envs must be 1 (one game) or None (K games), got {num_envs!r}")
    name = fn.__name__ if callable(fn) and hasattr(fn, "__name__") and fn.__name__ != "<lambda>" else "training_loop"
    return _run(name, functools.partial(_loop_checks, games="one game" if num_envs == 1 else "K games"), fn,
                name + _LOOP_SIGNATURE, answers="training_loop")


def _loop_config(case, **extra):
    from .config import Config

    K, episodes, length, interval, minimal = case
    return Config(episodes=episodes, num_envs=K, episode_length=length, update_interval=interval,
                  minimal_size=minimal, **extra)


def _loop_run(c: _Checks, case) -> dict:
    """Run the student's loop on one small case, recording the game and every update call."""
    K, episodes, length, interval, minimal = case
    config = _loop_config(case, batch_size=16, hidden_dim=16, buffer_size=max(16, episodes * length))
    maddpg = MADDPG.from_config(config)
    initial_actors = copy.deepcopy(maddpg.actors)
    buffer = ReplayBuffer(config.buffer_size, OBS_DIMS, N_ACTIONS)
    env = _RecordingEnv(K, seed=100 * K + 1, max_cycles=length)
    calls = []
    original = maddpg.update

    def update(*args, **kwargs):  # the package's update, counted
        calls.append(dict(step=env.step_calls, stored=len(buffer), batch=args[0] if args else kwargs.get("batch")))
        return original(*args, **kwargs)

    maddpg.update = update
    inp = (f"config = Config(episodes={episodes}, num_envs={K}, episode_length={length}, update_interval={interval}, "
           f"minimal_size={minimal}, batch_size=16, hidden_dim=16); env = VecSimpleAdversary({K}, "
           f"max_cycles={length}); buffer = an empty ReplayBuffer; maddpg = MADDPG.from_config(config)")
    out = c.call(inp, maddpg, buffer, env, config, np.random.default_rng(SEED))
    return dict(case=case, config=config, inp=inp, out=out, env=env, buffer=buffer, calls=calls,
                initial_actors=initial_actors)


def _loop_episodes_check(run: dict) -> None:
    K, episodes, length, _, _ = run["case"]
    inp, events = run["inp"], run["env"].events
    check = (f"every episode starts with env.reset() and lasts {length} steps; {episodes // K} rounds of {K} "
             f"game{'s' if K > 1 else ''}")
    if events and events[0][0] == "step" or not events:
        raise _Mismatch(check, inp, "env.reset() before the first step", "env.step() before any env.reset()" if events
                        else "no env.reset() and no env.step() at all",
                        "Start every episode with obs = env.reset(); the game is not reset for you.")
    blocks = []
    for event in events:
        if event[0] == "reset":
            blocks.append(0)
        else:
            blocks[-1] += 1
    if len(blocks) > 1 and blocks[-1] == 0:
        blocks = blocks[:-1]  # a reset after the last episode is harmless
    wrong = [n for n in blocks if n != length]
    if wrong:
        hint = (f"Play config.episode_length = {length} steps per episode (for t in range(config.episode_length)), "
                "then reset.")
        if len(blocks) < episodes // K and wrong[0] % length == 0:
            hint = (f"{wrong[0]} steps without a reset: call env.reset() at the start of every episode "
                    "(the game is not reset for you). " + hint)
        raise _Mismatch(check, inp, f"{episodes // K} episodes of {length} steps (between two resets)",
                        f"an episode of {wrong[0]} steps; steps between resets: {blocks[:8]}"
                        + (" ..." if len(blocks) > 8 else ""), hint)
    if len(blocks) != episodes // K:
        hint = (f"config.episodes = {episodes} counts single games; every env.reset() starts {K} of them, so play "
                f"config.episodes // env.num_envs = {episodes // K} rounds.")
        raise _Mismatch(check, inp, f"{episodes // K} rounds of {K} game{'s' if K > 1 else ''}", f"{len(blocks)} rounds",
                        hint)


def _loop_transitions_check(run: dict) -> None:
    K, episodes, length, _, _ = run["case"]
    inp, events, buffer = run["inp"], run["env"].events, run["buffer"]
    check = ("the buffer holds every transition once, as played: (x, a, r, x', done) with x' the real next "
             "observation and done = 0")
    played = [e for e in events if e[0] == "step"]
    n = len(played) * K
    size = len(buffer)
    if size != n:
        hint = ("Store each step's K transitions once: buffer.add(obs, actions, rewards, next_obs, dones) right after "
                "env.step().")
        if size == 0:
            hint = "Nothing was stored in `buffer` (the ReplayBuffer passed in). " + hint
        raise _Mismatch(check, inp, f"{n} transitions ({len(played)} env.step() calls x {K} games)",
                        f"{size} transitions in the buffer", hint)
    x = np.concatenate(buffer.obs, axis=1)[:size]
    x_next = np.concatenate(buffer.next_obs, axis=1)[:size]
    rows_of = {}  # x -> rows storing it (x repeats when nobody moves, e.g. everyone "stays" right after a reset)
    for r, row in enumerate(x):
        rows_of.setdefault(row.tobytes(), []).append(r)
    next_reset = {}  # index of a step event -> the x of the reset that follows it, if it ends an episode
    for idx in range(len(events) - 1):
        if events[idx][0] == "step" and events[idx + 1][0] == "reset":
            next_reset[idx] = events[idx + 1][1]
    eye = np.eye(N_ACTIONS, dtype=np.float32)

    def problem(r, k, xs_k, sent, reward, xs_next_k, idx, last):
        """The first field of row r that differs from the played transition: (what, expected, got, hint) or None."""
        stored_a = buffer.actions[r]
        if not (np.array_equal(stored_a.argmax(-1), sent) and np.allclose(stored_a, eye[sent], atol=1e-5)):
            return ("the actions", f"one-hots of the actions sent, {sent.tolist()}", _fmt(stored_a),
                    "Store the (K, N, A) one-hots maddpg.act returned; their argmax(-1) is what goes to env.step().")
        if not np.allclose(buffer.rewards[r], reward, rtol=1e-6, atol=1e-6):
            return ("the rewards", _fmt(reward), _fmt(buffer.rewards[r]),
                    "Store the rewards env.step() returned for this step, unchanged.")
        if not np.array_equal(x_next[r], xs_next_k):
            hint = "x' is the observation env.step() returned for this step."
            if idx in next_reset and np.array_equal(x_next[r], next_reset[idx][k]):
                hint = ("Your x' of the last step is the observation of the NEXT episode's reset: bootstrapping from "
                        "the reset observation. The time limit does not end the world: store the real x' that "
                        "env.step() returned, and reset only after storing it.")
            elif np.array_equal(x_next[r], xs_k):
                hint = "Your x' equals x: store next_obs (what env.step() returned), not obs."
            return ("x'", _fmt(xs_next_k), _fmt(x_next[r]), hint)
        if np.any(buffer.dones[r] != 0):
            hint = "done = terminated (always False in this game), never truncated: the last step still bootstraps."
            if last:
                hint = "done = 1 at the episode's last step: the time limit (truncated) is not a termination. " + hint
            return ("done", "done = 0 for every agent", _fmt(buffer.dones[r]), hint)
        return None

    t_in_episode = 0
    for idx, event in enumerate(events):
        if event[0] == "reset":
            t_in_episode = 0
            continue
        _, xs, actions, rewards, xs_next, _ = event
        t_in_episode += 1
        for k in range(K):
            where = f"step {t_in_episode} of an episode, game {k}"
            sent = np.asarray(actions[k]).astype(int)
            rows = rows_of.get(xs[k].tobytes(), [])
            if not rows:
                raise _Mismatch(check, inp, f"a stored transition whose x is the observation before {where}",
                                "no stored transition has that x",
                                "x is the observation the actions were chosen from: buffer.add(obs, ...) with the obs "
                                "you passed to maddpg.act, then obs = next_obs for the next step.")
            found = [(r, problem(r, k, xs[k], sent, rewards[k], xs_next[k], idx, t_in_episode == length)) for r in rows]
            exact = [r for r, p in found if p is None]
            if not exact:
                what, expected, got, hint = found[0][1]
                raise _Mismatch(f"{check} ({where}: {what})", inp, expected, got, hint)
            rows.remove(exact[0])


def _loop_exploration_check(run: dict) -> None:
    K, *_ = run["case"]
    inp, events, calls = run["inp"], run["env"].events, run["calls"]
    first = calls[0]["step"] if calls else run["env"].step_calls
    steps = [e for e in events if e[0] == "step"][:first]  # played with the initial actors
    if len(steps) * K < 20:
        return
    x = torch.as_tensor(np.concatenate([e[1] for e in steps]))
    sent = np.concatenate([e[2] for e in steps])  # (n, N)
    bounds = np.cumsum((0,) + OBS_DIMS)
    with torch.no_grad():
        greedy = np.stack([actor(x[:, bounds[i]:bounds[i + 1]]).argmax(-1).numpy()
                           for i, actor in enumerate(run["initial_actors"])], axis=1)
    share = float((greedy == sent).mean())
    if share > 0.9:
        raise _Mismatch("the actions explore (Gumbel-softmax samples, not greedy)", inp,
                        "about 20-40% of the actions equal the greedy ones (the untrained actors are unsure)",
                        f"{share:.0%} of {sent.size} actions before the first update are the greedy ones",
                        "Act with maddpg.act(obs, explore=True) while training; explore=False is for evaluation.")


def _loop_schedule_check(run: dict, games: str) -> None:
    K, episodes, length, interval, minimal = run["case"]
    inp, calls, config = run["inp"], run["calls"], run["config"]
    n_steps = run["env"].step_calls
    check = (f"update rounds: none before the buffer holds minimal_size = {minimal}, then one per "
             f"update_interval = {interval} environment steps")
    early = [call for call in calls if call["stored"] < minimal]
    if early:
        raise _Mismatch(check, inp, f"no update while len(buffer) < {minimal}",
                        f"an update with {early[0]['stored']} transitions in the buffer",
                        "Updating before the buffer is warm: check len(buffer) >= config.minimal_size before each "
                        "update round.")
    for call in calls:
        batch = call["batch"]
        for b in batch if isinstance(batch, (list, tuple)) and not isinstance(batch, Batch) else [batch]:
            if isinstance(b, Batch) and len(b.actions) != config.batch_size:
                raise _Mismatch(check + ", batches of batch_size", inp, f"batches of {config.batch_size}",
                                f"a batch of {len(b.actions)}", "buffer.sample(config.batch_size, rng).")
    got = [0] * n_steps
    for call in calls:
        got[max(call["step"], 1) - 1] += 1
    expected = _update_schedule(episodes, K, interval, minimal, length)
    if got in (expected, _update_schedule(episodes, K, interval, minimal, length, before_add=True)):
        return
    total = sum(got)
    variants = [
        ("one update round per env.step() (per K games) instead of one per update_interval environment steps",
         sum(1 for j in range(1, n_steps + 1) if j * K >= minimal)),
        ("env.step() calls counted as environment steps: K games make K environment steps per call",
         sum(j // interval - (j - 1) // interval for j in range(1, n_steps + 1) if j * K >= minimal) if K > 1 else -1),
        ("only exact multiples counted (env_steps % update_interval == 0): with K games env_steps jumps by K and can "
         "pass a multiple without hitting it, or pass several; count the boundaries crossed, env_steps // "
         "update_interval", sum(1 for j in range(1, n_steps + 1) if j * K >= minimal and j * K % interval == 0)),
        ("boundaries crossed while the buffer warmed up were made up later; they are skipped",
         n_steps * K // interval),
    ]
    hint = ("After each env.step(), env_steps += K; run one round for each multiple of update_interval crossed "
            "(env_steps // update_interval went up), if len(buffer) >= minimal_size.")
    names = [name for name, value in variants if total == value and total != sum(expected)]
    if len(names) == 1:
        hint = f"Your loop matches the mistake: {names[0]}."
    elif names:
        hint = "On this run your loop matches each of these mistakes: " + " Or: ".join(n + "." for n in names)
    first = next(j for j, (a, b) in enumerate(zip(got, expected)) if a != b)
    raise _Mismatch(check, inp, f"{sum(expected)} rounds in all; after env.step() call {first + 1}: {expected[first]}",
                    f"{total} rounds in all; after env.step() call {first + 1}: {got[first]}", hint)


def _loop_return_check(run: dict) -> None:
    check = "returns the number of update rounds it ran"
    got = _expect_number(run["out"], check, run["inp"], whole=True)
    if got != len(run["calls"]):
        raise _Mismatch(check, run["inp"], str(len(run["calls"])), _fmt(run["out"]),
                        "Count the maddpg.update(...) calls and return that number.")


def _loop_learns_check(c: _Checks) -> str:
    from .evaluation import evaluate, random_policy, team_policy

    from .config import Config

    config = Config(**LEARN_CONFIG)
    maddpg = MADDPG.from_config(config)
    buffer = ReplayBuffer(config.buffer_size, OBS_DIMS, N_ACTIONS)
    env = VecSimpleAdversary(config.num_envs, seed=SEED, max_cycles=config.episode_length)
    inp = (f"config = Config(episodes={config.episodes}, num_envs={config.num_envs}, minimal_size={config.minimal_size}, "
           f"batch_size={config.batch_size}) (updates every {config.update_interval} steps, hidden layers of "
           f"{config.hidden_dim}), a fresh MADDPG, buffer and VecSimpleAdversary({config.num_envs})")
    rounds = c.call(inp, maddpg, buffer, env, config, np.random.default_rng(SEED))
    trained = evaluate(maddpg, LEARN_EVAL_EPISODES)
    random_adv = evaluate(team_policy(random_policy(0), maddpg), LEARN_EVAL_EPISODES)
    a, r = trained["returns"]["adversary_0"], random_adv["returns"]["adversary_0"]
    se = math.hypot(trained["returns_std"]["adversary_0"], random_adv["returns_std"]["adversary_0"]) \
        / math.sqrt(LEARN_EVAL_EPISODES)
    if a - r <= 3 * se:
        raise _Mismatch("it learns: the trained adversary beats a random adversary", inp,
                        f"an adversary return above {r:+.2f} + {3 * se:.2f} (a random adversary's, + 3 standard errors)",
                        f"{a:+.2f}", "The schedule and the stored transitions were right on the small runs; check that "
                                     "each update samples from the buffer you fill (buffer.sample(config.batch_size, "
                                     "rng)) and that the same maddpg acts and learns.")
    return (f"it learns: after {config.episodes} episodes in {config.num_envs} games ({int(rounds)} update rounds) the "
            f"adversary scores {a:+.1f} per episode, a random adversary {r:+.1f}, against the same good agents on "
            f"{LEARN_EVAL_EPISODES} fixed-seed episodes")


def _loop_checks(c: _Checks, games: str) -> None:
    runs = []
    for case in _LOOP_CASES[games]:  # the episode structure first: a wrong one makes the later runs pointless
        runs.append(_loop_run(c, case))
        _loop_episodes_check(runs[-1])
    sizes = "; ".join(f"{e} episodes of {n} steps in {k} game{'s' if k > 1 else ''}" for k, e, n, _, _ in
                      (run["case"] for run in runs))
    c.ok(f"every episode starts with env.reset() and lasts config.episode_length steps ({sizes})")
    for run in runs:
        _loop_transitions_check(run)
    c.ok("the buffer holds every transition once as played: x, the one-hot actions sent, the rewards, x' (the real "
         "next observation, also at the last step) and done = 0 (the time limit is not a termination)")
    for run in runs:
        _loop_exploration_check(run)
    c.ok("the actions explore: Gumbel-softmax samples (maddpg.act(obs, explore=True)), not the greedy actions")
    for run in runs:
        _loop_schedule_check(run, games)
    rounds = ", ".join(f"{len(run['calls'])} at K={run['case'][0]}" for run in runs)
    c.ok(f"update rounds: none before minimal_size, then one per update_interval environment steps ({rounds}), "
         "batches of batch_size")
    for run in runs:
        _loop_return_check(run)
    c.ok("returns the number of update rounds")
    if games == "K games":
        c.ok(_loop_learns_check(c))


# ----- the instructor guide's table ---------------------------------------------------------------
GUIDE = os.path.join(os.path.dirname(_PACKAGE_DIR), "notebooks", "exercises", "README.md")
ANSWERS_BEGIN, ANSWERS_END = "<!-- BEGIN ANSWERS: python -m maddpg_lite.checks --answers -->", "<!-- END ANSWERS -->"


def guide_with_answers(text: str) -> str:
    """The instructor guide's ``text`` with the block between the ANSWERS markers made anew."""
    head, rest = text.split(ANSWERS_BEGIN, 1)
    _, tail = rest.split(ANSWERS_END, 1)
    return f"{head}{ANSWERS_BEGIN}\n{answers_markdown()}\n{ANSWERS_END}{tail}"


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["--answers"]:
        print("usage: python -m maddpg_lite.checks --answers  (rewrites the table of notebooks/exercises/README.md)",
              file=sys.stderr)
        return 2
    if not os.path.isfile(GUIDE):
        print(f"python -m maddpg_lite.checks: no instructor guide at {GUIDE} (run it in a checkout)", file=sys.stderr)
        return 2
    with open(GUIDE, encoding="utf-8") as f:
        text = f.read()
    with open(GUIDE, "w", encoding="utf-8") as f:
        f.write(guide_with_answers(text))
    print(f"wrote the table of {len(ANSWERS)} exercises to {GUIDE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
