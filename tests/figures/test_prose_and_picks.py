"""Verdict clauses read as sentences for every outcome; the picture set's runs span the seeds."""

import math

import pytest
import torch

from lstm_lib.figures.prose import (
    claim_phrases,
    failure_phrase,
    paired_phrase,
    study_answer,
    study_beside_full,
    study_moved,
)
from lstm_lib.figures.results import ordinal, percentile_runs
from lstm_lib.runs.experiments import Table
from lstm_lib.runs.trial import Run
from lstm_lib.stats.failures import FailureRate
from lstm_lib.stats.verdicts import EQUIVALENT, FAILS, HOLDS, INCONCLUSIVE, Paired


def _paired(verdict, effect, low, high):
    return Paired(verdict, effect, low, high, n=24, log=True, detectable=2.5, seeds_needed=90)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (_paired(HOLDS, 0.5, 0.3, 0.8), "weighting gave a lower free-running error than plain training"),
        (_paired(FAILS, 1.9, 1.2, 3.2), "weighting gave a higher free-running error than plain training"),
        (_paired(EQUIVALENT, 1.0, 0.9, 1.1), "weighting and plain training gave the same free-running error"),
        (_paired(INCONCLUSIVE, 1.2, 0.6, 2.4), "these seeds cannot tell weighting from plain training"),
    ],
)
def test_paired_phrase_is_a_sentence_for_every_verdict(result, expected):
    text = paired_phrase(result, "weighting", "plain training")
    assert text.startswith(expected)
    assert f"×{result.effect:.2g} [{result.low:.2g}, {result.high:.2g}], 24 seeds" in text
    assert "holds" not in text and "inconclusive" not in text  # no verdict word dropped into the sentence
    assert ("80% power is ×2.5" in text) == (result.verdict == INCONCLUSIVE)


def test_the_direction_follows_the_interval_not_the_claim():
    # "Adagrad is better" failing means Adagrad's error is higher: the clause says so
    assert "higher" in paired_phrase(_paired(FAILS, 3.0, 2.0, 4.0), "Adagrad", "SGD")
    assert "lower" in paired_phrase(_paired(FAILS, 0.3, 0.2, 0.4), "the first", "the second")


def test_failure_phrase_and_claim_phrases_cover_every_row():
    assert "more than 20%, so training without tricks is hard there" in failure_phrase(FailureRate(14, 20, 0.46, 0.88))
    assert "rules out a failure rate above 20%" in failure_phrase(FailureRate(0, 24, 0.0, 0.14))
    assert "too few runs to tell" in failure_phrase(FailureRate(5, 20, 0.09, 0.49))  # straddles 20%
    assert "too few runs to tell" in failure_phrase(FailureRate(0, 3, 0.0, 0.7))
    rows = [
        {"claim": "adagrad", "regime": "easy", "comparison": "Adagrad vs lbfgs+wolfe",
         "result": _paired(HOLDS, 0.5, 0.3, 0.8)},
        {"claim": "hard", "regime": "hard", "comparison": "plain training", "result": FailureRate(5, 20, 0.09, 0.49)},
        {"claim": "conclusion", "regime": "easy", "comparison": "denoising vs weighted",
         "result": _paired(INCONCLUSIVE, 1.2, 0.6, 2.4)},
        {"claim": "tuning", "regime": "easy", "comparison": "settings tried", "result": "holds",
         "effect": "settings that beat plain: denoising 2/4, weighting 0/3", "verdict": "holds"},
    ]  # fmt: skip
    phrases = claim_phrases(rows)
    assert phrases["adagrad_lbfgs+wolfe"].startswith("Adagrad gave a lower free-running error than L-BFGS with a line")
    assert phrases["hard_hard"].startswith("5 of 20 plain runs failed")
    assert phrases["conclusion_easy"].startswith("these seeds cannot tell denoising from weighting")
    assert phrases["tuning_easy"] == (
        "settings that beat plain: denoising 2/4, weighting 0/3; a larger share for denoising, so the claim holds"
    )
    tied = {**rows[-1], "result": "inconclusive", "verdict": "inconclusive",
            "effect": "settings that beat plain: denoising 0/2, weighting 0/2"}  # fmt: skip
    assert claim_phrases([tied])["tuning_easy"].endswith("the same share for both, so the claim is inconclusive")


def _table(values):
    runs = []
    for seed, v in enumerate(values):
        row = {"seed": seed, "diverged": v is None, "free_mse": math.nan if v is None else v}
        runs.append(Run(row, torch.zeros(1), torch.zeros(1), None))
    return Table(runs)


