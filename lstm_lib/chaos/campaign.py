"""The LSTM's runs on Mackey-Glass: tuned on their own seeds by the study's rule, then compared on fresh ones.

The steps are the study's (:mod:`lstm_lib.study.tuning`): Adagrad's learning rate first, then at it
the weighting rate, the noise level, scheduled sampling's last probability and the rollout's length,
each picked by the lowest median free-running error over the tuning seeds; then the six objectives
at the picks on :attr:`~lstm_lib.settings.BeyondSine.seeds`. Every comparison run is also judged
in Jaeger's terms (:func:`lstm_lib.runs.mackey_task.judge`) and its row keeps that judgement as JSON
(``chaos``: each held-out window's squared error at step 84 and valid steps, and the first window's
drawn values), so a checkout without the training cache reads everything back from the committed rows.

A run is read from ``results/beyond-sine-runs.csv`` when a committed row matches its config, seed,
data and task exactly, else trained (and cached). The campaign writes the rows file:

    python -m lstm_lib.chaos.campaign [--workers 2]
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lstm_lib.runs.experiments import DEFAULT_CACHE, Table, compare
from lstm_lib.runs.mackey_task import draw_lstm, judge
from lstm_lib.runs.records import committed_each, provenance_row, report, write_rows
from lstm_lib.runs.trial import Run
from lstm_lib.settings import BeyondSine, settings_for
from lstm_lib.study import tuning
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import Parser, check_output_file

ROWS = Path(__file__).resolve().parents[2] / "results" / "beyond-sine-runs.csv"
REGIME = "mackey-glass"
PATH_STEPS = 400
"""Drawn values of the first held-out window kept per comparison run (the pictures show the first 300)."""


@dataclass
class Runs:
    """What the campaign gives a chapter: the picks, the tuning runs and each method's comparison runs."""

    picks: dict[str, tuning.Pick]
    tuning: list[dict] = field(default_factory=list)
    methods: dict[str, Table] = field(default_factory=dict)
    trained: int = 0
    read: int = 0
    """Runs trained now, and runs read from the committed rows or the training cache."""


def chaos_columns(bs: BeyondSine, run: Run) -> dict:
    """A comparison run's judgement in Jaeger's terms, as the row's ``chaos`` column (JSON)."""
    if run.W is None:
        empty = [math.nan] * bs.n_test
        return {"chaos": json.dumps({"squared_error": empty, "valid_steps": empty, "path": []})}
    forecast = judge(bs.series, draw_lstm(bs.series, run.W, run.spec))
    return {"chaos": json.dumps({
        "squared_error": [float(v) for v in forecast.squared_error],
        "valid_steps": [int(v) for v in forecast.valid_steps],
        "path": [float(f"{v:.6g}") for v in forecast.drawn[0, :PATH_STEPS]],
    })}  # fmt: skip


