"""Two estimators of an actor's gradient through a discrete action, against the exact gradient.

The setting is one agent with ``K`` actions and everything else held fixed: logits ``l`` of
shape ``(K,)``, the policy ``pi = softmax(l)``, and a critic ``q`` that scores action vectors,
``(B, K) -> (B,)``. The actor wants to raise

    J(l) = E_{z ~ pi}[ q(e_z) ] = sum_k pi_k q(e_k),        e_z = one-hot of action z.

* :func:`exact_gradient` enumerates the ``K`` actions: ``dJ/dl_j = pi_j (q(e_j) - J)``.
* The **score-function** estimator (likelihood ratio, REINFORCE; the source's stochastic policy
  gradient ``grad log pi_i(a_i | o_i) Q_i(x, a_1..a_N)``): draw ``z ~ pi`` and return
  ``(q(e_z) - b) grad_l log pi_z = (q(e_z) - b)(e_z - pi)``. Unbiased for any baseline ``b`` that
  does not depend on ``z``; it reads only the critic's *value*.
* The **straight-through Gumbel-softmax** estimator (what MADDPG here uses): the forward value is
  the one-hot ``e_z`` of an exact sample, the backward pass is that of the soft sample
  ``y = softmax((l + g) / tau)``, so the estimate is ``(dy/dl)^T grad_a q(e_z)`` with
  ``dy/dl = (diag(y) - y y^T) / tau``. It reads the critic's *gradient* at the sampled one-hot;
  it is biased for every ``tau > 0``.

:func:`compare_estimators` measures both against the exact gradient for a list of temperatures;
:func:`straight_through_limit` gives the straight-through mean as ``tau -> 0`` in closed form, and
:func:`straight_through_mean_two_actions` its exact mean at any ``tau`` for ``K = 2`` (a
one-dimensional integral), so that the tests can tell bias from Monte-Carlo noise.

Taught in notebooks/03_gumbel_softmax.ipynb ("The source's gradient: score function or straight-through?");
tested in tests/test_estimators.py.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .functional import gumbel_softmax, sample_gumbel
from .i18n import _fig

Critic = Callable[[torch.Tensor], torch.Tensor]
"""A critic of action vectors: ``(B, K)`` float64 -> ``(B,)``, differentiable in its input."""


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _logits(logits) -> torch.Tensor:
    out = torch.as_tensor(logits, dtype=torch.float64).detach()
    if out.dim() != 1 or len(out) < 2:
        raise ValueError(f"logits must have shape (K,) with K >= 2, got {tuple(out.shape)}")
    return out


# ----- critics ------------------------------------------------------------------------------------
def linear_critic(r) -> Critic:
    """``q(a) = a . r``: the reward of the chosen action when ``a`` is one-hot. ``r``: ``(K,)``."""
    r = torch.as_tensor(r, dtype=torch.float64)
    return lambda a: a @ r


def cubic_critic(c) -> Critic:
    """``q(a) = sum_k c_k a_k^3``. On one-hots ``q(e_k) = c_k`` (the values of a linear critic
    with ``r = c``), but its gradient there is ``3 c_k e_k``: a curved critic whose value and slope
    at the corners disagree. ``c``: ``(K,)``."""
    c = torch.as_tensor(c, dtype=torch.float64)
    return lambda a: (a ** 3) @ c


def mlp_critic(k: int, hidden: int = 16, seed: int = 0, scale: float = 2.0) -> Critic:
    """A small nonlinear critic ``(B, K) -> (B,)``: ``Linear(K, hidden) - tanh - Linear(hidden, 1)``
    with fixed random weights (``seed``), first-layer weights multiplied by ``scale`` so that the
    tanh bends over the simplex. Its parameters take no gradient."""
    g = _generator(seed)
    w1 = scale * torch.randn(hidden, k, generator=g, dtype=torch.float64)
    b1 = 0.5 * torch.randn(hidden, generator=g, dtype=torch.float64)
    w2 = torch.randn(hidden, generator=g, dtype=torch.float64) / hidden ** 0.5
    return lambda a: torch.tanh(a @ w1.T + b1) @ w2


def corner_values(critic: Critic, k: int) -> torch.Tensor:
    """``(K,)``: ``q(e_1), ..., q(e_K)``, the critic at the ``K`` one-hot actions."""
    return critic(torch.eye(k, dtype=torch.float64)).detach()


def corner_gradients(critic: Critic, k: int) -> torch.Tensor:
    """``(K, K)``: row ``k`` is ``grad_a q(a)`` at ``a = e_k``."""
    a = torch.eye(k, dtype=torch.float64).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(a).sum(), a)
    return grad


# ----- the exact gradient -------------------------------------------------------------------------
def objective(logits, critic: Critic) -> torch.Tensor:
    """``J(l) = sum_k softmax(l)_k q(e_k)``, a scalar (differentiable in ``logits`` if they require grad)."""
    logits = torch.as_tensor(logits, dtype=torch.float64)
    return torch.softmax(logits, -1) @ corner_values(critic, logits.shape[-1])


def exact_gradient(logits, critic: Critic) -> torch.Tensor:
    """``(K,)``: ``grad_l J = pi * (q(e) - J)``, by enumerating the ``K`` actions."""
    logits = _logits(logits)
    pi, q = torch.softmax(logits, -1), corner_values(critic, len(logits))
    return pi * (q - pi @ q)


# ----- score function -----------------------------------------------------------------------------
def score_function_samples(logits, critic: Critic, n: int, baseline: float = 0.0,
                           generator: torch.Generator | None = None) -> torch.Tensor:
    """``(n, K)``: ``n`` independent score-function estimates ``(q(e_z) - b)(e_z - pi)``, ``z ~ pi``.

    The actions are drawn with the Gumbel-max trick (``argmax(l + g)``), an exact sampler of ``pi``.
    """
    logits = _logits(logits)
    k = len(logits)
    pi = torch.softmax(logits, -1)
    z = (logits + sample_gumbel((n, k), generator=generator).double()).argmax(-1)  # (n,)
    e_z = torch.eye(k, dtype=torch.float64)[z]  # (n, K)
    q = critic(e_z).detach()  # (n,)
    return (q - baseline)[:, None] * (e_z - pi)


def score_function_variance(logits, critic: Critic, baseline: float = 0.0) -> float:
    """Total variance (trace of the covariance) of one score-function estimate, exactly, by
    enumeration: ``sum_k pi_k (q(e_k) - b)^2 |e_k - pi|^2 - |grad J|^2``."""
    logits = _logits(logits)
    k = len(logits)
    pi, q = torch.softmax(logits, -1), corner_values(critic, k)
    sq_norms = ((torch.eye(k, dtype=torch.float64) - pi) ** 2).sum(-1)  # (K,) |e_k - pi|^2
    second_moment = (pi * (q - baseline) ** 2 * sq_norms).sum()
    return float(second_moment - (exact_gradient(logits, critic) ** 2).sum())


# ----- straight-through Gumbel-softmax --------------------------------------------------------
def straight_through_samples(logits, critic: Critic, tau: float, n: int,
                             generator: torch.Generator | None = None) -> torch.Tensor:
    """``(n, K)``: ``n`` straight-through estimates, row ``b`` = ``d q(a_b) / d l`` with
    ``a_b = gumbel_softmax(l, tau, hard=True)`` (one-hot forward, soft backward)."""
    logits = _logits(logits)
    rows = logits.expand(n, len(logits)).clone().requires_grad_(True)  # one copy of l per sample
    a = gumbel_softmax(rows, float(tau), hard=True, generator=generator)  # (n, K)
    critic(a).sum().backward()  # sample b's value depends only on row b
    return rows.grad


def straight_through_limit(logits, critic: Critic) -> torch.Tensor:
    """``(K,)``: the mean straight-through estimate as ``tau -> 0``.

    As ``tau -> 0`` the soft sample's Jacobian ``(diag(y) - y y^T)/tau`` vanishes except where two
    entries of ``l + g`` tie; near the tie of ``j`` and ``k`` it is ``(e_j - e_k)(e_j - e_k)^T``
    times a kernel of mass 1 centred on the tie, half of it on each side. The tie is crossed at
    rate ``pi_j pi_k`` (``d pi_j / d l_k = -pi_j pi_k``), so the mean tends to

        sum_{j<k} pi_j pi_k [ (grad q(e_j) + grad q(e_k))/2 . (e_j - e_k) ] (e_j - e_k),

    while the exact gradient is ``sum_{j<k} pi_j pi_k [ q(e_j) - q(e_k) ] (e_j - e_k)``: the limit
    replaces each difference ``q(e_j) - q(e_k)`` by the trapezoid rule for the integral of the
    critic's slope along the edge from ``e_k`` to ``e_j``. It is exact (no bias in the limit) when
    ``q`` is linear or quadratic along every edge; otherwise the bias stays as ``tau -> 0``.
    """
    logits = _logits(logits)
    k = len(logits)
    pi, grads, eye = torch.softmax(logits, -1), corner_gradients(critic, k), torch.eye(k, dtype=torch.float64)
    out = torch.zeros(k, dtype=torch.float64)
    for j in range(k):
        for m in range(j + 1, k):
            edge = eye[j] - eye[m]
            out += pi[j] * pi[m] * 0.5 * ((grads[j] + grads[m]) @ edge) * edge
    return out


def _logistic_density(x: np.ndarray) -> np.ndarray:
    """Density of ``g_1 - g_2`` for independent Gumbel(0, 1) noise (the standard logistic)."""
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


def straight_through_mean_two_actions(logits, critic: Critic, tau: float, half_width: float = 40.0,
                                      points: int = 100_001) -> torch.Tensor:
    """``(2,)``: the exact mean straight-through estimate for ``K = 2``, by quadrature.

    With ``D = l_1 - l_2`` and ``L = g_1 - g_2`` (standard logistic), ``y_1 = sigmoid((D + L)/tau)``,
    action 1 is chosen when ``D + L > 0``, and the estimate is ``s(D + L) (1, -1)`` with
    ``s(x) = sigmoid'(x/tau)/tau * (dq/da_1 - dq/da_2)`` at the chosen one-hot. Writing ``x = tau u``:

        E = integral over u of  logistic_density(tau u - D) sigmoid'(u) d(u)  du,

    where ``d(u)`` is the slope difference at ``e_1`` for ``u > 0`` and at ``e_2`` otherwise.
    The integrand is smooth on each side of ``u = 0``; a fine grid on each side is exact to many digits.
    """
    logits = _logits(logits)
    if len(logits) != 2:
        raise ValueError(f"straight_through_mean_two_actions needs K = 2, got K = {len(logits)}")
    d_gap = float(logits[0] - logits[1])
    grads = corner_gradients(critic, 2).numpy()
    slope = grads[:, 0] - grads[:, 1]  # (2,): dq/da_1 - dq/da_2 at e_1 and at e_2
    value = 0.0
    for side, u in ((0, np.linspace(0.0, half_width, points)), (1, np.linspace(-half_width, 0.0, points))):
        # each side on its own grid, so the jump of the slope at u = 0 falls on a grid end
        integrand = _logistic_density(tau * u - d_gap) * _logistic_density(u) * slope[side]  # sigmoid' = density
        value += np.trapezoid(integrand, u)
    return torch.tensor([value, -value], dtype=torch.float64)


# ----- the comparison -----------------------------------------------------------------------------
def compare_estimators(logits, critic: Critic, taus, n: int = 20_000, seed: int = 0) -> dict:
    """Bias and variance of both estimators against the exact gradient.

    Args:
        logits: ``(K,)``.
        critic: ``(B, K) -> (B,)``.
        taus: ``(T,)`` temperatures of the straight-through estimator.
        n: Monte-Carlo samples per estimator (and per temperature; the same noise at every tau).
        seed: seed of the noise.

    Returns:
        dict of numpy arrays: ``"taus"`` ``(T,)``; ``"n"``; ``"exact"`` ``(K,)``;
        ``"sf_mean"`` ``(K,)``, ``"sf_bias"`` (Euclidean norm of mean - exact), ``"sf_variance"``
        (total variance of one estimate, measured) and ``"sf_variance_exact"`` (by enumeration);
        ``"st_mean"`` ``(T, K)``, ``"st_bias"`` ``(T,)``, ``"st_variance"`` ``(T,)``,
        ``"st_cosine"`` ``(T,)`` (cosine between the mean and the exact gradient: 1 = right direction);
        ``"st_limit"`` ``(K,)`` and ``"st_limit_bias"``: the straight-through mean as tau -> 0 and
        its distance from the exact gradient. A measured bias is only resolved down to the
        Monte-Carlo error of a mean, about ``sqrt(variance / n)``: compare with
        ``sqrt(st_variance / n)`` and ``sqrt(sf_variance / n)``.
    """
    logits = _logits(logits)
    exact = exact_gradient(logits, critic)
    sf = score_function_samples(logits, critic, n, generator=_generator(seed))
    st_means, st_vars = [], []
    for tau in taus:
        st = straight_through_samples(logits, critic, float(tau), n, generator=_generator(seed + 1))
        st_means.append(st.mean(0))
        st_vars.append(st.var(0).sum())
    st_mean = torch.stack(st_means)
    limit = straight_through_limit(logits, critic)
    return {
        "taus": np.asarray(taus, dtype=np.float64), "n": int(n), "exact": exact.numpy(),
        "sf_mean": sf.mean(0).numpy(), "sf_bias": float((sf.mean(0) - exact).norm()),
        "sf_variance": float(sf.var(0).sum()), "sf_variance_exact": score_function_variance(logits, critic),
        "st_mean": st_mean.numpy(), "st_bias": (st_mean - exact).norm(dim=-1).numpy(),
        "st_cosine": (st_mean @ exact / (st_mean.norm(dim=-1) * exact.norm())).numpy(),
        "st_variance": torch.stack(st_vars).numpy(),
        "st_limit": limit.numpy(), "st_limit_bias": float((limit - exact).norm()),
    }


def compare_estimators_figure(results: dict, mark_tau: float | None = None):
    """Two panels from one or more :func:`compare_estimators` results: the relative bias
    ``|mean - exact| / |exact|`` against tau (left) and the total variance of one estimate against
    tau (right); straight-through as curves, its tau -> 0 limit dashed, the score function dash-dotted.

    Args:
        results: ``{label: compare_estimators(...)}``, e.g. one entry per critic.
        mark_tau: a temperature to mark with a vertical line (e.g. ``Config().gumbel_tau``).

    Returns:
        the figure.
    """
    import matplotlib.pyplot as plt

    fig, (ax_bias, ax_var) = plt.subplots(1, 2, figsize=(11, 4))
    for c, (label, res) in enumerate(results.items()):
        color, norm = f"C{c}", float(np.linalg.norm(res["exact"]))
        straight_through = _fig("straight-through, {label}").format(label=label)
        ax_bias.plot(res["taus"], res["st_bias"] / norm, color=color, lw=2, label=straight_through)
        ax_bias.axhline(res["st_limit_bias"] / norm, color=color, lw=1, ls="--")
        ax_bias.axhline(res["sf_bias"] / norm, color=color, lw=1, ls="-.")
        ax_var.plot(res["taus"], res["st_variance"], color=color, lw=2, label=straight_through)
        ax_var.axhline(res["sf_variance_exact"], color=color, lw=1, ls="-.",
                       label=_fig("score function, {label}").format(label=label))
    ax_bias.set(xscale="log", ylim=(0, None), xlabel=_fig(r"temperature $\tau$"),
                ylabel=_fig("|mean - exact| / |exact|"),
                title=_fig("bias (dashed: limit as $\\tau \\to 0$; dash-dot: score function, measured)"))
    ax_var.set(xscale="log", yscale="log", xlabel=_fig(r"temperature $\tau$"),
               ylabel=_fig("total variance of one estimate"), title=_fig("variance (dash-dot: score function, exact)"))
    for ax in (ax_bias, ax_var):
        if mark_tau is not None:
            ax.axvline(mark_tau, color="gray", lw=0.8)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
