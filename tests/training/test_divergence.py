"""One divergence rule: training and the port both stop a run by lstm_lib.training.divergence.diverged."""

from __future__ import annotations

import math

import pytest

from lstm_lib.port import example as port
from lstm_lib.training import divergence, train
from lstm_lib.training.divergence import BLOWUP_FACTOR, diverged


@pytest.mark.parametrize("loss", [math.nan, math.inf, -math.inf])
def test_a_loss_that_is_not_finite_has_diverged_at_any_scale(loss):
    assert diverged(loss, 1.0) and diverged(loss, 1e300, factor=1e300)


@pytest.mark.parametrize("scale, factor", [(1.0, 1e3), (0.37, 1e6), (2.5e4, 10.0)])
def test_the_bound_is_factor_times_scale_and_is_exclusive(scale, factor):
    bound = factor * scale
    assert not diverged(bound, scale, factor)
    assert diverged(math.nextafter(bound, math.inf), scale, factor)
    assert not diverged(0.0, scale, factor) and not diverged(-bound, scale, factor)


def test_training_uses_the_rule_with_its_factor():
    assert divergence.BLOWUP_FACTOR == 1e6
    assert train.BLOWUP_FACTOR is BLOWUP_FACTOR  # re-exported, not redefined
    assert diverged(1e6 * 2.0 * 1.01, 2.0) and not diverged(1e6 * 2.0 * 0.99, 2.0)


def test_the_port_stops_by_the_rule_with_its_own_factor(monkeypatch):
    settings = port.PortSettings(seed=1, n_waves=6, length=20, steps=2, future=8)
    assert not port.run(settings).exploded  # its first losses (about 0.5) are far below EXPLODE_AT = 1e3
    monkeypatch.setattr(port, "EXPLODE_AT", 1e-3)  # a bound below the sines' first MSE
    low = port.run(settings)
    assert low.exploded_at == 0 and len(low.train_loss) == 1
    assert low.train_loss[0] > 1e-3
