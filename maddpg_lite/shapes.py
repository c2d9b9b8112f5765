"""How actions travel between the games, the replay buffer and MADDPG: one ``(B, N, A)`` array or
tensor when every agent has the same number of actions A (simple_adversary: 5 each), or a list of N
per-agent ``(B, A_i)`` arrays when they differ (speaker 3, listener 5). Taught in
notebooks/04_critic_loss.ipynb."""

from __future__ import annotations

import numpy as np


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
    if hasattr(actions, "unbind"):  # a torch tensor
        return list(actions.unbind(dim=1))
    if isinstance(actions, np.ndarray):
        return [actions[:, i] for i in range(actions.shape[1])]
    return list(actions)


def action_indices(actions) -> np.ndarray:
    """One-hot actions -> ``(K, N)`` integers (each agent's argmax), the form the games take;
    ``actions``: ``(K, N, A)`` or per agent ``(K, A_i)``."""
    if isinstance(actions, np.ndarray):
        return actions.argmax(-1)
    return np.stack([a.argmax(-1) for a in actions], axis=1)
