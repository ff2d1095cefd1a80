"""The experiment cache trusts nothing it reads: bit rot is caught, bad folders are refused before training."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import pytest
import torch

from lstm_lib import TrainConfig, sine_waves
from lstm_lib.runs import experiments as ex
from lstm_lib.runs import store
from lstm_lib.runs.experiments import EvalSettings, FixedTask, compare
from lstm_lib.runs.trial import train_and_evaluate

DATA = sine_waves(3, 30, 4.0, seed=1)
EVAL = sine_waves(2, 30, 4.0, seed=2)
SPEC = EvalSettings((20,), 8)
TASK = FixedTask(DATA, EVAL, SPEC)
TINY = TrainConfig(iterations=20, n_hidden=8)


@pytest.fixture(scope="module")
def run():
    return train_and_evaluate(TINY, DATA, EVAL, SPEC)


def _same(a, b) -> bool:
    return (
        a.row == b.row
        and torch.equal(a.history, b.history)
        and torch.equal(a.seconds, b.seconds)
        and torch.equal(a.W, b.W)
        and a.history.dtype == b.history.dtype
        and a.W.dtype == b.W.dtype
    )


def test_every_single_bit_flip_is_caught_or_harmless(tmp_path, run):
    """300 random single-bit flips in one entry: each is reported (``None``) or returns the very same run."""
    path, key = tmp_path / "k.pt", "k"
    ex._store(path, key, run)
    clean = path.read_bytes()
    rng = random.Random(0)
    caught = 0
    for _ in range(300):
        bit = rng.randrange(len(clean) * 8)
        damaged = bytearray(clean)
        damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(damaged))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            got = ex._fetch(path, key)
        if got is None:
            caught += 1
            assert any("damaged" in str(w.message) for w in seen)
        else:
            assert _same(got, run), f"bit {bit} changed what the cache returned"
    assert caught > 100  # most bytes of an entry matter


def test_one_changed_digit_in_a_stored_row_is_caught(tmp_path, run):
    path, key = tmp_path / "k.pt", "k"
    ex._store(path, key, run)
    payload = torch.load(path, weights_only=True)
    row = json.loads(payload["row"])
    row["final_mse"] = row["final_mse"] + 0.35
    payload["row"] = json.dumps(row)
    torch.save(payload, path)
    with pytest.warns(UserWarning, match="checksum"):
        assert ex._fetch(path, key) is None
    assert not path.exists()


def test_cache_dir_that_is_a_file_or_empty_is_refused_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "train_and_evaluate", lambda *a: pytest.fail("trained before checking cache_dir"))
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ValueError, match="cache_dir"):
        compare([TINY], [1], TASK, workers=1, cache_dir=afile)
    with pytest.raises(ValueError, match="cache_dir"):
        compare([TINY], [1], TASK, workers=1, cache_dir="")


def test_read_only_cache_is_refused_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "train_and_evaluate", lambda *a: pytest.fail("trained before checking cache_dir"))
    monkeypatch.setattr(ex.os, "access", lambda path, mode: False)  # also as root, who may write anywhere
    with pytest.raises(ValueError, match="not writable"):
        compare([TINY], [1], TASK, workers=1, cache_dir=tmp_path)


def test_damaged_entry_that_cannot_be_deleted_is_recomputed(tmp_path, run, monkeypatch):
    path, key = tmp_path / "k.pt", "k"
    path.write_bytes(b"rot")

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.warns(UserWarning, match="damaged"):
        assert ex._fetch(path, key) is None


def test_failed_store_warns_and_keeps_the_run(tmp_path, run, monkeypatch):
    def full(path, write):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "atomic_write", full)
    with pytest.warns(UserWarning, match="not written"):
        ex._store(tmp_path / "k.pt", "k", run)


def test_folder_named_like_a_key_is_recomputed_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "source_hash", lambda: "pinned")
    key = ex.cache_key(TINY.replace(seed=1), ex.tensor_hash(DATA), ex.tensor_hash(EVAL), SPEC)
    (tmp_path / f"{key}.pt").mkdir()
    with pytest.warns(UserWarning):
        table = compare([TINY], [1], TASK, workers=1, cache_dir=tmp_path)
    assert len(table.rows) == 1


def test_cache_entries_have_the_users_umask(tmp_path, run):
    import os

    old = os.umask(0o022)
    try:
        ex._store(tmp_path / "k.pt", "k", run)
    finally:
        os.umask(old)
    assert (tmp_path / "k.pt").stat().st_mode & 0o777 == 0o644
