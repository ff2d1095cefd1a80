"""The book's shared experimental set-up: which waves to train on and how to judge free-running."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_lib.model.data import MAX_VALUES, check_period, sine_waves
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.trial import EvalSettings
from lstm_lib.validation import check_float, check_int, check_seed

ARTICLE_ITERATIONS = 1000
"""The article's Adagrad loop runs ``for i in xrange(1000)``."""


@dataclass(frozen=True)
class WaveTask:
    """Train on ``n_train`` waves of ``length`` steps; judge on ``n_test`` other waves.

    Test waves (a different seed, so other phases) are primed on their first ``prime_length``
    steps, then the model draws ``horizon`` steps by itself, compared with the true continuation.
    ``period`` is the time scale ``T`` of ``sin(t / T)`` (one oscillation is ``2*pi*T`` steps).
    """

    n_train: int = 16
    n_test: int = 8
    length: int = 160
    period: float = 6.0
    prime_length: int = 100
    horizon: int = 300
    threshold: float = 0.1
    seed: int = 1

    def __post_init__(self) -> None:
        check_int("n_train", self.n_train, 1)
        check_int("n_test", self.n_test, 1)
        check_int("length", self.length, 2)
        check_period(self.period)
        check_int("prime_length", self.prime_length, 2)
        check_int("horizon", self.horizon, 1)
        check_float("threshold", self.threshold, low=0, low_open=True)
        check_seed("seed", self.seed)
        if self.n_train * self.length > MAX_VALUES:
            raise ValueError(f"n_train * length must be at most {MAX_VALUES} values, got {self.n_train * self.length}")
        if self.n_test * (self.prime_length + self.horizon) > MAX_VALUES:
            raise ValueError(f"n_test * (prime_length + horizon) must be at most {MAX_VALUES} values")

    def train_data(self) -> torch.Tensor:
        return sine_waves(self.n_train, self.length, self.period, seed=self.seed)

    def test_data(self) -> torch.Tensor:
        """Held-out waves long enough for the prime and the whole horizon."""
        return sine_waves(self.n_test, self.prime_length + self.horizon, self.period, seed=self.seed + 1000)

    @property
    def eval_spec(self) -> EvalSettings:
        return EvalSettings(self.prime_length, self.horizon, self.threshold)

    @property
    def oscillation_steps(self) -> float:
        """Steps per full oscillation, ``2*pi*period``."""
        return 2 * torch.pi * self.period


def optimizer_configs(base: TrainConfig, sgd_lr: float, lbfgs_lr: float) -> dict[str, TrainConfig]:
    """Adagrad (``base``), SGD and L-BFGS at an equal budget of gradient evaluations.

    An L-BFGS step evaluates the loss up to ``base.lbfgs_max_iter`` times, so it gets
    ``base.iterations // base.lbfgs_max_iter`` steps (at least one).
    """
    return {
        "adagrad": base.replace(optimizer="adagrad"),
        "sgd": base.replace(optimizer="sgd", lr=sgd_lr),
        "lbfgs": base.replace(
            optimizer="lbfgs", lr=lbfgs_lr, iterations=max(1, base.iterations // base.lbfgs_max_iter)
        ),
    }
