"""save/load: exact round trip, atomic writes, and refusal of files that would run code."""

from __future__ import annotations

import builtins
import json
import os

import pytest
import torch

import lstm_lib
from lstm_lib import TrainConfig, load, save, sine_waves, train
from lstm_lib.training import checkpoint


@pytest.fixture(scope="module")
def result():
    config = TrainConfig(method="weighted+denoising", iterations=4, n_hidden=4, seed=3, clip=2.0)
    r = train(config, sine_waves(3, 20, 3.0, seed=1), progress=False)
    r.extra = {"note": "hello", "values": [1, 2.5]}
    return r


def test_round_trip(result, tmp_path):
    path = tmp_path / "sub" / "model.pt"
    save(result, path)
    back = load(path)
    assert torch.equal(back.W, result.W) and back.W.dtype == result.W.dtype
    assert torch.equal(back.history, result.history)
    assert torch.equal(back.seconds, result.seconds)
    assert back.config == result.config
    assert back.spec == result.spec
    assert back.final_mse == result.final_mse
    assert back.wall_seconds == result.wall_seconds
    assert back.evaluations == result.evaluations
    assert back.extra == result.extra
    assert os.listdir(path.parent) == ["model.pt"]  # no temporary files left behind
    # loaded weights predict exactly as the originals
    x = sine_waves(2, 10, 3.0, seed=5)
    assert torch.equal(lstm_lib.predict(back.W, back.spec, x), lstm_lib.predict(result.W, result.spec, x))


def test_save_overwrites(result, tmp_path):
    path = tmp_path / "model.pt"
    save(result, path)
    other = load(path)
    other.extra = {"second": True}
    save(other, path)
    assert load(path).extra == {"second": True}
    assert os.listdir(tmp_path) == ["model.pt"]


def _failing_save(obj, f, *args, **kwargs):
    if hasattr(f, "write"):  # save() hands torch.save an open file
        f.write(b"PK\x03\x04 half a file")
    else:
        with open(f, "wb") as fh:
            fh.write(b"PK\x03\x04 half a file")
    raise OSError("disk full")


def test_write_is_atomic(result, tmp_path, monkeypatch):
    monkeypatch.setattr(torch, "save", _failing_save)
    path = tmp_path / "model.pt"
    with pytest.raises(OSError, match="disk full"):
        save(result, path)
    assert not path.exists()
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_previous_file(result, tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    save(result, path)
    before = path.read_bytes()
    monkeypatch.setattr(torch, "save", _failing_save)
    with pytest.raises(OSError):
        save(result, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]


class Exploit:
    """Unpickling this calls ``open(marker, "w")``, which creates the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


def test_pickled_code_is_refused_and_never_runs(result, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save(
        {"W": result.W, "history": result.history, "seconds": result.seconds, "meta": Exploit(str(marker))}, path
    )
    assert not marker.exists()
    with pytest.raises(ValueError, match="not a checkpoint of this library.*could run any code") as info:
        load(path)
    assert "weights_only" not in str(info.value), "torch's advice to load it unsafely is not passed on"
    assert not marker.exists()
    # the file really is dangerous: an unsafe load runs the code
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_os_system_payload_refused(tmp_path):
    marker = tmp_path / "ran"

    class Shell:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save(Shell(), path)
    with pytest.raises(ValueError):
        load(path)
    assert not marker.exists()


def test_truncated_file_refused(result, tmp_path):
    path = tmp_path / "model.pt"
    save(result, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="not a valid"):
            load(path)


def test_garbage_and_foreign_files_refused(result, tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(os.urandom(256))
    with pytest.raises(ValueError):
        load(path)
    torch.save({"x": torch.zeros(3)}, path)  # a valid torch file, not a checkpoint
    with pytest.raises(ValueError):
        load(path)
    torch.save(torch.zeros(3), path)
    with pytest.raises(ValueError):
        load(path)


def _forge(path, **changes):
    """Rewrite a checkpoint's fields and re-sign it, as a forger who knows the format would."""
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    meta = changes.get("meta", payload["meta"])
    tensors = {n: payload[n] for n in checkpoint.TENSORS}
    if all(isinstance(t, torch.Tensor) for t in tensors.values()):
        payload["checksum"] = checkpoint.checksum(meta, tensors)
    torch.save(payload, path)


def test_inconsistent_checkpoint_refused(result, tmp_path):
    path = tmp_path / "model.pt"
    save(result, path)
    W = torch.load(path, weights_only=True)["W"]
    _forge(path, W=W[:-1])
    with pytest.raises(ValueError, match="W must be 1-D"):
        load(path)
    save(result, path)
    meta = torch.load(path, weights_only=True)["meta"]
    _forge(path, meta=meta.replace("lstm_lib-checkpoint-2", "other-format"))
    with pytest.raises(ValueError, match="format"):
        load(path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda W: W.clone().fill_(float("nan")), "NaN"),
        (lambda W: W.to(torch.int64), "dtype"),
        (lambda W: W.to(torch.bool), "dtype"),
        (lambda W: W.to(torch.complex128), "dtype"),
        (lambda W: W.to(torch.float16), "dtype"),
    ],
    ids=["nan", "int", "bool", "complex", "half"],
)
def test_bad_weights_refused(result, tmp_path, change, message):
    path = tmp_path / "model.pt"
    save(result, path)
    _forge(path, W=change(torch.load(path, weights_only=True)["W"]))
    with pytest.raises(ValueError, match=message):
        load(path)


def test_config_inconsistent_with_spec_and_non_tensor_history_refused(result, tmp_path):
    path = tmp_path / "model.pt"
    save(result, path)
    meta = json.loads(torch.load(path, weights_only=True)["meta"])
    meta["config"]["n_hidden"] += 1
    _forge(path, meta=json.dumps(meta))
    with pytest.raises(ValueError, match="n_hidden"):
        load(path)
    save(result, path)
    payload = torch.load(path, weights_only=True)
    payload["history"] = [1.0, 2.0]
    torch.save(payload, path)
    with pytest.raises(ValueError, match="history is not a tensor"):
        load(path)


def test_flipped_byte_in_weights_refused(result, tmp_path):
    """Bit rot in W's stored bytes: the zip still opens, the checksum catches it."""
    path = tmp_path / "model.pt"
    save(result, path)
    data = bytearray(path.read_bytes())
    raw = result.W.numpy().tobytes()
    offset = bytes(data).find(raw)
    assert offset > 0
    data[offset + 5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        load(path)


def test_deeply_nested_meta_refused(result, tmp_path):
    path = tmp_path / "model.pt"
    save(result, path)
    payload = torch.load(path, weights_only=True)
    payload["meta"] = "[" * 100_000 + "]" * 100_000
    torch.save(payload, path)
    with pytest.raises(ValueError, match="not a valid"):
        load(path)


def test_version_1_checkpoint_refused_naming_the_format(result, tmp_path):
    path = tmp_path / "model.pt"
    save(result, path)
    meta = torch.load(path, weights_only=True)["meta"]
    _forge(path, meta=meta.replace("lstm_lib-checkpoint-2", "lstm_lib-checkpoint-1"))
    with pytest.raises(ValueError, match="lstm_lib-checkpoint-2"):
        load(path)


def test_checkpoint_has_the_users_umask(result, tmp_path):
    old = os.umask(0o027)
    try:
        save(result, tmp_path / "model.pt")
    finally:
        os.umask(old)
    assert (tmp_path / "model.pt").stat().st_mode & 0o777 == 0o640


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.pt")
