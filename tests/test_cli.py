"""``python -m lstm_lib``: each subcommand works end to end with tiny settings, and bad flags fail fast.

Most tests call ``cli.main(argv)`` in-process (fast); one runs the real ``python -m lstm_lib``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest
import torch

from lstm_lib import cli, load
from lstm_lib.model.data import wave_band
from lstm_lib.runs.task import WaveTask
from lstm_lib.training.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--iterations", "3", "--n-hidden", "4", "--n-train", "2", "--length", "12", "--quiet"]
CONFIG_FLAGS = ["--" + f.name.replace("_", "-") for f in dataclasses.fields(TrainConfig)] + ["--config"]
DATA_FLAGS = ["--n-train", "--length", "--period", "--spread"]
EXPECTED = {
    "train": [*CONFIG_FLAGS, *DATA_FLAGS, "--data-seed", "--out", "--quiet"],
    "generate": [
        "--checkpoint",
        "--steps",
        "--prime-length",
        "--period",
        "--seed",
        "--n-waves",
        "--out-csv",
        "--out-png",
    ],
    "compare": [
        "--methods",
        "--seeds",
        *[f for f in CONFIG_FLAGS if f not in ("--method", "--seed")],
        *DATA_FLAGS,
        "--n-test",
        "--prime-length",
        "--horizon",
        "--threshold",
        "--workers",
        "--cache-dir",
        "--no-cache",
        "--quiet",
    ],
    "book": ["--profile", "--chapter", "--no-execute", "--no-build"],
}


def _fails(argv: list[str], capsys) -> str:
    """Run ``main(argv)``, expect exit status 2, return its single stderr line."""
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    return lines[0]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "model.pt"
    assert cli.main(["train", *TINY, "--method", "denoising", "--seed", "3", "--out", str(path)]) == 0
    return path


def test_train_writes_a_loadable_checkpoint(checkpoint: Path, capsys) -> None:
    result = load(checkpoint)
    assert result.config == TrainConfig(method="denoising", seed=3, iterations=3, n_hidden=4)
    assert result.spec.n_hidden == 4 and result.history.shape == (3,)
    assert not list(checkpoint.parent.glob(".*.tmp")), "atomic write left a temporary file"


def test_train_prints_loss_and_seconds(tmp_path: Path, capsys) -> None:
    assert cli.main(["train", *TINY]) == 0
    out = capsys.readouterr().out
    assert "final loss" in out and "seconds:" in out


def test_config_file_with_flag_override(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text("method: weighted\nlr: 1\niterations: 50\nclip: 2.0\n")
    args = cli.build_parser().parse_args(["train", "--config", str(cfg), "--iterations", "7", "--clip", "none"])
    config = cli.config_from_args(args)
    assert config == TrainConfig(method="weighted", lr=1.0, iterations=7, clip=None)


def test_generate_writes_csv_and_png(checkpoint: Path, tmp_path: Path, capsys) -> None:
    out_csv, out_png = tmp_path / "gen.csv", tmp_path / "gen.png"
    argv = ["generate", "--checkpoint", str(checkpoint), "--steps", "7", "--prime-length", "5", "--n-waves", "2"]
    assert cli.main([*argv, "--period", "4", "--seed", "9", "--out-csv", str(out_csv), "--out-png", str(out_png)]) == 0
    with out_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["wave", "step", "generated", "truth"]
    assert len(rows) == 2 * 7
    assert [int(r["step"]) for r in rows[:7]] == list(range(5, 12))
    truth = torch.tensor(
        [[float(r["truth"]) for r in rows if r["wave"] == str(k)] for k in range(2)], dtype=torch.float64
    )
    assert torch.equal(truth, wave_band(2, 12, 4.0, WaveTask().spread, 9)[:, 5:, 0])  # the true continuation
    assert torch.isfinite(torch.tensor([float(r["generated"]) for r in rows])).all()
    image = matplotlib.image.imread(out_png)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_generate_is_deterministic(checkpoint: Path, tmp_path: Path, capsys) -> None:
    files = []
    for k in range(2):
        path = tmp_path / f"g{k}.csv"
        assert cli.main(["generate", "--checkpoint", str(checkpoint), "--steps", "4", "--out-csv", str(path)]) == 0
        files.append(path.read_bytes())
    assert files[0] == files[1]


def test_compare_prints_a_summary_table(tmp_path: Path, capsys) -> None:
    argv = ["compare", "--methods", "plain", "denoising", "--seeds", "0", "1", *TINY, "--n-test", "2"]
    argv += ["--prime-length", "6", "--horizon", "5", "--cache-dir", str(tmp_path), "--workers", "1"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "95% interval" in out
    lines = out.splitlines()
    assert any(line.startswith("plain, adagrad ") for line in lines)
    assert any(line.startswith("denoising (std 0.05), adagrad") for line in lines)
    assert any(line.startswith("final_mse") or "final_mse mean" in line for line in lines)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["train", "--lr", "-1"], "--lr"),
        (["train", "--iterations", "0"], "--iterations"),
        (["train", "--weight-rate", "2"], "--weight-rate"),
        (["train", "--clip", "-3"], "--clip"),
        (["train", "--n-train", "0"], "--n-train"),
        (["train", "--data-seed", "-1"], "--data-seed"),
        (["train", "--method", "bogus"], "--method"),
        (["train", "--dtype", "float16"], "--dtype"),
        (["train", "--iterations", "many"], "--iterations"),
        (["train", "--no-such-flag"], "--no-such-flag"),
        (["generate", "--checkpoint", "/nonexistent/model.pt"], "--checkpoint"),
        (["generate", "--checkpoint", "x.pt", "--steps", "0"], "--steps"),
        (["generate", "--checkpoint", "x.pt", "--period", "0"], "--period"),
        (["compare", "--seeds", "-2"], "--seeds"),
        (["compare", "--methods", "plain", "--workers", "0"], "--workers"),
        (["compare", "--methods", "nope"], "--methods"),
        (["compare", "--lr", "0"], "--lr"),
        (["book", "--profile", "medium"], "--profile"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(argv: list[str], flag: str, capsys) -> None:
    line = _fails(argv, capsys)
    assert flag in line and "error" in line


def test_validation_message_names_field_and_range(capsys) -> None:
    line = _fails(["train", "--lr", "-1"], capsys)
    assert "error: --lr: lr must be a finite number in (0, inf), got -1.0" in line


def test_config_file_errors(tmp_path: Path, capsys) -> None:
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("lr: 0.1\nlearning_rate: 3\n")
    assert "--config" in _fails(["train", "--config", str(unknown)], capsys)
    bad = tmp_path / "bad.yaml"
    bad.write_text("n_hidden: 0\n")
    line = _fails(["train", "--config", str(bad)], capsys)
    assert "--config" in line and "n_hidden" in line
    assert "--config" in _fails(["train", "--config", str(tmp_path / "missing.yaml")], capsys)


def test_damaged_checkpoint_is_a_usage_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "junk.pt"
    path.write_bytes(b"not a checkpoint")
    assert "--checkpoint" in _fails(["generate", "--checkpoint", str(path)], capsys)


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(EXPECTED))
def test_help_documents_every_flag(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for flag in EXPECTED[command]:
        assert flag in text, f"{command} --help does not mention {flag}"
    for action in _subparsers()[command]._actions:
        assert action.help, f"{command}: {action.option_strings} has no help text"
        for option in action.option_strings:
            assert option in text


def test_python_dash_m_exit_status() -> None:
    cmd = [sys.executable, "-m", "lstm_lib", "train", "--lr", "-1"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "python -m lstm_lib train: error: --lr: lr must be a finite number in (0, inf), got -1.0"
    ]
