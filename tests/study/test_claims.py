"""The claims' short answers and summary, as the intro and chapter 7 glue them."""

from lstm_lib.study import claims


def _row(claim, regime, comparison, verdict, effect="×0.5", interval="[0.3, 0.8]", seeds=20):
    return {"claim": claim, "regime": regime, "comparison": comparison, "verdict": verdict,
            "effect": effect, "interval": interval, "seeds": seeds}  # fmt: skip


def test_answers_and_summary_name_every_regime_and_verdict():
    rows = [
        _row("adagrad", "easy", "Adagrad vs sgd", "inconclusive"),
        _row("weighted", "easy", "weighted vs plain", "does not hold", "×2.1", "[1.1, 3.9]", 24),
        _row("weighted", "hard", "weighted vs plain", "holds"),
        _row("tuning", "easy", "settings tried", "inconclusive", "denoising 0/4", "", ""),
    ]
    answers = claims.answers(rows)
    assert answers["adagrad_sgd"] == "inconclusive (×0.5, [0.3, 0.8], 20 seeds)"
    assert answers["weighted_easy"] == "does not hold (×2.1, [1.1, 3.9], 24 seeds)"
    assert answers["tuning_easy"] == "inconclusive (denoising 0/4)"
    text = claims.conclusion_text(rows)
    assert "does not hold in the easy regime; holds in the hard regime" in text
    assert "vs sgd inconclusive" in text
    assert [r["name"] for r in claims.display_rows(rows)] == [claims.LABELS["adagrad"], claims.LABELS["weighted"], "",
                                                               claims.LABELS["tuning"]]  # fmt: skip
