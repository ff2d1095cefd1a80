"""Verdicts as English clauses for the chapters' prose: one sentence written per outcome.

A verdict word glued into a fixed template ("changes the error by {verdict}") breaks the sentence
for every word but one. These functions write the whole clause for each outcome, with the effect,
its 95% interval and the seeds, so the page reads correctly whatever the runs decide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from lstm_lib.stats.failures import HARD_RATE, FailureRate
from lstm_lib.stats.verdicts import EQUIVALENT, FAILS, HOLDS, INCONCLUSIVE, MARGIN, Paired

SUBJECTS = {
    "weighted": ("weighting", "plain training"),
    "denoising": ("denoising", "plain training"),
    "conclusion": ("denoising", "weighting"),
}
"""Per claim of :func:`lstm_lib.study.claims.article_claims`: the two sides its paired comparison sets apart."""

OPTIMIZER_NAMES = {
    "adagrad": "Adagrad",
    "sgd": "SGD",
    "lbfgs": "L-BFGS with a fixed step",
    "lbfgs+wolfe": "L-BFGS with a line search",
}
"""How the prose names each optimiser of chapter 4."""


def _numbers(result: Paired) -> str:
    interval = f" [{result.low:.2g}, {result.high:.2g}]" if math.isfinite(result.low) else ""
    return f"×{result.effect:.2g}{interval}, {result.n} seeds"


def paired_phrase(result: Paired, a: str, b: str, measure: str = "free-running error") -> str:
    """A clause saying what the paired comparison of ``a`` against ``b`` found, for any verdict.

    The direction comes from the interval itself (it excludes 1 on one side), so the clause is
    right whichever way the claim was put.
    """
    if not math.isfinite(result.effect):
        return f"no seed gave a finite {measure} on both sides, so {a} and {b} cannot be compared"
    numbers = _numbers(result)
    if result.verdict in (HOLDS, FAILS):
        way = "lower" if result.high < 1 else "higher"
        return f"{a} gave a {way} {measure} than {b} ({numbers})"
    if result.verdict == EQUIVALENT:
        return f"{a} and {b} gave the same {measure} within a factor of {MARGIN:g} ({numbers})"
    detect = (
        f"; the smallest effect these seeds detect with 80% power is ×{result.detectable:.2g}"
        if math.isfinite(result.detectable)
        else ""
    )
    return f"these seeds cannot tell {a} from {b} on {measure} ({numbers}{detect})"


def failure_phrase(rate: FailureRate) -> str:
    """A clause on plain training's failures (diverged, or drew less than one oscillation), for any verdict."""
    counted = (
        f"{rate.failed} of {rate.n} plain runs failed (95% interval of the rate: {rate.low:.0%} to {rate.high:.0%})"
    )
    if rate.verdict == HOLDS:
        return f"{counted}, more than {HARD_RATE:.0%}, so training without tricks is hard there"
    if rate.verdict == FAILS:
        return f"{counted}, which rules out a failure rate above {HARD_RATE:.0%}"
    return f"{counted}, too few runs to tell whether the rate is above {HARD_RATE:.0%}"


def claim_phrases(rows: Sequence[Mapping]) -> dict[str, str]:
    """One clause per row of the claims table, keyed as :func:`lstm_lib.study.claims.answers` keys them
    (``{claim}_{regime}``, ``adagrad_{other}``); the ``tuning`` row keeps its own note."""
    out = {}
    for r in rows:
        result = r["result"]
        if r["claim"] == "adagrad":
            other = r["comparison"].split(" vs ")[-1]
            out[f"adagrad_{other}"] = paired_phrase(result, "Adagrad", OPTIMIZER_NAMES.get(other, other))
        elif isinstance(result, FailureRate):
            out[f"{r['claim']}_{r['regime']}"] = failure_phrase(result)
        elif isinstance(result, Paired):
            a, b = SUBJECTS.get(r["claim"], tuple(r["comparison"].split(" vs ")))
            out[f"{r['claim']}_{r['regime']}"] = paired_phrase(result, a, b)
        else:
            out[f"{r['claim']}_{r['regime']}"] = f"{r['effect']}; {SHARES.get(r['verdict'], r['verdict'])}"
    return out


