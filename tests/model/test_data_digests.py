"""The data are the same bits on every machine: literal SHA-256 digests, checked under other MKL paths.

The digests below were taken once and must never change: a change means that another machine
(or another MKL code path, or another library version) feeds the models other numbers. Each
value is also checked against an independent reference, the sine computed by mpmath's public
API at 200 bits and rounded once, so a failure names the first value that is off and why.
``MKL_CBWR`` changes MKL's arithmetic the way another CPU does; the whole module is rerun under
each setting in a fresh interpreter (MKL reads it once, at load).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import torch

from lstm_lib.model.data import band_parameters
from lstm_lib.port import example as port
from lstm_lib.settings import study_for

ROOT = Path(__file__).resolve().parents[2]
SEEDS = (0, 7, 23)

DIGESTS = {
    # (what, regime, seed, dtype): SHA-256 of the little-endian values, shape (waves, steps)
    # taken once, on the machine that wrote results/ (see the module docstring)
    ("train", "easy", 0, "float64"): "252d226660f3e90547a113208a3153f39be1a70012fea8d0c5c5ede66cd5842a",
    ("train", "easy", 0, "float32"): "75eb7a11ad8426ed16dad40f7b0d6d5f7ee66ec05b4bbe9910e2689664250bb7",
    ("train", "easy", 7, "float64"): "bee311786c70c9d09569458d20a52f86f04cb9f1d5828879eae7ee128f9e1dfb",
    ("train", "easy", 7, "float32"): "008c085fd9e867c20fdc226185babb599fa18b43d7495ef0301734833e93ef1b",
    ("train", "easy", 23, "float64"): "a8135f10aa42bed85ac410f985d928dde09e963a4c220aa93ee4f6bf30ca92d2",
    ("train", "easy", 23, "float32"): "c0837e2ed1edd155cc0262d1f818bc0a1e042866174515b3fcce42e095742bf1",
    ("held-out", "easy", 10000, "float64"): "2c02f5e28c5976d744539438fd338e4622dcc22eb5f3370cac23197caa3a0061",
    ("held-out", "easy", 10000, "float32"): "ac64647cf3c877129121fbaa72a18a2a636b05cf1a2d893d689a14aa8350c249",
    ("train", "hard", 0, "float64"): "d97516a9819fa57a9de234155ce95287c1f4b2c706bf645b5decf65dccd37dbe",
    ("train", "hard", 0, "float32"): "d8f1dd82eb5193c419bd0bc827cb1c6859fea19063e3ee0806094e129da322de",
    ("train", "hard", 7, "float64"): "ba97b4a55fd4f921d766fecc0408f704b9e438f6f1b1150739342c2f239fb620",
    ("train", "hard", 7, "float32"): "1e6f342af66a463c2e9f7f6956d40af2abb6531b08d45ce4f0cdcdc75bd4079a",
    ("train", "hard", 23, "float64"): "5da60876f9c8899dbfe1bee1ea4de1fcf490693294ab54504e0fc2dd98479dca",
    ("train", "hard", 23, "float32"): "8424177d175d65302e537d08db7effe8252a805add9d6ac3c464a798fc72da76",
    ("held-out", "hard", 10000, "float64"): "dbd0f8a3f906d897edcab5ec560987f405e12574121ab15d84d12d3466403cfd",
    ("held-out", "hard", 10000, "float32"): "de044feb06978be3e3c69d2351c366438b2a4412db5e9c3bbba01525c2eb56f4",
    ("port", "example", 2, "float64"): "91da11f81e3b95dd774486ae8f89be7294ddb1c2e0c035d9bc44011d215e8edd",
    ("port", "example", 2, "float32"): "f7b9f6bc5cfbe504f1197ea2897ded77536f5b63eeabc6e529d45f00b9e0b115",
}


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).tobytes()).hexdigest()


def _fed(values: torch.Tensor, dtype: torch.dtype) -> np.ndarray:
    """What a model of ``dtype`` is fed: the float64 data after the cast."""
    return values[..., 0].to(dtype).numpy()


def data_under_test() -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    """``key -> (float64 values, angles)`` for every pinned data set (angles ``None`` for the port)."""
    study = study_for("full")
    out = {}
    for regime in ("easy", "hard"):
        task = study.task(regime)
        for seed in SEEDS:
            periods, phases = (v.numpy() for v in band_parameters(task.n_train, task.period, task.spread, seed))
            angles = np.arange(task.length)[None, :] / periods[:, None] + phases[:, None]
            out[("train", regime, seed)] = (task.train_data(seed)[..., 0].numpy(), angles)
        periods, phases = (v.numpy() for v in band_parameters(task.n_test, task.period, task.spread, task.test_seed))
        steps = max(task.prime_lengths) + task.horizon
        out[("held-out", regime, task.test_seed)] = (
            task.test_data()[..., 0].numpy(),
            np.arange(steps)[None, :] / periods[:, None] + phases[:, None],
        )
    shifts = np.random.RandomState(2).randint(-4 * port.PERIOD, 4 * port.PERIOD, 100)
    out[("port", "example", 2)] = (port.example_waves(100, 2000).numpy(), (np.arange(2000) + shifts[:, None]) / 20.0)
    return out


def observed_digests() -> dict[tuple, str]:
    digests = {}
    for (what, regime, seed), (values, _) in data_under_test().items():
        for dtype in (torch.float64, torch.float32):
            digests[(what, regime, seed, str(dtype).removeprefix("torch."))] = _digest(
                _fed(torch.from_numpy(values)[..., None], dtype)
            )
    return digests


def _reference_sin(angle: float) -> float:
    with mpmath.workprec(200):
        return float(mpmath.sin(mpmath.mpf(angle)))


def test_values_are_the_correctly_rounded_sines_of_their_angles():
    for key, (values, angles) in data_under_test().items():
        flat_v, flat_a = values.ravel(), angles.ravel()
        stride = 1 if key[0] != "port" else 37  # the port's 200,000 values: every 37th, to stay quick
        for i in range(0, flat_v.size, stride):
            want = _reference_sin(float(flat_a[i]))
            if flat_v[i] != want:
                idx = np.unravel_index(i, values.shape)
                pytest.fail(
                    f"{key}: value {tuple(int(j) for j in idx)} is {flat_v[i]!r} ({flat_v[i].hex()}), but the"
                    f" correctly rounded sine of its angle {flat_a[i]!r} is {want!r} ({want.hex()})"
                )


def test_digests_are_the_pinned_ones():
    observed = observed_digests()
    assert set(observed) == set(DIGESTS), "the pinned data sets changed"
    for key, digest in DIGESTS.items():
        assert observed[key] == digest, f"{key}: the data's SHA-256 changed (see the value test for the first value)"


@pytest.mark.skipif(os.environ.get("LSTM_LIB_DIGEST_CHILD") == "1", reason="already the rerun")
@pytest.mark.parametrize("switch", ["MKL_CBWR=COMPATIBLE", "MKL_CBWR=AVX2", "ATEN_CPU_CAPABILITY=default"])
def test_same_digests_under_other_arithmetic(switch):
    name, value = switch.split("=")
    env = {**os.environ, name: value, "LSTM_LIB_DIGEST_CHILD": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "pinned or rounded"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"under {switch}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
