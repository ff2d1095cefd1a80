"""The row of a run, defined once: every column, its type, how tables head it, and how it is summarised.

A trial fills a row (:mod:`lstm_lib.runs.trial`), the cache and the results files store it
(:mod:`lstm_lib.runs.experiments`, :mod:`lstm_lib.runs.records`), the summaries average it
(:class:`lstm_lib.runs.experiments.Table`) and the chapters' tables and ``compare`` print it; each reads
its columns from here, so a column added, renamed or retyped changes in one place.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from lstm_lib.training.config import TrainConfig


@dataclass(frozen=True)
class Column:
    """``name`` holds a ``kind`` (``str``, ``int``, ``float``, ``bool``); ``header`` heads it in tables.
    A ``measure`` has no value (NaN) in a diverged run; an ``error`` is summarised by its geometric mean,
    as errors span decades from seed to seed (other measures by their mean, never below 0)."""

    name: str
    kind: type
    header: str
    measure: bool = False
    error: bool = False


RUN = (
    Column("label", str, "method"),
    Column("method", str, "training method"),
    Column("optimizer", str, "optimiser"),
    Column("seed", int, "seed"),
    Column("lr", float, "learning rate"),
    Column("noise_std", float, "input noise std"),
    Column("weight_rate", float, "weighting rate"),
    Column("iterations", int, "iterations"),
    Column("dtype", str, "dtype"),
    Column("config", str, "training config (JSON)"),
    Column("diverged", bool, "diverged"),
    Column("diverged_at", int, "diverged at iteration"),
    Column("final_loss", float, "final training loss", measure=True, error=True),
    Column("final_mse", float, "final training MSE", measure=True, error=True),
    Column("free_mse", float, "free-running MSE", measure=True, error=True),
    Column("teacher_mse", float, "teacher-forced MSE", measure=True, error=True),
    Column("horizon", float, "horizon (steps)", measure=True),
    Column("train_seconds", float, "seconds per run", measure=True),
    Column("evaluations", int, "loss evaluations"),
    Column("gflop", float, "GFLOP per run", measure=True),
    Column("horizons", str, "mean horizon per error threshold (JSON)"),
    Column("per_prime", str, "free-running MSE and horizon per prime length (JSON)"),
    Column("fingerprint", str, "arithmetic it ran on (JSON)"),
)
"""What a trained run's row holds (``fingerprint`` is stamped by the runner, which knows the machine)."""

PROVENANCE = (
    Column("regime", str, "regime"),
    Column("data_hash", str, "SHA-256 of the training data"),
    Column("eval_hash", str, "SHA-256 of the held-out data"),
    Column("evaluation", str, "evaluation settings (JSON)"),
    Column("task", str, "wave task (JSON)"),
    Column("lstm_lib", str, "lstm_lib version"),
    Column("torch", str, "torch version"),
    Column("machine", str, "machine"),
)
"""What a committed row adds, so it can be re-checked elsewhere (:func:`lstm_lib.runs.records.provenance`)."""

COLUMNS = {c.name: c for c in RUN + PROVENANCE}
MEASURES = tuple(c.name for c in RUN if c.measure)
ERRORS = tuple(c.name for c in RUN if c.error)
SUMMARY_DEFAULT = ("final_mse", "free_mse", "horizon", "gflop", "train_seconds")
"""The measures a summary shows unless asked for others; ``compare`` prints :data:`COMPARE`."""
COMPARE = ("final_mse", "free_mse", "horizon", "train_seconds")


def header(name: str) -> str:
    """How tables head column ``name`` (a summary's ``seeds`` and ``diverged`` counts included)."""
    return {"seeds": "seeds"}.get(name) or COLUMNS[name].header


def describe(config: TrainConfig) -> dict:
    """The columns that say what was run: method, optimiser and the settings that tell runs apart."""
    return {
        "label": config.label(),
        "method": config.method,
        "optimizer": config.optimizer + ("+wolfe" if config.line_search else ""),
        "seed": config.seed,
        "lr": config.lr,
        "noise_std": config.noise_std if config.denoising else 0.0,
        "weight_rate": config.weight_rate if config.weighted else 1.0,
        "iterations": config.iterations,
        "dtype": config.dtype,
        "config": json.dumps(config.to_dict(), sort_keys=True),
    }


def diverged_row(config: TrainConfig, iteration: int) -> dict:
    """The row of a run that diverged at ``iteration``: no measure has a value."""
    row = {**describe(config), "diverged": True, "diverged_at": iteration, "evaluations": 0}
    return row | dict.fromkeys(MEASURES, math.nan) | {"horizons": "{}", "per_prime": "{}"}
