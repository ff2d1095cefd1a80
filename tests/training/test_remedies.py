"""The remedies (scheduled sampling, rollout training): their settings, their limits that equal plain
training bit for bit, their objectives against PyTorch's own LSTM, and the article's methods untouched.

References are ``torch.nn.LSTM``/``LSTMCell`` holding ``W``'s weights, closed forms of the schedules,
``torch.autograd.gradcheck``, and plain training itself; never numbers taken from this code's output.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math

import pytest
import torch

from lstm_lib import Spec, TrainConfig, TrainingDiverged, cli, init_params, load, sine_waves, train
from lstm_lib.training import remedies
from lstm_lib.training.config import ARTICLE_METHODS, METHODS, REMEDY_FIELDS
from tests.torch_references import torch_lstm_from_w

torch.set_num_threads(1)
train_module = importlib.import_module("lstm_lib.training.train")

TINY = {"iterations": 5, "n_hidden": 5, "lr": 0.02}
REMEDY_NAMES = [name for names in REMEDY_FIELDS.values() for name in names]
OFF_DEFAULT = {
    "sampling_schedule": "inverse-sigmoid",
    "sampling_start": 0.9,
    "sampling_end": 0.1,
    "sampling_k": 3.0,
    "rollout_prefix": 4,
    "rollout_steps": 3,
}


@pytest.fixture(scope="module")
def waves():
    return sine_waves(4, 30, 4.0, seed=1)


def same_run(a, b) -> bool:
    return torch.equal(a.W, b.W) and torch.equal(a.history, b.history) and a.final_mse == b.final_mse


# ---------------------------------------------------------------- references built from nn.LSTM


def cell_like(lstm: torch.nn.LSTM) -> torch.nn.LSTMCell:
    cell = torch.nn.LSTMCell(lstm.input_size, lstm.hidden_size, dtype=torch.float64)
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    cell.load_state_dict({n: getattr(lstm, f"{n}_l0").detach() for n in names})
    return cell


def grad_of_modules(lstm: torch.nn.LSTM, readout: torch.nn.Linear) -> torch.Tensor:
    """The gradient in ``W``'s documented layout: w_ih, w_hh, b (the bias ``bias_ih`` stands for), w_out, b_out."""
    parts = (lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, readout.weight, readout.bias)
    return torch.cat([p.grad.flatten() for p in parts])


def reference_free_run(W: torch.Tensor, spec: Spec, first: torch.Tensor, steps: int) -> torch.Tensor:
    """Inputs ``first, y_0, y_1, ...``: each the previous output of an ``LSTMCell`` (length ``steps + 1``)."""
    lstm, readout = torch_lstm_from_w(W, spec)
    cell = cell_like(lstm)
    h = c = first.new_zeros(first.shape[0], spec.n_hidden)
    inputs = [first]
    with torch.no_grad():
        for _ in range(steps):
            h, c = cell(inputs[-1], (h, c))
            inputs.append(readout(h))
    return torch.stack(inputs, dim=1)


def reference_rollout(W: torch.Tensor, spec: Spec, x: torch.Tensor, prefix: int, steps: int) -> torch.Tensor:
    """``nn.LSTM`` reads ``x[:, :prefix]``; an ``LSTMCell`` then runs ``steps`` steps on its outputs."""
    lstm, readout = torch_lstm_from_w(W, spec)
    cell = cell_like(lstm)
    with torch.no_grad():
        hs, (h, c) = lstm(x[:, :prefix])
        h, c, y = h[0], c[0], readout(hs[:, -1])
        drawn = []
        for _ in range(steps):
            h, c = cell(y, (h, c))
            y = readout(h)
            drawn.append(y)
    return torch.stack(drawn, dim=1)


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("sampling_schedule", "cosine", "('linear', 'inverse-sigmoid')"),
        ("sampling_start", 1.5, "[0, 1]"),
        ("sampling_start", -0.1, "[0, 1]"),
        ("sampling_end", float("nan"), "[0, 1]"),
        ("sampling_k", 0.5, "[1, inf)"),
        ("rollout_prefix", 0, ">= 1"),
        ("rollout_steps", -1, ">= 0"),
        ("rollout_steps", 1.5, ">= 0"),
    ],
)
def test_bad_remedy_setting_is_refused_naming_the_field_and_range(field, value, allowed):
    with pytest.raises(ValueError, match=f"^{field} must") as info:
        TrainConfig(**{field: value})
    assert allowed in str(info.value)


