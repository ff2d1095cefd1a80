"""The wave task every multi-seed study shares: which waves to train on, and how to judge free-running.

Training waves and held-out waves come from one band of time scales (``period`` ± ``spread``)
with continuous random phases. Each seed draws its own training waves (the data seed is the
run's seed, so a verdict over seeds covers both the data and the initial weights); the held-out
waves are drawn once from ``test_seed`` and are never training waves: other phases, and other
frequencies within the trained band (checked on construction of the test set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from lstm_lib.model.data import MAX_VALUES, band_parameters, check_period, wave_band
from lstm_lib.training.trial import EvalSettings
from lstm_lib.validation import check_float, check_int, check_seed

ARTICLE_ITERATIONS = 1000
"""The article's Adagrad loop runs ``for i in xrange(1000)``."""


@dataclass(frozen=True)
class WaveTask:
    """Train on ``n_train`` waves of ``length`` steps; judge on ``n_test`` held-out waves.

    ``period`` is the time scale ``T`` of ``sin(t / T + phase)``: one oscillation takes ``2*pi*T``
    steps (38 steps for T = 6; 126 for the PyTorch example's T = 20). Each held-out wave is primed
    on its first ``p`` steps for every ``p`` in ``prime_lengths``, then the model draws
    ``horizon`` steps by itself, compared with the true continuation.
    """

    n_train: int = 16
    length: int = 160
    period: float = 6.0
    spread: float = 0.01
    n_test: int = 32
    prime_lengths: tuple[int, ...] = (60, 100)
    horizon: int = 300
    threshold: float = 0.1
    test_seed: int = 10_000

    def __post_init__(self) -> None:
        check_int("n_train", self.n_train, 1)
        check_int("length", self.length, 2)
        check_period(self.period)
        check_float("spread", self.spread, low=0, high=1, high_open=True)
        check_int("n_test", self.n_test, 1)
        if not isinstance(self.prime_lengths, tuple) or not self.prime_lengths:
            got = str(self.prime_lengths)[:80]
            raise ValueError(f"prime_lengths must be a non-empty tuple of ints >= 2, got {got}")
        for p in self.prime_lengths:
            check_int("prime_lengths[]", p, 2)
        check_int("horizon", self.horizon, 1)
        check_float("threshold", self.threshold, low=0, low_open=True)
        check_seed("test_seed", self.test_seed)
        if self.n_train * self.length > MAX_VALUES:
            raise ValueError(f"n_train * length must be at most {MAX_VALUES} values, got {self.n_train * self.length}")
        if self.n_test * (max(self.prime_lengths) + self.horizon) > MAX_VALUES:
            raise ValueError(f"n_test * (longest prime + horizon) must be at most {MAX_VALUES} values")

    def train_data(self, seed: int) -> torch.Tensor:
        """The ``n_train`` training waves of seed ``seed``, (n_train, length, 1) float64."""
        return wave_band(self.n_train, self.length, self.period, self.spread, seed)

    def test_data(self) -> torch.Tensor:
        """The held-out waves, long enough for the longest prime and the whole horizon."""
        return wave_band(self.n_test, max(self.prime_lengths) + self.horizon, self.period, self.spread, self.test_seed)

    def check_held_out(self, seeds: list[int]) -> None:
        """Raise if any held-out wave shares its time scale or phase with a training wave of ``seeds``."""
        test_periods, test_phases = band_parameters(self.n_test, self.period, self.spread, self.test_seed)
        for seed in seeds:
            if seed == self.test_seed:
                raise ValueError(f"seeds must not include test_seed={self.test_seed}")
            periods, phases = band_parameters(self.n_train, self.period, self.spread, seed)
            if torch.isin(test_periods, periods).any() or torch.isin(test_phases, phases).any():
                raise ValueError(f"a held-out wave repeats a training wave of seed {seed}")

    @property
    def evaluation(self) -> EvalSettings:
        """The free-running evaluation settings (prime lengths, horizon, threshold)."""
        return EvalSettings(self.prime_lengths, self.horizon, self.threshold)

    @property
    def oscillation_steps(self) -> float:
        """Steps per full oscillation at the band's centre, ``2*pi*period``."""
        return 2 * math.pi * self.period
