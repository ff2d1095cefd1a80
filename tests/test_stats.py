"""mean_interval: a percentile bootstrap of the mean, checked against the exact bootstrap distribution."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from lstm_lib.study import statistics as stats
from lstm_lib.study.statistics import mean_interval

# Monte-Carlo tolerance on a CDF value estimated from RESAMPLES draws: sqrt(0.025 * 0.975 / 10_000)
# is 0.0016, so 0.008 is five standard errors.
CDF_TOL = 0.008


def exact_bootstrap_means(xs: list[float]) -> np.ndarray:
    """The means of all n**n equally likely ordered resamples of ``xs`` (the exact bootstrap distribution)."""
    return np.array([sum(c) / len(xs) for c in itertools.product(xs, repeat=len(xs))])


def assert_is_quantile(exact: np.ndarray, bound: float, p: float, span: float) -> None:
    """``bound`` is a ``p`` quantile of the exact distribution, up to Monte-Carlo error: F(bound-) <= p <= F(bound)."""
    eps = 1e-12 * span
    assert np.mean(exact < bound - eps) <= p + CDF_TOL
    assert np.mean(exact <= bound + eps) >= p - CDF_TOL


def test_constants():
    assert stats.RESAMPLES == 10_000 and stats.BOOTSTRAP_SEED == 0


@pytest.mark.parametrize(
    "xs",
    [
        [2.0, 4.0, 9.0],
        [1.0, 2.0, 3.0],
        [1e-5, 3e-3, 1e-2],
        [0.3, 0.31, 5.0, 0.2],
        [1.0, 2.0, 4.0, 8.0],
        [-1.0, 0.5, 0.7, 3.0],
    ],
)
def test_bounds_are_quantiles_of_exact_bootstrap_distribution(xs):
    exact = exact_bootstrap_means(xs)
    assert len(exact) == len(xs) ** len(xs)  # 27 for n = 3, 256 for n = 4
    span = max(xs) - min(xs)
    mean, low, high = mean_interval(xs)
    assert mean == pytest.approx(np.mean(exact), rel=1e-12)  # the bootstrap distribution is centred on the mean
    assert_is_quantile(exact, low, 0.025, span)
    assert_is_quantile(exact, high, 0.975, span)


@pytest.mark.parametrize("xs", [[2.0, 4.0, 9.0], [1e-5, 3e-3, 1e-2], [-1.0, 0.5, 7.0]])
def test_three_values_match_exact_quantiles(xs):
    # n = 3: the extreme resample means carry 1/27 = 0.037 each, far (8 standard errors) from
    # 0.025 and 0.975, so the Monte-Carlo quantiles are the exact distribution's quantiles.
    exact = exact_bootstrap_means(xs)
    q_low, q_high = np.quantile(exact, [0.025, 0.975], method="inverted_cdf")
    span = max(xs) - min(xs)
    _, low, high = mean_interval(xs)
    assert abs(low - q_low) <= 0.02 * span
    assert abs(high - q_high) <= 0.02 * span


def test_other_level_against_exact_distribution():
    xs = [0.3, 0.31, 5.0, 0.2]
    exact = exact_bootstrap_means(xs)
    _, low, high = mean_interval(xs, level=0.5)
    assert_is_quantile(exact, low, 0.25, 4.8)
    assert_is_quantile(exact, high, 0.75, 4.8)
    _, low95, high95 = mean_interval(xs)
    assert low95 <= low <= high <= high95


@pytest.mark.parametrize(
    "xs",
    [
        [1e-5, 2e-5, 1e-2, 3e-5, 5e-5],
        [0.00475, 1e-4, 2e-4, 3e-2, 5e-5, 7e-5, 1.2e-4],
        [1.0, 2.0],
        [-3.0, 10.0, 0.5, 0.25, 1.0, 2.0, 100.0],
        [0.1 * k**1.5 for k in range(10)],
    ],
)
def test_bounds_within_range_and_around_mean(xs):
    mean, low, high = mean_interval(xs)
    assert min(xs) <= low <= mean <= high <= max(xs)


def test_positive_skewed_values_give_a_positive_interval():
    xs = [1e-5, 2e-5, 1e-2, 3e-5, 5e-5]
    mean, low, high = mean_interval(xs)
    assert low > 0 and high > mean
    # the t-interval on these values would be mean -+ 2.776 * sd / sqrt(5), which goes negative
    sd = math.sqrt(sum((v - mean) ** 2 for v in xs) / 4)
    assert mean - 2.776445 * sd / math.sqrt(5) < 0


def test_deterministic_and_leaves_global_rng_alone():
    xs = [0.3, 0.1, 0.7, 2.0, 0.05]
    torch.manual_seed(1)
    state = torch.random.get_rng_state()
    first = mean_interval(xs)
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(12345)
    torch.rand(7)
    assert mean_interval(xs) == first
    assert mean_interval(list(xs)) == first


@pytest.mark.parametrize("scale, shift", [(2.5, 3.5), (1e-3, 0.0), (1e4, -7.0), (-0.5, 1.0)])
def test_affine_equivariance(scale, shift):
    xs = [0.3, 0.1, 0.7, 2.0, 0.05, 1.1]
    _, low, high = mean_interval(xs)
    mean_t, low_t, high_t = mean_interval([scale * v + shift for v in xs])
    if scale < 0:  # a reflection swaps the bounds
        low, high = high, low
    tol = 1e-9 * abs(scale) * (max(xs) - min(xs))
    assert mean_t == pytest.approx(scale * sum(xs) / len(xs) + shift, abs=tol)
    assert low_t == pytest.approx(scale * low + shift, abs=tol)
    assert high_t == pytest.approx(scale * high + shift, abs=tol)


def test_large_normal_sample_matches_normal_interval():
    x = torch.randn(400, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    xs = x.tolist()
    mean, low, high = mean_interval(xs)
    half = 1.96 * x.std().item() / math.sqrt(400)
    assert mean == pytest.approx(x.mean().item(), rel=1e-9)
    assert abs(low - (mean - half)) <= 0.1 * half
    assert abs(high - (mean + half)) <= 0.1 * half


def test_mean_interval_edge_cases():
    m, low, high = mean_interval([3.0])
    assert m == 3.0 and math.isnan(low) and math.isnan(high)
    m, low, high = mean_interval([1.0, float("inf")])
    assert math.isnan(low) and math.isnan(high)
    m, low, high = mean_interval([1.0, float("nan"), 2.0])
    assert math.isnan(low) and math.isnan(high)
    assert mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert mean_interval([0.1] * 7) == (0.1, 0.1, 0.1)
    with pytest.raises(ValueError, match="values"):
        mean_interval([])
    for level in (0, 1, 1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="level"):
            mean_interval([1.0, 2.0], level=level)
