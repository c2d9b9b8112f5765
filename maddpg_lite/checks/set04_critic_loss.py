"""Checks of notebooks/exercises/04_critic_loss_exercises.ipynb (lesson 04: the critic target, the two losses
and the soft update).

Exercise 1 :func:`check_critic_target`, 2 :func:`check_critic_loss`, 3 :func:`check_actor_loss`,
4 :func:`check_soft_update`, 5 :func:`check_fixed_critic_loss` (the fix of :func:`buggy_critic_loss`): against
:mod:`maddpg_lite.functional` and :class:`maddpg_lite.maddpg.MADDPG`, on the MADDPG of :func:`exercise_setup`.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ..buffer import Batch
from ..functional import critic_target, onehot_from_logits
from ..i18n import N_, _
from ..maddpg import ACTOR_LOGIT_PENALTY, MADDPG
from .core import SEED, Z_MAX, _Checks, _close, _expect_tensor, _fmt, _Mismatch, checker
from .shared import _setup

_TARGET_MISTAKES = [  # names and whys are translated where they are shown
    (N_("no done mask: y = r + gamma * Q'"), lambda r, q, d, g: r + g * q,
     N_("Multiply the bootstrap term by (1 - done): at a terminal transition there is no future.")),
    (N_("inverted done mask: y = r + gamma * done * Q'"), lambda r, q, d, g: r + g * d * q,
     N_("done = 1 means terminated, so the bootstrap term must vanish there: use (1 - done).")),
    (N_("mask on the reward too: y = (1 - done) * (r + gamma * Q')"), lambda r, q, d, g: (1 - d) * (r + g * q),
     N_("The reward of the last transition still counts; only the bootstrap term is masked.")),
    (N_("no discount: y = r + (1 - done) * Q'"), lambda r, q, d, g: r + (1 - d) * q,
     N_("Discount the bootstrap term by gamma.")),
]


@checker("critic_target(reward, target_q, done, gamma)")
def check_critic_target(c: _Checks) -> None:
    """Check ``fn(reward, target_q, done, gamma)`` against :func:`maddpg_lite.functional.critic_target`.

    Verified: shape ``(B,)`` and values equal to the reference for B in {1, 5, 64}, gamma in
    {0, 0.95, 1}, done rows mixed, all 0 and all 1; the inputs are not modified; inputs of
    different shapes (a ``(B, 1)`` target_q next to ``(B,)`` rewards) raise ``ValueError``.
    A wrong value is compared with the usual mistakes (no done mask, inverted mask, ...) to
    name the likely cause.
    """
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
        out = _expect_tensor(c.call(inp, *args, gamma), _("y has shape (B,)"), inp, reward.shape)
        if not all(torch.equal(a, b) for a, b in zip(args, (reward, target_q, done))):
            raise _Mismatch(_("the inputs are left unchanged"), inp, _("reward, target_q, done unchanged"),
                            _("an input was modified in place"),
                            _("Compute a new tensor; avoid in-place ops like add_() or *=."))
        expected = critic_target(reward, target_q, done, gamma)
        if not _close(out, expected):
            r = int((~torch.isclose(out.double(), expected.double(), rtol=1e-5, atol=1e-6)).nonzero()[0])
            hint = _("y = r + gamma * (1 - done) * target_q, row by row.")
            # name every mistake that fits: when all rows are terminal, 'no mask' and 'inverted mask' look the same
            matches = [_("'{mistake}'. {why}").format(mistake=_(name), why=_(why))
                       for name, wrong, why in _TARGET_MISTAKES if _close(out, wrong(reward, target_q, done, gamma))]
            if len(matches) == 1:
                hint = _("Your values match the mistake {mistake}").format(mistake=matches[0])
            elif matches:
                hint = _("On this input your values match each of these mistakes: {mistakes}").format(
                    mistakes=_(" Or: ").join(matches))
            raise _Mismatch("y = r + gamma * (1 - done) * target_q", inp,
                            _("row {row}: y = {y}  (reward {reward}, target_q {target_q}, done {done})").format(
                                row=r, y=f"{expected[r].item():.6f}", reward=f"{reward[r].item():.4f}",
                                target_q=f"{target_q[r].item():.4f}", done=f"{done[r].item():.0f}"),
                            _("row {row}: {values}").format(row=r, values=f"{out[r].item():.6f}"), hint)
    c.ok(_("y = r + gamma (1 - done) Q' for B in {1, 5, 64}, gamma in {0, 0.95, 1}, done mixed / all 1 / all 0"))
    c.ok(_("the inputs are not modified"))

    B = 6
    reward, target_q, done = torch.randn(B, generator=gen), torch.randn(B, 1, generator=gen), torch.zeros(B)
    c.expect_raises(ValueError, _("reward of shape ({n},), target_q of shape ({n}, 1), done of shape ({n},), "
                                  "gamma=0.95").format(n=B),
                    _("(B,) + (B, 1) broadcasts silently to a (B, B) matrix, here ({n}, {n}). Compare the three shapes "
                      "and raise ValueError(...) when they differ.").format(n=B), reward, target_q, done, 0.95)
    c.ok(_("a (B, 1) target_q next to (B,) rewards raises ValueError instead of broadcasting to (B, B)"))


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
            raise _Mismatch(_("the loss leaves the batch unchanged"), inp,
                            _("{name} unchanged").format(name=f"batch.{name}"),
                            _("{name} was modified in place").format(name=f"batch.{name}"),
                            _("Do not write into the batch (e.g. batch.actions[:, i] = a_i): build a new list, "
                              "e.g. actions = list(batch.actions.unbind(dim=1)); actions[i] = a_i."))
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

    add(_("the target comes from the online critic Q_i instead of the target critic Q'_i"),
        critic_target(r, m.q_value(m.critics[i], i, next_obs, greedy), d, m.gamma),
        _("y must use maddpg.target_critics[i] (the slow copy), not maddpg.critics[i]."))
    add(_("the next actions come from the online actors instead of the target actors"),
        critic_target(r, m.q_value(m.target_critics[i], i, next_obs, online_greedy), d, m.gamma),
        _("a'_j = onehot(mu'_j(o'_j)) uses maddpg.target_actors (maddpg.target_actions does it for you)."))
    add(_("the next actions are the actions stored in the batch"),
        critic_target(r, m.q_value(m.target_critics[i], i, next_obs, actions), d, m.gamma),
        _("The batch's actions were taken at x, not at x': use the target actors' greedy actions at x'."))
    add(_("no done mask"), r + m.gamma * target_q,
        _("y = r + gamma * (1 - done) * Q'(x', a'): the checker's batch has terminal rows."))
    add(_("the target is computed at x instead of x'"),
        critic_target(r, m.q_value(m.target_critics[i], i, obs, greedy), d, m.gamma),
        _("Q' is evaluated at the next observations batch.next_obs."))
    add(_("the prediction Q(x, a) uses the target critic"),
        critic_target(r, target_q, d, m.gamma),
        _("The prediction is maddpg.critics[i] at (batch.obs, batch.actions); only y uses target networks."),
        pred=m.q_value(m.target_critics[i], i, obs, actions))
    out.append((_("a (B, 1) versus (B,) broadcast (the loss averages a (B, B) matrix)"), buggy_critic_loss(m, i, batch),
                _("The critic's output has shape (B, 1); squeeze(-1) it (or use maddpg.q_value) before combining it "
                  "with (B,) rewards. Print the shapes of q and y.")))
    return out


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
    out = _expect_tensor(out, check, inp, hint=_("Return the loss as a scalar tensor."))
    if out.dim() != 0:
        raise _Mismatch(check, inp, _("a scalar tensor (shape ())"), f"shape {tuple(out.shape)}: {_fmt(out)}",
                        _("Average over the batch with .mean() so that loss.backward() works."))
    return out


def _expect_untouched(m: MADDPG, before: list[torch.Tensor], check: str, inp: str) -> None:
    for (name, p), b in zip(_named_params(m), before):
        if not torch.equal(p.detach(), b):
            raise _Mismatch(check, inp, _("no parameter changes while computing the loss"),
                            _("{name} changed").format(name=name),
                            _("A loss function only computes the loss: no optimizer.step(), no soft update, no "
                              "in-place change of the networks."))


def _named_params(m: MADDPG):
    return [(name, p) for name, net in _nets(m).items() for p in net.parameters()]


def _check_loss_gradients(c: _Checks, m: MADDPG, loss: torch.Tensor, ref_grads, allowed: set[str], check: str,
                          inp: str, hint_extra: str = "") -> None:
    """After ``loss.backward()``: only the networks in ``allowed`` hold gradients, and those equal ``ref_grads``."""
    if not loss.requires_grad:
        raise _Mismatch(check, inp,
                        _("a loss with a gradient into {networks}").format(networks=", ".join(sorted(allowed))),
                        _("a loss without gradient (requires_grad=False)"),
                        _("Do not compute the whole loss under torch.no_grad() or with .detach(); only the target y "
                          "is computed without gradients.") + hint_extra)
    c.guard(inp + _("; then loss.backward()"), loss.backward)
    for name, net in _nets(m).items():
        grads = [p.grad for p in net.parameters() if p.grad is not None]
        has_grad = any(g.abs().sum() > 0 for g in grads)
        if has_grad and name not in allowed:
            raise _Mismatch(check, inp, _("gradients only in {networks}").format(networks=", ".join(sorted(allowed))),
                            _("{name} has a gradient").format(name=name),
                            _("The target side of the loss must be computed under torch.no_grad() (or detached), and "
                              "only agent i's networks belong in this loss.") + hint_extra)
    for name, net in _nets(m).items():
        if name in allowed:
            for p, g_ref in zip(net.parameters(), ref_grads[name]):
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                if not torch.allclose(g, g_ref, rtol=1e-4, atol=1e-6):
                    raise _Mismatch(check, inp, _("the gradient of {name} equals the reference's").format(name=name),
                                    _("a different gradient (largest difference {diff})").format(
                                        diff=f"{(g - g_ref).abs().max().item():.3g}"),
                                    _("Did gradients flow through the target y? Compute y under torch.no_grad().")
                                    + hint_extra)


def _critic_loss_checks(c: _Checks) -> None:
    base, batch = _setup(SEED, 64)
    batches = [(_("a real batch of 64 transitions (done = 0 everywhere)"), batch),
               (_("the same batch with every third row terminal (done = 1)"), _with_terminal_rows(batch))]
    for label, b in batches:
        for i in range(base.n_agents):
            m = copy.deepcopy(base)
            inp = _("the MADDPG of exercise_setup(), i={i}, batch = {batch}").format(i=i, batch=label)
            ref = m.critic_loss(i, b)
            _zero_grads(m)
            ref.backward()
            ref_grads = {f"maddpg.critics[{i}]": [p.grad.clone() for p in m.critics[i].parameters()]}
            _zero_grads(m)
            before = _state(m)
            out = _expect_scalar(_call_on_batch(c, inp, m, i, b), _("the critic loss is a scalar"), inp)
            _expect_untouched(m, before, _("the loss leaves the networks unchanged"), inp)
            if not torch.isclose(out.detach().double(), ref.detach().double(), rtol=1e-5, atol=1e-6):
                hint = _("loss = mean((Q_i(x, a) - y)^2) with y = r_i + gamma (1 - done_i) Q'_i(x', a'), "
                         "a'_j = onehot(mu'_j(o'_j)) from the target actors.")
                with torch.no_grad():
                    for name, wrong, why in _critic_loss_mistakes(m, i, b):
                        if torch.isclose(out.detach().double(), wrong.double(), rtol=1e-5, atol=1e-6):
                            hint = _("Your value matches the mistake: {mistake}. {why}").format(mistake=name, why=why)
                            break
                raise _Mismatch(_("the loss value equals MADDPG.critic_loss"), inp, f"{ref.item():.6f}",
                                f"{out.item():.6f}", hint)
            _check_loss_gradients(c, m, out, ref_grads, {f"maddpg.critics[{i}]"},
                                  _("the gradient reaches critics[i] only, and equals the package's"), inp)
    c.ok(_("value = MADDPG.critic_loss for every agent i, on a real batch and on one with terminal rows"))
    c.ok(_("gradient = the package's, in critics[i] only (targets, actors and other critics get none)"))
    c.ok(_("computing the loss changes no parameter and leaves the batch unchanged"))


@checker("critic_loss(maddpg, i, batch)")
def check_critic_loss(c: _Checks) -> None:
    """Check ``fn(maddpg, i, batch)`` against :meth:`maddpg_lite.maddpg.MADDPG.critic_loss`.

    On the MADDPG of :func:`exercise_setup` (networks and targets differ), for every agent i,
    on a real batch and on the same batch with every third row marked terminal, verified:
    a scalar tensor whose value equals the package's; its gradient w.r.t. ``critics[i]``
    equals the package's; no other network gets a gradient; the call changes no parameter and
    does not write into the batch.
    A wrong value is compared with the usual mistakes (online network in the target, no done
    mask, (B, 1) broadcast, ...) to name the likely cause.
    """
    _critic_loss_checks(c)


@checker("fixed_critic_loss(maddpg, i, batch)")
def check_fixed_critic_loss(c: _Checks) -> None:
    """Exercise 5: the same checks as :func:`check_critic_loss`, for the student's fix of
    :func:`buggy_critic_loss` (which fails them: its value is not the package's)."""
    _critic_loss_checks(c)


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


_ACTOR_HINT = N_("loss = -mean Q_i(x, a_1..a_N) + ACTOR_LOGIT_PENALTY * mean(logits_i^2), where logits_i = "
                  "actors[i](obs[i]), a_i = gumbel_softmax(logits_i, maddpg.gumbel_tau, hard=True), the other a_j are "
                  "the batch's actions, and Q_i is maddpg.critics[i] (not the target critic).")
"""The hint of every failed value of :func:`check_actor_loss` (shown as ``_(_ACTOR_HINT)``)."""


@checker("actor_loss(maddpg, i, batch)")
def check_actor_loss(c: _Checks) -> None:
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
    base, batch = _setup(SEED, 64)
    for i in range(base.n_agents):
        m = _confident(base, i)
        inp = _("exercise_setup()'s MADDPG with actors[{i}] outputting logits {logits} for every observation, i={i}, "
                "a real batch of 64").format(i=i, logits=_fmt(CONFIDENT_LOGITS))
        ref = m.actor_loss(i, batch)
        before = _state(m)
        out = _expect_scalar(_call_on_batch(c, inp, m, i, batch), _("the actor loss is a scalar"), inp)
        _expect_untouched(m, before, _("the loss leaves the networks unchanged"), inp)
        if not torch.isclose(out.detach().double(), ref.detach().double(), rtol=1e-5, atol=1e-6):
            hint = _(_ACTOR_HINT)
            penalty = ACTOR_LOGIT_PENALTY * (CONFIDENT_LOGITS ** 2).mean().item()
            if abs(out.item() - (ref.item() - penalty)) < 1e-4:
                hint = _("Your value is the reference minus the logit penalty ({penalty}): add it. {hint}").format(
                    penalty=f"{penalty:.3f}", hint=hint)
            raise _Mismatch(_("with a confident actor the loss equals MADDPG.actor_loss (it is noise-free)"), inp,
                            f"{ref.item():.6f}", f"{out.item():.6f}", hint)
    c.ok(_("with a confident actor i (noise-free sample), value = MADDPG.actor_loss for every agent i, penalty "
           "included"))

    big = _repeat(batch, 64)
    for i in range(base.n_agents):
        m = copy.deepcopy(base)
        inp = _("the MADDPG of exercise_setup(), i={i}, a real batch of 64 transitions repeated 64 times (4096 "
                "rows)").format(i=i)
        expected, se = _expected_actor_loss(m, i, big)
        _zero_grads(m)
        ref = m.actor_loss(i, big)
        ref.backward()
        ref_grad = torch.cat([p.grad.flatten() for p in m.actors[i].parameters()])
        _zero_grads(m)
        out = _expect_scalar(_call_on_batch(c, inp, m, i, big), _("the actor loss is a scalar"), inp)
        if abs(out.item() - expected) > Z_MAX * se + 1e-6:
            raise _Mismatch(_("the loss is right on average over the Gumbel noise"), inp,
                            _("{value} +- {margin} (exact expectation +- 5 standard errors)").format(
                                value=f"{expected:.5f}", margin=f"{Z_MAX * se:.5f}"),
                            f"{out.item():.5f}",
                            _("a_i must be a sample of softmax(logits_i): the straight-through Gumbel-softmax, not the "
                              "greedy one-hot and not the soft sample. {hint}").format(hint=_(_ACTOR_HINT)))
        allowed = {f"maddpg.actors[{i}]", f"maddpg.critics[{i}]"}
        if not out.requires_grad:
            raise _Mismatch(_("the gradient reaches actors[i]"), inp, _("a loss with a gradient"), _("no gradient"),
                            _("Do not compute the loss under torch.no_grad() or detach the action."))
        c.guard(inp + _("; then loss.backward()"), out.backward)
        for name, net in _nets(m).items():
            if name not in allowed and any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters()):
                raise _Mismatch(_("the gradient reaches actors[i] (and critics[i]) only"), inp,
                                _("gradients only in {networks}").format(networks=", ".join(sorted(allowed))),
                                _("{name} has a gradient").format(name=name),
                                _("Only agent i's action comes from its current actor; the other agents' actions are "
                                  "the ones stored in the batch. {hint}").format(hint=_(_ACTOR_HINT)))
        grads = [p.grad.flatten() if p.grad is not None else torch.zeros(p.numel()) for p in m.actors[i].parameters()]
        grad = torch.cat(grads)
        cos = F.cosine_similarity(grad, ref_grad, dim=0).item() if grad.norm() > 0 else 0.0
        ratio = (grad.norm() / ref_grad.norm()).item()
        if cos < 0.9 or not 0.7 < ratio < 1.4:
            raise _Mismatch(_("the gradient of actors[i] is the package's"), inp,
                            _("cosine similarity with MADDPG.actor_loss's gradient > 0.9 and a norm ratio in "
                              "(0.7, 1.4)"),
                            _("cosine similarity {cos}, norm ratio {ratio}").format(cos=f"{cos:.3f}",
                                                                                    ratio=f"{ratio:.3f}"),
                            _("The action a_i must carry the straight-through gradient: "
                              "gumbel_softmax(logits_i, maddpg.gumbel_tau, hard=True). A greedy one-hot "
                              "(onehot_from_logits) passes no gradient from Q to the actor."))
    c.ok(_("on the real actors, the value matches its exact expectation over the noise (5 standard errors)"))
    c.ok(_("the gradient reaches actors[i] and critics[i] only; actors[i]'s gradient matches the package's"))
    c.ok(_("computing the loss changes no parameter and leaves the batch unchanged"))


