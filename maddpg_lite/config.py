"""The one place for hyper-parameters (:class:`Config`) and the quick-mode switch.

Defaults are the source chapter's recipe. The command line of
``python -m maddpg_lite.train`` is generated from this class: every field is a flag
and its docstring is the flag's help.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import math
import os
import textwrap
from dataclasses import dataclass

QUICK_ENV_VAR = "MADDPG_LITE_QUICK"
"""Set this environment variable to 1 to shrink long training runs (the test suite does)."""


def quick_mode() -> bool:
    """True when ``MADDPG_LITE_QUICK`` is set to something other than "", "0" or "false"."""
    return os.environ.get(QUICK_ENV_VAR, "").strip().lower() not in ("", "0", "false", "no")


@dataclass
class Config:
    """Hyper-parameters of one MADDPG training run on simple_adversary."""

    episodes: int = 5000
    """Training episodes (the source trains 5000)."""
    episode_length: int = 25
    """Steps per episode; mpe2 truncates simple_adversary at 25."""
    buffer_size: int = 100_000
    """Replay buffer capacity D, in joint transitions (x, a, r, x', done)."""
    hidden_dim: int = 64
    """Width of the two hidden layers of every actor and critic."""
    actor_lr: float = 1e-2
    """Adam learning rate of the actors mu_i."""
    critic_lr: float = 1e-2
    """Adam learning rate of the critics Q_i."""
    gamma: float = 0.95
    """Discount factor of the return sum_t gamma^t r_t."""
    tau: float = 1e-2
    """Soft-update rate of the targets: theta' <- tau*theta + (1-tau)*theta'."""
    batch_size: int = 1024
    """Transitions sampled from D for each update round."""
    update_interval: int = 100
    """Environment steps between update rounds (one round updates every critic, every actor, then the targets)."""
    minimal_size: int = 4000
    """Transitions in D before the first update round."""
    gumbel_tau: float = 1.0
    """Temperature of the straight-through Gumbel-softmax used for exploration and in the actor loss."""
    explore_eps: float = 0.0
    """Probability, per agent and training step, of a uniformly random action instead of the Gumbel-softmax sample (0: the source's recipe)."""
    reward_scale: float = 1.0
    """Rewards are multiplied by this before they enter the replay buffer; reported returns stay unscaled."""
    seed: int = 0
    """Seeds torch, the replay sampling and the training environments."""
    centralized: bool = True
    """True: MADDPG, each critic Q_i sees all observations and actions. False: independent DDPG, each critic sees only its own."""
    num_envs: int = 50
    """Games stepped together (one batched action choice for all of them); the schedule per environment step (update_interval, minimal_size) is unchanged."""
    eval_interval: int = 100
    """Training episodes between two evaluations (one row of history.csv each)."""
    eval_episodes: int = 100
    """Fixed-seed greedy episodes per evaluation during training."""
    final_eval_episodes: int = 1000
    """Fixed-seed greedy episodes of the final evaluation and of the random and no-op baselines."""
    threads: int = 1
    """torch CPU threads; 1 is fastest for these small networks and keeps runs bit-reproducible."""

    def __post_init__(self):
        positive = ["episodes", "episode_length", "buffer_size", "hidden_dim", "batch_size",
                    "update_interval", "num_envs", "eval_interval", "eval_episodes",
                    "final_eval_episodes", "threads"]
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {name}={value!r}")
        if isinstance(self.minimal_size, bool) or not isinstance(self.minimal_size, int) or self.minimal_size < 0:
            raise ValueError(f"minimal_size must be a whole number >= 0, got minimal_size={self.minimal_size!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, got seed={self.seed!r}")
        for name in ["actor_lr", "critic_lr", "gumbel_tau", "reward_scale"]:
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {name}={value!r}")
        for name in ["gamma", "tau", "explore_eps"]:
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value <= 1):
                raise ValueError(f"{name} must be in [0, 1], got {name}={value!r}")
        if self.episodes % self.num_envs:
            raise ValueError(f"episodes must be a multiple of num_envs={self.num_envs}, got episodes={self.episodes}")
        if self.batch_size > self.buffer_size:
            raise ValueError(f"batch_size={self.batch_size} is larger than buffer_size={self.buffer_size}")

    @classmethod
    def for_lesson(cls, **overrides) -> "Config":
        """The full recipe, or, in quick mode (``MADDPG_LITE_QUICK=1``), a small run that
        still performs real update rounds (200 episodes, updates from step 1000 on)."""
        quick = dict(episodes=200, minimal_size=1000, batch_size=256, eval_interval=50,
                     eval_episodes=50, final_eval_episodes=200)
        return cls(**{**(quick if quick_mode() else {}), **overrides})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def field_docs(cls=Config) -> dict[str, str]:
    """``{field name: docstring}`` read from the class source (the string under each field)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body
    docs = {}
    for node, nxt in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            docs[node.target.id] = nxt.value.value
    return docs
