"""Run a profile's method comparisons outside the book and write every run's row with its provenance.

The ``study`` profile's seed counts (set by the power analysis of chapter 7) take hours on one
machine: run them here, locally or on a Dask cluster (``LSTM_LIB_SCHEDULER``), and commit the CSV
under ``results/``. ``tests/study/test_results.py`` retrains two random committed rows and checks
that they match.

Usage: python -m lstm_lib.study.campaign --profile study [--out results/study-methods.csv] [--workers 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lstm_lib.study.experiments import compare
from lstm_lib.study.records import provenance, write_rows
from lstm_lib.study.settings import PROFILE_NAMES, REGIMES, study_for

RESULTS = Path(__file__).resolve().parents[2] / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="study", choices=PROFILE_NAMES)
    parser.add_argument("--out", type=Path, default=None, help="CSV to write (default: results/PROFILE-methods.csv)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    out = args.out or RESULTS / f"{args.profile}-methods.csv"
    if out.is_dir():
        parser.error(f"--out: {out} is a directory; give a file such as {out / 'rows.csv'}")
    study = study_for(args.profile)
    rows = []
    for regime in REGIMES:
        task = study.task(regime)
        table = compare(list(study.methods().values()), study.regime_seeds(regime), task, workers=args.workers)
        rows += provenance(table, task, regime)
        print(f"{regime}: {len(table.rows)} runs", flush=True)
    write_rows(rows, out)
    print(f"wrote {len(rows)} rows to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
