"""How well a trained network draws the wave by itself (free-running), not just one step ahead."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_lib.model.network import generate, predict
from lstm_lib.training.train import TrainResult
from lstm_lib.validation import check_float, check_int, check_sequences


@dataclass
class Evaluation:
    """Free-running quality of a model on held-out waves.

    ``free_mse``: mean squared error of the ``horizon`` generated steps against the true
    continuation; ``horizons``: per wave, how many generated steps stay within ``threshold``
    of the truth (``horizon`` if all do); ``prediction_horizon``: their mean;
    ``teacher_mse``: one-step-ahead MSE over the prime (what the training loss measures).
    """

    free_mse: float
    prediction_horizon: float
    horizons: torch.Tensor
    teacher_mse: float
    generated: torch.Tensor
    truth: torch.Tensor
    threshold: float

    @property
    def abs_error(self) -> torch.Tensor:
        """|generated - truth| per wave and step, (n, horizon)."""
        return (self.generated - self.truth).abs()[..., 0]


def steps_within(abs_error: torch.Tensor, threshold: float) -> torch.Tensor:
    """For each row of ``abs_error`` (n, steps): the number of steps before it first exceeds ``threshold``."""
    over = abs_error > threshold
    first = torch.where(over.any(dim=1), over.to(torch.int64).argmax(dim=1), torch.tensor(abs_error.shape[1]))
    return first


def evaluate(
    result: TrainResult, data: torch.Tensor, prime_length: int, horizon: int, threshold: float = 0.1
) -> Evaluation:
    """Prime on ``data[:, :prime_length]``, generate ``horizon`` steps, compare with ``data[:, prime_length:]``.

    ``data`` (n, length, n_in) must hold at least ``prime_length + horizon`` steps: make it with
    :func:`lstm_lib.data.sine_waves`, which gives the true continuation of any wave.
    """
    check_int("prime_length", prime_length, 2)
    check_int("horizon", horizon, 1)
    check_float("threshold", threshold, low=0, low_open=True)
    check_sequences("data", data, n_in=result.spec.n_in, min_length=prime_length + horizon)
    W, spec = result.W, result.spec
    data = data.to(W.dtype)
    prime = data[:, :prime_length]
    truth = data[:, prime_length : prime_length + horizon]
    with torch.no_grad():
        teacher = predict(W, spec, prime[:, :-1])
        teacher_mse = (teacher - prime[:, 1:]).square().mean().item()
        generated = generate(W, spec, prime, horizon)
    err = (generated - truth).abs()[..., 0]
    mse = (generated - truth).square().mean().item()
    horizons = steps_within(torch.nan_to_num(err, nan=float("inf")), threshold)
    if not torch.isfinite(generated).all():
        mse = float("inf")
    return Evaluation(mse, horizons.double().mean().item(), horizons, teacher_mse, generated, truth, threshold)
