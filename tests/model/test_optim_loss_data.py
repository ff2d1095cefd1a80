"""Adagrad/SGD against torch.optim, the loss and its weights, and the sine-wave data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lstm_lib import SGD, Adagrad, Spec, add_noise, decay_weights, draw_shifts, init_params, predict, sine_waves
from lstm_lib import squared_error as lib_squared_error


def lstm_loss_problem():
    """The article's objective on small sine waves: a nontrivial, non-convex function of W."""
    spec = Spec(1, 8, 1)
    data = sine_waves(4, 30, 4.0, seed=3)
    x, y = data[:, :-1], data[:, 1:]

    def loss(W: torch.Tensor) -> torch.Tensor:
        return (predict(W, spec, x) - y).square().sum()

    return init_params(spec, 0), loss


# ---------------------------------------------------------------- optimisers


@pytest.mark.parametrize("lr, eps", [(0.05, 1e-10), (0.2, 1e-6)])
def test_adagrad_matches_torch(lr, eps):
    W0, loss = lstm_loss_problem()
    ours = W0.clone().requires_grad_()
    opt = Adagrad(ours, lr=lr, eps=eps)
    ref = torch.nn.Parameter(W0.clone())
    ref_opt = torch.optim.Adagrad([ref], lr=lr, eps=eps, lr_decay=0, initial_accumulator_value=0)
    first = last = None
    for _ in range(100):
        ours.grad = None
        value = loss(ours)
        value.backward()
        opt.step(ours.grad)
        ref_opt.zero_grad()
        loss(ref).backward()
        ref_opt.step()
        first = value.item() if first is None else first
        last = value.item()
    assert (ours.detach() - ref.detach()).abs().max() <= 1e-12
    assert last < first / 2  # the trajectory went somewhere
    assert (ours.detach() - W0).abs().max() > 0.1


def test_adagrad_on_quadratic_matches_closed_form_first_steps():
    # f(w) = sum(a * w**2): g = 2 a w. Step 1 moves every coordinate by lr * sign(g) (up to eps).
    a = torch.tensor([1.0, 10.0, 0.1], dtype=torch.float64)
    w = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    opt = Adagrad(w, lr=0.1, eps=0.0)
    opt.step(2 * a * w)
    torch.testing.assert_close(w, torch.tensor([0.9, -1.9, 2.9], dtype=torch.float64), rtol=0, atol=1e-15)


def test_sgd_matches_torch():
    W0, loss = lstm_loss_problem()
    ours = W0.clone().requires_grad_()
    opt = SGD(ours, lr=0.01)
    ref = torch.nn.Parameter(W0.clone())
    ref_opt = torch.optim.SGD([ref], lr=0.01)
    for _ in range(100):
        ours.grad = None
        loss(ours).backward()
        opt.step(ours.grad)
        ref_opt.zero_grad()
        loss(ref).backward()
        ref_opt.step()
    assert (ours.detach() - ref.detach()).abs().max() <= 1e-12
    assert (ours.detach() - W0).abs().max() > 1e-3


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_optimisers_reject_bad_lr(bad):
    W = torch.zeros(3, dtype=torch.float64)
    for cls in (Adagrad, SGD):
        with pytest.raises(ValueError, match="lr"):
            cls(W, lr=bad)
    with pytest.raises(ValueError, match="eps"):
        Adagrad(W, lr=0.1, eps=-1.0)


# ---------------------------------------------------------------- loss


@pytest.mark.parametrize("rate", [0.5, 0.9, 0.99, 0.999])
@pytest.mark.parametrize("length", [1, 7, 300])
def test_decay_weights_formula(rate, length):
    w = decay_weights(length, rate)
    expected = torch.tensor([math.pow(rate, t) for t in range(length)], dtype=torch.float64)
    assert w.shape == (length,) and w.dtype == torch.float64
    assert w[0] == 1.0
    torch.testing.assert_close(w, expected, rtol=1e-13, atol=0)
    assert torch.all(w[1:] < w[:-1])


def test_decay_weights_rate_one_and_dtype():
    assert torch.equal(decay_weights(50, 1.0), torch.ones(50, dtype=torch.float64))
    w = decay_weights(10, 0.9, dtype=torch.float32)
    assert w.dtype == torch.float32
    torch.testing.assert_close(w, torch.tensor([0.9**t for t in range(10)], dtype=torch.float32))


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.5, float("nan"), float("inf"), True, "0.9"])
def test_decay_weights_rejects_bad_rate(bad):
    with pytest.raises(ValueError, match="rate"):
        decay_weights(10, bad)


def test_decay_weights_rejects_bad_length():
    with pytest.raises(ValueError, match="length"):
        decay_weights(0, 0.9)


