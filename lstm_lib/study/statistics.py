"""Intervals over seeds: the one place that says how the book's 95% intervals are computed.

Every interval in the book is a **percentile bootstrap interval of the mean over seeds**. From
the n per-seed values we draw ``RESAMPLES`` (10,000) resamples of n values with replacement,
take the mean of each, and report the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of
those means (linear interpolation) around the plain mean of the values.

- The resampling uses its own generator seeded with ``BOOTSTRAP_SEED``, so an interval is
  deterministic: the same values always give the same interval, and computing one neither uses
  nor disturbs the global random state.
- Each bound is the mean of some of the values, so it never lies outside ``[min, max]`` of the
  values: the interval of a positive quantity (an error, an MSE) is never negative, however
  skewed the per-seed values are. A Student-t interval, symmetric about the mean, can go below
  zero for such values, which is why the book does not use one.
- Known caveat: with few seeds (the book's ~5-10) the percentile bootstrap tends to be somewhat
  narrower than its nominal coverage, i.e. a "95%" interval covers the true mean a little less
  often than 95% of the time. Read its width as indicative, not exact.

One value, or any non-finite value (a diverged run), gives NaN bounds; identical values give a
zero-width interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from lstm_lib.validation import check_float

RESAMPLES = 10_000
"""Bootstrap resamples drawn per interval."""
BOOTSTRAP_SEED = 0
"""Seed of the generator that draws the resamples (fixed: intervals are deterministic)."""


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean over seeds with its ``level`` percentile bootstrap interval.

    See the module docstring for the method. NaN bounds for one value or any non-finite value.
    """
    check_float("level", level, low=0, high=1, low_open=True, high_open=True)
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("values must hold at least one number, got none")
    n = len(xs)
    mean = sum(xs) / n
    if n == 1 or not all(math.isfinite(v) for v in xs):
        return mean, math.nan, math.nan
    if all(v == xs[0] for v in xs):
        return xs[0], xs[0], xs[0]
    x = torch.tensor(xs, dtype=torch.float64)
    generator = torch.Generator().manual_seed(BOOTSTRAP_SEED)
    picks = torch.randint(n, (RESAMPLES, n), generator=generator)
    means = x[picks].mean(dim=1)
    probs = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
    low, high = torch.quantile(means, probs).tolist()
    # a resample mean can round one ulp past the extreme values; keep the documented guarantee
    lo_x, hi_x = min(xs), max(xs)
    return mean, min(max(low, lo_x), hi_x), min(max(high, lo_x), hi_x)
