"""Failure, defined: a failed run, the failure rate's interval and verdict, and the exact McNemar test."""

from __future__ import annotations

import math

import pytest
from scipy import special

from lstm_lib.stats import failures
from lstm_lib.stats.verdicts import FAILS, HOLDS, INCONCLUSIVE


def row(horizon: float, diverged: bool = False, **horizons: float) -> dict:
    text = "{" + ", ".join(f'"{k.replace("_", ".")}": {v}' for k, v in horizons.items()) + "}"
    return {"horizon": horizon, "diverged": diverged, "horizons": text}


def test_a_run_fails_when_it_diverges_or_leaves_the_band_within_one_oscillation():
    assert failures.failed(row(math.nan, diverged=True), 38.0)
    assert failures.failed(row(37.9), 38.0)
    assert not failures.failed(row(38.0), 38.0)


def test_other_thresholds_read_the_recorded_horizons():
    r = row(50.0, t0_05=10.0, t0_2=90.0)
    r["horizons"] = '{"0.05": 10.0, "0.1": 50.0, "0.2": 90.0}'
    assert failures.failed(r, 38.0, threshold=0.05) and not failures.failed(r, 38.0, threshold=0.2)
    with pytest.raises(ValueError, match="threshold 0.3 was not recorded"):
        failures.failed(r, 38.0, threshold=0.3)


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    """The exact interval from the beta quantiles (the textbook formula)."""
    low = 0.0 if k == 0 else special.betaincinv(k, n - k + 1, 0.025)
    high = 1.0 if k == n else special.betaincinv(k + 1, n - k, 0.975)
    return low, high


@pytest.mark.parametrize("k, n", [(0, 24), (2, 24), (14, 20), (30, 30)])
def test_the_rate_has_the_clopper_pearson_interval(k, n):
    rate = failures.failure_rate([True] * k + [False] * (n - k))
    assert (rate.failed, rate.n) == (k, n)
    assert (rate.low, rate.high) == pytest.approx(clopper_pearson(k, n), abs=1e-9)


def test_hard_means_a_rate_above_the_level_decided_by_the_interval():
    assert failures.failure_rate([True] * 14 + [False] * 6).verdict == HOLDS  # [46%, 88%] is above 20%
    assert failures.failure_rate([True] * 2 + [False] * 22).verdict == INCONCLUSIVE  # [1%, 27%] straddles it
    assert failures.failure_rate([False] * 30).verdict == FAILS  # [0%, 12%] is below it
    with pytest.raises(ValueError, match="at least one run"):
        failures.failure_rate([])


def exact_mcnemar(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value by hand: twice the smaller binomial tail at p = 1/2, capped at 1."""
    n = b + c
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


@pytest.mark.parametrize("b, c", [(0, 6), (1, 9), (3, 4), (7, 0)])
def test_mcnemar_is_the_exact_binomial_test_on_the_discordant_seeds(b, c):
    concordant = {100 + s: True for s in range(5)} | {200 + s: False for s in range(4)}
    method = {s: s < b for s in range(b + c)} | concordant
    baseline = {s: s >= b for s in range(b + c)} | concordant
    result = failures.mcnemar(method, baseline)
    assert (result.only_method, result.only_baseline, result.both, result.neither) == (b, c, 5, 4)
    assert result.p == pytest.approx(exact_mcnemar(b, c), rel=1e-12)
    want = INCONCLUSIVE if result.p >= 0.05 else (HOLDS if c > b else FAILS)
    assert result.verdict == want


def test_mcnemar_pairs_on_shared_seeds_only():
    result = failures.mcnemar({0: True, 1: False, 7: True}, {0: False, 1: False, 9: True})
    assert result.n == 2 and result.only_method == 1
    with pytest.raises(ValueError, match="share no seeds"):
        failures.mcnemar({0: True}, {1: True})
