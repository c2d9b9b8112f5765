"""MADDPG: one actor mu_i(o_i) and one centralized critic Q_i(x, a_1..a_N) per agent.

With ``centralized=False`` every critic sees only its own observation and action,
which is independent DDPG (the comparison of notebooks/06_maddpg_vs_ddpg.ipynb).

Taught in notebooks/04_critic_loss.ipynb and notebooks/05_training.ipynb.
"""

from __future__ import annotations

import copy
import functools
import os
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .buffer import Batch
from .config import weight_perturbation
from .functional import critic_target, gumbel_softmax, onehot_from_logits, sample_gumbel

ACTOR_LOGIT_PENALTY = 1e-3
"""Weight of ``mean(logits^2)`` in the actor loss: keeps the logits, hence the Gumbel-softmax, from saturating."""


class MLP(nn.Sequential):
    """Two hidden ReLU layers: ``(B, in_dim)`` -> ``(B, out_dim)``.

    An ``nn.Sequential`` of ``Linear, ReLU, Linear, ReLU, Linear`` (its weights are saved and
    printed as such) whose forward pass calls the three layers' functions directly, each ReLU
    in place: the same numbers as running the five modules one by one, without five module
    calls and two extra ``(B, hidden)`` tensors per pass, a large part of the cost at these sizes.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, _, second, _, last = self
        h = F.linear(x, first.weight, first.bias).relu_()
        h = F.linear(h, second.weight, second.bias).relu_()
        return F.linear(h, last.weight, last.bias)


def mlp(in_dim: int, out_dim: int, hidden_dim: int) -> MLP:
    """Two hidden ReLU layers: ``(B, in_dim)`` -> ``(B, out_dim)`` (an :class:`MLP`)."""
    return MLP(
        nn.Linear(in_dim, hidden_dim), nn.ReLU(),
        nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
        nn.Linear(hidden_dim, out_dim),
    )


@torch.no_grad()
def clip_grad_per_tensor(parameters, max_norm: float) -> None:
    """Scale each parameter's gradient ``g`` in place to ``g * max_norm / max(||g||, max_norm)``:
    tensors whose gradient norm is at most ``max_norm`` are unchanged, the others get norm
    ``max_norm``. This is TensorFlow's ``clip_by_norm`` applied to every tensor separately, as
    the MADDPG paper's code does, not torch's ``clip_grad_norm_`` (one norm over all tensors).
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norms = torch.stack(torch._foreach_norm(grads))  # (number of tensors,)
    scale = max_norm / torch.clamp(norms, min=max_norm)  # 1 where the norm is within max_norm
    torch._foreach_mul_(grads, list(scale.unbind()))


def as_action_dims(action_dims, n_agents: int) -> tuple[int, ...]:
    """``A`` (every agent the same) or ``(A_1..A_N)`` -> the tuple ``(A_1..A_N)``; ValueError
    naming a bad value."""
    dims = (action_dims,) * n_agents if isinstance(action_dims, (int, np.integer)) else tuple(action_dims)
    if len(dims) != n_agents or not all(isinstance(a, (int, np.integer)) and a >= 1 for a in dims):
        raise ValueError(f"action_dims must be one whole number >= 1 or one per agent ({n_agents}), "
                         f"got action_dims={action_dims!r}")
    return tuple(int(a) for a in dims)


def per_agent(actions) -> list:
    """Actions as a list of N per-agent ``(B, A_i)`` arrays or tensors: a ``(B, N, A)`` array or
    tensor (every agent with A actions) is split along its agent axis, a list is kept."""
    if isinstance(actions, torch.Tensor):
        return list(actions.unbind(dim=1))
    if isinstance(actions, np.ndarray):
        return [actions[:, i] for i in range(actions.shape[1])]
    return list(actions)


def _same_shape(shape: dict) -> dict:
    """A checkpoint's shape with ``n_actions=A`` written as ``action_dims=[A]*N``, so both forms compare equal."""
    shape = dict(shape)
    if "n_actions" in shape:
        shape["action_dims"] = list(as_action_dims(shape.pop("n_actions"), len(shape["obs_dims"])))
    return shape


