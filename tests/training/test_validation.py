"""Every bad TrainConfig field and every bad data tensor is refused up front, naming what was wrong."""

from __future__ import annotations

import importlib

import pytest
import torch

from lstm_lib import TrainConfig, sine_waves, train

train_module = importlib.import_module("lstm_lib.training.train")

NAN, INF = float("nan"), float("inf")
BAD_FIELDS = [
    ("iterations", 0),
    ("iterations", 1.5),
    ("iterations", True),
    ("iterations", -3),
    ("lr", 0),
    ("lr", 0.0),
    ("lr", -1),
    ("lr", NAN),
    ("lr", INF),
    ("lr", "0.1"),
    ("noise_std", -0.1),
    ("noise_std", NAN),
    ("noise_std", INF),
    ("weight_rate", 0),
    ("weight_rate", 1.5),
    ("weight_rate", NAN),
    ("n_hidden", 0),
    ("n_hidden", 2.0),
    ("method", "x"),
    ("method", "Plain"),
    ("optimizer", "adam"),
    ("dtype", "float16"),
    ("dtype", torch.float64),
    ("device", "tpu"),
    ("backend", "x"),
    ("clip", 0),
    ("clip", -1),
    ("clip", NAN),
    ("seed", -1),
    ("seed", 2**63),
    ("seed", 0.5),
    ("lbfgs_max_iter", 0),
    ("line_search", "wolfe"),
    ("sampling_schedule", "exponential"),
    ("sampling_start", 1.5),
    ("sampling_start", NAN),
    ("sampling_end", -0.5),
    ("sampling_end", 1.01),
    ("sampling_k", 0.5),
    ("sampling_k", INF),
    ("rollout_prefix", 0),
    ("rollout_prefix", 2.0),
    ("rollout_steps", -1),
    ("rollout_steps", True),
]


@pytest.mark.parametrize("field, bad", BAD_FIELDS, ids=[f"{f}={v!r}" for f, v in BAD_FIELDS])
def test_bad_field_is_named_with_its_value(field, bad):
    with pytest.raises(ValueError) as info:
        TrainConfig(**{field: bad})
    message = str(info.value)
    assert field in message
    assert repr(bad) in message or str(bad) in message


def test_every_field_is_covered_by_the_bad_values():
    import dataclasses

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert fields == {field for field, _ in BAD_FIELDS}


def test_bad_field_rejected_by_replace_and_from_dict():
    with pytest.raises(ValueError, match="lr"):
        TrainConfig().replace(lr=-1.0)
    with pytest.raises(ValueError, match="iterations"):
        TrainConfig.from_dict({"iterations": 0})


def test_from_dict_round_trip_and_unknown_keys():
    config = TrainConfig(method="weighted+denoising", optimizer="sgd", iterations=7, lr=0.2, clip=3.0, seed=9)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig.from_dict({"lr": 1}).lr == 1.0  # YAML's "lr: 1" is an int
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig.from_dict({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"lr": 0.1, "epochs": 3})


def test_cuda_refused_without_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is available here")
    with pytest.raises(ValueError, match="device"):
        TrainConfig(device="cuda")


def test_valid_edge_values_accepted():
    TrainConfig(weight_rate=1.0, noise_std=0.0, iterations=1, n_hidden=1, seed=0, clip=1e-9)
    TrainConfig(seed=2**63 - 1, dtype="float32", backend="scan", optimizer="lbfgs")


def _with(value: float, k: int, t: int) -> torch.Tensor:
    data = sine_waves(4, 20, 3.0)
    data[k, t, 0] = value
    return data


BAD_DATA = {
    "2-D": sine_waves(4, 20, 3.0)[..., 0],
    "length 1": sine_waves(4, 1, 3.0),
    "NaN": _with(NAN, 1, 5),
    "inf": _with(INF, 0, 0),
    "int": torch.zeros(4, 20, 1, dtype=torch.int64),
    "empty batch": torch.zeros(0, 20, 1, dtype=torch.float64),
    "list": [[[0.0], [1.0]]],
}


@pytest.mark.parametrize("name", list(BAD_DATA))
def test_train_rejects_bad_data_before_any_work(name, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("training started before the data was checked")

    monkeypatch.setattr(train_module, "init_params", no_work)
    monkeypatch.setattr(train_module, "predict", no_work)
    with pytest.raises(ValueError, match="data"):
        train(TrainConfig(iterations=1, n_hidden=2), BAD_DATA[name], progress=False)
