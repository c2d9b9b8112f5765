"""The checkers' framework: the verdict, the comparisons, and the guard against hand-backs.

Each exercise set's module declares its checkers with :func:`checker`: the checks are a function of a
:class:`_Checks`, which calls the student's function (``c.call``), records each check that held
(``c.ok``) and watches for hand-backs (:data:`ANSWERS`); a check that does not hold raises
:class:`_Mismatch`. :func:`_run` runs them seeded and turns their outcome into the printed
:class:`CheckResult`. The ``_expect_*`` helpers, :func:`_fmt` and :func:`_match_mistake` are the comparisons and
renderings the sets share. ``python -m maddpg_lite.checks --answers`` (:func:`main`) writes :data:`ANSWERS` into
the instructor guide. This module imports no exercise set; they import it.
"""

from __future__ import annotations

import contextlib
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

from .. import paths
from ..i18n import N_, _

SEED = 0
"""Every checker seeds torch with this inside ``torch.random.fork_rng``: verdicts are
repeatable and the caller's random stream is left untouched."""
N_DRAWS = 20_000
"""Samples behind each statistic of the stochastic checks."""
Z_MAX = 5.0
"""A statistic may sit at most this many standard errors from the reference's."""

_PACKAGE_DIR = str(paths.PACKAGE_DIR)
"""maddpg_lite/: tracebacks name the line of the student's code outside it (and outside torch)."""
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))


_STATUS_WORDS = {"passed": N_("passed"), "failed": N_("failed"), "not implemented": N_("not implemented"),
                 "error": N_("error")}

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

    @property
    def verdict(self) -> str:
        """:attr:`status` in the language the package speaks (see :func:`maddpg_lite.set_language`)."""
        return _(_STATUS_WORDS[self.status])

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
    "critic_input_sizes": ("maddpg_lite.maddpg.MADDPG.critic_input_dim",
                           "maddpg_lite.checks.set01_ctde_football._critic_input_dims"),
    "rewards": (f"{_ADVERSARY}.reward", f"{_ADVERSARY}.agent_reward", f"{_ADVERSARY}.adversary_reward",
                "maddpg_lite.env.VecSimpleAdversary.rewards"),
    "physics_step": ("maddpg_lite.env.VecSimpleAdversary.step", "mpe2._mpe_utils.core.World.step",
                     "mpe2._mpe_utils.core.World.integrate_state"),
    "discounted_return": (),
    "update_rounds": ("maddpg_lite.training.train", "maddpg_lite.checks.shared._update_schedule"),
    "evaluation_returns": ("maddpg_lite.evaluation.evaluate",),
    "mean_ci": (),
    "paired_ci": ("maddpg_lite.study.mean_ci",),
    "episodes_to_threshold": ("maddpg_lite.study.episodes_to_threshold",),
    "success_rates": ("maddpg_lite.env.VecSimpleAdversary.deception_flags",
                      "maddpg_lite.checks.set07_deception._flags"),
    "split": ("maddpg_lite.env.VecSimpleAdversary.deception_flags",
              "maddpg_lite.checks.set07_deception._flags"),
    "expected_penalty": (),
    "tag_observation": ("mpe2.simple_tag.simple_tag.Scenario.observation",),
    "spread_min_dist_sum": ("maddpg_lite.games.spread_metrics",
                            "mpe2.simple_spread.simple_spread.Scenario.global_reward",
                            "mpe2.simple_spread.simple_spread.Scenario.benchmark_data"),
    "episode_collisions": ("maddpg_lite.games.spread_metrics",
                           "mpe2.simple_spread.simple_spread.Scenario.benchmark_data"),
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
            hint = (_("The function must have the signature {signature}.").format(signature=self.signature)
                    if isinstance(exc, TypeError) else "")
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
            raise _Mismatch(_("invalid input raises {error}").format(error=error.__name__), input, f"{error.__name__}",
                            f"{type(exc).__name__}: {exc}", hint) from None
        raise _Mismatch(_("invalid input raises {error}").format(error=error.__name__), input, f"{error.__name__}",
                        _("no exception; returned {value}").format(value=_fmt(out)), hint)

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
    if source:
        return _("in {function}(), line {line}: {source}").format(function=f.name, line=f.lineno, source=source)
    return _("in {function}(), line {line}").format(function=f.name, line=f.lineno)


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
                raise _Mismatch(_("the argument is a function"), f"{type(fn).__name__} {fn!r}",
                                _("a function {signature}").format(signature=signature), f"{type(fn).__name__}",
                                _("Pass the function itself, without calling it: check_x(my_function)."))
            body(checks)
        except _NotImplemented as exc:
            status = "not implemented"
            message = (_("NOT IMPLEMENTED YET  {exercise}: your function still raises NotImplementedError "
                         "({message}).").format(exercise=exercise, message=exc) + "\n"
                       + _("  Replace the `raise NotImplementedError(...)` line under # YOUR CODE HERE with your code "
                           "and run the checker again."))
        except _Mismatch as m:
            status = "failed"
            message = _failure_message(exercise, checks.done, m, caught)
        except _StudentRaised as e:
            status = "error"
            message = "\n".join([
                _("ERROR  {exercise}: your function raised {error}: {message}").format(
                    exercise=exercise, error=type(e.exc).__name__, message=e.exc),
                _("  where:    ") + e.where, _("  input:    ") + e.input])
            if e.hint:
                message += "\n" + _("  hint:     ") + e.hint
        except Exception as exc:  # an output the checker could not even inspect
            status = "failed"
            message = (_("FAILED  {exercise}: the checker could not inspect your output ({error}: {message}).").format(
                exercise=exercise, error=type(exc).__name__, message=exc) + "\n" + _("  hint:     ")
                + _("Check the type and the shape of what your function returns; the signature is {signature}.").format(
                    signature=signature))
        else:
            status = "passed"
            message = _("PASSED  {exercise}: all {count} checks hold.").format(
                exercise=exercise, count=len(checks.done)) + "\n" + "\n".join(
                _("  ok  {check}").format(check=c) for c in checks.done)
        if checks.hand_backs:  # whatever the outputs were, they are not the student's work
            status = "failed"
            message = _("FAILED  {exercise}: this exercise asks you to write {exercise} yourself; your function "
                        "called {name}.").format(exercise=exercise, name=checks.hand_backs[0])
    print(message)
    return CheckResult(exercise, status, message, list(checks.done))