def adam_step(optimizer: torch.optim.Adam, params: list) -> None:
    """One step of ``optimizer`` (torch's Adam with ``foreach=True``, no weight decay, amsgrad or
    maximize) on ``params``, all of which have a gradient: exactly the tensor operations of
    torch's own foreach step (``torch.optim.adam._multi_tensor_adam`` with ``capturable=False``),
    in the same order and with the same scalars, so the numbers are the same to the bit
    (``tests/test_maddpg.py``), but without its per-call bookkeeping, a large part of a small
    network's step. The optimizer's state stays torch's: ``optimizer.step()`` can take over at any time.
    """
    group = optimizer.param_groups[0]
    if (len(optimizer.param_groups) != 1 or group["amsgrad"] or group["weight_decay"] or group["maximize"]
            or any(p.grad is None for p in params)):
        optimizer.step()  # not the case this replicates: torch's own step
        return
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    state = optimizer.state
    for p in params:  # lazy initialisation, as torch's Adam._init_group does it
        if len(state[p]) == 0:
            state[p]["step"] = torch.tensor(0.0, dtype=torch.get_default_dtype())
            state[p]["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state[p]["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    steps = [state[p]["step"] for p in params]
    exp_avgs = [state[p]["exp_avg"] for p in params]
    exp_avg_sqs = [state[p]["exp_avg_sq"] for p in params]
    grads = [p.grad for p in params]
    with torch.no_grad():
        torch._foreach_add_(steps, torch.tensor(1.0), alpha=1.0)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        step_size = [(lr / (1 - beta1 ** t.item())) * -1 for t in steps]
        bias_correction2_sqrt = [(1 - beta2 ** t.item()) ** 0.5 for t in steps]
        denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, step_size)


MIN_THREADED_ROWS = 768
"""Update rounds on batches of fewer rows (per agent) run in one thread whatever ``agent_threads``
says: on small batches the hand-offs between threads cost more than they save
(``python -m maddpg_lite.bench --agent-threads`` measures both ways at several batch sizes)."""


def _thread_pool(threads: int) -> ThreadPoolExecutor:
    """One pool of ``threads`` threads, shared by every MADDPG of this process that asks for that
    many while torch runs on the same number of CPU threads (``torch.get_num_threads()``)."""
    # a forked child must not reuse its parent's (dead) threads: the pid is part of the key
    return _pool_of_process(threads, torch.get_num_threads(), os.getpid())


@functools.cache
def _pool_of_process(threads: int, torch_threads: int, pid: int) -> ThreadPoolExecutor:
    # torch's CPU thread count is per thread: a new thread starts at the machine's default, not
    # at what the caller set. Without this, a pool thread's first matrix products could take
    # another path than the caller's and differ in the last bit (seen on 6-row batches).
    return ThreadPoolExecutor(threads, thread_name_prefix="maddpg-agent",
                              initializer=torch.set_num_threads, initargs=(torch_threads,))


def _results(futures: list) -> list:
    """The futures' results in order; waits for all of them even on an error or Ctrl-C, so that
    no thread is still writing weights when the caller goes on."""
    try:
        return [f.result() for f in futures]
    finally:
        wait(futures)


def action_indices(actions) -> np.ndarray:
    """One-hot actions -> ``(K, N)`` integers (each agent's argmax), the form the games take;
    ``actions``: ``(K, N, A)`` or per agent ``(K, A_i)``."""
    if isinstance(actions, np.ndarray):
        return actions.argmax(-1)
    return np.stack([a.argmax(-1) for a in actions], axis=1)


def perturb_weights(state: dict, size: float, seed: int = 0) -> None:
    """Multiply every weight of a checkpoint ``state`` in place by ``1 + size * z``, ``z`` a standard
    normal draw per weight from a generator seeded with ``seed`` (the networks in stored order)."""
    gen = torch.Generator().manual_seed(seed)
    for key in ("actors", "critics", "target_actors", "target_critics"):
        for net in state.get(key, []):
            for w in net.values():
                if w.is_floating_point():
                    z = torch.randn(w.shape, generator=gen, dtype=torch.float64)
                    w.copy_(w.double() * (1 + size * z))


