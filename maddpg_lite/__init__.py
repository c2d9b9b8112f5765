"""maddpg_lite: the helper package of the maddpg-lite notebook series.

Layers, bottom up: the math (:mod:`.functional`), the game (:mod:`.env`), the replay
buffer (:mod:`.buffer`), the agents (:mod:`.maddpg`), evaluation and training
(:mod:`.evaluation`, :mod:`.train`); pictures and widgets beside them.
"""

from .buffer import Batch, ReplayBuffer
from .config import Config, quick_mode
from .env import AGENTS, N_ACTIONS, OBS_DIMS, ON_LANDMARK_DISTANCE, VecSimpleAdversary, make_env
from .evaluation import baselines, evaluate, noop_policy, random_policy, team_policy
from .functional import (
    critic_target,
    gumbel_softmax,
    gumbel_softmax_sample,
    onehot_from_logits,
    sample_gumbel,
    soft_update,
)
from .i18n import language, set_language
from .maddpg import MADDPG
from .training import TrainResult, train

__all__ = [
    "AGENTS", "Batch", "Config", "MADDPG", "N_ACTIONS", "OBS_DIMS", "ON_LANDMARK_DISTANCE", "ReplayBuffer",
    "TrainResult", "VecSimpleAdversary", "baselines", "critic_target", "evaluate", "gumbel_softmax",
    "gumbel_softmax_sample", "language", "make_env", "noop_policy", "onehot_from_logits", "quick_mode", "random_policy",
    "sample_gumbel", "set_language", "soft_update", "team_policy", "train",
]
