"""The family view of the claims table: Holm's adjustment, seeds each way, Wilcoxon, fragility."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from lstm_lib.stats import family
from lstm_lib.stats.verdicts import FAILS, HOLDS, INCONCLUSIVE, paired


def _holm_by_definition(p: list[float]) -> list[float]:
    """Holm (1979): adjusted p of the i-th smallest is max over j <= i of min(1, (m - j + 1) p_(j))."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    for rank, i in enumerate(order):
        out[i] = max(min(1.0, (m - j) * p[order[j]]) for j in range(rank + 1))
    return out


def test_holm_textbook_example():
    assert family.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


@pytest.mark.parametrize("seed", range(20))
def test_holm_equals_its_definition(seed):
    p = np.random.default_rng(seed).uniform(0, 0.2, 7).tolist()
    assert family.holm(p) == pytest.approx(_holm_by_definition(p))


def test_holm_leaves_nan_out_of_the_family():
    adjusted = family.holm([0.01, math.nan, 0.02])
    assert math.isnan(adjusted[1]) and adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.02)


def _pair(seed: int, n: int = 10, shift: float = 0.5):
    rng = np.random.default_rng(seed)
    b = np.exp(rng.normal(-4, 1, n))
    a = b * np.exp(rng.normal(shift, 0.6, n))
    return a, b


def test_pvalues_equal_scipys_paired_tests_on_the_logs():
    a, b = _pair(1)
    result = paired(a, b)
    assert family.t_pvalue(result) == pytest.approx(stats.ttest_rel(np.log(a), np.log(b)).pvalue)
    assert family.wilcoxon_pvalue(result) == pytest.approx(stats.wilcoxon(np.log(a), np.log(b)).pvalue)
    lower, higher = family.each_way(result)
    assert (lower, higher) == (int((a < b).sum()), int((a > b).sum()))


def test_a_decision_the_family_does_not_support_becomes_inconclusive():
    a, b = _pair(8, n=12, shift=0.45)
    result = paired(a, b)
    p = family.t_pvalue(result)
    assert result.verdict == FAILS and 0.005 < p < 0.05  # decided alone, not among 12 such tests
    rows = family.family([result] * 12)
    assert rows[0].holm_p == pytest.approx(min(1.0, 12 * p)) and rows[0].holm_verdict == INCONCLUSIVE
    assert family.family([result])[0].holm_verdict == FAILS  # a family of one keeps it


def test_one_extreme_seed_makes_a_verdict_fragile():
    base = np.full(8, 0.01)
    a = base * np.exp(np.array([0.5, 0.6, -0.1, 0.0, 0.1, 0.2, 0.55, 0.45]))  # decided by its two largest
    result = paired(a, base)
    assert result.verdict == FAILS and family.fragile(result, k=2)
    steady = base * np.exp(np.linspace(0.8, 1.2, 8))
    assert not family.fragile(paired(steady, base), k=2)
    assert paired(base * 0.5, base).verdict == HOLDS


def test_every_subset_of_signs_is_counted():
    for signs in itertools.product((-1, 1), repeat=4):
        d = np.array(signs) * 0.3
        r = paired(np.exp(d), np.ones(4))
        assert family.each_way(r) == (signs.count(-1), signs.count(1))


def test_claims_rows_get_the_family_columns():
    from lstm_lib.stats.failures import FailureRate
    from lstm_lib.study.claims import with_family

    decided = paired(*_pair(8, n=12, shift=0.45))
    rows = [{"result": decided, "verdict": decided.verdict}] * 12 + [{"result": FailureRate(2, 24, 0.01, 0.27)}]
    out = with_family(rows)
    assert out[0]["holm"] == INCONCLUSIVE and out[0]["each way"].endswith("higher")
    assert out[-1]["holm"] == "" and out[-1]["fragile"] == ""