class MADDPG:
    """Actors, critics, their targets and optimizers for N agents; agent i has A_i discrete actions.

    Actions travel as one ``(B, N, A)`` array or tensor when every agent has the same number
    of actions A (simple_adversary: 5 each), or as a list of N per-agent ``(B, A_i)`` arrays
    when they differ (speaker 3, listener 5); :func:`per_agent` turns either into the list.

    Args:
        obs_dims: observation size of each agent, e.g. ``(8, 10, 10)``.
        action_dims: A (every agent) or ``(A_1..A_N)``; ``n_actions`` is accepted as its old name.
        centralized: True: critic i takes ``x = (o_1..o_N)`` and ``(a_1..a_N)``
            (``sum(obs_dims) + sum(A_j)`` inputs); False: only ``(o_i, a_i)``.
        action_mode: ``"one-hot"`` (the book: straight-through hard samples) or ``"soft"``
            (the paper's code: soft Gumbel-softmax samples everywhere, see :class:`~maddpg_lite.config.Config`).
        grad_clip: if > 0, every weight tensor's gradient is clipped to this norm before each
            optimizer step (:func:`clip_grad_per_tensor`).
        agent_threads: threads on which an update round runs the agents' steps side by side
            (batches of :data:`MIN_THREADED_ROWS` rows or more); any value gives the loop's numbers
            up to float rounding (see :class:`~maddpg_lite.config.Config`). 1: the plain loop.
    """

    def __init__(self, obs_dims, action_dims=None, hidden_dim: int = 64, actor_lr: float = 1e-2,
                 critic_lr: float = 1e-2, gamma: float = 0.95, tau: float = 1e-2,
                 gumbel_tau: float = 1.0, centralized: bool = True, action_mode: str = "one-hot",
                 grad_clip: float = 0.0, n_actions=None, agent_threads: int = 1):
        self.obs_dims = tuple(int(d) for d in obs_dims)
        self.n_agents = len(self.obs_dims)
        self.action_dims = as_action_dims(n_actions if action_dims is None else action_dims, self.n_agents)
        """``(A_1..A_N)``: actions per agent."""
        self.uniform = len(set(self.action_dims)) == 1
        """True when every agent has the same number of actions: actions are then ``(B, N, A)``."""
        self.n_actions = self.action_dims[0] if self.uniform else None
        """A when every agent has A actions, else None (see :attr:`action_dims`)."""
        self.hidden_dim = hidden_dim
        self.gamma, self.tau, self.gumbel_tau = gamma, tau, gumbel_tau
        self.centralized = centralized
        if action_mode not in ("one-hot", "soft"):
            raise ValueError(f"action_mode must be one-hot or soft, got action_mode={action_mode!r}")
        self.action_mode, self.grad_clip = action_mode, grad_clip
        if isinstance(agent_threads, bool) or not isinstance(agent_threads, int) or agent_threads < 1:
            raise ValueError(f"agent_threads must be a whole number >= 1, got agent_threads={agent_threads!r}")
        self.agent_threads = agent_threads
        self.actors = [mlp(d, a, hidden_dim) for d, a in zip(self.obs_dims, self.action_dims)]
        self.critics = [mlp(self.critic_input_dim(i), 1, hidden_dim) for i in range(self.n_agents)]
        self.target_actors = [copy.deepcopy(net).requires_grad_(False) for net in self.actors]
        self.target_critics = [copy.deepcopy(net).requires_grad_(False) for net in self.critics]
        # foreach=True: one vectorised Adam step per network instead of a Python loop over its tensors
        self.actor_optimizers = [torch.optim.Adam(net.parameters(), lr=actor_lr, foreach=True) for net in self.actors]
        self.critic_optimizers = [torch.optim.Adam(net.parameters(), lr=critic_lr, foreach=True)
                                  for net in self.critics]
        # parameter lists made once: walking a module's parameters costs more than the small steps on them
        self._actor_params = [list(net.parameters()) for net in self.actors]
        self._critic_params = [list(net.parameters()) for net in self.critics]
        self._target_params = [p for net in self.target_actors + self.target_critics for p in net.parameters()]
        self._source_params = [p for net in self.actors + self.critics for p in net.parameters()]

    @classmethod
    def from_config(cls, config, obs_dims=None, action_dims=None) -> "MADDPG":
        """A MADDPG with ``config``'s hyper-parameters, for ``obs_dims`` and ``action_dims`` or,
        without them, for the game ``config`` names (``config.scenario`` and its keywords)."""
        if obs_dims is None or action_dims is None:
            from .evaluation import env_kwargs
            from .games import make_vec_game

            game = make_vec_game(num_envs=1, **env_kwargs(config))
            obs_dims, action_dims = obs_dims or game.obs_dims, action_dims or game.action_dims
        return cls(obs_dims, action_dims, hidden_dim=config.hidden_dim,
                   actor_lr=config.actor_lr, critic_lr=config.critic_lr, gamma=config.gamma,
                   tau=config.tau, gumbel_tau=config.gumbel_tau, centralized=config.centralized,
                   action_mode=config.action_mode, grad_clip=config.grad_clip,
                   agent_threads=config.agent_threads)

    # ----- the critic's view -------------------------------------------------------
    def critic_input_dim(self, i: int) -> int:
        if self.centralized:
            return sum(self.obs_dims) + sum(self.action_dims)  # 28 + 15 = 43 in simple_adversary
        return self.obs_dims[i] + self.action_dims[i]

    def critic_input(self, i: int, obs, actions) -> torch.Tensor:
        """Concatenate what critic i sees.

        Args:
            obs: per agent ``(B, obs_dim_j)``.
            actions: per agent ``(B, A_j)``.

        Returns:
            ``(B, critic_input_dim(i))``: ``(o_1..o_N, a_1..a_N)`` or ``(o_i, a_i)``.
        """
        if self.centralized:
            return torch.cat(list(obs) + list(actions), dim=1)
        return torch.cat([obs[i], actions[i]], dim=1)

    def q_value(self, critic: nn.Module, i: int, obs, actions) -> torch.Tensor:
        """``Q_i(x, a_1..a_N)`` as a ``(B,)`` vector (the last layer's ``(B, 1)`` squeezed once, here)."""
        return critic(self.critic_input(i, obs, actions)).squeeze(-1)

    # ----- acting -------------------------------------------------------------------
    @torch.inference_mode()  # like no_grad, and cheaper per operation: acting never needs a graph
    def act(self, obs, explore: bool = False, gumbel_noise=None) -> np.ndarray:
        """Decentralized execution: each actor sees only its own observation.

        Args:
            obs: per agent ``(K, obs_dim_i)`` arrays (a list in agent order, or a dict
                ``{name: array}`` in agent order).
            explore: True: Gumbel-softmax samples (training): one-hot straight-through
                samples, or soft samples with ``action_mode="soft"``. False: greedy one-hots.
            gumbel_noise: optional Gumbel noise for the samples, ``(K, N, A)`` or per agent
                ``(K, A_i)`` (implies ``explore``); a seeded evaluation of a soft policy passes it.

        Returns:
            float32 actions, ``(K, N, A)`` (every agent with A actions) or a list of N
            ``(K, A_i)``: one-hot rows (``.argmax(-1)`` gives the env's integers) or, in soft
            mode when sampling, points of the simplex.
        """
        if isinstance(obs, dict):
            obs = list(obs.values())
        hard = self.action_mode == "one-hot"
        noise = None if gumbel_noise is None else per_agent(gumbel_noise)
        out = []
        for i, (actor, o) in enumerate(zip(self.actors, obs)):
            logits = actor(torch.as_tensor(o, dtype=torch.float32))
            if explore or noise is not None:
                g = None if noise is None else torch.as_tensor(noise[i])
                out.append(gumbel_softmax(logits, self.gumbel_tau, hard=hard, gumbel=g))
            else:
                out.append(onehot_from_logits(logits))
        if self.uniform:
            return torch.stack(out, dim=1).numpy()
        return [a.numpy() for a in out]

    # ----- the two losses -------------------------------------------------------------
    def target_actions(self, next_obs, threaded: bool = False) -> list[torch.Tensor]:
        """The target actors' actions ``a'_j`` at ``x'``, per agent ``(B, A_j)``: greedy one-hots
        ``onehot(mu'_j(o'_j))``, or in soft mode soft Gumbel-softmax samples of ``mu'_j(o'_j)``
        (``threaded``: the actors sample side by side on ``agent_threads`` threads; same numbers)."""
        if self.action_mode == "soft":  # the noise is drawn here, in agent order, whatever the threads
            noise = [sample_gumbel((len(o), a)) for o, a in zip(next_obs, self.action_dims)]
            return self._map(self._soft_target_action, range(self.n_agents), next_obs, noise, threaded=threaded)
        with torch.no_grad():
            return [onehot_from_logits(mu(o)) for mu, o in zip(self.target_actors, next_obs)]

    def _soft_target_action(self, j: int, next_obs_j: torch.Tensor, gumbel: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # (grad mode is per thread)
            return gumbel_softmax(self.target_actors[j](next_obs_j), self.gumbel_tau, hard=False, gumbel=gumbel)

    def critic_loss(self, i: int, batch: Batch, next_actions=None) -> torch.Tensor:
        """``mean((Q_i(x, a) - y)^2)`` with ``y = r_i + gamma (1 - done_i) Q'_i(x', a')``.

        Args:
            i: agent index.
            batch: a :class:`~maddpg_lite.buffer.Batch`.
            next_actions: optional precomputed :meth:`target_actions` (same for every i).

        Returns:
            scalar tensor; gradients flow into ``critics[i]`` only.
        """
        if next_actions is None:
            next_actions = self.target_actions(batch.next_obs)
        with torch.no_grad():
            target_q = self.q_value(self.target_critics[i], i, batch.next_obs, next_actions)  # (B,)
            y = critic_target(batch.rewards[:, i], target_q, batch.dones[:, i], self.gamma)  # (B,)
        actions = per_agent(batch.actions)
        q = self.q_value(self.critics[i], i, batch.obs, actions)  # (B,)
        assert q.shape == y.shape, (q.shape, y.shape)
        return F.mse_loss(q, y)

    def actor_loss(self, i: int, batch: Batch, gumbel: torch.Tensor | None = None) -> torch.Tensor:
        """``-mean Q_i(x, a_1..mu_i(o_i)..a_N) + 1e-3 * mean(logits_i^2)``.

        Only agent i's action comes from its current actor (a straight-through
        Gumbel-softmax sample, or in soft mode the soft sample itself, so gradients reach
        ``actors[i]``); the others' actions are the ones stored in the batch.
        """
        logits = self.actors[i](batch.obs[i])  # (B, A_i)
        actions = per_agent(batch.actions)
        actions[i] = gumbel_softmax(logits, self.gumbel_tau, hard=self.action_mode == "one-hot", gumbel=gumbel)
        q = self.q_value(self.critics[i], i, batch.obs, actions)  # (B,)
        return -q.mean() + ACTOR_LOGIT_PENALTY * (logits ** 2).mean()

    # ----- one update round -----------------------------------------------------------
    def update(self, batch) -> dict[str, list[float]]:
        """One round of the pseudo-code: for each agent i, a critic step then an actor
        step on ``batch``; then every target moves by a soft update. With ``agent_threads`` > 1 and
        batches of at least :data:`MIN_THREADED_ROWS` rows, the agents' steps run side by side on
        threads, with the loop's numbers up to float rounding (to the bit where measured).

        Args:
            batch: one :class:`~maddpg_lite.buffer.Batch` for all agents (the book), or a
                list of N batches, agent i updating on ``batch[i]`` (the paper's code).

        Returns:
            ``{"critic_loss": [N floats], "actor_loss": [N floats]}``.
        """
        batches = list(batch) if isinstance(batch, (list, tuple)) and not isinstance(batch, Batch) else None
        if batches is not None and len(batches) != self.n_agents:
            raise ValueError(f"update needs one batch or {self.n_agents} batches (one per agent), got {len(batches)}")
        threaded = self.agent_threads > 1 and len((batches or [batch])[0].rewards) >= MIN_THREADED_ROWS
        if batches:  # the target actors act on all N batches at once: one forward per actor
            joint = self.target_actions([torch.cat([b.next_obs[j] for b in batches]) for j in range(self.n_agents)],
                                        threaded)
            next_actions_of = [list(per_batch) for per_batch in zip(*(a.chunk(self.n_agents) for a in joint))]
        else:
            shared = self.target_actions(batch.next_obs, threaded)
        # agent i's two steps read only its own networks, its batch and the target actions, so the
        # agents can be updated in any order or side by side (agent_threads); the Gumbel noise of
        # the actor losses is drawn here, in agent order, so the random numbers are the same either way
        batch_of = batches if batches else [batch] * self.n_agents
        next_of = next_actions_of if batches else [shared] * self.n_agents
        noise = [sample_gumbel((len(b.obs[i]), a)) for i, (b, a) in enumerate(zip(batch_of, self.action_dims))]
        if not threaded:  # the pseudo-code's loop
            losses = [(self._critic_step(i, batch_of[i], next_of[i]), self._actor_step(i, batch_of[i], noise[i]))
                      for i in range(self.n_agents)]
        else:
            losses = self._steps_side_by_side(batch_of, next_of, noise)
        self.update_targets()
        return {"critic_loss": [c for c, _ in losses], "actor_loss": [a for _, a in losses]}

    def _critic_step(self, i: int, batch: Batch, next_actions) -> float:
        """One optimizer step of critic i on :meth:`critic_loss`; returns the loss."""
        loss = self.critic_loss(i, batch, next_actions)
        self.critic_optimizers[i].zero_grad()
        loss.backward()
        self._clip(self._critic_params[i])
        adam_step(self.critic_optimizers[i], self._critic_params[i])
        return loss.item()

    def _actor_step(self, i: int, batch: Batch, gumbel: torch.Tensor) -> float:
        """One optimizer step of actor i on :meth:`actor_loss` (``gumbel``: the ``(B, A_i)`` noise
        of its action sample); returns the loss."""
        # the actor step needs gradients for actor i only: freezing critic i skips the
        # critic-weight gradients that backward() would compute and the next critic step discard
        critic_params = self._critic_params[i]
        for p in critic_params:
            p.requires_grad_(False)
        try:
            loss = self.actor_loss(i, batch, gumbel)
            self.actor_optimizers[i].zero_grad()
            loss.backward()
            self._clip(self._actor_params[i])
            adam_step(self.actor_optimizers[i], self._actor_params[i])
        finally:
            for p in critic_params:
                p.requires_grad_(True)
        return loss.item()

    def _steps_side_by_side(self, batch_of, next_of, noise) -> list[tuple[float, float]]:
        """Every agent's critic step and then its actor step, on ``agent_threads`` threads. The
        pool takes tasks in order, all critic steps first, and actor step i waits for critic step
        i: 3 agents on 2 threads take three steps' time instead of four (two agents' two steps)."""
        pool = _thread_pool(self.agent_threads)
        critic = [pool.submit(self._critic_step, i, batch_of[i], next_of[i]) for i in range(self.n_agents)]

        def actor_step(i: int) -> float:
            critic[i].result()  # critic i is updated first, as in the loop
            return self._actor_step(i, batch_of[i], noise[i])

        actor = [pool.submit(actor_step, i) for i in range(self.n_agents)]
        losses = _results(critic + actor)
        return list(zip(losses[:self.n_agents], losses[self.n_agents:]))

    def _map(self, fn, *per_agent_args, threaded: bool) -> list:
        """``[fn(j, ...) for each agent j]``: in this thread, or if ``threaded`` and ``agent_threads``
        > 1, spread over that many threads."""
        if self.agent_threads == 1 or not threaded:
            return [fn(*args) for args in zip(*per_agent_args)]
        pool = _thread_pool(self.agent_threads)
        return _results([pool.submit(fn, *args) for args in zip(*per_agent_args)])

    def _clip(self, params: list) -> None:
        if self.grad_clip > 0:
            clip_grad_per_tensor(params, self.grad_clip)

    def update_targets(self) -> None:
        """``theta' <- tau*theta + (1-tau)*theta'`` for every target actor and critic: the
        arithmetic of :func:`~maddpg_lite.functional.soft_update` (multiply, then add ``tau``
        times the source), done for all target tensors at once."""
        with torch.no_grad():
            torch._foreach_mul_(self._target_params, 1.0 - self.tau)
            torch._foreach_add_(self._target_params, self._source_params, alpha=self.tau)

    # ----- checkpoints -------------------------------------------------------------------
    def _shape(self) -> dict:
        # n_actions (one number) when every agent has the same, as checkpoints always stored it
        actions = dict(n_actions=self.n_actions) if self.uniform else dict(action_dims=list(self.action_dims))
        return dict(obs_dims=list(self.obs_dims), **actions, hidden_dim=self.hidden_dim,
                    centralized=self.centralized)

    def save(self, path, targets: bool = True, critics: bool = True, **extra) -> None:
        """Write actors, critics and (unless ``targets=False``, which halves the file) the
        target networks to ``path``; not the optimizers. ``critics=False`` keeps the actors
        only (enough to act and be measured, not to train on). ``extra`` (e.g. the config,
        evaluation returns) is stored alongside."""
        state = {
            "shape": self._shape(),
            "hyper": dict(gamma=self.gamma, tau=self.tau, gumbel_tau=self.gumbel_tau, action_mode=self.action_mode),
            "actors": [net.state_dict() for net in self.actors],
            "extra": extra,
        }
        if critics:
            state["critics"] = [net.state_dict() for net in self.critics]
        if targets and critics:
            state["target_actors"] = [net.state_dict() for net in self.target_actors]
            state["target_critics"] = [net.state_dict() for net in self.target_critics]
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        torch.save(state, tmp)
        tmp.replace(path)

    @staticmethod
    def read_checkpoint(path) -> dict:
        """The raw checkpoint dict; ``ValueError`` naming the file if it is not one of ours."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"checkpoint not found: {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ValueError(f"{path} is not a maddpg_lite checkpoint ({type(exc).__name__})") from None
        if not isinstance(state, dict) or "shape" not in state or "actors" not in state:
            raise ValueError(f"{path} is not a maddpg_lite checkpoint (no actors/shape inside)")
        size = weight_perturbation()
        if size:  # MADDPG_LITE_PERTURB_WEIGHTS: another computer's rounding, simulated
            perturb_weights(state, size)
        return state

    @classmethod
    def load(cls, path, **hyper) -> "MADDPG":
        """A new MADDPG with the networks stored in ``path`` (learning rates from ``hyper``)."""
        state = cls.read_checkpoint(path)
        agent = cls(**state["shape"], **{**state.get("hyper", {}), **hyper})
        agent.load_weights(path, state)
        return agent

    def load_weights(self, path, state=None) -> None:
        """Copy the networks stored in ``path`` into this MADDPG; ``ValueError`` if their shapes differ."""
        state = state or self.read_checkpoint(path)
        if _same_shape(state["shape"]) != _same_shape(self._shape()):
            raise ValueError(f"checkpoint {path} has shape {state['shape']}, but this run needs {self._shape()}")
        for key, fallback in [("actors", "actors"), ("critics", "critics"),
                              ("target_actors", "actors"), ("target_critics", "critics")]:
            # a checkpoint saved with targets=False starts its targets as copies of the networks;
            # one saved with critics=False leaves the critics as they are
            for net, sd in zip(getattr(self, key), state.get(key, state.get(fallback, [None] * self.n_agents)),
                               strict=True):
                if sd is not None:
                    net.load_state_dict(sd)
