"""Per-seed rows as CSV, with their provenance, so a long study can be committed and re-read.

Each row carries what produced it: the full training config (JSON), the task (JSON), a hash of
its training data and held-out data, the evaluation settings, the lstm_lib version, torch version
and machine, and the fingerprint of the arithmetic it ran on (:mod:`lstm_lib.runs.fingerprint`).
:func:`read_rows` gives back a :class:`~lstm_lib.runs.experiments.Table` whose
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
import sys
from importlib import metadata
from pathlib import Path

import torch

from lstm_lib.files import atomic_write
from lstm_lib.runs import row as schema
from lstm_lib.runs.experiments import Table, tensor_hash
from lstm_lib.runs.fingerprint import cpu_model
from lstm_lib.runs.trial import Run
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import excerpt

FLOAT_COLUMNS = tuple(name for name, c in schema.COLUMNS.items() if c.kind is float)
INT_COLUMNS = tuple(name for name, c in schema.COLUMNS.items() if c.kind is int)


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
    return [provenance_row(row, task, regime, eval_hash) for row in table.rows]


def provenance_row(row: dict, task, regime: str, eval_hash: str | None = None) -> dict:
    """One row with its provenance columns (``eval_hash``: the held-out data's, when the caller has it)."""
    return {
        **row,
        "regime": regime,
        "data_hash": tensor_hash(task.train_data(row["seed"])),
        "eval_hash": eval_hash or tensor_hash(task.test_data()),
        "evaluation": json.dumps(dataclasses.asdict(task.evaluation)),
        "task": json.dumps(task.flat(), sort_keys=True),
        "lstm_lib": _version(),
        "torch": torch.__version__,
        "machine": machine(),
    }


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


def report(message: str) -> None:
    """One line for the book's log (the runner relays a chapter's ``[lstm_lib]`` lines), and the reader's."""
    print(f"[lstm_lib] {message}", file=sys.stderr, flush=True)


def committed_runs(path: Path, configs: list, seeds: list[int], task) -> tuple[Table | None, str]:
    """The committed runs of ``configs`` x ``seeds`` on ``task`` from ``path``, or ``None`` and the reason why not.

    All or nothing: one config without its rows and the caller trains the lot (see :func:`committed_each`).
    """
    found = committed_each(path, configs, seeds, task)
    for table, reason in found:
        if table is None:
            return None, reason
    runs = [run for table, _ in found for run in table.runs]  # type: ignore[union-attr]
    return Table(runs), f"used {len(runs)} committed rows from {path.name}"


def committed_each(path: Path, configs: list, seeds: list[int], task) -> list[tuple[Table | None, str]]:
    """Per config, its committed runs on ``seeds`` from ``path``, or ``None`` and the reason why not.

    The file is read and the data hashed once for all configs. A row applies only if its config,
    seed, training-data hash, held-out-data hash, evaluation settings and task are exactly those of
    the run wanted; a damaged file raises :class:`ResultsError`.
    """
    if not path.exists():
        return [(None, f"no committed rows at {path}")] * len(configs)
    by_config = {r.row["config"]: r for r in read_rows(path).runs}
    wanted = {
        "held-out data": ("eval_hash", tensor_hash(task.test_data())),
        "evaluation settings": ("evaluation", json.dumps(dataclasses.asdict(task.evaluation))),
        "task": ("task", json.dumps(task.flat(), sort_keys=True)),
    }
    data_hash = {seed: tensor_hash(task.train_data(seed)) for seed in seeds}  # once per seed, not per config

    def one(config) -> tuple[Table | None, str]:
        runs = []
        for seed in seeds:
            run = by_config.get(json.dumps(config.replace(seed=seed).to_dict(), sort_keys=True))
            if run is None:
                return None, f"{path.name} has no row for {config.label()}, seed {seed}"
            checks = {"training data": ("data_hash", data_hash[seed]), **wanted}
            for what, (column, now) in checks.items():
                if run.row.get(column) != now:
                    return None, f"{path.name}:{run.row['line']} ran on other {what} than this study's"
            runs.append(run)
        return Table(runs), f"used {len(runs)} committed rows from {path.name}"

    return [one(config) for config in configs]


class ResultsError(ValueError):
    """A results file that cannot be trusted: missing, cut, damaged or inconsistent (names the file and line)."""


REQUIRED = ("label", "method", "optimizer", "seed", "config", "diverged", "free_mse", "teacher_mse", "final_loss")


def read_rows(path: str | Path, **match: object) -> Table:
    """The rows of a CSV written by :func:`write_rows` as a :class:`Table` (rows only, no curves).

    Every row is checked as strictly as a cache entry: complete, typed, its ``config`` a valid
    training config that agrees with its ``method``, ``seed`` and ``dtype`` columns, a finished
    run's errors finite, no row twice. Anything else is a :class:`ResultsError` naming the file
    and line, never a silently skipped or half-read row. Each row gets a ``line`` column.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"results file {path} is missing (restore it with git checkout -- {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"results file {path} cannot be read: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ResultsError(f"{path}: the header lacks the column(s) {missing}")
    runs, seen = [], {}
    for raw in reader:
        where = f"{path}:{reader.line_num}"
        row = _parse_row(raw, where)
        identity = (row["config"], row.get("regime"), row.get("task"))
        if identity in seen:
            raise ResultsError(f"{where}: the same run as line {seen[identity]} (config and seed repeated)")
        seen[identity] = reader.line_num
        row["line"] = reader.line_num
        if all(row.get(k) == v for k, v in match.items()):
            runs.append(Run(row, torch.empty(0), torch.empty(0), None))
    if not seen:
        raise ResultsError(f"{path}: no rows")
    return Table(runs)


def _parse_row(raw: dict, where: str) -> dict:
    """One CSV record, typed and checked (see :func:`read_rows`)."""
    if None in raw or any(v is None for v in raw.values()):
        raise ResultsError(f"{where}: the row has {len(raw) - (None in raw)} fields where the header has another"
                           " count (a cut or damaged line)")  # fmt: skip
    row: dict[str, object] = dict(raw)
    for col in FLOAT_COLUMNS:
        if col in row:
            row[col] = _number(float, row[col], col, where)
    for col in INT_COLUMNS:
        if col in row:
            row[col] = _number(int, row[col], col, where)
    if raw["diverged"] not in ("True", "False"):
        raise ResultsError(f"{where}: diverged must be True or False, got {excerpt(raw['diverged'])}")
    row["diverged"] = raw["diverged"] == "True"
    try:
        config = TrainConfig.from_dict(json.loads(raw["config"]))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ResultsError(f"{where}: config is not a valid training config ({excerpt(str(exc))})") from None
    for col, want in (("method", config.method), ("seed", config.seed), ("dtype", config.dtype)):
        if col in row and row[col] != want:
            raise ResultsError(f"{where}: {col} is {excerpt(row[col])} but the row's config says {want!r}")
    if not row["diverged"]:
        for col in ("free_mse", "teacher_mse", "final_loss"):
            if not math.isfinite(row[col]):
                raise ResultsError(f"{where}: {col} is {row[col]} in a finished run (only a diverged run has none)")
    return row


def _number(kind: type, text: str, column: str, where: str) -> float | int:
    if kind is float and text in ("", "nan"):
        return math.nan
    try:
        return kind(text)
    except ValueError:
        raise ResultsError(f"{where}: {column} must be {'an integer' if kind is int else 'a number'},"
                           f" got {excerpt(text)}") from None  # fmt: skip
