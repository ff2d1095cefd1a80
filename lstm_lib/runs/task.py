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

from lstm_lib.fields import Settings, section, setting
from lstm_lib.model.data import MAX_VALUES, PERIOD_RANGE, band_parameters, wave_band
from lstm_lib.runs.trial import EvalSettings
from lstm_lib.validation import SettingError

ARTICLE_ITERATIONS = 1000
"""The article's Adagrad loop runs ``for i in xrange(1000)``."""


@dataclass(frozen=True)
class WaveTask(Settings):
    """Train on ``n_train`` waves of ``length`` steps; judge on ``n_test`` held-out waves.

    ``period`` is the time scale ``T`` of ``sin(t / T + phase)``: one oscillation takes ``2*pi*T``
    steps (38 steps for T = 6; 126 for the PyTorch example's T = 20). Each held-out wave is primed
    on its first ``p`` steps for every ``p`` in ``prime_lengths``, then the model draws
    ``horizon`` steps by itself, compared with the true continuation.
    """

    n_train: int = setting(16, "training waves", "int", low=1)
    length: int = setting(160, "time steps per training wave", "int", low=2)
    period: float = setting(
        6.0, "time scale T of sin(t / T), in time steps; one oscillation is 2*pi*T steps", "float",
        low=PERIOD_RANGE[0], high=PERIOD_RANGE[1],
    )  # fmt: skip
    spread: float = setting(
        0.01, "relative half-width of the band of time scales", "float", low=0, high=1, high_open=True
    )
    n_test: int = setting(32, "held-out waves", "int", low=1)
    test_seed: int = setting(10_000, "seed of the held-out waves", "seed")
    evaluation: EvalSettings = section(EvalSettings, "how the held-out waves are judged")

    def validate(self) -> None:
        if self.n_train * self.length > MAX_VALUES:
            raise SettingError(
                "n_train", f"n_train * length must be at most {MAX_VALUES} values, got {self.n_train * self.length}"
            )
        if self.n_test * (max(self.prime_lengths) + self.horizon) > MAX_VALUES:
            raise SettingError("n_test", f"n_test * (longest prime + horizon) must be at most {MAX_VALUES} values")

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
    def oscillation_steps(self) -> float:
        """Steps per full oscillation at the band's centre, ``2*pi*period``."""
        return 2 * math.pi * self.period