def _failure_message(exercise: str, done: list[str], m: _Mismatch, caught) -> str:
    lines = [_("FAILED  {exercise}: check {number} did not hold ({passed} passed before it).").format(
                 exercise=exercise, number=len(done) + 1, passed=len(done)),
             _("  check:    ") + m.check, _("  input:    ") + m.input,
             _("  expected: ") + m.expected, _("  got:      ") + m.got]
    if m.hint:
        lines.append(_("  hint:     ") + m.hint)
    if caught:
        lines.append(_("  note:     ") + _("your code also warned: {warning}").format(
            warning=f"{caught[0].category.__name__}: {caught[0].message}"))
    return "\n".join(lines)


def checker(signature: str):
    """Declare the checker of one exercise: ``@checker("x(a, b=1)")`` on ``def check_x(c: _Checks) -> None``
    makes the ``check_x(fn) -> CheckResult`` that students call.

    The decorated function holds the checks: it calls the student's function through ``c.call``, raises
    :class:`_Mismatch` for the first check that does not hold and calls ``c.ok(...)`` for each one that
    does. Its docstring, which students read with ``help(check_x)``, states what is verified. The text before
    the parenthesis, ``x``, names the exercise in the verdict and its row of :data:`ANSWERS`; the whole
    signature is quoted when the student's function cannot be called with it.
    """
    exercise = signature.split("(", 1)[0]

    def declare(checks):
        if checks.__name__ != f"check_{exercise}":
            raise ValueError(f"the checks of {exercise} must be named check_{exercise}, not {checks.__name__}")

        def check(fn) -> CheckResult:
            return _run(exercise, checks, fn, signature)

        check.__name__ = check.__qualname__ = checks.__name__
        check.__module__, check.__doc__ = checks.__module__, checks.__doc__
        return check

    return declare


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
        return _fmt(torch.as_tensor(x.astype(np.float64) if x.dtype.kind == "f" else x),
                    rows).replace("tensor(", "array(")
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, float) for v in x):
        return "[" + ", ".join(f"{v:.4f}" for v in x) + "]"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + " ..."


def _expect_tensor(out, check: str, input: str, shape=None, hint: str = "") -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise _Mismatch(check, input, _("a torch.Tensor of shape {shape}").format(shape=tuple(shape)) if shape
                        else _("a torch.Tensor"), f"{type(out).__name__}: {_fmt(out)}",
                        hint or _("Return a torch tensor (did you forget `return`?)."))
    if shape is not None and tuple(out.shape) != tuple(shape):
        raise _Mismatch(check, input, f"shape {tuple(shape)}", f"shape {tuple(out.shape)}: {_fmt(out)}",
                        hint or _("Check which dimension you reduce or squeeze."))
    if out.is_floating_point() and not torch.isfinite(out).all():
        raise _Mismatch(check, input, _("finite values"), _("{values} (contains nan or inf)").format(values=_fmt(out)),
                        hint or _("Something overflowed or divided by zero."))
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

