"""CUDA: every method and optimiser runs, reruns are bit-identical with deterministic algorithms on (as
torch documents for cuDNN and cuBLAS; without them only agreement to rounding is promised), CPU and
CUDA agree to rounding, and a checkpoint saved from CUDA loads on the CPU. Skipped where no GPU is
present (CI has none)."""

from __future__ import annotations

import os

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS's deterministic mode needs it before CUDA starts

import pytest
import torch

from lstm_lib import TrainConfig, load, save, sine_waves, train
from lstm_lib.training.config import METHODS

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
]
DATA = sine_waves(4, 40, 4.0, seed=1)


@pytest.fixture
def deterministic():
    """torch's deterministic algorithms and cuDNN's deterministic mode, for the test's duration."""
    before = torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    yield
    torch.use_deterministic_algorithms(before[0])
    torch.backends.cudnn.deterministic = before[1]


AGREEMENT = 1e-6
"""Largest relative difference of CPU and CUDA losses after 20 float64 iterations (rounding only)."""


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("optimizer", ["adagrad", "sgd", "lbfgs"])
def test_every_method_and_optimizer_runs_on_cuda_and_reruns_bit_identically(method, optimizer, deterministic):
    config = TrainConfig(method=method, optimizer=optimizer, iterations=5, n_hidden=8, device="cuda", lr=0.01)
    first, second = train(config, DATA, progress=False), train(config, DATA, progress=False)
    assert torch.isfinite(first.history).all()
    assert torch.equal(first.W, second.W) and torch.equal(first.history, second.history)


@pytest.mark.parametrize("method", METHODS)
def test_cpu_and_cuda_differ_by_rounding_only(method):
    config = TrainConfig(method=method, iterations=20, n_hidden=8, dtype="float64")
    cpu = train(config, DATA, progress=False)
    gpu = train(config.replace(device="cuda"), DATA, progress=False)
    assert torch.allclose(cpu.history, gpu.history, rtol=AGREEMENT, atol=0)


def test_checkpoint_saved_from_cuda_loads_on_the_cpu(tmp_path):
    result = train(TrainConfig(iterations=3, n_hidden=8, device="cuda"), DATA, progress=False)
    save(result, tmp_path / "m.pt")
    back = load(tmp_path / "m.pt")
    assert back.W.device.type == "cpu" and torch.equal(back.W, result.W.cpu())