def _small_net(gen: torch.Generator) -> nn.Module:
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return net


@checker("soft_update(target, source, tau)")
def check_soft_update(c: _Checks) -> None:
    """Check ``fn(target, source, tau)`` against :func:`maddpg_lite.functional.soft_update`.

    Verified for tau in {0.01, 0.3, 1, 0}, on a small MLP whose parameters require gradients
    and on a MADDPG target critic (which does not): every target parameter becomes
    ``tau * source + (1 - tau) * target`` in place (the same parameter objects), the source is
    unchanged, and the parameters keep their ``requires_grad``. A wrong result is compared
    with the usual mistakes (swapped direction, swapped weights, a plain copy).
    """
    gen = torch.Generator().manual_seed(4)
    base = _setup(SEED, 64)[0]
    for tau in [0.01, 0.3, 1.0, 0.0]:
        for kind in ["mlp", "maddpg"]:
            if kind == "mlp":
                target, source = _small_net(gen), _small_net(gen)
                what = _("two Linear(4,8)-ReLU-Linear(8,3) networks with random weights")
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
            check = _("target <- tau * source + (1 - tau) * target, in place; source unchanged")
            if [id(p) for p in target.parameters()] != ids:
                raise _Mismatch(check, inp, _("the same parameter objects, updated in place"),
                                _("new parameter objects in the target"),
                                _("Update the existing tensors in place under torch.no_grad(), e.g. "
                                  "p_target.mul_(1 - tau).add_(tau * p) or p_target.copy_(...)."))
            for name, (p, old) in zip([n for n, _p in source.named_parameters()], zip(source.parameters(), s_before)):
                if not torch.equal(p.detach(), old):
                    raise _Mismatch(check, inp, _("{name} unchanged").format(name=f"source.{name}"),
                                    _("{name} changed").format(name=f"source.{name}"),
                                    _("Only the target moves (towards the source): did you swap target and source?"))
            names = [n for n, _p in target.named_parameters()]
            for name, p, old, s in zip(names, target.parameters(), t_before, s_before):
                expected = tau * s + (1 - tau) * old
                got = p.detach()
                if not torch.allclose(got, expected, rtol=1e-5, atol=1e-6):
                    if torch.equal(got, old) and tau > 0:
                        hint = _("The target did not move: update it in place (not a local copy or a new network).")
                    elif torch.allclose(got, (1 - tau) * s + tau * old, rtol=1e-5, atol=1e-6):
                        hint = _("You swapped the weights: the target keeps (1 - tau) of itself and takes tau of "
                                 "the source.")
                    elif torch.allclose(got, s):
                        hint = _("The target became a copy of the source (a hard update); weight them by tau and "
                                 "1 - tau.")
                    else:
                        hint = _("theta' <- tau * theta + (1 - tau) * theta', parameter by parameter.")
                    raise _Mismatch(check, inp, f"target.{name} = {_fmt(expected, 2)}", _fmt(got, 2), hint)
            if [p.requires_grad for p in target.parameters()] != flags:
                raise _Mismatch(_("the target keeps its requires_grad flags"), inp, f"requires_grad {flags}",
                                f"requires_grad {[p.requires_grad for p in target.parameters()]}",
                                _("Do not switch gradients on or off; work under torch.no_grad()."))
    c.ok(_("target <- tau * source + (1 - tau) * target for tau in {0.01, 0.3, 1, 0}, in place (same parameter "
           "objects)"))
    c.ok(_("the source is unchanged; parameters keep requires_grad (an MLP that needs gradients, a MADDPG target that "
           "does not)"))
