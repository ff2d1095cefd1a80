"""Run a profile's method comparisons outside the book and write every run's row with its provenance.

The ``study`` profile's seed counts (set by the power analysis of chapter 7) take hours on one
machine: run them here, locally or on a Dask cluster (this command reads ``LSTM_LIB_SCHEDULER``), and commit the CSV
under ``results/``. ``tests/study/test_results.py`` retrains two random committed rows and checks
that they match.

Usage: python -m lstm_lib.study.campaign --profile study [--out results/study-methods.csv] [--workers 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lstm_lib.runs.cluster import SCHEDULER_ENV, check_scheduler, scheduler_from_env
from lstm_lib.runs.experiments import compare
from lstm_lib.runs.records import provenance, write_rows
from lstm_lib.settings import PROFILE_NAMES, REGIMES, study_for
from lstm_lib.validation import Parser, check_output_file

RESULTS = Path(__file__).resolve().parents[2] / "results"


def check_run_flags(parser: argparse.ArgumentParser, out: str, workers: int) -> Path:
    """Refuse, before the first run, an ``--out`` that cannot be written, ``--workers`` < 1 and a
    scheduler in ``$LSTM_LIB_SCHEDULER`` that does not answer: each would fail only after hours of runs."""
    if workers < 1:
        parser.error(f"--workers must be an int >= 1, got {workers}")
    try:
        path = check_output_file("--out", out)
    except ValueError as exc:
        parser.error(str(exc))
    if scheduler_from_env():
        try:
            check_scheduler(scheduler_from_env())
        except (ImportError, ConnectionError, ValueError) as exc:
            parser.error(f"{SCHEDULER_ENV}: {exc}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m lstm_lib.study.campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="study", choices=PROFILE_NAMES)
    parser.add_argument("--out", default=None, help="CSV to write (default: results/PROFILE-methods.csv)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    default = RESULTS / f"{args.profile}-methods.csv"
    out = check_run_flags(parser, default if args.out is None else args.out, args.workers)
    study = study_for(args.profile)
    rows = []
    for regime in REGIMES:
        task = study.task(regime)
        configs = list(study.methods().values())
        table = compare(configs, study.regime_seeds(regime), task, workers=args.workers, scheduler=scheduler_from_env())
        rows += provenance(table, task, regime)
        print(f"{regime}: {len(table.rows)} runs", flush=True)
    write_rows(rows, out)
    print(f"wrote {len(rows)} rows to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
