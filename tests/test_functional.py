"""The math of maddpg_lite.functional on hand-made inputs: Gumbel-softmax, greedy/epsilon
one-hots, the critic target and the soft update."""

import math

import pytest
import torch
from torch import nn

from maddpg_lite.functional import (
    critic_target,
    gumbel_softmax,
    gumbel_softmax_sample,
    onehot_from_logits,
    sample_gumbel,
    soft_update,
)

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine

LOGITS = torch.tensor([1.0, 0.5, -0.5, 2.0, 0.0])  # K = 5 actions, unnormalised on purpose
K = len(LOGITS)
N_SAMPLES = 20_000
Z_MAX = 4.5  # a frequency may sit at most 4.5 binomial standard errors from its probability


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def max_z_score(counts: torch.Tensor, probs: torch.Tensor, n: int) -> float:
    """Largest |frequency - p| / sqrt(p (1 - p) / n) over the K categories."""
    freq = counts.double() / n
    probs = probs.double()
    return float(((freq - probs).abs() / torch.sqrt(probs * (1 - probs) / n)).max())


# ----- sample_gumbel --------------------------------------------------------------------------
def test_sample_gumbel_has_gumbel_mean_and_variance():
    g = sample_gumbel((200_000,), generator=generator(1)).double()
    n = len(g)
    euler_gamma, var = 0.5772156649015329, math.pi ** 2 / 6  # Gumbel(0, 1): mean gamma, variance pi^2/6
    assert g.dtype == torch.float64 and torch.isfinite(g).all()
    assert abs(g.mean().item() - euler_gamma) < Z_MAX * math.sqrt(var / n)
    assert abs(g.var().item() - var) < 0.05 * var


# ----- gumbel_softmax: hard samples follow softmax(logits), for every temperature -------------
@pytest.mark.parametrize("tau", [0.1, 1.0, 10.0])
def test_hard_sample_frequencies_match_softmax_for_any_tau(tau):
    logits = LOGITS.expand(N_SAMPLES, K)
    y = gumbel_softmax(logits, tau=tau, hard=True, generator=generator(int(10 * tau)))
    counts = y.sum(dim=0)
    probs = torch.softmax(LOGITS, dim=0)
    assert counts.sum().item() == N_SAMPLES
    assert max_z_score(counts, probs, N_SAMPLES) < Z_MAX, (counts / N_SAMPLES, probs)


def test_hard_frequencies_are_not_uniform_nor_greedy():
    """The frequency test above can tell softmax(logits) from the two wrong answers."""
    y = gumbel_softmax(LOGITS.expand(N_SAMPLES, K), tau=1.0, generator=generator(3))
    counts = y.sum(dim=0)
    assert max_z_score(counts, torch.full((K,), 1 / K), N_SAMPLES) > 10 * Z_MAX
    assert counts.argmax() == LOGITS.argmax() and (counts > 0).all()


@pytest.mark.parametrize("tau", [0.1, 1.0, 10.0])
def test_hard_output_is_one_hot_with_the_soft_gradient(tau):
    torch.manual_seed(0)
    logits = torch.randn(64, K)
    weights = torch.randn(64, K)  # a generic downstream loss sum(w * y)

    leaf_hard = logits.clone().requires_grad_(True)
    hard = gumbel_softmax(leaf_hard, tau=tau, hard=True, generator=generator(7))
    leaf_soft = logits.clone().requires_grad_(True)
    soft = gumbel_softmax(leaf_soft, tau=tau, hard=False, generator=generator(7))  # the same noise

    # forward: exactly one-hot, at the argmax of the soft sample
    assert set(hard.detach().unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(hard.detach().sum(dim=1), torch.ones(64))
    assert torch.equal(hard.detach().argmax(dim=1), soft.detach().argmax(dim=1))
    # backward: the soft sample's gradient (straight-through), and it is not zero
    (weights * hard).sum().backward()
    (weights * soft).sum().backward()
    assert leaf_hard.grad.abs().sum() > 0
    torch.testing.assert_close(leaf_hard.grad, leaf_soft.grad, rtol=0, atol=1e-6)


def test_soft_sample_is_on_the_simplex():
    y = gumbel_softmax_sample(torch.randn(100, K, generator=generator(2)), tau=0.7, generator=generator(2))
    assert y.shape == (100, K) and (y >= 0).all()
    torch.testing.assert_close(y.sum(dim=1), torch.ones(100))


def test_soft_samples_go_from_one_hot_to_uniform_as_tau_grows():
    taus = [0.01, 0.1, 1.0, 10.0, 100.0]
    mean_max_prob = []
    for tau in taus:
        y = gumbel_softmax(LOGITS.expand(N_SAMPLES, K), tau=tau, hard=False, generator=generator(4))
        mean_max_prob.append(y.max(dim=1).values.mean().item())
    assert mean_max_prob[0] > 0.99  # tau -> 0: nearly one-hot
    assert abs(mean_max_prob[-1] - 1 / K) < 0.01  # tau -> infinity: nearly uniform
    assert all(a > b for a, b in zip(mean_max_prob, mean_max_prob[1:])), mean_max_prob


@pytest.mark.parametrize("tau", [0, 0.0, -1.0, float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("hard", [True, False])
def test_bad_temperature_raises_naming_the_value(tau, hard):
    with pytest.raises(ValueError) as info:
        gumbel_softmax(LOGITS[None], tau=tau, hard=hard)
    assert f"tau={tau!r}" in str(info.value)


# ----- onehot_from_logits -----------------------------------------------------------------------
def test_onehot_ties_give_exactly_one_one_the_first():
    logits = torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 3.0, 3.0], [-1.0, 0.0, -2.0]])
    expected = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0]])
    assert torch.equal(onehot_from_logits(logits), expected)


