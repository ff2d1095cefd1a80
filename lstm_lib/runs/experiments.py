"""Multi-seed experiments: one function runs configs over seeds, in parallel, cached on disk.

The cache key covers the config, the training and evaluation data, the evaluation settings, the
torch version and a hash of the lstm_lib code that training and evaluation reach
(:mod:`lstm_lib.sources`), so a
rebuild with nothing changed trains nothing, and a change to that code or to a parameter retrains
what it affects. Entries are kept by :mod:`lstm_lib.runs.store`, as the port's runs are: written
atomically with a checksum of their content and verified on reading; a corrupted, partial or
bit-rotten entry is recomputed, never trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import torch
from tqdm import tqdm

from lstm_lib import sources
from lstm_lib.model.spec import Spec
from lstm_lib.runs import row as schema
from lstm_lib.runs import store, trial
from lstm_lib.runs.cluster import dask_executor
from lstm_lib.runs.store import check_cache_dir, tensor_hash
from lstm_lib.runs.task import WaveTask
from lstm_lib.runs.trial import EvalSettings, Run, train_and_evaluate
from lstm_lib.stats.statistics import geometric_interval, mean_interval
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import check_int, check_sequences

DEFAULT_CACHE = Path(os.environ.get("LSTM_LIB_CACHE", sources.PACKAGE.parent / ".cache" / "experiments"))


@dataclass(frozen=True)
class FixedTask:
    """Given training and held-out data, the same for every seed (the seed then varies only the weights)."""

    train: torch.Tensor
    test: torch.Tensor
    evaluation: EvalSettings

    def __post_init__(self) -> None:
        check_sequences("train", self.train)
        longest = max(self.evaluation.prime_lengths) + self.evaluation.horizon
        check_sequences("test", self.test, n_in=self.train.shape[2], min_length=longest)

    def train_data(self, seed: int) -> torch.Tensor:
        return self.train

    def test_data(self) -> torch.Tensor:
        return self.test


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
        """A column over the rows; a diverged run gives NaN (so verdicts can count it)."""
        return [math.nan if row["diverged"] and name in schema.MEASURES else row[name] for row in self.rows]

    def median_run(self, column: str = "free_mse") -> Run:
        """The finished run whose ``column`` is the median over seeds (the lower middle one for an even count)."""
        done = sorted((r for r in self.runs if not r.row["diverged"]), key=lambda r: r.row[column])
        if not done:
            raise ValueError("median_run needs at least one finished run, got none")
        return done[(len(done) - 1) // 2]

    def groups(self, by: str = "label") -> dict[object, Table]:
        """The table split by the values of column ``by``, in first-seen order."""
        out: dict[object, Table] = {}
        for run in self.runs:
            out.setdefault(run.row[by], Table()).runs.append(run)
        return out

    def summary(self, by: str = "label", columns: tuple[str, ...] = ()) -> list[dict]:
        """Per group: the mean of each column over the finished runs, with its 95% t-interval.

        Errors (:data:`schema.ERRORS`) get the geometric mean and the interval of the mean log;
        other columns the arithmetic mean (:mod:`lstm_lib.stats.statistics`), its interval cut at 0
        (horizons, seconds and work are never negative; a horizon is also capped at the evaluation's).
        """
        columns = columns or schema.SUMMARY_DEFAULT
        out = []
        for key, group in self.groups(by).items():
            rows = group.rows
            entry = {by: key, "seeds": len(rows), "diverged": sum(r["diverged"] for r in rows)}
            for col in columns:
                vals = [r[col] for r in rows if not r["diverged"] and math.isfinite(r[col])]
                summarise = geometric_interval if col in schema.ERRORS else mean_interval
                mean, low, high = summarise(vals) if vals else (math.nan,) * 3
                if col not in schema.ERRORS and math.isfinite(low):  # every other column is >= 0
                    low = max(low, 0.0)
                entry.update({col: mean, f"{col}_low": low, f"{col}_high": high})
            out.append(entry)
        return out


def source_hash() -> str:
    """Hash of the lstm_lib code that a trained and evaluated run reaches (see :mod:`lstm_lib.sources`)."""
    return sources.code_hash([trial.__name__])


def cache_version() -> str:
    """What every cache key shares: the torch version and the training code's hash (CI keys its cache on it)."""
    return f"torch{torch.__version__}-{source_hash()[:16]}"


def cache_key(config: TrainConfig, data_hash: str, eval_hash: str, settings: EvalSettings) -> str:
    blob = json.dumps(
        {
            "config": config.to_dict(),
            "data": data_hash,
            "eval": eval_hash,
            "settings": dataclasses.asdict(settings),
            "src": source_hash(),
            "torch": torch.__version__,  # another torch is other arithmetic: never reuse its runs silently
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


TENSORS = ("history", "seconds", "W", "wave_mse", "step_error", "train_step_error")
TEXTS = ("row", "spec")
"""An entry's texts, in the order its checksum reads them."""


def _store(path: Path, key: str, run: Run) -> None:
    """Write a run as a checksummed entry (:func:`lstm_lib.runs.store.write`)."""
    spec = json.dumps(dataclasses.asdict(run.spec)) if run.spec is not None else ""
    store.write(path, key, {"row": json.dumps(run.row), "spec": spec}, {name: getattr(run, name) for name in TENSORS})


def _decode(texts: dict[str, str], tensors: dict[str, torch.Tensor | None]) -> Run:
    """The run an entry holds; one that lacks what a run needs is refused (raises), hence recomputed."""
    row = json.loads(texts["row"])
    history, seconds = tensors["history"], tensors["seconds"]
    if history is None or seconds is None:
        raise ValueError("incomplete entry")
    if not row["diverged"] and (history.numel() != row["iterations"] or tensors["W"] is None):
        raise ValueError("incomplete entry")
    spec = Spec(**json.loads(texts["spec"])) if texts["spec"] else None
    return Run(row, history, seconds, tensors["W"], spec, *(tensors[n] for n in TENSORS[3:]))


def _fetch(path: Path, key: str) -> Run | None:
    """The cached run, or ``None`` if missing; a damaged entry is reported, deleted and recomputed.

    The entry's checksum covers its key, row and tensors, so bit rot anywhere in what it
    returns is caught, not only damage that breaks the file's structure.
    """
    return store.read(path, key, TEXTS, TENSORS, _decode)


def _init_worker() -> None:
    torch.set_num_threads(1)


def compare(
    configs: list[TrainConfig],
    seeds: list[int] | None,
    task: WaveTask | FixedTask,
    workers: int | None = None,
    cache_dir: str | Path | None = DEFAULT_CACHE,
    progress: bool | Callable[[Run, bool], None] = False,
    executor: Executor | None = None,
    scheduler: str | None = None,
) -> Table:
    """Train every config on every seed's data (the config's own seed is replaced) and evaluate it.

    ``seeds=None`` trains each config once, on its own seed (a re-check of given rows). ``task``
    gives each seed's training data (``task.train_data(seed)``), the held-out data and
    the evaluation settings. ``cache_dir=None`` disables the cache; ``progress=True`` shows a
    progress bar with the time left (off by default, so executed notebooks stay free of it); a callable
    ``progress(run, cached)`` is told of each run instead, as it is read from the cache or finishes (a
    long campaign's own progress report). Rows keep the order configs x seeds.

    Runs on ``executor`` (any ``concurrent.futures.Executor``, e.g. a Dask client's
    ``get_executor()``); without one, on the Dask cluster whose ``scheduler`` address is given,
    else in ``workers`` local processes (default: the number of cores); one torch thread per training.
    Only this process reads and writes the cache, so workers need no shared disk.
    """
    if not configs or not all(isinstance(c, TrainConfig) for c in configs):
        raise ValueError("configs must be a non-empty list of TrainConfig")
    if seeds is not None and not seeds:
        raise ValueError("seeds must be a non-empty list of ints, or None for the configs' own seeds")
    jobs = list(configs) if seeds is None else [c.replace(seed=s) for c in configs for s in seeds]
    workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, 1)
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    cache = check_cache_dir(cache_dir) if cache_dir is not None else None
    settings = task.evaluation
    eval_data = task.test_data()
    data = {c.seed: task.train_data(c.seed) for c in jobs}
    eval_hash = tensor_hash(eval_data)
    data_hash = {s: tensor_hash(d) for s, d in data.items()}
    keys = [cache_key(job, data_hash[job.seed], eval_hash, settings) for job in jobs]
    runs: list[Run | None] = [_fetch(cache / f"{k}.pt", k) if cache else None for k in keys]
    todo = [i for i, r in enumerate(runs) if r is None]
    report = progress if callable(progress) else None
    bar = tqdm(total=len(todo), disable=bool(report) or not progress or not todo, desc="training", leave=False,
               mininterval=5)  # fmt: skip
    for run in runs:
        if report and run is not None:
            report(run, True)

    def done(i: int, run: Run) -> None:
        runs[i] = run
        if cache:
            _store(cache / f"{keys[i]}.pt", keys[i], run)
        bar.update(1)
        if report:
            report(run, False)

    def args(i: int) -> tuple:
        return jobs[i], data[jobs[i].seed], eval_data, settings

    with ExitStack() as stack:
        if executor is None and todo and scheduler:
            executor = stack.enter_context(dask_executor(scheduler))
        elif executor is None and workers > 1 and len(todo) > 1:
            pool = ProcessPoolExecutor(
                min(workers, len(todo)), mp_context=get_context("spawn"), initializer=_init_worker
            )
            executor = stack.enter_context(pool)
        if executor is not None:
            futures = {executor.submit(train_and_evaluate, *args(i)): i for i in todo}
            try:
                for future in as_completed(futures):  # cached as each finishes
                    done(futures[future], future.result())
            except BaseException:  # an interruption or a failed run: queued runs must not start (nor be waited for)
                for future in futures:
                    future.cancel()
                raise
        else:
            for i in todo:
                done(i, train_and_evaluate(*args(i)))
    bar.close()
    return Table([r for r in runs if r is not None])


if __name__ == "__main__":  # python -m lstm_lib.runs.experiments --cache-version
    import sys

    if sys.argv[1:] != ["--cache-version"]:
        sys.exit("usage: python -m lstm_lib.runs.experiments --cache-version")
    print(cache_version())
