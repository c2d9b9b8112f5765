"""Auto-checkers for the exercise notebooks in notebooks/exercises/.

A student writes one piece of MADDPG (a Gumbel-softmax, a critic loss, ...) and passes the
function to its checker, e.g. ``check_gumbel_softmax(gumbel_softmax)``. The checker runs the
function on seeded inputs (several shapes, ties, temperatures near 0, terminal rows, ...),
compares it with the package's own implementation (the reference: :mod:`.functional` and
:class:`.maddpg.MADDPG`, never a copy of them), prints a verdict and returns it as a
:class:`CheckResult`:

* ``passed``: every check held; the message lists what was verified;
* ``failed``: the first check that did not hold, with its input, the expected and the
  obtained value, and a hint (wrong outputs are matched against the usual mistakes, e.g. a
  missing done mask, to name the likely cause);
* ``not implemented``: the function still raises ``NotImplementedError`` (the stub);
* ``error``: the function raised another exception; the message names it and the line of the
  student's code where it happened. A checker never crashes on the student's behalf.

The checks test behaviour, not style. Stochastic pieces are checked by statistics on
20,000 draws against the reference (tolerance: 5 standard errors, so a correct function fails
with probability below 1e-5 per statistic; the draws are seeded, so a verdict is repeatable).
How each piece is checked is stated in each ``check_*`` docstring and in
notebooks/exercises/README.md.

Taught in notebooks/exercises/ (lessons 03_gumbel_softmax and 04_critic_loss).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import linecache
import math
import os
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .buffer import Batch, ReplayBuffer
from .env import EPISODE_LENGTH, N_ACTIONS, OBS_DIMS, VecSimpleAdversary
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


class _Checks:
    """Calls the student's function and keeps the list of checks that held."""

    def __init__(self, fn, signature: str):
        self.fn, self.signature, self.done = fn, signature, []

    def call(self, input: str, *args, **kwargs):
        """``fn(*args, **kwargs)``; a ``NotImplementedError`` or any other exception becomes feedback."""
        return self.guard(input, self.fn, *args, **kwargs)

    def guard(self, input: str, f, *args, **kwargs):
        """``f(*args, **kwargs)`` for code that runs the student's work (e.g. a backward pass through it)."""
        try:
            return f(*args, **kwargs)
        except NotImplementedError as exc:
            raise _NotImplemented(str(exc)) from None
        except Exception as exc:  # the student's bug, reported, never re-raised
            hint = f"The function must have the signature {self.signature}." if isinstance(exc, TypeError) else ""
            raise _StudentRaised(exc, input, _student_line(exc), hint) from None

    def expect_raises(self, error: type, input: str, hint: str, *args, **kwargs) -> None:
        """``fn(*args, **kwargs)`` must raise ``error``."""
        try:
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


def _run(exercise: str, body, fn, signature: str) -> CheckResult:
    """Run ``body(checks)`` seeded and turn its outcome into a printed :class:`CheckResult`."""
    checks = _Checks(fn, signature)
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
    """A short, readable rendering of a tensor (its shape and first rows) or any value."""
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
