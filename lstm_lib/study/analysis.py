"""Looking at runs after the fact: bands over seeds, where the spread comes from, early against late error."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lstm_lib.runs.experiments import Table


def curve_band(
    curves: Sequence[torch.Tensor], low: float = 0.1, high: float = 0.9
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Median and the ``low``/``high`` quantiles (10% and 90%) over curves, step by step.

    Quantile bands stay readable over many curves, where a min-max band is set by the one worst curve.
    """
    if not curves:
        raise ValueError("curves must hold at least one curve, got none")
    lengths = {int(c.numel()) for c in curves}
    if len(lengths) != 1:
        raise ValueError(f"curves must all have the same length, got lengths {sorted(lengths)}")
    stack = torch.stack([c.detach().to(torch.float64).reshape(-1) for c in curves])
    q = torch.quantile(stack, torch.tensor([0.5, low, high], dtype=torch.float64), dim=0)
    return q[0], q[1], q[2]


@dataclass(frozen=True)
class Spread:
    """How much of the seed-to-seed spread of log free-running MSE comes from the evaluation.

    ``total``: variance over seeds of ``log(free_mse)``; ``evaluation``: the part expected from
    which held-out waves were drawn (the squared standard error of each seed's log mean over its
    waves, by the delta method, averaged over seeds); ``model``: the rest, from the trained model
    itself; ``prime_correlation``: correlation over seeds of log MSE between the shortest and the
    longest prime (1 when the prime length does not matter to the ranking).
    """

    total: float
    evaluation: float
    model: float
    prime_correlation: float
    n_seeds: int
    n_waves: int

    @property
    def evaluation_share(self) -> float:
        return self.evaluation / self.total if self.total > 0 else math.nan


def spread(table: Table) -> Spread:
    """The decomposition of :class:`Spread` from the finished runs of one method."""
    runs = [r for r in table.runs if r.wave_mse is not None and torch.isfinite(r.wave_mse).all()]
    if len(runs) < 2:
        raise ValueError(f"spread needs at least 2 finished runs with per-wave errors, got {len(runs)}")
    per_wave = torch.stack([r.wave_mse.mean(dim=0) for r in runs])  # (seeds, waves): mean over primes
    means = per_wave.mean(dim=1)
    total = torch.log(means).var(unbiased=True).item()
    n_waves = per_wave.shape[1]
    evaluation = (per_wave.var(dim=1, unbiased=True) / (n_waves * means.square())).mean().item()
    first = torch.log(torch.stack([r.wave_mse[0].mean() for r in runs]))
    last = torch.log(torch.stack([r.wave_mse[-1].mean() for r in runs]))
    corr = torch.corrcoef(torch.stack([first, last]))[0, 1].item() if runs[0].wave_mse.shape[0] > 1 else 1.0
    return Spread(total, evaluation, max(total - evaluation, 0.0), corr, len(runs), n_waves)


@dataclass(frozen=True)
class EarlyLate:
    """Teacher-forced error at the start of the training sequence against the rest.

    ``early``/``late``: per seed, the mean squared error over the first ``steps`` positions and
    over the last half; ``warmup_share``: per seed, the share of the weighted loss (weights
    ``rate**t``) that falls on the first ``steps`` positions.
    """

    early: list[float]
    late: list[float]
    warmup_share: list[float]
    steps: int


def early_late(table: Table, steps: int, rate: float) -> EarlyLate:
    """:class:`EarlyLate` of the finished runs of ``table`` (``steps`` >= 1 warm-up positions)."""
    curves = [r.train_step_error for r in table.runs if r.train_step_error is not None]
    if not curves:
        raise ValueError("early_late needs runs with a train_step_error, got none")
    n = curves[0].numel()
    if not 1 <= steps < n // 2:
        raise ValueError(f"steps must be in [1, {n // 2}) for sequences of {n} positions, got {steps}")
    weights = rate ** torch.arange(n, dtype=torch.float64)
    return EarlyLate(
        early=[c[:steps].mean().item() for c in curves],
        late=[c[n // 2 :].mean().item() for c in curves],
        warmup_share=[((weights * c)[:steps].sum() / (weights * c).sum()).item() for c in curves],
        steps=steps,
    )
