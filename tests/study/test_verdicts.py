"""lstm_lib.stats.verdicts (the paired rule), curve bands and summary rows."""

import math

import pytest
import torch

from lstm_lib.figures.tables import summary_rows
from lstm_lib.stats import verdicts
from lstm_lib.stats.statistics import geometric_interval
from lstm_lib.study.analysis import curve_band

T_975_4 = 2.7764451051977987  # t_{0.975, 4} from printed tables


def test_paired_effect_and_interval_are_the_closed_form():
    ratios = [0.5, 0.6, 0.55, 0.7, 0.45]
    b = [1.0, 10.0, 0.1, 3.0, 0.02]  # huge seed-to-seed spread, shared by both sides
    a = [r * v for r, v in zip(ratios, b, strict=True)]
    res = verdicts.paired(a, b)
    logs = [math.log(r) for r in ratios]
    m = sum(logs) / 5
    sd = math.sqrt(sum((v - m) ** 2 for v in logs) / 4)
    assert res.effect == pytest.approx(math.exp(m))
    assert res.low == pytest.approx(math.exp(m - T_975_4 * sd / math.sqrt(5)))
    assert res.high == pytest.approx(math.exp(m + T_975_4 * sd / math.sqrt(5)))
    assert res.n == 5 and res.verdict == "holds"
    assert verdicts.paired(b, a).verdict == "does not hold"
    assert verdicts.paired(a, b, lower_is_better=False).verdict == "does not hold"
    assert res.text().startswith("×0.55 [") and "5 seeds, holds" in res.text()


def test_paired_sees_what_unpaired_intervals_miss():
    """The same numbers, unpaired: the two 95% intervals overlap; paired by seed, the effect is clear."""
    b = [1.0, 10.0, 0.1, 3.0, 0.02, 0.5]
    a = [0.8 * v * (1 + 0.01 * k) for k, v in enumerate(b)]
    _, a_low, a_high = geometric_interval(a)
    _, b_low, b_high = geometric_interval(b)
    assert a_low < b_high and b_low < a_high  # unpaired: overlapping intervals
    assert verdicts.paired(a, b).verdict == "holds"


def test_paired_on_a_linear_scale():
    a, b = [10.0, 12.0, 11.0, 13.0, 9.0], [8.0, 9.0, 10.0, 11.0, 7.0]
    res = verdicts.paired(a, b, log=False, lower_is_better=False, margin=1.0)
    d = [2.0, 3.0, 1.0, 2.0, 2.0]
    sd = math.sqrt(sum((v - 2.0) ** 2 for v in d) / 4)
    assert res.effect == pytest.approx(2.0)
    assert res.low == pytest.approx(2.0 - T_975_4 * sd / math.sqrt(5))
    assert res.verdict == "holds"


def test_paired_equivalent_and_inconclusive():
    b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    a = [v * f for v, f in zip(b, [1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0], strict=True)]
    assert verdicts.paired(a, b).verdict == "equivalent"
    noisy = [v * f for v, f in zip(b, [3.0, 0.3, 2.0, 0.5, 1.0, 4.0, 0.25, 1.0], strict=True)]
    res = verdicts.paired(noisy, b)
    assert res.verdict == "inconclusive"
    assert res.detectable > 1 and res.seeds_needed > 8
    assert "detects ×" in res.text() and "1.5× needs" in res.text()


def test_paired_rule_for_diverged_runs():
    nan = math.nan
    b = [1.0, 2.0, 3.0, 4.0]
    res = verdicts.paired([nan, nan, nan, nan], b)
    assert res.verdict == "does not hold" and res.a_diverged == 4
    assert res.effect == pytest.approx(math.exp(sum(math.log(40 / v) for v in b) / 4))
    res = verdicts.paired([nan, 1.0, 2.0], [nan, 2.0, math.inf])
    assert res.both_diverged == 1 and res.b_diverged == 1 and res.n == 2
    assert verdicts.paired([nan], [nan]).verdict == "inconclusive"


def test_paired_refuses_bad_input():
    with pytest.raises(ValueError, match="pair up"):
        verdicts.paired([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="positive"):
        verdicts.paired([1.0, -2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="margin"):
        verdicts.paired([1.0, 2.0], [1.0, 2.0], margin=0.9)


def test_combine_and_interval_text():
    assert verdicts.combine(["holds", "holds"]) == "holds"
    assert verdicts.combine(["holds", "does not hold"]) == "does not hold"
    assert verdicts.combine(["holds", "inconclusive"]) == "inconclusive"
    assert verdicts.combine(["equivalent", "equivalent"]) == "equivalent"
    with pytest.raises(ValueError):
        verdicts.combine([])
    half = 4.302652729911275 / math.sqrt(3)  # t_{0.975, 2} * sd / sqrt(n), sd = 1
    assert verdicts.interval_text([1.0, 2.0, 3.0], ".3f") == f"2.000 [{2 - half:.3f}, {2 + half:.3f}]"
    assert verdicts.interval_text([1.0, math.nan], ".1f") == "1.0 (1 diverged)"


def test_same_function_and_compare_phrase():
    assert verdicts.same_function(2.8e-16) == "confirmed"  # a rebuild check: its own words, not a claim's
    assert verdicts.same_function(1e-3) == "not confirmed"
    assert verdicts.same_function(math.nan) == "not confirmed"
    assert verdicts.compare_phrase(2.0, 1.0) == "larger than"
    assert verdicts.compare_phrase(1.02, 1.0) == "about the same as"
    assert verdicts.compare_phrase(0.5, 1.0) == "smaller than"
    assert verdicts.compare_phrase(0.5, 1.0, words=("above", "near", "below")) == "below"
    assert verdicts.compare_phrase(math.inf, 1.0) == "not comparable with"


def test_curve_band_is_median_and_quantiles():
    curves = [torch.tensor([float(k), 10.0 * k]) for k in range(11)]
    med, lo, hi = curve_band(curves)
    assert (
        med.tolist() == [5.0, 50.0]
        and lo.tolist() == pytest.approx([1.0, 10.0])
        and hi.tolist() == pytest.approx([9.0, 90.0])
    )
    with pytest.raises(ValueError):
        curve_band([torch.zeros(2), torch.zeros(3)])


def test_summary_rows_formats_intervals():
    summary = [
        {"label": "a", "seeds": 3, "diverged": 0, "x": 2.0, "x_low": 1.0, "x_high": 3.0},
        {"label": "b", "seeds": 1, "diverged": 1, "x": math.nan, "x_low": math.nan, "x_high": math.nan},
    ]
    rows = summary_rows(summary, "label", ["x"], ".2g")
    assert rows[0] == {"label": "a", "seeds": 3, "diverged": 0, "x": "2 [1, 3]"}
    assert rows[1]["x"] == "n/a"
