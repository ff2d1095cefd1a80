"""One trial: train one config on one seed, judge it free-running, and return its table row."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_lib.training.config import TrainConfig
from lstm_lib.training.evaluate import evaluate
from lstm_lib.training.train import TrainingDiverged, train
from lstm_lib.validation import check_float, check_int


@dataclass(frozen=True)
class EvalSettings:
    """Free-running evaluation settings: prime on ``prime_length`` steps, generate ``horizon``."""

    prime_length: int
    horizon: int
    threshold: float = 0.1

    def __post_init__(self) -> None:
        check_int("prime_length", self.prime_length, 2)
        check_int("horizon", self.horizon, 1)
        check_float("threshold", self.threshold, low=0, low_open=True)


@dataclass
class Run:
    """One config and seed: its table row and its loss curve."""

    row: dict
    history: torch.Tensor
    seconds: torch.Tensor
    W: torch.Tensor | None


def train_and_evaluate(config: TrainConfig, data: torch.Tensor, eval_data: torch.Tensor, spec: EvalSettings) -> Run:
    """Train and evaluate one config on one thread (results do not depend on the worker count)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    base = {
        "label": config.label(),
        "method": config.method,
        "optimizer": config.optimizer,
        "seed": config.seed,
        "lr": config.lr,
        "noise_std": config.noise_std,
        "weight_rate": config.weight_rate,
        "iterations": config.iterations,
    }
    try:
        result = train(config, data, progress=False)
    except TrainingDiverged as exc:
        nan = float("nan")
        row = {
            **base,
            "diverged": True,
            "diverged_at": exc.iteration,
            "final_loss": nan,
            "final_mse": nan,
            "free_mse": nan,
            "teacher_mse": nan,
            "horizon": nan,
            "train_seconds": nan,
            "evaluations": 0,
        }
        return Run(row, torch.empty(0, dtype=torch.float64), torch.empty(0, dtype=torch.float64), None)
    finally:
        torch.set_num_threads(threads)
    ev = evaluate(result, eval_data, spec.prime_length, spec.horizon, spec.threshold)
    row = {
        **base,
        "diverged": False,
        "diverged_at": -1,
        "final_loss": result.history[-1].item(),
        "final_mse": result.final_mse,
        "free_mse": ev.free_mse,
        "teacher_mse": ev.teacher_mse,
        "horizon": ev.prediction_horizon,
        "train_seconds": result.wall_seconds,
        "evaluations": result.evaluations,
    }
    return Run(row, result.history, result.seconds, result.W)
