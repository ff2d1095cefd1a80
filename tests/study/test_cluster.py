"""compare() on a Dask cluster (a LocalCluster: 2 worker processes) gives the rows of one local
process bit for bit, timings aside; the caller alone writes the cache; the CLI's --scheduler and --out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from lstm_lib import TrainConfig, sine_waves
from lstm_lib.cli import main
from lstm_lib.runs import experiments as ex
from lstm_lib.runs.cluster import SCHEDULER_ENV
from lstm_lib.runs.experiments import EvalSettings, FixedTask, compare

distributed = pytest.importorskip("distributed")

DATA = sine_waves(3, 30, 4.0, seed=1)
EVAL = sine_waves(2, 30, 4.0, seed=2)
SPEC = EvalSettings((20,), 8)
TASK = FixedTask(DATA, EVAL, SPEC)
TINY = TrainConfig(iterations=20, n_hidden=8)
CONFIGS = [TINY, TINY.replace(method="denoising", noise_std=0.05)]
SEEDS = [3, 4]
TIMINGS = ("train_seconds",)
CLI = ["--methods", "plain", "weighted", "--seeds", "0", "1", "--iterations", "15", "--n-hidden", "6"]
CLI += ["--n-train", "3", "--length", "40", "--n-test", "2", "--prime-length", "20", "--horizon", "10", "--quiet"]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local_cluster:
        yield local_cluster


def _without_timings(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMINGS} for row in rows]


def _same(a: ex.Table, b: ex.Table) -> None:
    assert repr(_without_timings(a.rows)) == repr(_without_timings(b.rows))  # repr: NaN == NaN, bit for bit
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert torch.equal(ra.history, rb.history)
        assert (ra.W is None and rb.W is None) or torch.equal(ra.W, rb.W)


def _trained_on(cluster) -> int:
    prefix = cluster.scheduler.task_prefixes.get(ex.train_and_evaluate.__name__)  # what compare() submits
    return 0 if prefix is None else prefix.state_counts["memory"]  # transitions into memory: one per task


def test_dask_executor_gives_the_rows_of_one_local_process(cluster, tmp_path: Path, monkeypatch) -> None:
    local = compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=None)
    before = _trained_on(cluster)
    with distributed.Client(cluster) as client:
        remote = compare(CONFIGS, SEEDS, TASK, cache_dir=tmp_path, executor=client.get_executor())
    assert _trained_on(cluster) - before == len(CONFIGS) * len(SEEDS)
    _same(local, remote)
    assert len(list(tmp_path.glob("*.pt"))) == len(CONFIGS) * len(SEEDS), "the caller writes the cache"

    def fail(*args, **kwargs):
        raise AssertionError("trained again: the cache written by the caller was missed")

    monkeypatch.setattr(ex, "train_and_evaluate", fail)
    _same(local, compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path))


def test_a_scheduler_passed_down_sends_compare_to_the_cluster_and_the_variable_does_not(cluster, monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)  # read by the command line only
    before = _trained_on(cluster)
    local = compare(CONFIGS[:1], SEEDS, TASK, workers=1, cache_dir=None)
    assert _trained_on(cluster) == before
    remote = compare(CONFIGS[:1], SEEDS, TASK, workers=1, cache_dir=None, scheduler=cluster.scheduler_address)
    assert _trained_on(cluster) - before == len(SEEDS)
    _same(local, remote)


def test_executor_must_be_an_executor() -> None:
    with pytest.raises(ValueError, match="^executor must be a concurrent.futures.Executor"):
        compare(CONFIGS, SEEDS, TASK, executor="tcp://localhost:8786")


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_cli_scheduler_and_out_match_a_local_run(cluster, tmp_path: Path, capsys) -> None:
    assert main(["compare", *CLI, "--no-cache", "--out", str(tmp_path / "local.csv")]) == 0
    args = ["compare", *CLI, "--no-cache", "--scheduler", cluster.scheduler_address]
    assert main([*args, "--out", str(tmp_path / "dask.csv")]) == 0
    local, remote = _csv(tmp_path / "local.csv"), _csv(tmp_path / "dask.csv")
    assert len(local) == 4 and {"method", "seed", "final_mse", "free_mse", "horizon"} <= set(local[0])
    assert [(r["method"], r["seed"]) for r in local] == [
        ("plain", "0"),
        ("plain", "1"),
        ("weighted", "0"),
        ("weighted", "1"),
    ]
    assert _without_timings(local) == _without_timings(remote)
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


def test_cli_out_refuses_a_directory_before_any_work(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(ex, "compare", lambda *a, **k: pytest.fail("trained despite a bad --out"))
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *CLI, "--no-cache", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--out" in err and "directory" in err and len(err.strip().splitlines()) == 1


def test_cli_scheduler_without_a_cluster_names_the_flag(capsys, monkeypatch) -> None:
    monkeypatch.setattr(ex, "compare", lambda *a, **k: pytest.fail("trained without a scheduler"))
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *CLI, "--no-cache", "--scheduler", " "])
    assert exit_info.value.code == 2 and "--scheduler" in capsys.readouterr().err
