"""Turning per-seed measurements into verdicts on the article's claims, by one stated rule.

**The rule** (:func:`paired`). Both sides ran on the same seeds (same data, same initial
weights), so each seed gives one pair. For errors (``log=True``) the effect is the geometric
mean of the per-seed ratios ``a/b``; its 95% interval is the t-interval of the mean log-ratio
(:mod:`lstm_lib.stats.statistics`), exponentiated. Then:

- the interval excludes "no effect" (1, or 0 with ``log=False``): **holds** if the effect points
  the claimed way (``a`` better than ``b``), **does not hold** otherwise;
- else, the interval lies inside ``(1/margin, margin)`` (``(-margin, margin)`` with ``log=False``):
  **equivalent**, i.e. any effect is smaller than the margin;
- else **inconclusive**, always reported with the smallest effect these seeds can detect
  (power 0.8) and the seeds needed to detect a 1.5x effect.

**Diverged runs** (NaN or infinite values) are part of the verdict, not dropped. A pair where
both sides diverged carries no information and is left out (and counted). A pair where only one
side diverged counts against that side: its value is replaced by :data:`DIVERGED_FACTOR` times
the worst finite value of the comparison (on the linear scale, the worst value moved by one
more span of the values), worse than any run that finished.

**Three vocabularies**, one per kind of statement, so that one word keeps one meaning: the article's
claims are *holds* / *does not hold* / *equivalent* / *inconclusive*; the rebuild's checks of
``lstm_lib`` against a reference are *confirmed* / *not confirmed*; mechanism checks (a step of an
argument, judged by the same paired rule) are *seen* / *not seen* / *reversed*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_lib.stats.statistics import detectable_effect, geometric_interval, mean_interval, seeds_needed, t_interval
from lstm_lib.validation import check_float

HOLDS = "holds"
FAILS = "does not hold"
EQUIVALENT = "equivalent"
INCONCLUSIVE = "inconclusive"
OUTCOMES = (HOLDS, FAILS, EQUIVALENT, INCONCLUSIVE)
"""The words of the article's claims, and only of them (a committed results file carries them)."""

CONFIRMED = "confirmed"
NOT_CONFIRMED = "not confirmed"
"""The words of the rebuild's own checks (:func:`same_function`, ``claims.rebuild_checks``): a pass/fail
test of ``lstm_lib`` against a reference, never a claim of the article."""

SEEN = "seen"
NOT_SEEN = "not seen"
REVERSED = "reversed"
MECHANISM_WORDS = {HOLDS: SEEN, FAILS: REVERSED, EQUIVALENT: NOT_SEEN, INCONCLUSIVE: NOT_SEEN}
"""The words of a mechanism check (a step of an argument, e.g. "weighting lowers the early error"), by the
outcome of the paired rule: the expected effect is *seen*, *not seen* (no effect beyond the margin, or
too few seeds to tell), or *reversed* (the interval lies on the other side)."""

MARGIN = 1.25
"""Default equivalence margin: a ratio inside (1/1.25, 1.25) counts as no practical difference."""
DIVERGED_FACTOR = 10.0
"""A diverged run scores this many times the worst finite value of its comparison."""
TARGET_EFFECT = 1.5
"""The effect (a 1.5x ratio) for which every verdict reports the seeds needed."""


@dataclass(frozen=True)
class Paired:
    """A paired comparison of ``a`` against ``b`` over seeds, with its verdict.

    ``effect``, ``low``, ``high``: the geometric-mean ratio a/b and its interval (``log=True``),
    or the mean difference a - b; ``n``: the pairs used; ``both_diverged``: pairs left out;
    ``a_diverged``/``b_diverged``: pairs where only that side diverged; ``detectable``: the
    smallest effect these n pairs detect with power 0.8 (a ratio > 1, or a difference > 0);
    ``seeds_needed``: pairs needed to detect a :data:`TARGET_EFFECT` ratio (``log=True`` only).
    """

    verdict: str
    effect: float
    low: float
    high: float
    n: int
    log: bool
    both_diverged: int = 0
    a_diverged: int = 0
    b_diverged: int = 0
    detectable: float = math.nan
    seeds_needed: int | None = None
    differences: tuple[float, ...] = ()
    """The per-pair log-ratios (or differences) the verdict was taken on, diverged runs replaced as stated."""

    def text(self, fmt: str = ".2g", words: Mapping[str, str] | None = None) -> str:
        """e.g. ``×1.6 [0.5, 6.9], 10 seeds, inconclusive (detects ×2.3; 1.5× needs 41 seeds)``.

        ``words`` renames the outcome (e.g. :data:`MECHANISM_WORDS` for a mechanism check); by default
        the claims' words.
        """
        words = words or {}
        word = words.get(self.verdict, self.verdict)
        sign = "×" if self.log else ""
        if not math.isfinite(self.effect):
            return f"no finite pairs ({self.both_diverged} both diverged), {words.get(INCONCLUSIVE, INCONCLUSIVE)}"
        interval = f" [{self.low:{fmt}}, {self.high:{fmt}}]" if math.isfinite(self.low) else ""
        out = f"{sign}{self.effect:{fmt}}{interval}, {self.n} seeds, {word}"
        extras = []
        if self.a_diverged or self.b_diverged:
            extras.append(f"diverged: {self.a_diverged} vs {self.b_diverged}")
        if self.verdict == INCONCLUSIVE and math.isfinite(self.detectable):
            need = f"; 1.5× needs {self.seeds_needed} seeds" if self.seeds_needed else ""
            extras.append(f"detects {sign}{self.detectable:.2g}{need}")
        return out + (f" ({'; '.join(extras)})" if extras else "")


