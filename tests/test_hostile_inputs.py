"""Hostile but fair inputs are refused before any work: exit 2, one bounded line naming the input."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch

from lstm_lib import cli, load, save, sine_waves, train
from lstm_lib.training import checkpoint as ckpt
from lstm_lib.training.config import TrainConfig

TINY = ["--iterations", "3", "--n-hidden", "4", "--n-train", "2", "--length", "12", "--quiet"]


@pytest.fixture
def no_training(monkeypatch):
    """Any training started fails the test: the refusal must come first."""
    import lstm_lib.study.experiments as ex
    import lstm_lib.training.train as tr

    def fail(*args, **kwargs):
        raise AssertionError("training started before the input was checked")

    monkeypatch.setattr(tr, "train", fail)
    monkeypatch.setattr(ex, "train_and_evaluate", fail)


def _refused(argv: list[str], capsys, flag: str) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and "Traceback" not in err, err
    assert len(err) <= cli.MAX_MESSAGE + 100
    return err


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "m.pt"
    save(train(TrainConfig(iterations=3, n_hidden=4), sine_waves(2, 12, 4.0), progress=False), path)
    return path


# ---------------------------------------------------------------- item 3: the YAML bomb


def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [{','.join([f'*a{k - 1}'] * 9)}]")
    return "\n".join(lines) + f"\nmethod: *a{levels - 1}\n"


def test_yaml_bomb_is_refused_at_once_with_a_short_message(tmp_path, capsys, no_training):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(9))
    assert len(path.read_bytes()) < 600
    start = time.perf_counter()
    line = _refused(["train", "--config", str(path)], capsys, "--config")
    assert time.perf_counter() - start < 2 and "alias" in line


def test_huge_and_non_utf8_config_refused(tmp_path, capsys, no_training):
    big = tmp_path / "big.yaml"
    big.write_text("lr: 0.1\n" + "#" * 100_000 + "\n")
    assert "larger than" in _refused(["train", "--config", str(big)], capsys, "--config")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"method: caf\xe9\n")
    assert "UTF-8" in _refused(["train", "--config", str(latin)], capsys, "--config")


def test_long_value_is_quoted_as_a_bounded_excerpt(tmp_path, capsys, no_training):
    path = tmp_path / "long.yaml"
    path.write_text("method: " + "x" * 50_000 + "\n")
    line = _refused(["train", "--config", str(path)], capsys, "--config")
    assert "x" * 100 not in line


# ---------------------------------------------------------------- items 6, 7, 9: paths and edge values


@pytest.mark.parametrize("period", ["1e-310", "1e300", "nan", "1e-4"])
def test_extreme_period_refused(period, capsys, no_training):
    assert "period" in _refused(["train", *TINY, "--period", period], capsys, "--period")


def test_train_out_folder_empty_or_unwritable_refused_before_training(tmp_path, capsys, no_training, monkeypatch):
    _refused(["train", *TINY, "--out", str(tmp_path)], capsys, "--out")
    _refused(["train", *TINY, "--out", ""], capsys, "--out")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # a read-only folder, also as root
    _refused(["train", *TINY, "--out", str(tmp_path / "m.pt")], capsys, "--out")


def test_compare_cache_dir_file_empty_or_read_only_refused_before_training(tmp_path, capsys, no_training, monkeypatch):
    afile = tmp_path / "file"
    afile.write_text("x")
    base = ["compare", *TINY, "--seeds", "1", "--methods", "plain"]
    _refused([*base, "--cache-dir", str(afile)], capsys, "--cache-dir")
    _refused([*base, "--cache-dir", ""], capsys, "--cache-dir")
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert "not writable" in _refused([*base, "--cache-dir", str(tmp_path)], capsys, "--cache-dir")


def test_generate_huge_steps_and_bad_paths_refused(model, tmp_path, capsys):
    _refused(["generate", "--checkpoint", str(model), "--steps", "1000000000"], capsys, "--steps")
    _refused(["generate", "--checkpoint", str(tmp_path)], capsys, "--checkpoint")
    _refused(["generate", "--checkpoint", str(model), "--out-csv", str(tmp_path)], capsys, "--out-csv")
    _refused(["generate", "--checkpoint", str(model), "--out-png", ""], capsys, "--out-png")


def test_nested_json_checkpoint_is_a_usage_error(model, tmp_path, capsys):
    payload = torch.load(model, weights_only=True)
    payload["meta"] = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "nested.pt"
    torch.save(payload, path)
    _refused(["generate", "--checkpoint", str(path)], capsys, "--checkpoint")


def test_nan_weights_are_refused_by_generate(model, tmp_path, capsys):
    payload = torch.load(model, weights_only=True)
    payload["W"] = torch.full_like(payload["W"], float("nan"))
    payload["checksum"] = ckpt.checksum(payload["meta"], {n: payload[n] for n in ckpt.TENSORS})
    path = tmp_path / "nan.pt"
    torch.save(payload, path)
    out = tmp_path / "g.csv"
    assert "NaN" in _refused(["generate", "--checkpoint", str(path), "--out-csv", str(out)], capsys, "--checkpoint")
    assert not out.exists()


# ---------------------------------------------------------------- item 10: file modes


def test_cli_outputs_follow_the_umask(model, tmp_path, capsys):
    old = os.umask(0o022)
    try:
        csv, png = tmp_path / "g.csv", tmp_path / "g.png"
        argv = ["generate", "--checkpoint", str(model), "--steps", "5", "--out-csv", str(csv), "--out-png", str(png)]
        assert cli.main(argv) == 0
        out = tmp_path / "m.pt"
        assert cli.main(["train", *TINY, "--out", str(out)]) == 0
    finally:
        os.umask(old)
    for path in (csv, png, out):
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert load(out).config.iterations == 3