# ----- answers given as numbers and arrays --------------------------------------------------------
def _expect_array(out, check: str, inp: str, shape, hint: str = "") -> np.ndarray:
    """``out`` as a float64 array of ``shape`` (a list, a tuple, a numpy array or a tensor), or a failed check."""
    want = _("an array of shape {shape}").format(shape=tuple(shape))
    if out is None or isinstance(out, (str, bytes, dict)):
        raise _Mismatch(check, inp, want, f"{type(out).__name__}: {_fmt(out)}",
                        hint or _("Return the result (did you forget `return`?)."))
    try:
        arr = np.asarray(out.detach().cpu() if isinstance(out, torch.Tensor) else out, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Mismatch(check, inp, want, f"{type(out).__name__}: {_fmt(out)}",
                        hint or _("Return numbers: a numpy array (or a list of floats).")) from None
    if arr.shape != tuple(shape):
        raise _Mismatch(check, inp, want, _fmt(arr), hint or _("Check the shape of what you return."))
    if not np.isfinite(arr).all():
        raise _Mismatch(check, inp, _("finite values"), _("{values} (contains nan or inf)").format(values=_fmt(arr)),
                        hint)
    return arr


def _expect_number(out, check: str, inp: str, whole: bool = False) -> float:
    """``out`` as a float (a whole number when ``whole``), or a failed check."""
    kind = _("a whole number (int)") if whole else _("a number")
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if isinstance(out, np.ndarray) and out.size == 1:
        out = out.item()
    if isinstance(out, np.generic):
        out = out.item()
    if isinstance(out, bool) or not isinstance(out, (int, float)):
        raise _Mismatch(check, inp, kind, f"{type(out).__name__}: {_fmt(out)}",
                        _("Return one number (did you forget `return`?)."))
    if not math.isfinite(out) or (whole and out != int(out)):
        raise _Mismatch(check, inp, kind, _fmt(out),
                        _("Return a whole number: a count of update rounds.") if whole else "")
    return float(out)


def _expect_numbers(out, names: tuple, check: str, inp: str) -> np.ndarray:
    """``out`` as a tuple of ``len(names)`` numbers (e.g. ``("mean", "low", "high")``), or a failed check."""
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        raise _Mismatch(check, inp, _("a tuple ({names})").format(names=", ".join(names)),
                        f"{type(out).__name__}: {_fmt(out)}",
                        _("Return {count} numbers: return {names}.").format(count=len(names), names=", ".join(names)))
    return np.array([_expect_number(v, check, inp) for v in out])


def _match_mistake(got: np.ndarray, variants, default_hint: str, atol: float = 1e-6) -> str:
    """A hint naming every ``(name, value, why)`` of ``variants`` that ``got`` equals (an input cannot always
    tell two mistakes apart), else ``default_hint``. ``name``, ``why`` and ``default_hint`` come translated
    (the caller's ``_()``); this function translates only the sentence around them."""
    matches = []
    for name, value, why in variants:
        value = np.asarray(value, dtype=np.float64)
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=atol):
            matches.append(_("{mistake}. {why}").format(mistake=name, why=why))
    if len(matches) == 1:
        return _("Your values match the mistake: {mistake}").format(mistake=matches[0])
    if matches:
        return _("On this input your values match each of these mistakes: {mistakes}").format(
            mistakes=_(" Or: ").join(matches))
    return default_hint


# ----- the instructor guide's table ---------------------------------------------------------------
GUIDE = str(paths.EXERCISES_DIR / "README.md")
"""The instructor guide, notebooks/exercises/README.md of the checkout."""
ANSWERS_BEGIN, ANSWERS_END = "<!-- BEGIN ANSWERS: python -m maddpg_lite.checks --answers -->", "<!-- END ANSWERS -->"


def guide_with_answers(text: str) -> str:
    """The instructor guide's ``text`` with the block between the ANSWERS markers made anew."""
    head, rest = text.split(ANSWERS_BEGIN, 1)
    _, tail = rest.split(ANSWERS_END, 1)
    return f"{head}{ANSWERS_BEGIN}\n{answers_markdown()}\n{ANSWERS_END}{tail}"


def main(argv=None) -> int:
    """``python -m maddpg_lite.checks --answers``: write :func:`answers_markdown` into :data:`GUIDE`."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["--answers"]:
        print("usage: python -m maddpg_lite.checks --answers  (rewrites the table of notebooks/exercises/README.md)",
              file=sys.stderr)
        return 2
    if not paths.in_checkout():
        return paths.refuse_outside_checkout("python -m maddpg_lite.checks", "rewrites the instructor guide, "
                                                                              "notebooks/exercises/README.md")
    if not os.path.isfile(GUIDE):
        print(f"python -m maddpg_lite.checks: no instructor guide at {GUIDE} (run it in a checkout)", file=sys.stderr)
        return 2
    with open(GUIDE, encoding="utf-8") as f:
        text = f.read()
    with open(GUIDE, "w", encoding="utf-8") as f:
        f.write(guide_with_answers(text))
    print(f"wrote the table of {len(ANSWERS)} exercises to {GUIDE}")
    return 0

