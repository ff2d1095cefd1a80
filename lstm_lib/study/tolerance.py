"""Measure how far other arithmetic moves a committed row: the basis of the re-check tolerances.

Each of :data:`PERTURBATIONS` changes torch's arithmetic on this machine the way another CPU
does (MKL's code path, ATen's vector kernels). The fixed rows of :mod:`lstm_lib.study.verify`
are retrained under each, in a fresh interpreter (both libraries read their switch once, at
load), and the relative difference of every measure from the committed value is written to
``results/tolerance-spread.csv``, which chapter 7 shows and :data:`~lstm_lib.study.verify.TOLERANCES`
cites.

Usage: python -m lstm_lib.study.tolerance [--out results/tolerance-spread.csv] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from lstm_lib.runs.records import write_rows
from lstm_lib.study import verify
from lstm_lib.validation import check_output_file

PERTURBATIONS = ("MKL_CBWR=COMPATIBLE", "MKL_CBWR=AVX2", "ATEN_CPU_CAPABILITY=default", "ONEDNN_MAX_CPU_ISA=SSE41")
MEASURES = ("teacher_mse", "final_loss", "final_mse", "free_mse")


def _retrained_rows(workers: int) -> list[dict]:
    """The fixed rows retrained here (no cache), in :data:`~lstm_lib.study.verify.DEFAULT_ROWS` order."""
    chosen = verify.select(verify.load_rows(verify.default_row_files()), len(verify.DEFAULT_ROWS))
    checks = verify.retrain(chosen, workers=workers, progress=False)
    return [{"row": f"{path.name}:{old['line']}", "old": old, "new": new} for (path, old), new in checks]


def spread_rows(retrained: list[dict], arithmetic: str) -> list[dict]:
    """One record per row: the relative difference of each measure from the committed value."""
    out = []
    for item in retrained:
        old, new = item["old"], item["new"]
        what = f"{old['label']}, seed {old['seed']}, {old['dtype']}"
        record = {"row": f"{item['row']} ({what})", "dtype": old["dtype"], "arithmetic": arithmetic}
        record |= {m: f"{verify.relative(new[m], old[m]):.2e}" for m in MEASURES}
        out.append(record)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=verify.RESULTS / "tolerance-spread.csv")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be an int >= 1, got {args.workers}")
    if args.child:  # print this interpreter's retrained rows as JSON for the parent
        print(json.dumps(_retrained_rows(args.workers)))
        return 0
    try:
        check_output_file("--out", args.out)
    except ValueError as exc:
        parser.error(str(exc))
    records = []
    for switch in PERTURBATIONS:
        name, value = switch.split("=")
        cmd = [sys.executable, "-m", "lstm_lib.study.tolerance", "--child", "--workers", str(args.workers)]
        done = subprocess.run(cmd, env={**os.environ, name: value}, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        records += spread_rows(json.loads(done.stdout.strip().splitlines()[-1]), switch)
        print(f"{switch}: {len(records)} records", flush=True)
    write_rows(records, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
