"""The exercise checkers of maddpg_lite.checks, both ways, on the functions themselves.

(a) every stub shipped in notebooks/exercises/ gets a "not implemented" verdict, not a crash;
(b) every solution shipped in notebooks/exercises/solutions/ (the very code of the notebook cell)
    passes its checker;
(c) each usual mistake is caught, with a message that names it;
(d) a function that raises another exception gets an "error" verdict naming it, and the checker
    itself never raises.
Plus the shape of the notebooks themselves: committed without outputs, stubs never assert a pass,
solutions always do.
"""

import ast
import linecache
import re
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from maddpg_lite import gumbel_softmax as package_gumbel_softmax
from maddpg_lite import onehot_from_logits as package_onehot_from_logits
from maddpg_lite.checks import (CheckResult, buggy_critic_loss, check_actor_loss, check_critic_loss,
                                check_critic_target, check_fixed_critic_loss, check_gumbel_softmax,
                                check_onehot_from_logits, check_soft_update, exercise_setup)
from maddpg_lite.maddpg import ACTOR_LOGIT_PENALTY

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine

EXERCISE_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "exercises"
NB03, NB04 = "03_gumbel_softmax_exercises.ipynb", "04_critic_loss_exercises.ipynb"
EXERCISES = [  # (notebook, function the student writes, its checker)
    (NB03, "gumbel_softmax", check_gumbel_softmax),
    (NB03, "onehot_from_logits", check_onehot_from_logits),
    (NB04, "critic_target", check_critic_target),
    (NB04, "critic_loss", check_critic_loss),
    (NB04, "actor_loss", check_actor_loss),
    (NB04, "soft_update", check_soft_update),
    (NB04, "fixed_critic_loss", check_fixed_critic_loss),
]
EXERCISE_IDS = [name for _, name, _ in EXERCISES]
CHECKERS = sorted({checker for _, _, checker in EXERCISES}, key=lambda f: f.__name__)


def code_cells(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def defines(source: str, name: str) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == name for node in ast.parse(source).body)


def notebook_function(path: Path, name: str):
    """The function ``name`` exactly as the notebook ships it.

    Runs the notebook's first code cell (its imports) and the one code cell that defines ``name``
    in a fresh namespace; the cell's source is registered with linecache, so that an error
    message can quote the line, as it does in Jupyter.
    """
    cells = code_cells(path)
    defining = [(k, src) for k, src in enumerate(cells) if defines(src, name)]
    assert len(defining) == 1, f"{path.name}: {len(defining)} code cells define {name}()"
    namespace = {}
    for k, src in [(0, cells[0]), defining[0]]:
        filename = f"<{path.parent.name}/{path.name}, code cell {k + 1}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(keepends=True), filename)
        exec(compile(src, filename, "exec"), namespace)
    return namespace[name]


def assert_verdict(result, status: str, *phrases: str) -> None:
    """``result`` is a CheckResult with ``status`` whose message contains every phrase."""
    assert isinstance(result, CheckResult)
    assert result.status == status, result.message
    assert result.passed is (status == "passed") and bool(result) is result.passed
    for phrase in phrases:
        assert phrase in result.message, f"{phrase!r} not in:\n{result.message}"


# ----- (a) the stubs -----------------------------------------------------------------------------
@pytest.mark.parametrize("notebook, name, checker", EXERCISES, ids=EXERCISE_IDS)
def test_shipped_stub_gets_not_implemented(notebook, name, checker, capsys):
    stub = notebook_function(EXERCISE_DIR / notebook, name)
    result = checker(stub)
    assert_verdict(result, "not implemented", "NOT IMPLEMENTED YET", name, "(Student exercise: ",
                   "# YOUR CODE HERE")
    assert result.exercise == name and result.checks == []
    assert capsys.readouterr().out.strip() == result.message  # printed for the student, too


