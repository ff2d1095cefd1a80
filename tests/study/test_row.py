"""One row schema: a trained run, a diverged run, a results file and a summary all use its columns."""

from __future__ import annotations

import math

import pytest

from lstm_lib.runs import row as schema
from lstm_lib.runs.experiments import compare
from lstm_lib.runs.records import provenance, read_rows, write_rows
from lstm_lib.runs.task import WaveTask
from lstm_lib.training.config import TrainConfig

TASK = WaveTask.make(n_train=2, length=24, n_test=2, prime_lengths=(6,), horizon=12)
CONFIGS = [
    TrainConfig(iterations=6, n_hidden=5, dtype="float32"),
    TrainConfig(optimizer="sgd", lr=1e30, iterations=6, n_hidden=5, dtype="float32"),  # diverges at once
]


@pytest.fixture(scope="module")
def table():
    return compare(CONFIGS, [0, 1], TASK, workers=1, cache_dir=None)


def test_trained_and_diverged_rows_hold_exactly_the_schemas_columns(table):
    names = [c.name for c in schema.RUN]
    finished, diverged = table.where(optimizer="adagrad").rows, table.where(optimizer="sgd").rows
    assert finished and diverged and all(r["diverged"] for r in diverged)
    for r in finished + diverged:
        assert sorted(r) == sorted(names)
        for column in schema.RUN:
            assert isinstance(r[column.name], column.kind), column.name
    assert all(math.isnan(r[m]) for r in diverged for m in schema.MEASURES)
    assert all(math.isfinite(r[m]) for r in finished for m in schema.MEASURES)


def test_a_results_file_round_trips_every_typed_column(table, tmp_path):
    rows = provenance(table, TASK, "easy")
    assert all(sorted(r) == sorted(schema.COLUMNS) for r in rows)
    back = read_rows(write_rows(rows, tmp_path / "rows.csv")).rows
    for written, read in zip(rows, back, strict=True):
        for name, column in schema.COLUMNS.items():
            want, got = written[name], read[name]
            assert type(got) is column.kind, name
            assert (math.isnan(want) and math.isnan(got)) if column.kind is float and math.isnan(want) else got == want


def test_summaries_average_errors_geometrically_and_tables_head_columns_from_the_schema(table):
    entry = table.where(optimizer="adagrad").summary(columns=("free_mse", "horizon"))[0]
    values = table.where(optimizer="adagrad").column("free_mse")
    assert entry["free_mse"] == pytest.approx(math.exp(sum(map(math.log, values)) / len(values)))
    assert "free_mse" in schema.ERRORS and "horizon" not in schema.ERRORS
    assert schema.header("free_mse") == "free-running MSE" and schema.header("seeds") == "seeds"


def test_a_row_records_its_horizon_at_every_threshold_and_its_error_per_prime_length():
    """What the sensitivity table reads without retraining, checked against the evaluation's own curves."""
    import json

    from lstm_lib.runs.trial import SENSITIVITY_THRESHOLDS
    from lstm_lib.training.evaluate import evaluate

    task = TASK.replace(prime_lengths=(6, 9))
    run = compare(CONFIGS[:1], [0], task, workers=1, cache_dir=None).runs[0]
    horizons, per_prime = json.loads(run.row["horizons"]), json.loads(run.row["per_prime"])
    assert sorted(map(float, horizons)) == sorted({task.threshold, *SENSITIVITY_THRESHOLDS})
    assert horizons[f"{task.threshold:g}"] == run.row["horizon"]
    for t in SENSITIVITY_THRESHOLDS:
        evals = [evaluate(run.W, run.spec, task.test_data(), p, task.horizon, t) for p in task.prime_lengths]
        assert horizons[f"{t:g}"] == pytest.approx(sum(e.prediction_horizon for e in evals) / len(evals))
    assert list(per_prime) == ["6", "9"]
    mean = sum(v["free_mse"] for v in per_prime.values()) / 2
    assert mean == pytest.approx(run.row["free_mse"], rel=1e-12)
    diverged = compare(CONFIGS[1:], [0], task, workers=1, cache_dir=None).rows[0]
    assert (diverged["horizons"], diverged["per_prime"]) == ("{}", "{}")