def _as_floats(values: Sequence[float]) -> np.ndarray:
    return np.asarray([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def paired(
    a: Sequence[float],
    b: Sequence[float],
    *,
    lower_is_better: bool = True,
    log: bool = True,
    margin: float = MARGIN,
    level: float = 0.95,
) -> Paired:
    """The verdict on "``a`` is better than ``b``" from per-seed values, ``a[i]`` and ``b[i]`` on seed i.

    See the module docstring for the rule. Non-finite values mark diverged runs.
    """
    x, y = _as_floats(a), _as_floats(b)
    if x.shape != y.shape:
        raise ValueError(f"a and b must pair up seed by seed: got {x.size} and {y.size} values")
    if x.size == 0:
        raise ValueError("a and b must hold at least one pair, got none")
    check_float("margin", margin, low=0, low_open=True)
    if log and margin <= 1:
        raise ValueError(f"margin must be > 1 for a ratio (log=True), got {margin}")
    fx, fy = np.isfinite(x), np.isfinite(y)
    if log and ((fx & (x <= 0)).any() or (fy & (y <= 0)).any()):
        raise ValueError("a and b must be positive with log=True (use log=False for signed values)")
    both = ~fx & ~fy
    keep = ~both
    finite = np.concatenate([x[fx], y[fy]])
    if finite.size:
        worst = finite.max() if lower_is_better else finite.min()
        if log:
            penalty = worst * DIVERGED_FACTOR if lower_is_better else worst / DIVERGED_FACTOR
        else:
            span = max(float(finite.max() - finite.min()), abs(float(worst)), 1.0)
            penalty = worst + span if lower_is_better else worst - span
        x = np.where(fx, x, penalty)
        y = np.where(fy, y, penalty)
    x, y = x[keep], y[keep]
    counts = {
        "both_diverged": int(both.sum()),
        "a_diverged": int((~fx & fy).sum()),
        "b_diverged": int((fx & ~fy).sum()),
    }
    if x.size == 0:
        return Paired(INCONCLUSIVE, math.nan, math.nan, math.nan, 0, log, **counts)
    d = np.log(x) - np.log(y) if log else x - y
    mean, low, high = t_interval(d, level)
    sd = float(np.std(d, ddof=1)) if d.size > 1 else math.nan
    detect = detectable_effect(sd, d.size, level) if d.size > 1 else math.nan
    need = seeds_needed(math.log(TARGET_EFFECT), sd, level) if log and d.size > 1 and math.isfinite(sd) else None
    if log:
        mean, low, high, detect = (math.exp(v) if math.isfinite(v) else v for v in (mean, low, high, detect))
        null, lo_eq, hi_eq = 1.0, 1 / margin, margin
    else:
        null, lo_eq, hi_eq = 0.0, -margin, margin
    better_side = (high < null) if lower_is_better else (low > null)
    worse_side = (low > null) if lower_is_better else (high < null)
    if math.isfinite(low) and better_side:
        verdict = HOLDS
    elif math.isfinite(low) and worse_side:
        verdict = FAILS
    elif math.isfinite(low) and lo_eq < low and high < hi_eq:
        verdict = EQUIVALENT
    else:
        verdict = INCONCLUSIVE
    return Paired(
        verdict, mean, low, high, int(d.size), log, detectable=detect, seeds_needed=need,
        differences=tuple(float(v) for v in d), **counts,
    )  # fmt: skip


KERNEL_TOLERANCE = 1e-10
"""Largest difference at which two implementations count as the same function (float64 rounding is ~1e-16)."""


def same_function(difference: float, tolerance: float = KERNEL_TOLERANCE) -> str:
    """A rebuild check, "two implementations compute the same function", from their largest difference:
    :data:`CONFIRMED` or :data:`NOT_CONFIRMED`."""
    return confirmed(math.isfinite(difference) and abs(difference) < tolerance)


def confirmed(passed: bool) -> str:
    """The word of a rebuild check that ``passed`` (or did not)."""
    return CONFIRMED if passed else NOT_CONFIRMED


def compare_phrase(
    a: float,
    b: float,
    tolerance: float = 0.05,
    words: tuple[str, str, str] = ("larger than", "about the same as", "smaller than"),
) -> str:
    """How a single measurement ``a`` compares with ``b``: within ``tolerance`` (relative to ``b``) is the middle word.

    No intervals are involved, so use it for one-off measurements (a timing ratio), not for claims over seeds.
    """
    if not (math.isfinite(a) and math.isfinite(b)):
        return "not comparable with"
    if abs(a - b) <= tolerance * abs(b):
        return words[1]
    return words[0] if a > b else words[2]


def combine(verdicts: Sequence[str]) -> str:
    """All hold -> holds; any fails -> does not hold; all equivalent -> equivalent; otherwise inconclusive."""
    if not verdicts:
        raise ValueError("verdicts must not be empty")
    if all(v == HOLDS for v in verdicts):
        return HOLDS
    if any(v == FAILS for v in verdicts):
        return FAILS
    if all(v == EQUIVALENT for v in verdicts):
        return EQUIVALENT
    return INCONCLUSIVE


def interval_text(values: Sequence[float], fmt: str = ".3g", geometric: bool = False) -> str:
    """``mean [low, high]`` over the finite values (geometric mean for errors), with diverged runs counted."""
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    lost = len(values) - len(xs)
    if not xs:
        return f"all {lost} runs diverged"
    mean, low, high = (geometric_interval if geometric else mean_interval)(xs)
    text = f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]" if len(xs) > 1 else f"{mean:{fmt}}"
    return text + (f" ({lost} diverged)" if lost else "")
