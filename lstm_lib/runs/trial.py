"""One trial: train one config on one seed, judge it free-running, and keep what the study reads."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import torch

from lstm_lib.fields import Settings, setting
from lstm_lib.model.network import predict
from lstm_lib.model.spec import Spec
from lstm_lib.runs import row as schema
from lstm_lib.runs.fingerprint import fingerprint_text
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.evaluate import evaluate, steps_within
from lstm_lib.training.train import TrainingDiverged, train

SENSITIVITY_THRESHOLDS = (0.05, 0.2)
"""Error thresholds, beside the evaluation's own, at which a row also records the mean horizon (column
``horizons``), so a verdict's sensitivity to the threshold is read from the rows without retraining."""
FLOPS_PER_WEIGHT = 6
"""Arithmetic per weight, per sequence step, per loss-and-gradient evaluation: a multiply and an add
forward, twice that backward (the usual 6N estimate). It counts work that wall time cannot, as
wall time varies with the machine's load."""


@dataclass(frozen=True)
class EvalSettings(Settings):
    """Free-running evaluation: prime on each of ``prime_lengths`` steps, then generate ``horizon``."""

    prime_lengths: tuple[int, ...] = setting(
        (60, 100), "steps of each held-out wave read before generating", "int", low=2, many=True,
        flag="--prime-length",
    )  # fmt: skip
    horizon: int = setting(300, "free-running steps judged", "int", low=1)
    threshold: float = setting(0.1, "absolute error that ends the prediction horizon", "float", low=0, low_open=True)


@dataclass
class Run:
    """One config on one seed: its table ``row`` and the curves and tensors a chapter plots.

    ``history``/``seconds``: the training objective and wall clock per iteration; ``W`` and
    ``spec``: the trained network (``W`` is ``None`` if training diverged); ``wave_mse``:
    free-running MSE per prime length and held-out wave, (primes, waves); ``step_error``: mean
    absolute free-running error per generated step, per prime length; ``train_step_error``:
    clean teacher-forced squared error at each position of the training sequences.
    """

    row: dict
    history: torch.Tensor
    seconds: torch.Tensor
    W: torch.Tensor | None
    spec: Spec | None = None
    wave_mse: torch.Tensor | None = None
    step_error: torch.Tensor | None = None
    train_step_error: torch.Tensor | None = None


def train_and_evaluate(config: TrainConfig, data: torch.Tensor, eval_data: torch.Tensor, settings: EvalSettings) -> Run:
    """Train ``config`` on ``data`` and judge it on ``eval_data``, on one torch thread; the row is stamped
    with the fingerprint of the arithmetic it ran on.

    One thread makes the result independent of how many worker processes run side by side. This
    runs where the training runs (a worker process, a Dask worker), so the fingerprint is that
    machine's. A diverged run gives a row of NaNs with ``diverged=True``, never an exception.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = train(config, data, progress=False)
    except TrainingDiverged as exc:
        empty = torch.empty(0, dtype=torch.float64)
        fingerprint = fingerprint_text(threads=1, device=config.device)
        row = schema.diverged_row(config, exc.iteration) | {"fingerprint": fingerprint}
        return Run(row, empty, empty.clone(), None)
    finally:
        torch.set_num_threads(threads)
    evals = [
        evaluate(result.W, result.spec, eval_data, p, settings.horizon, settings.threshold)
        for p in settings.prime_lengths
    ]
    thresholds = sorted({settings.threshold, *SENSITIVITY_THRESHOLDS})
    horizons = {f"{t:g}": sum(steps_within(e.abs_error.nan_to_num(nan=math.inf), t).double().mean().item()
                              for e in evals) / len(evals) for t in thresholds}  # fmt: skip
    per_prime = {str(p): {"free_mse": e.free_mse, "horizon": e.prediction_horizon}
                 for p, e in zip(settings.prime_lengths, evals, strict=True)}  # fmt: skip
    x, y = data[:, :-1].to(result.W.dtype), data[:, 1:].to(result.W.dtype)
    with torch.no_grad():
        train_step_error = (predict(result.W, result.spec, x) - y).square().mean(dim=(0, 2)).double()
    steps = data.shape[0] * (data.shape[1] - 1)
    row = {
        **schema.describe(config),
        "diverged": False,
        "diverged_at": -1,
        "final_loss": result.history[-1].item(),
        "final_mse": result.final_mse,
        "free_mse": sum(e.free_mse for e in evals) / len(evals),
        "teacher_mse": sum(e.teacher_mse for e in evals) / len(evals),
        "horizon": sum(e.prediction_horizon for e in evals) / len(evals),
        "train_seconds": result.wall_seconds,
        "evaluations": result.evaluations,
        "gflop": result.evaluations * FLOPS_PER_WEIGHT * result.W.numel() * steps / 1e9,
        "horizons": json.dumps(horizons),
        "per_prime": json.dumps(per_prime),
        "fingerprint": fingerprint_text(threads=1, device=config.device),
    }
    return Run(
        row,
        result.history,
        result.seconds,
        result.W,
        result.spec,
        torch.stack([e.wave_mse for e in evals]),
        torch.stack([e.step_error for e in evals]),
        train_step_error,
    )
