"""Time one training iteration (forward + backward) of lstm_lib's paths against PyTorch's.

Used by ``benchmarks/bench_step.py`` and by the scan-loop chapter. Timings are medians of
``repeats`` runs after a warm-up, compared as ratios inside one run (the machine is noisy).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import torch

from lstm_lib.model.data import sine_waves
from lstm_lib.model.loss import squared_error
from lstm_lib.model.network import predict
from lstm_lib.model.params import init_params
from lstm_lib.model.spec import Spec
from lstm_lib.validation import check_int


def median_seconds(step: Callable[[], None], repeats: int) -> float:
    """Median wall seconds of ``step()`` over ``repeats`` calls, after one warm-up call."""
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _packed(spec: Spec, x: torch.Tensor, y: torch.Tensor, backend: str) -> Callable[[], None]:
    W = init_params(spec, 0, x.dtype).requires_grad_()

    def step() -> None:
        W.grad = None
        squared_error(predict(W, spec, x, backend), y).backward()

    return step


def _cell_loop(spec: Spec, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    cell = torch.nn.LSTMCell(spec.n_in, spec.n_hidden, dtype=x.dtype)
    readout = torch.nn.Linear(spec.n_hidden, spec.n_out, dtype=x.dtype)

    def step() -> None:
        cell.zero_grad(), readout.zero_grad()
        h = c = x.new_zeros(x.shape[0], spec.n_hidden)
        outs = []
        for xt in x.unbind(1):
            h, c = cell(xt, (h, c))
            outs.append(readout(h))
        squared_error(torch.stack(outs, 1), y).backward()

    return step


def _fused_module(spec: Spec, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    lstm = torch.nn.LSTM(spec.n_in, spec.n_hidden, batch_first=True, dtype=x.dtype)
    readout = torch.nn.Linear(spec.n_hidden, spec.n_out, dtype=x.dtype)

    def step() -> None:
        lstm.zero_grad(), readout.zero_grad()
        squared_error(readout(lstm(x)[0]), y).backward()

    return step


PATHS = {
    "lstm_lib training path (fused backend)": lambda s, x, y: _packed(s, x, y, "fused"),
    "lstm_lib scan path (the article's kernel)": lambda s, x, y: _packed(s, x, y, "scan"),
    "torch.nn.LSTMCell in a Python loop": _cell_loop,
    "torch.nn.LSTM (fused reference)": _fused_module,
}
REFERENCE = "torch.nn.LSTM (fused reference)"


def benchmark(
    n_waves: int = 97,
    length: int = 999,
    n_hidden: int = 51,
    dtype: torch.dtype = torch.float64,
    repeats: int = 5,
    threads: int = 1,
) -> list[dict]:
    """One row per path: median seconds per iteration and the ratio to fused ``torch.nn.LSTM``.

    Defaults are the PyTorch example's shapes: 97 training waves of 999 steps, 51 units, float64.
    """
    for name, value in (("n_waves", n_waves), ("length", length), ("n_hidden", n_hidden), ("repeats", repeats)):
        check_int(name, value, 1)
    check_int("threads", threads, 1)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        data = sine_waves(n_waves, length + 1, 20.0, seed=0).to(dtype)
        x, y = data[:, :-1], data[:, 1:]
        spec = Spec(1, n_hidden, 1)
        seconds = {name: median_seconds(make(spec, x, y), repeats) for name, make in PATHS.items()}
    finally:
        torch.set_num_threads(previous)
    return [
        {
            "path": name,
            "seconds": s,
            "ratio_to_fused": s / seconds[REFERENCE],
            "n_waves": n_waves,
            "length": length,
            "n_hidden": n_hidden,
            "dtype": str(dtype).removeprefix("torch."),
            "threads": threads,
            "cores": os.cpu_count(),
        }
        for name, s in seconds.items()
    ]
