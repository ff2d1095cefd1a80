"""The claims' short answers and summary, as the intro and chapter 7 glue them."""

from lstm_lib.study import claims


def _row(claim, regime, comparison, verdict, effect="×0.5", interval="[0.3, 0.8]", seeds=20):
    return {"claim": claim, "regime": regime, "comparison": comparison, "verdict": verdict,
            "effect": effect, "interval": interval, "seeds": seeds}  # fmt: skip


def test_answers_name_every_regime_and_verdict():
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
    assert [r["name"] for r in claims.display_rows(rows)] == [claims.LABELS["adagrad"], claims.LABELS["weighted"], "",
                                                               claims.LABELS["tuning"]]  # fmt: skip


def _table(final_mse, horizon):
    from lstm_lib.runs.experiments import Table
    from lstm_lib.runs.trial import Run

    pairs = enumerate(zip(final_mse, horizon, strict=True))
    return Table(
        [Run({"seed": k, "diverged": False, "final_mse": m, "horizon": h}, None, None, None) for k, (m, h) in pairs]
    )


def test_rebuild_checks_speak_the_checks_words_never_the_claims():
    good = _table([1e-4, 2e-3], [80.0, 90.0])  # both seeds predict the next value and draw past one oscillation (60)
    bad = _table([1e-4, 0.3], [80.0, 5.0])  # one seed does neither
    rows = claims.rebuild_checks(3e-16, {"easy": good, "hard": bad}, {"easy": 60.0, "hard": 60.0})
    assert [r["verdict"] for r in rows] == ["confirmed", "confirmed", "confirmed", "not confirmed", "not confirmed"]
    assert claims.rebuild_checks(1e-3, {}, {})[0]["verdict"] == "not confirmed"
    assert not {r["verdict"] for r in rows} & {"holds", "does not hold", "equivalent", "inconclusive"}


def test_mechanism_checks_have_their_own_words():
    from lstm_lib.stats.verdicts import MECHANISM_WORDS, paired

    lower = paired([1.0, 1.1, 0.9, 1.05], [2.0, 2.3, 1.8, 2.1])  # a/b about 0.5 on every seed: the claimed way
    higher = paired([2.0, 2.3, 1.8, 2.1], [1.0, 1.1, 0.9, 1.05])
    unclear = paired([1.0, 3.0, 0.4, 2.0], [1.5, 1.0, 1.2, 1.1])
    assert lower.verdict == "holds" and lower.text(words=MECHANISM_WORDS).endswith("4 seeds, seen")
    assert higher.text(words=MECHANISM_WORDS).endswith("4 seeds, reversed")
    assert ", not seen (detects ×" in unclear.text(words=MECHANISM_WORDS)
    assert lower.text().endswith("4 seeds, holds")  # the claims' words stay the default
