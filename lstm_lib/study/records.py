"""Per-seed rows as CSV, with their provenance, so a long study can be committed and re-read.

Each row carries what produced it: the full training config (JSON), a hash of its training
data and held-out data, the evaluation settings, and the lstm_lib version, torch version and
machine. :func:`read_rows` gives back a :class:`~lstm_lib.study.experiments.Table` whose
rows the chapters summarise exactly as they would freshly trained ones.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import platform
from importlib import metadata
from pathlib import Path

import torch

from lstm_lib.files import atomic_write
from lstm_lib.study.experiments import Table, tensor_hash
from lstm_lib.training.trial import Run

FLOAT_COLUMNS = ("lr", "noise_std", "weight_rate", "final_loss", "final_mse", "free_mse", "teacher_mse", "horizon")
FLOAT_COLUMNS += ("train_seconds", "gflop")
INT_COLUMNS = ("seed", "iterations", "diverged_at", "evaluations")


def cpu_model() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux), or the architecture elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """The machine kind: CPU model and core count (GPU name when one is used), for a row's provenance."""
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else cpu_model()
    return f"{device}; {os.cpu_count()} cores; {platform.system()}"


def environment(profile: str) -> str:
    """One line on what a page ran on: torch, CPU, cores, threads per run, profile."""
    return f"torch {torch.__version__}, {machine()}, one torch thread per run, profile {profile}"


def provenance(table: Table, task, regime: str) -> list[dict]:
    """The rows of ``table`` with their provenance columns and the ``regime`` they ran in."""
    eval_hash = tensor_hash(task.test_data())
    version = _version()
    out = []
    for row in table.rows:
        out.append(
            {
                **row,
                "regime": regime,
                "data_hash": tensor_hash(task.train_data(row["seed"])),
                "eval_hash": eval_hash,
                "evaluation": json.dumps(dataclasses.asdict(task.evaluation)),
                "lstm_lib": version,
                "torch": torch.__version__,
                "machine": machine(),
            }
        )
    return out


def _version() -> str:
    """The installed lstm_lib's version, or ``source`` when it runs from a checkout without installing."""
    try:
        return metadata.version("lstm_lib")
    except metadata.PackageNotFoundError:
        return "source"


def write_rows(rows: list[dict], path: str | Path) -> Path:
    """Write ``rows`` (dicts with the same keys) as CSV, atomically."""
    if not rows:
        raise ValueError("rows must not be empty")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, lambda tmp: Path(tmp).write_text(buffer.getvalue(), encoding="utf-8"))
    return Path(path)


def read_rows(path: str | Path, **match: object) -> Table:
    """The rows of a CSV written by :func:`write_rows` as a :class:`Table` (rows only, no curves)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    runs = []
    for raw in rows:
        row: dict[str, object] = dict(raw)
        for col in FLOAT_COLUMNS:
            if col in row:
                row[col] = float(row[col]) if row[col] not in ("", "nan") else math.nan
        for col in INT_COLUMNS:
            if col in row:
                row[col] = int(row[col])
        row["diverged"] = raw["diverged"] == "True"
        if all(row.get(k) == v for k, v in match.items()):
            runs.append(Run(row, torch.empty(0), torch.empty(0), None))
    return Table(runs)
