"""Replay buffer D of joint transitions (x, a, r, x', done), in preallocated arrays."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from .shapes import as_action_dims


class Batch(NamedTuple):
    """A sample of B joint transitions for N agents (agent i with A_i actions)."""

    obs: list[torch.Tensor]
    """Per agent ``(B, obs_dim_i)``: together they are x = (o_1..o_N)."""
    actions: torch.Tensor | list[torch.Tensor]
    """The actions that were taken (one-hots, or soft samples): ``(B, N, A)`` when every agent
    has A actions, else a list of N per-agent ``(B, A_i)`` (:func:`maddpg_lite.shapes.per_agent`
    gives the list in both cases)."""
    rewards: torch.Tensor
    """``(B, N)``."""
    next_obs: list[torch.Tensor]
    """Per agent ``(B, obs_dim_i)``: x'."""
    dones: torch.Tensor
    """``(B, N)``, 1.0 where the episode *terminated* (truncation is not termination)."""


class ReplayBuffer:
    """Ring buffer with a fixed capacity: the oldest transitions are overwritten first.

    One transition is one row of a single float32 table, ``(o_1..o_N, o'_1..o'_N, a, r, done)``
    side by side; ``obs[i]``, ``next_obs[i]`` (``(capacity, obs_dim_i)``; agents may differ),
    ``actions`` (``(capacity, N, A)``, or a list of per-agent ``(capacity, A_i)`` when the agents'
    action sizes differ), ``rewards`` and ``dones`` (``(capacity, N)``) are views of its columns.
    Sampling then reads each transition from one place in memory instead of nine,
    which matters once the buffer is far larger than the CPU's caches (10^6 rows in the paper's
    recipe). Nothing is stored as Python objects; ``add`` writes a block of rows at once.
    """

    def __init__(self, capacity: int, obs_dims, n_actions):
        """``n_actions``: A (every agent) or the per-agent sizes ``(A_1..A_N)``."""
        self.capacity = capacity
        n = len(obs_dims)
        self.action_dims = as_action_dims(n_actions, n)
        self.uniform = len(set(self.action_dims)) == 1
        widths = [*obs_dims, *obs_dims, sum(self.action_dims), n, n]
        self.table = np.zeros((capacity, sum(widths)), np.float32)
        """``(capacity, columns)``: every transition as one row."""
        self._rows = torch.from_numpy(self.table)  # the same memory, for torch's faster gather
        edges = np.cumsum([0, *widths])
        self._columns = [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
        views = [self.table[:, c] for c in self._columns]
        self.obs, self.next_obs = views[:n], views[n:2 * n]
        self._action_edges = np.cumsum([0, *self.action_dims])
        if self.uniform:
            self.actions = views[2 * n].reshape(capacity, n, self.action_dims[0])
        else:
            self.actions = self._split_actions(views[2 * n])
        self.rewards, self.dones = views[2 * n + 1], views[2 * n + 2]
        assert np.shares_memory(self.actions if self.uniform else self.actions[0], self.table)  # views, not copies
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
            actions: ``(K, N, A)``, or a list of N per-agent ``(K, A_i)``.
            rewards, dones: ``(K, N)``.
        """
        k = len(rewards)
        rows = (self.pos + np.arange(k)) % self.capacity
        for i in range(len(self.obs)):
            self.obs[i][rows] = obs[i]
            self.next_obs[i][rows] = next_obs[i]
        if self.uniform:
            self.actions[rows] = actions
        else:
            for column, a in zip(self.actions, actions, strict=True):
                column[rows] = a
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
        rows = self._rows.index_select(0, torch.from_numpy(idx))  # (n B, columns): one gather
        cols = [rows[:, c].contiguous() for c in self._columns]
        agents = len(self.obs)
        whole = Batch(
            obs=cols[:agents],
            actions=(cols[2 * agents].reshape(len(idx), agents, self.action_dims[0]) if self.uniform
                     else self._split_actions(cols[2 * agents])),
            rewards=cols[2 * agents + 1],
            next_obs=cols[agents:2 * agents],
            dones=cols[2 * agents + 2],
        )
        if n == 1:
            return [whole]
        split = lambda x: x.split(batch_size)  # noqa: E731  (views, no copies)
        parts = [split(x) if isinstance(x, torch.Tensor) else list(zip(*map(split, x))) for x in whole]
        return [Batch(*(list(part[k]) if isinstance(part[k], tuple) else part[k] for part in parts)) for k in range(n)]

    def _split_actions(self, joint):
        """``(rows, sum A_i)`` columns -> per-agent ``(rows, A_i)`` views (numpy or torch)."""
        edges = self._action_edges
        return [joint[:, int(a):int(b)] for a, b in zip(edges[:-1], edges[1:])]