@pytest.mark.parametrize("notebook, name, checker", EXERCISES, ids=EXERCISE_IDS)
def test_stub_body_is_one_student_exercise_raise(notebook, name, checker):
    # valid Python whose body is the docstring and `raise NotImplementedError("Student exercise: ...")`
    (src,) = [src for src in code_cells(EXERCISE_DIR / notebook) if defines(src, name)]
    (func,) = [node for node in ast.parse(src).body if isinstance(node, ast.FunctionDef)]
    last = func.body[-1]
    assert isinstance(last, ast.Raise) and last.exc.func.id == "NotImplementedError"
    assert ast.literal_eval(last.exc.args[0]).startswith("Student exercise: ")
    assert "# YOUR CODE HERE" in src


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda f: f.__name__)
def test_any_stub_gets_not_implemented(checker):
    def stub(*args, **kwargs):
        raise NotImplementedError("Student exercise: write me")

    assert_verdict(checker(stub), "not implemented", "Student exercise: write me")


# ----- (b) the solutions -------------------------------------------------------------------------
@pytest.mark.parametrize("notebook, name, checker", EXERCISES, ids=EXERCISE_IDS)
def test_shipped_solution_passes(notebook, name, checker):
    solution = notebook_function(EXERCISE_DIR / "solutions" / notebook, name)
    assert solution.__code__.co_filename.startswith("<solutions/")  # the notebook's code, not an import
    result = checker(solution)
    assert_verdict(result, "passed", f"PASSED  {name}: all {len(result.checks)} checks hold.")
    assert len(result.checks) >= 2


def test_verdicts_are_repeatable_and_leave_the_callers_random_stream_alone():
    solution = notebook_function(EXERCISE_DIR / "solutions" / NB03, "gumbel_softmax")
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first, second = check_gumbel_softmax(solution), check_gumbel_softmax(solution)
    assert torch.equal(torch.rand(3), expected_next)
    assert first.message == second.message


# ----- (c) the usual mistakes ----------------------------------------------------------------------
def _gumbel_noise(logits):
    u = torch.rand_like(logits)
    return -torch.log(-torch.log(u + 1e-20) + 1e-20)


def _straight_through(y):
    y_hard = F.one_hot(y.argmax(dim=-1), y.shape[-1]).to(y.dtype)
    return (y_hard - y).detach() + y


