"""Sine waves to learn from, and the noise of the denoising trick."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from lstm_lib.model.exact import correctly_rounded_sin
from lstm_lib.validation import check_float, check_int, check_seed

PERIOD_RANGE = (1e-3, 1e9)
"""Time scales ``T`` that give real waves: below, ``t / T`` overflows (a subnormal ``T`` makes NaN);
above, the phase shifts of ``[-4T, 4T)`` no longer fit an int64 and every wave is flat."""
MAX_VALUES = 5_000_000
"""The most values one call may draw (40 MB in float64, about a minute of exact sines): a bigger request is
refused, not attempted."""


def check_period(period: object) -> float:
    return check_float("period", period, low=PERIOD_RANGE[0], high=PERIOD_RANGE[1])


def draw_shifts(n: int, period: float, seed: int) -> torch.Tensor:
    """``n`` integer phase shifts drawn uniformly from ``[-4*period, 4*period)``, as the PyTorch example does."""
    check_int("n", n, 1)
    check_period(period)
    check_seed("seed", seed)
    low, high = math.floor(-4 * period), math.ceil(4 * period)  # never an empty range, even for tiny periods
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(low, high, (n,), generator=gen, dtype=torch.int64)


def sine_waves(
    n: int, length: int, period: float = 20.0, seed: int = 0, shift: torch.Tensor | None = None, start: int = 0
) -> torch.Tensor:
    """``n`` waves ``x[k, t] = sin((t + shift[k]) / period)`` for ``t = start .. start+length-1``.

    ``period`` is the time scale ``T`` of the PyTorch example's ``sin(x / T)``, not the wave's
    period: one full oscillation takes ``2*pi*period`` steps (about 126 steps for ``period=20``).
    ``shift`` defaults to :func:`draw_shifts` (integers in ``[-4*period, 4*period)`` from ``seed``).
    The shifts do not depend on ``length``, so a longer call with the same arguments gives the
    true continuation of a shorter one; ``start`` gives it directly.
    Every value is the correctly rounded sine (:mod:`lstm_lib.model.exact`), so the bits are the same
    on every machine. Returns a float64 tensor of shape (n, length, 1).
    """
    check_int("n", n, 1)
    check_int("length", length, 1)
    check_period(period)
    check_int("start", start, 0)
    if n * length > MAX_VALUES:
        raise ValueError(f"n * length must be at most {MAX_VALUES} values, got {n} * {length}")
    if shift is None:
        shift = draw_shifts(n, period, seed)
    elif not isinstance(shift, torch.Tensor) or tuple(shift.shape) != (n,):
        raise ValueError(f"shift must be a tensor of shape ({n},), got {getattr(shift, 'shape', type(shift).__name__)}")
    t = np.arange(start, start + length, dtype=np.float64)
    angles = (t[None, :] + shift.to(torch.float64).numpy()[:, None]) / period
    return torch.from_numpy(correctly_rounded_sin(angles)).unsqueeze(-1)


def add_noise(x: torch.Tensor, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A copy of ``x`` with Gaussian noise of standard deviation ``std`` (the denoising trick).

    Only ever applied to the network's inputs; the targets stay clean. The noise is drawn on the
    generator's device (the CPU for a plain ``torch.Generator()``) and then moved to ``x``'s, so a
    CUDA run sees exactly the draws of the CPU run and differs from it by rounding only.
    """
    check_float("std", std, low=0)
    if std == 0:
        return x.clone()
    device = generator.device if generator is not None else x.device
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=device)
    return x + std * noise.to(x.device)


def band_parameters(n: int, period: float, spread: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(periods, phases)`` of ``n`` waves: time scales uniform in ``period * [1 - spread, 1 + spread]``,
    phases uniform in ``[0, 2*pi)``, both continuous (so two seeds never draw the same wave)."""
    check_int("n", n, 1)
    check_period(period)
    check_float("spread", spread, low=0, high=1, high_open=True)
    check_seed("seed", seed)
    gen = torch.Generator().manual_seed(seed)
    u = torch.rand(n, 2, generator=gen, dtype=torch.float64)
    return period * (1 + spread * (2 * u[:, 0] - 1)), 2 * math.pi * u[:, 1]


def wave_band(n: int, length: int, period: float, spread: float, seed: int, start: int = 0) -> torch.Tensor:
    """``n`` waves ``sin(t / T_k + phi_k)`` with ``(T_k, phi_k)`` from :func:`band_parameters`.

    A band of time scales (``spread`` > 0) lets held-out waves have other frequencies than the
    training waves yet stay inside the trained band. As in :func:`sine_waves`, ``period`` is the
    time scale ``T``: one oscillation takes ``2*pi*T`` steps. The angles are IEEE divisions and additions
    and the sine is correctly rounded, so the float64 bits are the same on every CPU. Returns a fresh
    float64 tensor of shape (n, length, 1); repeated calls reuse the computed values.
    """
    check_int("length", length, 1)
    check_int("start", start, 0)
    if n * length > MAX_VALUES:
        raise ValueError(f"n * length must be at most {MAX_VALUES} values, got {n} * {length}")
    band_parameters(n, period, spread, seed)  # validates n, period, spread and seed before the slow part
    return torch.from_numpy(_band_values(n, length, float(period), float(spread), seed, start).copy()).unsqueeze(-1)


@lru_cache(maxsize=256)
def _band_values(n: int, length: int, period: float, spread: float, seed: int, start: int) -> np.ndarray:
    """The values of :func:`wave_band`, cached: a study asks for the same seeds' waves many times."""
    periods, phases = (v.numpy() for v in band_parameters(n, period, spread, seed))
    t = np.arange(start, start + length, dtype=np.float64)
    values = correctly_rounded_sin(t[None, :] / periods[:, None] + phases[:, None])
    values.flags.writeable = False
    return values
