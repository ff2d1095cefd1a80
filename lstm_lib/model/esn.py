"""An echo state network (Jaeger, GMD Report 148, 2001): the best known free-running predictor of Mackey-Glass.

A fixed random sparse reservoir of tanh units is driven by its own output through feedback weights
and a constant bias; only the linear readout is trained, by ridge regression on the states the
teacher forces (the true series fed back), after a washout. To draw the series by itself the
network feeds its readout back instead. Jaeger adds a little noise to the states while they are
collected, which keeps the free run stable; ``state_noise`` is that noise.

This is plain numpy in float64: a few hundred units and a few thousand steps take a fraction of a
second, so the book runs it live. ``tests/model/test_esn.py`` checks it against reservoirpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_lib.fields import Settings, setting
from lstm_lib.validation import check_int, check_seed


@dataclass(frozen=True)
class EsnSettings(Settings):
    """The reservoir's size and scales, and the readout's ridge."""

    units: int = setting(400, "reservoir units (Jaeger's 2001 run: 400)", "int", low=1, high=5000)
    density: float = setting(0.01, "fraction of the reservoir's connections that are non-zero", "float", low=0,
                             high=1, low_open=True)  # fmt: skip
    spectral_radius: float = setting(0.95, "largest absolute eigenvalue of the reservoir matrix", "float",
                                     low=0, low_open=True, high=2)  # fmt: skip
    feedback_scale: float = setting(1.0, "output feedback weights are uniform in [-scale, scale]", "float", low=0,
                                    low_open=True, high=100)  # fmt: skip
    bias_scale: float = setting(0.2, "bias weights are uniform in [-scale, scale]", "float", low=0, high=100)
    state_noise: float = setting(1e-8, "uniform noise in [-s, s] added to the states while they are collected",
                                 "float", low=0, high=1)  # fmt: skip
    ridge: float = setting(1e-12, "ridge regularisation of the readout", "float", low=0, high=1e6)


@dataclass(frozen=True)
class Reservoir:
    """A drawn reservoir: ``W`` (units x units), feedback ``w_fb`` and bias ``w_bias`` (units)."""

    W: np.ndarray
    w_fb: np.ndarray
    w_bias: np.ndarray


def draw_reservoir(settings: EsnSettings, seed: int) -> Reservoir:
    """The reservoir of ``seed``: a sparse uniform matrix scaled to ``spectral_radius``, uniform feedback and bias."""
    check_seed("seed", seed)
    rng = np.random.default_rng(seed)
    n = settings.units
    W = rng.uniform(-1, 1, (n, n)) * (rng.random((n, n)) < settings.density)
    radius = float(np.max(np.abs(np.linalg.eigvals(W)))) if n > 1 else float(abs(W[0, 0]))
    if radius == 0:
        raise ValueError(f"the reservoir of seed {seed} has no non-zero eigenvalue: raise density or units")
    W *= settings.spectral_radius / radius
    w_fb = rng.uniform(-settings.feedback_scale, settings.feedback_scale, n)
    w_bias = rng.uniform(-settings.bias_scale, settings.bias_scale, n)
    return Reservoir(W, w_fb, w_bias)


def teacher_states(reservoir: Reservoir, series: np.ndarray, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """States x(1..T) driven by the true series: x(n) = tanh(W x(n-1) + w_fb d(n-1) + w_bias + noise), x(0) = 0.

    Row ``n - 1`` is x(n), the state from which the readout predicts d(n) (``d(0)`` is fed in first).
    """
    d = np.asarray(series, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = np.zeros(reservoir.W.shape[0])
    states = np.empty((d.size - 1, x.size))
    for n in range(d.size - 1):
        drive = reservoir.W @ x + reservoir.w_fb * d[n] + reservoir.w_bias
        if noise:
            drive += noise * rng.uniform(-1, 1, x.size)
        x = np.tanh(drive)
        states[n] = x
    return states


def fit_readout(states: np.ndarray, targets: np.ndarray, washout: int, ridge: float) -> np.ndarray:
    """Ridge regression of ``targets`` on the states after ``washout`` steps, with an unpenalised bias
    (the data centred first): the readout ``[weights..., bias]`` (units + 1)."""
    check_int("washout", washout, 0)
    if washout >= len(states):
        raise ValueError(f"washout must be less than the {len(states)} states, got {washout}")
    X, y = states[washout:], np.asarray(targets, dtype=np.float64)[washout:]
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc = X - x_mean
    weights = np.linalg.solve(Xc.T @ Xc + ridge * np.eye(X.shape[1]), Xc.T @ (y - y_mean))
    return np.append(weights, y_mean - x_mean @ weights)


def train_esn(settings: EsnSettings, series: np.ndarray, washout: int, seed: int) -> tuple[Reservoir, np.ndarray]:
    """Draw the reservoir of ``seed``, collect its teacher-forced states on ``series`` and fit the readout."""
    reservoir = draw_reservoir(settings, seed)
    states = teacher_states(reservoir, series, settings.state_noise, seed)
    return reservoir, fit_readout(states, np.asarray(series)[1:], washout, settings.ridge)


def forecast(reservoir: Reservoir, readout: np.ndarray, prime: np.ndarray, horizon: int) -> np.ndarray:
    """Run in on ``prime`` (teacher-forced, from a zero state), then draw ``horizon`` values by feedback.

    ``prime`` is one series (length,) or a batch of them (batch, length); the result has the same layout
    with ``horizon`` values in place of the run-in (a batch runs as one matrix product per step)."""
    check_int("horizon", horizon, 1)
    prime = np.asarray(prime, dtype=np.float64)
    single = prime.ndim == 1
    batch = prime[None] if single else prime
    if batch.ndim != 2 or batch.shape[1] < 2:
        raise ValueError(f"prime must be (length,) or (batch, length) with length >= 2, got shape {prime.shape}")
    x = np.zeros((batch.shape[0], reservoir.W.shape[0]))
    W_t, weights, bias = reservoir.W.T, readout[:-1], readout[-1]
    for n in range(batch.shape[1] - 1):  # the run-in: the true values fed back
        x = np.tanh(x @ W_t + batch[:, n, None] * reservoir.w_fb + reservoir.w_bias)
    y = batch[:, -1]  # the last true value is fed back first
    out = np.empty((batch.shape[0], horizon))
    for n in range(horizon):
        x = np.tanh(x @ W_t + y[:, None] * reservoir.w_fb + reservoir.w_bias)
        y = x @ weights + bias
        out[:, n] = y
    return out[0] if single else out
