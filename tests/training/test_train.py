"""Training: every method learns, runs are reproducible, divergence and clipping behave."""

from __future__ import annotations

import importlib
import math

import pytest
import torch

import lstm_lib
from lstm_lib import SGD, Spec, TrainConfig, TrainingDiverged, init_params, sine_waves, train

torch.set_num_threads(1)

# ``lstm_lib.training.train`` is the function (re-exported by the package); the module is reached by name.
train_module = importlib.import_module("lstm_lib.training.train")

SMALL = {"iterations": 200, "lr": 0.05, "n_hidden": 16}


@pytest.fixture(scope="module")
def waves():
    return sine_waves(8, 60, 4.0, seed=1)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("method", ["plain", "weighted", "denoising"])
def test_every_method_cuts_the_loss_tenfold(method, seed, reference_predict):
    data = sine_waves(8, 60, 4.0, seed=seed)
    result = train(TrainConfig(method=method, seed=seed, **SMALL), data, progress=False)
    h = result.history
    assert h.shape == (SMALL["iterations"],) and torch.isfinite(h).all()
    # history is each method's own objective (weighted and/or noisy), so this compares like with like
    assert h[0] / h[-1] >= 10
    # and the clean one-step MSE, computed by torch.nn.LSTM, improved just as much
    x, y = data[:, :-1], data[:, 1:]
    init = (reference_predict(init_params(result.spec, seed), result.spec, x) - y).square().mean().item()
    final = (reference_predict(result.W, result.spec, x) - y).square().mean().item()
    assert result.final_mse == pytest.approx(final, rel=1e-9)
    assert init / final >= 10


def test_history_starts_at_the_objective_of_the_initial_weights(waves, reference_predict):
    x, y = waves[:, :-1], waves[:, 1:]
    spec = Spec(1, 16, 1)
    err = (reference_predict(init_params(spec, 4), spec, x) - y).square()
    plain = train(TrainConfig(seed=4, iterations=1, n_hidden=16), waves, progress=False)
    assert plain.history[0].item() == pytest.approx(err.sum().item(), rel=1e-12)
    rate = 0.9
    weights = torch.tensor([math.pow(rate, t) for t in range(x.shape[1])], dtype=torch.float64)
    weighted = train(
        TrainConfig(method="weighted", weight_rate=rate, seed=4, iterations=1, n_hidden=16), waves, progress=False
    )
    assert weighted.history[0].item() == pytest.approx((err * weights[None, :, None]).sum().item(), rel=1e-12)
    assert plain.evaluations == weighted.evaluations == 1
    assert plain.spec == spec and plain.W.shape == (spec.size,)


def test_noise_touches_inputs_only(waves, monkeypatch):
    targets, inputs = [], []
    real_loss, real_predict = train_module.squared_error, train_module.predict

    def recording_loss(pred, target, weights=None):
        targets.append(target.detach().clone())
        return real_loss(pred, target, weights)

    def recording_predict(W, spec, x, backend="fused"):
        inputs.append(x.detach().clone())
        return real_predict(W, spec, x, backend)

    monkeypatch.setattr(train_module, "squared_error", recording_loss)
    monkeypatch.setattr(train_module, "predict", recording_predict)
    config = TrainConfig(method="denoising", noise_std=0.1, iterations=5, n_hidden=4)
    train(config, waves, progress=False)
    clean_x, clean_y = waves[:, :-1], waves[:, 1:]
    assert len(targets) == len(inputs) == config.iterations + 1  # + the final clean evaluation
    for target in targets:
        assert torch.equal(target, clean_y)
    for xin in inputs[:-1]:
        assert xin.shape == clean_x.shape
        assert not torch.equal(xin, clean_x)
        assert (xin - clean_x).std().item() == pytest.approx(0.1, rel=0.25)
    assert not torch.equal(inputs[0], inputs[1])  # fresh noise each iteration
    assert torch.equal(inputs[-1], clean_x)  # final_mse is measured on clean inputs


def test_plain_training_sees_clean_inputs(waves, monkeypatch):
    inputs = []
    real_predict = train_module.predict
    monkeypatch.setattr(
        train_module,
        "predict",
        lambda W, spec, x, backend="fused": inputs.append(x.clone()) or real_predict(W, spec, x),
    )
    train(TrainConfig(iterations=3, n_hidden=4), waves, progress=False)
    assert all(torch.equal(x, waves[:, :-1]) for x in inputs)


@pytest.mark.parametrize("method", ["plain", "weighted+denoising"])
def test_same_config_same_data_is_bit_identical(waves, method):
    config = TrainConfig(method=method, iterations=30, n_hidden=8, seed=5)
    a = train(config, waves, progress=False)
    b = train(config, waves.clone(), progress=False)
    assert torch.equal(a.history, b.history)
    assert torch.equal(a.W, b.W)
    assert a.final_mse == b.final_mse
    c = train(config.replace(seed=6), waves, progress=False)
    assert not torch.equal(a.W, c.W)


def test_scan_backend_trains_like_fused(waves):
    config = TrainConfig(iterations=5, n_hidden=6)
    fused = train(config, waves, progress=False)
    scanned = train(config.replace(backend="scan"), waves, progress=False)
    torch.testing.assert_close(fused.history, scanned.history, rtol=1e-10, atol=0)
    torch.testing.assert_close(fused.W, scanned.W, rtol=0, atol=1e-10)


def test_float32_training(waves):
    result = train(TrainConfig(iterations=50, n_hidden=8, dtype="float32"), waves, progress=False)
    assert result.W.dtype == torch.float32
    assert result.history[0] / result.history[-1] > 2


