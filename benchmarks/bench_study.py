"""Runs per core-minute of the multi-seed study, before and after this round's changes, in one run.

Before: a full-profile run as the book trained it until now (float64, the fused backend).
After: the same task trained as the study now trains it (float32, the fused backend: the float32
check of chapter 4 allows it). Both at the full profile's shapes, one torch thread, one process,
the article's 1000 iterations, and each is trained and evaluated end to end (as ``compare`` does).

Usage: .venv/bin/python benchmarks/bench_study.py [--repeats 3]
Not a test: the numbers depend on the machine. Read the ratio, which comes from one run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from lstm_lib.runs.trial import train_and_evaluate
from lstm_lib.settings import study_for


def seconds_per_run(dtype: str, repeats: int) -> float:
    study = study_for("full", dtype=dtype)
    task = study.task("easy")
    config = study.methods()["plain"]
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        train_and_evaluate(config.replace(seed=seed), task.train_data(seed), task.test_data(), task.evaluation)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    study = study_for("full")
    print(f"full profile: {study.n_train} waves x {study.length} steps, hidden {study.n_hidden}, "
          f"{study.iterations} iterations, one torch thread, median of {args.repeats} runs")  # fmt: skip
    before, after = seconds_per_run("float64", args.repeats), seconds_per_run("float32", args.repeats)
    print("| path | seconds per run | runs per core-minute |")
    print("|---|---|---|")
    print(f"| before: float64 | {before:.2f} | {60 / before:.1f} |")
    print(f"| after: float32 | {after:.2f} | {60 / after:.1f} |")
    print(f"speed-up: {before / after:.2f}x runs per core-minute")


if __name__ == "__main__":
    main()
