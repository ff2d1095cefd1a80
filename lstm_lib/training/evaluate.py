"""How well a trained network draws the wave by itself (free-running), not just one step ahead."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_lib.model.network import generate, predict
from lstm_lib.model.spec import Spec
from lstm_lib.validation import check_float, check_int, check_sequences


@dataclass
class Evaluation:
    """Free-running quality of a model on held-out waves.

    ``free_mse``: mean squared error of the ``horizon`` generated steps against the true
    continuation, over all waves; ``wave_mse``: the same per wave; ``step_error``: the mean
    absolute error at each generated step, over waves; ``horizons``: per wave, how many generated
    steps stay within ``threshold`` of the truth (capped at ``horizon``: a wave that never leaves
    the band scores ``horizon``); ``prediction_horizon``: their mean; ``teacher_mse``:
    one-step-ahead MSE over the prime (what the training loss measures).
    """

    free_mse: float
    wave_mse: torch.Tensor
    step_error: torch.Tensor
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
    W: torch.Tensor, spec: Spec, data: torch.Tensor, prime_length: int, horizon: int, threshold: float = 0.1
) -> Evaluation:
    """Prime ``W`` on ``data[:, :prime_length]``, generate ``horizon`` steps, compare with ``data[:, prime_length:]``.

    ``data`` (n, length, n_in) must hold at least ``prime_length + horizon`` steps (the wave
    generators of :mod:`lstm_lib.model.data` give the true continuation of any wave).
    """
    check_int("prime_length", prime_length, 2)
    check_int("horizon", horizon, 1)
    check_float("threshold", threshold, low=0, low_open=True)
    if not isinstance(spec, Spec):
        raise ValueError(f"spec must be a Spec, got {type(spec).__name__}")
    check_sequences("data", data, n_in=spec.n_in, min_length=prime_length + horizon)
    W = W.detach().cpu()
    data = data.to(W.dtype)
    prime = data[:, :prime_length]
    truth = data[:, prime_length : prime_length + horizon]
    with torch.no_grad():
        teacher = predict(W, spec, prime[:, :-1])
        teacher_mse = (teacher - prime[:, 1:]).square().mean().item()
        generated = generate(W, spec, prime, horizon)
    diff = generated - truth
    err = diff.abs()[..., 0]
    wave_mse = diff.square().mean(dim=(1, 2)).double()
    mse = wave_mse.mean().item()
    horizons = steps_within(torch.nan_to_num(err, nan=float("inf")), threshold)
    if not torch.isfinite(generated).all():
        mse = float("inf")
        wave_mse = torch.nan_to_num(wave_mse, nan=float("inf"))
    return Evaluation(
        mse,
        wave_mse,
        err.mean(dim=0).double(),
        horizons.double().mean().item(),
        horizons,
        teacher_mse,
        generated,
        truth,
        threshold,
    )