def test_sgd_runs_and_learns(waves):
    result = train(TrainConfig(optimizer="sgd", lr=1e-3, iterations=30, n_hidden=8, seed=1), waves, progress=False)
    assert torch.isfinite(result.history).all()
    assert result.history[-1] < result.history[0] / 5
    assert result.evaluations == 30


def test_lbfgs_runs_and_learns(waves):
    config = TrainConfig(optimizer="lbfgs", lr=1.0, iterations=3, lbfgs_max_iter=4, n_hidden=8, seed=1)
    result = train(config, waves, progress=False)
    assert result.history.shape == (3,) and torch.isfinite(result.history).all()
    assert result.history[-1] < result.history[0] / 5
    assert 3 < result.evaluations <= 3 * 4 + 3  # several loss evaluations per step


def test_divergence_raises_with_iteration_and_config(waves):
    config = TrainConfig(optimizer="sgd", lr=1e6, iterations=50, n_hidden=8, seed=1)
    with pytest.raises(TrainingDiverged) as info:
        train(config, waves, progress=False)
    exc = info.value
    assert isinstance(exc, FloatingPointError)
    assert exc.config == config
    assert 1 <= exc.iteration < config.iterations
    assert not math.isfinite(exc.loss) or exc.loss > train_module.BLOWUP_FACTOR  # the start loss is > 1 here
    assert f"iteration {exc.iteration}" in str(exc)
    # consistent: stopping one step earlier trains to the end with a finite history
    k = exc.iteration
    if k >= 2:
        ok = train(config.replace(iterations=k - 1), waves, progress=False)
        assert torch.isfinite(ok.history).all()
    with pytest.raises(TrainingDiverged) as again:
        train(config.replace(iterations=k), waves, progress=False)
    assert again.value.iteration == k


def test_a_blown_up_but_finite_loss_counts_as_diverged(waves, monkeypatch):
    """A loss 1e6 times its start stops training even though it is finite (L-BFGS's failure mode)."""
    calls = []
    real = train_module.squared_error

    def inflating(pred, target, weights=None):
        calls.append(1)
        loss = real(pred, target, weights)
        return loss * 1e7 if len(calls) > 3 else loss

    monkeypatch.setattr(train_module, "squared_error", inflating)
    config = TrainConfig(iterations=10, n_hidden=4, seed=0)
    with pytest.raises(TrainingDiverged) as info:
        train(config, waves, progress=False)
    assert info.value.iteration == 3 and math.isfinite(info.value.loss)
    calls.clear()

    def large(pred, target, weights=None):
        calls.append(1)
        return real(pred, target, weights) * (1e5 if len(calls) > 3 else 1)

    monkeypatch.setattr(train_module, "squared_error", large)
    result = train(config, waves, progress=False)  # 1e5 times the start is large but not a blow-up
    assert result.history[-1] > 1e4 * result.history[0]


def test_clip_caps_the_gradient_norm(waves, monkeypatch):
    norms = []

    class RecordingSGD(SGD):
        def step(self, grad):
            norms.append(grad.norm().item())
            super().step(grad)

    monkeypatch.setattr(train_module, "SGD", RecordingSGD)
    base = TrainConfig(optimizer="sgd", lr=1.0, iterations=60, n_hidden=8, seed=1)
    with pytest.raises(TrainingDiverged):
        train(base, waves, progress=False)
    unclipped = list(norms)
    assert max(unclipped) > 1.0
    norms.clear()
    result = train(base.replace(clip=1.0), waves, progress=False)
    assert torch.isfinite(result.history).all()
    assert len(norms) == 60
    assert max(norms) <= 1.0 * (1 + 1e-6)
    assert norms[0] == pytest.approx(1.0, rel=1e-6)  # the first gradient is larger than 1, so it was scaled
    assert unclipped[0] > 1.0


def test_progress_false_prints_nothing(waves, capsys):
    train(TrainConfig(iterations=12, n_hidden=4), waves, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    train(TrainConfig(iterations=12, n_hidden=4), waves, progress=True)
    assert capsys.readouterr().err != ""  # the check above is not vacuous


def test_train_rejects_non_config(waves):
    with pytest.raises(ValueError, match="config"):
        train({"iterations": 3}, waves, progress=False)


def test_lstm_lib_exports_training_diverged():
    assert lstm_lib.TrainingDiverged is TrainingDiverged


def test_init_is_the_starting_w_and_the_default_is_init_params(waves, reference_predict):
    spec = Spec(1, 16, 1)
    config = TrainConfig(seed=4, iterations=1, n_hidden=16)
    start = init_params(spec, 9) * 0.5
    kept = start.clone()
    run = train(config, waves, start, progress=False)
    err = (reference_predict(start, spec, waves[:, :-1]) - waves[:, 1:]).square().sum().item()
    assert run.history[0].item() == pytest.approx(err, rel=1e-12)
    assert torch.equal(start, kept)  # copied, not trained in place
    default = train(config, waves, progress=False)
    explicit = train(config, waves, init=init_params(spec, config.seed), progress=False)
    assert torch.equal(default.W, explicit.W) and torch.equal(default.history, explicit.history)


def test_init_is_validated_before_any_work(waves):
    config = TrainConfig(seed=0, iterations=1, n_hidden=16)
    good = init_params(Spec(1, 16, 1), 0)
    for bad, match in (
        (good[:-1], "init must be a 1-D tensor of length spec.size=1169"),
        (good.view(1, -1), "init must be a 1-D tensor"),
        ([0.0] * good.numel(), "init must be a 1-D tensor"),
        (good.float(), "dtype torch.float64"),
        (torch.where(torch.arange(good.numel()) == 3, torch.nan, good), "finite"),
        (torch.where(torch.arange(good.numel()) == 3, torch.inf, good), "finite"),
    ):
        with pytest.raises(ValueError, match=match):
            train(config, waves, init=bad, progress=False)
