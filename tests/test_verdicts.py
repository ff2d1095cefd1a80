"""lstm_lib.study.verdicts and lstm_lib.analysis."""

import math

import pytest
import torch

from lstm_lib.model.data import sine_waves
from lstm_lib.study import verdicts
from lstm_lib.study.analysis import curve_band, evaluate_weights
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.evaluate import evaluate
from lstm_lib.training.train import train


def test_better_by_non_overlapping_intervals():
    low = [1.0, 1.1, 0.9, 1.0]
    high = [5.0, 5.2, 4.8, 5.1]
    assert verdicts.better(low, high) == "holds"
    assert verdicts.better(high, low) == "does not hold"
    assert verdicts.better(high, low, lower_is_better=False) == "holds"
    assert verdicts.better([1.0, 3.0, 2.0], [2.0, 2.5, 1.5]) == "inconclusive"


def test_better_handles_diverged_runs():
    nan = math.nan
    assert verdicts.better([1.0, 2.0], [nan, nan]) == "holds"
    assert verdicts.better([nan, math.inf], [1.0, 2.0]) == "does not hold"
    assert verdicts.better([nan], [nan]) == "inconclusive"
    assert verdicts.better([1.0], [2.0, 3.0]) == "inconclusive"  # one value: no interval


def test_combine_and_interval_text():
    assert verdicts.combine(["holds", "holds"]) == "holds"
    assert verdicts.combine(["holds", "does not hold"]) == "does not hold"
    assert verdicts.combine(["holds", "inconclusive"]) == "inconclusive"
    with pytest.raises(ValueError):
        verdicts.combine([])
    # bootstrap of [1, 2, 3]: the 27 resamples put 1/27 > 2.5% on each extreme mean (1 and 3)
    assert verdicts.interval_text([1.0, 2.0, 3.0], ".3f") == "2.000 [1.000, 3.000]"
    assert verdicts.interval_text([1.0, math.nan], ".1f") == "1.0 (1 diverged)"


def test_same_function_and_compare_phrase():
    assert verdicts.same_function(2.8e-16) == "holds"
    assert verdicts.same_function(1e-3) == "does not hold"
    assert verdicts.same_function(math.nan) == "does not hold"
    assert verdicts.compare_phrase(2.0, 1.0) == "larger than"
    assert verdicts.compare_phrase(1.02, 1.0) == "about the same as"
    assert verdicts.compare_phrase(0.5, 1.0) == "smaller than"
    assert verdicts.compare_phrase(0.5, 1.0, words=("above", "near", "below")) == "below"
    assert verdicts.compare_phrase(math.inf, 1.0) == "not comparable with"


def _rows(free, horizon, seconds=1.0, diverged=False):
    return [
        {"free_mse": f, "horizon": h, "final_mse": f / 100, "train_seconds": seconds + 0.01 * k, "diverged": diverged}
        for k, (f, h) in enumerate(zip(free, horizon, strict=True))
    ]


def test_article_claims_builds_eight_rows_from_measurements():
    plain = _rows([0.1, 0.12, 0.11], [20, 22, 21])
    good = _rows([0.01, 0.012, 0.011], [90, 95, 92])
    methods = {"plain": plain, "weighted": good, "denoising": good, "weighted+denoising": good}
    optimizers = {"adagrad": good, "sgd": plain, "lbfgs": plain}
    sweeps = {"denoising": {0.05: good, 0.1: plain}, "weighted": {0.99: good}}
    rows = verdicts.article_claims(methods, optimizers, sweeps, 1e-15, 37.7)
    assert [r["claim"] for r in rows] == [str(k) for k in range(1, 9)]
    v = [r["verdict"] for r in rows]
    assert v[0] == "holds" and v[1] == "holds"
    assert v[2] == "does not hold"  # plain's horizon ~21 < one oscillation
    assert v[3] == "holds" and v[4] == "holds" and v[5] == "holds" and v[6] == "holds"
    assert v[7].startswith("depends")  # equal quality
    assert "denoising 1 of 2" in rows[7]["measured"]


def test_curve_band():
    med, lo, hi = curve_band([torch.tensor([1.0, 5.0]), torch.tensor([2.0, 3.0]), torch.tensor([3.0, 4.0])])
    assert med.tolist() == [2.0, 4.0] and lo.tolist() == [1.0, 3.0] and hi.tolist() == [3.0, 5.0]
    with pytest.raises(ValueError):
        curve_band([torch.zeros(2), torch.zeros(3)])


def test_evaluate_weights_equals_evaluate():
    data = sine_waves(2, 20, 3.0, seed=0)
    result = train(TrainConfig(iterations=3, n_hidden=4), data, progress=False)
    test = sine_waves(2, 30, 3.0, seed=5)
    a = evaluate(result, test, 10, 20)
    b = evaluate_weights(result.W, 4, test, 10, 20)
    assert a.free_mse == b.free_mse and torch.equal(a.generated, b.generated)
    with pytest.raises(ValueError, match="W must"):
        evaluate_weights(result.W, 5, test, 10, 20)


def test_summary_rows_formats_intervals():
    summary = [
        {"label": "a", "seeds": 3, "diverged": 0, "x": 2.0, "x_low": 1.0, "x_high": 3.0},
        {"label": "b", "seeds": 1, "diverged": 1, "x": math.nan, "x_low": math.nan, "x_high": math.nan},
    ]
    rows = verdicts.summary_rows(summary, "label", ["x"], ".2g")
    assert rows[0] == {"label": "a", "seeds": 3, "diverged": 0, "x": "2 [1, 3]"}
    assert rows[1]["x"] == "n/a"
