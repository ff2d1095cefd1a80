"""Failure, defined: what a failed run is, when a regime is "hard", and whether a method fails less.

- A run **fails** when it diverges, or when its free-running error leaves the threshold band
  (|error| > threshold) before one oscillation, on average over the held-out waves and prime
  lengths (the row's horizon at that threshold is under ``2*pi*T`` steps).
- A regime is **hard to optimise** for a method when that method's failure rate is above
  :data:`HARD_RATE`, decided by the rate's exact (Clopper-Pearson) 95% interval: "holds" when the
  whole interval lies above it, "does not hold" when the whole interval lies below it.
- A method **fails less** than another when, on the same seeds, the seeds where only the other fails
  outnumber those where only it fails, by the exact McNemar test (a binomial test on those discordant
  seeds; the seeds where both or neither fail say nothing about the difference).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats

from lstm_lib.stats.verdicts import FAILS, HOLDS, INCONCLUSIVE

HARD_RATE = 0.2
"""A regime is "hard" for a method whose failure rate is above 20%: one run in five does not draw the wave."""
ALPHA = 0.05


def horizon_at(row: Mapping, threshold: float | None = None) -> float:
    """The row's mean horizon at ``threshold`` (``None``: the evaluation's own, the ``horizon`` column)."""
    if row["diverged"]:
        return math.nan
    if threshold is None:
        return float(row["horizon"])
    horizons = json.loads(row.get("horizons") or "{}")
    key = f"{threshold:g}"
    if key not in horizons:
        raise ValueError(f"threshold {threshold:g} was not recorded for this row; recorded: {sorted(horizons)}")
    return float(horizons[key])


def failed(row: Mapping, oscillation_steps: float, threshold: float | None = None) -> bool:
    """Whether one run failed (see the module docstring)."""
    horizon = horizon_at(row, threshold)
    return not (math.isfinite(horizon) and horizon >= oscillation_steps)


@dataclass(frozen=True)
class FailureRate:
    """``failed`` of ``n`` runs failed; ``low``/``high``: the rate's exact 95% interval."""

    failed: int
    n: int
    low: float
    high: float
    level: float = HARD_RATE

    @property
    def rate(self) -> float:
        return self.failed / self.n

    @property
    def verdict(self) -> str:
        """ "Hard" (the rate is above :data:`HARD_RATE`): holds, does not hold, or inconclusive."""
        if self.low > self.level:
            return HOLDS
        if self.high < self.level:
            return FAILS
        return INCONCLUSIVE

    def text(self) -> str:
        return f"{self.failed}/{self.n} fail [{self.low:.0%}, {self.high:.0%}]"


def failure_rate(outcomes: list[bool], level: float = HARD_RATE) -> FailureRate:
    """The failure rate of ``outcomes`` (``True``: failed) with its Clopper-Pearson interval."""
    if not outcomes:
        raise ValueError("outcomes must hold at least one run")
    k = sum(outcomes)
    ci = stats.binomtest(k, len(outcomes)).proportion_ci(confidence_level=0.95, method="exact")
    return FailureRate(k, len(outcomes), float(ci.low), float(ci.high), level)


@dataclass(frozen=True)
class McNemar:
    """Paired failures of a method against a baseline on shared seeds.

    ``only_method``: seeds where only the method fails; ``only_baseline``: seeds where only the
    baseline fails; ``p``: the exact two-sided McNemar p-value; ``verdict`` of "the method fails less".
    """

    only_method: int
    only_baseline: int
    both: int
    neither: int
    p: float

    @property
    def n(self) -> int:
        return self.only_method + self.only_baseline + self.both + self.neither

    @property
    def verdict(self) -> str:
        if self.p < ALPHA:
            return HOLDS if self.only_baseline > self.only_method else FAILS
        return INCONCLUSIVE

    def text(self) -> str:
        return f"only it fails {self.only_method}, only the baseline {self.only_baseline} (p = {self.p:.2g})"


def mcnemar(method: Mapping[int, bool], baseline: Mapping[int, bool]) -> McNemar:
    """Exact McNemar test of ``method`` against ``baseline``: seed -> failed, paired on the seeds both ran."""
    shared = [s for s in method if s in baseline]
    if not shared:
        raise ValueError("method and baseline share no seeds: nothing to pair")
    b = sum(method[s] and not baseline[s] for s in shared)
    c = sum(baseline[s] and not method[s] for s in shared)
    both = sum(method[s] and baseline[s] for s in shared)
    p = float(stats.binomtest(b, b + c, 0.5).pvalue) if b + c else 1.0
    return McNemar(b, c, both, len(shared) - b - c - both, p)
