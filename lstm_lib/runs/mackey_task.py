"""The Mackey-Glass task: Jaeger's training series per seed, and held-out windows drawn freely after a run-in.

Each seed integrates its own series from its own seeded history (:mod:`lstm_lib.model.mackey_glass`),
drops a transient so that it lies on the attractor, and keeps ``train_steps`` values (Jaeger: 3000);
the LSTM trains on them cut into windows of ``window`` steps, the echo state network on the whole
series with the first ``washout`` steps ignored by its readout. The held-out windows come from one
more series (``test_seed``): each is read teacher-forced for its run-in (the evaluation's one prime
length), then drawn freely; the error at step ``horizon`` (84) is Jaeger's NRMSE, and the steps
until the error first exceeds ``valid_level`` standard deviations are the valid prediction time.
The network sees the squashed series, tanh(x - 1); errors are measured in the original coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from lstm_lib.fields import Settings, section, setting
from lstm_lib.model.mackey_glass import PUBLISHED_LYAPUNOV, mackey_glass, squash, unsquash
from lstm_lib.model.network import generate
from lstm_lib.runs.trial import EvalSettings
from lstm_lib.validation import SettingError


@lru_cache(maxsize=64)
def _series(seed: int, transient: int, steps: int) -> np.ndarray:
    values = mackey_glass(transient + steps, seed=seed)[transient:]
    values.flags.writeable = False
    return values


@dataclass(frozen=True)
class MackeyGlassTask(Settings):
    """Training series per seed and held-out windows, in Jaeger's protocol (see the module docstring)."""

    transient: int = setting(1000, "time units integrated and dropped before a series is used", "int", low=0,
                             high=100_000)  # fmt: skip
    train_steps: int = setting(3000, "steps of each seed's training series (Jaeger: 3000)", "int", low=3,
                               high=100_000)  # fmt: skip
    washout: int = setting(1000, "first steps of the training series that the ESN's readout ignores", "int", low=0)
    window: int = setting(200, "steps per training window of the LSTM", "int", low=2)
    n_test: int = setting(20, "held-out windows", "int", low=1, high=1000)
    long_horizon: int = setting(1000, "free-running steps drawn for the valid prediction time", "int", low=1,
                                high=100_000)  # fmt: skip
    valid_level: float = setting(0.4, "error, in standard deviations of the series, that ends a valid prediction",
                                 "float", low=0, low_open=True)  # fmt: skip
    test_seed: int = setting(50_000, "seed of the held-out series", "seed")
    evaluation: EvalSettings = section(
        lambda: EvalSettings(prime_lengths=(300,), horizon=84, threshold=0.1),
        "the run-in (one prime length) and the judged step (horizon, Jaeger's 84)",
    )

    def validate(self) -> None:
        if len(self.prime_lengths) != 1:
            raise SettingError("prime_lengths", f"prime_lengths must hold one run-in length, got {self.prime_lengths}")
        if self.window > self.train_steps:
            raise SettingError("window", f"window must be at most train_steps={self.train_steps}, got {self.window}")
        if self.washout >= self.train_steps - 1:
            raise SettingError("washout", f"washout must be less than train_steps - 1, got {self.washout}")
        if self.horizon > self.long_horizon:
            raise SettingError("horizon", f"horizon must be at most long_horizon={self.long_horizon}")

    @property
    def run_in(self) -> int:
        return self.prime_lengths[0]

    def train_series(self, seed: int) -> np.ndarray:
        """The training series of ``seed`` in original coordinates (``train_steps`` values, float64)."""
        return _series(seed, self.transient, self.train_steps)

    def train_data(self, seed: int) -> torch.Tensor:
        """The LSTM's training windows of ``seed``, squashed: (train_steps // window, window, 1) float64."""
        n = self.train_steps // self.window
        values = squash(self.train_series(seed)[: n * self.window])
        return torch.from_numpy(values.reshape(n, self.window, 1).copy())

    def test_windows(self) -> np.ndarray:
        """The held-out windows in original coordinates: (n_test, run_in + long_horizon), back to back in one
        series of ``test_seed``."""
        length = self.run_in + self.long_horizon
        return _series(self.test_seed, self.transient, self.n_test * length).reshape(self.n_test, length)

    def test_data(self) -> torch.Tensor:
        """The held-out windows, squashed, as the evaluation reads them: (n_test, run_in + long_horizon, 1)."""
        return torch.from_numpy(squash(self.test_windows())[..., None].copy())

    def variance(self) -> float:
        """The variance of the series (original coordinates), over all held-out windows: NRMSE's denominator."""
        return float(np.var(self.test_windows()))

    def check_held_out(self, seeds: list[int]) -> None:
        """Raise if a training seed is the held-out series' seed."""
        if self.test_seed in seeds:
            raise ValueError(f"seeds must not include test_seed={self.test_seed}")

    @staticmethod
    def lyapunov_times(steps: float) -> float:
        """Steps of the series in Lyapunov times (one is 1 / 0.0056, about 180 steps)."""
        return steps * PUBLISHED_LYAPUNOV


SQUASH_EDGE = 1 - 1e-9
"""A drawn value is clipped to [-edge, edge] before tanh(x - 1) is undone: a network that leaves (-1, 1) has
no point of the original series there, and the clip turns it into a large finite error instead of NaN."""


@dataclass(frozen=True)
class Forecast:
    """What free-running on the held-out windows gave, in the original coordinates.

    ``drawn`` and ``error`` (drawn minus truth) are (n_test, long_horizon); ``valid_steps`` (n_test) counts
    the steps before the error first exceeds ``valid_level`` standard deviations (``long_horizon`` if never).
    """

    drawn: np.ndarray
    error: np.ndarray
    valid_steps: np.ndarray
    judged_step: int
    variance: float

    @property
    def squared_error(self) -> np.ndarray:
        """Each window's squared error at the judged step (step 84: its value 83 of the drawn ones)."""
        return self.error[:, self.judged_step - 1] ** 2

    def nrmse(self) -> float:
        """Jaeger's NRMSE at the judged step over these windows: sqrt(mean squared error / variance)."""
        return float(np.sqrt(np.mean(self.squared_error) / self.variance))


def judge(task: MackeyGlassTask, drawn_squashed: np.ndarray) -> Forecast:
    """Judge values drawn on the held-out windows (squashed, (n_test, long_horizon)) against the truth."""
    drawn_squashed = np.asarray(drawn_squashed, dtype=np.float64)
    want = (task.n_test, task.long_horizon)
    if drawn_squashed.shape != want:
        raise ValueError(f"drawn values must have shape {want}, got {drawn_squashed.shape}")
    clipped = np.clip(np.nan_to_num(drawn_squashed, nan=SQUASH_EDGE), -SQUASH_EDGE, SQUASH_EDGE)
    drawn = unsquash(clipped)
    error = drawn - task.test_windows()[:, task.run_in :]
    variance = task.variance()
    beyond = np.abs(error) > task.valid_level * np.sqrt(variance)
    valid = np.where(beyond.any(axis=1), beyond.argmax(axis=1), task.long_horizon)
    return Forecast(drawn, error, valid, task.horizon, variance)


def draw_lstm(task: MackeyGlassTask, W: torch.Tensor, spec) -> np.ndarray:
    """The trained LSTM's free run on every held-out window after its run-in (squashed values)."""
    data = task.test_data().to(W.dtype)
    with torch.no_grad():
        drawn = generate(W.detach().cpu(), spec, data[:, : task.run_in], task.long_horizon)
    return drawn[..., 0].double().numpy()