SHARES = {
    HOLDS: "a larger share for denoising, so the claim holds",
    FAILS: "a smaller share for denoising, so the claim does not hold",
    INCONCLUSIVE: "the same share for both, so the claim is inconclusive",
}
"""The ``tuning`` row's verdict as a clause: it compares the shares of settings that beat plain training."""


def study_beside_full(records: Sequence[Mapping]) -> str:
    """Where the study's verdicts and the full profile's part, as sentences.

    ``records`` are the study's claims rows with the full profile's verdict on the same comparison under
    ``full`` (:func:`lstm_lib.study.decisive.beside_full`; "" where the full profile does not make it). Like is
    set against like: the study's unadjusted verdict against the full profile's, then what Holm's adjustment
    leaves of the study's decided verdicts.
    """
    shared = [r for r in records if r.get("full")]
    if not shared:
        return "the study and the full profile share no comparison yet"
    differ = [r for r in shared if r["verdict"] != r["full"]]
    text = (f"the study and the full profile make {len(shared)} of the same comparisons; they agree on "
            f"{len(shared) - len(differ)}")  # fmt: skip
    if differ:
        parts = [
            f"{r['comparison']} ({r['regime']}): {r['full']} in the full profile, {r['verdict']} in the study"
            + (f" (×{r['effect']:.2g} [{r['low']:.2g}, {r['high']:.2g}], {r['seeds']} seeds)"
               if math.isfinite(r["effect"]) and math.isfinite(r["low"]) and "fail" not in r["comparison"] else "")
            for r in differ
        ]  # fmt: skip
        text += f" and differ on {len(differ)}: " + "; ".join(parts)
    decided = [r for r in records if r["verdict"] in (HOLDS, FAILS)]
    kept = [r for r in decided if r["headline"] in (HOLDS, FAILS)]
    return text + (
        f". Of the study's {len(records)} verdicts, {len(decided)} are decided before Holm's adjustment and "
        f"{len(kept)} after it (the headline)"
    )


def study_answer(main: Mapping[str, Paired], records: Sequence[Mapping], comparison: str, a: str, b: str) -> str:
    """The study's answer to one comparison in every regime where it was made: the paired clause, then what
    Holm's adjustment over the study's whole family makes of it.

    ``main`` holds the study's paired results by ``"regime: comparison"`` and ``records`` its claims rows (both
    from :class:`lstm_lib.study.decisive.Report`).
    """
    parts = []
    for r in records:
        if r["comparison"] != comparison or f"{r['regime']}: {comparison}" not in main:
            continue
        clause = f"in the {r['regime']} regime {paired_phrase(main[r['regime'] + ': ' + comparison], a, b)}"
        if r["headline"] != r["verdict"]:
            clause += f", which Holm's adjustment over the study's {len(records)} verdicts leaves {r['headline']}"
        elif r["verdict"] in (HOLDS, FAILS):
            clause += ", a verdict that survives Holm's adjustment"
        parts.append(clause)
    return "; ".join(parts) if parts else f"the study has not yet compared {a} with {b}"


def study_moved(records: Sequence[Mapping]) -> str:
    """What the study makes of the comparisons the full profile decides (holds or does not hold), as a clause:
    how many it decides the same way, the other way, or leaves undecided. ``records`` as for
    :func:`study_beside_full`."""
    decided = [r for r in records if r.get("full") in (HOLDS, FAILS)]
    if not decided:
        return "there are none the study also makes"
    same = sum(r["headline"] == r["full"] for r in decided)
    other = sum(r["headline"] in (HOLDS, FAILS) and r["headline"] != r["full"] for r in decided)
    open_ = len(decided) - same - other
    parts = [f"{same} the same way", f"{other} the other way", f"{open_} not at all (inconclusive or equivalent)"]
    return f"{len(decided)} are also in the study, whose Holm-adjusted headline decides " + ", ".join(parts)