def test_onehot_eps_zero_is_greedy():
    logits = torch.randn(1000, K, generator=generator(5))
    y = onehot_from_logits(logits, eps=0.0, generator=generator(5))
    assert torch.equal(y, torch.nn.functional.one_hot(logits.argmax(1), K).float())


def test_onehot_eps_one_is_uniform_random():
    logits = torch.tensor([10.0, 0, 0, 0, 0]).expand(N_SAMPLES, K)  # greedy would always pick 0
    y = onehot_from_logits(logits, eps=1.0, generator=generator(6))
    assert torch.equal(y.sum(dim=1), torch.ones(N_SAMPLES))
    assert max_z_score(y.sum(dim=0), torch.full((K,), 1 / K), N_SAMPLES) < Z_MAX


def test_onehot_eps_mixes_greedy_and_random():
    eps = 0.3
    y = onehot_from_logits(LOGITS.expand(N_SAMPLES, K), eps=eps, generator=generator(8))
    greedy_share = y[:, LOGITS.argmax()].mean().item()
    p = (1 - eps) + eps / K  # greedy rows, plus random rows that happen to pick the greedy action
    assert abs(greedy_share - p) < Z_MAX * math.sqrt(p * (1 - p) / N_SAMPLES)


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan")])
def test_onehot_bad_eps_raises(eps):
    with pytest.raises(ValueError, match="eps"):
        onehot_from_logits(LOGITS[None], eps=eps)


# ----- critic_target -----------------------------------------------------------------------------
def test_critic_target_by_hand():
    reward = torch.tensor([1.0, -2.0, 0.5])
    target_q = torch.tensor([10.0, 4.0, -3.0])
    gamma = 0.9
    no_done = critic_target(reward, target_q, torch.zeros(3), gamma)
    torch.testing.assert_close(no_done, torch.tensor([1.0 + 9.0, -2.0 + 3.6, 0.5 - 2.7]))
    mixed = critic_target(reward, target_q, torch.tensor([0.0, 1.0, 0.0]), gamma)
    torch.testing.assert_close(mixed, torch.tensor([10.0, -2.0, -2.2]))  # done: no bootstrap
    all_done = critic_target(reward, target_q, torch.ones(3), gamma)
    assert torch.equal(all_done, reward)
    assert torch.equal(critic_target(reward, target_q, torch.zeros(3), 0.0), reward)


@pytest.mark.parametrize("shapes", [((3, 1), (3,), (3,)), ((3,), (3, 1), (3,)), ((3,), (3,), (3, 1)),
                                    ((3,), (4,), (3,))])
def test_critic_target_refuses_to_broadcast(shapes):
    reward, target_q, done = (torch.zeros(s) for s in shapes)
    with pytest.raises(ValueError) as info:
        critic_target(reward, target_q, done, 0.95)
    message = str(info.value)
    assert "(3, 1)" in message or "(4,)" in message


# ----- soft_update --------------------------------------------------------------------------------
def linear(weight, bias) -> nn.Linear:
    net = nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([weight]))
        net.bias.copy_(torch.tensor([bias]))
    return net


def test_soft_update_formula_by_hand():
    target, source = linear([1.0, 2.0], 3.0), linear([5.0, 6.0], -1.0)
    soft_update(target, source, tau=0.25)
    # theta' <- 0.25 * theta + 0.75 * theta'
    assert torch.equal(target.weight.data, torch.tensor([[0.25 * 5 + 0.75 * 1, 0.25 * 6 + 0.75 * 2]]))
    assert torch.equal(target.bias.data, torch.tensor([0.25 * -1 + 0.75 * 3]))
    assert torch.equal(source.weight.data, torch.tensor([[5.0, 6.0]]))  # the source is untouched


def test_soft_update_tau_zero_keeps_and_tau_one_copies():
    target, source = linear([1.0, 2.0], 3.0), linear([5.0, 6.0], -1.0)
    soft_update(target, source, tau=0.0)
    assert torch.equal(target.weight.data, torch.tensor([[1.0, 2.0]])) and target.bias.item() == 3.0
    soft_update(target, source, tau=1.0)
    assert torch.equal(target.weight.data, source.weight.data) and target.bias.item() == -1.0


@pytest.mark.parametrize("tau", [-0.01, 1.01, float("nan")])
def test_soft_update_bad_tau_raises(tau):
    target, source = linear([1.0, 2.0], 3.0), linear([5.0, 6.0], -1.0)
    with pytest.raises(ValueError) as info:
        soft_update(target, source, tau)
    assert f"tau={tau!r}" in str(info.value)
    assert torch.equal(target.weight.data, torch.tensor([[1.0, 2.0]]))
