"""Checks of notebooks/exercises/03_gumbel_softmax_exercises.ipynb (lesson 03: Gumbel-softmax and greedy
one-hot actions).

Exercise 1a :func:`check_gumbel_softmax`, 1b :func:`check_onehot_from_logits`: against
:mod:`maddpg_lite.functional`, the stochastic parts by statistics on :data:`~.core.N_DRAWS` draws.
"""

from __future__ import annotations

import torch

from ..functional import gumbel_softmax
from ..i18n import _
from .core import N_DRAWS, Z_MAX, _Checks, _expect_tensor, _fmt, _mean_and_se, _Mismatch, _z, checker


def _one_hot_problem(out: torch.Tensor) -> str:
    """"" if every row of ``out`` is one-hot, else a description of the first bad row."""
    values = out.detach()
    ones, zeros = (values == 1).sum(-1), (values == 0).sum(-1)
    bad = ((ones != 1) | (ones + zeros != values.shape[-1])).nonzero()
    if len(bad) == 0:
        return ""
    r = int(bad[0, 0])
    return _("row {row} is {values} ({ones} entries equal to 1, {others} neither 0 nor 1)").format(
        row=r, values=_fmt(values[r]), ones=int(ones[r]), others=values.shape[-1] - int(ones[r]) - int(zeros[r]))


GUMBEL_LOGITS = torch.tensor([1.5, 0.5, 0.0, -1.0, 0.2])
"""The distribution of the statistical checks: softmax of these, K = 5 actions."""


