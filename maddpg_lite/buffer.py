"""Replay buffer D of joint transitions (x, a, r, x', done), in preallocated arrays."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


class Batch(NamedTuple):
    """A sample of B joint transitions for N agents (A actions each)."""

    obs: list[torch.Tensor]
    """Per agent ``(B, obs_dim_i)``: together they are x = (o_1..o_N)."""
    actions: torch.Tensor
    """``(B, N, A)`` one-hot actions that were taken."""
    rewards: torch.Tensor
    """``(B, N)``."""
    next_obs: list[torch.Tensor]
    """Per agent ``(B, obs_dim_i)``: x'."""
    dones: torch.Tensor
    """``(B, N)``, 1.0 where the episode *terminated* (truncation is not termination)."""


class ReplayBuffer:
    """Ring buffer with a fixed capacity: the oldest transitions are overwritten first.

    Agents may have observations of different sizes, so each agent has its own array.
    Nothing is stored as Python objects; ``add`` writes a block of rows at once.
    """

    def __init__(self, capacity: int, obs_dims, n_actions: int):
        self.capacity = capacity
        n = len(obs_dims)
        self.obs = [np.zeros((capacity, d), np.float32) for d in obs_dims]
        self.next_obs = [np.zeros((capacity, d), np.float32) for d in obs_dims]
        self.actions = np.zeros((capacity, n, n_actions), np.float32)
        self.rewards = np.zeros((capacity, n), np.float32)
        self.dones = np.zeros((capacity, n), np.float32)
        self.pos = 0
        """Row the next transition goes to."""
        self.size = 0
        """Rows filled so far (at most ``capacity``)."""

    def __len__(self) -> int:
        return self.size

    def add(self, obs, actions, rewards, next_obs, dones) -> None:
        """Store K transitions.

        Args:
            obs, next_obs: per agent ``(K, obs_dim_i)`` arrays.
            actions: ``(K, N, A)`` one-hot.
            rewards, dones: ``(K, N)``.
        """
        k = len(actions)
        rows = (self.pos + np.arange(k)) % self.capacity
        for i in range(len(self.obs)):
            self.obs[i][rows] = obs[i]
            self.next_obs[i][rows] = next_obs[i]
        self.actions[rows] = actions
        self.rewards[rows] = rewards
        self.dones[rows] = dones
        self.pos = (self.pos + k) % self.capacity
        self.size = min(self.size + k, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """``batch_size`` transitions drawn uniformly, with replacement, as torch tensors."""
        return self.sample_many(1, batch_size, rng)[0]

    def sample_many(self, n: int, batch_size: int, rng: np.random.Generator) -> list[Batch]:
        """``n`` independent batches of ``batch_size`` (a batch per agent, as the paper's code
        samples), gathered from the arrays in one pass; ``n=1`` is :meth:`sample`."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=n * batch_size)
        t = torch.from_numpy
        whole = Batch(
            obs=[t(o[idx]) for o in self.obs],
            actions=t(self.actions[idx]),
            rewards=t(self.rewards[idx]),
            next_obs=[t(o[idx]) for o in self.next_obs],
            dones=t(self.dones[idx]),
        )
        if n == 1:
            return [whole]
        split = lambda x: x.split(batch_size)  # noqa: E731  (views, no copies)
        parts = [split(x) if isinstance(x, torch.Tensor) else list(zip(*map(split, x))) for x in whole]
        return [Batch(*(list(part[k]) if isinstance(part[k], tuple) else part[k] for part in parts)) for k in range(n)]
