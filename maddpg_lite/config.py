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
from dataclasses import dataclass, field

from .games import check_game

QUICK_ENV_VAR = "MADDPG_LITE_QUICK"
"""Set this environment variable to 1 to shrink long training runs (the test suite does)."""


def quick_mode() -> bool:
    """True when ``MADDPG_LITE_QUICK`` is set to something other than "", "0" or "false"."""
    return os.environ.get(QUICK_ENV_VAR, "").strip().lower() not in ("", "0", "false", "no")


PERTURB_ENV_VAR = "MADDPG_LITE_PERTURB_WEIGHTS"
"""Set this environment variable to a relative size, e.g. ``1e-5``, and every network loaded from a
checkpoint has each weight multiplied by ``1 + size * z`` (``z`` a fixed-seed normal draw): a
stand-in for another computer's rounding, to check that a lesson does not depend on the last bits
(``tests/test_perturbed_lessons.py``)."""


def weight_perturbation() -> float:
    """The relative size set in ``MADDPG_LITE_PERTURB_WEIGHTS`` (0.0 when unset or empty);
    ValueError naming a value that is not a number >= 0."""
    text = os.environ.get(PERTURB_ENV_VAR, "").strip()
    try:
        size = float(text) if text else 0.0
    except ValueError:
        size = -1.0
    if not size >= 0.0 or math.isinf(size):
        raise ValueError(f"{PERTURB_ENV_VAR} must be a number >= 0 such as 1e-5, got {PERTURB_ENV_VAR}={text!r}")
    return size


ACTION_MODES = ("one-hot", "soft")
"""Values of :attr:`Config.action_mode`."""


@dataclass
class Config:
    """Hyper-parameters of one MADDPG training run (on simple_adversary unless ``scenario`` says otherwise)."""

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
    agent_threads: int = 2
    """Threads that run the agents' parts of an update round side by side (the target actors' soft samples, then each agent's critic and actor steps). Each agent's part touches only its own networks and every operation still runs on one thread, so any value gives the loop's numbers up to float rounding (to the bit on the machines measured: python -m maddpg_lite.bench --agent-threads says whether the weights agree); 2 uses both cores of a 2-core machine, 1 is the plain loop. Batches under 768 rows (fast.MIN_THREADED_ROWS) always take the plain loop: there the threads cost more than they save."""
    action_mode: str = "one-hot"
    """"one-hot": the straight-through hard sample is the action (the book). "soft": the soft Gumbel-softmax sample itself is the action, a continuous force as in the MADDPG paper's code (acting, evaluation, actor loss and target actions all use soft samples)."""
    game_kwargs: dict = field(default_factory=dict)
    """The game's own keyword arguments, e.g. {"adversary_reward": "squared"} (the original MPE's -d^2 instead of mpe2's -d); on the command line --game-kwargs adversary_reward=squared."""
    grad_clip: float = 0.0
    """Clip the gradient of EACH weight tensor to this norm before every optimizer step, as the paper's code does (TensorFlow's clip_by_norm per tensor); 0: no clipping (the book)."""
    per_agent_batches: bool = False
    """True: each agent's update round samples its own batch, as the paper's code does; False: one batch for all agents (the book)."""
    scenario: str = "simple_adversary_v3"
    """The mpe2 game, by module name: simple_adversary_v3 (the book), simple_crypto_v3, simple_push_v3, simple_reference_v3, simple_speaker_listener_v4, simple_spread_v3, simple_tag_v3, ... (maddpg_lite.games.SCENARIOS)."""
    backend: str = "auto"
    """How the game is stepped: "numpy" (simple_adversary_v3 only: the fast copy, exact to the bit), "mpe2" (K real mpe2 games through maddpg_lite.games.Mpe2VecGame), or "auto" (numpy where it exists, else mpe2)."""

    def __post_init__(self):
        positive = ["episodes", "episode_length", "buffer_size", "hidden_dim", "batch_size",
                    "update_interval", "num_envs", "eval_interval", "eval_episodes",
                    "final_eval_episodes", "threads", "agent_threads"]
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
        if self.action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {', '.join(ACTION_MODES)}, got action_mode={self.action_mode!r}")
        if not (isinstance(self.grad_clip, (int, float)) and math.isfinite(self.grad_clip) and self.grad_clip >= 0):
            raise ValueError(f"grad_clip must be a finite number >= 0, got grad_clip={self.grad_clip!r}")
        if not isinstance(self.game_kwargs, dict):
            raise ValueError(f"game_kwargs must be a dict of keyword arguments, got game_kwargs={self.game_kwargs!r}")
        check_game(self.scenario, self.backend, self.action_mode, self.game_kwargs, self.episode_length)
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


PAPER = dict(action_mode="soft", game_kwargs={"adversary_reward": "squared"}, grad_clip=0.5,
             per_agent_batches=True, episodes=60_000, minimal_size=25_600, buffer_size=1_000_000,
             eval_interval=1000)
"""The MADDPG paper's code (openai/maddpg) on top of the book's recipe: soft actions, the original
MPE's -d^2 adversary reward, per-tensor gradient clipping 0.5, a batch per agent, 60,000 episodes,
updates from 25,600 transitions (batch 1024 x 25 steps), a buffer of 10^6. Evaluations every 1000
episodes instead of 100 keep 60 evaluations per run."""

PRESETS = {
    "book": {},
    "paper": PAPER,
    "paper-onehot": {**PAPER, "action_mode": "one-hot"},
    "paper-distance": {**PAPER, "game_kwargs": {"adversary_reward": "distance"}},
    "paper-onehot-distance": {**PAPER, "action_mode": "one-hot", "game_kwargs": {"adversary_reward": "distance"}},
}
"""Named recipes, each a set of :class:`Config` overrides (``--preset NAME`` on the command line):
``book`` is the source chapter's recipe (the defaults), ``paper`` the MADDPG paper's, and the
three others the paper's with the action mode and/or the adversary reward of the book, so that
the factorial {one-hot, soft} x {-d, -d^2} can say which ingredient moves which number."""


def preset(name: str, **overrides) -> Config:
    """The :data:`PRESETS` recipe ``name`` with ``overrides`` on top; ValueError naming an unknown preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return Config(**{**PRESETS[name], **overrides})


def field_docs(cls=Config) -> dict[str, str]:
    """``{field name: docstring}`` read from the class source (the string under each field)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body
    docs = {}
    for node, nxt in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            docs[node.target.id] = nxt.value.value
    return docs


def env_kwargs(config) -> dict:
    """The game ``config`` asks for, as keyword arguments of
    :func:`~maddpg_lite.games.make_vec_game` (and of :func:`~maddpg_lite.evaluation.evaluate`): scenario, backend,
    episode length, action mode and ``game_kwargs``."""
    return {"scenario": config.scenario, "backend": config.backend, "max_cycles": config.episode_length,
            "action_mode": config.action_mode, **config.game_kwargs}
