"""compare(): rows per config x seed, the on-disk cache, corruption, parallel workers, divergence."""

from __future__ import annotations

import math
import shutil
import warnings

import pytest
import torch

from lstm_lib import TrainConfig, sine_waves, sources, train
from lstm_lib.runs import experiments as ex
from lstm_lib.runs.experiments import EvalSettings, FixedTask, Run, Table, compare
from lstm_lib.stats.statistics import geometric_interval

DATA = sine_waves(3, 30, 4.0, seed=1)
EVAL = sine_waves(2, 30, 4.0, seed=2)
SPEC = EvalSettings((20,), 8)
TASK = FixedTask(DATA, EVAL, SPEC)
TINY = TrainConfig(iterations=20, n_hidden=8)
CONFIGS = [TINY, TINY.replace(method="weighted", weight_rate=0.95)]
SEEDS = [3, 4]
REAL_SOURCE_HASH = ex.source_hash


@pytest.fixture(autouse=True)
def fixed_source_hash(monkeypatch):
    """Other people edit lstm_lib while these tests run: pin the source part of the cache key."""
    monkeypatch.setattr(ex, "source_hash", lambda: "pinned-for-tests")


@pytest.fixture
def count_runs(monkeypatch):
    """Count the trainings compare() starts (in-process only)."""
    calls = []
    real = ex.train_and_evaluate

    def counting(config, *args, **kwargs):
        calls.append(config)
        return real(config, *args, **kwargs)

    monkeypatch.setattr(ex, "train_and_evaluate", counting)
    return calls


