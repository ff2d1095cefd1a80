"""The echo state network against reservoirpy, the field's maintained library (an optional test dependency):
the same reservoir must give the same states, the same readout and the same free run."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lib.model.esn import EsnSettings, draw_reservoir, fit_readout, forecast, teacher_states
from lstm_lib.model.mackey_glass import mackey_glass, squash
from lstm_lib.validation import SettingError

rpy = pytest.importorskip("reservoirpy.nodes", reason="reservoirpy is the optional reference of the ESN")

SERIES = squash(mackey_glass(700, seed=3))
SETTINGS = EsnSettings(units=60, density=0.2, spectral_radius=0.9)


def _their_reservoir(res):
    return rpy.Reservoir(units=res.W.shape[0], lr=1.0, W=res.W, Win=res.w_fb[:, None], bias=res.w_bias, input_dim=1)


def test_states_readout_and_free_run_equal_reservoirpys():
    res = draw_reservoir(SETTINGS, 1)
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(res.W))), SETTINGS.spectral_radius, rtol=1e-12)
    mine = teacher_states(res, SERIES)
    node = _their_reservoir(res)
    theirs = node.run(SERIES[:-1, None])
    assert np.abs(theirs - mine).max() <= 1e-13  # the same arithmetic, term for term
    readout = fit_readout(mine, SERIES[1:], washout=100, ridge=1e-3)
    ridge = rpy.Ridge(ridge=1e-3)
    ridge.fit(mine[100:], SERIES[1:, None][100:])
    # a well-conditioned ridge: both solve the same centred normal equations, to rounding
    assert np.abs(ridge.Wout[:, 0] - readout[:-1]).max() <= 1e-8
    assert abs(float(np.ravel(ridge.bias)[0]) - readout[-1]) <= 1e-8
    # the free run: reservoirpy's node stepped by hand, its readout fed back as the next input
    prime, horizon = SERIES[:400], 50
    drawn = forecast(res, readout, prime, horizon)
    node = _their_reservoir(res)
    node.run(prime[:-1, None])
    y, theirs_drawn = prime[-1], []
    for _ in range(horizon):
        state = node.run(np.array([[y]]))
        y = float(ridge.run(state)[0, 0])
        theirs_drawn.append(y)
    assert np.abs(np.array(theirs_drawn) - drawn).max() <= 1e-7


def test_settings_refuse_what_no_reservoir_can_be():
    for bad, field in [
        ({"units": 0}, "units"),
        ({"density": 0.0}, "density"),
        ({"spectral_radius": -1}, "spectral_radius"),
    ]:
        with pytest.raises(SettingError) as info:
            EsnSettings(**bad)
        assert info.value.field == field
    with pytest.raises(ValueError, match="horizon"):
        forecast(draw_reservoir(EsnSettings(units=5, density=1.0), 0), np.zeros(6), SERIES[:10], 0)