@checker("gumbel_softmax(logits, tau=1.0, hard=True)")
def check_gumbel_softmax(c: _Checks) -> None:
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
    gen = torch.Generator().manual_seed(1)
    shapes = [(1, 5), (8, 5), (3, 2), (16, 7)]
    for shape in shapes:
        logits = 2 * torch.randn(shape, generator=gen)
        inp = _("logits of shape {shape}: {logits} (tau, hard left at their defaults)").format(
            shape=shape, logits=_fmt(logits, 2))
        _expect_tensor(c.call(inp, logits), _("output shape = input shape"), inp, shape)
    c.ok(_("returns a tensor of the input's shape for shapes {shapes}").format(shapes=shapes))

    for tau in [1.0, 0.05, 10.0, 1e-3]:
        for shape in shapes:
            logits = 2 * torch.randn(shape, generator=gen)
            inp = f"logits = {_fmt(logits, 2)}, tau={tau}, hard=True"
            out = _expect_tensor(c.call(inp, logits, tau=tau, hard=True), _("hard=True gives one-hot rows"), inp,
                                 shape, hint=_("nan/inf: use torch.softmax (it subtracts the row maximum) instead of "
                                               "exp()/sum(); (logits + g) / tau is huge when tau is small."))
            problem = _one_hot_problem(out)
            if problem:
                raise _Mismatch(_("hard=True gives one-hot rows"), inp, _("exactly one 1 per row, 0 elsewhere"),
                                problem, _("The forward value of the straight-through sample is y_hard, the one-hot of "
                                           "argmax(y): return (y_hard - y).detach() + y."))
    c.ok(_("hard=True: exactly one-hot rows for tau in {1e-3, 0.05, 1, 10}"))

    tied = torch.tensor([[1e9, 1e9, 0.0, 0.0, 0.0], [0.0, 3e9, 3e9, 3e9, 0.0]]).repeat(4, 1)
    note = _("(float32 noise cannot separate the 1e9 entries: y has exact ties)")
    inp = f"logits = {_fmt(tied, 2)} {note}, tau=1.0"
    out = _expect_tensor(c.call(inp, tied, tau=1.0, hard=True), _("ties give one 1 per row"), inp, tied.shape)
    problem = _one_hot_problem(out)
    if problem:
        raise _Mismatch(_("ties give one 1 per row"), inp, _("exactly one 1 per row, at one of the tied maxima"),
                        problem, _("Build y_hard from argmax (one index per row), not from y == y.max(): "
                                   "the comparison marks every tied entry."))
    c.ok(_("ties in y: still exactly one 1 per row"))

    for tau in [1.0, 0.01, 10.0]:
        logits = 3 * torch.randn(64, 5, generator=gen)
        inp = f"logits = {_fmt(logits, 2)}, tau={tau}, hard=False"
        out = _expect_tensor(c.call(inp, logits, tau=tau, hard=False), _("hard=False gives probability rows"), inp,
                             logits.shape, hint=_("nan/inf: use torch.softmax rather than exp()/sum(); "
                                                  "(logits + g) / tau is huge when tau is small."))
        row_sums = out.detach().sum(-1)
        if (out.detach() < 0).any() or not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5):
            raise _Mismatch(_("hard=False gives probability rows"), inp, _("entries >= 0, every row sums to 1"),
                            _("{values}; row sums {sums}").format(values=_fmt(out), sums=_fmt(row_sums)),
                            _("The soft sample is softmax((logits + g) / tau) over the last dimension."))
    c.ok(_("hard=False: rows are finite probability vectors (also at tau = 0.01)"))

    probs = torch.softmax(GUMBEL_LOGITS, dim=0).double()
    batch = GUMBEL_LOGITS.expand(N_DRAWS, 5).clone()
    for tau in [0.05, 1.0, 10.0]:
        inp = _("{n} rows of logits {logits}, tau={tau}, hard={hard}").format(
            n=N_DRAWS, logits=_fmt(GUMBEL_LOGITS), tau=tau, hard=True)
        out = _expect_tensor(c.call(inp, batch.clone(), tau=tau, hard=True), _("hard-sample frequencies"), inp,
                             batch.shape)
        problem = _one_hot_problem(out)
        if problem:
            raise _Mismatch(_("hard=True gives one-hot rows"), inp, _("exactly one 1 per row"), problem)
        freq = out.detach().double().mean(0)
        se = torch.sqrt(probs * (1 - probs) / N_DRAWS)
        if ((freq - probs).abs() > Z_MAX * se).any():
            raise _Mismatch(
                _("hard-sample frequencies = softmax(logits), for every tau (here tau={tau})").format(tau=tau), inp,
                _("frequencies {freqs} (softmax(logits), +- {z} standard errors)").format(
                    freqs=_fmt(probs.tolist()), z=f"{Z_MAX:.0f}"),
                _("frequencies {freqs}").format(freqs=_fmt(freq.tolist())),
                _("The temperature never changes which action is sampled: "
                  "argmax((logits + g) / tau) = argmax(logits + g). "
                  "Did you multiply the logits by tau, divide only the logits (not the noise), or skip the noise? "
                  "The noise is g = -log(-log(U)), U ~ Uniform(0, 1), one draw per entry."))
    c.ok(_("hard samples follow softmax(logits) for tau in {0.05, 1, 10}"))

    means = []
    for tau in [0.1, 1.0, 10.0]:
        inp = _("{n} rows of logits {logits}, tau={tau}, hard={hard}").format(
            n=N_DRAWS, logits=_fmt(GUMBEL_LOGITS), tau=tau, hard=False)
        out = _expect_tensor(c.call(inp, batch.clone(), tau=tau, hard=False), _("soft sample and tau"), inp,
                             batch.shape)
        got_mean, got_se = _mean_and_se(out.detach().max(-1).values)
        ref_mean, ref_se = _mean_and_se(gumbel_softmax(batch, tau=tau, hard=False).max(-1).values)
        means.append(round(got_mean.item(), 3))
        if _z(got_mean, got_se, ref_mean, ref_se) > Z_MAX:
            raise _Mismatch(
                _("mean largest entry of the soft sample at tau={tau}").format(tau=tau), inp,
                _("{value} (reference)").format(value=f"{ref_mean.item():.4f}"), f"{got_mean.item():.4f}",
                _("The soft sample is softmax((logits + g) / tau): divide the noisy logits by tau (not multiply, and "
                  "not only the logits). Small tau -> nearly one-hot (close to 1), "
                  "large tau -> nearly uniform (close to 1/K)."))
    c.ok(_("soft samples sharpen as tau falls (mean largest entry {means} at tau = 0.1, 1, 10, as the reference)")
         .format(means=means))

    logits = torch.randn(8, 5, generator=gen).requires_grad_(True)
    inp = _("logits = {logits} (requires_grad), tau=1.0, hard=True; loss = (w * y).sum(), w random").format(
        logits=_fmt(logits, 2))
    out = _expect_tensor(c.call(inp, logits, tau=1.0, hard=True), _("the hard sample carries a gradient"), inp,
                         logits.shape)
    st_hint = _("The straight-through trick: return (y_hard - y).detach() + y, so the forward value is y_hard and the "
                "gradient is the soft sample's. A one-hot built only from argmax has no gradient.")
    if not out.requires_grad:
        raise _Mismatch(_("the hard sample carries a gradient"), inp, _("an output that requires grad"),
                        _("an output without gradient (requires_grad=False)"), st_hint)
    w = torch.randn(8, 5, generator=gen)
    c.guard(inp + _("; then backward()"), lambda: (w * out).sum().backward())
    if logits.grad is None or not torch.isfinite(logits.grad).all() or logits.grad.abs().sum() == 0:
        raise _Mismatch(_("the hard sample carries a gradient"), inp, _("a finite, non-zero gradient w.r.t. logits"),
                        _("gradient {values}").format(values=_fmt(logits.grad)), st_hint)
    c.ok(_("hard=True: the one-hot output has a non-zero gradient w.r.t. the logits"))

    w = torch.tensor([1.0, -2.0, 0.5, 3.0, 0.0])
    for tau in [0.5, 2.0]:
        inp = _("{n} rows of logits {logits} (requires_grad), tau={tau}, hard=True; loss = (w * y).sum() with "
                "w = {w}").format(n=N_DRAWS, logits=_fmt(GUMBEL_LOGITS), tau=tau, w=_fmt(w))
        stats = {}
        for who, f in [("got", lambda x, t: c.call(inp, x, tau=t, hard=True)),  # noqa: B023  called at once
                       ("ref", lambda x, t: gumbel_softmax(x, tau=t, hard=True))]:
            leaf = batch.clone().requires_grad_(True)
            out = _expect_tensor(f(leaf, tau), _("straight-through gradient"), inp, batch.shape)
            if not out.requires_grad:
                raise _Mismatch(_("straight-through gradient"), inp, _("an output that requires grad"),
                                _("no gradient"), st_hint)
            c.guard(inp + _("; then backward()"), lambda: (w * out).sum().backward())  # noqa: B023  called at once
            grad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
            at_sample = (out.detach() * grad).sum(-1, keepdim=True)  # gradient at the sampled action
            stats[who] = _mean_and_se(torch.cat([grad, at_sample], dim=1))
        (got, got_se), (ref, ref_se) = stats["got"], stats["ref"]
        if (_z(got, got_se, ref, ref_se) > Z_MAX).any():
            raise _Mismatch(
                _("the gradient is the soft sample's (tau={tau})").format(tau=tau), inp,
                _("mean gradient {grad}, mean gradient at the sampled action {at_sample} "
                  "(reference, +- 5 standard errors)").format(grad=_fmt(ref[:5].tolist()),
                                                              at_sample=f"{ref[5].item():.4f}"),
                _("mean gradient {grad}, mean gradient at the sampled action {at_sample}").format(
                    grad=_fmt(got[:5].tolist()), at_sample=f"{got[5].item():.4f}"),
                _("The backward pass must be that of y = softmax((logits + g) / tau), with the same noise g as the "
                  "forward one-hot (draw g once). Check the division by tau."))
    c.ok(_("the gradient is the soft sample's: mean gradient and gradient at the sampled action match at "
           "tau = 0.5, 2"))

    logits = torch.randn(4, 5, generator=gen)
    for tau in [0.0, -1.0]:
        c.expect_raises(ValueError, _("logits of shape (4, 5), tau={tau}").format(tau=tau),
                        _("A temperature must be > 0: raise ValueError(...) naming the value."), logits, tau=tau,
                        hard=True)
    c.ok(_("tau = 0 and tau = -1 raise ValueError"))


