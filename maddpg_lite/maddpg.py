"""MADDPG: one actor mu_i(o_i) and one centralized critic Q_i(x, a_1..a_N) per agent.

The update round is the pseudo-code of notebooks/04_critic_loss.ipynb, written as a plain loop over
the agents: a critic step, an actor step, then every target network moves by a soft update. The
trainer runs the same round faster (threads, fused optimizer steps): :mod:`maddpg_lite.fast`, which
a reader can skip. ``MADDPG.independent(...)`` (``centralized=False``) is independent DDPG, where
every critic sees only its own observation and action (notebooks/06_maddpg_vs_ddpg.ipynb).

Taught in notebooks/04_critic_loss.ipynb and notebooks/05_training.ipynb.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .buffer import Batch
from .config import env_kwargs, weight_perturbation
from .functional import critic_target, gumbel_softmax, onehot_from_logits, sample_gumbel
from .games import make_vec_game
from .paths import write_atomically
from .shapes import as_action_dims, per_agent

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
    for p in parameters:
        if p.grad is not None:
            p.grad.mul_(max_norm / torch.clamp(p.grad.norm(), min=max_norm))


def _same_shape(shape: dict) -> dict:
    """A checkpoint's shape with ``n_actions=A`` written as ``action_dims=[A]*N``, so both forms compare equal."""
    shape = dict(shape)
    if "n_actions" in shape:
        shape["action_dims"] = list(as_action_dims(shape.pop("n_actions"), len(shape["obs_dims"])))
    return shape


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
    of actions A, or as a list of N per-agent ``(B, A_i)`` arrays when they differ
    (:mod:`maddpg_lite.shapes`).

    Args:
        obs_dims: observation size of each agent, e.g. ``(8, 10, 10)``.
        action_dims: A (every agent) or ``(A_1..A_N)``.
        centralized: True: critic i takes ``x = (o_1..o_N)`` and ``(a_1..a_N)``
            (``sum(obs_dims) + sum(A_j)`` inputs); False: only ``(o_i, a_i)`` (independent DDPG;
            :meth:`independent` says so by its name).
        action_mode: ``"one-hot"`` (the book: straight-through hard samples) or ``"soft"``
            (the paper's code: soft Gumbel-softmax samples everywhere, see :class:`~maddpg_lite.config.Config`).
        grad_clip: if > 0, every weight tensor's gradient is clipped to this norm before each
            optimizer step (:func:`clip_grad_per_tensor`).
    """

    def __init__(self, obs_dims, action_dims, hidden_dim: int = 64, actor_lr: float = 1e-2,
                 critic_lr: float = 1e-2, gamma: float = 0.95, tau: float = 1e-2,
                 gumbel_tau: float = 1.0, centralized: bool = True, action_mode: str = "one-hot",
                 grad_clip: float = 0.0):
        self.obs_dims = tuple(int(d) for d in obs_dims)
        self.n_agents = len(self.obs_dims)
        self.action_dims = as_action_dims(action_dims, self.n_agents)
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
        self.actors = [mlp(d, a, hidden_dim) for d, a in zip(self.obs_dims, self.action_dims)]
        self.critics = [mlp(self.critic_input_dim(i), 1, hidden_dim) for i in range(self.n_agents)]
        self.target_actors = [copy.deepcopy(net).requires_grad_(False) for net in self.actors]
        self.target_critics = [copy.deepcopy(net).requires_grad_(False) for net in self.critics]
        # foreach=True: torch's vectorised Adam, the same arithmetic in one call per network
        self.actor_optimizers = [torch.optim.Adam(net.parameters(), lr=actor_lr, foreach=True) for net in self.actors]
        self.critic_optimizers = [torch.optim.Adam(net.parameters(), lr=critic_lr, foreach=True)
                                  for net in self.critics]

    @classmethod
    def from_config(cls, config, obs_dims=None, action_dims=None) -> "MADDPG":
        """A MADDPG with ``config``'s hyper-parameters, for ``obs_dims`` and ``action_dims`` or,
        without them, for the game ``config`` names (one slot of it is built to read its sizes)."""
        if obs_dims is None or action_dims is None:
            game = make_vec_game(num_envs=1, **env_kwargs(config))
            obs_dims, action_dims = obs_dims or game.obs_dims, action_dims or game.action_dims
        return cls(obs_dims, action_dims, **cls._hyper_parameters(config))

    @staticmethod
    def _hyper_parameters(config) -> dict:
        return dict(hidden_dim=config.hidden_dim, actor_lr=config.actor_lr, critic_lr=config.critic_lr,
                    gamma=config.gamma, tau=config.tau, gumbel_tau=config.gumbel_tau,
                    centralized=config.centralized, action_mode=config.action_mode, grad_clip=config.grad_clip)

    @classmethod
    def independent(cls, obs_dims, action_dims, **kwargs) -> "MADDPG":
        """Independent DDPG: the same agents, but every critic sees only ``(o_i, a_i)``."""
        return cls(obs_dims, action_dims, **{**kwargs, "centralized": False})

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
    def target_action(self, j: int, next_obs_j: torch.Tensor) -> torch.Tensor:
        """Target actor j's action ``a'_j`` at ``o'_j``, ``(B, A_j)``: the greedy one-hot
        ``onehot(mu'_j(o'_j))``, or in soft mode a soft Gumbel-softmax sample of ``mu'_j(o'_j)``."""
        with torch.no_grad():
            logits = self.target_actors[j](next_obs_j)
            if self.action_mode == "soft":
                return gumbel_softmax(logits, self.gumbel_tau, hard=False, gumbel=sample_gumbel(logits.shape))
            return onehot_from_logits(logits)

    def target_actions(self, next_obs) -> list[torch.Tensor]:
        """Every target actor's action at ``x'``: per agent ``(B, A_j)``."""
        return [self.target_action(j, o) for j, o in enumerate(next_obs)]

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
        ``actors[i]``); the others' actions are the ones stored in the batch. ``gumbel``:
        optional ``(B, A_i)`` noise of that sample.
        """
        logits = self.actors[i](batch.obs[i])  # (B, A_i)
        actions = per_agent(batch.actions)
        actions[i] = gumbel_softmax(logits, self.gumbel_tau, hard=self.action_mode == "one-hot", gumbel=gumbel)
        q = self.q_value(self.critics[i], i, batch.obs, actions)  # (B,)
        return -q.mean() + ACTOR_LOGIT_PENALTY * (logits ** 2).mean()

    # ----- one update round -----------------------------------------------------------
    def update(self, batch) -> dict[str, list[float]]:
        """One round of the pseudo-code: for each agent i, a critic step then an actor step;
        then every target moves by a soft update.

        Args:
            batch: one :class:`~maddpg_lite.buffer.Batch` for all agents (the book), or a
                list of N batches, agent i updating on ``batch[i]`` (the paper's code).

        Returns:
            ``{"critic_loss": [N floats], "actor_loss": [N floats]}``.
        """
        batches = self.batch_per_agent(batch)
        next_actions = self.next_actions(batches)
        # every actor step's Gumbel noise is drawn first, in agent order: the same numbers whatever
        # the order (or threads, maddpg_lite.fast) in which the agents are then updated
        noise = [sample_gumbel((len(b.obs[i]), a)) for i, (b, a) in enumerate(zip(batches, self.action_dims))]
        critic_losses, actor_losses = [], []
        for i in range(self.n_agents):
            critic_losses.append(self.critic_step(i, batches[i], next_actions[i]))
            actor_losses.append(self.actor_step(i, batches[i], noise[i]))
        self.update_targets()
        return {"critic_loss": critic_losses, "actor_loss": actor_losses}

    def batch_per_agent(self, batch) -> list[Batch]:
        """``[batch] * N`` for one batch, the list itself for N batches; ValueError for another count."""
        if isinstance(batch, Batch):
            return [batch] * self.n_agents
        batches = list(batch)
        if len(batches) != self.n_agents:
            raise ValueError(f"update needs one batch or {self.n_agents} batches (one per agent), got {len(batches)}")
        return batches

    def next_actions(self, batches: list[Batch]) -> list[list[torch.Tensor]]:
        """The target actions ``a'`` at agent i's batch's ``x'``, for every i: ``[i][j]`` is
        ``(B, A_j)``. One batch for all agents: computed once. Each target actor samples all the
        batches in turn (soft mode draws noise), in the order :mod:`maddpg_lite.fast` draws it too."""
        distinct = batches[:1] if all(b is batches[0] for b in batches) else batches
        per_actor = [[self.target_action(j, b.next_obs[j]) for b in distinct] for j in range(self.n_agents)]
        per_batch = [list(actions) for actions in zip(*per_actor)]
        return per_batch * self.n_agents if len(distinct) == 1 else per_batch

    def critic_step(self, i: int, batch: Batch, next_actions) -> float:
        """One optimizer step of critic i on :meth:`critic_loss`; returns the loss."""
        loss = self.critic_loss(i, batch, next_actions)
        self.critic_optimizers[i].zero_grad()
        loss.backward()
        self.optimizer_step(self.critic_optimizers[i], list(self.critics[i].parameters()))
        return loss.item()

    def actor_step(self, i: int, batch: Batch, gumbel: torch.Tensor | None = None) -> float:
        """One optimizer step of actor i on :meth:`actor_loss` (``gumbel``: the ``(B, A_i)`` noise
        of its action sample); returns the loss."""
        # the actor step needs gradients for actor i only: freezing critic i skips the
        # critic-weight gradients that backward() would compute and the next critic step discard
        self.critics[i].requires_grad_(False)
        try:
            loss = self.actor_loss(i, batch, gumbel)
            self.actor_optimizers[i].zero_grad()
            loss.backward()
            self.optimizer_step(self.actor_optimizers[i], list(self.actors[i].parameters()))
        finally:
            self.critics[i].requires_grad_(True)
        return loss.item()

    def optimizer_step(self, optimizer: torch.optim.Optimizer, params: list) -> None:
        """Clip the gradients if ``grad_clip`` > 0 (the paper's code), then take the Adam step."""
        if self.grad_clip > 0:
            clip_grad_per_tensor(params, self.grad_clip)
        optimizer.step()

    def update_targets(self) -> None:
        """``theta' <- tau*theta + (1-tau)*theta'`` for every target actor and critic: the
        arithmetic of :func:`~maddpg_lite.functional.soft_update` (multiply, then add ``tau``
        times the source)."""
        with torch.no_grad():
            for target, source in zip(self.target_actors + self.target_critics, self.actors + self.critics):
                for t, s in zip(target.parameters(), source.parameters()):
                    t.mul_(1.0 - self.tau).add_(s, alpha=self.tau)

    # ----- checkpoints -------------------------------------------------------------------
    def _shape(self) -> dict:
        # n_actions (one number) when every agent has the same, as checkpoints always stored it
        actions = dict(n_actions=self.n_actions) if self.uniform else dict(action_dims=list(self.action_dims))
        return dict(obs_dims=list(self.obs_dims), **actions, hidden_dim=self.hidden_dim,
                    centralized=self.centralized)

    def save(self, path, targets: bool = True, critics: bool = True, **extra) -> None:
        """Write :meth:`checkpoint` to ``path`` (atomically)."""
        state = self.checkpoint(targets, critics, **extra)
        write_atomically(path, lambda tmp: torch.save(state, tmp))

    def checkpoint(self, targets: bool = True, critics: bool = True, **extra) -> dict:
        """The one checkpoint format (what :meth:`save` writes and :meth:`load` reads): actors, critics
        and (unless ``targets=False``, which halves the file) the target networks; not the optimizers.
        ``critics=False`` keeps the actors only (enough to act and be measured, not to train on).
        ``extra`` (e.g. the config, evaluation returns) is stored alongside."""
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
        return state

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
        return cls.from_checkpoint(cls.read_checkpoint(path), path, **hyper)

    @classmethod
    def from_checkpoint(cls, state: dict, path="", **hyper) -> "MADDPG":
        """A new MADDPG holding the networks of a checkpoint ``state`` read from ``path``."""
        agent = cls(**_same_shape(state["shape"]), **{**state.get("hyper", {}), **hyper})
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
