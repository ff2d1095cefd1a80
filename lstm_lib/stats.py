"""Intervals over seeds: the one place that says how the book's 95% intervals are computed.

Every interval in the book is a Student-t interval for the mean over seeds:
``mean +- t_{(1+level)/2, n-1} * sd / sqrt(n)``, with the sample standard deviation ``sd``.
The t quantile is computed here (Simpson integration of the density and bisection), so no
statistics package is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lstm_lib.validation import check_float, check_int


def _t_cdf(x: float, df: int) -> float:
    """P(T <= x) for Student's t with ``df`` degrees of freedom (x >= 0), by Simpson's rule on the density."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(t: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))

    n = 2000
    h = x / n
    total = density(0) + density(x)
    total += sum((4 if k % 2 else 2) * density(k * h) for k in range(1, n))
    return 0.5 + total * h / 3


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom, for 0.5 <= p < 1."""
    check_float("p", p, low=0.5, high=1, high_open=True)
    check_int("df", df, 1)
    low, high = 0.0, 1.0
    while _t_cdf(high, df) < p:
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _t_cdf(mid, df) < p else (low, mid)
    return (low + high) / 2


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean over seeds with its ``level`` t-interval (NaN bounds for one value)."""
    check_float("level", level, low=0, high=1, low_open=True, high_open=True)
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("values must hold at least one number, got none")
    n = len(xs)
    mean = sum(xs) / n
    if n == 1 or not all(math.isfinite(v) for v in xs):
        return mean, math.nan, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in xs) / (n - 1))
    half = t_quantile((1 + level) / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half