def forbid_runs(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("train_and_evaluate called: the cache was missed")

    monkeypatch.setattr(ex, "train_and_evaluate", fail)


def same_rows(a: list[dict], b: list[dict], ignore=("train_seconds",)) -> None:
    assert len(a) == len(b)
    for ra, rb in zip(a, b, strict=True):
        assert ra.keys() == rb.keys()
        for key in ra:
            if key in ignore:
                continue
            va, vb = ra[key], rb[key]
            if isinstance(va, float) and math.isnan(va):
                assert isinstance(vb, float) and math.isnan(vb), key
            else:
                assert va == vb, key


def test_rows_in_config_times_seed_order(tmp_path):
    table = compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    rows = table.rows
    assert [(r["method"], r["seed"]) for r in rows] == [("plain", 3), ("plain", 4), ("weighted", 3), ("weighted", 4)]
    assert [r["label"] for r in rows] == [c.label() for c in CONFIGS for _ in SEEDS]
    assert not any(r["diverged"] for r in rows)
    for run in table.runs:
        assert run.history.shape == (20,)
        assert run.W is not None
    # each row is what a direct train() with that seed gives
    direct = train(CONFIGS[1].replace(seed=4), DATA, progress=False)
    assert rows[3]["final_mse"] == direct.final_mse
    assert rows[3]["final_loss"] == direct.history[-1].item()
    assert torch.equal(table.runs[3].W, direct.W)
    assert table.where(method="weighted", seed=3).rows == [rows[2]]
    assert table.column("seed") == [3, 4, 3, 4]
    assert len(list(tmp_path.glob("*.pt"))) == 4


def test_second_call_hits_the_cache(tmp_path, monkeypatch):
    first = compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    forbid_runs(monkeypatch)
    second = compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    same_rows(first.rows, second.rows, ignore=())
    for a, b in zip(first.runs, second.runs, strict=True):
        assert torch.equal(a.history, b.history) and torch.equal(a.W, b.W)


def test_changing_a_parameter_retrains_only_what_it_affects(tmp_path, count_runs):
    compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    assert len(count_runs) == 4
    count_runs.clear()
    changed = [CONFIGS[0], CONFIGS[1].replace(lr=0.04)]
    table = compare(changed, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    assert [(c.lr, c.seed) for c in count_runs] == [(0.04, 3), (0.04, 4)]
    assert [r["lr"] for r in table.rows] == [0.05, 0.05, 0.04, 0.04]
    count_runs.clear()
    compare(CONFIGS, [5], TASK, workers=1, cache_dir=tmp_path, progress=False)  # a new seed
    assert len(count_runs) == 2
    count_runs.clear()
    compare(
        CONFIGS, SEEDS, FixedTask(DATA * 0.5, EVAL, SPEC), workers=1, cache_dir=tmp_path, progress=False
    )  # new data
    assert len(count_runs) == 4
    count_runs.clear()
    compare(
        CONFIGS, SEEDS, FixedTask(DATA, EVAL, EvalSettings((20,), 5)), workers=1, cache_dir=tmp_path, progress=False
    )
    assert len(count_runs) == 4


def test_library_change_retrains(tmp_path, count_runs, monkeypatch):
    compare([TINY], [1], TASK, workers=1, cache_dir=tmp_path, progress=False)
    monkeypatch.setattr(ex, "source_hash", lambda: "edited")
    compare([TINY], [1], TASK, workers=1, cache_dir=tmp_path, progress=False)
    assert len(count_runs) == 2


def test_source_hash_tracks_training_code_not_cli_or_book(tmp_path, monkeypatch):
    package = tmp_path / "lstm_lib"  # a private copy: the real package is being edited by others
    shutil.copytree(sources.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sources, "PACKAGE", package)
    before = REAL_SOURCE_HASH()
    assert len(before) == 64 and before == REAL_SOURCE_HASH()
    for untouched in ("cli.py", "book/runner.py", "book/nbclean.py", "stats/verdicts.py", "figures/style.py"):
        with open(package / untouched, "a") as fh:
            fh.write("# cannot change a trained result\n")
        assert REAL_SOURCE_HASH() == before, untouched
    with open(package / "model" / "cell.py", "a") as fh:
        fh.write("# the kernel changed\n")
    assert REAL_SOURCE_HASH() != before


@pytest.mark.parametrize("damage", ["garbage", "truncate", "empty", "wrong key"])
def test_corrupted_cache_entry_is_detected_and_recomputed(tmp_path, count_runs, damage):
    first = compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    count_runs.clear()
    key = ex.cache_key(
        CONFIGS[0].replace(seed=4), ex.tensor_hash(DATA), ex.tensor_hash(EVAL), SPEC
    )  # the entry of row 1
    path = tmp_path / f"{key}.pt"
    assert path.exists()
    raw = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00garbage\xff" * 50)
    elif damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a well-formed entry filed under the wrong name
        other = next(p for p in tmp_path.glob("*.pt") if p != path)
        path.write_bytes(other.read_bytes())
    with pytest.warns(UserWarning, match="damaged"):
        second = compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    assert [(c.method, c.seed) for c in count_runs] == [("plain", 4)]
    same_rows(first.rows, second.rows)
    assert torch.equal(first.runs[1].W, second.runs[1].W)
    # repaired: a third call is silent and trains nothing
    count_runs.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=tmp_path, progress=False)
    assert count_runs == []


def test_workers_two_equals_workers_one():
    configs = [TINY.replace(iterations=10)]
    one = compare(configs, [1, 2], TASK, workers=1, cache_dir=None, progress=False)
    two = compare(configs, [1, 2], TASK, workers=2, cache_dir=None, progress=False)
    same_rows(one.rows, two.rows)
    for a, b in zip(one.runs, two.runs, strict=True):
        assert torch.equal(a.history, b.history) and torch.equal(a.W, b.W)


def test_workers_one_does_not_spawn(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("workers=1 must run in-process")

    monkeypatch.setattr(ex, "ProcessPoolExecutor", no_pool)
    table = compare([TINY.replace(iterations=3)], [1, 2], TASK, workers=1, cache_dir=None, progress=False)
    assert len(table.rows) == 2


def test_diverging_config_gives_a_row_not_an_exception(tmp_path, monkeypatch):
    bad = TrainConfig(optimizer="sgd", lr=1e6, iterations=40, n_hidden=8)
    table = compare([TINY, bad], [1], TASK, workers=1, cache_dir=tmp_path, progress=False)
    ok_row, bad_row = table.rows
    assert ok_row["diverged"] is False and ok_row["diverged_at"] == -1
    assert bad_row["diverged"] is True
    assert 0 <= bad_row["diverged_at"] < 40
    assert math.isnan(bad_row["final_mse"]) and math.isnan(bad_row["free_mse"])
    assert table.runs[1].W is None
    summary = {s["label"]: s for s in table.summary()}
    assert summary[bad.label()]["diverged"] == 1 and math.isnan(summary[bad.label()]["final_mse"])
    forbid_runs(monkeypatch)  # diverged runs are cached too
    again = compare([TINY, bad], [1], TASK, workers=1, cache_dir=tmp_path, progress=False)
    same_rows(table.rows, again.rows, ignore=())


def test_compare_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="configs"):
        compare([], [1], TASK, cache_dir=None)
    with pytest.raises(ValueError, match="seeds"):
        compare([TINY], [], TASK, cache_dir=None)
    with pytest.raises(ValueError, match="workers"):
        compare([TINY], [1], TASK, workers=0, cache_dir=None)
    with pytest.raises(ValueError, match="test must have"):
        compare([TINY], [1], FixedTask(DATA, sine_waves(2, 10, 4.0), SPEC), cache_dir=None)
    with pytest.raises(ValueError, match="prime_length"):
        EvalSettings(1, 5)


# ---------------------------------------------------------------- summary


def fake_table(values_by_label: dict[str, list[float]], diverged: dict[str, int] | None = None) -> Table:
    runs = []
    for label, values in values_by_label.items():
        for seed, v in enumerate(values):
            row = {"label": label, "seed": seed, "diverged": False, "final_mse": v, "free_mse": 2 * v}
            runs.append(Run(row, torch.empty(0), torch.empty(0), None))
        for seed in range((diverged or {}).get(label, 0)):
            row = {"label": label, "seed": 100 + seed, "diverged": True, "final_mse": math.nan, "free_mse": math.nan}
            runs.append(Run(row, torch.empty(0), torch.empty(0), None))
    return Table(runs)


def test_summary_groups_rows_and_applies_mean_interval():
    values = {"two": [1.0, 3.0], "three": [0.5, 0.9, 2.0], "ten": [0.1 * k**1.5 for k in range(1, 11)]}
    table = fake_table(values, diverged={"three": 2})
    summary = table.summary(columns=("final_mse", "free_mse"))
    # grouping: one entry per label in first-seen order, counting seeds and diverged runs
    assert [s["label"] for s in summary] == ["two", "three", "ten"]
    by_label = {s["label"]: s for s in summary}
    assert [by_label[k]["seeds"] for k in values] == [2, 5, 10]
    assert [by_label[k]["diverged"] for k in values] == [0, 2, 0]
    for label in values:
        s = by_label[label]
        # the column values, gathered from the rows independently of summary(); diverged rows dropped
        for col in ("final_mse", "free_mse"):
            column = [r[col] for r in table.rows if r["label"] == label and not r["diverged"]]
            mean, low, high = geometric_interval(column)  # errors: the geometric mean and its t-interval
            assert (s[col], s[f"{col}_low"], s[f"{col}_high"]) == (mean, low, high)
            assert 0 < low <= mean <= high
        assert set(s) == {"label", "seeds", "diverged"} | {
            f"{c}{suffix}" for c in ("final_mse", "free_mse") for suffix in ("", "_low", "_high")
        }
    assert by_label["two"]["final_mse"] == pytest.approx(3**0.5) and by_label["two"]["free_mse"] == pytest.approx(
        12**0.5
    )


def test_summary_all_diverged_group_is_nan():
    s = fake_table({"gone": []}, diverged={"gone": 3}).summary(columns=("final_mse",))[0]
    assert s["seeds"] == 3 and s["diverged"] == 3
    assert all(math.isnan(s[k]) for k in ("final_mse", "final_mse_low", "final_mse_high"))


def test_summary_by_other_key():
    values = {"a": [1.0, 2.0], "b": [3.0, 5.0, 4.0]}
    summary = fake_table(values).summary(by="seed", columns=("final_mse",))
    assert [(s["seed"], s["seeds"]) for s in summary] == [(0, 2), (1, 2), (2, 1)]
    for s, column in zip(summary, ([1.0, 3.0], [2.0, 5.0], [4.0]), strict=True):
        mean, low, high = geometric_interval(column)
        assert s["final_mse"] == mean
        assert (s["final_mse_low"], s["final_mse_high"]) == pytest.approx((low, high), nan_ok=True)


def test_summary_single_seed_has_no_interval():
    s = fake_table({"one": [0.7]}).summary(columns=("final_mse",))[0]
    assert s["final_mse"] == 0.7
    assert math.isnan(s["final_mse_low"]) and math.isnan(s["final_mse_high"])


def test_summary_on_compare_rows(tmp_path):
    table = compare([TINY], [3, 4, 5], TASK, workers=1, cache_dir=tmp_path, progress=False)
    (s,) = table.summary()
    mse = [r["final_mse"] for r in table.rows]
    assert len(mse) == 3 and all(v > 0 for v in mse)
    assert s["seeds"] == 3 and s["diverged"] == 0
    assert (s["final_mse"], s["final_mse_low"], s["final_mse_high"]) == geometric_interval(mse)
    assert 0 < s["final_mse_low"] <= s["final_mse"] <= s["final_mse_high"]
    h = [r["horizon"] for r in table.rows]
    assert s["horizon"] == pytest.approx(sum(h) / 3) and s["horizon_low"] >= 0  # counts: arithmetic mean, cut at 0


def test_an_interruption_cancels_the_queued_runs_and_keeps_the_finished_ones(tmp_path, monkeypatch):
    """Stopping a long compare (Ctrl-C, ``kill``) must not leave the pool training every queued run before it
    exits: the queued ones are cancelled; what finished is in the cache."""
    from concurrent.futures import ThreadPoolExecutor

    started = []
    real = ex.train_and_evaluate
    monkeypatch.setattr(ex, "train_and_evaluate", lambda *a: started.append(a[0].seed) or real(*a))

    def stop_after_first(run, cached):
        raise KeyboardInterrupt

    seeds = list(range(8))
    with ThreadPoolExecutor(1) as pool, pytest.raises(KeyboardInterrupt):
        compare([TINY], seeds, TASK, cache_dir=tmp_path, progress=stop_after_first, executor=pool)
    assert len(started) <= 2 < len(seeds)  # the finished run, and at most the one already running
    assert len(list(tmp_path.glob("*.pt"))) == 1
