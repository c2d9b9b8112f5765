"""Checks of notebooks/exercises/06_maddpg_vs_ddpg_exercises.ipynb (lesson 06: two methods, ten seeds).

Exercise 1 :func:`check_paired_ci`, 2 :func:`check_episodes_to_threshold`: against :mod:`maddpg_lite.study`.
"""

from __future__ import annotations

import math

import numpy as np

from ..i18n import _
from .core import _Checks, _expect_number, _expect_numbers, _fmt, _match_mistake, _Mismatch, checker


@checker("paired_ci(a, b, level=0.95)")
def check_paired_ci(c: _Checks) -> None:
    """Check ``fn(a, b, level=0.95)`` -> ``(mean, low, high)``: the mean of the per-seed differences
    ``a - b`` and its Student-t interval ``mean -+ t_{(1+level)/2, n-1} s / sqrt(n)`` (``s`` with
    ``ddof=1``), against :func:`maddpg_lite.study.mean_ci` of the differences, for n in {3, 10, 30}
    and two levels; mistakes named: an unpaired interval, the normal 1.96 instead of t, ddof=0;
    fewer than 2 pairs or unequal lengths raise ``ValueError``."""
    from ..study import mean_ci, t_quantile

    rng = np.random.default_rng(11)
    check = _("(mean, low, high) of the differences a - b, with Student's t and ddof=1")
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
                    (_("an unpaired interval (the spread of a and b separately)"),
                     [mean, mean - unpaired_half, mean + unpaired_half],
                     _("Pair by seed: take the differences d = a - b first, then the interval of their mean.")),
                    (_("the normal quantile instead of Student's t"),
                     [mean, mean - z * s / math.sqrt(n), mean + z * s / math.sqrt(n)],
                     _("With few seeds use Student's t with n - 1 degrees of freedom (study.t_quantile).")),
                    ("ddof=0", [mean, mean - t * d.std() / math.sqrt(n), mean + t * d.std() / math.sqrt(n)],
                     _("Use the sample standard deviation, ddof=1.")),
                    (_("the level ignored"), [mean, mean - t_quantile(0.975, n - 1) * s / math.sqrt(n),
                                              mean + t_quantile(0.975, n - 1) * s / math.sqrt(n)],
                     _("Use the level you are given.")),
                ]
                raise _Mismatch(check, inp, _fmt(list(expected)), _fmt(list(got)),
                                _match_mistake(got, variants, "d = a - b; half = t_quantile(0.5 + level / 2, n - 1) "
                                                              "* d.std(ddof=1) / sqrt(n); return d.mean(), "
                                                              "d.mean() - half, d.mean() + half.", atol=1e-6))
    c.ok(_("the mean and Student-t interval of the per-seed differences, n in {3, 10, 30}, levels 0.95 and 0.9"))
    c.expect_raises(ValueError, "a = [1.0], b = [2.0]",
                    _("One pair has no spread: raise ValueError for fewer than 2 pairs."), np.array([1.0]),
                    np.array([2.0]))
    c.expect_raises(ValueError, _("a of length 3, b of length 2"), _("Pairs need equal lengths: raise ValueError."),
                    np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0]))
    c.ok(_("fewer than 2 pairs, or unequal lengths, raise ValueError"))


@checker("episodes_to_threshold(episodes, returns, threshold, window)")
def check_episodes_to_threshold(c: _Checks) -> None:
    """Check ``fn(episodes, returns, threshold, window)`` -> the first evaluation episode after which
    the smoothed return (:func:`maddpg_lite.plots.smooth`) stays above ``threshold`` to the end, or
    None, against :func:`maddpg_lite.study.episodes_to_threshold` on hand-made and random curves;
    mistakes named: the first crossing instead of "stays above", no smoothing."""
    from ..plots import smooth
    from ..study import episodes_to_threshold

    check = _("the first evaluation after which the smoothed return stays above the threshold (None if it ends "
              "below)")
    episodes = np.arange(100, 1100, 100)
    curves = [
        (_("crosses once"), [-30, -28, -25, -20, -18, -17, -16, -16, -15, -15], -21, 1),
        (_("crosses, dips back, crosses again"), [-30, -20, -25, -18, -22, -17, -16, -16, -15, -15], -21, 1),
        (_("never stays above"), [-30, -20, -25, -18, -22, -17, -16, -16, -15, -25], -21, 1),
        (_("above from the start"), [-10] * 10, -21, 1),
        (_("noisy, smoothed over 3"), [-30, -19, -26, -18, -24, -19, -17, -22, -16, -15], -21, 3),
    ]
    rng = np.random.default_rng(3)
    for k in range(6):
        curves.append((_("random curve {k}").format(k=k), list(np.cumsum(rng.normal(0.5, 2, 10)) - 25), -21,
                       int(rng.choice([1, 3, 5]))))
    for name, returns, threshold, window in curves:
        r = np.array(returns, dtype=float)
        inp = _("{case}: returns = {returns}, threshold = {threshold}, window = {window}").format(
            case=name, returns=_fmt(r), threshold=threshold, window=window)
        got = c.call(inp, episodes.copy(), r.copy(), threshold, window)
        expected = episodes_to_threshold(episodes, r, threshold, window)
        if got is not None:
            got = _expect_number(got, check, inp, whole=True)
        if got != expected:
            s = smooth(r, window)
            first_cross = next((int(e) for e, v in zip(episodes, s) if v > threshold), None)
            raw = episodes_to_threshold(episodes, r, threshold, 1)
            hint = _("From then on to the end: look for the LAST evaluation at or below the threshold.")
            if got is None:
                hint = _("None means the smoothed curve ends at or below the threshold, which it does not here "
                         "(did you forget `return`?). {hint}").format(hint=hint)
            elif got == first_cross and first_cross != expected:
                hint = _("That is the first crossing; the return must stay above the threshold from then on. "
                         "{hint}").format(hint=hint)
            elif got == raw and raw != expected:
                hint = _("Smooth the curve first: smooth(returns, window) from maddpg_lite.plots.")
            raise _Mismatch(check, inp, repr(expected), repr(got), hint)
    c.ok(_("{n} curves: single and repeated crossings, never, from the start, with and without smoothing").format(
        n=len(curves)))
