"""The math of MADDPG with discrete actions, as small pure functions.

Everything else in the package is built on these five functions; each one is
tested on hand-made inputs in ``tests/test_functional.py``.

Taught in notebooks/03_gumbel_softmax.ipynb (Gumbel-softmax) and
notebooks/04_critic_loss.ipynb (critic target, soft update).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .i18n import _


def _check_tau(tau: float) -> None:
    if not isinstance(tau, (int, float)) or isinstance(tau, bool) or not math.isfinite(tau) or tau <= 0:
        raise ValueError(_("Gumbel-softmax temperature tau must be a finite number > 0, got tau={tau}").format(
            tau=repr(tau)))


def sample_gumbel(shape, eps: float = 1e-20, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw standard Gumbel(0, 1) noise ``g = -log(-log(U))`` with ``U ~ Uniform(0, 1)``.

    Args:
        shape: output shape, e.g. ``(B, K)``.
        eps: keeps both logarithms finite when ``U`` is 0 or 1.
        generator: optional ``torch.Generator`` for reproducible draws.

    Returns:
        float32 tensor of ``shape``.
    """
    u = torch.rand(shape, generator=generator)
    return -torch.log(-torch.log(u + eps) + eps)


def gumbel_softmax_sample(logits: torch.Tensor, tau: float = 1.0,
                          generator: torch.Generator | None = None, gumbel: torch.Tensor | None = None) -> torch.Tensor:
    """Soft Gumbel-softmax sample ``y = softmax((logits + g) / tau)``.

    For each row, ``y_i = exp((l_i + g_i)/tau) / sum_j exp((l_j + g_j)/tau)``;
    note that the denominator sums over ``g_j`` (the source text misprints it as ``g_i``).
    ``logits`` play the role of ``log a_i``: unnormalised log-probabilities are fine,
    because softmax ignores a constant added to every entry of a row.

    Args:
        logits: ``(B, K)`` unnormalised log-probabilities.
        tau: temperature > 0. Small tau -> nearly one-hot, large tau -> nearly uniform.
        gumbel: optional ``(B, K)`` Gumbel noise ``g`` to use instead of a fresh draw (a
            seeded evaluation draws it in advance).

    Returns:
        ``(B, K)`` rows on the probability simplex, differentiable w.r.t. ``logits``.
    """
    _check_tau(tau)
    g = sample_gumbel(logits.shape, generator=generator) if gumbel is None else gumbel
    g = g.to(logits.device, logits.dtype)
    return F.softmax((logits + g) / tau, dim=-1)


def _onehot_argmax(y: torch.Tensor) -> torch.Tensor:
    """``(B, K)`` -> ``(B, K)`` one-hot of the row argmax (the first one on ties)."""
    return F.one_hot(y.argmax(dim=-1), y.shape[-1]).to(y.dtype)


def gumbel_softmax(logits: torch.Tensor, tau: float = 1.0, hard: bool = True,
                   generator: torch.Generator | None = None, gumbel: torch.Tensor | None = None) -> torch.Tensor:
    """Gumbel-softmax sample of a categorical distribution with ``softmax(logits)`` probabilities.

    Args:
        logits: ``(B, K)``.
        tau: temperature > 0 (``ValueError`` otherwise, naming the value).
        hard: ``True`` (straight-through): the forward value is the one-hot of
            ``argmax(y)``, an exact sample of ``softmax(logits)``, while the gradient is
            that of the soft sample ``y``. ``False``: the soft sample ``y`` itself.
        gumbel: optional ``(B, K)`` Gumbel noise to use instead of a fresh draw.

    Returns:
        ``(B, K)``.
    """
    y = gumbel_softmax_sample(logits, tau, generator=generator, gumbel=gumbel)
    if not hard:
        return y
    y_hard = _onehot_argmax(y)
    # forward value: y_hard; backward: d(y)/d(logits), because (y_hard - y) is detached
    return (y_hard - y).detach() + y


def onehot_from_logits(logits: torch.Tensor, eps: float = 0.0,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Greedy one-hot actions, with epsilon-random rows.

    Args:
        logits: ``(B, K)``.
        eps: probability, per row, of replacing the greedy one-hot by a uniformly
            random one-hot. ``0`` gives the greedy action (used in evaluation and for
            the target actors).

    Returns:
        ``(B, K)`` one-hot rows (exactly one 1 per row, also when logits tie).
    """
    if not 0.0 <= eps <= 1.0:
        raise ValueError(_("eps must be in [0, 1], got eps={eps}").format(eps=repr(eps)))
    greedy = _onehot_argmax(logits)
    if eps == 0.0:
        return greedy
    B, K = logits.shape
    random_idx = torch.randint(K, (B,), generator=generator, device=logits.device)
    random_onehot = F.one_hot(random_idx, K).to(logits.dtype)
    use_random = torch.rand(B, generator=generator, device=logits.device) < eps
    return torch.where(use_random[:, None], random_onehot, greedy)


def critic_target(reward: torch.Tensor, target_q: torch.Tensor, done: torch.Tensor,
                  gamma: float) -> torch.Tensor:
    """TD target ``y = r + gamma * (1 - done) * Q'(x', a')``.

    ``done`` means *termination* only: an episode cut off by a time limit still
    bootstraps from its real next observation.

    Args:
        reward: ``(B,)``.
        target_q: ``(B,)``, the target critic at the next state and the target actors' actions.
        done: ``(B,)``, 1.0 where the episode terminated.
        gamma: discount in [0, 1].

    Returns:
        ``(B,)``. All three inputs must have the same shape: a ``(B, 1)`` next to a
        ``(B,)`` would silently broadcast to ``(B, B)``, so it raises instead.
    """
    if not (reward.shape == target_q.shape == done.shape):
        raise ValueError(_("critic_target needs reward, target_q and done of one shape, got reward {reward}, "
                           "target_q {target_q}, done {done}").format(
            reward=tuple(reward.shape), target_q=tuple(target_q.shape), done=tuple(done.shape)))
    return reward + gamma * (1.0 - done) * target_q


@torch.no_grad()
def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """Move the target network a step ``tau`` towards the source, in place:
    ``theta' <- tau * theta + (1 - tau) * theta'``.

    Args:
        target: network updated in place (the slow copy).
        source: network whose parameters are followed.
        tau: rate in [0, 1]; 1 copies the source, 0 leaves the target unchanged.
    """
    if not 0.0 <= tau <= 1.0:
        raise ValueError(_("soft-update rate tau must be in [0, 1], got tau={tau}").format(tau=repr(tau)))
    for p_target, p in zip(target.parameters(), source.parameters(), strict=True):
        p_target.mul_(1.0 - tau).add_(p, alpha=tau)
