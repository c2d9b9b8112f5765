"""maddpg_lite.estimators on hand-made inputs: the exact gradient in closed form, the score-function
estimator (unbiased, its variance by enumeration), the straight-through estimator (its formula, its
exact mean for K = 2, its bias on linear and curved critics, and where that bias vanishes)."""

import math

import pytest
import torch

from maddpg_lite.estimators import (
    compare_estimators,
    corner_gradients,
    corner_values,
    cubic_critic,
    exact_gradient,
    linear_critic,
    mlp_critic,
    objective,
    score_function_samples,
    score_function_variance,
    straight_through_limit,
    straight_through_mean_two_actions,
    straight_through_samples,
)
from maddpg_lite.functional import sample_gumbel

torch.set_num_threads(1)  # tiny tensors: one thread is fastest on a shared 2-core machine

LOGITS = torch.log(torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64))  # the distribution of lesson 03
Z_MAX = 5.0  # a Monte-Carlo mean may sit at most 5 standard errors from its expectation


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def quadratic_critic(A, b):
    A, b = torch.as_tensor(A, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return lambda a: ((a @ A) * a).sum(-1) + a @ b


def logistic_density_second_derivative(x: float) -> float:
    # p(x) = s (1 - s) with s = sigmoid(x); p'' = s (1 - s) (1 - 6 s + 6 s^2)
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s) * (1 - 6 * s + 6 * s * s)


def within_standard_errors(samples: torch.Tensor, expected: torch.Tensor) -> float:
    """Largest |mean - expected| in units of the mean's standard error, over the K components."""
    se = samples.std(0) / math.sqrt(len(samples))
    return float(((samples.mean(0) - expected).abs() / se.clamp_min(1e-12)).max())


# ----- the exact gradient ---------------------------------------------------------------------------
def test_exact_gradient_of_a_linear_critic_is_the_softmax_jacobian_times_r():
    r = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    pi = torch.softmax(LOGITS, -1)
    closed_form = (torch.diag(pi) - torch.outer(pi, pi)) @ r  # d/dl (pi . r)
    assert torch.allclose(exact_gradient(LOGITS, linear_critic(r)), closed_form, atol=1e-12)


@pytest.mark.parametrize("critic", [linear_critic([1.0, 0.0, 0.0]), cubic_critic([1.0, -1.0, 2.0]), mlp_critic(3)],
                         ids=["linear", "cubic", "mlp"])
def test_exact_gradient_is_autograd_and_finite_differences_of_J(critic):
    leaf = LOGITS.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(objective(leaf, critic), leaf)
    grad = exact_gradient(LOGITS, critic)
    assert torch.allclose(grad, auto, atol=1e-12)
    h = 1e-6
    for j in range(3):
        step = torch.zeros(3, dtype=torch.float64)
        step[j] = h
        fd = (objective(LOGITS + step, critic) - objective(LOGITS - step, critic)) / (2 * h)
        assert abs(float(fd) - float(grad[j])) < 1e-8
    assert abs(float(grad.sum())) < 1e-12  # adding a constant to every logit changes nothing


def test_corner_values_and_gradients_of_the_cubic_critic():
    c = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64)
    assert torch.allclose(corner_values(cubic_critic(c), 3), c)  # q(e_k) = c_k, like linear_critic(c)
    assert torch.allclose(corner_gradients(cubic_critic(c), 3), torch.diag(3 * c))  # grad q(e_k) = 3 c_k e_k
    assert torch.allclose(corner_gradients(linear_critic(c), 3), c.expand(3, 3))


# ----- score function ------------------------------------------------------------------------------
def test_score_function_samples_are_q_times_the_score_of_a_gumbel_max_action():
    critic = mlp_critic(3)
    samples = score_function_samples(LOGITS, critic, 50, generator=gen(4))
    z = (LOGITS + sample_gumbel((50, 3), generator=gen(4)).double()).argmax(-1)  # the same noise, by hand
    pi = torch.softmax(LOGITS, -1)
    for b in range(50):
        e = torch.eye(3, dtype=torch.float64)[z[b]]
        # grad_l log softmax(l)_z = e_z - pi
        assert torch.allclose(samples[b], critic(e[None])[0] * (e - pi), atol=1e-12)


