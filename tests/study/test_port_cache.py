"""The port's runs go through the checksummed cache every trained run goes through (lstm_lib.runs.store)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch

from lstm_lib import sources
from lstm_lib.port import example as port
from lstm_lib.runs import experiments

SMALL = port.PortSettings(seed=1, n_waves=6, length=20, steps=2, future=8)


@pytest.fixture
def trainings(monkeypatch) -> list[port.PortSettings]:
    """The port runs cached_run trains (a cache hit trains none)."""
    calls = []
    real = port.run

    def counting(settings, data=None):
        calls.append(settings)
        return real(settings, data)

    monkeypatch.setattr(port, "run", counting)
    return calls


def _entry(cache: Path) -> Path:
    (path,) = cache.glob("port-*.pt")
    return path


def _assert_same(a: port.PortRun, b: port.PortRun, timing: bool = True) -> None:
    """Every number, weight and prediction equal, bit for bit (wall times only if ``timing``)."""
    numbers_a, numbers_b = a.to_dict(), b.to_dict()
    if not timing:
        del numbers_a["seconds"], numbers_b["seconds"]
    assert numbers_a == numbers_b
    assert a.predictions.dtype == b.predictions.dtype and torch.equal(a.predictions, b.predictions)
    state_a, state_b = a.model.state_dict(), b.model.state_dict()
    assert state_a.keys() == state_b.keys()
    assert all(state_a[k].dtype == state_b[k].dtype and torch.equal(state_a[k], state_b[k]) for k in state_a)


def test_cached_re_read_is_the_run_bit_for_bit(tmp_path, trainings):
    first = port.cached_run(SMALL, tmp_path)
    assert len(trainings) == 1
    rng = torch.random.get_rng_state()
    again = port.cached_run(SMALL, tmp_path)
    assert len(trainings) == 1  # read, not trained
    assert torch.equal(torch.random.get_rng_state(), rng)  # reading leaves the global RNG alone
    _assert_same(again, first)
    _assert_same(first, port.run(SMALL), timing=False)  # the cached run is the run, trained afresh
    # the weights read back are the trained ones: they predict the stored predictions
    data = port.example_data(SMALL.n_waves, SMALL.length, SMALL.future)
    with torch.no_grad():
        assert torch.equal(again.model(data.test_input, future=SMALL.future), again.predictions)


def _flip_a_bit_of_the_predictions(path: Path, run: port.PortRun) -> None:
    raw = bytearray(path.read_bytes())
    at = raw.find(run.predictions.numpy().tobytes())  # tensors are stored raw, uncompressed
    assert at >= 0
    raw[at + 5] ^= 0x08
    path.write_bytes(bytes(raw))


def _edit_a_number(path: Path, run: port.PortRun) -> None:
    payload = torch.load(path, weights_only=True)
    numbers = json.loads(payload["run"])
    numbers["test_loss"][0] *= 1.5
    payload["run"] = json.dumps(numbers)
    torch.save(payload, path)


def _edit_a_weight(path: Path, run: port.PortRun) -> None:
    payload = torch.load(path, weights_only=True)
    payload["state.linear.bias"] = payload["state.linear.bias"] + 1e-12
    torch.save(payload, path)


def _drop_a_weight(path: Path, run: port.PortRun) -> None:
    payload = torch.load(path, weights_only=True)
    del payload["state.lstm2.weight_hh"]
    torch.save(payload, path)


def _truncate(path: Path, run: port.PortRun) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def _another_runs_entry(path: Path, run: port.PortRun) -> None:
    other = port.cached_run(dataclasses.replace(SMALL, seed=2), path.parent)
    assert other.train_loss != run.train_loss
    (moved,) = (p for p in path.parent.glob("port-*.pt") if p != path)
    shutil.move(moved, path)


DAMAGE = [_flip_a_bit_of_the_predictions, _edit_a_number, _edit_a_weight, _drop_a_weight, _truncate]


@pytest.mark.parametrize("damage", [*DAMAGE, _another_runs_entry], ids=lambda f: f.__name__.strip("_"))
def test_damaged_port_entry_is_reported_and_retrained(tmp_path, trainings, damage):
    first = port.cached_run(SMALL, tmp_path)
    path = _entry(tmp_path)
    damage(path, first)
    trainings.clear()
    with pytest.warns(UserWarning, match="damaged"):  # as the experiments' cache reports it
        again = port.cached_run(SMALL, tmp_path)
    assert trainings == [SMALL]  # never trusted: trained again
    _assert_same(again, first, timing=False)
    trainings.clear()
    _assert_same(port.cached_run(SMALL, tmp_path), again)  # and the fresh entry is read back
    assert trainings == []


def test_a_stored_number_changed_under_its_checksum_is_caught(tmp_path):
    port.cached_run(SMALL, tmp_path)
    _edit_a_number(_entry(tmp_path), None)
    with pytest.warns(UserWarning, match="checksum mismatch"):
        port.cached_run(SMALL, tmp_path)


def _edit_the_data(monkeypatch):
    real = port.example_data

    def halved(*args):
        data = real(*args)
        return dataclasses.replace(data, train_input=data.train_input * 0.5)

    monkeypatch.setattr(port, "example_data", halved)


CHANGES = {
    "settings": lambda monkeypatch: None,  # the run below uses other settings
    "data": _edit_the_data,
    "code": lambda monkeypatch: monkeypatch.setattr(port, "source_hash", lambda: "edited"),
    "torch": lambda monkeypatch: monkeypatch.setattr(torch, "__version__", "0.0.0-another"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_key_covers_settings_data_code_and_torch(tmp_path, trainings, monkeypatch, change):
    port.cached_run(SMALL, tmp_path)
    port.cached_run(SMALL, tmp_path)
    assert len(trainings) == 1
    CHANGES[change](monkeypatch)
    port.cached_run(dataclasses.replace(SMALL, lr=0.7) if change == "settings" else SMALL, tmp_path)
    assert len(trainings) == 2
    assert len(list(tmp_path.glob("port-*.pt"))) == 2


def test_cache_dir_that_is_a_file_is_refused_before_training(tmp_path, trainings):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ValueError, match="cache_dir"):
        port.cached_run(SMALL, afile)
    assert trainings == []


def test_port_source_hash_tracks_the_code_a_port_run_reaches(tmp_path, monkeypatch):
    package = tmp_path / "lstm_lib"  # a private copy: edits must not touch the real package
    shutil.copytree(sources.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sources, "PACKAGE", package)
    before, training = port.source_hash(), experiments.source_hash()
    for untouched in ("cli.py", "figures/port.py", "book/runner.py", "stats/verdicts.py"):
        with open(package / untouched, "a") as fh:
            fh.write("# cannot change a port run\n")
        assert port.source_hash() == before, untouched
    with open(package / "training" / "divergence.py", "a") as fh:
        fh.write("# the divergence rule changed\n")
    after = port.source_hash()
    assert after != before and experiments.source_hash() != training  # one rule: both caches see it
    with open(package / "port" / "example.py", "a") as fh:
        fh.write("# the port changed\n")
    assert port.source_hash() != after
