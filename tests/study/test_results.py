"""Committed result rows reproduce by the stated rule: fixed rows are retrained and judged.

The rows under ``results/`` were written once (they are expensive) with their provenance and the
fingerprint of their arithmetic. The rows below were chosen once (both precisions, two methods,
both files) and never change with the date. On the machine that wrote them the retrained numbers
are identical; elsewhere the data must hash the same and the stable measures agree within the
measured tolerance (:mod:`lstm_lib.study.verify`). Run under ``MKL_CBWR=COMPATIBLE`` or
``MKL_CBWR=AVX2`` it exercises the second half of the rule on this machine.
"""

from __future__ import annotations

import pytest

from lstm_lib.runs.records import read_rows
from lstm_lib.study import verify

FIXED = (
    ("precision-float64.csv", "plain", 3, "easy"),  # float64, Adagrad
    ("full-methods.csv", "weighted", 5, "easy"),  # float32, the weighted trick
)


@pytest.fixture(scope="module")
def rows() -> list:
    found = []
    for name, method, seed, regime in FIXED:
        path = verify.RESULTS / name
        match = [r for r in read_rows(path).rows if (r["method"], r["seed"], r["regime"]) == (method, seed, regime)]
        assert len(match) == 1, f"{name} has {len(match)} rows for {method}, seed {seed}, {regime}"
        found.append((path, match[0]))
    return found


def test_fixed_rows_cover_both_precisions_and_two_methods(rows):
    assert {row["dtype"] for _, row in rows} == {"float32", "float64"}
    assert len({row["method"] for _, row in rows}) >= 2


def test_fixed_committed_rows_retrain_by_the_rule(rows):
    checks = verify.verify_rows(rows, workers=2, progress=False)
    for check in checks:
        assert check.ok, check.line()


def test_every_committed_row_file_reads_strictly():
    for path in verify.default_row_files():
        table = read_rows(path)  # raises, naming file and line, on any damage
        assert all(row.get("fingerprint") and row.get("task") for row in table.rows), path