@pytest.mark.parametrize("n", [1_000, 10_000, 200_000])
def test_score_function_mean_converges_to_the_exact_gradient(n):
    critic = mlp_critic(3)
    samples = score_function_samples(LOGITS, critic, n, generator=gen(n))
    exact = exact_gradient(LOGITS, critic)
    assert within_standard_errors(samples, exact) < Z_MAX
    # and the error of the mean shrinks like sqrt(variance / n): 5 standard errors of the total
    assert float((samples.mean(0) - exact).norm()) < Z_MAX * math.sqrt(score_function_variance(LOGITS, critic) / n)


def test_score_function_variance_by_enumeration_matches_the_measured_one():
    critic = mlp_critic(3)
    n = 200_000
    measured = float(score_function_samples(LOGITS, critic, n, generator=gen(1)).var(0).sum())
    assert measured == pytest.approx(score_function_variance(LOGITS, critic), rel=0.02)


def test_a_constant_added_to_the_critic_inflates_the_score_function_but_not_straight_through():
    critic = mlp_critic(3)
    shifted = lambda a: critic(a) - 15.0  # a typical offset: the adversary's Q is about -15 in this game
    assert torch.allclose(exact_gradient(LOGITS, shifted), exact_gradient(LOGITS, critic), atol=1e-12)
    # score function: the offset multiplies the score; a baseline equal to it removes it again
    assert score_function_variance(LOGITS, shifted) > 100 * score_function_variance(LOGITS, critic)
    assert score_function_variance(LOGITS, shifted, baseline=-15.0) == pytest.approx(
        score_function_variance(LOGITS, critic), rel=1e-9)
    # a baseline never moves the mean
    with_baseline = score_function_samples(LOGITS, shifted, 100_000, baseline=-15.0, generator=gen(2))
    assert within_standard_errors(with_baseline, exact_gradient(LOGITS, critic)) < Z_MAX
    # straight-through reads only the critic's slope: the same noise gives the same estimates
    st = straight_through_samples(LOGITS, critic, 1.0, 1000, generator=gen(3))
    st_shifted = straight_through_samples(LOGITS, shifted, 1.0, 1000, generator=gen(3))
    assert torch.allclose(st, st_shifted, atol=1e-12)


# ----- straight-through: the formula -----------------------------------------------------------------
@pytest.mark.parametrize("tau", [0.1, 1.0, 5.0])
def test_straight_through_sample_is_the_soft_jacobian_times_the_slope_at_the_one_hot(tau):
    critic = mlp_critic(3)
    samples = straight_through_samples(LOGITS, critic, tau, 40, generator=gen(6))
    g = sample_gumbel((40, 3), generator=gen(6)).double()  # the noise gumbel_softmax draws
    y = torch.softmax((LOGITS + g) / tau, -1)  # (40, 3) soft samples
    slopes = corner_gradients(critic, 3)[y.argmax(-1)]  # (40, 3): grad q at the hard sample e_z
    jacobians = (torch.diag_embed(y) - y[:, :, None] * y[:, None, :]) / tau  # (40, 3, 3) dy/dl, symmetric
    assert torch.allclose(samples, (jacobians @ slopes[:, :, None]).squeeze(-1), atol=1e-9)


# ----- straight-through, K = 2: the exact mean by quadrature -------------------------------------------
@pytest.mark.parametrize("critic", [linear_critic([1.0, -0.5]), cubic_critic([1.0, -0.5]), mlp_critic(2)],
                         ids=["linear", "cubic", "mlp"])