def gumbel_multiplies_by_tau(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax((logits + _gumbel_noise(logits)) * tau, dim=-1)
    return _straight_through(y) if hard else y


def gumbel_ignores_tau(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax(logits + _gumbel_noise(logits), dim=-1)
    return _straight_through(y) if hard else y


def gumbel_divides_only_the_logits(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax(logits / tau + _gumbel_noise(logits), dim=-1)
    return _straight_through(y) if hard else y


def gumbel_hard_without_straight_through(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax((logits + _gumbel_noise(logits)) / tau, dim=-1)
    return F.one_hot(y.argmax(dim=-1), y.shape[-1]).to(y.dtype) if hard else y  # no gradient


def gumbel_one_hot_by_comparison(logits, tau=1.0, hard=True):
    if not tau > 0:
        raise ValueError(tau)
    y = torch.softmax((logits + _gumbel_noise(logits)) / tau, dim=-1)
    if not hard:
        return y
    y_hard = (y == y.max(dim=-1, keepdim=True).values).to(y.dtype)  # two 1s on a tie
    return (y_hard - y).detach() + y


def gumbel_accepts_tau_zero(logits, tau=1.0, hard=True):
    y = torch.softmax((logits + _gumbel_noise(logits)) / tau, dim=-1)
    return _straight_through(y) if hard else y


def _greedy(logits):
    return F.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)


def _uniform(logits):
    B, K = logits.shape
    return F.one_hot(torch.randint(K, (B,)), K).to(logits.dtype)


def onehot_one_coin_for_the_batch(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    return _uniform(logits) if torch.rand(()) < eps else _greedy(logits)


def onehot_eps_is_the_greedy_probability(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    explore = torch.rand(len(logits)) < 1 - eps
    return torch.where(explore[:, None], _uniform(logits), _greedy(logits))


def onehot_random_never_greedy(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    B, K = logits.shape
    greedy = logits.argmax(dim=-1)
    other = (greedy + torch.randint(1, K, (B,))) % K  # a random action other than the greedy one
    return F.one_hot(torch.where(torch.rand(B) < eps, other, greedy), K).to(logits.dtype)


def onehot_by_comparison(logits, eps=0.0):
    if not 0 <= eps <= 1:
        raise ValueError(eps)
    return (logits == logits.max(dim=-1, keepdim=True).values).to(logits.dtype)


def _same_shapes(*tensors):
    if len({t.shape for t in tensors}) != 1:
        raise ValueError("shapes differ")


def target_without_done_mask(reward, target_q, done, gamma):
    _same_shapes(reward, target_q, done)
    return reward + gamma * target_q


def target_with_inverted_done_mask(reward, target_q, done, gamma):
    _same_shapes(reward, target_q, done)
    return reward + gamma * done * target_q


def target_in_place(reward, target_q, done, gamma):
    _same_shapes(reward, target_q, done)
    return reward.add_(gamma * (1.0 - done) * target_q)


def target_without_shape_guard(reward, target_q, done, gamma):
    return reward + gamma * (1.0 - done) * target_q


def _critic_loss(maddpg, i, batch, target_critic=True, target_actors=True, done_mask=True, squeeze=True):
    with torch.no_grad():
        actors = maddpg.target_actors if target_actors else maddpg.actors
        next_actions = [package_onehot_from_logits(mu(o)) for mu, o in zip(actors, batch.next_obs)]
        critic = maddpg.target_critics[i] if target_critic else maddpg.critics[i]
        target_q = critic(torch.cat(list(batch.next_obs) + next_actions, dim=1))
        target_q = target_q.squeeze(-1) if squeeze else target_q
        done = batch.dones[:, i] if done_mask else 0.0
        y = batch.rewards[:, i] + maddpg.gamma * (1.0 - done) * target_q
    q = maddpg.critics[i](torch.cat(list(batch.obs) + list(batch.actions.unbind(dim=1)), dim=1))
    q = q.squeeze(-1) if squeeze else q
    return ((q - y) ** 2).mean()


def critic_loss_online_critic_in_target(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, target_critic=False)


def critic_loss_online_actors_in_target(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, target_actors=False)


def critic_loss_without_done_mask(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, done_mask=False)


def critic_loss_with_b1_broadcast(maddpg, i, batch):
    return _critic_loss(maddpg, i, batch, squeeze=False)


def _actor_loss(maddpg, i, batch, all_current=False, penalty=True, sample="straight-through", critic=None):
    logits = [mu(o) for mu, o in zip(maddpg.actors, batch.obs)]
    actions = list(batch.actions.unbind(dim=1))
    for j in range(maddpg.n_agents) if all_current else [i]:
        if sample == "straight-through":
            actions[j] = package_gumbel_softmax(logits[j], maddpg.gumbel_tau, hard=True)
        elif sample == "soft":
            actions[j] = package_gumbel_softmax(logits[j], maddpg.gumbel_tau, hard=False)
        else:
            actions[j] = package_onehot_from_logits(logits[j])
    critic = critic or maddpg.critics[i]
    q = critic(torch.cat(list(batch.obs) + actions, dim=1)).squeeze(-1)
    return -q.mean() + (ACTOR_LOGIT_PENALTY * (logits[i] ** 2).mean() if penalty else 0.0)


def actor_loss_all_agents_from_current_actors(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, all_current=True)


def actor_loss_without_regulariser(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, penalty=False)


def actor_loss_greedy_action(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, sample="greedy")


def actor_loss_soft_sample(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, sample="soft")


def actor_loss_target_critic(maddpg, i, batch):
    return _actor_loss(maddpg, i, batch, critic=maddpg.target_critics[i])


def actor_loss_writes_into_the_batch(maddpg, i, batch):
    logits = maddpg.actors[i](batch.obs[i])
    batch.actions[:, i] = package_gumbel_softmax(logits, maddpg.gumbel_tau, hard=True)
    q = maddpg.critics[i](torch.cat(list(batch.obs) + list(batch.actions.unbind(dim=1)), dim=1)).squeeze(-1)
    return -q.mean() + ACTOR_LOGIT_PENALTY * (logits ** 2).mean()


@torch.no_grad()
def soft_update_tau_swapped(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p_target.copy_((1 - tau) * p + tau * p_target)


@torch.no_grad()
def soft_update_moves_the_source(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p.copy_(tau * p_target + (1 - tau) * p)


def soft_update_replaces_parameters(target, source, tau):
    for m_target, m in zip(target.modules(), source.modules()):
        if isinstance(m_target, nn.Linear):
            for name in ("weight", "bias"):
                old, new = getattr(m_target, name), getattr(m, name)
                setattr(m_target, name, nn.Parameter(tau * new.detach() + (1 - tau) * old.detach(),
                                                     requires_grad=old.requires_grad))


def soft_update_rebinds_the_loop_variable(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p_target = tau * p + (1 - tau) * p_target  # noqa: F841 (the mistake: the module never sees it)


def soft_update_hard_copy(target, source, tau):
    target.load_state_dict(source.state_dict())


MISTAKES = [  # (checker, wrong function, phrases its message must contain)
    (check_gumbel_softmax, gumbel_multiplies_by_tau,
     ["check 6 did not hold", "mean largest entry of the soft sample at tau=0.1", "not multiply"]),
    (check_gumbel_softmax, gumbel_ignores_tau,
     ["check 6 did not hold", "mean largest entry of the soft sample at tau=0.1", "divide the noisy logits by tau"]),
    (check_gumbel_softmax, gumbel_divides_only_the_logits,
     ["check 5 did not hold", "hard-sample frequencies = softmax(logits)", "divide only the logits"]),
    (check_gumbel_softmax, gumbel_hard_without_straight_through,
     ["check 7 did not hold", "the hard sample carries a gradient", "requires_grad=False", "(y_hard - y).detach() + y"]),
    (check_gumbel_softmax, gumbel_one_hot_by_comparison,
     ["ties give one 1 per row", "2 entries equal to 1", "not from y == y.max()"]),
    (check_gumbel_softmax, gumbel_accepts_tau_zero,
     ["invalid input raises ValueError", "tau=0.0", "no exception"]),
    (check_onehot_from_logits, onehot_one_coin_for_the_batch,
     ["action frequencies with eps=0.3", "0.7600", "Each row, independently"]),
    (check_onehot_from_logits, onehot_eps_is_the_greedy_probability,
     ["eps=0 picks a largest logit", "argmax"]),
    (check_onehot_from_logits, onehot_random_never_greedy,
     ["action frequencies with eps=1.0", "[0.2000, 0.2000, 0.2000, 0.2000, 0.2000]", "uniformly random one-hot"]),
    (check_onehot_from_logits, onehot_by_comparison,
     ["eps=0 gives one-hot rows also when logits tie", "logits == logits.max() marks every tied entry"]),
    (check_critic_target, target_without_done_mask,
     ["y = r + gamma * (1 - done) * target_q", "done 1", "'no done mask", "Multiply the bootstrap term by (1 - done)"]),
    (check_critic_target, target_with_inverted_done_mask,
     ["'inverted done mask", "use (1 - done)"]),
    (check_critic_target, target_in_place,
     ["the inputs are left unchanged", "an input was modified in place", "add_()"]),
    (check_critic_target, target_without_shape_guard,
     ["invalid input raises ValueError", "target_q of shape (6, 1)", "broadcasts silently to a (B, B) matrix"]),
    (check_critic_loss, critic_loss_online_critic_in_target,
     ["the loss value equals MADDPG.critic_loss", "online critic Q_i instead of the target critic",
      "maddpg.target_critics[i]"]),
    (check_critic_loss, critic_loss_online_actors_in_target,
     ["next actions come from the online actors instead of the target actors"]),
    (check_critic_loss, critic_loss_without_done_mask,
     ["every third row terminal", "Your value matches the mistake: no done mask", "(1 - done)"]),
    (check_critic_loss, critic_loss_with_b1_broadcast,
     ["(B, 1) versus (B,) broadcast", "squeeze(-1)"]),
    (check_actor_loss, actor_loss_all_agents_from_current_actors,
     ["check 1 did not hold", "with a confident actor the loss equals MADDPG.actor_loss",
      "the other a_j are the batch's actions"]),
    (check_actor_loss, actor_loss_without_regulariser,
     ["the reference minus the logit penalty (0.800): add it", "ACTOR_LOGIT_PENALTY * mean(logits_i^2)"]),
    (check_actor_loss, actor_loss_greedy_action,
     ["the loss is right on average over the Gumbel noise", "not the greedy one-hot"]),
    (check_actor_loss, actor_loss_soft_sample,
     ["the loss is right on average over the Gumbel noise", "not the soft sample"]),
    (check_actor_loss, actor_loss_target_critic,
     ["with a confident actor the loss equals MADDPG.actor_loss", "not the target critic"]),
    (check_actor_loss, actor_loss_writes_into_the_batch,
     ["the loss leaves the batch unchanged", "batch.actions was modified in place",
      "actions = list(batch.actions.unbind(dim=1))"]),
    (check_soft_update, soft_update_tau_swapped,
     ["target <- tau * source + (1 - tau) * target", "You swapped the weights"]),
    (check_soft_update, soft_update_moves_the_source,
     ["source.0.weight changed", "did you swap target and source?"]),
    (check_soft_update, soft_update_replaces_parameters,
     ["new parameter objects in the target", "in place"]),
    (check_soft_update, soft_update_rebinds_the_loop_variable,
     ["The target did not move"]),
    (check_soft_update, soft_update_hard_copy,
     ["a hard update"]),
    (check_fixed_critic_loss, buggy_critic_loss,  # exercise 5: the bugged original is told apart from a fix
     ["FAILED  fixed_critic_loss", "(B, 1) versus (B,) broadcast", "squeeze(-1)"]),
    (check_critic_loss, buggy_critic_loss,
     ["(B, 1) versus (B,) broadcast"]),
]


@pytest.mark.parametrize("checker, wrong, phrases", MISTAKES, ids=[f"{c.__name__}-{w.__name__}" for c, w, _ in MISTAKES])
def test_mistake_is_caught_and_named(checker, wrong, phrases):
    result = checker(wrong)
    assert_verdict(result, "failed", "FAILED  ", "expected:", "got:", "hint:", *phrases)
    # the verdict counts the checks that held before the failing one
    assert f"check {len(result.checks) + 1} did not hold ({len(result.checks)} passed before it)" in result.message


def test_inverted_done_mask_is_not_called_a_missing_mask_alone():
    # all-terminal rows cannot tell the two apart, so the hint must offer both, not only "no done mask"
    message = check_critic_target(target_with_inverted_done_mask).message
    assert "'no done mask" in message and "'inverted done mask" in message


def test_a_batch_written_in_place_does_not_corrupt_later_checks():
    # the checkers cache their MADDPG and batch: a student's in-place write must reach only a copy
    _, before = exercise_setup()
    assert not check_actor_loss(actor_loss_writes_into_the_batch).passed
    _, after = exercise_setup()
    assert torch.equal(after.actions, before.actions) and not after.actions.requires_grad
    solution = notebook_function(EXERCISE_DIR / "solutions" / NB04, "actor_loss")
    assert check_actor_loss(solution).passed


# ----- (d) errors in the student's code ------------------------------------------------------------
def gumbel_without_hard_argument(logits, tau=1.0):
    return torch.softmax(logits / tau, dim=-1)


def gumbel_adds_a_string(logits, tau=1.0, hard=True):
    return torch.softmax(logits, dim=-1) + "noise"


def critic_loss_with_a_typo(maddpg, i, batch):
    return batch.rewards[:, i] * maddpg.gama


def soft_update_without_no_grad(target, source, tau):
    for p_target, p in zip(target.parameters(), source.parameters()):
        p_target.mul_(1 - tau).add_(tau * p)


ERRORS = [  # (checker, function that raises, phrases the message must contain)
    (check_gumbel_softmax, gumbel_without_hard_argument,
     ["your function raised TypeError", "unexpected keyword argument 'hard'",
      "The function must have the signature gumbel_softmax(logits, tau=1.0, hard=True)."]),
    (check_gumbel_softmax, gumbel_adds_a_string,
     ["your function raised TypeError", "in gumbel_adds_a_string(), line",
      'return torch.softmax(logits, dim=-1) + "noise"']),
    (check_critic_loss, critic_loss_with_a_typo,
     ["your function raised AttributeError", "'gama'", "in critic_loss_with_a_typo(), line",
      "maddpg.gama", "input:    the MADDPG of exercise_setup(), i=0"]),
    (check_soft_update, soft_update_without_no_grad,
     ["your function raised RuntimeError", "a leaf Variable that requires grad", "in soft_update_without_no_grad()",
      "p_target.mul_(1 - tau).add_(tau * p)"]),
]


@pytest.mark.parametrize("checker, raising, phrases", ERRORS, ids=[f"{c.__name__}-{f.__name__}" for c, f, _ in ERRORS])
def test_other_exception_is_an_error_verdict(checker, raising, phrases):
    result = checker(raising)  # must not raise
    assert_verdict(result, "error", "ERROR  ", "where:", *phrases)


def test_error_in_a_notebook_cell_quotes_the_cell_line(tmp_path):
    # the line is found through linecache, as for code typed in Jupyter
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch"),
        nbformat.v4.new_code_cell("def critic_target(reward, target_q, done, gamma):\n"
                                  "    return reward + gamma * (1 - done) * target_q.nope()\n"),
    ])
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    result = check_critic_target(notebook_function(path, "critic_target"))
    assert_verdict(result, "error", "AttributeError", "in critic_target(), line 2",
                   "target_q.nope()")


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda f: f.__name__)
def test_passing_something_else_than_a_function_is_feedback_not_a_crash(checker):
    result = checker(None)
    assert_verdict(result, "failed", "Pass the function itself")


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda f: f.__name__)
def test_returning_nothing_is_feedback_not_a_crash(checker):
    def forgot_return(*args, **kwargs):
        pass

    if checker is check_soft_update:  # returns nothing by design: the target simply did not move
        assert_verdict(checker(forgot_return), "failed", "The target did not move")
    else:
        assert_verdict(checker(forgot_return), "failed", "NoneType")


# ----- the notebooks as files ---------------------------------------------------------------------------
NOTEBOOKS = sorted(EXERCISE_DIR.rglob("*.ipynb"))


def test_every_stub_notebook_has_its_solution_and_is_named_after_its_lesson():
    stubs = {p.name for p in EXERCISE_DIR.glob("*.ipynb")}
    assert stubs == {p.name for p in (EXERCISE_DIR / "solutions").glob("*.ipynb")}
    assert {NB03, NB04} <= stubs
    lessons = {p.name[:3] for p in (EXERCISE_DIR.parent).glob("[0-9][0-9]_*.ipynb")}
    assert all(name[:3] in lessons for name in stubs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(EXERCISE_DIR).as_posix())
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("notebook", [NB03, NB04])
def test_stubs_never_assert_a_pass_and_solutions_always_do(notebook):
    calls = {}
    for version in ("stub", "solution"):
        cells = code_cells(EXERCISE_DIR / ("solutions" if version == "solution" else "") / notebook)
        names = [n for nb, n, _ in EXERCISES if nb == notebook]
        checker_cells = [src for src in cells if re.match(rf"\w+ = check_\w+\(({'|'.join(names)})\)$", src.splitlines()[0])]
        calls[version] = [src.splitlines()[0] for src in checker_cells]
        for src in checker_cells:
            asserts_pass = ".passed" in src and "assert" in src
            assert asserts_pass is (version == "solution"), src
    assert set(calls["stub"]) <= set(calls["solution"])  # every stub checker cell has its asserted twin
    assert len(calls["stub"]) == sum(n == notebook for n, _, _ in EXERCISES)