@checker("onehot_from_logits(logits, eps=0.0)")
def check_onehot_from_logits(c: _Checks) -> None:
    """Check ``fn(logits, eps=0.0)`` against :func:`maddpg_lite.functional.onehot_from_logits`.

    Verified: the shape; with ``eps=0``, one-hot rows at a largest logit (several shapes), also
    when logits tie (any of the tied maxima is accepted); with ``eps=1``, uniform actions; with
    ``eps=0.3``, each row is greedy with probability ``1 - eps + eps/K`` and any other action
    with probability ``eps/K``, decided row by row; ``eps`` outside [0, 1] raises ``ValueError``.
    """
    gen = torch.Generator().manual_seed(2)
    cases = [torch.randn(shape, generator=gen) for shape in [(1, 5), (8, 5), (64, 3), (5, 2)]]
    cases.append(torch.tensor([[1.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [2.0, 5.0, 5.0, 1.0, 5.0],
                               [-1.0, -3.0, -1.0, -2.0, -1.0]]))
    for k, logits in enumerate(cases):
        tie = k == len(cases) - 1
        inp = f"logits = {_fmt(logits)}, eps=0" + (" " + _("(rows with tied maxima)") if tie else "")
        out = _expect_tensor(c.call(inp, logits.clone()), _("greedy one-hot"), inp, logits.shape)
        problem = _one_hot_problem(out)
        if problem:
            raise _Mismatch(_("eps=0 gives one-hot rows also when logits tie") if tie
                            else _("eps=0 gives one-hot rows"), inp,
                            _("exactly one 1 per row"), problem,
                            _("Use the index of argmax (one per row) and F.one_hot; logits == logits.max() marks every "
                              "tied entry.") if tie else _("Use F.one_hot(logits.argmax(-1), K)."))
        picked = (out.detach() * logits).sum(-1)
        if not torch.equal(picked, logits.max(-1).values):
            r = int((picked != logits.max(-1).values).nonzero()[0])
            raise _Mismatch(_("eps=0 picks a largest logit"), inp,
                            _("row {row}: the 1 at a largest logit of {logits}").format(row=r, logits=_fmt(logits[r])),
                            _("row {row}: {values}").format(row=r, values=_fmt(out[r])),
                            _("The greedy action is argmax over the last dimension."))
    c.ok(_("eps=0: one-hot rows at a largest logit, for 4 shapes and for tied logits"))

    logits = torch.tensor([4.0, 0.0, -1.0, 2.0, 1.0]).expand(N_DRAWS, 5).clone()
    greedy = 0
    for eps, expected in [(1.0, torch.full((5,), 0.2)), (0.3, torch.tensor([0.76, 0.06, 0.06, 0.06, 0.06]))]:
        inp = _("{n} rows of logits {logits}, eps={eps}").format(n=N_DRAWS, logits=_fmt(logits[0]), eps=eps)
        out = _expect_tensor(c.call(inp, logits.clone(), eps=eps), _("epsilon-random rows"), inp, logits.shape)
        problem = _one_hot_problem(out)
        if problem:
            raise _Mismatch(_("eps={eps} gives one-hot rows").format(eps=eps), inp, _("exactly one 1 per row"),
                            problem)
        freq = out.detach().double().mean(0)
        p = expected.double()
        if ((freq - p).abs() > Z_MAX * torch.sqrt(p * (1 - p) / N_DRAWS)).any():
            raise _Mismatch(
                _("action frequencies with eps={eps}").format(eps=eps), inp,
                _("{freqs} (greedy action {greedy} with 1 - eps + eps/K, each action eps/K)").format(
                    freqs=_fmt(p.tolist()), greedy=greedy),
                f"{_fmt(freq.tolist())}",
                _("Each row, independently: with probability eps replace the greedy one-hot by a uniformly random "
                  "one-hot (e.g. torch.rand(B) < eps chooses the rows, torch.randint(K, (B,)) the random actions)."))
    c.ok(_("eps=1: uniform actions; eps=0.3: greedy with 1 - eps + eps/K, row by row"))

    for eps in [-0.1, 1.5]:
        c.expect_raises(ValueError, _("logits of shape (4, 5), eps={eps}").format(eps=eps),
                        _("eps is a probability: raise ValueError(...) when it is outside [0, 1]."),
                        torch.zeros(4, 5), eps=eps)
    c.ok(_("eps = -0.1 and eps = 1.5 raise ValueError"))