@pytest.mark.parametrize("tau", [0.1, 1.0])
def test_quadrature_mean_agrees_with_monte_carlo(critic, tau):
    logits = torch.tensor([0.4, -0.3], dtype=torch.float64)
    samples = straight_through_samples(logits, critic, tau, 200_000, generator=gen(7))
    assert within_standard_errors(samples, straight_through_mean_two_actions(logits, critic, tau)) < Z_MAX


def test_linear_critic_equal_logits_tau_1_gives_two_thirds_of_the_gradient():
    # D = 0, tau = 1: the mean is the density of a sum of two standard logistics at 0, which is
    # integral of p(u)^2 du = 1/6, against p(0) = 1/4 for the exact gradient
    critic = linear_critic([1.0, 0.0])
    logits = torch.zeros(2, dtype=torch.float64)
    mean = straight_through_mean_two_actions(logits, critic, 1.0)
    assert torch.allclose(mean, 2 / 3 * exact_gradient(logits, critic), atol=1e-9)


@pytest.mark.parametrize("gap", [0.0, 0.7, 2.5])
def test_linear_critic_bias_vanishes_like_tau_squared_as_tau_goes_to_0(gap):
    # E = density of (L + tau L') at -D, = p(-D) + tau^2 (pi^2 / 6) p''(-D) + O(tau^4), L, L' standard logistic
    r = torch.tensor([1.0, 0.5], dtype=torch.float64)
    logits = torch.tensor([gap, 0.0], dtype=torch.float64)
    exact = exact_gradient(logits, linear_critic(r))
    predicted = math.pi ** 2 / 6 * abs(logistic_density_second_derivative(-gap)) * float(r[0] - r[1]) * math.sqrt(2)
    for tau in (0.02, 0.01):
        bias = float((straight_through_mean_two_actions(logits, linear_critic(r), tau) - exact).norm())
        assert bias / tau ** 2 == pytest.approx(predicted, rel=0.01)


def test_linear_critic_equal_logits_is_biased_at_every_tau_and_loses_the_gradient_at_large_tau():
    # D = 0: the density at 0 of L + tau L' is below p(0) for every tau > 0 (the mode of a sum of
    # independent symmetric unimodal variables is lower), so straight-through underestimates, always
    critic = linear_critic([1.0, 0.0])
    logits = torch.zeros(2, dtype=torch.float64)
    exact0 = float(exact_gradient(logits, critic)[0])
    ratios = [float(straight_through_mean_two_actions(logits, critic, tau)[0]) / exact0
              for tau in (0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0)]
    assert all(0 < ratio < 1 for ratio in ratios)
    assert ratios == sorted(ratios, reverse=True)  # more temperature, more bias
    assert ratios[-1] < 0.011  # as tau -> infinity the estimate goes to 0: the bias is the whole gradient


def test_linear_critic_in_the_tails_the_bias_changes_sign_so_it_vanishes_at_one_tau():
    # where p'' > 0 (|D| beyond the inflection point of the logistic, about 1.32) small temperatures
    # overestimate and large ones underestimate: the bias is 0 at one isolated tau, not in general
    critic = linear_critic([1.0, 0.0])
    logits = torch.tensor([3.0, 0.0], dtype=torch.float64)
    exact0 = float(exact_gradient(logits, critic)[0])
    ratio = lambda tau: float(straight_through_mean_two_actions(logits, critic, tau)[0]) / exact0
    assert ratio(1.0) > 1.5 and ratio(10.0) < 0.8


# ----- straight-through: the limit tau -> 0 on curved critics -------------------------------------------
@pytest.mark.parametrize("k", [3, 5])
def test_the_limit_is_the_exact_gradient_for_linear_and_quadratic_critics(k):
    g = gen(k)
    logits = torch.randn(k, generator=g, dtype=torch.float64)
    A = torch.randn(k, k, generator=g, dtype=torch.float64)
    b = torch.randn(k, generator=g, dtype=torch.float64)
    for critic in (linear_critic(b), quadratic_critic(A, b)):
        assert torch.allclose(straight_through_limit(logits, critic), exact_gradient(logits, critic), atol=1e-12)


