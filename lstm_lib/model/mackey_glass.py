"""The Mackey-Glass series by Jaeger's protocol, with the same bits on every machine.

The delay equation dx/dt = a x(t - tau) / (1 + x(t - tau)^n) - b x(t), with a = 0.2, b = 0.1,
n = 10 and tau = 17, is the standard benchmark of free-running prediction (Jaeger, GMD Report 148,
2001; Jaeger and Haas, Science 2004). The protocol: Euler steps of 0.1, every 10th value kept (one
step of the series is one time unit), squashed as tanh(x - 1) for the network.

Only IEEE additions, multiplications and divisions (``x**10`` as products) and a seeded uniform
history enter the series, so it is the same on every CPU; the squashing uses the correctly rounded
tanh (:mod:`lstm_lib.model.exact`), not the CPU's.
"""

from __future__ import annotations

import numpy as np

from lstm_lib.model.exact import correctly_rounded_tanh
from lstm_lib.validation import check_float, check_int, check_seed

A, B, POWER, TAU = 0.2, 0.1, 10, 17.0
EULER_STEP = 0.1
SUBSAMPLE = 10
MAX_STEPS = 1_000_000
"""The most values one call computes (a pure-Python loop: about a second per 100,000 Euler steps)."""
HISTORY_LEVEL, HISTORY_SPREAD = 1.2, 0.2
"""The history on [-tau, 0]: ``1.2 + 0.2 * (u - 0.5)`` with ``u`` uniform from the seed, one value per Euler step."""


def _tenth_power(x: float) -> float:
    x2 = x * x
    x8 = (x2 * x2) * (x2 * x2)
    return x8 * x2


def history(seed: int, tau: float = TAU, step: float = EULER_STEP) -> np.ndarray:
    """The seeded history x(-tau), ..., x(0) at the Euler step (``round(tau / step) + 1`` values)."""
    check_seed("seed", seed)
    n = _delay_steps(tau, step)
    u = np.random.default_rng(seed).random(n + 1)  # PCG64 and its doubles are integer arithmetic: the same anywhere
    return HISTORY_LEVEL + HISTORY_SPREAD * (u - 0.5)


def _delay_steps(tau: float, step: float) -> int:
    check_float("tau", tau, low=0, low_open=True, high=1e4)
    check_float("step", step, low=0, low_open=True, high=1.0)
    n = round(tau / step)
    if abs(n * step - tau) > 1e-9 * tau:
        raise ValueError(f"tau must be a whole number of Euler steps: tau={tau}, step={step}")
    return n


def mackey_glass(
    n_steps: int,
    seed: int = 0,
    tau: float = TAU,
    step: float = EULER_STEP,
    subsample: int = SUBSAMPLE,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """``n_steps`` values of the series (original coordinates, float64), one every ``subsample`` Euler steps,
    the first at t = 0. The history is :func:`history` of ``seed``, or ``start`` (``round(tau/step) + 1`` values)."""
    for name, value, most in (("n_steps", n_steps, MAX_STEPS), ("subsample", subsample, 10_000)):
        if check_int(name, value, 1) > most:
            raise ValueError(f"{name} must be an int in [1, {most}], got {value}")
    delay = _delay_steps(tau, step)
    past = history(seed, tau, step) if start is None else np.asarray(start, dtype=np.float64)
    if past.shape != (delay + 1,) or not np.isfinite(past).all():
        raise ValueError(f"start must hold {delay + 1} finite values (x(-tau) .. x(0)), got shape {past.shape}")
    xs = past.tolist()  # Python floats: IEEE doubles, one rounding per operation
    out = [xs[-1]]
    for k in range((n_steps - 1) * subsample):
        x, lagged = xs[-1], xs[-1 - delay]
        xs.append(x + step * (A * lagged / (1.0 + _tenth_power(lagged)) - B * x))
        if (k + 1) % subsample == 0:
            out.append(xs[-1])
        if len(xs) > 4 * (delay + 1):
            del xs[: len(xs) - (delay + 1)]
    return np.array(out, dtype=np.float64)


def squash(x: np.ndarray) -> np.ndarray:
    """Jaeger's squashing, tanh(x - 1), correctly rounded: the network's coordinates."""
    return correctly_rounded_tanh(np.asarray(x, dtype=np.float64) - 1.0)


def unsquash(y: np.ndarray) -> np.ndarray:
    """Back to the original coordinates, where NRMSE is measured: atanh(y) + 1."""
    return np.arctanh(np.asarray(y, dtype=np.float64)) + 1.0


def nrmse(predicted: np.ndarray, truth: np.ndarray, variance: float) -> float:
    """sqrt(mean squared error / variance of the series), Jaeger's NRMSE (both in original coordinates)."""
    check_float("variance", variance, low=0, low_open=True)
    predicted, truth = np.asarray(predicted, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted and truth must have the same shape, got {predicted.shape} and {truth.shape}")
    return float(np.sqrt(np.mean((predicted - truth) ** 2) / variance))


PUBLISHED_LYAPUNOV = 0.0056
"""The largest Lyapunov exponent of tau = 17 (natural log, per time unit), as computed by the RK4 method of the
Lyapunov-spectrum tables after Farmer (Physica D 4, 1982): one Lyapunov time is about 180 steps of the series."""


def largest_lyapunov_exponent(seed: int = 0, time: float = 20_000.0, every: float = 10.0, step: float = EULER_STEP,
                              separation: float = 1e-8) -> float:  # fmt: skip
    """The largest Lyapunov exponent (per time unit) of the integrated equation, by two trajectories: the second
    starts ``separation`` away along the whole delay state, and every ``every`` time units the distance between the
    states (the last ``tau/step + 1`` Euler values) is measured and scaled back to ``separation`` (Benettin's
    method). The first 1000 time units are a washout."""
    delay = _delay_steps(TAU, step)
    per = round(every / step)
    washout = mackey_glass(round(1000 / step) + 1, seed, step=step, subsample=1)
    a = washout[-(delay + 1) :]
    b = a + separation / np.sqrt(delay + 1)
    total = 0.0
    segments = round(time / every)

    def advance(state: np.ndarray) -> np.ndarray:
        return np.concatenate([state, mackey_glass(per + 1, start=state, step=step, subsample=1)[1:]])[-(delay + 1) :]

    for _ in range(segments):
        a, b_run = advance(a), advance(b)
        distance = float(np.linalg.norm(b_run - a))
        total += np.log(distance / separation)
        b = a + (b_run - a) * (separation / distance)
    return total / (segments * every)
