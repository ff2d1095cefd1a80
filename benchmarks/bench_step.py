"""Median forward+backward time of one training iteration at the PyTorch example's shapes.

Usage: .venv/bin/python benchmarks/bench_step.py [--n-waves 97] [--length 999] [--dtype float64]
Not a test: the numbers depend on the machine. Compare the ratios, which come from one run.
"""

from __future__ import annotations

import argparse

from lstm_lib.runs.timing import benchmark
from lstm_lib.validation import check_dtype


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-waves", type=int, default=97)
    parser.add_argument("--length", type=int, default=999)
    parser.add_argument("--n-hidden", type=int, default=51)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    rows = benchmark(
        args.n_waves, args.length, args.n_hidden, check_dtype("dtype", args.dtype), args.repeats, args.threads
    )
    first = rows[0]
    print(
        f"shapes: {first['n_waves']} waves x {first['length']} steps, hidden {first['n_hidden']}, "
        f"{first['dtype']}, {first['threads']} torch thread(s), {first['cores']} cores"
    )
    print(f"{'path':45s} {'median s/iter':>14s} {'x fused nn.LSTM':>16s}")
    for row in rows:
        print(f"{row['path']:45s} {row['seconds']:14.4f} {row['ratio_to_fused']:16.2f}")


if __name__ == "__main__":
    main()
