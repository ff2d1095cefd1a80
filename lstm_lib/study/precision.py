"""The float32 check: do float32 and float64 training give the same verdicts on a subset of seeds?

Float32 training is several times faster at the book's shapes, so the multi-seed studies run
in float32 only because this check passes: on ``PRECISION_SEEDS``, the tricks are compared with
plain training in both precisions, and the per-seed free-running errors of the two precisions
are compared directly. The float64 rows are expensive, so they are computed once
(``python -m lstm_lib.study.precision``) and committed under ``results/`` with their provenance.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lstm_lib.runs.experiments import Table, compare
from lstm_lib.runs.records import committed_runs, provenance, report, write_rows
from lstm_lib.settings import Study, study_for
from lstm_lib.study.claims import paired_free
from lstm_lib.training.config import TrainConfig

PRECISION_METHODS = ("plain", "weighted", "denoising")
PRECISION_SEEDS = tuple(range(20))
RESULTS = Path(__file__).resolve().parents[2] / "results" / "precision-float64.csv"


def precision_configs(study: Study, dtype: str) -> list[TrainConfig]:
    """The methods of the check, in ``dtype``."""
    return [c.replace(dtype=dtype) for m, c in study.methods().items() if m in PRECISION_METHODS]


def float64_table(study: Study, seeds: list[int], path: Path = RESULTS) -> tuple[Table, str]:
    """The float64 side of the check, and where it came from: the committed rows when they are exactly
    this study's runs (:func:`lstm_lib.runs.records.committed_runs`), else trained now.

    The second value, also printed as one line for the build log, says which and why; a damaged
    results file is an error, never a silent retraining.
    """
    task = study.task("easy")
    configs = precision_configs(study, "float64")
    table, reason = committed_runs(path, configs, seeds, task)
    if table is None:
        reason = f"retrained {len(configs) * len(seeds)} runs, as {reason}"
        table = compare(configs, seeds, task, workers=study.workers, scheduler=study.scheduler)
    report(f"float64 side of the precision check: {reason}")
    return table, reason


def check(f32: Table, f64: Table) -> list[dict]:
    """Per trick: its paired verdict against plain training in each precision, and whether they agree.

    A last row compares the precisions themselves, seed by seed, on every method's free-running error.
    """
    rows = []
    for trick in PRECISION_METHODS[1:]:
        v32 = paired_free(f32.where(method=trick), f32.where(method="plain"))
        v64 = paired_free(f64.where(method=trick), f64.where(method="plain"))
        rows.append(
            {"comparison": f"{trick} vs plain", "float32": v32.text(), "float64": v64.text(),
             "same verdict": "yes" if v32.verdict == v64.verdict else "no"}
        )  # fmt: skip
    both = paired_free(f32, f64, key=("method", "seed"))
    rows.append({"comparison": "float32 vs float64, every run", "float32": both.text(), "float64": "",
                 "same verdict": ""})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    from lstm_lib.runs.cluster import scheduler_from_env
    from lstm_lib.study.campaign import check_run_flags
    from lstm_lib.validation import Parser

    parser: argparse.ArgumentParser = Parser(
        prog="python -m lstm_lib.study.precision",
        description="Train the float64 side of the float32 check and write its rows.",
    )
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    args.out = check_run_flags(parser, args.out, args.workers)
    study = study_for("full")
    task = study.task("easy")
    configs, seeds = precision_configs(study, "float64"), list(PRECISION_SEEDS)
    table = compare(configs, seeds, task, workers=args.workers, scheduler=scheduler_from_env())
    write_rows(provenance(table, task, "easy"), args.out)
    print(f"wrote {len(table.rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
