"""Intervals and power over seeds: the one place that says how the book's numbers are summarised.

Every interval in the book is a **Student-t interval**, computed by :mod:`scipy.stats`:

- a positive, skewed quantity (a mean squared error, which spans decades from seed to seed) is
  summarised on the log scale: the geometric mean, with the t-interval of the mean of the logs
  mapped back by ``exp`` (:func:`geometric_interval`). It never goes below zero.
- a bounded quantity (a horizon, seconds) by its arithmetic mean and t-interval (:func:`mean_interval`).
- a comparison of two methods on the **same seeds** by the t-interval of the mean paired
  difference (of the logs, for errors), as :func:`lstm_lib.stats.verdicts.paired` does.

Why t and not a bootstrap: with 5-20 seeds a percentile bootstrap is too narrow (its coverage
falls short of 95%) and BCa is unstable; the paired log-ratios of two methods are close to
symmetric, where the t-interval is exact under normality and robust otherwise. Being a closed
form, it is deterministic and testable against hand computation. Power follows from the same
model (the noncentral t distribution): :func:`detectable_effect` and :func:`seeds_needed`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from lstm_lib.validation import check_float, check_int

POWER = 0.8
"""The power at which the book reports the smallest detectable effect and the seeds needed."""


def _level(level: float) -> float:
    return check_float("level", level, low=0, high=1, low_open=True, high_open=True)


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``values`` and its Student-t interval (NaN bounds for n < 2)."""
    _level(level)
    x = np.asarray([float(v) for v in values], dtype=np.float64)
    if x.size == 0:
        raise ValueError("values must hold at least one number, got none")
    mean = float(x.mean())
    if x.size < 2 or not np.isfinite(x).all():
        return mean, math.nan, math.nan
    sem = float(x.std(ddof=1)) / math.sqrt(x.size)
    if sem == 0:
        return mean, mean, mean
    low, high = stats.t.interval(level, x.size - 1, loc=mean, scale=sem)
    return mean, float(low), float(high)


mean_interval = t_interval
"""The arithmetic mean over seeds with its t-interval (for horizons, seconds)."""


def geometric_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(geometric mean, low, high)`` of positive values: the t-interval of the mean log, exponentiated."""
    x = [float(v) for v in values]
    if any(not v > 0 for v in x):
        raise ValueError("values must all be positive (and finite) for a geometric mean")
    mean, low, high = t_interval(np.log(x), level)
    return math.exp(mean), math.exp(low), math.exp(high)


def _power(effect: float, sd: float, n: int, level: float) -> float:
    """Power of the two-sided paired t-test at true mean difference ``effect`` (noncentral t)."""
    if n < 2 or sd <= 0:
        return math.nan
    df = n - 1
    crit = stats.t.ppf((1 + level) / 2, df)
    nc = effect * math.sqrt(n) / sd
    # P(T > crit) + P(T < -crit), the second as P(T' > crit) with T' of noncentrality -nc: scipy's ``nct.cdf`` gives
    # NaN far in the lower tail (at one degree of freedom already for nc near 8), its ``sf`` does not
    upper, lower = (float(stats.nct.sf(crit, df, sign * nc)) for sign in (1, -1))
    upper = upper if math.isfinite(upper) else float(nc > 0)  # far in a tail: the side the effect points to wins
    lower = lower if math.isfinite(lower) else float(nc < 0)
    return upper + lower


def detectable_effect(sd: float, n: int, level: float = 0.95, power: float = POWER) -> float:
    """Smallest true mean difference the paired t-test detects with ``power``, at this spread and ``n``.

    ``sd`` is the standard deviation of the per-seed differences (of logs, for ratios). NaN for
    n < 2 or a zero spread.
    """
    _level(level)
    check_float("power", power, low=0, high=1, low_open=True, high_open=True)
    check_int("n", n, 1)
    if n < 2 or not sd > 0 or not math.isfinite(sd):
        return math.nan
    from scipy.optimize import brentq

    high = sd
    while _power(high, sd, n, level) < power:
        high *= 2
    return float(brentq(lambda d: _power(d, sd, n, level) - power, 0.0, high, xtol=1e-10 * sd))


def seeds_needed(effect: float, sd: float, level: float = 0.95, power: float = POWER, limit: int = 100_000) -> int:
    """Fewest seeds (pairs) for the paired t-test to detect ``effect`` with ``power``, at spread ``sd``.

    ``limit`` is returned when even that many would not do (a vanishing effect).
    """
    _level(level)
    if not effect > 0 or not math.isfinite(sd):
        raise ValueError(f"effect must be > 0 and sd finite, got effect={effect}, sd={sd}")
    if sd <= 0:
        return 2
    low, high = 2, 2
    while _power(effect, sd, high, level) < power:
        if high >= limit:
            return limit
        low, high = high, min(limit, high * 2)
    while low < high:  # power grows with n: the first n that reaches it
        mid = (low + high) // 2
        if _power(effect, sd, mid, level) >= power:
            high = mid
        else:
            low = mid + 1
    return high


def nearest_rank(values: Sequence[float], percentiles: Sequence[int]) -> dict[int, int]:
    """The index of the value at each of ``percentiles`` (0-100), nearest rank over ``values`` sorted.

    A non-finite value (a diverged run) ranks worst, as the verdicts count it; ties keep their
    order (a stable sort), so the same values always give the same picks.
    """
    if not values:
        raise ValueError("nearest_rank needs at least one value, got none")
    for p in percentiles:
        if not 0 <= p <= 100:
            raise ValueError(f"percentiles must lie in [0, 100], got {p}")

    def rank(i: int) -> tuple[bool, float]:
        finite = math.isfinite(values[i])
        return (not finite, values[i] if finite else 0.0)

    order = sorted(range(len(values)), key=rank)
    return {p: order[math.floor(p / 100 * (len(order) - 1) + 0.5)] for p in percentiles}