def test_percentile_runs_pick_by_rank_and_rank_diverged_runs_worst():
    table = _table([0.5, None, 0.1, 0.3, 0.9])  # ranked: 0.1, 0.3, 0.5, 0.9, diverged
    picked = percentile_runs(table)
    assert [picked[p].row["seed"] for p in (10, 50, 90)] == [2, 0, 1]
    assert percentile_runs(table, percentiles=(0, 100))[100].row["diverged"]
    assert [r.row["seed"] for r in percentile_runs(_table([0.2]), percentiles=(10, 90)).values()] == [0, 0]
    with pytest.raises(ValueError, match="at least one run"):
        percentile_runs(Table())
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        percentile_runs(table, percentiles=(110,))


def test_ordinal():
    assert [ordinal(n) for n in (1, 2, 3, 10, 11, 12, 50, 90, 101)] == [
        "1st", "2nd", "3rd", "10th", "11th", "12th", "50th", "90th", "101st"]  # fmt: skip


def _study_row(comparison, verdict, headline, full, effect=1.3, low=0.7, high=2.3):
    return {
        "regime": "easy",
        "comparison": comparison,
        "verdict": verdict,
        "headline": headline,
        "full": full,
        "effect": effect,
        "low": low,
        "high": high,
        "seeds": 30,
    }


def test_study_beside_full_names_each_difference_and_counts_what_holm_keeps():
    rows = [
        _study_row("weighted vs plain", "inconclusive", "inconclusive", "does not hold"),
        _study_row("denoising vs weighted", "inconclusive", "inconclusive", "inconclusive"),
        _study_row("rollout vs plain", "does not hold", "inconclusive", ""),  # the full profile has no rollout
        _study_row("plain training fails", "holds", "holds", "inconclusive", 0.73, 0.54, 0.88),
    ]
    text = study_beside_full(rows)
    assert text.startswith(
        "the study and the full profile make 3 of the same comparisons; they agree on 1 and differ on 2: "
    )
    assert (
        "weighted vs plain (easy): does not hold in the full profile, inconclusive in the study (×1.3 [0.7, 2.3]"
        in text
    )
    assert "plain training fails (easy): inconclusive in the full profile, holds in the study;" not in text
    assert "plain training fails (easy): inconclusive in the full profile, holds in the study." in text
    assert "×0.73" not in text  # a failure rate is not a ratio
    assert text.endswith(
        "Of the study's 4 verdicts, 2 are decided before Holm's adjustment and 1 after it (the headline)"
    )
    assert "rollout" not in text.split(". Of")[0]


def test_study_beside_full_before_any_shared_comparison():
    assert study_beside_full([_study_row("rollout vs plain", "holds", "holds", "")]) == (
        "the study and the full profile share no comparison yet"
    )


def test_study_answer_says_what_holm_makes_of_each_regime():
    main = {"easy: denoising vs weighted": _paired(HOLDS, 0.5, 0.3, 0.8),
            "hard: denoising vs weighted": _paired(HOLDS, 0.4, 0.2, 0.9)}  # fmt: skip
    rows = [
        _study_row("denoising vs weighted", HOLDS, HOLDS, "") | {"regime": "easy"},
        _study_row("denoising vs weighted", HOLDS, INCONCLUSIVE, "") | {"regime": "hard"},
        _study_row("weighted vs plain", FAILS, FAILS, "") | {"regime": "easy"},
    ]
    text = study_answer(main, rows, "denoising vs weighted", "denoising", "weighting")
    easy, hard = text.split("; in the hard")
    assert easy.startswith("in the easy regime denoising gave a lower free-running error than weighting (×0.5")
    assert easy.endswith(", a verdict that survives Holm's adjustment")
    assert hard.endswith("which Holm's adjustment over the study's 3 verdicts leaves inconclusive")
    assert study_answer({}, [], "rollout vs plain", "the rollout", "plain training") == (
        "the study has not yet compared the rollout with plain training"
    )


def test_study_moved_counts_what_the_study_makes_of_each_decided_verdict():
    rows = [
        _study_row("weighted vs plain", INCONCLUSIVE, INCONCLUSIVE, FAILS),
        _study_row("denoising vs plain", FAILS, INCONCLUSIVE, FAILS),  # decided before Holm only: not decided
        _study_row("plain training fails", HOLDS, HOLDS, HOLDS),
        _study_row("denoising vs weighted", FAILS, FAILS, HOLDS),
        _study_row("rollout vs plain", HOLDS, HOLDS, ""),  # not in the full profile
        _study_row("Adagrad vs SGD", INCONCLUSIVE, INCONCLUSIVE, INCONCLUSIVE),  # not decided there
    ]
    assert study_moved(rows) == (
        "4 are also in the study, whose Holm-adjusted headline decides 1 the same way, 1 the other way, "
        "2 not at all (inconclusive or equivalent)"
    )
    assert study_moved(rows[-2:]) == "there are none the study also makes"
