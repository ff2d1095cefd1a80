"""Committed result rows are what the library computes: two rows, chosen at random each day, are retrained.

The rows under ``results/`` were written once (they are expensive) with their provenance. On the
same kind of machine, retraining a row from its recorded config and seed gives the same numbers.
"""

from __future__ import annotations

import datetime
import json
import random
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from lstm_lib.study.campaign import RESULTS
from lstm_lib.study.experiments import tensor_hash
from lstm_lib.study.records import read_rows
from lstm_lib.study.settings import study_for
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.trial import train_and_evaluate

COMPARED = ("final_mse", "free_mse", "horizon", "teacher_mse", "gflop")


def retrain(row: dict) -> dict:
    task = study_for("full").task(row["regime"])
    config = TrainConfig.from_dict(json.loads(row["config"]))
    return train_and_evaluate(config, task.train_data(row["seed"]), task.test_data(), task.evaluation).row


CSV = sorted(Path(RESULTS).glob("*.csv"))


def test_results_are_committed():
    assert CSV, f"no result rows under {RESULTS}"


def test_two_random_committed_rows_retrain_to_the_same_numbers():
    rows = [row for path in CSV for row in read_rows(path).rows]
    picker = random.Random(datetime.date.today().toordinal())  # another pair every day, the same within a day
    chosen = picker.sample(rows, 2)
    for row in chosen:  # the recorded data are the data the task draws today
        task = study_for("full").task(row["regime"])
        assert row["data_hash"] == tensor_hash(task.train_data(row["seed"]))
        assert row["eval_hash"] == tensor_hash(task.test_data())
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        fresh = list(pool.map(retrain, chosen))
    for old, new in zip(chosen, fresh, strict=True):
        for column in COMPARED:
            assert new[column] == pytest.approx(old[column], rel=1e-12, abs=0), (old["config"], column)
