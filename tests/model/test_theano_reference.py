"""The article's computation written in PyTensor (kernel on packed W, scan, square-sum loss,
pytensor.grad, Adagrad as updates) against lstm_lib, float64, to 1e-12."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_lib import BACKENDS, Spec, TrainConfig, init_params, predict, sine_waves, squared_error, train
from lstm_lib.theano_reference import article_functions

TOL = 1e-12
SPEC = Spec(1, 8, 1)
LR = 0.05


@pytest.fixture(scope="module")
def setup():
    data = sine_waves(3, 30, 4.0, seed=2)  # (batch, time, 1), lstm_lib's layout
    W0 = init_params(SPEC, 3)
    return data, W0, article_functions(SPEC, W0.numpy(), LR)


def time_major(data: torch.Tensor) -> np.ndarray:
    return data.transpose(0, 1).numpy()


@pytest.mark.parametrize("backend", BACKENDS)
def test_outputs_loss_and_gradient(setup, backend):
    data, W0, fns = setup
    X = time_major(data)
    W = W0.clone().requires_grad_()
    ys = predict(W, SPEC, data[:, :-1], backend)
    loss = squared_error(ys, data[:, 1:])
    loss.backward()
    their_ys = fns["outputs"](X)
    their_loss, their_grad = fns["loss_grad"](X)
    assert np.abs(ys.detach().transpose(0, 1).numpy() - their_ys).max() <= TOL
    assert abs(loss.item() - float(their_loss)) <= TOL
    assert np.abs(W.grad.numpy() - their_grad).max() <= TOL


def test_twenty_adagrad_steps(setup):
    data, W0, fns = setup
    X = time_major(data)
    fns["W"].set_value(W0.numpy().copy())
    theirs = [float(fns["adagrad"](X)) for _ in range(20)]
    config = TrainConfig(method="plain", optimizer="adagrad", lr=LR, iterations=20, n_hidden=8, backend="scan")
    ours = train(config, data, init=W0, progress=False)
    assert np.abs(ours.history.numpy() - np.array(theirs)).max() <= TOL
    assert np.abs(ours.W.numpy() - fns["W"].get_value()).max() <= TOL
    assert theirs[-1] < theirs[0] / 2  # the 20 steps did learn something


def test_import_pytensor_keeps_its_cache_in_the_repo_and_names_a_missing_compiler(monkeypatch):
    from lstm_lib import theano_reference

    monkeypatch.setenv("PYTENSOR_FLAGS", "")
    monkeypatch.setattr(theano_reference.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="no g\\+\\+ was found"):
        theano_reference.import_pytensor(c_code=True)
    monkeypatch.setenv("PYTENSOR_FLAGS", "")
    theano_reference.import_pytensor()
    flags = theano_reference.os.environ["PYTENSOR_FLAGS"].split(",")
    assert f"base_compiledir={theano_reference.CACHE}" in flags and "cxx=" in flags
    assert theano_reference.CACHE.parts[-2:] == (".cache", "pytensor")