class Source:
    """Runs from the committed rows where they match, else trained: the one way the campaign and chapter get runs."""

    def __init__(self, bs: BeyondSine, rows: Path | None, cache_dir: str | Path | None) -> None:
        self.bs, self.rows, self.cache_dir = bs, rows, cache_dir
        self.out: list[dict] = []
        self.trained = self.read = 0

    def runs(self, configs: list[TrainConfig], seeds: list[int], stage: str) -> list[Table]:
        """Each config's runs on ``seeds``, in order."""
        found = committed_each(self.rows, configs, seeds, self.bs.series) if self.rows else [(None, "")] * len(configs)
        tables = [table if table is not None else Table() for table, _ in found]
        todo = [c for c, t in zip(configs, tables, strict=True) if not t.runs]
        if todo:
            counts = {True: 0, False: 0}

            def tally(run: Run, cached: bool) -> None:
                counts[cached] += 1

            fresh = compare(todo, seeds, self.bs.series, workers=self.bs.workers, cache_dir=self.cache_dir,
                            scheduler=self.bs.scheduler, progress=tally)  # fmt: skip
            self.trained += counts[False]
            self.read += counts[True]
            chunks = iter(range(0, len(fresh.runs), len(seeds)))
            for i, table in enumerate(tables):
                if not table.runs:
                    start = next(chunks)
                    runs = fresh.runs[start : start + len(seeds)]
                    for run in runs:
                        if stage == "comparison":
                            run.row = {**run.row, **chaos_columns(self.bs, run)}
                    tables[i] = Table(runs)
        self.read += sum(len(t.runs) for c, t in zip(configs, tables, strict=True) if c not in todo)  # committed
        for table in tables:
            self.out += [self._row(run.row, stage) for run in table.runs]
        return tables

    def _row(self, row: dict, stage: str) -> dict:
        clean = {k: v for k, v in row.items() if k not in ("line", "stage", "chaos")}
        return {**provenance_row(clean, self.bs.series, REGIME), "stage": stage, "chaos": row.get("chaos", "")}

    def runs_of(self) -> Callable[[dict[tuple[str, float], TrainConfig]], dict[tuple[str, float], Table]]:
        """The tuning's ``runs_of``: every candidate on the tuning seeds."""

        def runs_of(candidates: dict[tuple[str, float], TrainConfig]) -> dict[tuple[str, float], Table]:
            keys = list(candidates)
            tables = self.runs([candidates[k] for k in keys], list(self.bs.tuning_seeds), "tuning")
            return dict(zip(keys, tables, strict=True))

        return runs_of


def longest_rollout(bs: BeyondSine) -> int:
    """The longest rollout that fits a training window after the rollout's prefix."""
    return tuning.longest_rollout(bs.window, bs.training.rollout_prefix)


def tune(bs: BeyondSine, source: Source) -> dict[str, tuning.Pick]:
    """Adagrad's rate, then each objective's setting at it, by the study's rule (:data:`tuning.RULE`)."""
    make = tuning.make_optimizer(bs)  # type: ignore[arg-type]
    grid = {"adagrad": {lr: make("adagrad", lr) for lr in bs.adagrad_lrs}}
    picks = tuning.tune(grid, make, source.runs_of(), longest_rollout(bs))
    lr = picks["adagrad"].value
    objectives = tuning.objective_grid(bs, lr)  # type: ignore[arg-type]
    return picks | tuning.tune(objectives, tuning.make_objective(bs, lr), source.runs_of(), longest_rollout(bs))  # type: ignore[arg-type]


def gather(
    bs: BeyondSine, rows: Path | None = ROWS, cache_dir: str | Path | None = DEFAULT_CACHE
) -> tuple[Runs, list[dict]]:
    """Tune, then run the six objectives at the picks on the comparison seeds; also the rows to commit."""
    bs.series.check_held_out([*bs.seeds, *bs.tuning_seeds])
    source = Source(bs, rows if rows is not None and rows.exists() else None, cache_dir)
    picks = tune(bs, source)
    methods = tuning.tuned_methods(bs, picks)  # type: ignore[arg-type]
    tables = source.runs(list(methods.values()), list(bs.seeds), "comparison")
    tuning_runs = [r for r in source.out if r["stage"] == "tuning"]
    result = Runs(picks, tuning_runs, dict(zip(methods, tables, strict=True)), source.trained, source.read)  # type: ignore[arg-type]
    return result, source.out


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m lstm_lib.chaos.campaign", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="full", help="the settings' profile (default: full)")
    parser.add_argument("--out", default=str(ROWS), help=f"rows file to write (default: {ROWS})")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    args = parser.parse_args(argv)
    out = check_output_file("--out", args.out)
    bs = settings_for("10_beyond_sine", args.profile, {"workers": args.workers})
    runs, rows = gather(bs, out)  # type: ignore[arg-type]
    write_rows(rows, out)
    report(f"beyond the sine: {runs.trained} runs trained, {runs.read} read back; {len(rows)} rows in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