def test_sampling_end_above_start_is_refused():
    with pytest.raises(ValueError, match="^sampling_end must be <= sampling_start=0.3"):
        TrainConfig(sampling_start=0.3, sampling_end=0.4)


@pytest.mark.parametrize("method", ARTICLE_METHODS)
def test_an_article_config_serialises_as_before_and_reads_without_the_new_keys(method):
    config = TrainConfig(method=method, seed=3, clip=1.0)
    old = {k: v for k, v in dataclasses.asdict(config).items() if k not in REMEDY_NAMES}  # a dict from before
    assert config.to_dict() == old
    assert TrainConfig.from_dict(old) == config
    assert json.dumps(TrainConfig.from_dict(json.loads(json.dumps(old))).to_dict(), sort_keys=True) == json.dumps(
        old, sort_keys=True
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("changes", [{}, OFF_DEFAULT])
def test_every_config_round_trips(method, changes):
    config = TrainConfig(method=method, **changes)
    values = config.to_dict()
    assert TrainConfig.from_dict(values) == config
    assert TrainConfig.from_dict(json.loads(json.dumps(values))) == config
    for name in REMEDY_FIELDS.get(method, ()):
        assert name in values  # a remedy's own settings are always written out
    if changes:
        assert set(OFF_DEFAULT) <= set(values)  # settings changed from their defaults are never dropped


def test_yaml_integers_become_floats():
    config = TrainConfig.from_dict({"method": "scheduled-sampling", "sampling_start": 1, "sampling_end": 0})
    assert isinstance(config.sampling_end, float) and '"sampling_end": 0.0' in json.dumps(config.to_dict())


def test_labels():
    assert TrainConfig(method="plain", **OFF_DEFAULT).label() == TrainConfig().label()
    assert (
        TrainConfig(method="rollout", rollout_steps=7, rollout_prefix=9).label() == "rollout (7 steps after 9), adagrad"
    )
    linear = TrainConfig(method="scheduled-sampling", sampling_end=0.25)
    assert linear.label() == "scheduled-sampling (linear 1 to 0.25), adagrad"
    inverse = TrainConfig(method="scheduled-sampling", sampling_schedule="inverse-sigmoid", sampling_k=50)
    assert inverse.label() == "scheduled-sampling (inverse-sigmoid k 50), adagrad"


def test_a_rollout_needs_memory_for_its_steps():
    plain, rolled = TrainConfig(), TrainConfig(method="rollout", rollout_prefix=10, rollout_steps=5)
    assert TrainConfig(**OFF_DEFAULT).memory_floor(4, 30) == plain.memory_floor(4, 30)
    assert rolled.memory_floor(4, 30) - plain.memory_floor(4, 30) == 8 * 4 * 4 * 15 * plain.n_hidden


# ---------------------------------------------------------------- the article's methods are untouched


@pytest.mark.parametrize("method", ARTICLE_METHODS)
def test_article_methods_ignore_the_remedy_settings(method, waves):
    config = TrainConfig(method=method, **TINY)
    assert same_run(train(config, waves, progress=False), train(config.replace(**OFF_DEFAULT), waves, progress=False))


@pytest.mark.parametrize("method", ARTICLE_METHODS)
def test_article_methods_never_reach_the_remedies(method, waves, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("an article method reached the remedies' code")

    for name in ("scheduled_sampling", "rollout", "sampled_inputs", "rollout_error", "draw_truth"):
        monkeypatch.setattr(remedies, name, forbidden)
    for name in remedies.OBJECTIVES:
        monkeypatch.setitem(remedies.OBJECTIVES, name, forbidden)
    train(TrainConfig(method=method, **TINY), waves, progress=False)


# ---------------------------------------------------------------- scheduled sampling


def test_linear_schedule_runs_from_start_to_end():
    config = TrainConfig(method="scheduled-sampling", iterations=11, sampling_start=0.9, sampling_end=0.4)
    p = [remedies.sampling_probability(config, i) for i in range(11)]
    assert p[0] == 0.9 and p[-1] == pytest.approx(0.4, abs=1e-15)
    for i in range(11):  # Bengio et al.: max(eps, k - c i) with k = 0.9, eps = 0.4, c = 0.05
        assert p[i] == pytest.approx(max(0.4, 0.9 - 0.05 * i), abs=1e-15)
    assert remedies.sampling_probability(config.replace(iterations=1), 0) == 0.9


def test_inverse_sigmoid_schedule_is_bengios():
    config = TrainConfig(method="scheduled-sampling", sampling_schedule="inverse-sigmoid", sampling_k=20.0)
    for i in (0, 1, 10, 59, 500):
        assert remedies.sampling_probability(config, i) == pytest.approx(20 / (20 + math.exp(i / 20)), rel=1e-14)
    p = [remedies.sampling_probability(config, i) for i in range(0, 100_000, 997)]
    assert all(a >= b for a, b in zip(p, p[1:], strict=False)) and 0 <= p[-1] < 1e-300  # no overflow far out


@pytest.mark.parametrize("backend", ["fused", "scan"])
@pytest.mark.parametrize("optimizer", ["adagrad", "lbfgs"])
def test_sampling_probability_one_throughout_is_plain_training_bit_for_bit(backend, optimizer, waves):
    plain = TrainConfig(backend=backend, optimizer=optimizer, lbfgs_max_iter=3, **TINY)
    always_true = plain.replace(method="scheduled-sampling", sampling_start=1.0, sampling_end=1.0)
    assert same_run(train(plain, waves, progress=False), train(always_true, waves, progress=False))


def test_coins_follow_p_and_the_seed(waves):
    x = waves[:, :-1]
    config = TrainConfig(method="scheduled-sampling", sampling_start=0.5, sampling_end=0.5, n_hidden=3)

    def draws(config: TrainConfig) -> list[torch.Tensor]:
        inputs = remedies.scheduled_sampling(config, Spec(1, 3, 1), x, x)[0]
        return [inputs(i) for i in range(3)]

    a, b, c = draws(config), draws(config), draws(config.replace(seed=1))
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert not torch.equal(a[0], c[0]) and not torch.equal(a[0], a[1])
    assert a[0].shape == x.shape[:2] and a[0][:, 0].all()
    assert 0.35 < a[0][:, 1:].double().mean().item() < 0.65
    assert remedies.draw_truth(1.0, 5, 9, torch.Generator()).all()
    assert not remedies.draw_truth(0.0, 5, 9, torch.Generator())[:, 1:].any()


def test_sampled_inputs_are_the_truth_or_the_previous_output(waves):
    spec = Spec(1, 4, 1)
    W, x = init_params(spec, 2), waves[:, :-1]
    truth = remedies.draw_truth(0.5, x.shape[0], x.shape[1], torch.Generator().manual_seed(0))
    mixed = remedies.sampled_inputs(W, spec, x, truth)
    lstm, readout = torch_lstm_from_w(W, spec)
    with torch.no_grad():
        outputs = readout(lstm(mixed)[0])  # nn.LSTM read the mixed inputs: its outputs must be the fed-back ones
    want = torch.where(truth[:, 1:, None], x[:, 1:], outputs[:, :-1])
    assert torch.equal(mixed[:, 0], x[:, 0])
    torch.testing.assert_close(mixed[:, 1:], want, rtol=0, atol=1e-14)
    assert torch.equal(mixed[truth], x[truth])


@pytest.mark.parametrize("backend", ["fused", "scan"])
def test_no_true_inputs_feeds_back_detached_outputs(backend, waves):
    """p = 0: every input after the first is the model's own output, held constant for the gradient."""
    spec = Spec(1, 4, 1)
    W, x, y = init_params(spec, 2), waves[:, :-1], waves[:, 1:]
    config = TrainConfig(method="scheduled-sampling", sampling_start=0.0, sampling_end=0.0, backend=backend)
    inputs, loss_fn = remedies.scheduled_sampling(config, spec, x, y)
    Wg = W.clone().requires_grad_()
    loss = loss_fn(Wg, inputs(0))
    (grad,) = torch.autograd.grad(loss, Wg)

    free = reference_free_run(W, spec, x[:, 0], x.shape[1] - 1)
    lstm, readout = torch_lstm_from_w(W, spec)
    want = (readout(lstm(free)[0]) - y).square().sum()
    want.backward()
    assert loss.item() == pytest.approx(want.item(), rel=1e-12)
    torch.testing.assert_close(grad, grad_of_modules(lstm, readout), rtol=1e-9, atol=1e-12)

    # not detached, the gradient would also run through every fed-back output: a different one
    attached = (attached_free_run(Wg, spec, x[:, 0], x.shape[1]) - y).square().sum()
    (through,) = torch.autograd.grad(attached, Wg)
    assert attached.item() == pytest.approx(want.item(), rel=1e-12)
    assert (through - grad).abs().max() > 1e-3 * grad.abs().max()


def attached_free_run(W: torch.Tensor, spec: Spec, first: torch.Tensor, length: int) -> torch.Tensor:
    """Free-running outputs from ``first``, an ``LSTMCell`` holding views of ``W``: autograd runs through the
    fed-back outputs (``W`` split by the documented layout, as in :func:`torch_lstm_from_w`)."""
    h = spec.n_hidden
    sizes = [4 * h * spec.n_in, 4 * h * h, 4 * h, spec.n_out * h, spec.n_out]
    w_ih, w_hh, b, w_out, b_out = torch.split(W, sizes)
    cell = torch.nn.LSTMCell(spec.n_in, h, dtype=torch.float64, device="meta")
    weights = {"weight_ih": w_ih.view(4 * h, -1), "weight_hh": w_hh.view(4 * h, h), "bias_ih": b}
    weights["bias_hh"] = torch.zeros_like(b)
    hx = cx = first.new_zeros(first.shape[0], h)
    xt, outs = first, []
    for _ in range(length):
        hx, cx = torch.func.functional_call(cell, weights, (xt, (hx, cx)))
        xt = torch.nn.functional.linear(hx, w_out.view(spec.n_out, h), b_out)
        outs.append(xt)
    return torch.stack(outs, dim=1)


def test_scheduled_sampling_trains_deterministically_and_differs_from_plain(waves):
    config = TrainConfig(method="scheduled-sampling", sampling_end=0.3, **TINY)
    a, b = train(config, waves, progress=False), train(config, waves, progress=False)
    assert same_run(a, b) and torch.isfinite(a.history).all()
    plain = train(config.replace(method="plain"), waves, progress=False)
    assert a.history[0] == plain.history[0]  # p_0 = 1: the first objective is the plain one
    assert not torch.equal(a.W, plain.W)


# ---------------------------------------------------------------- rollout


@pytest.mark.parametrize("backend", ["fused", "scan"])
@pytest.mark.parametrize("optimizer", ["adagrad", "lbfgs"])
def test_rollout_of_zero_steps_is_plain_training_bit_for_bit(backend, optimizer, waves):
    plain = TrainConfig(backend=backend, optimizer=optimizer, lbfgs_max_iter=3, **TINY)
    for prefix in (1, 10, 500):  # without steps the prefix plays no part, even one longer than the data
        zero = plain.replace(method="rollout", rollout_steps=0, rollout_prefix=prefix)
        assert same_run(train(plain, waves, progress=False), train(zero, waves, progress=False))


@pytest.mark.parametrize("backend", ["fused", "scan"])
def test_rollout_objective_is_plain_plus_the_free_running_error(backend, waves, reference_predict):
    spec = Spec(1, 6, 1)
    x, y = waves[:, :-1], waves[:, 1:]
    config = TrainConfig(method="rollout", rollout_prefix=7, rollout_steps=12, n_hidden=6, seed=3, iterations=1)
    result = train(config.replace(backend=backend), waves, progress=False)
    W = init_params(spec, 3)
    plain = (reference_predict(W, spec, x) - y).square().sum()
    drawn = reference_rollout(W, spec, x, 7, 12)
    rolled = (drawn - y[:, 7:19]).square().sum()
    assert result.history[0].item() == pytest.approx((plain + rolled).item(), rel=1e-12)
    direct = remedies.rollout_error(W, spec, x, y, 7, 12, backend)
    assert direct.item() == pytest.approx(rolled.item(), rel=1e-12)


@pytest.mark.parametrize("backend", ["fused", "scan"])
def test_rollout_gradient_passes_gradcheck(backend):
    spec = Spec(1, 3, 1)
    data = sine_waves(2, 9, 3.0, seed=4)
    x, y = data[:, :-1], data[:, 1:]
    config = TrainConfig(method="rollout", rollout_prefix=3, rollout_steps=4, n_hidden=3, backend=backend)
    _, loss = remedies.rollout(config, spec, x, y)
    W = (init_params(spec, 1) * 3).requires_grad_()  # larger weights: every gate away from its flat tails
    assert torch.autograd.gradcheck(lambda W: loss(W, x), (W,), eps=1e-6, atol=1e-7, rtol=1e-5)
    assert torch.autograd.gradcheck(
        lambda W: remedies.rollout_error(W, spec, x, y, 3, 4, backend), (W,), eps=1e-6, atol=1e-7, rtol=1e-5
    )


def test_rollout_longer_than_the_data_is_refused_before_training(waves, monkeypatch):
    monkeypatch.setattr(train_module, "Adagrad", lambda *a: pytest.fail("training started"))
    config = TrainConfig(method="rollout", rollout_prefix=20, rollout_steps=10, **TINY)
    with pytest.raises(ValueError, match=r"^rollout_prefix \+ rollout_steps must be at most .* = 29"):
        train(config, waves, progress=False)
    monkeypatch.undo()
    train(config.replace(rollout_steps=9), waves, progress=False)  # 20 + 9 = 29 fits


@pytest.mark.parametrize("method", ["scheduled-sampling", "rollout"])
def test_remedies_diverge_like_the_article_methods(method, waves):
    config = TrainConfig(method=method, optimizer="sgd", lr=1e6, iterations=50, n_hidden=5, rollout_prefix=5)
    config = config.replace(sampling_end=0.0, rollout_steps=5)
    with pytest.raises(TrainingDiverged) as info:
        train(config, waves, progress=False)
    assert info.value.config == config and 1 <= info.value.iteration < 50


def test_rollout_trains_and_records_its_objective(waves):
    config = TrainConfig(method="rollout", rollout_prefix=5, rollout_steps=10, optimizer="lbfgs", lr=0.5)
    config = config.replace(line_search="strong_wolfe", iterations=3, n_hidden=5)
    result = train(config, waves, progress=False)
    assert torch.isfinite(result.history).all() and result.history[-1] < result.history[0]
    assert result.evaluations > 3


# ---------------------------------------------------------------- the command line


def test_cli_trains_a_remedy_and_checks_its_flags(tmp_path, capsys):
    path = tmp_path / "m.pt"
    tiny = ["--iterations", "2", "--n-hidden", "3", "--n-train", "2", "--length", "12", "--quiet"]
    argv = ["train", *tiny, "--method", "rollout", "--rollout-prefix", "3", "--rollout-steps", "2", "--out", str(path)]
    assert cli.main(argv) == 0
    assert load(path).config == TrainConfig(
        method="rollout", rollout_prefix=3, rollout_steps=2, iterations=2, n_hidden=3
    )
    with pytest.raises(SystemExit) as info:
        cli.main(["train", *tiny, "--sampling-end", "2"])
    assert info.value.code == 2 and "--sampling-end" in capsys.readouterr().err
    args = cli.build_parser().parse_args(["compare"])
    assert args.methods == list(ARTICLE_METHODS)  # compare's default stays the article's methods
