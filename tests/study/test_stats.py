"""lstm_lib.stats.statistics: t-intervals and power, checked against closed forms and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_lib.stats.statistics import (
    detectable_effect,
    geometric_interval,
    mean_interval,
    nearest_rank,
    seeds_needed,
    t_interval,
)

T_975 = {2: 4.302652729911275, 4: 2.7764451051977987, 9: 2.2621571627409915, 19: 2.093024054408263}
"""Two-sided 95% Student-t quantiles t_{0.975, df} from printed tables."""


def test_t_interval_matches_the_textbook_formula():
    x = [1.0, 2.0, 4.0, 7.0, 11.0]
    mean = sum(x) / 5
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / 4)
    half = T_975[4] * sd / math.sqrt(5)
    got = t_interval(x)
    assert got[0] == pytest.approx(mean)
    assert got[1] == pytest.approx(mean - half, rel=1e-9)
    assert got[2] == pytest.approx(mean + half, rel=1e-9)
    assert mean_interval is t_interval


def test_t_interval_edge_cases():
    assert math.isnan(t_interval([3.0])[1])
    assert t_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert math.isnan(t_interval([1.0, math.nan])[1])
    with pytest.raises(ValueError, match="at least one"):
        t_interval([])
    with pytest.raises(ValueError, match="level"):
        t_interval([1.0, 2.0], level=1.5)


def test_geometric_interval_is_the_t_interval_of_logs():
    x = [0.01, 0.1, 1.0]  # logs -ln(100), -ln(10), 0: mean -ln(10), sd ln(10)
    g, low, high = geometric_interval(x)
    assert g == pytest.approx(0.1)
    half = T_975[2] * math.log(10) / math.sqrt(3)
    assert low == pytest.approx(0.1 * math.exp(-half)) and high == pytest.approx(0.1 * math.exp(half))
    assert low > 0
    with pytest.raises(ValueError, match="positive"):
        geometric_interval([1.0, 0.0])


def test_coverage_by_simulation():
    rng = np.random.default_rng(0)
    hits = sum(lo <= 0 <= hi for _, lo, hi in (t_interval(rng.normal(size=10)) for _ in range(2000)))
    assert 0.93 < hits / 2000 < 0.97


def test_detectable_effect_has_the_stated_power():
    """At the detectable effect, a simulated paired t-test rejects 80% of the time."""
    sd, n = 1.0, 20
    d = detectable_effect(sd, n)
    # normal approximation: (z_0.975 + z_0.8) * sd / sqrt(n) = 2.8016 / sqrt(20), a little less than the t value
    assert 2.8016 / math.sqrt(n) < d < 1.1 * 2.8016 / math.sqrt(n)
    rng = np.random.default_rng(1)
    rejections = 0
    for _ in range(3000):
        _, lo, hi = t_interval(rng.normal(d, sd, size=n))
        rejections += lo > 0 or hi < 0
    assert abs(rejections / 3000 - 0.8) < 0.03
    assert math.isnan(detectable_effect(1.0, 1))


def test_seeds_needed_is_the_first_n_that_reaches_the_power():
    sd, effect = 1.0, 0.5
    n = seeds_needed(effect, sd)
    assert detectable_effect(sd, n) <= effect < detectable_effect(sd, n - 1)
    assert 30 < n < 40  # normal approximation: (2.8016 / 0.5) ** 2 = 31.4, plus the t correction
    assert seeds_needed(effect, 0.0) == 2
    assert seeds_needed(1e-9, 1.0, limit=1000) == 1000
    with pytest.raises(ValueError, match="effect"):
        seeds_needed(0.0, 1.0)


def test_nearest_rank_picks_the_closed_form_rank_and_puts_diverged_values_last() -> None:
    """Nearest rank over n sorted values picks index round(p/100 * (n - 1)); nan and inf rank worst."""
    values = [5.0, 1.0, math.nan, 3.0, 2.0, 4.0, math.inf, 0.5, 6.0, 7.0, 8.0]
    finite_order = sorted((v, i) for i, v in enumerate(values) if math.isfinite(v))
    order = [i for _, i in finite_order] + [2, 6]  # the non-finite ones last, in their order
    picks = nearest_rank(values, (0, 10, 50, 90, 100))
    for p, index in picks.items():
        assert index == order[math.floor(p / 100 * (len(values) - 1) + 0.5)]
    assert values[picks[0]] == 0.5 and picks[100] == 6 and values[picks[50]] == 5.0


def test_nearest_rank_rejects_bad_percentiles_and_empty_input() -> None:
    with pytest.raises(ValueError, match="percentiles"):
        nearest_rank([1.0], (101,))
    with pytest.raises(ValueError, match="at least one"):
        nearest_rank([], (50,))
