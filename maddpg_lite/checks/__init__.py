"""Auto-checkers for the exercise notebooks in notebooks/exercises/.

A student writes one piece of MADDPG (an observation, a Gumbel-softmax, a critic loss, the training
loop, ...) and passes the function to its checker, e.g. ``check_gumbel_softmax(gumbel_softmax)``.
The checker runs the function on seeded inputs (several shapes, ties, temperatures near 0, terminal
rows, ...), compares it with the real thing (mpe2's game, or the package's own implementation:
:mod:`maddpg_lite.functional`, :class:`maddpg_lite.maddpg.MADDPG`, :func:`maddpg_lite.evaluate`, never a copy
of them), prints a verdict and returns it as a :class:`CheckResult`:

* ``passed``: every check held; the message lists what was verified;
* ``failed``: the first check that did not hold, with its input, the expected and the
  obtained value, and a hint (wrong outputs are matched against the usual mistakes, e.g. a
  missing done mask, to name the likely cause);
* ``not implemented``: the function still raises ``NotImplementedError`` (the stub);
* ``error``: the function raised another exception; the message names it and the line of the
  student's code where it happened. A checker never crashes on the student's behalf.

A function that calls the implementation its checker compares with (the package's, torch's built-in,
mpe2's own; the table :data:`ANSWERS`), by any route, is ``failed`` with one line naming what it called:
the checkers credit only the student's own work.

The checks test behaviour, not style. Stochastic pieces are checked by statistics on
20,000 draws against the reference (tolerance: 5 standard errors, so a correct function fails
with probability below 1e-5 per statistic; the draws are seeded, so a verdict is repeatable).
How each piece is checked is stated in each ``check_*`` docstring and in
notebooks/exercises/README.md.

One module per exercise set, named after its notebook: ``set01_ctde_football`` ... ``set08_another_game``
and ``capstone_training_loop`` (whose :func:`check_training_loop` plays small runs of the student's loop in a
recording copy of the game). They share the framework in :mod:`.core` (the verdict, the comparisons, the
guard against hand-backs, ``python -m maddpg_lite.checks --answers``) and the reference data in :mod:`.shared`,
and never import each other. Everything is imported from here: ``from maddpg_lite.checks import check_x``.
"""

from .capstone_training_loop import LEARN_CONFIG, LEARN_EVAL_EPISODES, check_training_loop
from .core import (
    ALLOWED_HELPERS,
    ANSWERS,
    GUIDE,
    N_DRAWS,
    SEED,
    Z_MAX,
    CheckResult,
    answer_codes,
    answers_markdown,
    guide_with_answers,
    main,
)
from .set01_ctde_football import _critic_input_dims as _critic_input_dims
from .set01_ctde_football import check_critic_input_sizes, check_observation, check_observation_sizes
from .set02_markov_game import check_discounted_return, check_physics_step, check_rewards
from .set03_gumbel_softmax import GUMBEL_LOGITS, check_gumbel_softmax, check_onehot_from_logits
from .set04_critic_loss import (
    CONFIDENT_LOGITS,
    buggy_critic_loss,
    check_actor_loss,
    check_critic_loss,
    check_critic_target,
    check_fixed_critic_loss,
    check_soft_update,
)
from .set05_training import check_evaluation_returns, check_mean_ci, check_update_rounds
from .set06_maddpg_vs_ddpg import check_episodes_to_threshold, check_paired_ci
from .set07_deception import _flags as _flags
from .set07_deception import check_expected_penalty, check_split, check_success_rates
from .set08_another_game import (
    SPREAD_GAMES,
    TAG_GAMES,
    check_episode_collisions,
    check_spread_min_dist_sum,
    check_tag_observation,
)
from .shared import _update_schedule as _update_schedule
from .shared import exercise_setup

# Also importable from here, as before the split (tests/test_training_loop.py, tests/test_nbgrader.py's hand-back):
# _critic_input_dims, _flags and _update_schedule, the checkers' own reference helpers named in ANSWERS.
__all__ = [
    "ALLOWED_HELPERS", "ANSWERS", "CONFIDENT_LOGITS", "GUIDE", "GUMBEL_LOGITS", "LEARN_CONFIG", "LEARN_EVAL_EPISODES",
    "N_DRAWS", "SEED", "SPREAD_GAMES", "TAG_GAMES", "Z_MAX", "CheckResult", "answer_codes", "answers_markdown",
    "buggy_critic_loss", "check_actor_loss", "check_critic_input_sizes", "check_critic_loss", "check_critic_target",
    "check_discounted_return", "check_episode_collisions", "check_episodes_to_threshold", "check_evaluation_returns",
    "check_expected_penalty", "check_fixed_critic_loss", "check_gumbel_softmax", "check_mean_ci",
    "check_observation", "check_observation_sizes", "check_onehot_from_logits", "check_paired_ci",
    "check_physics_step", "check_rewards", "check_soft_update", "check_split", "check_spread_min_dist_sum",
    "check_success_rates", "check_tag_observation", "check_training_loop", "check_update_rounds", "exercise_setup",
    "guide_with_answers", "main",
]
