"""Multi-seed experiments: one function runs configs over seeds, in parallel, cached on disk.

The cache key covers the config, the training and evaluation data, the evaluation settings and
a hash of the lstm_lib code that training and evaluation reach (:mod:`lstm_lib.sources`), so a
rebuild with nothing changed trains nothing, and a change to that code or to a parameter retrains
what it affects. Entries are written atomically and
verified on reading; a corrupted or partial entry is recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import torch
from tqdm.auto import tqdm

from lstm_lib import sources
from lstm_lib.files import atomic_write
from lstm_lib.study.cluster import dask_executor, scheduler_from_env
from lstm_lib.study.statistics import mean_interval
from lstm_lib.training import trial
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.trial import EvalSettings, Run, train_and_evaluate
from lstm_lib.validation import check_int, check_sequences

DEFAULT_CACHE = Path(os.environ.get("LSTM_LIB_CACHE", sources.PACKAGE.parent / ".cache" / "experiments"))


@dataclass
class Table:
    """A tidy table: one row per config and seed (``rows``), with each run's curves in ``runs``."""

    runs: list[Run] = field(default_factory=list)

    @property
    def rows(self) -> list[dict]:
        return [run.row for run in self.runs]

    def where(self, **match: object) -> Table:
        """The runs whose row has every given ``column=value``."""
        return Table([r for r in self.runs if all(r.row.get(k) == v for k, v in match.items())])

    def column(self, name: str) -> list:
        return [row[name] for row in self.rows]

    def summary(self, by: str = "label", columns: tuple[str, ...] = ()) -> list[dict]:
        """Per group: mean and 95% interval (see :mod:`lstm_lib.study.statistics`) of each column, over seeds."""
        columns = columns or ("final_mse", "free_mse", "horizon", "train_seconds")
        groups: dict[object, list[dict]] = {}
        for row in self.rows:
            groups.setdefault(row[by], []).append(row)
        out = []
        for key, rows in groups.items():
            entry = {by: key, "seeds": len(rows), "diverged": sum(r["diverged"] for r in rows)}
            for col in columns:
                vals = [r[col] for r in rows if not r["diverged"]]
                mean, low, high = mean_interval(vals) if vals else (float("nan"),) * 3
                entry.update({col: mean, f"{col}_low": low, f"{col}_high": high})
            out.append(entry)
        return out


def source_hash() -> str:
    """Hash of the lstm_lib code that a trained and evaluated run reaches (see :mod:`lstm_lib.sources`)."""
    return sources.code_hash([trial.__name__])


def tensor_hash(t: torch.Tensor) -> str:
    t = t.detach().cpu().contiguous()
    return hashlib.sha256(str((t.dtype, tuple(t.shape))).encode() + t.numpy().tobytes()).hexdigest()


def cache_key(config: TrainConfig, data_hash: str, eval_hash: str, spec: EvalSettings) -> str:
    blob = json.dumps(
        {"config": config.to_dict(), "data": data_hash, "eval": eval_hash, "spec": spec.__dict__, "src": source_hash()},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _store(path: Path, key: str, run: Run) -> None:
    payload = {"key": key, "row": json.dumps(run.row), "history": run.history, "seconds": run.seconds}
    if run.W is not None:
        payload["W"] = run.W
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def _fetch(path: Path, key: str) -> Run | None:
    """The cached run, or ``None`` if missing; a damaged entry is reported, deleted and recomputed."""
    if not path.exists():
        return None
    try:
        payload = torch.load(path, weights_only=True)
        if payload["key"] != key:
            raise ValueError("key mismatch")
        row = json.loads(payload["row"])
        history, seconds = payload["history"], payload["seconds"]
        if not row["diverged"] and (history.numel() != row["iterations"] or "W" not in payload):
            raise ValueError("incomplete entry")
        return Run(row, history, seconds, payload.get("W"))
    except Exception as exc:  # truncated zip, wrong content, anything: never trust it
        warnings.warn(f"cache entry {path.name} is damaged ({exc}); recomputing", stacklevel=3)
        path.unlink(missing_ok=True)
        return None


def _init_worker() -> None:
    torch.set_num_threads(1)


def compare(
    configs: list[TrainConfig],
    seeds: list[int],
    data: torch.Tensor,
    eval_data: torch.Tensor,
    spec: EvalSettings,
    workers: int | None = None,
    cache_dir: str | Path | None = DEFAULT_CACHE,
    progress: bool = False,
    executor: Executor | None = None,
) -> Table:
    """Train every config with every seed (the config's own seed is replaced) and evaluate it.

    Runs on ``executor`` (any ``concurrent.futures.Executor``, e.g. a Dask client's
    ``get_executor()``); without one, on the Dask scheduler named by ``$LSTM_LIB_SCHEDULER`` if set,
    else in ``workers`` local processes (default: the number of cores); one torch thread per training.
    Only this process reads and writes the cache, so workers need no shared disk.
    ``cache_dir=None`` disables the cache; ``progress=True`` shows a progress bar (off by default,
    so executed notebooks stay free of it). Rows keep the order configs x seeds.
    """
    if not configs or not all(isinstance(c, TrainConfig) for c in configs):
        raise ValueError("configs must be a non-empty list of TrainConfig")
    if not seeds:
        raise ValueError("seeds must be a non-empty list of ints")
    workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, 1)
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    check_sequences("data", data)
    check_sequences("eval_data", eval_data, n_in=data.shape[2], min_length=spec.prime_length + spec.horizon)
    jobs = [c.replace(seed=s) for c in configs for s in seeds]
    data_hash, eval_hash = tensor_hash(data), tensor_hash(eval_data)
    keys = [cache_key(job, data_hash, eval_hash, spec) for job in jobs]
    cache = Path(cache_dir) if cache_dir is not None else None
    runs: list[Run | None] = [_fetch(cache / f"{k}.pt", k) if cache else None for k in keys]
    todo = [i for i, r in enumerate(runs) if r is None]
    bar = tqdm(total=len(todo), disable=not progress or not todo, desc="training", leave=False)

    def done(i: int, run: Run) -> None:
        runs[i] = run
        if cache:
            _store(cache / f"{keys[i]}.pt", keys[i], run)
        bar.update(1)

    with ExitStack() as stack:
        if executor is None and todo and scheduler_from_env():
            executor = stack.enter_context(dask_executor(scheduler_from_env()))
        elif executor is None and workers > 1 and len(todo) > 1:
            pool = ProcessPoolExecutor(
                min(workers, len(todo)), mp_context=get_context("spawn"), initializer=_init_worker
            )
            executor = stack.enter_context(pool)
        if executor is not None:
            futures = {i: executor.submit(train_and_evaluate, jobs[i], data, eval_data, spec) for i in todo}
            for i, future in futures.items():
                done(i, future.result())
        else:
            for i in todo:
                done(i, train_and_evaluate(jobs[i], data, eval_data, spec))
    bar.close()
    return Table([r for r in runs if r is not None])