def test_squared_error_by_hand():
    pred = torch.tensor([[[1.0], [2.0], [3.0]], [[0.0], [-1.0], [0.5]]], dtype=torch.float64)
    target = torch.tensor([[[0.0], [2.5], [1.0]], [[1.0], [1.0], [0.5]]], dtype=torch.float64)
    # differences: [1, -0.5, 2] and [-1, -2, 0]; squares: [1, 0.25, 4] and [1, 4, 0]
    assert lib_squared_error(pred, target).item() == 1 + 0.25 + 4 + 1 + 4 + 0
    w = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
    # weights broadcast over the batch: time step t of every sequence gets w[t]
    assert lib_squared_error(pred, target, w).item() == (1 * 1 + 0.5 * 0.25 + 0.25 * 4) + (1 * 1 + 0.5 * 4 + 0)


def test_squared_error_weights_broadcast_over_outputs_and_batch():
    gen = torch.Generator().manual_seed(0)
    pred = torch.randn(3, 5, 2, generator=gen, dtype=torch.float64)
    target = torch.randn(3, 5, 2, generator=gen, dtype=torch.float64)
    w = torch.rand(5, generator=gen, dtype=torch.float64)
    total = 0.0
    for k in range(3):
        for t in range(5):
            for j in range(2):
                total += w[t].item() * (pred[k, t, j].item() - target[k, t, j].item()) ** 2
    assert lib_squared_error(pred, target, w).item() == pytest.approx(total, rel=1e-14)


def test_squared_error_rejects_bad_shapes():
    a = torch.zeros(2, 4, 1, dtype=torch.float64)
    with pytest.raises(ValueError, match="same shape"):
        lib_squared_error(a, torch.zeros(2, 3, 1, dtype=torch.float64))
    with pytest.raises(ValueError, match="weights"):
        lib_squared_error(a, a, torch.ones(3, dtype=torch.float64))


# ---------------------------------------------------------------- data


def test_sine_waves_reproduces_the_pytorch_example_recipe():
    shifts = np.random.RandomState(2).randint(-80, 80, 100)
    x = sine_waves(100, 1000, 20.0, shift=torch.from_numpy(shifts))
    expected = np.sin((np.arange(1000) + shifts[:, None]) / 20.0)
    assert x.shape == (100, 1000, 1) and x.dtype == torch.float64
    np.testing.assert_allclose(x[..., 0].numpy(), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("period", [20.0, 4.0, 2.5, 7])
def test_default_shifts_lie_in_range(period):
    shifts = draw_shifts(5000, period, seed=0)
    assert shifts.dtype == torch.int64 and shifts.shape == (5000,)
    assert shifts.min() >= -4 * period and shifts.max() < 4 * period
    assert shifts.min() <= -4 * period + 1 and shifts.max() >= 4 * period - 2  # the whole range is used
    x = sine_waves(5000, 3, period, seed=0)
    t = torch.arange(3, dtype=torch.float64)
    torch.testing.assert_close(x[..., 0], torch.sin((t + shifts[:, None].double()) / period), rtol=0, atol=1e-15)


def test_sine_waves_seeds():
    assert torch.equal(sine_waves(8, 20, 5.0, seed=1), sine_waves(8, 20, 5.0, seed=1))
    assert not torch.equal(sine_waves(8, 20, 5.0, seed=1), sine_waves(8, 20, 5.0, seed=2))


def test_longer_call_continues_shorter_and_start_slices():
    short = sine_waves(6, 50, 7.0, seed=4)
    long = sine_waves(6, 120, 7.0, seed=4)
    assert torch.equal(long[:, :50], short)
    assert torch.equal(sine_waves(6, 70, 7.0, seed=4, start=50), long[:, 50:])
    assert torch.equal(sine_waves(6, 1, 7.0, seed=4, start=119), long[:, 119:])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n": 0}, "n"),
        ({"length": 0}, "length"),
        ({"period": 0.0}, "period"),
        ({"period": -1.0}, "period"),
        ({"start": -1}, "start"),
        ({"seed": -1}, "seed"),
        ({"shift": torch.zeros(3, dtype=torch.int64)}, "shift"),
        ({"shift": [0, 0, 0, 0]}, "shift"),
    ],
)
def test_sine_waves_rejects(kwargs, name):
    args = {"n": 4, "length": 10, "period": 5.0, **kwargs}
    with pytest.raises(ValueError, match=name):
        sine_waves(**args)


def test_add_noise_zero_std_returns_equal_copy():
    x = sine_waves(3, 10, 2.0)
    y = add_noise(x, 0.0)
    assert torch.equal(x, y)
    y += 1
    assert not torch.equal(x, y)  # a copy, not the same storage


def test_add_noise_statistics_and_reproducibility():
    x = torch.zeros(200, 500, 1, dtype=torch.float64)
    original = x.clone()
    noisy = add_noise(x, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(x, original)  # input untouched
    assert abs(noisy.mean().item()) < 0.005
    assert noisy.std().item() == pytest.approx(0.3, rel=0.01)
    assert abs(((noisy / 0.3) ** 4).mean().item() - 3) < 0.1  # Gaussian kurtosis
    again = add_noise(x, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)
    with pytest.raises(ValueError, match="std"):
        add_noise(x, -0.1)
