"""The claims table as one family of tests: Holm's adjustment, the direction of each seed, a
rank test beside the t-interval, and a fragility mark.

Twelve comparisons at the 5% level will, by chance alone, decide some that should not be decided.
Holm's step-down procedure (Holm 1979) keeps the chance of *any* false decision in the family
at 5%: the smallest p-value is compared with 0.05/m, the next with 0.05/(m-1), and so on, stopping
at the first that fails. A verdict that only the unadjusted interval supports becomes
"inconclusive" after adjustment.

The verdict's geometric mean can hide that most seeds go the other way; so each comparison also
reports how many seeds go each way, the Wilcoxon signed-rank p-value (scipy), which weighs ranks
rather than sizes, and whether leaving out the :data:`FRAGILE_K` most extreme seeds changes the
verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lstm_lib.stats.verdicts import EQUIVALENT, FAILS, HOLDS, INCONCLUSIVE, Paired, paired

ALPHA = 0.05
FRAGILE_K = 2
"""A verdict is fragile when dropping this many of the most extreme seeds (largest |log-ratio|) changes it."""


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given (NaN stays NaN and is not counted in the family)."""
    p = np.asarray(pvalues, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    out = np.full(p.shape, math.nan)
    running = 0.0
    for rank, i in enumerate(finite[np.argsort(p[finite], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))  # step-down: adjusted values never decrease
        out[i] = running
    return out.tolist()


def t_pvalue(result: Paired) -> float:
    """Two-sided p-value of "mean log-ratio = 0", the test behind the verdict's interval."""
    d = np.asarray(result.differences)
    if d.size < 2 or not np.isfinite(d).all() or np.ptp(d) == 0:
        return math.nan
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def wilcoxon_pvalue(result: Paired) -> float:
    """Two-sided Wilcoxon signed-rank p-value on the per-seed log-ratios (exact for few seeds without ties)."""
    d = np.asarray(result.differences)
    if d.size < 2 or not np.any(d != 0):
        return math.nan
    return float(stats.wilcoxon(d).pvalue)


def each_way(result: Paired) -> tuple[int, int]:
    """(seeds where the first side is lower, seeds where it is higher); ties count in neither."""
    d = np.asarray(result.differences)
    return int((d < 0).sum()), int((d > 0).sum())


def fragile(result: Paired, k: int = FRAGILE_K) -> bool:
    """Whether leaving out the ``k`` most extreme pairs changes the verdict (``False`` if too few pairs)."""
    d = np.asarray(result.differences)
    if not result.log or d.size - k < 2:
        return False
    kept = d[np.argsort(np.abs(d), kind="stable")[: d.size - k]]
    return paired(np.exp(kept), np.ones_like(kept)).verdict != result.verdict


def adjusted_verdict(result: Paired, adjusted_p: float, alpha: float = ALPHA) -> str:
    """The verdict after Holm's adjustment: a decided direction needs the adjusted p below ``alpha``."""
    if result.verdict in (HOLDS, FAILS) and not (adjusted_p < alpha):
        return INCONCLUSIVE
    return result.verdict


@dataclass(frozen=True)
class FamilyRow:
    """What the family view adds to one paired comparison."""

    p: float
    holm_p: float
    holm_verdict: str
    lower: int
    higher: int
    wilcoxon_p: float
    fragile: bool


def family(results: Sequence[Paired]) -> list[FamilyRow]:
    """The family view of a claims table's paired comparisons, Holm-adjusted over all of them."""
    ps = [t_pvalue(r) for r in results]
    adjusted = holm(ps)
    rows = []
    for r, p, q in zip(results, ps, adjusted, strict=True):
        lower, higher = each_way(r)
        verdict = adjusted_verdict(r, q) if r.verdict != EQUIVALENT else EQUIVALENT
        rows.append(FamilyRow(p, q, verdict, lower, higher, wilcoxon_pvalue(r), fragile(r)))
    return rows