def test_the_limit_is_one_and_a_half_times_the_gradient_for_the_cubic_critic():
    # on the edge e_k -> e_j, q = c_j s^3 + c_k (1 - s)^3: the slopes at the ends are 3 c_j and -3 c_k,
    # so the trapezoid rule gives 1.5 (c_j - c_k) instead of c_j - c_k
    c = torch.tensor([1.0, -1.0, 2.0, 0.0], dtype=torch.float64)
    logits = torch.tensor([0.3, -0.2, 0.1, 0.5], dtype=torch.float64)
    limit = straight_through_limit(logits, cubic_critic(c))
    assert torch.allclose(limit, 1.5 * exact_gradient(logits, cubic_critic(c)), atol=1e-12)
    assert torch.allclose(exact_gradient(logits, cubic_critic(c)), exact_gradient(logits, linear_critic(c)))


def test_the_limit_matches_the_exact_k2_mean_at_tiny_tau_and_monte_carlo_for_k3():
    logits2 = torch.tensor([0.4, -0.3], dtype=torch.float64)
    critic2 = mlp_critic(2)
    limit2 = straight_through_limit(logits2, critic2)
    # where the slope jumps between the two corners the approach is linear in tau: 10x closer per decade
    gaps = [float((straight_through_mean_two_actions(logits2, critic2, tau) - limit2).norm()) for tau in (1e-3, 1e-4)]
    assert gaps[0] < 1e-3 and gaps[1] == pytest.approx(gaps[0] / 10, rel=0.1)
    critic3 = mlp_critic(3)
    samples = straight_through_samples(LOGITS, critic3, 0.02, 400_000, generator=gen(5))
    assert within_standard_errors(samples, straight_through_limit(LOGITS, critic3)) < Z_MAX


def test_a_curved_critic_keeps_its_bias_as_tau_goes_to_0():
    critic = mlp_critic(3)
    exact = exact_gradient(LOGITS, critic)
    limit_bias = float((straight_through_limit(LOGITS, critic) - exact).norm())
    assert limit_bias > 0.2 * float(exact.norm())


# ----- the comparison the lesson shows -------------------------------------------------------------------
def test_compare_estimators_on_the_lesson_critic():
    taus = [0.1, 1.0, 10.0]
    res = compare_estimators(LOGITS, mlp_critic(3), taus, n=20_000)
    n, exact_norm = res["n"], float(torch.tensor(res["exact"]).norm())
    # score function: unbiased up to Monte-Carlo error, its variance as enumerated
    assert res["sf_bias"] < Z_MAX * math.sqrt(res["sf_variance_exact"] / n)
    assert res["sf_variance"] == pytest.approx(res["sf_variance_exact"], rel=0.05)
    # straight-through: variance falls and bias grows with tau; far less variance than the score function
    # at tau = 1, but a bias no batch size averages away
    assert list(res["st_variance"]) == sorted(res["st_variance"], reverse=True)
    assert list(res["st_bias"]) == sorted(res["st_bias"])
    assert res["st_variance"][1] < 0.2 * res["sf_variance_exact"]
    assert res["st_bias"][1] > 0.3 * exact_norm
    # the bias is mostly a shrinking: the mean still points the right way
    assert res["st_cosine"][1] > 0.99
    # at small tau the measured bias sits at the tau -> 0 limit, not at 0
    assert abs(res["st_bias"][0] - res["st_limit_bias"]) < 0.2 * res["st_limit_bias"]
    assert res["st_limit_bias"] > 0.2 * exact_norm


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="K >= 2"):
        exact_gradient(torch.zeros(1), linear_critic([1.0]))
    with pytest.raises(ValueError, match="K = 2"):
        straight_through_mean_two_actions(LOGITS, mlp_critic(3), 1.0)
