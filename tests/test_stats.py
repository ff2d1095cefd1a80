"""t quantiles and mean intervals against closed forms and tables."""

from __future__ import annotations

import math

import pytest

from lstm_lib.stats import mean_interval, t_quantile


@pytest.mark.parametrize("p", [0.5, 0.6, 0.75, 0.9, 0.95, 0.975, 0.99])
def test_t_quantile_df1_is_cauchy(p):
    assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), abs=1e-9)


@pytest.mark.parametrize("p", [0.5, 0.6, 0.75, 0.9, 0.95, 0.975, 0.99, 0.999])
def test_t_quantile_df2_closed_form(p):
    assert t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), abs=1e-9)


@pytest.mark.parametrize(
    "df, expected",
    [(3, 3.182446), (4, 2.776445), (5, 2.570582), (9, 2.262157), (10, 2.228139), (30, 2.042272)],
)
def test_t_quantile_table_values(df, expected):
    # two-sided 95% critical values from standard tables of Student's t
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-5)


def test_t_quantile_approaches_normal():
    assert t_quantile(0.975, 10_000) == pytest.approx(1.959964, abs=1e-3)


@pytest.mark.parametrize("p, df", [(0.4, 3), (1.0, 3), (0.975, 0), (0.975, 1.5), (float("nan"), 3)])
def test_t_quantile_rejects(p, df):
    with pytest.raises(ValueError):
        t_quantile(p, df)


def test_mean_interval_by_hand():
    xs = [2.0, 4.0, 9.0]
    mean = 5.0
    sd = math.sqrt(((2 - 5) ** 2 + (4 - 5) ** 2 + (9 - 5) ** 2) / 2)  # sqrt(13)
    q = (2 * 0.975 - 1) / math.sqrt(2 * 0.975 * 0.025)
    m, low, high = mean_interval(xs)
    assert m == mean
    assert low == pytest.approx(mean - q * sd / math.sqrt(3), abs=1e-9)
    assert high == pytest.approx(mean + q * sd / math.sqrt(3), abs=1e-9)
    # a 90% interval with two values: q = tan(0.45 pi)
    m, low, high = mean_interval([1.0, 2.0], level=0.9)
    half = math.tan(math.pi * 0.45) * math.sqrt(0.5) / math.sqrt(2)
    assert (low, high) == (pytest.approx(1.5 - half, abs=1e-9), pytest.approx(1.5 + half, abs=1e-9))


def test_mean_interval_edge_cases():
    m, low, high = mean_interval([3.0])
    assert m == 3.0 and math.isnan(low) and math.isnan(high)
    m, low, high = mean_interval([1.0, float("inf")])
    assert math.isnan(low) and math.isnan(high)
    assert mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="values"):
        mean_interval([])
    for level in (0, 1, 1.5):
        with pytest.raises(ValueError, match="level"):
            mean_interval([1.0, 2.0], level=level)
